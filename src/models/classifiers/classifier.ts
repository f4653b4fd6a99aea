/**
 * Intent classifiers: an encoder from token ids to one vector per example, then a linear
 * output layer. Three encoders: embedding bag (mean of word vectors + MLP), 1-D CNN (Kim
 * 2014: several filter widths, max over time) and a small transformer (mean-pooled).
 */
import { tf, SeededRandom } from '../../engine/index.js';
import { ConfigError } from '../../errors.js';
import type { Tokenizer } from '../../text/index.js';
import { Conv1d, Dense, Embedding, ParameterStore, dropout, type ForwardContext, type NamedParameter } from '../layers/index.js';
import { TransformerStack } from '../transformer.js';
import { maskedMean, sparseCrossEntropy, type ClassifierKind, type EmbeddingInputClassifier, type TensorBatch } from '../model.js';

export interface ClassifierConfig {
  kind: ClassifierKind;
  embeddingDim: number;
  /** Longest input in tokens. */
  maxLength: number;
  dropout: number;
  /** embbag: hidden layer size (0 = linear on the mean embedding). */
  hidden: number;
  /** cnn: filter widths and filters per width. */
  kernelSizes: number[];
  filters: number;
  /** transformer */
  heads: number;
  layers: number;
  ffnDim: number;
}

export const CLASSIFIER_DEFAULTS: Record<ClassifierKind, ClassifierConfig> = {
  embbag: { kind: 'embbag', embeddingDim: 100, maxLength: 48, dropout: 0.2, hidden: 256, kernelSizes: [], filters: 0, heads: 0, layers: 0, ffnDim: 0 },
  cnn: { kind: 'cnn', embeddingDim: 100, maxLength: 48, dropout: 0.3, hidden: 0, kernelSizes: [1, 2, 3], filters: 200, heads: 0, layers: 0, ffnDim: 0 },
  transformer: { kind: 'transformer', embeddingDim: 128, maxLength: 48, dropout: 0.1, hidden: 0, kernelSizes: [], filters: 0, heads: 4, layers: 2, ffnDim: 256 },
};

export class IntentClassifier implements EmbeddingInputClassifier {
  readonly task = 'classifier' as const;
  readonly store = new ParameterStore();
  readonly kind: ClassifierKind;
  readonly maxLength: number;
  private readonly embedding: Embedding;
  private readonly hiddenLayer?: Dense;
  private readonly convs: Conv1d[] = [];
  private readonly encoder?: TransformerStack;
  private readonly output: Dense;

  constructor(
    readonly config: ClassifierConfig,
    readonly tokenizer: Tokenizer,
    readonly labels: string[],
    seed: number,
    /** Optional initial embedding table [vocab·dim] (e.g. GloVe rows). */
    initialEmbeddings?: Float32Array,
  ) {
    if (labels.length < 2) throw new ConfigError(`a classifier needs at least 2 labels, got ${labels.length}`);
    this.kind = config.kind;
    this.maxLength = config.maxLength;
    const rng = new SeededRandom(seed).fork('init');
    const D = config.embeddingDim;
    this.embedding = new Embedding(this.store, 'embedding', tokenizer.vocabSize, D, rng.fork('embedding'), initialEmbeddings);
    let featureDim: number;
    switch (config.kind) {
      case 'embbag':
        if (config.hidden > 0) this.hiddenLayer = new Dense(this.store, 'hidden', D, config.hidden, rng.fork('hidden'));
        featureDim = config.hidden > 0 ? config.hidden : D;
        break;
      case 'cnn':
        if (config.kernelSizes.length === 0 || config.filters < 1) throw new ConfigError('cnn needs kernelSizes and filters ≥ 1');
        for (const k of config.kernelSizes) this.convs.push(new Conv1d(this.store, `conv${k}`, D, config.filters, k, rng.fork(`conv${k}`)));
        featureDim = config.filters * config.kernelSizes.length;
        break;
      case 'transformer':
        this.encoder = new TransformerStack(this.store, 'encoder', { dim: D, heads: config.heads, layers: config.layers, ffnDim: config.ffnDim, maxLength: config.maxLength, dropout: config.dropout }, rng.fork('encoder'));
        featureDim = D;
        break;
      default:
        throw new ConfigError(`unknown classifier kind "${(config as { kind: string }).kind}"`);
    }
    this.output = new Dense(this.store, 'output', featureDim, labels.length, rng.fork('output'));
  }

