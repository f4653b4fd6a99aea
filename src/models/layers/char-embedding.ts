/**
 * Character-composed token embeddings: a token's vector is the mean of its characters'
 * vectors, so the model has one parameter row per character instead of one per word. Tokens
 * that share characters share parameters (the digit "3" and the "3" of "3pm"), which is what
 * makes character-level input a defence against memorising one token sequence (Parikh et al.
 * 2022). Special tokens (padding, unknown, …) are one symbol each.
 *
 * The only parameter is an Embedding over characters, looked up once per (token, character)
 * slot and averaged with fixed weights, so the per-example gradient rules of privacy/dpsgd
 * (an embedding tap) apply unchanged and DP-SGD stays exact.
 */
import { tf } from '../../engine/index.js';
import type { SeededRandom } from '../../engine/index.js';
import type { Tokenizer } from '../../text/index.js';
import { INFERENCE, type ForwardContext } from './context.js';
import { Embedding } from './embedding.js';
import type { ParameterStore } from './parameters.js';

/** Characters kept per token (longer tokens are cut). */
export const MAX_TOKEN_CHARS = 16;

export class CharComposedEmbedding {
  readonly characters: string[];
  private readonly chars: Embedding;
  /** [V, L] character ids per token (0 in unused slots). */
  private readonly charIds: tf.Tensor2D;
  /** [V, L] 1/(characters in the token) in used slots, 0 elsewhere. */
  private readonly weights: tf.Tensor2D;
  readonly slots: number;

  constructor(store: ParameterStore, name: string, tokenizer: Tokenizer, readonly dim: number, rng: SeededRandom) {
    const V = tokenizer.vocabSize;
    const special = (id: number) => id === 0 || id === tokenizer.unknownId || /^<[a-z]+>$/.test(tokenizer.tokenOf(id));
    const pieces: string[][] = [];
    for (let id = 0; id < V; id++) pieces.push(special(id) ? [`<${id}>`] : [...tokenizer.tokenOf(id)].slice(0, MAX_TOKEN_CHARS));
    const L = Math.max(1, ...pieces.map((p) => p.length));
    const index = new Map<string, number>();
    const ids = new Int32Array(V * L);
    const w = new Float32Array(V * L);
    pieces.forEach((p, v) => {
      p.forEach((c, j) => {
        if (!index.has(c)) index.set(c, index.size);
        ids[v * L + j] = index.get(c)!;
        w[v * L + j] = 1 / p.length;
      });
    });
    this.characters = [...index.keys()];
    this.slots = L;
    this.chars = new Embedding(store, name, this.characters.length, dim, rng);
    this.charIds = tf.tensor2d(ids, [V, L], 'int32');
    this.weights = tf.tensor2d(w, [V, L]);
  }

  /** Token ids [B, T] → composed vectors [B, T, dim]. */
  apply(ids: tf.Tensor, ctx: ForwardContext): tf.Tensor {
    const [B, T] = ids.shape as [number, number];
    const L = this.slots;
    const charIds = tf.reshape(tf.gather(this.charIds, ids), [B, T * L]);
    const vectors = tf.reshape(this.chars.apply(charIds, ctx), [B, T, L, this.dim]);
    const weights = tf.expandDims(tf.gather(this.weights, ids), 3);
    return tf.sum(tf.mul(vectors, weights), 2);
  }

  /** Every token's composed vector, [V, dim] (a new tensor: the caller disposes it). */
  table(): tf.Tensor2D {
    return tf.tidy(() => {
      const V = this.charIds.shape[0];
      const all = tf.range(0, V, 1, 'int32').reshape([1, V]);
      return tf.reshape(this.apply(all, INFERENCE), [V, this.dim]) as tf.Tensor2D;
    });
  }

  dispose(): void {
    tf.dispose([this.charIds, this.weights]);
  }
}
