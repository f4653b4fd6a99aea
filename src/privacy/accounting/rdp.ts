/**
 * Rényi-DP accountant for the Poisson-subsampled Gaussian mechanism (DP-SGD).
 *
 * Per-step RDP follows Mironov, Talwar & Zhang (2019), "Rényi Differential Privacy of the
 * Sampled Gaussian Mechanism" (arXiv:1908.10530), Section 3.3: with μ0 = N(0, σ²),
 * μ1 = N(1, σ²) and μ = (1−q)μ0 + qμ1, RDP(α) = log A_α / (α − 1) with
 * A_α = E_{z∼μ0}[(μ(z)/μ0(z))^α].
 *
 * - Integer α: A_α = Σ_i C(α,i) q^i (1−q)^{α−i} exp((i²−i)/(2σ²)). Because the binomial
 *   weights sum to one and the i = 0, 1 exponents vanish, A_α − 1 is a sum of positive terms
 *   with expm1, so RDP keeps full relative accuracy even when it is 1e-8.
 * - Fractional α: the two binomial series split at z0 = σ² log(1/q − 1) + 1/2. Their
 *   coefficients alternate in sign for i > α and the tails decay only polynomially
 *   (~ i^{−α−2}), so a test on the absolute size of a term (as in older public code) can stop
 *   too early, and summing to 1e-17 directly takes up to 10^5 terms for α near 1. The tails
 *   are moment sequences, which an accelerated alternating sum handles in 24 terms with a
 *   proven error bound (see logAFractionalOrder).
 *
 * Composition adds RDP per order; conversion to (ε, δ) uses Balle et al. (2020),
 * "Hypothesis testing interpretations and Rényi differential privacy", Theorem 21, with the
 * classic bound of Mironov (2017), Proposition 3, offered for comparison.
 */
import { ConfigError } from '../../errors.js';
import {
  logAbsGamma,
  logAddExp,
  logErfc,
  logExpm1,
  logGamma,
  log1pExp,
} from './special-functions.js';
import { ALTERNATING_TERMS, alternatingMomentSum } from './alternating-series.js';
import { minimiseOverOrder } from './order-search.js';

/**
 * Orders used by TF Privacy's `compute_dp_sgd_privacy` (and its tutorials):
 * 1.25, 1.5, 1.75, 2, 2.25, 2.5, 3, 3.5, 4, 4.5, 5..63, 128, 256, 512.
 * Our default: few fractional orders keep the accountant fast, and the large orders
 * cover small-ε/strong-noise regimes.
 */
export const TF_PRIVACY_ORDERS: readonly number[] = Object.freeze([
  1.25, 1.5, 1.75, 2, 2.25, 2.5, 3, 3.5, 4, 4.5,
  ...Array.from({ length: 59 }, (_, i) => i + 5),
  128, 256, 512,
]);

/** Opacus `RDPAccountant.DEFAULT_ALPHAS`: 1.1, 1.2, ..., 10.9, then 12..63. */
export const OPACUS_ORDERS: readonly number[] = Object.freeze([
  ...Array.from({ length: 99 }, (_, i) => 1 + (i + 1) / 10),
  ...Array.from({ length: 52 }, (_, i) => i + 12),
]);

/**
 * dp_accounting's `DEFAULT_RDP_ORDERS` (used by TF Privacy's newer statements):
 * 1.1, 1.2, ..., 10.9, then 11..63, 128, 256, 512, 1024.
 */
export const DP_ACCOUNTING_ORDERS: readonly number[] = Object.freeze([
  ...Array.from({ length: 99 }, (_, i) => 1 + (i + 1) / 10),
  ...Array.from({ length: 53 }, (_, i) => i + 11),
  128, 256, 512, 1024,
]);

/**
 * The grid used where a fixed list of orders is needed and none is given (`rdpSampledGaussian`,
 * `RdpAccountant.rdp()`). ε itself is minimised over the order continuously unless orders are
 * passed (`epsilonAtOptimalOrder`).
 */
export const DEFAULT_RDP_ORDERS: readonly number[] = TF_PRIVACY_ORDERS;

/**
 * Largest order the continuous search considers. It caps how small ε can go: with δ = 1e-5,
 * ε ≥ about 1.3e-4 whatever σ (dp_accounting's grid stops at 1024, ε ≥ about 0.0045).
 */
export const MAX_RDP_ORDER = 10_000;

/** Every order of the three published grids, ascending: the continuous search is never worse. */
const PUBLISHED_ORDERS: readonly number[] = Object.freeze(
  [...new Set([...TF_PRIVACY_ORDERS, ...OPACUS_ORDERS, ...DP_ACCOUNTING_ORDERS])].sort((x, y) => x - y),
);

