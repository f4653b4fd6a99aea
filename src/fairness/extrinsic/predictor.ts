/**
 * What the extrinsic metrics need from a classifier: its label names and class probabilities for
 * a list of texts. Trained trustnlu classifiers, the VADER lexicon (a reference sentiment model
 * for the EEC-style probe) and hand-written fakes in tests all fit this shape.
 */
import { createRequire } from 'node:module';
import { ConfigError, ShapeMismatchError } from '../../errors.js';
import type { ClassifierModel } from '../../models/index.js';
import { classifierOutputs, encodeTexts } from '../../train/index.js';

export interface TextClassifier {
  /** Class names; column c of the probabilities is labels[c]. */
  labels: string[];
  /** Row-major [texts.length × labels.length] class probabilities. */
  probabilities(texts: string[]): Float32Array;
}

/** A trained classifier as a TextClassifier (inference mode, batched, nothing left in memory). */
export function modelClassifier(model: ClassifierModel, batchSize = 256): TextClassifier {
  return {
    labels: model.labels,
    probabilities: (texts) => classifierOutputs(model, encodeTexts(texts, model.tokenizer, model.maxLength), batchSize).probabilities,
  };
}

/**
 * VADER (Hutto & Gilbert 2014), the rule-based sentiment lexicon, as a two-class classifier:
 * P(positive) = (compound + 1) / 2. A useful reference on the sentiment probe because its only
 * way to react to a person is through its lexicon: of the 40 EEC names only "tia" is in it (as
 * the chat abbreviation "thanks in advance", valence +2.3), so on the race probe every
 * counterfactual change comes from swapping Tia with her counterpart (tested), a bias a lexicon
 * model has for a reason one can read off.
 */
export function vaderClassifier(): TextClassifier {
  let analyzer: { polarity_scores(text: string): { compound: number } };
  try {
    const require = createRequire(import.meta.url);
    analyzer = (require('vader-sentiment') as { SentimentIntensityAnalyzer: typeof analyzer }).SentimentIntensityAnalyzer;
  } catch (error) {
    throw new ConfigError(`the VADER reference model needs the npm package vader-sentiment (${(error as Error).message})`);
  }
  return {
    labels: ['negative', 'positive'],
    probabilities: (texts) => {
      const out = new Float32Array(texts.length * 2);
      texts.forEach((text, i) => {
        const positive = (analyzer.polarity_scores(text).compound + 1) / 2;
        out[2 * i] = 1 - positive;
        out[2 * i + 1] = positive;
      });
      return out;
    },
  };
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

/** Every expected label of a probe must be one of the classifier's labels. */
export function checkLabels(probeName: string, probeLabels: string[], classifierLabels: string[]): void {
  const known = new Set(classifierLabels);
  const missing = probeLabels.filter((l) => !known.has(l));
  if (missing.length > 0) {
    throw new ConfigError(
      `probe ${probeName} expects labels the model does not have: ${missing.join(', ')} (model labels: ${classifierLabels.slice(0, 12).join(', ')}` +
        `${classifierLabels.length > 12 ? ', ...' : ''}); pick the probe for the model's dataset (intent-synthetic, intent-clinc150, sentiment-eec)`,
    );
  }
}
