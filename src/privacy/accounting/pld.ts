/**
 * Privacy-loss-distribution (PLD) accountant for the Poisson-subsampled Gaussian mechanism.
 *
 * Sources: Koskela, Jälkö & Honkela (2020), "Computing tight differential privacy guarantees
 * using FFT"; Meiser & Mohammadi (2018) and Sommer, Meiser & Mohammadi (2019) on PLDs;
 * Doroshenko, Ghazi, Kamath, Kumar & Manurangsi (2022), "Connect the Dots: Tighter Discrete
 * Approximations of Privacy Loss Distributions"; Google's dp_accounting PLD accountant.
 *
 * One step with sampling rate q and noise σ gives two pairs (μ0 = N(0,σ²), μ1 = N(1,σ²),
 * M = (1−q)μ0 + qμ1):
 *   remove: P = M,  Q = μ0, loss L(x) = log(1 − q + q e^{(2x−1)/(2σ²)}),  x ∼ M;
 *   add:    P = μ0, Q = M,  loss L(x) = −log(1 − q + q e^{(2x−1)/(2σ²)}), x ∼ μ0.
 * Each is discretised on the grid {k h}, composed over all steps separately (as dp_accounting
 * does), and ε(δ) is the larger of the two: a guarantee must hold in both directions.
 *
 * Discretisation is pessimistic (it never lowers δ(ε) for any ε, so it upper-bounds ε):
 * - 'connect-dots' (default): a loss l in (kh − h, kh] is split between kh − h and kh with
 *   weights that keep both its P-mass and its Q-mass (E_P[e^{−L}]). Since the hockey-stick
 *   integrand (1 − e^{ε}·e^{−L})₊ is convex in e^{−L}, this mean-preserving spread can only
 *   raise δ(ε) (Jensen). The result is exactly the connect-the-dots PLD of Doroshenko et al.;
 *   its bias in L is second order in h, so thousands of compositions stay tight.
 * - 'round-up': every loss goes up to the next grid point (Koskela et al.); simple but biased
 *   by about h/2 per step, i.e. by T·h/2 in ε after T steps.
 * Mass beyond the upper truncation point goes to +∞ (contributes 1 to every δ); mass below
 * the lower one is rounded up to it. Both discrete pairs dominate the true pair for every ε,
 * and domination is preserved by composition (Zhu, Dong & Wang 2022), so δ of the composed
 * discrete PLD bounds the true δ.
 *
 * Composition: T-fold self-convolution by FFT as a pointwise power of the transform; the
 * window is chosen with Chernoff bounds so that at most `tailMass` falls outside on either
 * side. Mass outside wraps around (adding non-negative mass inside the window, which is
 * pessimistic), and the upper bound's mass is also added to +∞. FFT round-off (~1e-16 of
 * the total mass per entry) is the one part not bounded rigorously; negatives are clipped to 0.
 */
import { ConfigError } from '../../errors.js';
import { complexPowerInPlace, fftToBitReversed, inverseFftFromBitReversed, nextPowerOfTwo } from './fft.js';
import {
  checkDelta,
  checkNoiseMultiplier,
  checkSampleRate,
  checkSteps,
  type PrivacyPhase,
} from './rdp.js';
import { erfc, logExpm1 } from './special-functions.js';

/** A privacy-loss distribution on the grid {k·h}: masses[i] sits at loss (offset + i)·h. */
export interface DiscretePld {
  discretisation: number;
  offset: number;
  masses: Float64Array;
  /** Probability (under P) that the loss is +∞, i.e. counts fully towards every δ. */
  infinityMass: number;
}

export type PldRounding = 'connect-dots' | 'round-up';
export type AdjacencyDirection = 'remove' | 'add';

export interface PldOptions {
  /** Grid width h of the loss values (default 1e-4, as dp_accounting). */
  discretisation?: number;
  /** Mass allowed outside the truncation points, per distribution (default 1e-15). */
  tailMass?: number;
  rounding?: PldRounding;
  /** Largest FFT length (default 2^23 points, 128 MB for the transform buffers). */
  maxFftSize?: number;
}