/** One stretch of training with a fixed sampling rate and noise multiplier. */
export interface PrivacyPhase {
  /** Poisson sampling probability q of each example per step, in [0, 1]. */
  sampleRate: number;
  /** Noise standard deviation divided by the L2 sensitivity (clipping norm), σ ≥ 0. */
  noiseMultiplier: number;
  /** Number of steps (a non-negative integer). */
  steps: number;
}

/** Which RDP → (ε, δ) conversion to use. */
export type RdpConversion = 'balle2020' | 'classic';

export interface EpsilonFromRdp {
  epsilon: number;
  /** The order at which the minimum was attained (NaN when ε is infinite at every order). */
  order: number;
}

export function checkSampleRate(q: number, where = 'sampleRate'): void {
  if (typeof q !== 'number' || !Number.isFinite(q) || q < 0 || q > 1) {
    throw new ConfigError(`${where} must be a probability in [0, 1]; got ${q}. Use batchSize / datasetSize.`);
  }
}

export function checkNoiseMultiplier(sigma: number, where = 'noiseMultiplier'): void {
  if (typeof sigma !== 'number' || !Number.isFinite(sigma) || sigma < 0) {
    throw new ConfigError(`${where} must be a finite number ≥ 0; got ${sigma}.`);
  }
}

export function checkSteps(steps: number, where = 'steps'): void {
  if (typeof steps !== 'number' || !Number.isInteger(steps) || steps < 0) {
    throw new ConfigError(`${where} must be a non-negative integer; got ${steps}.`);
  }
}

export function checkDelta(delta: number, where = 'delta'): void {
  if (typeof delta !== 'number' || !Number.isFinite(delta) || delta <= 0 || delta >= 1) {
    throw new ConfigError(`${where} must be in (0, 1), typically below 1/datasetSize; got ${delta}.`);
  }
}

function checkOrders(orders: readonly number[]): void {
  if (!Array.isArray(orders) || orders.length === 0) {
    throw new ConfigError('orders must be a non-empty array of RDP orders > 1.');
  }
  for (const a of orders) {
    if (typeof a !== 'number' || !Number.isFinite(a) || a <= 1) {
      throw new ConfigError(`every RDP order must be a finite number > 1; got ${a} in orders.`);
    }
  }
}

// log k! for k = 0..n, computed per entry (not cumulatively) so each is accurate to ~1 ulp.
let logFactorials = new Float64Array([0, 0]);
function logFactorial(n: number): number {
  if (n >= logFactorials.length) {
    const grown = new Float64Array(Math.max(n + 1, logFactorials.length * 2));
    grown.set(logFactorials);
    for (let k = logFactorials.length; k < grown.length; k++) grown[k] = logGamma(k + 1);
    logFactorials = grown;
  }
  return logFactorials[n];
}

/** log A_α for integer α ≥ 2 and 0 < q < 1, through log(A_α − 1) (see the header). */
function logAIntegerOrder(q: number, sigma: number, alpha: number): number {
  const logQ = Math.log(q);
  const log1mQ = Math.log1p(-q);
  const inv2s2 = 1 / (2 * sigma * sigma);
  const logFactAlpha = logFactorial(alpha);
  let logAm1 = -Infinity;
  // The terms are log-concave in i, so summing from the largest down is not needed for
  // accuracy: logAddExp keeps ~1 ulp per term.
  for (let i = 2; i <= alpha; i++) {
    const logBinom = logFactAlpha - logFactorial(i) - logFactorial(alpha - i);
    const term = logBinom + i * logQ + (alpha - i) * log1mQ + logExpm1((i * i - i) * inv2s2);
    logAm1 = logAddExp(logAm1, term);
  }
  return log1pExp(logAm1);
}

/**
 * log A_α for fractional α and 0 < q < 1 (MTZ19 Section 3.3): two binomial series, split at
 * z0 where q·μ1 = (1 − q)·μ0. Their terms are positive for i < ⌈α⌉ and alternate in sign
 * from i = ⌈α⌉ on, with magnitudes that decay only like i^{−α−2}. Those magnitudes form a
 * Hausdorff moment sequence in k = i − ⌈α⌉:
 *   |C(α, i)| = Γ(i − α) / (|Γ(−α)| Γ(i + 1)) = ∫_0^1 t^{i−α−1} (1 − t)^α dt / (|Γ(−α)| Γ(α + 1)),
 *   series 0: (1 − q)^α ∫_{z<z0} μ0(z) x(z)^i dz with x = q μ1/((1 − q) μ0) ∈ (0, 1),
 *   series 1: ∫_{z>z0} μ0(z) (q μ1/μ0)^α y(z)^i dz with y = 1/x ∈ (0, 1),
 * and a product of moment sequences is one. So each alternating tail is summed by the
 * Cohen–Rodriguez Villegas–Zagier acceleration with a proven relative error below 1e-18
 * (alternating-series.ts), and every part of A_α is a positive number added in log space.
 */
