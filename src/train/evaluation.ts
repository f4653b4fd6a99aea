/**
 * Evaluation and prediction in batches, each inside tf.tidy (no tensor outlives a batch).
 */
import { tf } from '../engine/index.js';
import { INFERENCE, toTensorBatch, type ClassifierModel, type LanguageModel } from '../models/index.js';
import { batchIndices } from '../text/index.js';
import { classificationBatch, windowBatch, type EncodedClassificationSet, type EncodedCorpus } from './examples.js';

export interface ClassifierOutputs {
  /** [N, classes] row-major softmax probabilities. */
  probabilities: Float32Array;
  /** Per-example cross-entropy of the set's targets. */
  losses: Float32Array;
  predictions: Int32Array;
  classes: number;
}

export function classifierOutputs(model: ClassifierModel, set: EncodedClassificationSet, batchSize = 256): ClassifierOutputs {
  const C = model.labels.length;
  const probabilities = new Float32Array(set.size * C);
  const losses = new Float32Array(set.size);
  const predictions = new Int32Array(set.size);
  const order = Array.from({ length: set.size }, (_, i) => i);
  let offset = 0;
  for (const indices of batchIndices(order, batchSize)) {
    const host = classificationBatch(set, indices);
    const [p, l] = tf.tidy(() => {
      const batch = toTensorBatch(host, 'classifier');
      const logits = model.logits(batch, INFERENCE);
      const logProbs = tf.logSoftmax(logits);
      const loss = tf.neg(tf.sum(tf.mul(logProbs, tf.oneHot(batch.targets, C)), 1));
      return [tf.exp(logProbs).dataSync() as Float32Array, loss.dataSync() as Float32Array];
    });
    probabilities.set(p, offset * C);
    losses.set(l, offset);
    for (let j = 0; j < indices.length; j++) {
      let best = 0;
      for (let c = 1; c < C; c++) if (p[j * C + c] > p[j * C + best]) best = c;
      predictions[offset + j] = best;
    }
    offset += indices.length;
  }
  return { probabilities, losses, predictions, classes: C };
}

export interface ClassifierMetrics {
  loss: number;
  accuracy: number;
  examples: number;
  /** With an out-of-scope label (CLINC150): accuracy over in-scope examples only. */
  inScopeAccuracy?: number;
  /** With an out-of-scope label: fraction of out-of-scope examples predicted out-of-scope. */
  oosRecall?: number;
}

export function classifierMetrics(outputs: ClassifierOutputs, targets: Int32Array, outOfScopeIndex?: number): ClassifierMetrics {
  const n = targets.length;
  let correct = 0;
  let lossSum = 0;
  let inScope = 0;
  let inScopeCorrect = 0;
  let oos = 0;
  let oosCaught = 0;
  for (let i = 0; i < n; i++) {
    const hit = outputs.predictions[i] === targets[i];
    if (hit) correct++;
    lossSum += outputs.losses[i];
    if (outOfScopeIndex !== undefined) {
      if (targets[i] === outOfScopeIndex) {
        oos++;
        if (hit) oosCaught++;
      } else {
        inScope++;
        if (hit) inScopeCorrect++;
      }
    }
  }
  const metrics: ClassifierMetrics = { loss: lossSum / Math.max(1, n), accuracy: correct / Math.max(1, n), examples: n };
  if (outOfScopeIndex !== undefined) {
    metrics.inScopeAccuracy = inScopeCorrect / Math.max(1, inScope);
    metrics.oosRecall = oosCaught / Math.max(1, oos);
  }
  return metrics;
}

export interface LanguageModelMetrics {
  /** Mean next-token cross-entropy, nats per token. */
  loss: number;
  perplexity: number;
  /** Next-token top-1 accuracy. */
  accuracy: number;
  tokens: number;
}

export function languageModelMetrics(model: LanguageModel, corpus: EncodedCorpus, batchSize = 32, maxWindows = Infinity): LanguageModelMetrics {
  const count = Math.min(corpus.count, maxWindows);
  const order = Array.from({ length: count }, (_, i) => i);
  let lossSum = 0;
  let correct = 0;
  let tokens = 0;
  for (const indices of batchIndices(order, batchSize)) {
    const host = windowBatch(corpus, indices);
    const [l, c] = tf.tidy(() => {
      const batch = toTensorBatch(host, 'lm');
      const logits = model.logits(batch, INFERENCE);
      const V = logits.shape[2];
      const logProbs = tf.logSoftmax(logits);
      const loss = tf.neg(tf.sum(tf.mul(logProbs, tf.oneHot(batch.targets, V))));
      const hits = tf.sum(tf.cast(tf.equal(tf.argMax(logits, 2), batch.targets), 'float32'));
      return [loss.dataSync()[0], hits.dataSync()[0]];
    });
    lossSum += l;
    correct += c;
    tokens += host.size * host.length;
  }
  const loss = lossSum / Math.max(1, tokens);
  return { loss, perplexity: Math.exp(loss), accuracy: correct / Math.max(1, tokens), tokens };
}
