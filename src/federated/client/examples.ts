/**
 * The training examples a federated client draws batches from, as plain data that a worker
 * can receive once: encoded classification examples (token ids and class targets) or
 * language-model windows. A client's data is a list of indices into one such set.
 */
import { ConfigError } from '../../errors.js';
import type { HostBatch } from '../../models/index.js';
import { classificationBatch, windowBatch, type EncodedClassificationSet, type EncodedCorpus } from '../../train/index.js';
import type { TensorExamples } from './tensor-examples.js';

/** Token-id examples for trustnlu's text models, or a user's own tensors for a user's tf.LayersModel (tensor-examples.ts). */
export type FederatedExamples =
  | { task: 'classifier'; sequences: number[][]; targets: Int32Array }
  | { task: 'lm'; inputs: Int32Array; targets: Int32Array; count: number; length: number }
  | TensorExamples;

/** Number of examples (classification examples, LM windows or tensor rows). */
export function exampleCount(examples: FederatedExamples): number {
  return examples.task === 'classifier' ? examples.targets.length : examples.count;
}

function textOnly(examples: FederatedExamples, what: string): asserts examples is Exclude<FederatedExamples, TensorExamples> {
  if (examples.task === 'tensors') throw new ConfigError(`${what}: tensor examples have no token ids (use layersBatchOf)`);
}

/** From the trainer's encodings (texts are dropped: batches need only ids and targets). */
export function fromEncodedClassification(set: EncodedClassificationSet): FederatedExamples {
  return { task: 'classifier', sequences: set.sequences, targets: set.targets };
}

export function fromEncodedCorpus(corpus: EncodedCorpus): FederatedExamples {
  return { task: 'lm', inputs: corpus.inputs, targets: corpus.targets, count: corpus.count, length: corpus.length };
}

/** The host batch of the examples at `indices`. */
export function batchOf(examples: FederatedExamples, indices: ArrayLike<number>): HostBatch {
  textOnly(examples, 'batchOf');
  const list = Array.from(indices);
  if (examples.task === 'classifier') {
    return classificationBatch({ texts: [], sequences: examples.sequences, targets: examples.targets, size: examples.targets.length }, list);
  }
  return windowBatch({ ...examples, tokens: 0 }, list);
}

/** The examples at `indices` as a stand-alone encoded set (for the trainer's evaluation helpers). */
export function subsetOf(examples: FederatedExamples, indices: ArrayLike<number>): EncodedClassificationSet | EncodedCorpus {
  textOnly(examples, 'subsetOf');
  const n = indices.length;
  if (examples.task === 'classifier') {
    const sequences: number[][] = new Array(n);
    const targets = new Int32Array(n);
    for (let j = 0; j < n; j++) {
      sequences[j] = examples.sequences[indices[j]];
      targets[j] = examples.targets[indices[j]];
    }
    return { texts: [], sequences, targets, size: n };
  }
  const T = examples.length;
  const inputs = new Int32Array(n * T);
  const targets = new Int32Array(n * T);
  for (let j = 0; j < n; j++) {
    const w = indices[j];
    inputs.set(examples.inputs.subarray(w * T, (w + 1) * T), j * T);
    targets.set(examples.targets.subarray(w * T, (w + 1) * T), j * T);
  }
  return { inputs, targets, count: n, length: T, tokens: n * T };
}

/** Throws `ConfigError` unless every index is an integer in [0, count). */
export function assertIndicesIn(examples: FederatedExamples, indices: ArrayLike<number>, what: string): void {
  const count = exampleCount(examples);
  for (let j = 0; j < indices.length; j++) {
    const i = indices[j];
    if (!Number.isInteger(i) || i < 0 || i >= count) {
      throw new ConfigError(`${what}: example index ${i} is outside [0, ${count})`);
    }
  }
}
