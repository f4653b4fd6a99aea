/**
 * The one metrics and disaggregation module (DESIGN §7): attacks, fairness and federated
 * evaluation all report through it. Pure functions over plain arrays, no tfjs, no I/O; every
 * function that samples takes a SeededRandom. See docs/metrics.md for the conventions (ties,
 * no interpolation of ROC points, percentile bootstrap, exact binomial intervals).
 */
export type { Label } from './input-checks.js';
export { compareLabels, sortedLabels } from './input-checks.js';
export {
  accuracy,
  argmaxRow,
  balancedAccuracy,
  confusionMatrix,
  fbetaScore,
  macroF1,
  perClassMetrics,
  precisionScore,
  recallScore,
  type ClassMetrics,
  type ConfusionMatrix,
  type PositiveLabelOptions,
} from './classification.js';
export {
  bestBalancedAccuracy,
  mannWhitneyAuc,
  rocAuc,
  rocCurve,
  rocPointAtFpr,
  tprAtFpr,
  type BestThreshold,
  type RocPoint,
} from './roc.js';
export { averageRanks } from './ranks.js';
export {
  bootstrapCI,
  bootstrapSampleCI,
  mean,
  percentileInterval,
  quantileSorted,
  stratifiedBootstrapCI,
  type BootstrapInterval,
  type BootstrapOptions,
  type ConfidenceInterval,
} from './bootstrap.js';
export { clopperPearson, type ProportionInterval } from './binomial.js';
export {
  inversionCountCdf,
  kendallTau,
  kendallTauB,
  spearman,
  spearmanRho,
  type CorrelationOptions,
  type CorrelationResult,
  type KendallOptions,
} from './correlation.js';
export {
  inverseRegularizedIncompleteBeta,
  logBeta,
  logGamma,
  normalCdf,
  normalQuantile,
  normalSurvival,
  regularizedGammaP,
  regularizedGammaQ,
  regularizedIncompleteBeta,
  studentTQuantile,
  studentTTwoSidedPValue,
} from './special-functions.js';
export { meanTInterval } from './mean-interval.js';
export {
  metricFrame,
  type MetricFrame,
  type MetricFrameIntervals,
  type MetricFrameOptions,
  type MetricFunction,
  type MetricValues,
} from './metric-frame.js';
export {
  demographicParityDifference,
  demographicParityRatio,
  equalizedOddsDifference,
  equalizedOddsRatio,
  equalOpportunityDifference,
  equalOpportunityRatio,
  errorRate,
  falseNegativeRate,
  falsePositiveRate,
  groupFairnessReport,
  rateMetrics,
  selectionRate,
  trueNegativeRate,
  truePositiveRate,
  type GroupFairnessInput,
  type GroupFairnessReport,
} from './group-fairness.js';
