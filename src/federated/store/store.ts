/**
 * What the federated server keeps durably, behind one interface so the round logic does not
 * know where state lives (embedded SQLite by default; a shared store for several server
 * processes: RedisFederationStore, which also implements SharedFederationState). Every method that changes state is atomic: it either happens entirely
 * or not at all, and a method that resolves has made its change durable against a crash of
 * the process (kill -9). The round logic relies on three atomic operations:
 *   - acceptUpdate: stores an update only while its round is open, once per (round, client);
 *   - closeRound: marks the round closed and writes the new checkpoint together;
 *   - openRound: refuses to open a round while another is open.
 * Methods are async so that a networked store can implement the same contract.
 */

export interface FederationMeta {
  /** Protocol and schema version of the stored state. */
  schema: number;
  /** The server's configuration as JSON (strategy, rounds, layout, ...), checked on restart. */
  config: string;
  createdAt: number;
}

export interface ClientRecord {
  id: string;
  /** SHA-256 of the bearer token, hex (the token itself is never stored). */
  tokenHash: string;
  /** Examples the client holds, as known at enrolment (the operator's figure when it gave one, else the client's claim). */
  numExamples: number;
  /** Aggregation weight, decided by the server at enrolment and never changed afterwards. */
  weight: number;
  registeredAt: number;
}

/**
 * A single-use enrolment code issued by the operator (`trustnlu fl invite`, or the admin
 * route). Only the code's SHA-256 is stored. `clientId` binds the code to one id;
 * `numExamples` is the operator's figure for that client (trusted, unlike a client's claim).
 */
export interface InviteRecord {
  codeHash: string;
  clientId?: string;
  numExamples?: number;
  createdAt: number;
  /** The client that used the code (absent while unused). */
  redeemedBy?: string;
}

export type RegisterOutcome =
  | 'created'
  /** The id is taken (the token is not replaced). */
  | 'exists'
  /** The enrolment code does not exist or was used already (nothing was written). */
  | 'invite-unusable';

export interface CheckpointRecord {
  version: number;
  /** The round that produced it (0: the initial model). */
  round: number;
  parameters: Float32Array;
  createdAt: number;
  /** The strategy's state after this round (server-optimiser moments, adaptive clip), opaque bytes. */
  state?: Uint8Array;
}

export interface StoredRound {
  round: number;
  modelVersion: number;
  status: 'open' | 'completed' | 'failed';
  /** Seed of the round's selection stream (selection is replayed from it on recovery). */
  seed: number;
  /** The clients that were available when the round opened (JSON of ClientInfo[]). */
  available: string;
  /** Selected client ids, in the strategy's instruction order. */
  selected: string[];
  openedAt: number;
  deadline: number;
  closedAt?: number;
  /** Ids aggregated, ids dropped, and the round's metrics (set when it closes). */
  aggregated: string[];
  dropped: string[];
  metrics: Record<string, number>;
}

export interface UpdateRecord {
  round: number;
  clientId: string;
  /** SHA-256 (hex) of the body and metadata: an identical resubmission is a retry, not a new update. */
  digest: string;
  numExamples: number;
  metrics: Record<string, number>;
  delta: Float32Array;
  acceptedAt: number;
}

export type AcceptOutcome =
  /** Stored; `count` is the number of updates the round now holds (this one included). */
  | { kind: 'accepted'; count: number }
  /** The same update was already stored (an idempotent retry). */
  | { kind: 'duplicate' }
  /** A different update from this client is already stored for the round (replay or tampering). */
  | { kind: 'conflict' }
  /** The round is not open (closed, failed or never opened). */
  | { kind: 'closed' };

export interface CloseRoundInput {
  round: number;
  status: 'completed' | 'failed';
  closedAt: number;
  aggregated: string[];
  dropped: string[];
  metrics: Record<string, number>;
  /** The new global model (absent when the round failed and the model is unchanged). */
  checkpoint?: CheckpointRecord;
  /** Keep the round's update bodies after closing (default false: only their digests stay). */
  keepUpdateBodies?: boolean;
  /**
   * The number of updates the closer read and aggregated (the first N in acceptance order).
   * If the round holds another number, nothing is written and RoundUpdatesChangedError is
   * thrown: an update acknowledged after the read is then never left out of the aggregate.
   */
  expectedUpdates?: number;
}

