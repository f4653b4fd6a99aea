/**
 * Percentile bootstrap confidence intervals (Efron): resample the examples with replacement,
 * recompute the statistic, and take the α/2 and 1−α/2 quantiles of the replicates (linear
 * interpolation between order statistics, i.e. numpy's default / R's type 7).
 *
 * Statistics receive resampled *indices*, so paired data (yTrue with yPred, scores with labels,
 * groups) stay aligned. The stratified variant resamples within each stratum and keeps the
 * stratum sizes fixed, so a rare group (or class) can never vanish from a replicate.
 *
 * A replicate whose statistic is not finite (e.g. a TPR with no positives drawn) is not used for
 * the interval; how many were dropped is reported, and if none is usable that is an error.
 */
import type { SeededRandom } from '../engine/random.js';
import { ConfigError, NonFiniteError } from '../errors.js';
import type { Label } from './input-checks.js';

export interface BootstrapOptions {
  /** Number of bootstrap replicates (default 1000). */
  resamples?: number;
  /** Two-sided confidence level (default 0.95). */
  confidence?: number;
  /** Seeded generator: the same seed gives the same interval. */
  rng: SeededRandom;
}

export interface ConfidenceInterval {
  /** The statistic on the full data. */
  estimate: number;
  low: number;
  high: number;
}

export interface BootstrapInterval extends ConfidenceInterval {
  confidence: number;
  resamples: number;
  /** Replicates whose statistic was NaN or infinite, left out of the interval. */
  invalidResamples: number;
}

export function checkBootstrapOptions(what: string, options: BootstrapOptions): { resamples: number; confidence: number } {
  const resamples = options.resamples ?? 1000;
  const confidence = options.confidence ?? 0.95;
  if (!Number.isInteger(resamples) || resamples < 1) {
    throw new ConfigError(`${what}: resamples must be a positive integer, got ${resamples}`);
  }
  if (!(confidence > 0 && confidence < 1)) {
    throw new ConfigError(`${what}: confidence must be in (0, 1), e.g. 0.95; got ${confidence}`);
  }
  if (!options.rng || typeof options.rng.next !== 'function') {
    throw new ConfigError(`${what}: options.rng must be a SeededRandom (e.g. new SeededRandom(seed))`);
  }
  return { resamples, confidence };
}

/** Quantile q of ascending-sorted values, linear interpolation between order statistics. */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const position = (sorted.length - 1) * q;
  const below = Math.floor(position);
  const above = Math.min(below + 1, sorted.length - 1);
  const fraction = position - below;
  return sorted[below] + (sorted[above] - sorted[below]) * fraction;
}

/** [α/2, 1−α/2] quantiles of finite replicate values; non-finite ones are counted, not used. */
export function percentileInterval(
  what: string,
  replicates: ArrayLike<number>,
  confidence: number,
): { low: number; high: number; invalid: number } {
  const finite: number[] = [];
  for (let i = 0; i < replicates.length; i++) if (Number.isFinite(replicates[i])) finite.push(replicates[i]);
  if (finite.length === 0) {
    throw new NonFiniteError(
      `${what}: all ${replicates.length} bootstrap replicates gave a non-finite statistic ` +
        `(e.g. a rate with an empty denominator); use a stratified bootstrap or more data`,
    );
  }
  finite.sort((a, b) => a - b);
  const alpha = 1 - confidence;
  return {
    low: quantileSorted(finite, alpha / 2),
    high: quantileSorted(finite, 1 - alpha / 2),
    invalid: replicates.length - finite.length,
  };
}

/** Mean of values, or of values[indices] (pass a bootstrap's resampled indices). */
export function mean(values: ArrayLike<number>, indices?: ArrayLike<number>): number {
  const n = indices ? indices.length : values.length;
  let total = 0;
  for (let k = 0; k < n; k++) total += values[indices ? indices[k] : k];
  return total / n;
}

/** n indices drawn uniformly with replacement from 0..n-1. */
export function resampleIndices(n: number, rng: SeededRandom): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.int(n);
  return out;
}

/** Groups positions by stratum label, in first-seen order. */
export function strataPositions(strata: ArrayLike<Label>): Int32Array[] {
  const groups = new Map<Label, number[]>();
  for (let i = 0; i < strata.length; i++) {
    const list = groups.get(strata[i]);
    if (list) list.push(i);
    else groups.set(strata[i], [i]);
  }
  return [...groups.values()].map((list) => Int32Array.from(list));
}

/** Resamples with replacement inside each stratum; stratum sizes are kept. */
export function resampleWithinStrata(strata: Int32Array[], total: number, rng: SeededRandom): Int32Array {
  const out = new Int32Array(total);
  let k = 0;
  for (const members of strata) {
    for (let i = 0; i < members.length; i++) out[k++] = members[rng.int(members.length)];
  }
  return out;
}

function identity(n: number): Int32Array {
  return Int32Array.from({ length: n }, (_, i) => i);
}

function runBootstrap(
  what: string,
  statistic: (indices: Int32Array) => number,
  n: number,
  draw: () => Int32Array,
  options: BootstrapOptions,
): BootstrapInterval {
  const { resamples, confidence } = checkBootstrapOptions(what, options);
  if (!Number.isInteger(n) || n < 1) throw new ConfigError(`${what}: the data must have at least one example, got n=${n}`);
  const estimate = statistic(identity(n));
  const replicates = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) replicates[r] = statistic(draw());
  const { low, high, invalid } = percentileInterval(what, replicates, confidence);
  return { estimate, low, high, confidence, resamples, invalidResamples: invalid };
}

/**
 * Percentile bootstrap CI of `statistic` over n examples. The statistic gets the resampled
 * indices (the identity 0..n-1 for the estimate), so it can index any number of aligned arrays.
 */
export function bootstrapCI(statistic: (indices: Int32Array) => number, n: number, options: BootstrapOptions): BootstrapInterval {
  return runBootstrap('bootstrapCI', statistic, n, () => resampleIndices(n, options.rng), options);
}

/** bootstrapCI for a statistic of one array of observations. */
export function bootstrapSampleCI<T>(
  statistic: (sample: T[]) => number,
  data: readonly T[],
  options: BootstrapOptions,
): BootstrapInterval {
  return bootstrapCI((indices) => statistic(Array.from(indices, (i) => data[i])), data.length, options);
}

/** bootstrapCI resampling within strata (e.g. sensitive groups or classes), keeping their sizes. */
export function stratifiedBootstrapCI(
  statistic: (indices: Int32Array) => number,
  strata: ArrayLike<Label>,
  options: BootstrapOptions,
): BootstrapInterval {
  const groups = strataPositions(strata);
  return runBootstrap(
    'stratifiedBootstrapCI',
    statistic,
    strata.length,
    () => resampleWithinStrata(groups, strata.length, options.rng),
    options,
  );
}
