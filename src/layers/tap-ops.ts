/**
 * The products through which layers touch their parameters, so one forward pass serves
 * inference and per-example gradients. A layer written against `TapOps` (trustnlu's own
 * tfjs layers here, and the tfjs built-ins walked by models/layers-model) computes with
 * `PLAIN_OPS` in its ordinary `call`; the per-example pass hands it ops that compute the
 * same products and also record (input, output) as a tap for privacy/dpsgd's rules
 * (DESIGN.md §3): a dense product is a 'dense' record, a lookup an 'embedding' record, a
 * scale-and-shift a 'layernorm' record.
 *
 * Browser-safe: imports tfjs only (the user's own copy, a peer dependency).
 */
import * as tf from '@tensorflow/tfjs';

/** A weight seen as the matrix `shape` (row-major), optionally only columns [start, end) of it. */
export interface DenseView {
  shape: [number, number];
  columns?: [number, number];
}

export interface TapOps {
  /** x·W + b over the last axis of x ([B, in] or [B, ..., in]); W is the kernel, or `view` of it. */
  dense(label: string, x: tf.Tensor, kernel: tf.LayerVariable, bias?: tf.LayerVariable | null, view?: DenseView): tf.Tensor;
  /**
   * The same product applied at each step of a recurrence with one weight: returns a
   * function for one step (all steps of one call form one record).
   */
  denseSteps(label: string, kernel: tf.LayerVariable, bias?: tf.LayerVariable | null, view?: DenseView): (x: tf.Tensor) => tf.Tensor;
  /** Rows of `table` at int32 ids [B, ...]: [B, ..., dim]. */
  embedding(label: string, ids: tf.Tensor, table: tf.LayerVariable): tf.Tensor;
  /** γ ⊙ x̂ + β over the last axis, for an already normalised x̂ (layer normalisation). */
  scaleShift(label: string, normalized: tf.Tensor, gamma: tf.LayerVariable, beta?: tf.LayerVariable | null): tf.Tensor;
}

/** The kernel as the matrix the product uses. */
export function viewOf(kernel: tf.Tensor, view?: DenseView): tf.Tensor2D {
  if (!view) return kernel as tf.Tensor2D;
  const matrix = kernel.rank === 2 && kernel.shape[0] === view.shape[0] ? (kernel as tf.Tensor2D) : (tf.reshape(kernel, view.shape) as tf.Tensor2D);
  if (!view.columns) return matrix;
  const [start, end] = view.columns;
  return tf.slice(matrix, [0, start], [-1, end - start]);
}

/**
 * x·W (+ b) over the last axis of x of any rank ≥ 2, as trustnlu's own Dense computes it.
 * (tfjs's fused product-and-bias kernel was tried: its backward made the per-example pass of
 * the transformer LM ~12% slower on wasm, 1183 vs 1057 ms at batch 64, loaded machine.)
 */
export function denseProduct(x: tf.Tensor, W: tf.Tensor2D, b?: tf.Tensor): tf.Tensor {
  const [inDim, outDim] = W.shape;
  const flat = x.rank === 2 ? (x as tf.Tensor2D) : (tf.reshape(x, [-1, inDim]) as tf.Tensor2D);
  let z: tf.Tensor = tf.matMul(flat, W);
  if (b) z = tf.add(z, b);
  return x.rank === 2 ? z : tf.reshape(z, [...x.shape.slice(0, -1), outDim]);
}

export const PLAIN_OPS: TapOps = {
  dense(_label, x, kernel, bias, view) {
    return denseProduct(x, viewOf(kernel.read(), view), bias ? bias.read() : undefined);
  },
  denseSteps(_label, kernel, bias, view) {
    const W = viewOf(kernel.read(), view);
    const b = bias ? bias.read() : undefined;
    return (x) => denseProduct(x, W, b);
  },
  embedding(_label, ids, table) {
    const flat = tf.reshape(ids, [-1]);
    const rows = tf.gather(table.read(), flat);
    return tf.reshape(rows, [...ids.shape, table.shape[1] as number]);
  },
  scaleShift(_label, normalized, gamma, beta) {
    const scaled = tf.mul(normalized, gamma.read());
    return beta ? tf.add(scaled, beta.read()) : scaled;
  },
};

/** A layer whose forward pass runs through TapOps (so its parameters get per-example gradients). */
export interface TapOpsLayer {
  callWithOps(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>, ops: TapOps): tf.Tensor | tf.Tensor[];
}

export function isTapOpsLayer(layer: unknown): layer is TapOpsLayer {
  return typeof (layer as Partial<TapOpsLayer>).callWithOps === 'function';
}
