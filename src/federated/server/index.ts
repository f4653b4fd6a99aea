/**
 * The federated service: protocol v1 (protocol.ts, route-schemas.ts; the OpenAPI document is generated from them), the round logic over
 * a durable store (round-coordinator.ts), update validation, tokens and rate limits, the
 * Fastify HTTP layer and the service builder. Guarantees and usage: docs/federated-service.md.
 */
export * from './protocol.js';
export { FederationRequestError, type RequestErrorType } from './request-error.js';
export { parseUpdateMetadata, validateDelta, type UpdateMetadata, type DeltaCheck } from './update-validation.js';
export { RateLimiter, type RateLimit } from './rate-limiter.js';
export { RoundCoordinator, DEFAULT_ROUND_POLICY, type RoundPolicy, type CoordinatorOptions } from './round-coordinator.js';
export {
  createFederationServer,
  DEFAULT_CLIENT_RATE_LIMIT,
  DEFAULT_ADDRESS_RATE_LIMIT,
  DEFAULT_ENROL_RATE_LIMIT,
  DEFAULT_CONNECTION_LIMITS,
  type HttpServerOptions,
  type ConnectionLimits,
} from './http-server.js';
export { ENROLMENT_MODES, DEFAULT_MAX_WEIGHT, readClientTokens, type EnrolmentMode, type EnrolmentOptions, type ProvisionedClient } from './enrolment.js';
export { buildCoordinator, startFederationService, type ServiceOptions, type ServiceModelSource, type RunningService } from './service.js';
export { runLoadTest, syntheticDelta, type LoadTestOptions, type LoadTestResult } from './load-test.js';
export { AnalyticsRounds, ANALYTICS_KINDS, checkAnalyticsSettings, type AnalyticsKind, type AnalyticsSettings, type AnalyticsResult, type AnalyticsTaskResponse, type AnalyticsReportRequest } from './analytics-rounds.js';
