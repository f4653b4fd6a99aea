/**
 * Federated learning: aggregation maths, client selection, the Strategy and Client
 * interfaces, the strategies (FedAvg, FedProx, FedAvgM, FedAdagrad, FedAdam, FedYogi,
 * median, trimmed mean, Krum), local training clients and the simulator on the worker pool;
 * secure aggregation (secagg) and user-level DP (privacy), see docs/federated-privacy.md;
 * the networked service's client side (remote session and runner, protocol v1). The server and
 * its store (Fastify, SQLite) are imported from './server/index.js' and './store/index.js', so
 * that code which only simulates does not load them; see docs/federated-service.md.
 * Concepts and guarantees: docs/federated.md; formulas: docs/federated-maths.md.
 */
export * from './aggregate/index.js';
export * from './selection/index.js';
export * from './strategy.js';
export * from './strategies/index.js';
export * from './client/index.js';
export * from './simulation/index.js';
export * from './secagg/index.js';
export * from './privacy/index.js';
export { RemoteSession, RemoteServerError, type RemoteSessionOptions } from './client/remote-session.js';
export { runRemoteClient, submitSecurely, clipToNorm, type RemoteRunOptions, type RemoteRunSummary } from './client/remote-runner.js';
export {
  PROTOCOL_VERSION,
  type TaskResponse,
  type CheckInResponse,
  type UpdateResponse,
  type StatusResponse,
  type RoundSummary,
} from './server/protocol.js';
export * from './labels/index.js';
export * from './evaluation/index.js';
