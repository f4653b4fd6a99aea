/**
 * Group gaps on labelled data rather than a probe set: a classifier's predictions on examples
 * that carry a group (a user's --group-column; the synthetic set's person groups), or
 * predictions any model made, read from a file. Both go through groupMetrics (the one
 * disaggregation module), with bootstrap intervals.
 */
import { ConfigError } from '../../errors.js';
import type { TextExample } from '../../data/types.js';
import type { ClassifierModel } from '../../models/index.js';
import { argmaxRow } from '../../metrics/index.js';
import { groupMetrics, type GroupMetricsResult } from './group-metrics.js';
import { classifyTexts, modelClassifier, type TextClassifier } from './predictor.js';

export interface DataGroupOptions {
  /** The label whose selection rate, TPR and FPR are compared (default: the most frequent true label). */
  positive?: string;
  resamples?: number;
  confidence?: number;
  seed?: number;
}

export interface DataGroupAudit extends GroupMetricsResult {
  examples: number;
  /** Examples left out because they have no group. */
  withoutGroup: number;
  /** How `positive` was chosen. */
  positiveChoice: 'given' | 'most frequent true label';
}

/** The group of an example: its own group column, else the synthetic set's person group. */
export function exampleGroup(example: TextExample): string | undefined {
  return example.group ?? example.person?.group;
}

function mostFrequent(values: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0][0];
}

/** Group metrics of labels against predictions, the groups given per example. */
export function predictionGroupGaps(yTrue: readonly string[], yPred: readonly string[], groups: readonly string[], options: DataGroupOptions = {}): DataGroupAudit {
  if (yTrue.length !== yPred.length || yTrue.length !== groups.length) {
    throw new ConfigError(`predictionGroupGaps: ${yTrue.length} true labels, ${yPred.length} predictions and ${groups.length} groups; they must be as many`);
  }
  if (yTrue.length === 0) throw new ConfigError('predictionGroupGaps: no examples');
  const distinct = new Set(groups);
  if (distinct.size < 2) throw new ConfigError(`group gaps need at least two groups; the data has ${distinct.size === 1 ? `only "${[...distinct][0]}"` : 'none'}`);
  const positive = options.positive ?? mostFrequent(yTrue);
  const result = groupMetrics({
    yTrue,
    yPred,
    groups,
    positive,
    bootstrap: { resamples: options.resamples, confidence: options.confidence, seed: options.seed },
  });
  return { ...result, examples: yTrue.length, withoutGroup: 0, positiveChoice: options.positive !== undefined ? 'given' : 'most frequent true label' };
}

/** A classifier's group gaps on labelled examples that carry groups (examples without one are left out and counted). */
export function dataGroupGaps(classifier: TextClassifier | ClassifierModel, examples: readonly TextExample[], options: DataGroupOptions = {}): DataGroupAudit {
  const grouped = examples.filter((e) => exampleGroup(e) !== undefined);
  if (grouped.length === 0) {
    throw new ConfigError('no example has a group: name the column that holds it with --group-column (library: loadTextDataset(path, { group: "COLUMN" }))');
  }
  const scorer = 'tokenizer' in classifier ? modelClassifier(classifier) : classifier;
  const probabilities = classifyTexts(scorer, grouped.map((e) => e.text));
  const C = scorer.labels.length;
  const yPred = grouped.map((_, i) => scorer.labels[argmaxRow(probabilities, C, i)]);
  const audit = predictionGroupGaps(grouped.map((e) => e.label), yPred, grouped.map((e) => exampleGroup(e)!), options);
  return { ...audit, withoutGroup: examples.length - grouped.length };
}
