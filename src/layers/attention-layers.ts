/**
 * The transformer layers tfjs lacks, with weights: learned position embeddings and
 * multi-head self-attention (one q/k/v projection [D, 3D] and an output projection [D, D],
 * as trustnlu's own attention). Both run their products through TapOps, so makePrivate
 * gets per-example gradients for them from the shared embedding and dense rules.
 */
import * as tf from '@tensorflow/tfjs';
import { PLAIN_OPS, type TapOps, type TapOpsLayer } from './tap-ops.js';
import type { LayerArgs } from './text-layers.js';

function inputList(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor[] {
  return Array.isArray(inputs) ? inputs : [inputs];
}

function shapeList(shape: tf.Shape | tf.Shape[]): tf.Shape[] {
  return Array.isArray(shape[0]) ? (shape as tf.Shape[]) : [shape as tf.Shape];
}

/** [T, T] additive mask: 0 on and below the diagonal, −1e9 above. */
function causalBias(T: number): tf.Tensor2D {
  const values = new Float32Array(T * T);
  for (let i = 0; i < T; i++) for (let j = i + 1; j < T; j++) values[i * T + j] = -1e9;
  return tf.tensor2d(values, [T, T]);
}

/** x [B, T, D] → x + P[0..T): a learned table P [maxLength, D] of position embeddings. */
export class PositionEmbedding extends tf.layers.Layer implements TapOpsLayer {
  static className = 'PositionEmbedding';
  readonly maxLength: number;
  private table: tf.LayerVariable | null = null;

  constructor(args: LayerArgs & { maxLength: number }) {
    super(args);
    this.maxLength = args.maxLength;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const dim = shapeList(inputShape)[0][2] as number;
    this.table = this.addWeight('embeddings', [this.maxLength, dim], 'float32', tf.initializers.randomNormal({ stddev: 0.02 }));
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    return shapeList(inputShape)[0];
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor {
    return tf.tidy(() => this.callWithOps(inputs, kwargs, PLAIN_OPS));
  }

  callWithOps(inputs: tf.Tensor | tf.Tensor[], _kwargs: Record<string, unknown>, ops: TapOps): tf.Tensor {
    const x = inputList(inputs)[0];
    const [B, T] = x.shape as number[];
    if (T > this.maxLength) throw new Error(`PositionEmbedding "${this.name}": sequence length ${T} exceeds maxLength ${this.maxLength}`);
    const positions = tf.tile(tf.reshape(tf.range(0, T, 1, 'int32'), [1, T]), [B, 1]);
    return tf.add(x, ops.embedding(this.name, positions, this.table!));
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), maxLength: this.maxLength };
  }
}

/**
 * Multi-head self-attention: inputs x [B, T, D], or [x, mask [B, T]] (1 = real token; keys
 * at padding are masked out); `causal` masks future positions. Dropout on the attention
 * weights while training.
 */
export class MultiHeadSelfAttention extends tf.layers.Layer implements TapOpsLayer {
  static className = 'MultiHeadSelfAttention';
  readonly heads: number;
  readonly causal: boolean;
  readonly attentionDropout: number;
  private qkvKernel: tf.LayerVariable | null = null;
  private qkvBias: tf.LayerVariable | null = null;
  private outputKernel: tf.LayerVariable | null = null;
  private outputBias: tf.LayerVariable | null = null;

  constructor(args: LayerArgs & { heads: number; causal?: boolean; attentionDropout?: number }) {
    super(args);
    this.heads = args.heads;
    this.causal = args.causal ?? false;
    this.attentionDropout = args.attentionDropout ?? 0;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const dim = shapeList(inputShape)[0][2] as number;
    if (dim % this.heads !== 0) throw new Error(`MultiHeadSelfAttention "${this.name}": dim ${dim} is not divisible by ${this.heads} heads`);
    const glorot = () => tf.initializers.glorotUniform({});
    this.qkvKernel = this.addWeight('qkv_kernel', [dim, 3 * dim], 'float32', glorot());
    this.qkvBias = this.addWeight('qkv_bias', [3 * dim], 'float32', tf.initializers.zeros());
    this.outputKernel = this.addWeight('output_kernel', [dim, dim], 'float32', glorot());
    this.outputBias = this.addWeight('output_bias', [dim], 'float32', tf.initializers.zeros());
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    return shapeList(inputShape)[0];
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor {
    return tf.tidy(() => this.callWithOps(inputs, kwargs, PLAIN_OPS));
  }

  callWithOps(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>, ops: TapOps): tf.Tensor {
    const [x, keyMask] = inputList(inputs);
    const [B, T, D] = x.shape as number[];
    const H = this.heads;
    const d = D / H;
    const qkv = ops.dense(`${this.name}/qkv`, x, this.qkvKernel!, this.qkvBias); // [B, T, 3D]
    const heads = (t: tf.Tensor) => tf.transpose(tf.reshape(t, [B, T, H, d]), [0, 2, 1, 3]); // [B, H, T, d]
    const [q, k, v] = tf.split(qkv, 3, 2).map(heads);
    let scores = tf.mul(tf.matMul(q as tf.Tensor4D, k as tf.Tensor4D, false, true), 1 / Math.sqrt(d)); // [B, H, T, T]
    if (keyMask) scores = tf.add(scores, tf.reshape(tf.mul(tf.sub(1, keyMask), -1e9), [B, 1, 1, T]));
    if (this.causal) scores = tf.add(scores, causalBias(T));
    let probs = tf.softmax(scores, -1);
    if (kwargs.training === true && this.attentionDropout > 0) probs = tf.dropout(probs, this.attentionDropout);
    const context = tf.matMul(probs as tf.Tensor4D, v as tf.Tensor4D); // [B, H, T, d]
    const merged = tf.reshape(tf.transpose(context, [0, 2, 1, 3]), [B, T, D]);
    return ops.dense(`${this.name}/output`, merged, this.outputKernel!, this.outputBias);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), heads: this.heads, causal: this.causal, attentionDropout: this.attentionDropout };
  }
}
