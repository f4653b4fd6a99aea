/**
 * A user's tf.LayersModel as a trustnlu model (kind 'layers'): with a tokenizer, it takes
 * token ids [B, T] and gives class probabilities [B, classes] (a classifier) or next-token
 * probabilities [B, T, vocabulary] (a language model), so everything built on the Model
 * interface — the trainer, evaluation, prediction, DP-SGD through the trainer — runs on it.
 * Its parameters are the model's own variables (trained in place); its checkpoint is the
 * TensorFlow.js Layers format (serialize.ts writes model.json + weights.bin + tokenizer.json).
 */
import { tf } from '../../engine/index.js';
import { ConfigError } from '../../errors.js';
import { PAD_ID, type Tokenizer } from '../../text/index.js';
import type { ForwardContext } from '../layers/context.js';
import { ParameterStore, type NamedParameter } from '../layers/parameters.js';
import { LAYERS_MODEL_KIND, sparseCrossEntropy, type EmbeddingInputClassifier, type LanguageModel, type TensorBatch } from '../model.js';
import { embeddingInputOf, fitEmbeddedLength, standInIds, type EmbeddingInput } from './embedding-input.js';
import type { LayersModelMetadata } from './export.js';
import { TappedLayersModel } from './tapped-model.js';

export interface WrapLayersModelOptions {
  tokenizer: Tokenizer;
  /** Default: 'lm' when the output has a time axis ([B, T, V]), else 'classifier'. */
  task?: 'classifier' | 'lm';
  /** Class names (classifiers; default "0", "1", ...). */
  labels?: string[];
  /** Longest input in tokens (default: the model's fixed input length, else 128). */
  maxLength?: number;
  /** Told once per layer that takes the generic per-example loop under DP-SGD. */
  warn?: (message: string) => void;
}

export interface LayersModelConfig {
  kind: typeof LAYERS_MODEL_KIND;
  /** The tf.LayersModel's name. */
  name: string;
  /** The fixed input length the model was built for, if any. */
  inputLength: number | null;
}

/** Shared by the classifier and the LM: the wrapped model, its ids in, scores out. */
abstract class LayersModelBase {
  readonly kind = LAYERS_MODEL_KIND;
  readonly store = new ParameterStore();
  readonly tapped: TappedLayersModel;
  readonly config: LayersModelConfig;
  readonly tokenizer: Tokenizer;
  protected readonly inputLength: number | null;

  constructor(readonly layersModel: tf.LayersModel, options: WrapLayersModelOptions) {
    this.tokenizer = options.tokenizer;
    this.tapped = new TappedLayersModel(layersModel, { loss: 'sparseCategoricalCrossentropy', warn: options.warn });
    for (const w of this.tapped.allWeights()) this.store.adopt(w.name, w.variable);
    const inputs = (layersModel as unknown as { inputs: tf.SymbolicTensor[] }).inputs;
    if (inputs.length !== 1 || inputs[0].shape.length !== 2) {
      throw new ConfigError(`model "${layersModel.name}" must take one input of token ids [batch, length] to be used with a tokenizer; it takes ${inputs.map((i) => `[${i.shape.map((d) => d ?? 'null')}]`).join(', ')}`);
    }
    const length = inputs[0].shape[1];
    this.inputLength = typeof length === 'number' ? length : null;
    this.config = { kind: LAYERS_MODEL_KIND, name: layersModel.name, inputLength: this.inputLength };
    const vocabulary = this.embeddingInputDim();
    if (vocabulary !== undefined && vocabulary < options.tokenizer.vocabSize) {
      throw new ConfigError(`model "${layersModel.name}": its Embedding takes ${vocabulary} ids but the tokenizer has ${options.tokenizer.vocabSize} tokens; build the Embedding with inputDim ≥ ${options.tokenizer.vocabSize} (or cap the vocabulary)`);
    }
  }

  /** inputDim of the first Embedding layer, if any. */
  private embeddingInputDim(): number | undefined {
    for (const layer of this.layersModel.layers) {
      if (layer.getClassName() === 'Embedding') return (layer as unknown as { inputDim: number }).inputDim;
    }
    return undefined;
  }

  private entry?: EmbeddingInput;

  /** Where the ids enter (checked once; a model without an Embedding there is refused by name). */
  protected embeddingInput(): EmbeddingInput {
    this.entry ??= embeddingInputOf(this.layersModel);
    return this.entry;
  }

  /** The first Embedding layer's table [vocabulary, dimension]; a ConfigError when the ids do not enter through one. */
  embeddingTable(): tf.Tensor2D {
    return this.embeddingInput().table();
  }

  parameters(): NamedParameter[] {
    return this.tapped.parameters();
  }

  /** ids padded (with the padding id) or cut to the model's fixed input length, if it has one. */
  protected fitLength(ids: tf.Tensor2D): tf.Tensor2D {
    const T = this.inputLength;
    if (T === null || ids.shape[1] === T) return ids;
    if (ids.shape[1] > T) return tf.slice(ids, [0, 0], [-1, T]);
    return tf.pad(ids, [[0, 0], [0, T - ids.shape[1]]], PAD_ID);
  }

  /** Pre-softmax scores when the model ends in a softmax, else the log of its output. */
  protected scores(batch: TensorBatch, ctx: ForwardContext): tf.Tensor {
    return this.tapped.logits([this.fitLength(batch.ids)], ctx);
  }