function logAFractionalOrder(q: number, sigma: number, alpha: number): number {
  const logQ = Math.log(q);
  const log1mQ = Math.log1p(-q);
  const s2 = sigma * sigma;
  const inv2s2 = 1 / (2 * s2);
  const z0 = s2 * (log1mQ - logQ) + 0.5;
  const invSqrt2Sigma = 1 / (Math.SQRT2 * sigma);
  const logHalf = -Math.LN2;
  const logGammaAlpha1 = logGamma(alpha + 1);
  const frac = alpha - Math.floor(alpha);
  const sinPiFrac = Math.abs(Math.sin(Math.PI * frac));
  const firstAlternating = Math.ceil(alpha);
  const tailEnd = firstAlternating + ALTERNATING_TERMS;
  let logA = -Infinity;
  for (let i = 0; i < tailEnd; i++) {
    const j = alpha - i;
    // log |C(α, i)| = log Γ(α+1) − log Γ(i+1) − log |Γ(α−i+1)|
    const logBinom = logGammaAlpha1 - logFactorial(i) - logAbsGamma(j + 1, sinPiFrac);
    const logS0 =
      logBinom + i * logQ + j * log1mQ + (i * i - i) * inv2s2 + logHalf + logErfc((i - z0) * invSqrt2Sigma);
    const logS1 =
      logBinom + j * logQ + i * log1mQ + (j * j - j) * inv2s2 + logHalf + logErfc((z0 - j) * invSqrt2Sigma);
    if (i < firstAlternating) {
      logA = logAddExp(logA, logAddExp(logS0, logS1));
    } else {
      tailLogMagnitudes0[i - firstAlternating] = logS0;
      tailLogMagnitudes1[i - firstAlternating] = logS1;
    }
  }
  return logAddExp(logA, logAddExp(logAlternatingTail(tailLogMagnitudes0), logAlternatingTail(tailLogMagnitudes1)));
}

// Scratch space for the tails (the accountant is synchronous, so one pair is enough).
const tailLogMagnitudes0 = new Float64Array(ALTERNATING_TERMS);
const tailLogMagnitudes1 = new Float64Array(ALTERNATING_TERMS);
const tailScaled = new Float64Array(ALTERNATING_TERMS);

/**
 * log Σ_k (−1)^k b_k from log b_k, b a moment sequence (so 0 < sum ≤ b_0): scaled by b_0 so
 * that magnitudes far outside the double range still sum.
 */
function logAlternatingTail(logMagnitudes: Float64Array): number {
  const logFirst = logMagnitudes[0];
  if (logFirst === -Infinity) return -Infinity;
  for (let k = 0; k < logMagnitudes.length; k++) tailScaled[k] = Math.exp(logMagnitudes[k] - logFirst);
  // Rounding can leave a sum that is far below b_0 at or a hair under 0; it is then negligible.
  return logFirst + Math.log(Math.max(0, alternatingMomentSum(tailScaled)));
}

/** RDP of one step of the Poisson-subsampled Gaussian at one order. */
function rdpOneOrder(q: number, sigma: number, alpha: number): number {
  if (q === 0) return 0;
  if (sigma === 0) return Infinity;
  if (q === 1) return alpha / (2 * sigma * sigma);
  const logA = Number.isInteger(alpha)
    ? logAIntegerOrder(q, sigma, alpha)
    : logAFractionalOrder(q, sigma, alpha);
  // A_α ≥ 1 in exact arithmetic; rounding can leave a tiny negative log.
  return Math.max(0, logA / (alpha - 1));
}

/**
 * Per-step RDP ε(α) of the Poisson-subsampled Gaussian mechanism with sampling rate q and
 * noise multiplier σ (sensitivity 1), at each order in `orders`.
 */
export function rdpSampledGaussian(
  q: number,
  sigma: number,
  orders: readonly number[] = DEFAULT_RDP_ORDERS,
): number[] {
  checkSampleRate(q, 'q (sampling rate)');
  checkNoiseMultiplier(sigma, 'sigma (noise multiplier)');
  checkOrders(orders);
  return orders.map((a) => rdpOneOrder(q, sigma, a));
}