export const DEFAULT_PLD_DISCRETISATION = 1e-4;
const DEFAULT_TAIL_MASS = 1e-15;
const DEFAULT_MAX_FFT_SIZE = 2 ** 23;

interface ResolvedOptions {
  h: number;
  tailMass: number;
  rounding: PldRounding;
  maxFftSize: number;
}

function resolveOptions(options: PldOptions = {}): ResolvedOptions {
  const h = options.discretisation ?? DEFAULT_PLD_DISCRETISATION;
  if (!(h > 0) || !Number.isFinite(h) || h > 1) {
    throw new ConfigError(`discretisation must be in (0, 1]; got ${h}. 1e-4 is a good default, 1e-3 is faster.`);
  }
  const tailMass = options.tailMass ?? DEFAULT_TAIL_MASS;
  if (!(tailMass > 0 && tailMass < 1e-3)) {
    throw new ConfigError(`tailMass must be in (0, 1e-3); got ${tailMass}.`);
  }
  const rounding = options.rounding ?? 'connect-dots';
  if (rounding !== 'connect-dots' && rounding !== 'round-up') {
    throw new ConfigError(`rounding must be 'connect-dots' or 'round-up'; got ${String(rounding)}.`);
  }
  const maxFftSize = options.maxFftSize ?? DEFAULT_MAX_FFT_SIZE;
  if (!Number.isInteger(maxFftSize) || maxFftSize < 2) {
    throw new ConfigError(`maxFftSize must be an integer ≥ 2; got ${maxFftSize}.`);
  }
  return { h, tailMass, rounding, maxFftSize };
}

/**
 * A Gaussian N(mean, σ²) evaluated at a threshold x, keeping the smaller tail to full
 * relative precision: lower = P(X ≤ x), upper = P(X > x).
 */
interface NormalTail {
  small: number;
  /** true when the small tail is the upper one (x above the mean). */
  upperIsSmall: boolean;
}

function normalTail(x: number, mean: number, sigma: number): NormalTail {
  if (x === -Infinity) return { small: 0, upperIsSmall: false };
  if (x === Infinity) return { small: 0, upperIsSmall: true };
  const t = (x - mean) / sigma;
  return { small: 0.5 * erfc(Math.abs(t) / Math.SQRT2), upperIsSmall: t >= 0 };
}

const lowerOf = (t: NormalTail): number => (t.upperIsSmall ? 1 - t.small : t.small);
const upperOf = (t: NormalTail): number => (t.upperIsSmall ? t.small : 1 - t.small);

/** Mass of (x1, x2] from the tails at its two ends, choosing the form without cancellation. */
function intervalMass(a: NormalTail, b: NormalTail): number {
  if (a.upperIsSmall) return Math.max(0, a.small - b.small); // both ends above the mean
  if (!b.upperIsSmall) return Math.max(0, b.small - a.small); // both below
  return Math.max(0, 1 - a.small - b.small); // straddles the mean
}

/** The two mixture components' tails at one threshold x. */
interface Threshold {
  n0: NormalTail;
  n1: NormalTail;
}

/**
 * The loss model of one Poisson-subsampled Gaussian step in one direction: for a loss value
 * l, the threshold x with L(x) = l, and P/Q tail masses of {L ≤ l}.
 */
class SubsampledGaussianLoss {
  readonly lossMin: number;
  readonly lossMax: number;
  private readonly logOneMinusQ: number;
  private readonly logQ: number;
  private readonly s2: number;

  constructor(
    readonly q: number,
    readonly sigma: number,
    readonly direction: AdjacencyDirection,
  ) {
    this.logOneMinusQ = Math.log1p(-q); // −∞ when q = 1
    this.logQ = Math.log(q);
    this.s2 = sigma * sigma;
    // The remove loss lies in (log(1−q), ∞), the add loss in (−∞, −log(1−q)).
    this.lossMin = direction === 'remove' ? this.logOneMinusQ : -Infinity;
    this.lossMax = direction === 'remove' ? Infinity : -this.logOneMinusQ;
  }

