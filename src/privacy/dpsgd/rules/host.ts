/**
 * Host loops over tensor storage for the rules' memory-bound reductions. On wasm each of
 * them is one pass over the backend's heap, read in place: the weighted row sum c·X of a
 * fresh [B, in·out] per-example gradient makes XNNPACK pack the whole X as a weight matrix
 * (~17 ms for [256, 16384], against ~2 ms here), and sums over a middle axis go through a
 * float64 row-at-a-time loop (~2.5 ns per element). Accumulation is in float64; results are
 * uploaded as new (small) tensors, which are not on any gradient tape (the rules are never
 * differentiated).
 */
import { tf } from '../../../engine/index.js';
import { readValues } from '../../../engine/kernel-io.js';
import { ShapeMismatchError } from '../../../errors.js';

/**
 * A float32 tensor's values without a copy: a view on the wasm heap (invalid once the heap
 * grows, so take it right before use, after the step's allocations) or the cpu backend's
 * own array; other backends get a copy. Read only.
 */
export function tensorValues(t: tf.Tensor): Float32Array {
  if (t.dtype !== 'float32') throw new ShapeMismatchError(`expected a float32 tensor, got ${t.dtype}`);
  const values = readValues(tf.engine().backend, t);
  return values instanceof Float32Array && values.length === t.size ? values : (t.dataSync() as Float32Array);
}

/** The values of c as float64 (a copy: later views of the heap may move). */
function coefficients(c: tf.Tensor1D | Float32Array): Float64Array {
  return Float64Array.from(c instanceof Float32Array ? c : tensorValues(c));
}

/**
 * out[j] += Σᵢ cᵢ·x[rowStart(i) + j] for j < width, over `rows` rows `stride` apart starting
 * at `offset`: four rows per pass, so `out` is read and written a quarter as often.
 */
function addWeightedRows(x: Float32Array, offset: number, stride: number, rows: number, width: number, c: ArrayLike<number>, cStart: number, out: Float64Array): void {
  let i = 0;
  for (; i + 4 <= rows; i += 4) {
    const c0 = c[cStart + i];
    const c1 = c[cStart + i + 1];
    const c2 = c[cStart + i + 2];
    const c3 = c[cStart + i + 3];
    const p0 = offset + i * stride;
    const p1 = p0 + stride;
    const p2 = p1 + stride;
    const p3 = p2 + stride;
    for (let j = 0; j < width; j++) out[j] += c0 * x[p0 + j] + c1 * x[p1 + j] + c2 * x[p2 + j] + c3 * x[p3 + j];
  }
  for (; i < rows; i++) {
    const ci = c[cStart + i];
    const p = offset + i * stride;
    for (let j = 0; j < width; j++) out[j] += ci * x[p + j];
  }
}

/** Σᵢ cᵢ·x[i, :] for c [B] and x [B, N]: [N]. */
export function weightedRowSum(c: tf.Tensor1D | Float32Array, x: tf.Tensor2D): tf.Tensor1D {
  const [B, N] = x.shape;
  const cs = coefficients(c);
  if (cs.length !== B) throw new ShapeMismatchError(`weighted row sum: ${cs.length} coefficients for ${B} rows`);
  const out = new Float64Array(N);
  addWeightedRows(tensorValues(x), 0, N, B, N, cs, 0, out);
  return tf.tensor1d(Float32Array.from(out));
}

/** ‖x[i]‖² over each example's flattened values, x [B, ...]: [B]. */
export function rowSquaredNorms(x: tf.Tensor): tf.Tensor1D {
  const B = x.shape[0];
  const n = B === 0 ? 0 : x.size / B;
  const v = tensorValues(x);
  const out = new Float32Array(B);
  for (let i = 0; i < B; i++) {
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    let p = i * n;
    const end = p + n;
    for (; p + 4 <= end; p += 4) {
      const a = v[p];
      const b = v[p + 1];
      const c = v[p + 2];
      const d = v[p + 3];
      s0 += a * a;
      s1 += b * b;
      s2 += c * c;
      s3 += d * d;
    }
    for (; p < end; p++) s0 += v[p] * v[p];
    out[i] = s0 + s1 + s2 + s3;
  }
  return tf.tensor1d(out);
}

/** Σₜ x[i, t, :] for x [B, T, D] (any middle axes folded into T): [B, D]. Four steps per pass. */
export function sumOverTime(x: tf.Tensor, D: number): tf.Tensor2D {
  const B = x.shape[0];
  const T = B === 0 ? 0 : x.size / (B * D);
  const v = tensorValues(x);
  const out = new Float32Array(B * D);
  const acc = new Float64Array(D);
  for (let i = 0; i < B; i++) {
    acc.fill(0);
    const base = i * T * D;
    let t = 0;
    for (; t + 4 <= T; t += 4) {
      const p0 = base + t * D;
      const p1 = p0 + D;
      const p2 = p1 + D;
      const p3 = p2 + D;
      for (let d = 0; d < D; d++) acc[d] += v[p0 + d] + v[p1 + d] + (v[p2 + d] + v[p3 + d]);
    }
    for (; t < T; t++) {
      const p = base + t * D;
      for (let d = 0; d < D; d++) acc[d] += v[p + d];
    }
    for (let d = 0; d < D; d++) out[i * D + d] = acc[d];
  }
  return tf.tensor2d(out, [B, D]);
}

/** Σₜ x[i, t, :]⊙y[i, t, :] for x, y [B, T, D]: [B, D]. Four steps per pass. */
export function productSumOverTime(x: tf.Tensor, y: tf.Tensor, D: number): tf.Tensor2D {
  if (x.size !== y.size) throw new ShapeMismatchError(`product sum: [${x.shape}] and [${y.shape}] differ in size`);
  const B = x.shape[0];
  const T = B === 0 ? 0 : x.size / (B * D);
  const xv = tensorValues(x);
  const yv = tensorValues(y);
  const out = new Float32Array(B * D);
  const acc = new Float64Array(D);
  for (let i = 0; i < B; i++) {
    acc.fill(0);
    const base = i * T * D;
    let t = 0;
    for (; t + 4 <= T; t += 4) {
      const p0 = base + t * D;
      const p1 = p0 + D;
      const p2 = p1 + D;
      const p3 = p2 + D;
      for (let d = 0; d < D; d++) {
        acc[d] += xv[p0 + d] * yv[p0 + d] + xv[p1 + d] * yv[p1 + d] + (xv[p2 + d] * yv[p2 + d] + xv[p3 + d] * yv[p3 + d]);
      }
    }
    for (; t < T; t++) {
      const p = base + t * D;
      for (let d = 0; d < D; d++) acc[d] += xv[p + d] * yv[p + d];
    }
    for (let d = 0; d < D; d++) out[i * D + d] = acc[d];
  }
  return tf.tensor2d(out, [B, D]);
}
