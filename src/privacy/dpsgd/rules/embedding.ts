/**
 * Embedding tables, z = E[ids] (token and positional embeddings alike).
 *
 * Example i's gradient has one row per distinct id u in its sequence, Σ_{t: idₜ = u} gₜ, so
 *   ‖∇Eᵢ‖² = Σᵤ ‖Σ_{t: idₜ = u} gₜ‖² = Σ_{t,t'} [idₜ = idₜ'] (gₜ·gₜ').
 * Two ways to compute it:
 *  - segments (default): on the host, group each example's positions by id and square-sum
 *    the per-group sums of g rows, O(B·T·D) in one pass over g (an example without repeated
 *    ids is just Σₜ‖gₜ‖²). One read of g beats a scatter-add kernel plus two tensor ops;
 *  - ghost: the Gram matrix g·gᵀ [B, T, T] masked by id equality, O(B·T²·D).
 * Padding ids are ordinary ids: their rows get whatever gradient reaches them (zero when
 * the model masks padding out, as the embedding-bag and transformer classifiers do); rows
 * that are exactly zero are skipped on the host, as they add nothing.
 * The clipped sum scatter-adds the c-scaled rows at their ids (tf.unsortedSegmentSum), or,
 * on the segments path, adds them on the host into the DP step's noise buffer
 * (`addClippedSumTo`), reading the tap gradient in place on the backend's heap.
 */
import { tf } from '../../../engine/index.js';
import { ShapeMismatchError } from '../../../errors.js';
import type { RecordGradients, RuleInput } from './registry.js';
import { tensorValues } from './host.js';

/**
 * For ids [B, T] (row-major), the index of the first position in the same row holding the
 * same id: positions sharing a segment share an embedding row.
 */
export function firstOccurrenceSegments(ids: Int32Array, B: number, T: number, vocabulary: number): Int32Array {
  const segments = new Int32Array(B * T);
  const seenInRow = new Int32Array(vocabulary).fill(-1);
  const firstAt = new Int32Array(vocabulary);
  for (let i = 0; i < B; i++) {
    for (let t = 0; t < T; t++) {
      const k = i * T + t;
      const id = ids[k];
      if (id < 0 || id >= vocabulary) {
        segments[k] = k; // out-of-range ids touch no row; keep them apart
        continue;
      }
      if (seenInRow[id] !== i) {
        seenInRow[id] = i;
        firstAt[id] = k;
      }
      segments[k] = firstAt[id];
    }
  }
  return segments;
}

/**
 * ‖∇Eᵢ‖² per example from host arrays: ids [B·T], g [B·T·D] (accumulated in float64), in
 * one pass over g: a position whose id occurs once in its row adds ‖gₜ‖²; positions sharing
 * an id are summed per id first, except those whose row is exactly zero (padding, which the
 * models mask), as they add nothing. If `nonzero` [B·T] is given, it is set to 1 where gₜ has
 * a nonzero (or non-finite) entry, so the clipped sum can skip the other rows.
 */
export function embeddingSquaredNorms(ids: Int32Array, g: ArrayLike<number>, B: number, T: number, D: number, vocabulary: number, nonzero?: Uint8Array): Float32Array {
  const segments = firstOccurrenceSegments(ids, B, T, vocabulary);
  const norms = new Float32Array(B);
  const squares = new Float64Array(T);
  const members = new Int32Array(T); // nonzero rows per first occurrence
  const startedIn = new Int32Array(T); // row i + 1 once the group sum of a first occurrence is started
  const groups = new Float64Array(T * D);
  for (let i = 0; i < B; i++) {
    const rowStart = i * T;
    members.fill(0);
    for (let t = 0; t < T; t++) {
      let q = 0;
      for (let j = (rowStart + t) * D, end = j + D; j < end; j++) q += g[j] * g[j];
      squares[t] = q;
      const isNonzero = q !== 0; // q = 0 exactly for an all-zero row (squares of float32 never underflow in float64)
      if (isNonzero) members[segments[rowStart + t] - rowStart]++;
      if (nonzero) nonzero[rowStart + t] = isNonzero ? 1 : 0;
    }
    let sum = 0;
    let shared = false;
    for (let t = 0; t < T; t++) {
      const q = squares[t];
      if (q === 0) continue;
      const first = segments[rowStart + t] - rowStart;
      if (members[first] === 1) {
        sum += q;
        continue;
      }
      shared = true;
      let target = first * D;
      let source = (rowStart + t) * D;
      const end = source + D;
      if (startedIn[first] !== i + 1) {
        startedIn[first] = i + 1;
        for (; source < end; source++, target++) groups[target] = g[source];
      } else {
        for (; source < end; source++, target++) groups[target] += g[source];
      }
    }
    if (shared) {
      for (let f = 0; f < T; f++) {
        if (members[f] < 2) continue;
        let q = 0;
        for (let j = f * D, end = j + D; j < end; j++) q += groups[j] * groups[j];
        sum += q;
      }
    }
    norms[i] = sum;
  }
  return norms;
}

