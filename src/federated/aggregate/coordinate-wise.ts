/**
 * Coordinate-wise robust aggregators (Yin et al. 2018, "Byzantine-robust distributed
 * learning: towards optimal statistical rates"): the median and the β-trimmed mean of the
 * n client values at each coordinate.
 *
 * Work goes block by block: a block of B coordinates from all n updates is copied into one
 * Float64 scratch buffer (n·B·8 bytes, about 1 MB by default), and each coordinate's n
 * values are reduced by quickselect (expected O(n)) rather than a full sort.
 */
import { ConfigError } from '../../errors.js';
import type { ParameterSet } from './parameters.js';
import { assertUpdateList, throwNonFinite } from './update-list.js';

export interface CoordinateWiseOptions {
  /** Coordinates per block; default ⌊131072 / n⌋ (≈ 1 MB of scratch), at least 1. */
  blockSize?: number;
}

/**
 * Rearranges a[lo..hi] so that a[k] holds the value that would be there after sorting,
 * with everything left of k ≤ a[k] ≤ everything right of k (Hoare partition, median of 3).
 */
export function selectInPlace(a: Float64Array, lo: number, hi: number, k: number): void {
  while (hi > lo) {
    const mid = (lo + hi) >>> 1;
    // median of three as pivot: sorts a[lo], a[mid], a[hi]
    if (a[mid] < a[lo]) swap(a, mid, lo);
    if (a[hi] < a[lo]) swap(a, hi, lo);
    if (a[hi] < a[mid]) swap(a, hi, mid);
    const pivot = a[mid];
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        swap(a, i, j);
        i++;
        j--;
      }
    }
    // now a[lo..j] ≤ pivot ≤ a[i..hi], and a[j+1..i-1] == pivot
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return;
  }
}

function swap(a: Float64Array, i: number, j: number): void {
  const t = a[i];
  a[i] = a[j];
  a[j] = t;
}

/**
 * Runs `reduce(values, offset, n)` for every coordinate, where values[offset..offset+n) are
 * that coordinate's n client values (reorderable scratch), and writes its result.
 */
function reduceCoordinates(
  updates: readonly ParameterSet[],
  aggregator: string,
  options: CoordinateWiseOptions,
  reduce: (values: Float64Array, offset: number, n: number) => number,
): ParameterSet {
  const n = updates.length;
  const block = options.blockSize ?? Math.max(1, Math.floor(131072 / n));
  if (!Number.isInteger(block) || block < 1) {
    throw new ConfigError(`${aggregator}: blockSize must be a positive integer, got ${options.blockSize}`);
  }
  const first = updates[0];
  const longest = first.arrays.reduce((m, a) => Math.max(m, a.length), 1);
  const scratch = new Float64Array(n * Math.min(block, longest));
  const arrays = first.arrays.map((template, t) => {
    const d = template.length;
    const out = new Float32Array(d);
    for (let start = 0; start < d; start += block) {
      const width = Math.min(block, d - start);
      // transpose the block: coordinate c's n values become contiguous at c·n
      for (let i = 0; i < n; i++) {
        const a = updates[i].arrays[t];
        for (let c = 0; c < width; c++) {
          const v = a[start + c];
          if (v - v !== 0) throwNonFinite(aggregator, i, first.names[t], start + c, v);
          scratch[c * n + i] = v;
        }
      }
      for (let c = 0; c < width; c++) out[start + c] = reduce(scratch, c * n, n);
    }
    return out;
  });
  return { names: first.names.slice(), arrays };
}

/** Median of values[offset..offset+n): the middle value, or the mean of the two middle values for even n. */
function medianAt(values: Float64Array, offset: number, n: number): number {
  const hi = offset + n - 1;
  const upper = offset + (n >>> 1);
  selectInPlace(values, offset, hi, upper);
  if (n % 2 === 1) return values[upper];
  // the lower middle is the maximum of the part left of `upper`
  let lowerMiddle = values[offset];
  for (let i = offset + 1; i < upper; i++) if (values[i] > lowerMiddle) lowerMiddle = values[i];
  return (lowerMiddle + values[upper]) / 2;
}

