/**
 * A stack of pre-LayerNorm transformer blocks with learned positional embeddings, used by
 * the transformer classifier (bidirectional, key-padding mask) and the transformer LMs (causal).
 */
import { tf, SeededRandom } from '../engine/index.js';
import { ConfigError } from '../errors.js';
import { Dense, Embedding, LayerNorm, MultiHeadSelfAttention, ParameterStore, dropout, type ForwardContext } from './layers/index.js';

export interface TransformerConfig {
  dim: number;
  heads: number;
  layers: number;
  /** Hidden size of each block's feed-forward network. */
  ffnDim: number;
  /** Longest sequence the positional table covers. */
  maxLength: number;
  dropout: number;
}

/** GELU, exact form: x·Φ(x) = 0.5·x·(1 + erf(x/√2)). */
export function gelu(x: tf.Tensor): tf.Tensor {
  return tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2))));
}

class TransformerBlock {
  readonly norm1: LayerNorm;
  readonly attention: MultiHeadSelfAttention;
  readonly norm2: LayerNorm;
  readonly ffnIn: Dense;
  readonly ffnOut: Dense;

  constructor(store: ParameterStore, name: string, readonly config: TransformerConfig, rng: SeededRandom) {
    this.norm1 = new LayerNorm(store, `${name}/norm1`, config.dim);
    this.attention = new MultiHeadSelfAttention(store, `${name}/attention`, config.dim, config.heads, rng.fork('attention'), config.dropout);
    this.norm2 = new LayerNorm(store, `${name}/norm2`, config.dim);
    this.ffnIn = new Dense(store, `${name}/ffn_in`, config.dim, config.ffnDim, rng.fork('ffn_in'));
    this.ffnOut = new Dense(store, `${name}/ffn_out`, config.ffnDim, config.dim, rng.fork('ffn_out'));
  }

  apply(x: tf.Tensor, keyMask: tf.Tensor | undefined, causal: boolean, ctx: ForwardContext): tf.Tensor {
    const attended = this.attention.apply(this.norm1.apply(x, ctx), keyMask, causal, ctx);
    const h = tf.add(x, dropout(attended, this.config.dropout, ctx));
    const ffn = this.ffnOut.apply(gelu(this.ffnIn.apply(this.norm2.apply(h, ctx), ctx)), ctx);
    return tf.add(h, dropout(ffn, this.config.dropout, ctx));
  }
}

export class TransformerStack {
  readonly positions: Embedding;
  readonly blocks: TransformerBlock[];
  readonly finalNorm: LayerNorm;

  constructor(store: ParameterStore, name: string, readonly config: TransformerConfig, rng: SeededRandom) {
    if (config.layers < 1) throw new ConfigError(`transformer needs at least 1 layer, got ${config.layers}`);
    this.positions = new Embedding(store, `${name}/positions`, config.maxLength, config.dim, rng.fork('positions'), rng.fork('positions-init').normalArray(config.maxLength * config.dim, 0.02));
    this.blocks = Array.from({ length: config.layers }, (_, i) => new TransformerBlock(store, `${name}/block${i}`, config, rng.fork(`block${i}`)));
    this.finalNorm = new LayerNorm(store, `${name}/final_norm`, config.dim);
  }

  /** x: token embeddings [B, T, D] → contextual states [B, T, D]. */
  apply(x: tf.Tensor, keyMask: tf.Tensor | undefined, causal: boolean, ctx: ForwardContext): tf.Tensor {
    const [B, T] = x.shape;
    if (T > this.config.maxLength) throw new ConfigError(`sequence length ${T} exceeds the model's maxLength ${this.config.maxLength}`);
    const positionIds = tf.tile(tf.reshape(tf.range(0, T, 1, 'int32'), [1, T]), [B, 1]);
    let h = dropout(tf.add(x, this.positions.apply(positionIds, ctx)), this.config.dropout, ctx);
    for (const block of this.blocks) h = block.apply(h, keyMask, causal, ctx);
    return this.finalNorm.apply(h, ctx);
  }
}
