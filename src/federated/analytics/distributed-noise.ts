/**
 * Distributed noise for the analytics sums: instead of the server adding Gaussian noise after
 * unmasking, every device adds an independent discrete Gaussian share N_Z(0, σ_i²) to every
 * coordinate of its integer vector before masking, and secure aggregation reveals only the sum.
 * The server never holds a noiseless sum, so it need not be trusted to add noise (it is
 * trusted to follow the protocol: honest but curious; the devices are trusted to add their
 * share, which no one can check under masking).
 *
 * Calibration. A sum is revealed only when at least t devices reported (t: the round's
 * minimum number of reports, which the caller enforces). Its noise is the sum of n ≥ t shares;
 * more shares than t is independent extra noise, i.e. post-processing, so the guarantee of t
 * shares holds for every revealed sum. Each round's Rényi divergence is bounded by Kairouz, Liu &
 * Steinke (2021, Prop. 14, privacy/accounting) with n = t, the one-device sensitivities ‖Δ‖₁,
 * ‖Δ‖₂ and the vector length d (the largest of the task's rounds); R rounds add their RDP
 * curves, converted to (ε, δ) by the accountant; σ_i is the smallest share
 * meeting the budget (bisection). Neighbouring data sets are "zero-out": the device's data
 * replaced by nothing, the device still taking part (its share still in the sum). In the
 * service the server sees who takes part anyway (it talks to them); what DP hides is what
 * they hold.
 *
 * Integers only: a vote vector, a one-hot bin, integer label counts (clipped by
 * `integerClippedCounts`, not scaled).
 */
import { ConfigError } from '../../errors.js';
import { distributedDiscreteGaussianComposedEpsilon, distributedDiscreteGaussianShareSigma, discreteGaussianVariance } from '../../privacy/index.js';
import { runSecureAggregation } from '../secagg/index.js';
import type { AnalyticsRandom } from './analytics-random.js';
import type { RoundsPrivacy } from './gaussian-calibration.js';
import type { Aggregation, SparseContribution } from './secure-sum.js';

export type NoiseMode = 'central' | 'distributed';
export const NOISE_MODES: readonly NoiseMode[] = ['central', 'distributed'];
export type NoiseMechanism = 'central-gaussian' | 'distributed-discrete-gaussian';

export interface DistributedNoisePlan {
  mechanism: 'distributed-discrete-gaussian';
  /** σ_i of each device's share; 0 at ε = ∞. */
  shareSigma: number;
  /** t: the fewest reports for which a sum is revealed (the shares the accounting counts). */
  minReports: number;
  l1Sensitivity: number;
  l2Sensitivity: number;
  /** d: the longest vector a round of the task sums (the accounting grows with it). */
  dimension: number;
  rounds: number;
  /** Budget asked for (ε may be Infinity). */
  epsilon: number;
  delta: number;
  /** ε the accountant gives at σ_i (≤ epsilon); Infinity at ε = ∞. */
  accountedEpsilon: number;
  /** The Rényi order at which the accountant's ε is attained; null at ε = ∞. */
  rdpOrder: number | null;
  accountant: 'distributed discrete Gaussian (Kairouz, Liu & Steinke 2021, Prop. 14), RDP' | 'none (epsilon = Infinity)';
}

export interface DistributedNoiseRequest {
  epsilon: number;
  delta: number;
  rounds: number;
  minReports: number;
  l1Sensitivity: number;
  l2Sensitivity: number;
  /** d: the longest vector a round sums. */
  dimension: number;
}

