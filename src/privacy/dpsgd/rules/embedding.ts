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
 * the model masks padding out, as the embedding-bag and transformer classifiers do).
 * The clipped sum scatter-adds the c-scaled rows at their ids (tf.unsortedSegmentSum).
 */
import { tf } from '../../../engine/index.js';
import { ShapeMismatchError } from '../../../errors.js';
import type { RecordGradients, RuleInput } from './registry.js';

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

/** ‖∇Eᵢ‖² per example from host arrays: ids [B·T], g [B·T·D] (accumulated in float64). */
export function embeddingSquaredNorms(ids: Int32Array, g: ArrayLike<number>, B: number, T: number, D: number, vocabulary: number): Float32Array {
  const segments = firstOccurrenceSegments(ids, B, T, vocabulary);
  const norms = new Float32Array(B);
  const groups = new Float64Array(T * D);
  for (let i = 0; i < B; i++) {
    const rowStart = i * T;
    let repeated = false;
    for (let t = 0; t < T; t++) {
      if (segments[rowStart + t] !== rowStart + t) {
        repeated = true;
        break;
      }
    }
    let sum = 0;
    if (!repeated) {
      const end = (rowStart + T) * D;
      for (let j = rowStart * D; j < end; j++) sum += g[j] * g[j];
    } else {
      groups.fill(0);
      for (let t = 0; t < T; t++) {
        const target = (segments[rowStart + t] - rowStart) * D;
        const source = (rowStart + t) * D;
        for (let d = 0; d < D; d++) groups[target + d] += g[source + d];
      }
      for (let j = 0; j < T * D; j++) sum += groups[j] * groups[j];
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
  let hostG: Float32Array | undefined;
  if (path === 'ghost') {
    const gram = tf.matMul(g as tf.Tensor3D, g as tf.Tensor3D, false, true); // [B, T, T]
    const same = tf.cast(tf.equal(tf.reshape(a, [B, T, 1]), tf.reshape(a, [B, 1, T])), 'float32');
    squared = tf.sum(tf.reshape(tf.mul(gram, same), [B, T * T]), 1) as tf.Tensor1D;
  } else {
    hostIds = a.dataSync() as Int32Array;
    hostG = g.dataSync() as Float32Array;
    squared = tf.tensor1d(embeddingSquaredNorms(hostIds, hostG, B, T, dim, vocabulary));
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
  if (hostIds && hostG) {
    const ids = hostIds;
    const rows = hostG;
    result.addClippedSumTo = (c, into) => {
      const table = into.get(weight);
      if (!table || table.length !== vocabulary * dim) throw new ShapeMismatchError(`embedding "${record.layer}": host sum needs a [${vocabulary}·${dim}] buffer for "${weight}"`);
      addScaledRows(ids, rows, c, B, T, dim, vocabulary, table);
    };
  }
  return result;
}

/** table[idₖ] += c_{k/T} · g_k for every position k (ids outside the table touch no row, as in the scatter). */
function addScaledRows(ids: Int32Array, g: Float32Array, c: Float32Array, B: number, T: number, D: number, vocabulary: number, table: Float32Array): void {
  for (let i = 0; i < B; i++) {
    const ci = c[i];
    if (ci === 0) continue;
    for (let t = 0; t < T; t++) {
      const k = i * T + t;
      const id = ids[k];
      if (id < 0 || id >= vocabulary) continue;
      const target = id * D;
      const source = k * D;
      for (let d = 0; d < D; d++) table[target + d] += ci * g[source + d];
    }
  }
}
