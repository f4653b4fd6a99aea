/**
 * The one black-box classifier shape every pillar takes: label names and class probabilities
 * for a list of texts. Measures that only need scores (membership inference by loss, group
 * gaps, counterfactual fairness) take it, so any model fits: a trained trustnlu classifier
 * (modelClassifier in train), a user's tf.LayersModel wrapped with its tokenizer, a remote
 * service, a lexicon (VADER), a hand-written fake in a test.
 */
import { ShapeMismatchError } from '../errors.js';

export interface TextClassifier {
  /** Class names; column c of the probabilities is labels[c]. */
  labels: string[];
  /** Row-major [texts.length × labels.length] class probabilities. */
  probabilities(texts: string[]): Float32Array;
}

/** Probabilities with their shape checked. */
export function classifyTexts(classifier: TextClassifier, texts: string[]): Float32Array {
  const probabilities = classifier.probabilities(texts);
  const expected = texts.length * classifier.labels.length;
  if (probabilities.length !== expected) {
    throw new ShapeMismatchError(`classifier returned ${probabilities.length} probabilities for ${texts.length} texts × ${classifier.labels.length} labels (expected ${expected})`);
  }
  return probabilities;
}

/** True for a TextClassifier given where a model or a scorer may be: a model has a tokenizer. */
export function isTextClassifier(value: object): value is TextClassifier {
  return !('tokenizer' in value) && typeof (value as Partial<TextClassifier>).probabilities === 'function' && Array.isArray((value as Partial<TextClassifier>).labels);
}
