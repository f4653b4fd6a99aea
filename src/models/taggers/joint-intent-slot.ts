/**
 * A joint intent + slot-tagging model (the kind of NLU model Parikh et al. 2022 attack): one
 * BIO tag per token and one intent per utterance from a shared convolutional encoder.
 *
 *   tokens → embedding (zeroed at padding) → 2 centred 1-D convolutions (ReLU) → h_t
 *   intent  = Dense(masked mean of h_t)
 *   tag_t   = Dense(ReLU(Dense(h_t) + Dense(masked mean of h_t)))
 *
 * The sentence vector enters every tag so a tag can depend on words outside the convolution's
 * window (a canary's owner name three words before its last digit). Every layer with
 * parameters is an Embedding or a Dense (convolutions are unfolded dense layers), so the
 * per-example gradient rules of privacy/dpsgd apply unchanged and DP-SGD stays exact.
 *
 * With `charInput` a token's vector is the mean of its characters' vectors (one parameter row
 * per character, shared by every word holding it: the character-level input defence against
 * canary extraction); the attack then relaxes over the composed token vectors.
 *
 * The model is a classifier to the rest of the toolkit (labels, logits = intent scores); its
 * batches carry [B, 1 + T] targets: the intent, then one tag id per position (padding ignored).
 */
import { tf, SeededRandom } from '../../engine/index.js';
import { ConfigError } from '../../errors.js';
import type { Tokenizer } from '../../text/index.js';
import { CharComposedEmbedding, Conv1d, Dense, Embedding, ParameterStore, dropout, type ForwardContext, type NamedParameter } from '../layers/index.js';
import { JOINT_TAGGER_KIND, maskedMean, sparseCrossEntropy, type EmbeddingInputClassifier, type TensorBatch } from '../model.js';

export interface JointTaggerConfig {
  embeddingDim: number;
  /** Filters of each convolution (both have this width). */
  filters: number;
  /** Odd window width of the two convolutions (centred). */
  kernelSize: number;
  /** Width of the tag head's hidden layer. */
  hidden: number;
  dropout: number;
  maxLength: number;
  /** Compose each token's vector from its characters' vectors instead of a row per word. */
  charInput: boolean;
}

export const JOINT_TAGGER_DEFAULTS: JointTaggerConfig = { embeddingDim: 64, filters: 128, kernelSize: 3, hidden: 128, dropout: 0, maxLength: 40, charInput: false };

/** Joint intent and BIO slot model; `labels` are intents, `slotLabels` the tags (index 0 is 'O'). */
export class JointIntentSlotModel implements EmbeddingInputClassifier {
  readonly task = 'classifier' as const;
  readonly kind = JOINT_TAGGER_KIND;
  readonly store = new ParameterStore();
  readonly maxLength: number;
  readonly config: JointTaggerConfig;
  private readonly embedding: Embedding | CharComposedEmbedding;
  private readonly convs: Conv1d[];
  private readonly intentHead: Dense;
  private readonly tagFromToken: Dense;
  private readonly tagFromSentence: Dense;
  private readonly tagHead: Dense;

  constructor(
    config: Partial<JointTaggerConfig>,
    readonly tokenizer: Tokenizer,
    readonly labels: string[],
    readonly slotLabels: string[],
    seed: number,
  ) {
    const c = { ...JOINT_TAGGER_DEFAULTS, ...config };
    if (labels.length < 2) throw new ConfigError(`the joint model needs at least 2 intents, got ${labels.length}`);
    if (slotLabels.length < 2 || slotLabels[0] !== 'O') throw new ConfigError(`slot labels must start with "O" and have at least one other tag, got [${slotLabels.slice(0, 4).join(', ')}]`);
    if (!(Number.isInteger(c.kernelSize) && c.kernelSize >= 1 && c.kernelSize % 2 === 1)) throw new ConfigError(`kernelSize must be an odd integer ≥ 1 (a centred window), got ${c.kernelSize}`);
    for (const key of ['embeddingDim', 'filters', 'hidden', 'maxLength'] as const) {
      if (!(Number.isInteger(c[key]) && c[key] >= 1)) throw new ConfigError(`${key} must be an integer ≥ 1, got ${c[key]}`);
    }
    if (!(c.dropout >= 0 && c.dropout < 1)) throw new ConfigError(`dropout must be in [0, 1), got ${c.dropout}`);
    this.config = c;
    this.maxLength = c.maxLength;
    const rng = new SeededRandom(seed).fork('joint-tagger');
    this.embedding = c.charInput
      ? new CharComposedEmbedding(this.store, 'char-embedding', tokenizer, c.embeddingDim, rng.fork('char-embedding'))
      : new Embedding(this.store, 'embedding', tokenizer.vocabSize, c.embeddingDim, rng.fork('embedding'));
    this.convs = [
      new Conv1d(this.store, 'conv0', c.embeddingDim, c.filters, c.kernelSize, rng.fork('conv0')),
      new Conv1d(this.store, 'conv1', c.filters, c.filters, c.kernelSize, rng.fork('conv1')),
    ];
    this.intentHead = new Dense(this.store, 'intent', c.filters, labels.length, rng.fork('intent'));
    this.tagFromToken = new Dense(this.store, 'tag-token', c.filters, c.hidden, rng.fork('tag-token'));
    this.tagFromSentence = new Dense(this.store, 'tag-sentence', c.filters, c.hidden, rng.fork('tag-sentence'), { bias: false });
    this.tagHead = new Dense(this.store, 'tag', c.hidden, slotLabels.length, rng.fork('tag'));
  }

