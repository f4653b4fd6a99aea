/**
 * `trustnlu/server`: the federated service (HTTP server, round coordinator, SQLite and Redis
 * stores, load test). Needs the optional peer dependencies fastify, better-sqlite3 and (for
 * Redis) ioredis; see docs/federated-service.md.
 */
export * from './federated/server/index.js';
export * from './federated/store/index.js';
