/**
 * The naive per-example loop: one backward pass per example, with plain backprop. It is
 * the reference the per-sample rules are tested against and the baseline the DP benchmark
 * compares with; it is B times the work of the batched rules and never used for training.
 */
import { tf } from '../../engine/index.js';
import { batchExampleCount, sliceExamples, type ExampleBatch, type ForwardContext, type PerExampleModel, type TensorBatch } from '../../models/index.js';

/** Rows [start, start + size) of a batch (every tensor of it, on axis 0). */
export const sliceBatch = sliceExamples;

export interface NaivePerExample {
  /** ‖∇_θ Lᵢ‖² per parameter name, one entry per example. */
  squaredNorms: Map<string, Float64Array>;
  /** Σᵢ cᵢ ∇_θ Lᵢ per parameter name (kept tensors: the caller disposes them). */
  weightedSum: Map<string, tf.Tensor>;
  /** Lᵢ per example. */
  losses: Float64Array;
}

/**
 * Per-example gradients one example at a time. `coefficients(i, norms)` gives cᵢ from the
 * example's squared norms per parameter (e.g. a clip factor); the default is 1.
 */
export function naivePerExampleGradients<Batch extends ExampleBatch<Batch> = TensorBatch>(
  model: PerExampleModel<Batch>,
  batch: Batch,
  ctx: ForwardContext,
  coefficients: (i: number, squaredNorms: Map<string, number>) => number = () => 1,
): NaivePerExample {
  const B = batchExampleCount(batch);
  const params = model.parameters();
  const byVariable = new Map(params.map((p) => [p.variable.name, p.name]));
  const squaredNorms = new Map(params.map((p) => [p.name, new Float64Array(B)]));
  const losses = new Float64Array(B);
  let sums = new Map(params.map((p) => [p.name, tf.keep(tf.zerosLike(p.variable)) as tf.Tensor]));
  for (let i = 0; i < B; i++) {
    const next = tf.tidy(() => {
      const one = sliceBatch(batch, i, 1);
      const { value, grads } = tf.variableGrads(() => tf.sum(model.perExampleLoss(one, ctx)) as tf.Scalar, params.map((p) => p.variable));
      losses[i] = value.dataSync()[0];
      const norms = new Map<string, number>();
      const named = new Map<string, tf.Tensor>();
      for (const [variableName, g] of Object.entries(grads)) {
        const name = byVariable.get(variableName)!;
        named.set(name, g);
        const sq = tf.sum(tf.square(g)).dataSync()[0];
        norms.set(name, sq);
        squaredNorms.get(name)![i] = sq;
      }
      const c = coefficients(i, norms);
      return params.map((p) => tf.keep(tf.add(sums.get(p.name)!, tf.mul(named.get(p.name)!, c))));
    });
    for (const t of sums.values()) t.dispose();
    sums = new Map(params.map((p, k) => [p.name, next[k]]));
  }
  return { squaredNorms, weightedSum: sums, losses };
}