  parameters(): NamedParameter[] {
    return this.store.ordered;
  }

  /** Every token's input vector [V, dim]: the stored table, or (character input) a composed one the caller disposes. */
  embeddingTable(): tf.Tensor2D {
    if (this.embedding instanceof CharComposedEmbedding) return this.embedding.table();
    return this.store.get('embedding/embeddings') as unknown as tf.Tensor2D;
  }

  /** Token states h [B, T, F] and the sentence vector [B, F] from embedded tokens. */
  private encode(embedded: tf.Tensor, mask: tf.Tensor2D, ctx: ForwardContext): { states: tf.Tensor; sentence: tf.Tensor } {
    const m = tf.expandDims(mask, 2);
    const half = (this.config.kernelSize - 1) / 2;
    let x = dropout(tf.mul(embedded, m), this.config.dropout, ctx);
    for (const conv of this.convs) {
      // Conv1d windows look ahead (t .. t+k−1); shifting the input right by half a window centres them.
      const T = x.shape[1]!;
      const shifted = half > 0 ? tf.pad(x, [[0, 0], [half, 0], [0, 0]]) : x;
      const out = conv.apply(shifted, ctx);
      x = tf.mul(tf.relu(half > 0 ? tf.slice(out, [0, 0, 0], [-1, T, -1]) : out), m);
      x = dropout(x, this.config.dropout, ctx);
    }
    return { states: x, sentence: maskedMean(x, mask) };
  }

  private heads(embedded: tf.Tensor, mask: tf.Tensor2D, ctx: ForwardContext): { intent: tf.Tensor2D; tags: tf.Tensor3D } {
    const { states, sentence } = this.encode(embedded, mask, ctx);
    const intent = this.intentHead.apply(sentence, ctx) as tf.Tensor2D;
    const hidden = tf.relu(tf.add(this.tagFromToken.apply(states, ctx), tf.expandDims(this.tagFromSentence.apply(sentence, ctx), 1)));
    const tags = this.tagHead.apply(dropout(hidden, this.config.dropout, ctx), ctx) as tf.Tensor3D;
    return { intent, tags };
  }

  /** Intent scores [B, intents] and tag scores [B, T, tags] from embedded tokens (or any point of that space). */
  scoresFromEmbeddings(embedded: tf.Tensor3D, mask: tf.Tensor2D, ctx: ForwardContext): { intent: tf.Tensor2D; tags: tf.Tensor3D } {
    return this.heads(embedded, mask, ctx);
  }

  scores(batch: TensorBatch, ctx: ForwardContext): { intent: tf.Tensor2D; tags: tf.Tensor3D } {
    return this.heads(this.embedding.apply(batch.ids, ctx), batch.mask, ctx);
  }

  logits(batch: TensorBatch, ctx: ForwardContext): tf.Tensor2D {
    return this.scores(batch, ctx).intent;
  }

  logitsFromEmbeddings(embedded: tf.Tensor3D, mask: tf.Tensor2D, ctx: ForwardContext): tf.Tensor2D {
    return this.heads(embedded, mask, ctx).intent;
  }

  /**
   * Per example: intent cross-entropy plus the mean tag cross-entropy over its real tokens.
   * `batch.targets` is [B, 1 + T]: the intent, then the tags.
   */
  perExampleLoss(batch: TensorBatch, ctx: ForwardContext): tf.Tensor1D {
    const [B, T] = batch.ids.shape;
    if (batch.targets.rank !== 2 || batch.targets.shape[1] !== T + 1) {
      throw new ConfigError(`the joint model's targets must be [batch, 1 + length] (intent, then one tag per token), got [${batch.targets.shape}] for ${B}×${T} ids`);
    }
    const { intent, tags } = this.scores(batch, ctx);
    const intentTargets = tf.reshape(tf.slice(batch.targets, [0, 0], [-1, 1]), [B]);
    const tagTargets = tf.slice(batch.targets, [0, 1], [-1, T]);
    const intentLoss = sparseCrossEntropy(intent, intentTargets);
    const tagLoss = maskedMean(sparseCrossEntropy(tags, tagTargets), batch.mask);
    return tf.add(intentLoss, tagLoss) as tf.Tensor1D;
  }

  forwardFlops(length: number): number {
    const c = this.config;
    const conv = length * c.kernelSize * (c.embeddingDim * c.filters + c.filters * c.filters);
    const tag = length * (c.filters * c.hidden + c.hidden * this.slotLabels.length) + c.filters * c.hidden;
    return 2 * (conv + tag + c.filters * this.labels.length);
  }

  dispose(): void {
    if (this.embedding instanceof CharComposedEmbedding) this.embedding.dispose();
    this.store.dispose();
  }
}
