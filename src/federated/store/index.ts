/**
 * Durable state of the federated server behind one interface (clients, rounds, accepted
 * updates, checkpoints): SQLite by default (one process), Redis for several server processes
 * behind one address. Guarantees: docs/federated-service.md.
 */
export type {
  FederationStore,
  FederationMeta,
  ClientRecord,
  InviteRecord,
  RegisterOutcome,
  CheckpointRecord,
  StoredRound,
  UpdateRecord,
  AcceptOutcome,
  CloseRoundInput,
  SharedFederationState,
  SharedSnapshot,
} from './store.js';
export { isSharedStore } from './store.js';
export { SqliteFederationStore, type SqliteStoreOptions } from './sqlite-store.js';
export {
  RedisFederationStore,
  DEFAULT_REDIS_PREFIX,
  parseRedisUrl,
  normalizeRedisPrefix,
  type RedisStoreOptions,
  type RedisLocation,
} from './redis-store.js';
export { openFederationStore, isRedisLocation, type StoreLocation } from './open-store.js';
export { StateStoreError, RoundUpdatesChangedError } from './store-error.js';
export { float32FromBuffer } from './float32-buffer.js';
