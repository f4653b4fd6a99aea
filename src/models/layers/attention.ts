import { tf, SeededRandom } from '../../engine/index.js';
import { ConfigError } from '../../errors.js';
import { Dense } from './dense.js';
import { ParameterStore } from './parameters.js';
import { dropout, type ForwardContext } from './context.js';

/**
 * Multi-head self-attention. The q/k/v projection is one Dense [D, 3D] and the output one
 * Dense [D, D], so both are tapped as dense-over-a-sequence for per-sample gradients.
 */
export class MultiHeadSelfAttention {
  readonly qkv: Dense;
  readonly output: Dense;
  readonly headDim: number;

  constructor(
    store: ParameterStore,
    readonly name: string,
    readonly dim: number,
    readonly heads: number,
    rng: SeededRandom,
    readonly attentionDropout = 0,
  ) {
    if (dim % heads !== 0) throw new ConfigError(`attention "${name}": dim ${dim} is not divisible by ${heads} heads`);
    this.headDim = dim / heads;
    this.qkv = new Dense(store, `${name}/qkv`, dim, 3 * dim, rng.fork('qkv'));
    this.output = new Dense(store, `${name}/output`, dim, dim, rng.fork('output'));
  }

  /**
   * x [B, T, D]; keyMask [B, T] (1 = real token) or undefined; causal masks future positions.
   */
  apply(x: tf.Tensor, keyMask: tf.Tensor | undefined, causal: boolean, ctx: ForwardContext): tf.Tensor {
    const [B, T] = x.shape;
    const H = this.heads;
    const d = this.headDim;
    const qkv = this.qkv.apply(x, ctx); // [B, T, 3D]
    const heads = (t: tf.Tensor) => tf.transpose(tf.reshape(t, [B, T, H, d]), [0, 2, 1, 3]); // [B, H, T, d]
    const [q, k, v] = tf.split(qkv, 3, 2).map(heads);
    let scores = tf.mul(tf.matMul(q as tf.Tensor4D, k as tf.Tensor4D, false, true), 1 / Math.sqrt(d)); // [B, H, T, T]
    if (keyMask) {
      const bias = tf.reshape(tf.mul(tf.sub(1, keyMask), -1e9), [B, 1, 1, T]);
      scores = tf.add(scores, bias);
    }
    if (causal) scores = tf.add(scores, causalBias(T));
    const probs = dropout(tf.softmax(scores, -1), this.attentionDropout, ctx);
    const context = tf.matMul(probs as tf.Tensor4D, v as tf.Tensor4D); // [B, H, T, d]
    const merged = tf.reshape(tf.transpose(context, [0, 2, 1, 3]), [B, T, this.dim]);
    return this.output.apply(merged, ctx);
  }
}

/** [T, T] additive mask: 0 on and below the diagonal, −1e9 above. */
export function causalBias(T: number): tf.Tensor2D {
  const values = new Float32Array(T * T);
  for (let i = 0; i < T; i++) for (let j = i + 1; j < T; j++) values[i * T + j] = -1e9;
  return tf.tensor2d(values, [T, T]);
}
