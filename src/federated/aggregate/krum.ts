/**
 * Krum and Multi-Krum (Blanchard, El Mhamdi, Guerraoui & Stainer 2017, "Machine learning
 * with adversaries: Byzantine tolerant gradient descent", NeurIPS).
 *
 * With n updates of which at most f are Byzantine, each update i gets the score
 *   s(i) = Σ_{j ∈ N(i)} ‖uᵢ − uⱼ‖²,
 * where N(i) are the n − f − 2 updates closest to uᵢ (excluding i itself). Krum returns the
 * update with the smallest score; Multi-Krum averages the m updates with the smallest
 * scores. The paper's guarantee needs n > 2f + 2, which is enforced.
 *
 * Cost: all n(n−1)/2 pairwise distances, O(n²·d), computed over coordinate blocks so the
 * n blocks in flight stay in cache. Ties in score go to the lower index.
 */
import { ConfigError } from '../../errors.js';
import { cloneParameters, firstNonFinite, type ParameterSet } from './parameters.js';
import { assertUpdateList, throwNonFinite } from './update-list.js';
import { weightedMean } from './weighted-mean.js';

/** Coordinates per block of the pairwise-distance pass. */
const DISTANCE_BLOCK = 4096;

/**
 * Pairwise squared Euclidean distances as an n×n row-major Float64Array (symmetric, zero
 * diagonal). Throws `NonFiniteError` naming the update if any value is NaN/±Infinity.
 */
export function pairwiseSquaredDistances(updates: readonly ParameterSet[], aggregator = 'pairwiseSquaredDistances'): Float64Array {
  assertUpdateList(updates, aggregator);
  const n = updates.length;
  const dist = new Float64Array(n * n);
  const tensors = updates[0].arrays.length;
  for (let t = 0; t < tensors; t++) {
    const d = updates[0].arrays[t].length;
    for (let start = 0; start < d; start += DISTANCE_BLOCK) {
      const end = Math.min(d, start + DISTANCE_BLOCK);
      for (let i = 0; i < n; i++) {
        const a = updates[i].arrays[t];
        for (let j = i + 1; j < n; j++) {
          const b = updates[j].arrays[t];
          let s = 0;
          for (let c = start; c < end; c++) {
            const diff = a[c] - b[c];
            s += diff * diff;
          }
          dist[i * n + j] += s;
        }
      }
    }
  }
  let probe = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      dist[j * n + i] = dist[i * n + j];
      probe += dist[i * n + j] * 0;
    }
  }
  if (probe !== 0) {
    // a NaN/Infinity somewhere (or an overflow of a finite distance): name the first culprit
    for (let i = 0; i < n; i++) {
      const bad = firstNonFinite(updates[i]);
      if (bad) throwNonFinite(aggregator, i, bad.tensor, bad.index, bad.value);
    }
  }
  return dist;
}

function assertKrumArguments(n: number, f: number, aggregator: string): void {
  if (!Number.isInteger(f) || f < 0) {
    throw new ConfigError(`${aggregator}: f (the number of Byzantine clients tolerated) must be an integer ≥ 0, got ${f}`);
  }
  if (!(n > 2 * f + 2)) {
    throw new ConfigError(
      `${aggregator}: needs n > 2f + 2 updates, got n = ${n} with f = ${f} (use at least ${2 * f + 3} updates or a smaller f)`,
    );
  }
}

/**
 * Krum score of every update: the sum of squared distances to its n − f − 2 nearest other
 * updates. Requires n > 2f + 2 (`ConfigError` otherwise).
 */
export function krumScores(updates: readonly ParameterSet[], f: number): Float64Array {
  assertUpdateList(updates, 'krum');
  const n = updates.length;
  assertKrumArguments(n, f, 'krum');
  const dist = pairwiseSquaredDistances(updates, 'krum');
  const neighbours = n - f - 2;
  const scores = new Float64Array(n);
  const row = new Float64Array(n - 1);
  for (let i = 0; i < n; i++) {
    let k = 0;
    for (let j = 0; j < n; j++) if (j !== i) row[k++] = dist[i * n + j];
    row.sort();
    let s = 0;
    for (let r = 0; r < neighbours; r++) s += row[r];
    scores[i] = s;
  }
  return scores;
}

/** Indices of the m updates with the lowest Krum scores, best first (ties: lower index first). */
export function multiKrumSelection(updates: readonly ParameterSet[], f: number, m: number): number[] {
  const scores = krumScores(updates, f);
  const n = updates.length;
  if (!Number.isInteger(m) || m < 1 || m > n) {
    throw new ConfigError(`multiKrum: m (updates to keep) must be an integer in [1, ${n}], got ${m}`);
  }
  const order = Array.from({ length: n }, (_, i) => i);
  order.sort((a, b) => scores[a] - scores[b] || a - b);
  return order.slice(0, m);
}

/** Krum: a copy of the single update with the lowest score. Requires n > 2f + 2. */
export function krum(updates: readonly ParameterSet[], f: number): ParameterSet {
  const [best] = multiKrumSelection(updates, f, 1);
  return cloneParameters(updates[best]);
}

/**
 * Multi-Krum: the mean of the m updates with the lowest Krum scores (scores computed once,
 * as in Blanchard et al.). With `weights` (e.g. example counts, as Flower does) the mean of
 * the selected updates is weighted; by default it is unweighted. m = 1 is Krum; m = n is
 * the plain (or weighted) mean.
 */
export function multiKrum(updates: readonly ParameterSet[], f: number, m: number, weights?: readonly number[]): ParameterSet {
  if (weights !== undefined && (!Array.isArray(weights) || weights.length !== updates.length)) {
    throw new ConfigError(`multiKrum: got ${weights?.length} weights for ${updates.length} updates`);
  }
  const selected = multiKrumSelection(updates, f, m);
  return weightedMean(
    selected.map((i) => updates[i]),
    selected.map((i) => (weights ? weights[i] : 1)),
  );
}
