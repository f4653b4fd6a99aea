/**
 * Federated learning: aggregation maths, client selection, the Strategy and Client
 * interfaces, the strategies (FedAvg, FedProx, FedAvgM, FedAdagrad, FedAdam, FedYogi,
 * median, trimmed mean, Krum), local training clients and the simulator on the worker pool;
 * secure aggregation (secagg) and user-level DP (privacy), see docs/federated-privacy.md.
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
