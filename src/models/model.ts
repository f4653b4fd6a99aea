/**
 * The Model interface every architecture implements, and the batch types it consumes.
 * Host batches are plain typed arrays (built by train/ and the pillars); tensor batches
 * are made from them inside a tidy scope.
 */
import { tf } from '../engine/index.js';
import type { Tokenizer } from '../text/index.js';
import type { ForwardContext, NamedParameter, ParameterStore } from './layers/index.js';

export const CLASSIFIER_KINDS = ['embbag', 'cnn', 'transformer'] as const;
export const LANGUAGE_MODEL_KINDS = ['char-lstm', 'char-transformer', 'word-lstm', 'word-transformer'] as const;
export const MODEL_KINDS = [...CLASSIFIER_KINDS, ...LANGUAGE_MODEL_KINDS] as const;
export type ClassifierKind = (typeof CLASSIFIER_KINDS)[number];
export type LanguageModelKind = (typeof LANGUAGE_MODEL_KINDS)[number];
export type ModelKind = (typeof MODEL_KINDS)[number];
/** The kind of a user's tf.LayersModel wrapped as a trustnlu model (models/layers-model/adapter.ts). */
export const LAYERS_MODEL_KIND = 'layers';
/** The joint intent + slot-tagging model (models/taggers/joint-intent-slot.ts). */
export const JOINT_TAGGER_KIND = 'slot-tagger';

export function isClassifierKind(kind: string): kind is ClassifierKind {
  return (CLASSIFIER_KINDS as readonly string[]).includes(kind);
}
export function isLanguageModelKind(kind: string): kind is LanguageModelKind {
  return (LANGUAGE_MODEL_KINDS as readonly string[]).includes(kind);
}

/**
 * A batch as typed arrays: [size, length] ids and mask; targets [size] (classes),
 * [size·length] (next tokens) or [size·(1 + length)] (tagger: the intent, then one tag per token).
 */
export interface HostBatch {
  ids: Int32Array;
  mask: Float32Array;
  targets: Int32Array;
  size: number;
  length: number;
}

export interface TensorBatch {
  ids: tf.Tensor2D;
  mask: tf.Tensor2D;
  targets: tf.Tensor;
}

export function toTensorBatch(batch: HostBatch, task: 'classifier' | 'lm' | 'tagger'): TensorBatch {
  return {
    ids: tf.tensor2d(batch.ids, [batch.size, batch.length], 'int32'),
    mask: tf.tensor2d(batch.mask, [batch.size, batch.length], 'float32'),
    targets: task === 'classifier'
      ? tf.tensor1d(batch.targets, 'int32')
      : tf.tensor2d(batch.targets, [batch.size, task === 'lm' ? batch.length : batch.length + 1], 'int32'),
  };
}

/**
 * A batch for any model: named tensors (or lists of tensors, e.g. a multi-input model's
 * inputs) that all hold examples on axis 0. TensorBatch is one; a tf.LayersModel's batch
 * (`{ inputs, targets }`) is another.
 */
export type ExampleBatch<Batch> = { [K in keyof Batch]: tf.Tensor | tf.Tensor[] };

/**
 * What per-example gradient machinery (privacy/dpsgd) needs of a model: its trainable
 * parameters, and a per-example loss whose forward pass taps every layer with parameters
 * when `ctx.taps` is set. The built-in models are ones; so is a wrapped tf.LayersModel.
 */
export interface PerExampleModel<Batch = TensorBatch> {
  /** Names the model in messages ("the embbag model", "the layers model"). */
  readonly kind: string;
  parameters(): NamedParameter[];
  perExampleLoss(batch: Batch, ctx: ForwardContext): tf.Tensor1D;
}

/** Number of examples in a batch (axis 0 of its first tensor). */
export function batchExampleCount<Batch extends ExampleBatch<Batch>>(batch: Batch): number {
  for (const value of Object.values(batch) as (tf.Tensor | tf.Tensor[])[]) {
    const first = Array.isArray(value) ? value[0] : value;
    if (first) return first.shape[0];
  }
  return 0;
}

