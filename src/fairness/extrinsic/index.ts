/**
 * Extrinsic fairness: how a trained classifier treats groups on probe sets. Group gaps through
 * the metrics module (demographic parity, equal opportunity, equalised odds, per-group accuracy,
 * with bootstrap CIs) and counterfactual token fairness (Garg et al. 2019). See docs/fairness.md.
 */
export { argmaxRow } from '../../metrics/index.js';
export { checkLabels, classifyTexts, modelClassifier, vaderClassifier, type TextClassifier } from './predictor.js';
export { counterfactualTokenFairness, type CounterfactualInput, type CounterfactualResult } from './counterfactual.js';
export { groupMetrics, type GroupMetricsInput, type GroupMetricsResult } from './group-metrics.js';
export { evaluateProbe, identityCoverage, type ProbeEvaluation, type ProbeEvaluationOptions } from './evaluate-probe.js';
export { auditGroups, vocabularyOf, type GroupAudit, type GroupAuditOptions } from './audit.js';
export { dataGroupGaps, exampleGroup, predictionGroupGaps, type DataGroupAudit, type DataGroupOptions } from './data-groups.js';