export function planDistributedNoise(request: DistributedNoiseRequest): DistributedNoisePlan {
  const { epsilon, delta, rounds, minReports, l1Sensitivity, l2Sensitivity, dimension } = request;
  if (!(epsilon > 0) || Number.isNaN(epsilon)) throw new ConfigError(`epsilon must be a number > 0 (or Infinity for no noise), got ${epsilon}`);
  if (!(delta > 0 && delta < 1)) throw new ConfigError(`delta must be in (0, 1), got ${delta}`);
  if (!Number.isInteger(rounds) || rounds < 1) throw new ConfigError(`rounds must be an integer ≥ 1, got ${rounds}`);
  if (!Number.isInteger(minReports) || minReports < 2) {
    throw new ConfigError(`distributed noise needs a minimum number of reports t ≥ 2 below which no sum is revealed (each device adds σ²/t), got ${minReports}`);
  }
  if (!Number.isInteger(dimension) || dimension < 1) throw new ConfigError(`distributed noise: the vector length d must be an integer ≥ 1, got ${dimension}`);
  const base = { mechanism: 'distributed-discrete-gaussian' as const, minReports, l1Sensitivity, l2Sensitivity, dimension, rounds, epsilon, delta };
  if (!Number.isFinite(epsilon)) return { ...base, shareSigma: 0, accountedEpsilon: Infinity, rdpOrder: null, accountant: 'none (epsilon = Infinity)' };
  const shareSigma = distributedDiscreteGaussianShareSigma({ epsilon, delta, rounds, shares: minReports, l1Sensitivity, l2Sensitivity, dimension });
  const accounted = distributedDiscreteGaussianComposedEpsilon({ shareSigma, shares: minReports, l1Sensitivity, l2Sensitivity, dimension }, rounds, delta);
  return { ...base, shareSigma, accountedEpsilon: accounted.epsilon, rdpOrder: accounted.order, accountant: 'distributed discrete Gaussian (Kairouz, Liu & Steinke 2021, Prop. 14), RDP' };
}

/**
 * The noise a release asks for, checked the same way for every analytics release: undefined for
 * central noise (then `minReports` must not be given); for distributed noise, the plan for
 * t = `minReports` shares (default: every one of `devices`), t in [2, devices].
 */
export function planNoiseMode(request: Omit<DistributedNoiseRequest, 'minReports'> & { noise?: NoiseMode; minReports?: number; devices: number }): DistributedNoisePlan | undefined {
  const { noise, minReports, devices, ...plan } = request;
  const mode = noise ?? 'central';
  if (mode !== 'central' && mode !== 'distributed') throw new ConfigError(`noise must be central or distributed, got "${String(mode)}"`);
  if (mode === 'central') {
    if (minReports !== undefined) throw new ConfigError('minReports applies to distributed noise only');
    return undefined;
  }
  const t = minReports ?? devices;
  if (!Number.isInteger(t) || t < 2 || t > devices) throw new ConfigError(`minReports (t) must be an integer in [2, ${devices}] (the number of devices), got ${t}`);
  return planDistributedNoise({ ...plan, minReports: t });
}

/** The central-noise calibration of a release whose noise is distributed: no server noise (σ = 0), the budget as asked. */
export function noCentralNoise(plan: DistributedNoisePlan): RoundsPrivacy {
  return { noiseMultiplier: 0, epsilon: plan.epsilon, delta: plan.delta, rounds: plan.rounds, sampleRate: 1, accountant: 'none (distributed noise)' };
}

/** A plan as JSON output shows it: the accounted ε is null at ε = ∞ (JSON has no infinity). */
export interface DistributedNoiseReport {
  shareSigma: number;
  minReports: number;
  epsilon: number | null;
  delta: number;
  rdpOrder: number | null;
  dimension: number;
  l1Sensitivity: number;
  l2Sensitivity: number;
  rounds: number;
  accountant: string;
}

export function distributedNoiseReport(p: DistributedNoisePlan): DistributedNoiseReport {
  return {
    shareSigma: p.shareSigma,
    minReports: p.minReports,
    epsilon: Number.isFinite(p.accountedEpsilon) ? p.accountedEpsilon : null,
    delta: p.delta,
    rdpOrder: p.rdpOrder,
    dimension: p.dimension,
    l1Sensitivity: p.l1Sensitivity,
    l2Sensitivity: p.l2Sensitivity,
    rounds: p.rounds,
    accountant: p.accountant,
  };
}

/** Std of the noise in a sum of `reports` shares (the discrete Gaussian's exact variance, slightly below σ_i² for small σ_i). */
export function distributedNoiseStd(plan: DistributedNoisePlan, reports: number): number {
  return plan.shareSigma === 0 ? 0 : Math.sqrt(reports * discreteGaussianVariance(plan.shareSigma));
}

const MAX_RING_SUM = 2 ** 31 - 1;

/**
 * The fixed-point range R for noisy integer vectors of `reports` devices: the largest with
 * reports·R ≤ 2³¹ − 1 (so the encoding has 0 fractional bits and the ring sum decodes exactly).
 * A coordinate beyond ±R would be clipped; R must leave room for the largest value plus 40
 * share standard deviations (a discrete Gaussian exceeds 40σ with probability below 10⁻³⁴⁷).
 */
