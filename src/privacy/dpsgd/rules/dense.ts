/**
 * Dense layers, z = a·W + b.
 *
 * One vector per example (a [B, in], g [B, out]): ∇Wᵢ = aᵢᵀgᵢ is an outer product, so
 * ‖∇Wᵢ‖² = ‖aᵢ‖²·‖gᵢ‖² and ‖∇bᵢ‖² = ‖gᵢ‖²; the clipped sum is aᵀ(c⊙g) and Σᵢ cᵢgᵢ.
 *
 * A sequence per example (a [B, T, in], g [B, T, out]: attention projections, feed-forward
 * layers, unfolded convolutions, LSTM gates stacked over time): ∇Wᵢ = Σₜ aₜᵀgₜ. Two ways
 * to its norm:
 *  - ghost norm (Goodfellow 2015; Li et al. 2022): ‖∇Wᵢ‖² = Σ_{t,t'} (aₜ·aₜ')(gₜ·gₜ'), two
 *    batched Gram matrices [B, T, T], ~T²(in + out) multiply-adds per example; the clipped
 *    sum is then one big product (c-scaled a as [B·T, in])ᵀ·(g as [B·T, out]), the same
 *    work as plain backprop's weight gradient.
 *  - instantiate: form ∇Wᵢ = aᵢᵀgᵢ as [B, in, out] (T·in·out per example, exactly the
 *    work backprop spends on the weight gradient anyway), square-sum it, and keep it: the
 *    clipped sum is c·[B, in·out], one pass over it on the host (rules/host.ts).
 * Instantiating costs T·in·out + 2·in·out per example and the ghost path
 * T²(in + out + 1) + T·in·out, so instantiating wins unless in·out is much larger than T²
 * (2·in·out > T²(in + out + 1)) — e.g. an LM's output layer over a big vocabulary — or its
 * [B, in, out] buffer exceeds the memory limit. The choice is made per layer and per call.
 * Bias: ∇bᵢ = Σₜ gₜ, materialised ([B, out] is small).
 */
import { tf } from '../../../engine/index.js';
import { ShapeMismatchError } from '../../../errors.js';
import { DEFAULT_INSTANTIATE_LIMIT, type PerSampleOptions, type RecordGradients, type RuleInput } from './registry.js';
import { rowSquaredNorms, sumOverTime, weightedRowSum } from './host.js';

/** Multiply-adds per example of each way to a sequence layer's norms and clipped sum. */
export function sequenceCosts(T: number, inDim: number, outDim: number): { ghost: number; instantiate: number } {
  return {
    ghost: T * T * (inDim + outDim + 1) + T * inDim * outDim,
    instantiate: T * inDim * outDim + 2 * inDim * outDim,
  };
}

export function chooseSequencePath(B: number, T: number, inDim: number, outDim: number, options: PerSampleOptions = {}): 'ghost' | 'instantiate' {
  const forced = options.sequencePath ?? 'auto';
  if (forced !== 'auto') return forced;
  const limit = options.instantiateLimit ?? DEFAULT_INSTANTIATE_LIMIT;
  if (B * inDim * outDim > limit) return 'ghost';
  const cost = sequenceCosts(T, inDim, outDim);
  return cost.instantiate <= cost.ghost ? 'instantiate' : 'ghost';
}


export function denseRule({ record, a, g, shapes, options }: RuleInput): RecordGradients {
  const weight = record.weight;
  const bias = record.bias;
  const [inDim, outDim] = shapes.get(weight)!;
  if (a.shape[a.rank - 1] !== inDim || g.shape[g.rank - 1] !== outDim || a.rank !== g.rank || a.shape[0] !== g.shape[0]) {
    throw new ShapeMismatchError(`dense layer "${record.layer}": input [${a.shape}] and tap gradient [${g.shape}] do not fit weight [${inDim}, ${outDim}]`);
  }
  const parameters = bias ? [weight, bias] : [weight];
  const squaredNorms = new Map<string, tf.Tensor1D>();

  if (a.rank === 2) {
    const a2 = a as tf.Tensor2D;
    const g2 = g as tf.Tensor2D;
    const gNorms = rowSquaredNorms(g2);
    squaredNorms.set(weight, tf.mul(rowSquaredNorms(a2), gNorms) as tf.Tensor1D);
    if (bias) squaredNorms.set(bias, gNorms);
    return {
      layer: record.layer,
      rule: 'dense',
      path: 'vector',
      parameters,
      squaredNorms,
      clippedSum(c) {
        const out = new Map<string, tf.Tensor>();
        const scaled = tf.mul(g2, tf.reshape(c, [-1, 1])) as tf.Tensor2D;
        out.set(weight, tf.matMul(a2, scaled, true, false));
        if (bias) out.set(bias, tf.sum(scaled, 0));
        return out;
      },
    };
  }

  // Sequences: fold any middle axes into one time axis.
  const B = a.shape[0];
  const a3 = tf.reshape(a, [B, -1, inDim]) as tf.Tensor3D;
  const g3 = tf.reshape(g, [B, -1, outDim]) as tf.Tensor3D;
  const T = a3.shape[1];
  let biasRows: tf.Tensor2D | undefined;
  if (bias) {
    biasRows = sumOverTime(g3, outDim); // [B, out]
    squaredNorms.set(bias, rowSquaredNorms(biasRows));
  }
  // The two sequence paths differ only in the weight's norms and clipped sum.
  const sequenceGradients = (path: 'ghost' | 'instantiate', weightSum: (c: tf.Tensor1D) => tf.Tensor): RecordGradients => ({
    layer: record.layer,
    rule: 'dense',
    path,
    parameters,
    squaredNorms,
    clippedSum(c) {
      const out = new Map<string, tf.Tensor>([[weight, weightSum(c)]]);
      if (bias) out.set(bias, weightedRowSum(c, biasRows!));
      return out;
    },
  });

  const path = chooseSequencePath(B, T, inDim, outDim, options);
  if (path === 'instantiate') {
    const perExample = tf.reshape(tf.matMul(a3, g3, true, false), [B, inDim * outDim]) as tf.Tensor2D; // [B, in·out]
    squaredNorms.set(weight, rowSquaredNorms(perExample));
    return sequenceGradients(path, (c) => tf.reshape(weightedRowSum(c, perExample), [inDim, outDim]));
  }

  const gramA = tf.matMul(a3, a3, false, true); // [B, T, T]
  const gramG = tf.matMul(g3, g3, false, true);
  squaredNorms.set(weight, tf.sum(tf.reshape(tf.mul(gramA, gramG), [B, T * T]), 1) as tf.Tensor1D);
  return sequenceGradients(path, (c) => {
    const c3 = tf.reshape(c, [B, 1, 1]);
    // Scale whichever of a and g is smaller.
    const [as, gs] = inDim <= outDim ? [tf.mul(a3, c3), g3] : [a3, tf.mul(g3, c3)];
    return tf.matMul(tf.reshape(as, [B * T, inDim]) as tf.Tensor2D, tf.reshape(gs, [B * T, outDim]) as tf.Tensor2D, true, false);
  });
}
