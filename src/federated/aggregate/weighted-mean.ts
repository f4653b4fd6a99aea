/**
 * Weighted mean and weighted sum of client updates (FedAvg's aggregation).
 *
 * Accumulation is in Float64 per coordinate: summing up to millions of float32 values in
 * double keeps the rounding error (≈ n·2⁻⁵³ relative) far below float32's resolution
 * (2⁻²⁴), so compensated (Kahan) summation would buy nothing. Memory is one Float64Array
 * per tensor (8 bytes per parameter), never n × d: updates are consumed one at a time.
 */
import { ConfigError, NonFiniteError } from '../../errors.js';
import type { ParameterSet } from './parameters.js';
import { assertMatchesLayout, layoutOf, type ParameterLayout } from './parameters.js';
import { assertAggregationWeights, assertUpdateList, throwNonFinite } from './update-list.js';

/** Index of the first non-finite value of `a`, or −1. One cheap read pass. */
function firstNonFiniteIndex(a: Float32Array): number {
  // Four partial sums let the loop pipeline. A sum of finite float32 values cannot overflow
  // a double, so a non-finite sum means a non-finite input; only then pay for the search.
  let p0 = 0;
  let p1 = 0;
  let p2 = 0;
  let p3 = 0;
  const n = a.length;
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    p0 += a[j];
    p1 += a[j + 1];
    p2 += a[j + 2];
    p3 += a[j + 3];
  }
  for (; j < n; j++) p0 += a[j];
  if (Number.isFinite(p0 + p1 + p2 + p3)) return -1;
  for (let k = 0; k < n; k++) if (!Number.isFinite(a[k])) return k;
  return -1;
}

/**
 * Streams updates into Σ wᵢ·uᵢ. Feed updates as they arrive (`add`), then read `mean()`
 * (divided by Σ wᵢ) or `sum()` (undivided, for importance-weighted pseudo-gradients).
 * An update with weight 0 is skipped entirely (so it may not even be finite).
 */
export class WeightedSumAccumulator {
  private readonly layout: ParameterLayout;
  private readonly sums: Float64Array[];
  private total = 0;
  private added = 0;
  private readonly aggregator: string;

  constructor(layout: ParameterSet, aggregator = 'WeightedSumAccumulator') {
    this.layout = layoutOf(layout);
    this.sums = layout.arrays.map((a) => new Float64Array(a.length));
    this.aggregator = aggregator;
  }

  /** Number of updates added so far (including weight-0 ones). */
  get count(): number {
    return this.added;
  }

  /** Σ wᵢ so far. */
  get totalWeight(): number {
    return this.total;
  }

  /**
   * Adds weight · update. Throws before changing anything when the layout differs, the
   * weight is negative or non-finite, or the update holds a NaN/±Infinity.
   */
  add(update: ParameterSet, weight: number): void {
    const index = this.added;
    assertMatchesLayout(this.layout, update, `${this.aggregator}: update ${index}`);
    if (typeof weight !== 'number' || !Number.isFinite(weight) || weight < 0) {
      throw new ConfigError(`${this.aggregator}: weight of update ${index} is ${weight}; weights must be finite and ≥ 0`);
    }
    this.added++;
    if (weight === 0) return;
    for (let t = 0; t < update.arrays.length; t++) {
      const bad = firstNonFiniteIndex(update.arrays[t]);
      if (bad >= 0) {
        this.added--;
        throwNonFinite(this.aggregator, index, update.names[t], bad, update.arrays[t][bad]);
      }
    }
    for (let t = 0; t < update.arrays.length; t++) {
      const acc = this.sums[t];
      const a = update.arrays[t];
      for (let j = 0; j < acc.length; j++) acc[j] += weight * a[j];
    }
    this.total += weight;
  }

  /** Σ wᵢ·uᵢ as float32 (not divided by the total weight). */
  sum(): ParameterSet {
    return this.finish(1);
  }

  /** Σ wᵢ·uᵢ / Σ wᵢ as float32. Throws `ConfigError` while the total weight is 0. */
  mean(): ParameterSet {
    if (!(this.total > 0)) {
      throw new ConfigError(
        `${this.aggregator}: total weight is ${this.total} after ${this.added} updates; at least one update needs a weight > 0`,
      );
    }
    return this.finish(1 / this.total);
  }

  private finish(scale: number): ParameterSet {
    const arrays = this.sums.map((acc) => {
      const { out, finite } = scaledToFloat32(acc, scale);
      if (!finite) {
        throw new NonFiniteError(
          `${this.aggregator}: the weighted sum overflowed although every update was finite; the weights are too large, normalise them`,
        );
      }
      return out;
    });
    return { names: this.layout.names.slice(), arrays };
  }
}

