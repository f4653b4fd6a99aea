/**
 * Next-token language models over characters or words: an embedding, an LSTM or a causal
 * transformer, and a linear output over the vocabulary.
 */
import { tf, SeededRandom } from '../../engine/index.js';
import { ConfigError } from '../../errors.js';
import type { Tokenizer } from '../../text/index.js';
import { Dense, Embedding, LSTM, ParameterStore, dropout, type ForwardContext, type NamedParameter } from '../layers/index.js';
import { TransformerStack } from '../transformer.js';
import { sparseCrossEntropy, type LanguageModel, type LanguageModelKind, type TensorBatch } from '../model.js';

export interface LanguageModelConfig {
  kind: LanguageModelKind;
  embeddingDim: number;
  /** Training context length (tokens per example). */
  contextLength: number;
  dropout: number;
  /** lstm */
  hidden: number;
  /** transformer */
  heads: number;
  layers: number;
  ffnDim: number;
}

export const LANGUAGE_MODEL_DEFAULTS: Record<LanguageModelKind, LanguageModelConfig> = {
  'char-lstm': { kind: 'char-lstm', embeddingDim: 64, contextLength: 64, dropout: 0, hidden: 384, heads: 0, layers: 1, ffnDim: 0 },
  'word-lstm': { kind: 'word-lstm', embeddingDim: 128, contextLength: 32, dropout: 0.2, hidden: 256, heads: 0, layers: 1, ffnDim: 0 },
  'char-transformer': { kind: 'char-transformer', embeddingDim: 128, contextLength: 128, dropout: 0, hidden: 0, heads: 4, layers: 3, ffnDim: 512 },
  'word-transformer': { kind: 'word-transformer', embeddingDim: 128, contextLength: 32, dropout: 0.1, hidden: 0, heads: 4, layers: 2, ffnDim: 256 },
};

export class NextTokenModel implements LanguageModel {
  readonly task = 'lm' as const;
  readonly store = new ParameterStore();
  readonly kind: LanguageModelKind;
  readonly contextLength: number;
  private readonly embedding: Embedding;
  private readonly lstms: LSTM[] = [];
  private readonly decoder?: TransformerStack;
  private readonly output: Dense;

  constructor(readonly config: LanguageModelConfig, readonly tokenizer: Tokenizer, seed: number) {
    this.kind = config.kind;
    this.contextLength = config.contextLength;
    const rng = new SeededRandom(seed).fork('init');
    const D = config.embeddingDim;
    const V = tokenizer.vocabSize;
    this.embedding = new Embedding(this.store, 'embedding', V, D, rng.fork('embedding'));
    let outDim: number;
    if (config.kind.endsWith('lstm')) {
      if (config.hidden < 1 || config.layers < 1) throw new ConfigError('an LSTM language model needs hidden ≥ 1 and layers ≥ 1');
      for (let l = 0; l < config.layers; l++) {
        this.lstms.push(new LSTM(this.store, `lstm${l}`, l === 0 ? D : config.hidden, config.hidden, rng.fork(`lstm${l}`)));
      }
      outDim = config.hidden;
    } else {
      this.decoder = new TransformerStack(this.store, 'decoder', { dim: D, heads: config.heads, layers: config.layers, ffnDim: config.ffnDim, maxLength: config.contextLength, dropout: config.dropout }, rng.fork('decoder'));
      outDim = D;
    }
    this.output = new Dense(this.store, 'output', outDim, V, rng.fork('output'));
  }

  parameters(): NamedParameter[] {
    return this.store.ordered;
  }

  logits(batch: TensorBatch, ctx: ForwardContext): tf.Tensor3D {
    let h = dropout(this.embedding.apply(batch.ids, ctx), this.config.dropout, ctx);
    if (this.decoder) {
      h = this.decoder.apply(h, undefined, true, ctx);
    } else {
      for (const lstm of this.lstms) h = dropout(lstm.apply(h, ctx), this.config.dropout, ctx);
    }
    return this.output.apply(h, ctx) as tf.Tensor3D;
  }

  tokenLosses(batch: TensorBatch, ctx: ForwardContext): tf.Tensor2D {
    return tf.mul(sparseCrossEntropy(this.logits(batch, ctx), batch.targets), batch.mask) as tf.Tensor2D;
  }

  perExampleLoss(batch: TensorBatch, ctx: ForwardContext): tf.Tensor1D {
    const losses = this.tokenLosses(batch, ctx);
    return tf.div(tf.sum(losses, 1), tf.maximum(tf.sum(batch.mask, 1), 1)) as tf.Tensor1D;
  }

  forwardFlops(length: number): number {
    const c = this.config;
    const D = c.embeddingDim;
    const V = this.tokenizer.vocabSize;
    if (this.decoder) {
      const perLayer = length * (4 * D * D + 2 * D * c.ffnDim) + length * length * D; // causal: half the scores
      return 2 * (c.layers * perLayer + length * D * V);
    }
    let macs = 0;
    for (let l = 0; l < c.layers; l++) macs += length * ((l === 0 ? D : c.hidden) + c.hidden) * 4 * c.hidden;
    return 2 * (macs + length * c.hidden * V);
  }

  dispose(): void {
    this.store.dispose();
  }
}