  /** x with log(1 − q + q e^{(2x−1)/(2σ²)}) = m; −∞ when m ≤ log(1 − q). */
  private xForRemoveLoss(m: number): number {
    if (this.q === 1) return this.s2 * m + 0.5;
    if (m <= this.logOneMinusQ) return -Infinity;
    // e^m − (1−q) = (1−q)·expm1(m − log(1−q)), which stays accurate near the lower end.
    return this.s2 * (this.logOneMinusQ - this.logQ + logExpm1(m - this.logOneMinusQ)) + 0.5;
  }

  threshold(l: number): Threshold {
    // remove: L ≤ l ⟺ x ≤ x(l);  add: L ≤ l ⟺ x ≥ x(−l) (L is decreasing in x).
    const x = this.direction === 'remove' ? this.xForRemoveLoss(l) : this.xForRemoveLoss(-l);
    return { n0: normalTail(x, 0, this.sigma), n1: normalTail(x, 1, this.sigma) };
  }

  /** P(L > l). */
  pAbove(l: number): number {
    const t = this.threshold(l);
    if (this.direction === 'remove') return (1 - this.q) * upperOf(t.n0) + this.q * upperOf(t.n1);
    return lowerOf(t.n0);
  }

  /** P(L ≤ l). */
  pBelow(l: number): number {
    const t = this.threshold(l);
    if (this.direction === 'remove') return (1 - this.q) * lowerOf(t.n0) + this.q * lowerOf(t.n1);
    return upperOf(t.n0);
  }

  /** P- and Q-mass of {l1 < L ≤ l2}, from the thresholds at l1 and l2. */
  binMasses(t1: Threshold, t2: Threshold): { p: number; q: number } {
    if (this.direction === 'remove') {
      const m0 = intervalMass(t1.n0, t2.n0);
      const m1 = intervalMass(t1.n1, t2.n1);
      return { p: (1 - this.q) * m0 + this.q * m1, q: m0 };
    }
    // add: the x-interval is [x(−l2), x(−l1)), so the ends swap.
    const m0 = intervalMass(t2.n0, t1.n0);
    const m1 = intervalMass(t2.n1, t1.n1);
    return { p: m0, q: (1 - this.q) * m0 + this.q * m1 };
  }
}

/**
 * inf{l ≤ limit : f(l) ≤ target} for a non-increasing f with f(from) > target, by bracketing
 * then bisection; returns `limit` when even f(limit) > target.
 */
function lowestLossWithTailBelow(f: (l: number) => number, target: number, from: number, limit: number): number {
  let lo = from;
  let step = 1;
  while (f(lo) <= target) {
    lo -= step;
    step *= 2;
    if (step > 1e7) return lo;
  }
  let hi: number;
  if (Number.isFinite(limit)) {
    if (f(limit) > target) return limit;
    hi = limit;
  } else {
    hi = lo + 1;
    step = 1;
    while (f(hi) > target) {
      hi += step;
      step *= 2;
      if (step > 1e7) {
        throw new ConfigError('PLD: the privacy loss has no usable tail bound (is the noise multiplier tiny?).');
      }
    }
  }
  for (let i = 0; i < 200 && hi - lo > 1e-12 * Math.max(1, Math.abs(hi)); i++) {
    const mid = 0.5 * (lo + hi);
    if (f(mid) <= target) hi = mid;
    else lo = mid;
  }
  return hi;
}

/**
 * Discretises one step of the Poisson-subsampled Gaussian in one direction (see header).
 * `tailMass` is the mass allowed beyond each truncation point.
 */