export interface FederationStore {
  /** Short description for logs, e.g. "sqlite:/tmp/fl.db". */
  readonly description: string;
  loadMeta(): Promise<FederationMeta | undefined>;
  /** Writes the meta and the initial checkpoint (version 0) together; fails if meta exists. */
  initialize(meta: FederationMeta, initial: CheckpointRecord): Promise<void>;
  /**
   * Registers a client. With `inviteCodeHash`, atomically with the insert: the invite must
   * exist and be unused, and it is marked used by this client ('invite-unusable' otherwise);
   * 'exists' when the id is taken (neither the token nor the invite changes).
   */
  registerClient(client: ClientRecord, inviteCodeHash?: string): Promise<RegisterOutcome>;
  listClients(): Promise<ClientRecord[]>;
  /** Stores new invites (their code hashes are random, so they never collide). */
  addInvites(invites: readonly InviteRecord[]): Promise<void>;
  /** The invite with this code hash, used or not. */
  invite(codeHash: string): Promise<InviteRecord | undefined>;
  latestCheckpoint(): Promise<CheckpointRecord>;
  checkpoint(version: number): Promise<CheckpointRecord | undefined>;
  /** Fails with a StateStoreError when another round is open or the round number exists. */
  openRound(round: StoredRound): Promise<void>;
  /** The open round, if any. */
  openRoundRecord(): Promise<StoredRound | undefined>;
  acceptUpdate(update: UpdateRecord): Promise<AcceptOutcome>;
  /** Stored updates of a round, in acceptance order (bodies included while the round is open). */
  updatesOf(round: number): Promise<UpdateRecord[]>;
  /** Digest of a client's stored update for a round, if any (kept after the round closes). */
  updateDigest(round: number, clientId: string): Promise<string | undefined>;
  closeRound(input: CloseRoundInput): Promise<void>;
  /**
   * Appends one entry to the open round's secure-aggregation journal (the session's public
   * parameters, each reply the server accepted, each stage close: what a restarted server
   * replays to rebuild the session). 'closed' when the round is not open; closeRound deletes
   * the journal with the round's update bodies.
   */
  appendSecureEntry(round: number, entry: string): Promise<'appended' | 'closed'>;
  /**
   * The round's journal in append order from entry `from` on (default 0: all of it; [] when it
   * has none or it was deleted). A process that keeps a replica of the session reads only what
   * it has not applied yet.
   */
  secureEntries(round: number, from?: number): Promise<string[]>;
  /** Adds metrics to a closed round (server-side evaluation, computed after the commit). */
  addRoundMetrics(round: number, metrics: Record<string, number>): Promise<void>;
  listRounds(): Promise<StoredRound[]>;
  close(): Promise<void>;
}

/** What every server process sees of the shared state in one read (cheap: one round trip). */
export interface SharedSnapshot {
  /** The open round's number, if one is open. */
  openRound?: number;
  /** Updates the open round holds (0 when none is open). */
  openAccepted: number;
  /** Version of the latest checkpoint (= rounds completed: each completed round adds one). */
  latestVersion: number;
  /** Highest round number ever opened (0: none). */
  lastRound: number;
  registeredClients: number;
}

/**
 * The runtime state that several server processes behind one address must share, beyond the
 * durable FederationStore contract: who checked in recently (for selection), token lookups
 * for clients registered by another process, a cheap snapshot of the round state, and a
 * short lease so that one process at a time opens or closes a round. Only a store that several
 * processes reach implements it (Redis); the single-process server keeps these in memory.
 */
export interface SharedFederationState {
  /** The round state as every process must see it. */
  snapshot(): Promise<SharedSnapshot>;
  /** Records a check-in (last seen = `at`) and returns the snapshot in the same round trip. */
  markSeen(clientId: string, at: number): Promise<SharedSnapshot>;
  /** Clients seen at or after `since` (registered ones only), sorted by id, with their aggregation weights. */
  clientsSeenSince(since: number): Promise<{ id: string; weight: number }[]>;
  countSeenSince(since: number): Promise<number>;
  /** The client a token hash belongs to (read-through for a process that did not register it). */
  clientByTokenHash(tokenHash: string): Promise<ClientRecord | undefined>;
  /** A lease of `ttlMs` on `name`, or undefined when another holder has it; returns the holder's token. */
  tryLock(name: string, ttlMs: number): Promise<string | undefined>;
  /** Releases the lease if `token` still holds it (compare-and-delete). */
  unlock(name: string, token: string): Promise<void>;
}

/** True when a store implements SharedFederationState (several processes can share it). */
export function isSharedStore(store: FederationStore): store is FederationStore & SharedFederationState {
  return typeof (store as Partial<SharedFederationState>).snapshot === 'function' && typeof (store as Partial<SharedFederationState>).tryLock === 'function';
}