  forwardFlops(length: number): number {
    // An estimate: two operations per parameter per position (exact for dense layers over a sequence).
    return 2 * length * this.store.count();
  }

  dispose(): void {
    this.layersModel.dispose();
  }
}

export class LayersClassifier extends LayersModelBase implements EmbeddingInputClassifier {
  readonly task = 'classifier' as const;
  readonly labels: string[];
  readonly maxLength: number;

  constructor(layersModel: tf.LayersModel, options: WrapLayersModelOptions) {
    super(layersModel, options);
    const output = (layersModel as unknown as { outputs: tf.SymbolicTensor[] }).outputs[0];
    const classes = output.shape[output.shape.length - 1] as number;
    this.labels = options.labels ?? Array.from({ length: classes }, (_, i) => String(i));
    if (this.labels.length !== classes) throw new ConfigError(`model "${layersModel.name}" outputs ${classes} classes but ${this.labels.length} labels were given`);
    this.maxLength = options.maxLength ?? this.inputLength ?? 128;
  }

  logits(batch: TensorBatch, ctx: ForwardContext): tf.Tensor2D {
    const scores = this.scores(batch, ctx);
    if (scores.rank !== 2) throw new ConfigError(`model "${this.layersModel.name}" outputs [${scores.shape}], not one score per class per example`);
    return scores as tf.Tensor2D;
  }

  perExampleLoss(batch: TensorBatch, ctx: ForwardContext): tf.Tensor1D {
    return sparseCrossEntropy(this.logits(batch, ctx), batch.targets) as tf.Tensor1D;
  }

  /**
   * Class scores from embedded tokens [B, T, D]: the graph runs with the Embedding's output
   * replaced by them (embedding-input.ts); equals logits() when embedded = table[ids].
   */
  logitsFromEmbeddings(embedded: tf.Tensor3D, mask: tf.Tensor2D, ctx: ForwardContext): tf.Tensor2D {
    const entry = this.embeddingInput();
    const fitted = fitEmbeddedLength(embedded, mask, entry.table(), this.inputLength);
    const scores = this.tapped.logits([standInIds(fitted.mask)], ctx, new Map([[entry.layer, fitted.embedded]]));
    if (scores.rank !== 2) throw new ConfigError(`model "${this.layersModel.name}" outputs [${scores.shape}], not one score per class per example`);
    return scores as tf.Tensor2D;
  }
}

export class LayersLanguageModel extends LayersModelBase implements LanguageModel {
  readonly task = 'lm' as const;
  readonly contextLength: number;

  constructor(layersModel: tf.LayersModel, options: WrapLayersModelOptions) {
    super(layersModel, options);
    if (options.tokenizer.toJSON().unknownId !== undefined) {
      throw new ConfigError(`model "${layersModel.name}": a language model needs trustnlu's special tokens (<pad>, <unk>, <bos>, <eos> at ids 0-3) to mark where texts end; give it a trustnlu tokenizer JSON, not a plain vocabulary`);
    }
    this.contextLength = options.maxLength ?? this.inputLength ?? 64;
    if (this.inputLength !== null && this.inputLength !== this.contextLength) {
      throw new ConfigError(`model "${layersModel.name}" takes ${this.inputLength} tokens but the context length is ${this.contextLength}`);
    }
  }

  logits(batch: TensorBatch, ctx: ForwardContext): tf.Tensor3D {
    const scores = this.scores(batch, ctx);
    if (scores.rank !== 3) throw new ConfigError(`model "${this.layersModel.name}" outputs [${scores.shape}], not next-token scores [batch, length, vocabulary]`);
    return scores as tf.Tensor3D;
  }

  tokenLosses(batch: TensorBatch, ctx: ForwardContext): tf.Tensor2D {
    return tf.mul(sparseCrossEntropy(this.logits(batch, ctx), batch.targets), batch.mask) as tf.Tensor2D;
  }

  perExampleLoss(batch: TensorBatch, ctx: ForwardContext): tf.Tensor1D {
    const losses = this.tokenLosses(batch, ctx);
    return tf.div(tf.sum(losses, 1), tf.maximum(tf.sum(batch.mask, 1), 1)) as tf.Tensor1D;
  }
}

export type LayersTextModel = LayersClassifier | LayersLanguageModel;

/** Wraps a tf.LayersModel (ids in, probabilities out) and a tokenizer as a trustnlu model. */
export function wrapLayersModel(model: tf.LayersModel, options: WrapLayersModelOptions): LayersTextModel {
  const output = (model as unknown as { outputs: tf.SymbolicTensor[] }).outputs;
  if (!output || output.length !== 1) throw new ConfigError(`model "${model.name}" must have one output (probabilities) to be used as a text model`);
  const task = options.task ?? (output[0].shape.length === 3 ? 'lm' : 'classifier');
  return task === 'lm' ? new LayersLanguageModel(model, options) : new LayersClassifier(model, options);
}

/** Options for wrapping a model that trustnlu exported, from its metadata. */
export function wrapOptionsFromMetadata(metadata: LayersModelMetadata | undefined): Partial<WrapLayersModelOptions> {
  if (!metadata) return {};
  return { task: metadata.task, labels: metadata.labels, maxLength: metadata.maxLength };
}
