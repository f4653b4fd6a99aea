/**
 * DP-SGD's gradient by the naive per-example loop: each example's gradient clipped to C
 * (flat), summed, Gaussian noise N(0, σ²C²) added per coordinate, divided by the expected
 * batch size. The same step as dpGradientStep, B backward passes slower: the baseline of the
 * DP speed and time-to-accuracy benchmarks.
 */
import { tf } from '../../engine/index.js';
import type { ForwardContext, PerExampleModel, TensorBatch } from '../../models/index.js';
import { NORM_EPSILON } from './dp-step.js';
import { naivePerExampleGradients } from './naive.js';

export interface NaiveDpOptions {
  clip: number;
  noiseMultiplier: number;
  expectedBatchSize: number;
  /** Standard normal samples (e.g. a ZigguratSampler over the CSPRNG). */
  sampler: { fill(out: Float32Array): void };
}

/** Noisy clipped mean gradient per parameter name (call inside tf.tidy). */
export function naiveDpGradients(model: PerExampleModel<TensorBatch>, batch: TensorBatch, ctx: ForwardContext, options: NaiveDpOptions): Map<string, tf.Tensor> {
  const { clip, noiseMultiplier, expectedBatchSize, sampler } = options;
  const naive = naivePerExampleGradients(model, batch, ctx, (_i, norms) => {
    let total = 0;
    for (const v of norms.values()) total += v;
    return Math.min(1, clip / (Math.sqrt(total) + NORM_EPSILON));
  });
  const grads = new Map<string, tf.Tensor>();
  for (const p of model.parameters()) {
    const z = new Float32Array(p.variable.size);
    sampler.fill(z);
    const sum = naive.weightedSum.get(p.name)!;
    grads.set(p.name, tf.div(tf.add(sum, tf.mul(tf.tensor(z, p.variable.shape), noiseMultiplier * clip)), expectedBatchSize));
    sum.dispose();
  }
  return grads;
}