export function discretiseSubsampledGaussian(
  q: number,
  sigma: number,
  direction: AdjacencyDirection,
  options: PldOptions = {},
): DiscretePld {
  checkSampleRate(q, 'q (sampling rate)');
  checkNoiseMultiplier(sigma, 'sigma (noise multiplier)');
  if (q === 0) return identityPld(options.discretisation ?? DEFAULT_PLD_DISCRETISATION);
  if (sigma === 0) {
    throw new ConfigError('sigma (noise multiplier) is 0 with a positive sampling rate: no finite privacy loss distribution; ε is infinite.');
  }
  const { h, tailMass, rounding, maxFftSize } = resolveOptions(options);
  const model = new SubsampledGaussianLoss(q, sigma, direction);

  // Truncation points: beyond them at most tailMass of P on each side. P(L > 0) and
  // P(L ≤ 0) are both large (L = 0 at x = 1/2), so 0 starts both searches.
  const lossHigh = lowestLossWithTailBelow((l) => model.pAbove(l), tailMass, 0, model.lossMax);
  const lossLow = -lowestLossWithTailBelow((u) => model.pBelow(-u), tailMass, 0, -model.lossMin);

  const a = Math.floor(lossLow / h);
  const b = Math.max(a + 1, Math.ceil(lossHigh / h));
  const n = b - a + 1;
  if (n > maxFftSize) {
    throw new ConfigError(
      `PLD grid for q=${q}, σ=${sigma} needs ${n} points at discretisation ${h} (limit ${maxFftSize}); use a larger discretisation.`,
    );
  }
  const masses = new Float64Array(n);
  const shrink = -Math.expm1(-h); // 1 − e^{−h}
  let prev = model.threshold(a * h);
  // All mass at or below the lowest grid point is rounded up onto it.
  masses[0] = model.pBelow(a * h);
  for (let k = 1; k < n; k++) {
    const lossUpper = (a + k) * h;
    const lossLower = lossUpper - h;
    const cur = model.threshold(lossUpper);
    const { p, q: qMass } = model.binMasses(prev, cur);
    prev = cur;
    if (p === 0) continue;
    if (rounding === 'round-up') {
      masses[k] += p;
      continue;
    }
    // Connect the dots: E_P[1 − e^{lossLower − L}] / (1 − e^{−h}) goes up, the rest down.
    let up = (p - Math.exp(lossLower) * qMass) / shrink;
    if (!(up >= 0)) up = 0;
    if (up > p) up = p;
    masses[k] += up;
    masses[k - 1] += p - up;
  }
  const infinityMass = model.pAbove(b * h);
  return { discretisation: h, offset: a, masses, infinityMass };
}

/** The PLD of a mechanism that reveals nothing: all mass at loss 0. */
export function identityPld(discretisation = DEFAULT_PLD_DISCRETISATION): DiscretePld {
  return { discretisation, offset: 0, masses: new Float64Array([1]), infinityMass: 0 };
}

/**
 * log E[e^{λ L}] over the finite part of a PLD. The exponentials are built by recurrence from
 * the end where they are largest, recomputed exactly every 256 points to cap rounding drift.
 */
export function logMomentGeneratingFunction(pld: DiscretePld, lambda: number): number {
  const { masses, offset, discretisation: h } = pld;
  const n = masses.length;
  if (lambda === 0) {
    let total = 0;
    for (let i = 0; i < n; i++) total += masses[i];
    return Math.log(total);
  }
  // Walk from the end with the largest λ·l towards the other, with factor e^{−|λ|h} per point.
  const fromTop = lambda > 0;
  const ratio = Math.exp(-Math.abs(lambda) * h);
  let factor = 1;
  let sum = 0;
  for (let step = 0; step < n; step++) {
    const i = fromTop ? n - 1 - step : step;
    if ((step & 255) === 0) factor = Math.exp(-Math.abs(lambda) * h * step);
    if (factor === 0) break;
    sum += masses[i] * factor;
    factor *= ratio;
  }
  const anchor = fromTop ? (offset + n - 1) * h : offset * h;
  return lambda * anchor + Math.log(sum);
}

const CHERNOFF_LAMBDAS = Array.from({ length: 33 }, (_, i) => 2 ** (i / 2 - 6)); // 1/64 .. 1024

function mod(a: number, n: number): number {
  const r = a % n;
  return r < 0 ? r + n : r;
}

/**
 * Composes PLDs, each `count` times, on a common grid, by FFT. The result's window holds all
 * but `tailMass` of the composed distribution on each side (Chernoff bounds).
 */
