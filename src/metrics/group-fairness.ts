/**
 * Group fairness metrics built on metricFrame (definitions as in fairlearn):
 * - selection rate: P(ŷ = positive); demographic parity difference/ratio compare it across groups;
 * - TPR = P(ŷ = positive | y = positive), FPR = P(ŷ = positive | y ≠ positive);
 * - equalised odds difference = max(TPR difference, FPR difference) (the worst case), ratio =
 *   min(TPR ratio, FPR ratio); equal opportunity difference/ratio use TPR alone;
 * - per-group accuracy and error rates.
 * Labels may be multi-class: the caller names the positive label and everything else counts as
 * negative. Rates with an empty denominator (a group with no positives has no TPR) are NaN, and so
 * is any gap involving them (see metricFrame).
 */
import { accuracy } from './classification.js';
import type { Label } from './input-checks.js';
import { metricFrame, type MetricFrame, type MetricFrameOptions, type MetricFunction } from './metric-frame.js';

function rate(numerator: number, denominator: number): number {
  return denominator === 0 ? Number.NaN : numerator / denominator;
}

/** Fraction of predictions equal to the positive label. */
export function selectionRate(yTrue: ArrayLike<Label>, yPred: ArrayLike<Label>, positive: Label): number {
  let selected = 0;
  for (let i = 0; i < yPred.length; i++) if (yPred[i] === positive) selected++;
  return rate(selected, yPred.length);
}

function conditionalRate(yTrue: ArrayLike<Label>, yPred: ArrayLike<Label>, positive: Label, givenPositive: boolean, predictedPositive: boolean): number {
  let hits = 0;
  let total = 0;
  for (let i = 0; i < yTrue.length; i++) {
    if ((yTrue[i] === positive) !== givenPositive) continue;
    total++;
    if ((yPred[i] === positive) === predictedPositive) hits++;
  }
  return rate(hits, total);
}

export const truePositiveRate = (yTrue: ArrayLike<Label>, yPred: ArrayLike<Label>, positive: Label) =>
  conditionalRate(yTrue, yPred, positive, true, true);
export const falseNegativeRate = (yTrue: ArrayLike<Label>, yPred: ArrayLike<Label>, positive: Label) =>
  conditionalRate(yTrue, yPred, positive, true, false);
export const falsePositiveRate = (yTrue: ArrayLike<Label>, yPred: ArrayLike<Label>, positive: Label) =>
  conditionalRate(yTrue, yPred, positive, false, true);
export const trueNegativeRate = (yTrue: ArrayLike<Label>, yPred: ArrayLike<Label>, positive: Label) =>
  conditionalRate(yTrue, yPred, positive, false, false);

/** 1 − accuracy (multi-class: any wrong label is an error). */
export function errorRate(yTrue: ArrayLike<Label>, yPred: ArrayLike<Label>): number {
  return 1 - accuracy(yTrue, yPred);
}

/** The rate metrics for one positive label, ready to pass to metricFrame. */
export function rateMetrics(positive: Label): Record<string, MetricFunction> {
  return {
    selectionRate: (t, p) => selectionRate(t, p, positive),
    truePositiveRate: (t, p) => truePositiveRate(t, p, positive),
    falsePositiveRate: (t, p) => falsePositiveRate(t, p, positive),
    falseNegativeRate: (t, p) => falseNegativeRate(t, p, positive),
    trueNegativeRate: (t, p) => trueNegativeRate(t, p, positive),
  };
}

export interface GroupFairnessInput {
  yTrue: ArrayLike<Label>;
  yPred: ArrayLike<Label>;
  sensitive: ArrayLike<Label>;
  /** The favourable / positive label (e.g. 1, or an intent name). */
  positive: Label;
}

function frameOf(input: GroupFairnessInput, metrics: Record<string, MetricFunction>, bootstrap?: MetricFrameOptions['bootstrap']): MetricFrame {
  return metricFrame({ metrics, yTrue: input.yTrue, yPred: input.yPred, sensitive: input.sensitive, bootstrap });
}

/** max − min over groups of the selection rate. */
export function demographicParityDifference(input: GroupFairnessInput): number {
  return frameOf(input, { s: (t, p) => selectionRate(t, p, input.positive) }).difference().s;
}

/** min / max over groups of the selection rate (the "four-fifths rule" compares it with 0.8). */
export function demographicParityRatio(input: GroupFairnessInput): number {
  return frameOf(input, { s: (t, p) => selectionRate(t, p, input.positive) }).ratio().s;
}

/** TPR difference between groups (equality of opportunity, Hardt et al. 2016). */
export function equalOpportunityDifference(input: GroupFairnessInput): number {
  return frameOf(input, { tpr: (t, p) => truePositiveRate(t, p, input.positive) }).difference().tpr;
}

export function equalOpportunityRatio(input: GroupFairnessInput): number {
  return frameOf(input, { tpr: (t, p) => truePositiveRate(t, p, input.positive) }).ratio().tpr;
}

function oddsFrame(input: GroupFairnessInput): MetricFrame {
  return frameOf(input, {
    tpr: (t, p) => truePositiveRate(t, p, input.positive),
    fpr: (t, p) => falsePositiveRate(t, p, input.positive),
  });
}

/** max(TPR difference, FPR difference) between groups. */
export function equalizedOddsDifference(input: GroupFairnessInput): number {
  const d = oddsFrame(input).difference();
  return Math.max(d.tpr, d.fpr);
}

/** min(TPR ratio, FPR ratio) between groups. */
export function equalizedOddsRatio(input: GroupFairnessInput): number {
  const r = oddsFrame(input).ratio();
  return Math.min(r.tpr, r.fpr);
}

export interface GroupFairnessReport {
  /** accuracy, errorRate and the rate metrics, overall and per group (with CIs if requested). */
  frame: MetricFrame;
  demographicParityDifference: number;
  demographicParityRatio: number;
  equalOpportunityDifference: number;
  equalizedOddsDifference: number;
  equalizedOddsRatio: number;
}

/** Everything above from one metricFrame, with optional bootstrap intervals on every value. */
export function groupFairnessReport(input: GroupFairnessInput & { bootstrap?: MetricFrameOptions['bootstrap'] }): GroupFairnessReport {
  const frame = frameOf(input, { accuracy: (t, p) => accuracy(t, p), errorRate: (t, p) => errorRate(t, p), ...rateMetrics(input.positive) }, input.bootstrap);
  const difference = frame.difference();
  const ratio = frame.ratio();
  return {
    frame,
    demographicParityDifference: difference.selectionRate,
    demographicParityRatio: ratio.selectionRate,
    equalOpportunityDifference: difference.truePositiveRate,
    equalizedOddsDifference: Math.max(difference.truePositiveRate, difference.falsePositiveRate),
    equalizedOddsRatio: Math.min(ratio.truePositiveRate, ratio.falsePositiveRate),
  };
}