function checkPhases(phases: readonly PrivacyPhase[]): void {
  if (!Array.isArray(phases)) {
    throw new ConfigError('phases must be an array of { sampleRate, noiseMultiplier, steps }.');
  }
  phases.forEach((p, k) => {
    checkSampleRate(p.sampleRate, `phases[${k}].sampleRate`);
    checkNoiseMultiplier(p.noiseMultiplier, `phases[${k}].noiseMultiplier`);
    checkSteps(p.steps, `phases[${k}].steps`);
  });
}

/** Total RDP of a sequence of phases: per-order sum of steps × per-step RDP. */
export function rdpOfPhases(
  phases: readonly PrivacyPhase[],
  orders: readonly number[] = DEFAULT_RDP_ORDERS,
): number[] {
  checkOrders(orders);
  checkPhases(phases);
  const total = new Array<number>(orders.length).fill(0);
  for (const p of phases) {
    if (p.steps === 0 || p.sampleRate === 0) continue;
    const perStep = rdpSampledGaussian(p.sampleRate, p.noiseMultiplier, orders);
    for (let i = 0; i < orders.length; i++) total[i] += p.steps * perStep[i];
  }
  return total;
}

/** ε for one order: Balle et al. 2020 Thm 21, or the classic Mironov 2017 Prop. 3. */
function epsilonAtOrder(alpha: number, rdp: number, logDelta: number, conversion: RdpConversion): number {
  if (conversion === 'classic') return rdp - logDelta / (alpha - 1);
  return rdp + Math.log1p(-1 / alpha) - (logDelta + Math.log(alpha)) / (alpha - 1);
}

/**
 * Converts RDP values at `orders` to an (ε, δ) guarantee, minimising over the orders.
 * ε is clamped at 0; orders whose RDP is infinite or NaN are skipped.
 */
export function epsilonFromRdp(
  orders: readonly number[],
  rdp: readonly number[],
  delta: number,
  conversion: RdpConversion = 'balle2020',
): EpsilonFromRdp {
  checkOrders(orders);
  checkDelta(delta);
  if (rdp.length !== orders.length) {
    throw new ConfigError(`rdp has ${rdp.length} values but orders has ${orders.length}; pass one RDP value per order.`);
  }
  checkConversion(conversion);
  const logDelta = Math.log(delta);
  let best = Infinity;
  let bestOrder = NaN;
  for (let i = 0; i < orders.length; i++) {
    const r = rdp[i];
    if (!(r >= 0) || r === Infinity) continue;
    const eps = epsilonAtOrder(orders[i], r, logDelta, conversion);
    if (eps < best) {
      best = eps;
      bestOrder = orders[i];
    }
  }
  return { epsilon: Math.max(0, best), order: bestOrder };
}

function checkConversion(conversion: unknown): void {
  if (conversion !== 'balle2020' && conversion !== 'classic') {
    throw new ConfigError(`conversion must be 'balle2020' or 'classic'; got ${String(conversion)}.`);
  }
}

/**
 * ε of a sequence of phases, minimised over the RDP order continuously in (1, MAX_RDP_ORDER]
 * (order-search.ts): the exact RDP at the returned, usually fractional, order. Never above
 * the minimum over the TF Privacy, Opacus or dp_accounting grids (evaluated with the same
 * exact RDP), and a valid bound at that order. ε is 0 (order NaN) when no phase samples
 * anything, and infinite (order NaN) when a sampled phase has no noise.
 */
export function epsilonAtOptimalOrder(
  phases: readonly PrivacyPhase[],
  delta: number,
  conversion: RdpConversion = 'balle2020',
): EpsilonFromRdp {
  checkPhases(phases);
  checkDelta(delta);
  checkConversion(conversion);
  // Steps per distinct (q, σ): the search evaluates each order once per pair, not once per
  // phase (a history that alternates between two settings has thousands of phases).
  const stepsBySetting = new Map<string, PrivacyPhase>();
  for (const p of phases) {
    if (p.steps === 0 || p.sampleRate === 0) continue;
    const key = `${p.sampleRate}|${p.noiseMultiplier}`;
    const seen = stepsBySetting.get(key);
    if (seen) seen.steps += p.steps;
    else stepsBySetting.set(key, { ...p });
  }
  const active = [...stepsBySetting.values()];
  if (active.length === 0) return { epsilon: 0, order: NaN };
  if (active.some((p) => p.noiseMultiplier === 0)) return { epsilon: Infinity, order: NaN };
  return epsilonFromRdpCurve((alpha) => {
    let rdp = 0;
    for (const p of active) rdp += p.steps * rdpOneOrder(p.sampleRate, p.noiseMultiplier, alpha);
    return rdp;
  }, delta, conversion);
}

