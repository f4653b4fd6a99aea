/**
 * Federated evaluation (issue 21, part 1): evaluation-only rounds in which sampled clients
 * report metric sums (never examples), aggregated by counts, optionally under secure
 * aggregation, with intervals that account for client sampling; personalised evaluation
 * (fine-tune locally, report the before/after change). Maths: ratio-estimator.ts; what a
 * client sends: client-report.ts; the simulator's runner: federated-evaluation.ts.
 * See docs/federated-open-problems.md, "Federated evaluation".
 */
export {
  type RatioMoments,
  type RatioEstimate,
  type RatioEstimateOptions,
  ratioMoments,
  ratioEstimate,
  ratioEstimateFromMoments,
  clientBootstrapInterval,
} from './ratio-estimator.js';
export {
  type ClientEvaluationReport,
  type PersonalisedSums,
  type RatioMetric,
  type ReportLimits,
  DEFAULT_REPORT_LIMITS,
  PLAIN_METRICS,
  PERSONALISED_METRICS,
  checkReport,
  clientPairs,
  metricEstimates,
  momentVector,
  momentsFromSum,
} from './client-report.js';
export { secureEvaluationSum, type SecureEvaluationSum } from './secure-evaluation.js';
export { prepareEvaluationFederation, heldOutPartition, heldOutShares, type EvaluationFederation, type EvaluationFederationOptions } from './evaluation-federation.js';
export {
  runFederatedEvaluation,
  sampleEvaluationClients,
  personalSplit,
  INTERVAL_METHOD,
  type FederatedEvaluationOptions,
  type FederatedEvaluationResult,
  type PersonalisationSettings,
} from './federated-evaluation.js';