export function composePlds(
  items: readonly { pld: DiscretePld; count: number }[],
  options: PldOptions = {},
): DiscretePld {
  const { tailMass, maxFftSize } = resolveOptions(options);
  const active = items.filter((it) => {
    checkSteps(it.count, 'count');
    return it.count > 0 && !(it.pld.masses.length === 1 && it.pld.offset === 0 && it.pld.infinityMass === 0);
  });
  const h = items.length > 0 ? items[0].pld.discretisation : options.discretisation ?? DEFAULT_PLD_DISCRETISATION;
  for (const it of items) {
    if (it.pld.discretisation !== h) {
      throw new ConfigError(`composePlds: all PLDs must share one discretisation; got ${h} and ${it.pld.discretisation}.`);
    }
  }
  let logFinite = 0; // log of the probability that no step hits +∞
  for (const it of active) logFinite += it.count * Math.log1p(-it.pld.infinityMass);
  const composedInfinity = -Math.expm1(logFinite);
  if (active.length === 0) return identityPld(h);
  if (active.length === 1 && active[0].count === 1) {
    const only = active[0].pld;
    return { discretisation: h, offset: only.offset, masses: only.masses.slice(), infinityMass: only.infinityMass };
  }

  // Chernoff window: P(S ≥ u) ≤ E[e^{λS}] e^{−λu}, P(S ≤ l) ≤ E[e^{−λS}] e^{λl}.
  const logTail = Math.log(tailMass);
  let upper = Infinity;
  let lower = -Infinity;
  for (const lambda of CHERNOFF_LAMBDAS) {
    let up = 0;
    let down = 0;
    for (const it of active) {
      up += it.count * logMomentGeneratingFunction(it.pld, lambda);
      down += it.count * logMomentGeneratingFunction(it.pld, -lambda);
    }
    upper = Math.min(upper, (up - logTail) / lambda);
    lower = Math.max(lower, (logTail - down) / lambda);
  }
  // The window can never need to exceed the exact support.
  let supportLow = 0;
  let supportHigh = 0;
  for (const it of active) {
    supportLow += it.count * it.pld.offset;
    supportHigh += it.count * (it.pld.offset + it.pld.masses.length - 1);
  }
  const windowLow = Math.max(supportLow, Math.floor(lower / h) - 1);
  const windowHigh = Math.min(supportHigh, Math.ceil(upper / h) + 1);
  const size = nextPowerOfTwo(windowHigh - windowLow + 1);
  if (size > maxFftSize) {
    throw new ConfigError(
      `PLD composition needs an FFT of ${size} points at discretisation ${h} (limit ${maxFftSize}); ` +
        'use a larger discretisation (e.g. 1e-3) or raise maxFftSize.',
    );
  }

  const accRe = new Float64Array(size).fill(1);
  const accIm = new Float64Array(size);
  const re = new Float64Array(size);
  const im = new Float64Array(size);
  for (const it of active) {
    re.fill(0);
    im.fill(0);
    const { masses, offset } = it.pld;
    for (let i = 0; i < masses.length; i++) re[mod(offset + i, size)] += masses[i];
    fftToBitReversed(re, im);
    complexPowerInPlace(re, im, it.count);
    for (let k = 0; k < size; k++) {
      const r = accRe[k] * re[k] - accIm[k] * im[k];
      accIm[k] = accRe[k] * im[k] + accIm[k] * re[k];
      accRe[k] = r;
    }
  }
  inverseFftFromBitReversed(accRe, accIm);
  const masses = new Float64Array(size);
  for (let i = 0; i < size; i++) {
    const v = accRe[mod(windowLow + i, size)];
    masses[i] = v > 0 ? v : 0;
  }
  // Trim zero ends so later queries are cheaper.
  let first = 0;
  let last = size - 1;
  while (first < last && masses[first] === 0) first++;
  while (last > first && masses[last] === 0) last--;
  // Mass beyond the upper Chernoff point may have wrapped below: count it at +∞ as well.
  const infinityMass = Math.min(1, composedInfinity + tailMass);
  return { discretisation: h, offset: windowLow + first, masses: masses.slice(first, last + 1), infinityMass };
}

