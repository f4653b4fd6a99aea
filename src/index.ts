/**
 * trustnlu: trustworthy natural-language understanding in TypeScript. The whole public API;
 * each pillar is also its own entry point (`trustnlu/privacy`, `trustnlu/accounting`,
 * `trustnlu/federated`, `trustnlu/fairness`, `trustnlu/metrics`, `trustnlu/data`,
 * `trustnlu/models`, `trustnlu/train`, `trustnlu/engine`). The heavy, optional parts have
 * their own: `trustnlu/server` (the federated service: fastify, SQLite, Redis) and
 * `trustnlu/report` (the trust report and charts: vega).
 */
export * from './errors.js';
export * from './engine/public.js';
export * from './data/index.js';
export * from './text/index.js';
export * from './metrics/index.js';
export * from './models/index.js';
export * from './train/index.js';
export * from './privacy/index.js';
export * from './fairness/index.js';
export * from './federated/index.js';