/** acc·scale as float32, and whether every value stayed finite (float32 overflow included). */
function scaledToFloat32(acc: Float64Array, scale: number): { out: Float32Array; finite: boolean } {
  const out = new Float32Array(acc.length);
  let probe = 0;
  for (let j = 0; j < acc.length; j++) {
    out[j] = acc[j] * scale;
    // x·0 is 0 for finite x and NaN otherwise, so probe stays 0 exactly when all are finite.
    probe += out[j] * 0;
  }
  return { out, finite: probe === 0 };
}

/**
 * Σ wᵢ·uᵢ into Float64 accumulators, four updates per pass over the accumulator (fewer
 * loads and stores of the 8-byte sums than one update at a time). Finiteness is checked
 * once on the sums, not per input: a NaN/±Infinity in any weighted input makes its sum
 * non-finite, and only then are the inputs searched for the culprit.
 */
function accumulate(updates: readonly ParameterSet[], weights: readonly number[], aggregator: string): Float64Array[] {
  const live: number[] = [];
  for (let i = 0; i < updates.length; i++) if (weights[i] !== 0) live.push(i);
  const sums = updates[0].arrays.map((a) => new Float64Array(a.length));
  for (let t = 0; t < sums.length; t++) {
    const acc = sums[t];
    const d = acc.length;
    let g = 0;
    for (; g + 4 <= live.length; g += 4) {
      const a0 = updates[live[g]].arrays[t];
      const a1 = updates[live[g + 1]].arrays[t];
      const a2 = updates[live[g + 2]].arrays[t];
      const a3 = updates[live[g + 3]].arrays[t];
      const w0 = weights[live[g]];
      const w1 = weights[live[g + 1]];
      const w2 = weights[live[g + 2]];
      const w3 = weights[live[g + 3]];
      for (let j = 0; j < d; j++) acc[j] += w0 * a0[j] + w1 * a1[j] + w2 * a2[j] + w3 * a3[j];
    }
    for (; g < live.length; g++) {
      const a = updates[live[g]].arrays[t];
      const w = weights[live[g]];
      for (let j = 0; j < d; j++) acc[j] += w * a[j];
    }
  }
  return sums;
}

/**
 * Converts the sums to float32 times `scale`, checking that every value is finite; on a
 * non-finite value, names the offending update (or reports an overflow from huge weights).
 */
function finishSums(
  sums: Float64Array[],
  scale: number,
  updates: readonly ParameterSet[],
  weights: readonly number[],
  aggregator: string,
): ParameterSet {
  const arrays = sums.map((acc) => {
    const { out, finite } = scaledToFloat32(acc, scale);
    if (!finite) {
      for (let i = 0; i < updates.length; i++) {
        if (weights[i] === 0) continue;
        const u = updates[i];
        for (let t = 0; t < u.arrays.length; t++) {
          const bad = firstNonFiniteIndex(u.arrays[t]);
          if (bad >= 0) throwNonFinite(aggregator, i, u.names[t], bad, u.arrays[t][bad]);
        }
      }
      throw new NonFiniteError(
        `${aggregator}: the weighted sum overflowed although every update is finite; the weights (max ${Math.max(...weights)}) are too large, normalise them`,
      );
    }
    return out;
  });
  return { names: updates[0].names.slice(), arrays };
}

/**
 * Σᵢ wᵢ·uᵢ / Σᵢ wᵢ, coordinate by coordinate (FedAvg with wᵢ = nᵢ, the client's number of
 * examples). Weights must be finite, ≥ 0, and sum to > 0 (`ConfigError` otherwise);
 * updates with weight 0 are skipped.
 */
export function weightedMean(updates: readonly ParameterSet[], weights: readonly number[]): ParameterSet {
  assertUpdateList(updates, 'weightedMean');
  const total = assertAggregationWeights(weights, updates.length, 'weightedMean');
  const sums = accumulate(updates, weights, 'weightedMean');
  return finishSums(sums, 1 / total, updates, weights, 'weightedMean');
}

/**
 * Σᵢ wᵢ·uᵢ without dividing by Σ wᵢ: the estimator to use with importance weights that sum
 * to 1 only in expectation (see selection/activity-sampler). Weights must be finite and ≥ 0
 * with a positive sum.
 */
export function weightedSum(updates: readonly ParameterSet[], weights: readonly number[]): ParameterSet {
  assertUpdateList(updates, 'weightedSum');
  assertAggregationWeights(weights, updates.length, 'weightedSum');
  const sums = accumulate(updates, weights, 'weightedSum');
  return finishSums(sums, 1, updates, weights, 'weightedSum');
}

/** Unweighted mean (every update weight 1). */
export function plainMean(updates: readonly ParameterSet[]): ParameterSet {
  return weightedMean(updates, updates.map(() => 1));
}