  parameters(): NamedParameter[] {
    return this.store.ordered;
  }

  /** One feature vector per example [B, F]. */
  features(batch: TensorBatch, ctx: ForwardContext): tf.Tensor2D {
    return this.featuresFromEmbeddings(this.embedding.apply(batch.ids, ctx), batch.mask, ctx);
  }

  /** The encoder from embedded tokens [B, T, D] and their mask [B, T] to features [B, F]. */
  private featuresFromEmbeddings(embedded: tf.Tensor, mask: tf.Tensor2D, ctx: ForwardContext): tf.Tensor2D {
    const c = this.config;
    switch (c.kind) {
      case 'embbag': {
        const mean = dropout(maskedMean(embedded, mask), c.dropout, ctx);
        if (!this.hiddenLayer) return mean as tf.Tensor2D;
        return dropout(tf.relu(this.hiddenLayer.apply(mean, ctx)), c.dropout, ctx) as tf.Tensor2D;
      }
      case 'cnn': {
        const x = dropout(embedded, c.dropout / 2, ctx);
        const padBias = tf.expandDims(tf.mul(tf.sub(1, mask), -1e4), 2); // keep padding out of the max
        const pooled = this.convs.map((conv) => tf.max(tf.add(tf.relu(conv.apply(x, ctx)), padBias), 1));
        return dropout(pooled.length === 1 ? pooled[0] : tf.concat(pooled, 1), c.dropout, ctx) as tf.Tensor2D;
      }
      case 'transformer': {
        const states = this.encoder!.apply(embedded, mask, false, ctx);
        return maskedMean(states, mask) as tf.Tensor2D;
      }
    }
  }

  logits(batch: TensorBatch, ctx: ForwardContext): tf.Tensor2D {
    return this.output.apply(this.features(batch, ctx), ctx) as tf.Tensor2D;
  }

  /** The token embedding table [vocabulary, embeddingDim] (the parameter "embedding/embeddings"). */
  embeddingTable(): tf.Tensor2D {
    return this.store.get('embedding/embeddings') as unknown as tf.Tensor2D;
  }

  /**
   * Class scores from already-embedded tokens [B, T, D] (rows of the embedding table, or any
   * point of that space): equals logits() when embedded = E[ids]. Lets fairness measures take
   * gradients with respect to the input representation (prediction sensitivity).
   */
  logitsFromEmbeddings(embedded: tf.Tensor3D, mask: tf.Tensor2D, ctx: ForwardContext): tf.Tensor2D {
    return this.output.apply(this.featuresFromEmbeddings(embedded, mask, ctx), ctx) as tf.Tensor2D;
  }

  perExampleLoss(batch: TensorBatch, ctx: ForwardContext): tf.Tensor1D {
    return sparseCrossEntropy(this.logits(batch, ctx), batch.targets) as tf.Tensor1D;
  }

  forwardFlops(length: number): number {
    const c = this.config;
    const D = c.embeddingDim;
    const C = this.labels.length;
    switch (c.kind) {
      case 'embbag':
        return 2 * (length * D + (c.hidden > 0 ? D * c.hidden + c.hidden * C : D * C));
      case 'cnn':
        return 2 * (c.kernelSizes.reduce((n, k) => n + length * k * D * c.filters, 0) + c.filters * c.kernelSizes.length * C);
      case 'transformer': {
        const perLayer = length * (4 * D * D + 2 * D * c.ffnDim) + 2 * length * length * D;
        return 2 * (c.layers * perLayer + D * C);
      }
    }
  }

  dispose(): void {
    this.store.dispose();
  }
}