/** Examples [start, start + size) of a batch: every tensor sliced on axis 0. */
export function sliceExamples<Batch extends ExampleBatch<Batch>>(batch: Batch, start: number, size: number): Batch {
  const rows = (t: tf.Tensor) => tf.slice(t, [start, ...t.shape.slice(1).map(() => 0)], [size, ...t.shape.slice(1)]);
  const out: Record<string, tf.Tensor | tf.Tensor[]> = {};
  for (const [key, value] of Object.entries(batch) as [string, tf.Tensor | tf.Tensor[]][]) {
    out[key] = Array.isArray(value) ? value.map(rows) : rows(value);
  }
  return out as Batch;
}

export interface Model {
  readonly kind: ModelKind | typeof LAYERS_MODEL_KIND | typeof JOINT_TAGGER_KIND;
  readonly task: 'classifier' | 'lm';
  /** Architecture hyper-parameters (stored in the checkpoint). */
  readonly config: object;
  readonly tokenizer: Tokenizer;
  readonly store: ParameterStore;
  /** Trainable parameters in a stable order, with model-scoped names. */
  parameters(): NamedParameter[];
  /** Loss of each example [B]: cross-entropy (classifier) or mean next-token cross-entropy (LM). */
  perExampleLoss(batch: TensorBatch, ctx: ForwardContext): tf.Tensor1D;
  /** Forward-pass floating-point operations for one example of `length` tokens (throughput figures). */
  forwardFlops(length: number): number;
  dispose(): void;
}

export interface ClassifierModel extends Model {
  readonly task: 'classifier';
  readonly labels: string[];
  /** Longest input, in tokens; longer texts are truncated. */
  readonly maxLength: number;
  /** Class scores [B, classes]. */
  logits(batch: TensorBatch, ctx: ForwardContext): tf.Tensor2D;
}

/**
 * A classifier that also runs from its embedded tokens: what white-box measures need (APS
 * differentiates with respect to the embedded input, canary extraction optimises a relaxed
 * one). The built-in classifiers and a wrapped tf.LayersModel whose ids enter through an
 * Embedding layer implement it.
 */
export interface EmbeddingInputClassifier extends ClassifierModel {
  /** The token embedding table [vocabulary, dimension]. */
  embeddingTable(): tf.Tensor2D;
  /** Class scores from embedded tokens [B, T, D] and their mask [B, T]; equals logits() when embedded = table[ids]. */
  logitsFromEmbeddings(embedded: tf.Tensor3D, mask: tf.Tensor2D, ctx: ForwardContext): tf.Tensor2D;
}

/** True when the classifier has the methods (a wrapped model may still refuse when called: no Embedding). */
export function hasEmbeddingInput(model: ClassifierModel): model is EmbeddingInputClassifier {
  const m = model as Partial<EmbeddingInputClassifier>;
  return typeof m.embeddingTable === 'function' && typeof m.logitsFromEmbeddings === 'function';
}

export interface LanguageModel extends Model {
  readonly task: 'lm';
  /** Context length used in training. */
  readonly contextLength: number;
  /** Next-token scores [B, T, vocab]. */
  logits(batch: TensorBatch, ctx: ForwardContext): tf.Tensor3D;
  /** Next-token cross-entropy at each position [B, T] (0 where mask is 0). */
  tokenLosses(batch: TensorBatch, ctx: ForwardContext): tf.Tensor2D;
}

/** Cross-entropy of integer targets under logits, per row: logsumexp(z) − z[target]. */
export function sparseCrossEntropy(logits: tf.Tensor, targets: tf.Tensor): tf.Tensor {
  const classes = logits.shape[logits.rank - 1];
  const picked = tf.sum(tf.mul(logits, tf.oneHot(targets, classes)), -1);
  return tf.sub(tf.logSumExp(logits, -1), picked);
}

/** Mean over real positions: Σ_t x_t·m_t / Σ_t m_t for [B, T] or [B, T, D] inputs. */
export function maskedMean(x: tf.Tensor, mask: tf.Tensor): tf.Tensor {
  const m = x.rank === 3 ? tf.expandDims(mask, 2) : mask;
  return tf.div(tf.sum(tf.mul(x, m), 1), tf.maximum(tf.sum(m, 1), 1));
}