export function embeddingRule({ record, a, g, shapes, options }: RuleInput): RecordGradients {
  const weight = record.weight;
  const [vocabulary, dim] = shapes.get(weight)!;
  if (a.rank !== 2 || g.rank !== 3 || g.shape[0] !== a.shape[0] || g.shape[1] !== a.shape[1] || g.shape[2] !== dim) {
    throw new ShapeMismatchError(`embedding "${record.layer}": ids [${a.shape}] and tap gradient [${g.shape}] do not fit table [${vocabulary}, ${dim}]`);
  }
  const [B, T] = a.shape;
  const path = options.embeddingPath ?? 'segments';
  let squared: tf.Tensor1D;
  let hostIds: Int32Array | undefined;
  let nonzeroRows: Uint8Array | undefined;
  if (path === 'ghost') {
    const gram = tf.matMul(g as tf.Tensor3D, g as tf.Tensor3D, false, true); // [B, T, T]
    const same = tf.cast(tf.equal(tf.reshape(a, [B, T, 1]), tf.reshape(a, [B, 1, T])), 'float32');
    squared = tf.sum(tf.reshape(tf.mul(gram, same), [B, T * T]), 1) as tf.Tensor1D;
  } else {
    hostIds = a.dataSync() as Int32Array;
    // g is read in place (no copy of the [B, T, D] tap gradient): views are taken right before use.
    nonzeroRows = new Uint8Array(B * T);
    squared = tf.tensor1d(embeddingSquaredNorms(hostIds, tensorValues(g), B, T, dim, vocabulary, nonzeroRows));
  }
  const result: RecordGradients = {
    layer: record.layer,
    rule: 'embedding',
    path,
    parameters: [weight],
    squaredNorms: new Map([[weight, squared]]),
    clippedSum(c) {
      const scaled = tf.reshape(tf.mul(g, tf.reshape(c, [B, 1, 1])), [B * T, dim]);
      return new Map([[weight, tf.unsortedSegmentSum(scaled, tf.reshape(a, [B * T]) as tf.Tensor1D, vocabulary)]]);
    },
  };
  if (hostIds && nonzeroRows) {
    const ids = hostIds;
    const rows = nonzeroRows;
    result.addClippedSumTo = (c, into) => {
      const table = into.get(weight);
      if (!table || table.length !== vocabulary * dim) throw new ShapeMismatchError(`embedding "${record.layer}": host sum needs a [${vocabulary}·${dim}] buffer for "${weight}"`);
      if (g.isDisposed) throw new ShapeMismatchError(`embedding "${record.layer}": the tap gradient was released before the host clipped sum`);
      addScaledRows(ids, tensorValues(g), rows, c, B, T, dim, vocabulary, table);
    };
  }
  return result;
}

/**
 * table[idₖ] += c_{k/T} · g_k for every position k whose row is nonzero (ids outside the
 * table touch no row, as in the scatter; a zero row would add zeros).
 */
function addScaledRows(ids: Int32Array, g: Float32Array, nonzero: Uint8Array, c: Float32Array, B: number, T: number, D: number, vocabulary: number, table: Float32Array): void {
  for (let i = 0; i < B; i++) {
    const ci = c[i];
    if (ci === 0) continue;
    for (let t = 0; t < T; t++) {
      const k = i * T + t;
      const id = ids[k];
      if (nonzero[k] === 0 || id < 0 || id >= vocabulary) continue;
      let target = id * D;
      for (let source = k * D, end = source + D; source < end; source++, target++) table[target] += ci * g[source];
    }
  }
}