/**
 * ε of any mechanism given by its RDP curve α ↦ RDP(α) (for example ρ-zCDP: α ↦ αρ), by the
 * conversion at the best order of a continuous search (`epsilonAtOptimalOrder` passes the
 * subsampled Gaussian's curve). The search
 * finds the global minimum when the curve is (α − 1)·RDP(α) convex, as for zCDP and for
 * compositions of Gaussian-like mechanisms (order-search.ts).
 */
export function epsilonFromRdpCurve(rdpAt: (order: number) => number, delta: number, conversion: RdpConversion = 'balle2020'): EpsilonFromRdp {
  checkDelta(delta);
  checkConversion(conversion);
  const logDelta = Math.log(delta);
  const { order, value } = minimiseOverOrder((alpha) => epsilonAtOrder(alpha, rdpAt(alpha), logDelta, conversion), {
    maxOrder: MAX_RDP_ORDER,
    referenceOrders: PUBLISHED_ORDERS,
  });
  return { epsilon: Math.max(0, value), order };
}

/** The smallest δ for a given ε over the orders (the inverse of `epsilonFromRdp`). */
export function deltaFromRdp(
  orders: readonly number[],
  rdp: readonly number[],
  epsilon: number,
  conversion: RdpConversion = 'balle2020',
): { delta: number; order: number } {
  checkOrders(orders);
  if (!(epsilon >= 0) || !Number.isFinite(epsilon)) {
    throw new ConfigError(`epsilon must be a finite number ≥ 0; got ${epsilon}.`);
  }
  if (rdp.length !== orders.length) {
    throw new ConfigError(`rdp has ${rdp.length} values but orders has ${orders.length}; pass one RDP value per order.`);
  }
  let bestLog = Infinity;
  let bestOrder = NaN;
  for (let i = 0; i < orders.length; i++) {
    const a = orders[i];
    const r = rdp[i];
    if (!(r >= 0) || r === Infinity) continue;
    const logDelta =
      conversion === 'classic'
        ? (a - 1) * (r - epsilon)
        : (a - 1) * (r - epsilon + Math.log1p(-1 / a)) - Math.log(a);
    if (logDelta < bestLog) {
      bestLog = logDelta;
      bestOrder = a;
    }
  }
  return { delta: Math.min(1, Math.exp(bestLog)), order: bestOrder };
}

/**
 * Stateful RDP accountant: record steps (or whole phases) as training runs, then ask for ε.
 * Consecutive steps with the same (q, σ) are merged into one phase, and per-step RDP is
 * cached per (q, σ), so calling `step` 10,000 times costs one RDP evaluation.
 * Built without orders, `getEpsilon` minimises over the order continuously
 * (`epsilonAtOptimalOrder`) and `rdp()` reports the default grid; with orders, both use them.
 */
export class RdpAccountant {
  readonly orders: readonly number[];
  /** Whether `getEpsilon` optimises the order continuously (no orders were given). */
  readonly continuousOrder: boolean;
  private readonly history: PrivacyPhase[] = [];
  private readonly cache = new Map<string, number[]>();

  constructor(orders?: readonly number[]) {
    if (orders !== undefined) checkOrders(orders);
    this.continuousOrder = orders === undefined;
    this.orders = Object.freeze([...(orders ?? DEFAULT_RDP_ORDERS)]);
  }

  /** Records `count` steps with sampling rate q and noise multiplier σ. */
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
    return this;
  }

  get phases(): readonly PrivacyPhase[] {
    return this.history.map((p) => ({ ...p }));
  }

  /** Total RDP at each order. */
  rdp(): number[] {
    const total = new Array<number>(this.orders.length).fill(0);
    for (const p of this.history) {
      if (p.steps === 0 || p.sampleRate === 0) continue;
      const key = `${p.sampleRate}|${p.noiseMultiplier}`;
      let perStep = this.cache.get(key);
      if (!perStep) {
        perStep = rdpSampledGaussian(p.sampleRate, p.noiseMultiplier, this.orders);
        this.cache.set(key, perStep);
      }
      for (let i = 0; i < total.length; i++) total[i] += p.steps * perStep[i];
    }
    return total;
  }

  getEpsilon(delta: number, conversion: RdpConversion = 'balle2020'): EpsilonFromRdp {
    if (this.continuousOrder) return epsilonAtOptimalOrder(this.history, delta, conversion);
    return epsilonFromRdp(this.orders, this.rdp(), delta, conversion);
  }
}