/** δ(ε) = Σ_{l > ε} (1 − e^{ε − l}) p(l) + p(∞). */
export function deltaForEpsilon(pld: DiscretePld, epsilon: number): number {
  if (Number.isNaN(epsilon)) throw new ConfigError('epsilon must be a number; got NaN.');
  const { masses, offset, discretisation: h } = pld;
  let delta = 0;
  for (let i = masses.length - 1; i >= 0; i--) {
    const l = (offset + i) * h;
    if (l <= epsilon) break;
    delta += masses[i] * -Math.expm1(epsilon - l);
  }
  return Math.min(1, delta + pld.infinityMass);
}

/**
 * The smallest ε ≥ 0 with δ(ε) ≤ delta for this PLD (Infinity when the mass at +∞ alone
 * exceeds delta). Exact for the discrete PLD: between grid points δ(ε) = A − e^{ε}B.
 */
export function epsilonForDelta(pld: DiscretePld, delta: number): number {
  checkDelta(delta);
  const { masses, offset, discretisation: h } = pld;
  if (pld.infinityMass > delta) return Infinity;
  const decay = Math.exp(-h);
  let above = 0; // A_k = Σ_{i ≥ k} m_i
  let tilted = 0; // G_k = Σ_{i ≥ k} m_i e^{l_k − l_i}
  for (let k = masses.length - 1; k >= 0; k--) {
    above += masses[k];
    tilted = masses[k] + decay * tilted;
    const lk = (offset + k) * h;
    // δ at ε = l_{k−1}, where the set {l > ε} is {k, ..., last}.
    const deltaLeft = pld.infinityMass + above - decay * tilted;
    if (deltaLeft > delta || k === 0) {
      const excess = pld.infinityMass + above - delta;
      if (excess <= 0) return 0;
      const eps = lk + Math.log(excess / tilted);
      return Math.max(0, eps);
    }
  }
  return 0;
}

/** Discrete PLDs of both adjacency directions (one step, or composed). */
export interface SubsampledGaussianPlds {
  remove: DiscretePld;
  add: DiscretePld;
}

/**
 * Composed PLDs (remove and add directions) of all phases. Phases with q = 0 or no steps
 * are skipped; a phase with σ = 0 and q > 0 makes the result non-private (null).
 */
export function pldOfPhases(
  phases: readonly PrivacyPhase[],
  options: PldOptions = {},
): SubsampledGaussianPlds | null {
  const resolved = resolveOptions(options);
  phases.forEach((p, k) => {
    checkSampleRate(p.sampleRate, `phases[${k}].sampleRate`);
    checkNoiseMultiplier(p.noiseMultiplier, `phases[${k}].noiseMultiplier`);
    checkSteps(p.steps, `phases[${k}].steps`);
  });
  const active = phases.filter((p) => p.steps > 0 && p.sampleRate > 0);
  if (active.some((p) => p.noiseMultiplier === 0)) return null;
  // Merge phases with equal (q, σ): they self-compose in one power. All q = 1 steps together
  // are one Gaussian mechanism with 1/σ_eff² = Σ steps/σ² (exact), so they need no FFT.
  const groups = new Map<string, { q: number; sigma: number; count: number }>();
  let gaussianPrecision = 0;
  for (const p of active) {
    if (p.sampleRate === 1) {
      gaussianPrecision += p.steps / (p.noiseMultiplier * p.noiseMultiplier);
      continue;
    }
    const key = `${p.sampleRate}|${p.noiseMultiplier}`;
    const g = groups.get(key);
    if (g) g.count += p.steps;
    else groups.set(key, { q: p.sampleRate, sigma: p.noiseMultiplier, count: p.steps });
  }
  const perStep: PldOptions = {
    discretisation: resolved.h,
    tailMass: resolved.tailMass / Math.max(1, [...groups.values()].reduce((s, g) => s + g.count, 0) + 1),
    rounding: resolved.rounding,
    maxFftSize: resolved.maxFftSize,
  };
  // The Gaussian mechanism has the same PLD in both directions: discretise it once.
  const gaussian =
    gaussianPrecision > 0
      ? { pld: discretiseSubsampledGaussian(1, 1 / Math.sqrt(gaussianPrecision), 'remove', perStep), count: 1 }
      : undefined;
  const result: Partial<SubsampledGaussianPlds> = {};
  for (const direction of ['remove', 'add'] as const) {
    const items = [...groups.values()].map((g) => ({
      pld: discretiseSubsampledGaussian(g.q, g.sigma, direction, perStep),
      count: g.count,
    }));
    if (gaussian) items.push(gaussian);
    result[direction] = composePlds(items, resolved);
  }
  return result as SubsampledGaussianPlds;
}

