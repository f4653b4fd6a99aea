/**
 * Metrics of hard predictions: accuracy, confusion matrix, per-class precision/recall/F1,
 * macro-F1, F-beta and balanced accuracy. Labels may be strings (intent names) or numbers.
 *
 * Convention for empty denominators (as scikit-learn's default zero_division): precision of a
 * class never predicted, recall of a class never present, and F of a class with
 * precision + recall = 0 are 0. Macro averages run over the union of labels seen in yTrue and
 * yPred unless `labels` is given.
 */
import { ConfigError } from '../errors.js';
import { checkNonEmpty, checkSameLength, sortedLabels, type Label } from './input-checks.js';

function checkPair(what: string, yTrue: ArrayLike<Label>, yPred: ArrayLike<Label>): void {
  checkSameLength(what, yTrue, 'yTrue', yPred, 'yPred');
  checkNonEmpty(what, yTrue, 'yTrue');
}

/** Index of the largest value in row `row` of a row-major [N × classes] array (the first one on ties). */
export function argmaxRow(values: ArrayLike<number>, classes: number, row: number): number {
  const offset = row * classes;
  let best = 0;
  for (let c = 1; c < classes; c++) if (values[offset + c] > values[offset + best]) best = c;
  return best;
}

/** Fraction of positions where yPred equals yTrue. */
export function accuracy(yTrue: ArrayLike<Label>, yPred: ArrayLike<Label>): number {
  checkPair('accuracy', yTrue, yPred);
  let correct = 0;
  for (let i = 0; i < yTrue.length; i++) if (yTrue[i] === yPred[i]) correct++;
  return correct / yTrue.length;
}

export interface ConfusionMatrix {
  /** Row/column order. */
  labels: Label[];
  /** matrix[i][j] = number of examples with true label labels[i] predicted as labels[j]. */
  matrix: number[][];
}

export function confusionMatrix(yTrue: ArrayLike<Label>, yPred: ArrayLike<Label>, labels?: Label[]): ConfusionMatrix {
  checkPair('confusionMatrix', yTrue, yPred);
  const order = labels ?? sortedLabels(yTrue, yPred);
  const position = new Map<Label, number>();
  order.forEach((label, i) => {
    if (position.has(label)) throw new ConfigError(`confusionMatrix: label ${JSON.stringify(label)} is listed twice in labels`);
    position.set(label, i);
  });
  const matrix = order.map(() => new Array<number>(order.length).fill(0));
  for (let i = 0; i < yTrue.length; i++) {
    const r = position.get(yTrue[i]);
    const c = position.get(yPred[i]);
    if (r === undefined || c === undefined) {
      const missing = r === undefined ? yTrue[i] : yPred[i];
      throw new ConfigError(
        `confusionMatrix: label ${JSON.stringify(missing)} at position ${i} is not in the given labels ` +
          `(${order.map((l) => JSON.stringify(l)).join(', ')}); add it or omit labels to use every label seen`,
      );
    }
    matrix[r][c]++;
  }
  return { labels: order, matrix };
}

export interface ClassMetrics {
  label: Label;
  precision: number;
  recall: number;
  f1: number;
  /** Number of examples whose true label is this class. */
  support: number;
}

function ratio(numerator: number, denominator: number): number {
  return denominator === 0 ? 0 : numerator / denominator;
}

function fScore(precision: number, recall: number, beta: number): number {
  const b2 = beta * beta;
  const denominator = b2 * precision + recall;
  return denominator === 0 ? 0 : ((1 + b2) * precision * recall) / denominator;
}

/** Precision, recall, F1 and support of every class (one-vs-rest). */
export function perClassMetrics(yTrue: ArrayLike<Label>, yPred: ArrayLike<Label>, labels?: Label[]): ClassMetrics[] {
  const { labels: order, matrix } = confusionMatrix(yTrue, yPred, labels);
  return order.map((label, k) => {
    const tp = matrix[k][k];
    let predicted = 0;
    let actual = 0;
    for (let i = 0; i < order.length; i++) {
      predicted += matrix[i][k];
      actual += matrix[k][i];
    }
    const precision = ratio(tp, predicted);
    const recall = ratio(tp, actual);
    return { label, precision, recall, f1: fScore(precision, recall, 1), support: actual };
  });
}

/** Unweighted mean of the per-class F1 scores. */
export function macroF1(yTrue: ArrayLike<Label>, yPred: ArrayLike<Label>, labels?: Label[]): number {
  const rows = perClassMetrics(yTrue, yPred, labels);
  return rows.reduce((sum, r) => sum + r.f1, 0) / rows.length;
}

export interface PositiveLabelOptions {
  /** The label counted as positive (for multi-class tasks the caller names it). */
  positive: Label;
}

function binaryCounts(what: string, yTrue: ArrayLike<Label>, yPred: ArrayLike<Label>, positive: Label) {
  checkPair(what, yTrue, yPred);
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let tn = 0;
  for (let i = 0; i < yTrue.length; i++) {
    const actual = yTrue[i] === positive;
    const predicted = yPred[i] === positive;
    if (actual && predicted) tp++;
    else if (predicted) fp++;
    else if (actual) fn++;
    else tn++;
  }
  return { tp, fp, fn, tn };
}

/** tp / (tp + fp) for the positive label; 0 when nothing is predicted positive. */
export function precisionScore(yTrue: ArrayLike<Label>, yPred: ArrayLike<Label>, options: PositiveLabelOptions): number {
  const { tp, fp } = binaryCounts('precisionScore', yTrue, yPred, options.positive);
  return ratio(tp, tp + fp);
}

/** tp / (tp + fn) for the positive label; 0 when there are no positives. */
export function recallScore(yTrue: ArrayLike<Label>, yPred: ArrayLike<Label>, options: PositiveLabelOptions): number {
  const { tp, fn } = binaryCounts('recallScore', yTrue, yPred, options.positive);
  return ratio(tp, tp + fn);
}

/** F-beta of the positive label: (1+β²)·P·R / (β²·P + R). β < 1 weighs precision more. */
export function fbetaScore(
  yTrue: ArrayLike<Label>,
  yPred: ArrayLike<Label>,
  options: PositiveLabelOptions & { beta?: number },
): number {
  const beta = options.beta ?? 1;
  if (!(beta > 0) || !Number.isFinite(beta)) throw new ConfigError(`fbetaScore: beta must be a positive number, got ${beta}`);
  const { tp, fp, fn } = binaryCounts('fbetaScore', yTrue, yPred, options.positive);
  return fScore(ratio(tp, tp + fp), ratio(tp, tp + fn), beta);
}

/** Mean recall over the classes present in yTrue (scikit-learn's balanced_accuracy_score). */
export function balancedAccuracy(yTrue: ArrayLike<Label>, yPred: ArrayLike<Label>): number {
  const present = new Set<Label>();
  for (let i = 0; i < yTrue.length; i++) present.add(yTrue[i]);
  const rows = perClassMetrics(yTrue, yPred).filter((r) => present.has(r.label));
  return rows.reduce((sum, r) => sum + r.recall, 0) / rows.length;
}