export function distributedNoiseRange(plan: DistributedNoisePlan, valueRange: number, reports: number): number {
  const range = Math.floor(MAX_RING_SUM / Math.max(1, reports));
  const needed = valueRange + 40 * plan.shareSigma + 1;
  if (range < needed) {
    throw new ConfigError(`${reports} noisy reports do not fit the 32-bit secure-aggregation ring (each coordinate needs ±${Math.ceil(needed)}, the ring allows ±${range}); aggregate fewer devices per session`);
  }
  return range;
}

/**
 * Σ of the devices' contributions, each with its own discrete Gaussian share on every
 * coordinate. Plain: the shares are drawn per device and added to the sum (the same numbers
 * as summing the noisy vectors; simulation only). Secure: each device's dense noisy vector goes
 * through the secure-aggregation protocol.
 */
export async function sumWithDistributedNoise(
  contributions: readonly SparseContribution[],
  length: number,
  plan: DistributedNoisePlan,
  random: AnalyticsRandom,
  options: { aggregation: Aggregation; valueRange: number },
): Promise<Float64Array> {
  if (contributions.length < plan.minReports) {
    throw new ConfigError(`only ${contributions.length} reports, below the minimum t = ${plan.minReports} the noise was calibrated for: the sum must not be revealed`);
  }
  for (const c of contributions) {
    for (let i = 0; i < c.indices.length; i++) {
      const index = c.indices[i];
      const v = c.values?.[i] ?? 1;
      if (!Number.isInteger(index) || index < 0 || index >= length) throw new ConfigError(`contribution index ${index} is outside the vector of length ${length}`);
      if (!Number.isInteger(v) || Math.abs(v) > options.valueRange) throw new ConfigError(`distributed noise needs integer contributions within ±${options.valueRange}, got ${v}`);
    }
  }
  if (options.aggregation === 'plain') {
    const sum = new Float64Array(length);
    for (const c of contributions) {
      for (let i = 0; i < c.indices.length; i++) sum[c.indices[i]] += c.values?.[i] ?? 1;
      const share = random.discreteGaussian(length, plan.shareSigma);
      for (let i = 0; i < length; i++) sum[i] += share[i];
    }
    return sum;
  }
  const range = distributedNoiseRange(plan, options.valueRange, contributions.length);
  const inputs = contributions.map((c) => {
    const dense = Float64Array.from(random.discreteGaussian(length, plan.shareSigma));
    for (let i = 0; i < c.indices.length; i++) dense[c.indices[i]] += c.values?.[i] ?? 1;
    return dense;
  });
  const result = await runSecureAggregation({ inputs, range, fractionalBits: 0 });
  return Float64Array.from(result.values);
}

/**
 * A device's label counts clipped to L2 norm ≤ C while staying integers: the largest count is
 * lowered by one (ties broken uniformly at random) until √(Σ counts²) ≤ C. An integer vector
 * with L2 norm ≤ C has L1 norm ≤ C² (each nonzero |x| ≤ x²), which bounds ‖Δ‖₁.
 */
export function integerClippedCounts(counts: ReadonlyMap<number, number>, clipNorm: number, random: AnalyticsRandom): Map<number, number> {
  const out = new Map(counts);
  let squares = [...out.values()].reduce((s, c) => s + c * c, 0);
  while (squares > clipNorm * clipNorm + 1e-9) {
    let top = 0;
    for (const c of out.values()) top = Math.max(top, c);
    const tied = [...out.entries()].filter(([, c]) => c === top).map(([i]) => i);
    const pick = tied[random.int(tied.length)];
    out.set(pick, top - 1);
    if (top - 1 === 0) out.delete(pick);
    squares -= 2 * top - 1;
  }
  return out;
}

/** ‖Δ‖₂ of an integer count vector with L2 norm ≤ C: √⌊C²⌋ (its squared norm is an integer ≤ C²). */
export function integerCountsL2Bound(clipNorm: number): number {
  return Math.sqrt(Math.floor(clipNorm * clipNorm + 1e-9));
}

/** ‖Δ‖₁ of an integer count vector over `bins` with L2 norm ≤ C: min(⌊C²⌋, ⌊√bins·C⌋). */
export function integerCountsL1Bound(clipNorm: number, bins: number): number {
  return Math.max(1, Math.min(Math.floor(clipNorm * clipNorm + 1e-9), Math.floor(Math.sqrt(bins) * clipNorm + 1e-9)));
}