export interface PldEpsilon {
  epsilon: number;
  /** ε of the remove-direction and add-direction PLDs; `epsilon` is their maximum. */
  removeEpsilon: number;
  addEpsilon: number;
}

/** ε(δ) of a sequence of phases with the PLD accountant. */
export function pldEpsilon(phases: readonly PrivacyPhase[], delta: number, options: PldOptions = {}): PldEpsilon {
  checkDelta(delta);
  const plds = pldOfPhases(phases, options);
  if (!plds) return { epsilon: Infinity, removeEpsilon: Infinity, addEpsilon: Infinity };
  const removeEpsilon = epsilonForDelta(plds.remove, delta);
  const addEpsilon = epsilonForDelta(plds.add, delta);
  return { epsilon: Math.max(removeEpsilon, addEpsilon), removeEpsilon, addEpsilon };
}

/** δ(ε) of a sequence of phases with the PLD accountant (the worse of the two directions). */
export function pldDelta(phases: readonly PrivacyPhase[], epsilon: number, options: PldOptions = {}): number {
  if (!(epsilon >= 0) || !Number.isFinite(epsilon)) {
    throw new ConfigError(`epsilon must be a finite number ≥ 0; got ${epsilon}.`);
  }
  const plds = pldOfPhases(phases, options);
  if (!plds) return 1;
  return Math.max(deltaForEpsilon(plds.remove, epsilon), deltaForEpsilon(plds.add, epsilon));
}

/** Stateful PLD accountant with the same shape as `RdpAccountant`. */
export class PldAccountant {
  private readonly history: PrivacyPhase[] = [];
  private composed: SubsampledGaussianPlds | null | undefined;

  constructor(readonly options: PldOptions = {}) {
    resolveOptions(options);
  }

  step(noiseMultiplier: number, sampleRate: number, count = 1): this {
    return this.addPhase({ noiseMultiplier, sampleRate, steps: count });
  }

  addPhase(phase: PrivacyPhase): this {
    checkSampleRate(phase.sampleRate);
    checkNoiseMultiplier(phase.noiseMultiplier);
    checkSteps(phase.steps);
    const last = this.history[this.history.length - 1];
    if (last && last.sampleRate === phase.sampleRate && last.noiseMultiplier === phase.noiseMultiplier) {
      last.steps += phase.steps;
    } else {
      this.history.push({ ...phase });
    }
    this.composed = undefined;
    return this;
  }

  get phases(): readonly PrivacyPhase[] {
    return this.history.map((p) => ({ ...p }));
  }

  private plds(): SubsampledGaussianPlds | null {
    if (this.composed === undefined) this.composed = pldOfPhases(this.history, this.options);
    return this.composed;
  }

  getEpsilon(delta: number): PldEpsilon {
    checkDelta(delta);
    const plds = this.plds();
    if (!plds) return { epsilon: Infinity, removeEpsilon: Infinity, addEpsilon: Infinity };
    const removeEpsilon = epsilonForDelta(plds.remove, delta);
    const addEpsilon = epsilonForDelta(plds.add, delta);
    return { epsilon: Math.max(removeEpsilon, addEpsilon), removeEpsilon, addEpsilon };
  }

  getDelta(epsilon: number): number {
    if (!(epsilon >= 0) || !Number.isFinite(epsilon)) {
      throw new ConfigError(`epsilon must be a finite number ≥ 0; got ${epsilon}.`);
    }
    const plds = this.plds();
    if (!plds) return 1;
    return Math.max(deltaForEpsilon(plds.remove, epsilon), deltaForEpsilon(plds.add, epsilon));
  }
}

