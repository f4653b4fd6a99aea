/**
 * User-level privacy for federated learning: per-client update clipping, DP-FedAvg with fixed
 * or adaptive clipping (Gaussian noise at the server, ε from privacy/accounting), and the
 * strategy wrapper that also routes the sum through secure aggregation (secagg/).
 * See docs/federated-privacy.md.
 */
export { clipUpdate, type ClippedUpdate } from './clipping.js';
export { userSamplingRate, userLevelEpsilon, userLevelNoiseMultiplier, type UserLevelAccountingRequest } from './accounting.js';
export {
  PrivateAggregationStrategy,
  privateAggregation,
  hasAsyncAggregation,
  type AsyncAggregatingStrategy,
  type AdaptiveClipOptions,
  type DpFedAvgOptions,
  type SecureAggregationOptions,
  type PrivateAggregationOptions,
  type DpReport,
  type SecureAggregationReport,
  type FederatedPrivacyReport,
} from './private-aggregation-strategy.js';
