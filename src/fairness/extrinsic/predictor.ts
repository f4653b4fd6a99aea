/**
 * What the extrinsic metrics need from a classifier: its label names and class probabilities for
 * a list of texts (TextClassifier, defined in models so the privacy audits share it). Trained
 * trustnlu classifiers, a user's wrapped tf.LayersModel, the VADER lexicon (a reference sentiment
 * model for the EEC-style probe) and hand-written fakes in tests all fit this shape.
 */
import { createRequire } from 'node:module';
import { ConfigError } from '../../errors.js';
import type { TextClassifier } from '../../models/index.js';

// The shape and the trained-model adapter live below the pillars (privacy audits take them too).
export { classifyTexts, type TextClassifier } from '../../models/index.js';
export { modelClassifier } from '../../train/index.js';

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
