/**
 * Evaluating parameters on a set of examples as additive sums, so evaluation can be split
 * into fixed chunks (run on any worker, in any order) and combined exactly: loss and
 * correct predictions summed over examples (classifiers) or tokens (language models).
 * Uses the trainer's evaluation helpers, so numbers match `trustnlu train`/`eval`.
 */
import { tf } from '../../engine/index.js';
import { INFERENCE, TappedLayersModel } from '../../models/index.js';
import { classifierOutputs, languageModelMetrics, type EncodedClassificationSet, type EncodedCorpus } from '../../train/index.js';
import { subsetOf, type FederatedExamples } from './examples.js';
import type { LocalModel } from './local-training.js';
import { layersBatchOf, targetClasses, type TensorExamples } from './tensor-examples.js';

export interface EvaluationSums {
  /** Examples (classifier) or windows (LM) evaluated. */
  examples: number;
  /** What loss and accuracy average over: examples (classifier) or tokens (LM). */
  units: number;
  lossSum: number;
  correct: number;
  /** With an out-of-scope class: in-scope examples and how many were right. */
  inScope?: number;
  inScopeCorrect?: number;
}

export interface EvaluationMetrics {
  /** Mean cross-entropy (per example, or per token for LMs). */
  loss: number;
  /**
   * Headline accuracy: in-scope accuracy for datasets with an out-of-scope label (CLINC150,
   * as `trustnlu train` reports), next-token accuracy for LMs, plain accuracy otherwise.
   */
  accuracy: number;
  /** Accuracy over every example, out-of-scope included. */
  accuracyAll: number;
  examples: number;
}

/** Loss (the model's own) and arg-max accuracy of a user's tf.LayersModel on tensor examples, in chunks of 256. */
function evaluateTensorExamples(model: TappedLayersModel, examples: TensorExamples, indices: ArrayLike<number>): EvaluationSums {
  const n = indices.length;
  const classes = targetClasses(examples, indices);
  let lossSum = 0;
  let correct = 0;
  for (let start = 0; start < n; start += 256) {
    const chunk = Array.from({ length: Math.min(256, n - start) }, (_, j) => indices[start + j]);
    // tensors out of the scope, read after it (a typed array returned from tidy is walked element by element)
    const [lossTensor, predictedTensor] = tf.tidy(() => {
      const batch = layersBatchOf(examples, chunk);
      const output = model.forward(batch.inputs, INFERENCE, false).output;
      return [model.perExampleLoss(batch, INFERENCE), tf.argMax(tf.reshape(output, [chunk.length, -1]), 1)];
    });
    const losses = lossTensor.dataSync();
    const predicted = predictedTensor.dataSync();
    tf.dispose([lossTensor, predictedTensor]);
    for (let j = 0; j < chunk.length; j++) {
      lossSum += losses[j];
      if (predicted[j] === classes[start + j]) correct++;
    }
  }
  return { examples: n, units: n, lossSum, correct };
}

export function evaluateExamples(
  model: LocalModel,
  examples: FederatedExamples,
  indices: ArrayLike<number>,
  options: { outOfScopeIndex?: number } = {},
): EvaluationSums {
  const n = indices.length;
  if (n === 0) return { examples: 0, units: 0, lossSum: 0, correct: 0 };
  if (examples.task === 'tensors' || model instanceof TappedLayersModel) {
    if (!(examples.task === 'tensors' && model instanceof TappedLayersModel)) throw new Error(`cannot evaluate ${model instanceof TappedLayersModel ? 'a bare tf.LayersModel' : `a ${model.task} model`} on ${examples.task} examples`);
    return evaluateTensorExamples(model, examples, indices);
  }
  if (examples.task === 'classifier' && model.task === 'classifier') {
    const set = subsetOf(examples, indices) as EncodedClassificationSet;
    const out = classifierOutputs(model, set, 256);
    let lossSum = 0;
    let correct = 0;
    let inScope = 0;
    let inScopeCorrect = 0;
    for (let i = 0; i < n; i++) {
      lossSum += out.losses[i];
      const hit = out.predictions[i] === set.targets[i];
      if (hit) correct++;
      if (options.outOfScopeIndex !== undefined && set.targets[i] !== options.outOfScopeIndex) {
        inScope++;
        if (hit) inScopeCorrect++;
      }
    }
    const sums: EvaluationSums = { examples: n, units: n, lossSum, correct };
    if (options.outOfScopeIndex !== undefined) Object.assign(sums, { inScope, inScopeCorrect });
    return sums;
  }
  if (examples.task === 'lm' && model.task === 'lm') {
    const corpus = subsetOf(examples, indices) as EncodedCorpus;
    const m = languageModelMetrics(model, corpus, 32);
    return { examples: n, units: m.tokens, lossSum: m.loss * m.tokens, correct: Math.round(m.accuracy * m.tokens) };
  }
  throw new Error(`cannot evaluate a ${model.task} model on ${examples.task} examples`);
}

/** Adds sums in the given order (the order is fixed by the caller, so totals are reproducible). */
export function combineEvaluations(parts: readonly EvaluationSums[]): EvaluationSums {
  const total: EvaluationSums = { examples: 0, units: 0, lossSum: 0, correct: 0 };
  for (const p of parts) {
    total.examples += p.examples;
    total.units += p.units;
    total.lossSum += p.lossSum;
    total.correct += p.correct;
    if (p.inScope !== undefined) {
      total.inScope = (total.inScope ?? 0) + p.inScope;
      total.inScopeCorrect = (total.inScopeCorrect ?? 0) + (p.inScopeCorrect ?? 0);
    }
  }
  return total;
}

export function evaluationMetrics(sums: EvaluationSums): EvaluationMetrics {
  const units = Math.max(1, sums.units);
  const accuracyAll = sums.correct / units;
  const accuracy = sums.inScope !== undefined ? (sums.inScopeCorrect ?? 0) / Math.max(1, sums.inScope) : accuracyAll;
  return { loss: sums.lossSum / units, accuracy, accuracyAll, examples: sums.examples };
}
