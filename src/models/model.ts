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

export function isClassifierKind(kind: string): kind is ClassifierKind {
  return (CLASSIFIER_KINDS as readonly string[]).includes(kind);
}
export function isLanguageModelKind(kind: string): kind is LanguageModelKind {
  return (LANGUAGE_MODEL_KINDS as readonly string[]).includes(kind);
}

/** A batch as typed arrays: [size, length] ids and mask; targets [size] (classes) or [size·length] (next tokens). */
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

export function toTensorBatch(batch: HostBatch, task: 'classifier' | 'lm'): TensorBatch {
  return {
    ids: tf.tensor2d(batch.ids, [batch.size, batch.length], 'int32'),
    mask: tf.tensor2d(batch.mask, [batch.size, batch.length], 'float32'),
    targets: task === 'classifier'
      ? tf.tensor1d(batch.targets, 'int32')
      : tf.tensor2d(batch.targets, [batch.size, batch.length], 'int32'),
  };
}

export interface Model {
  readonly kind: ModelKind;
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
