/**
 * Durable state of the federated server behind one interface (clients, rounds, accepted
 * updates, checkpoints): SQLite by default. Guarantees: docs/federated-service.md.
 */
export type {
  FederationStore,
  FederationMeta,
  ClientRecord,
  CheckpointRecord,
  StoredRound,
  UpdateRecord,
  AcceptOutcome,
  CloseRoundInput,
} from './store.js';
export { SqliteFederationStore, type SqliteStoreOptions } from './sqlite-store.js';
export { StateStoreError } from './store-error.js';