/**
 * Coordinate-wise median. For an even number of updates each coordinate takes the mean of
 * its two middle values (as numpy.median and Flower's `aggregate_median` do).
 */
export function coordinateMedian(updates: readonly ParameterSet[], options: CoordinateWiseOptions = {}): ParameterSet {
  assertUpdateList(updates, 'coordinateMedian');
  return reduceCoordinates(updates, 'coordinateMedian', options, medianAt);
}

/**
 * Coordinate-wise β-trimmed mean: at each coordinate drop the k = ⌊β·n⌋ smallest and the k
 * largest of the n values and average the remaining n − 2k (the convention of
 * scipy.stats.trim_mean, which Flower's `aggregate_trimmed_avg` uses). β ∈ [0, 0.5);
 * β = 0 is the plain mean.
 */
export function trimmedMean(updates: readonly ParameterSet[], beta: number, options: CoordinateWiseOptions = {}): ParameterSet {
  assertUpdateList(updates, 'trimmedMean');
  if (typeof beta !== 'number' || !(beta >= 0 && beta < 0.5)) {
    throw new ConfigError(`trimmedMean: beta must be in [0, 0.5), got ${beta} (the fraction trimmed from each end)`);
  }
  const n = updates.length;
  const k = Math.floor(beta * n);
  const kept = n - 2 * k;
  return reduceCoordinates(updates, 'trimmedMean', options, (values, offset, count) => {
    const hi = offset + count - 1;
    if (k > 0) {
      selectInPlace(values, offset, hi, offset + k); // k smallest now left of offset + k
      selectInPlace(values, offset + k, hi, offset + count - k - 1); // k largest now right of it
    }
    let sum = 0;
    for (let i = offset + k; i < offset + count - k; i++) sum += values[i];
    return sum / kept;
  });
}

/** How many values `trimmedMean` drops from each end for n updates and fraction β. */
export function trimmedCount(n: number, beta: number): number {
  return Math.floor(beta * n);
}

/**
 * Coordinate-wise mean around the median ("MeaMed", Xie, Koyejo & Gupta 2018, "Generalized
 * Byzantine-tolerant SGD"): at each coordinate, the mean of the n − b values nearest to the
 * coordinate's median, b = ⌊β·n⌋. Unlike the β-trimmed mean, which drops b values from each end
 * whatever they are, it drops the b values farthest from the median, wherever they lie: when
 * the b outliers sit on one side, the trimmed mean also drops b honest values on the other side
 * and the result leans towards the outliers; the mean around the median keeps those honest
 * values. The n − b nearest values are contiguous in sorted order: the window of n − b sorted
 * values with the smallest largest distance to the median (the lowest such window on a tie).
 * β ∈ [0, 0.5); β = 0 is the plain mean.
 */
export function meanAroundMedian(updates: readonly ParameterSet[], beta: number, options: CoordinateWiseOptions = {}): ParameterSet {
  assertUpdateList(updates, 'meanAroundMedian');
  if (typeof beta !== 'number' || !(beta >= 0 && beta < 0.5)) {
    throw new ConfigError(`meanAroundMedian: beta must be in [0, 0.5), got ${beta} (the fraction of values dropped, farthest from the median)`);
  }
  const n = updates.length;
  const dropped = Math.floor(beta * n);
  const kept = n - dropped;
  return reduceCoordinates(updates, 'meanAroundMedian', options, (values, offset, count) => {
    const sorted = values.subarray(offset, offset + count).sort();
    const half = count >>> 1;
    const median = count % 2 === 1 ? sorted[half] : (sorted[half - 1] + sorted[half]) / 2;
    let best = 0;
    let bestReach = Infinity;
    for (let start = 0; start <= dropped; start++) {
      const reach = Math.max(median - sorted[start], sorted[start + kept - 1] - median);
      if (reach < bestReach) {
        bestReach = reach;
        best = start;
      }
    }
    let sum = 0;
    for (let i = best; i < best + kept; i++) sum += sorted[i];
    return sum / kept;
  });
}
