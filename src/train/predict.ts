/** Prediction for saved classifiers: text in, label and probability out. */
import { ConfigError } from '../errors.js';
import type { AnyModel, ClassifierModel, TextClassifier } from '../models/index.js';
import { classifierOutputs } from './evaluation.js';
import { encodeTexts } from './examples.js';

export interface Prediction {
  text: string;
  label: string;
  probability: number;
  /** The `top` most probable labels, best first. */
  top: { label: string; probability: number }[];
}

export function predictTexts(model: AnyModel, texts: string[], top = 3): Prediction[] {
  if (model.task !== 'classifier') throw new ConfigError(`predict needs a classifier; this checkpoint is a "${model.kind}" language model`);
  const outputs = classifierOutputs(model, encodeTexts(texts, model.tokenizer, model.maxLength));
  const C = outputs.classes;
  return texts.map((text, i) => {
    const probs = Array.from(outputs.probabilities.subarray(i * C, (i + 1) * C));
    const ranked = probs.map((p, c) => ({ label: model.labels[c], probability: p })).sort((a, b) => b.probability - a.probability);
    return { text, label: ranked[0].label, probability: ranked[0].probability, top: ranked.slice(0, top) };
  });
}

/** A trained classifier as a TextClassifier (inference mode, batched, nothing left in memory). */
export function modelClassifier(model: ClassifierModel, batchSize = 256): TextClassifier {
  return {
    labels: model.labels,
    probabilities: (texts) => classifierOutputs(model, encodeTexts(texts, model.tokenizer, model.maxLength), batchSize).probabilities,
  };
}
