/**
 * The default FederationStore: one embedded SQLite file (better-sqlite3, synchronous, so each
 * method is one transaction that has committed when it returns).
 *
 * Durability: WAL journal with synchronous=NORMAL. A committed transaction survives a crash
 * of the process (kill -9) because it is in the WAL file the operating system already holds;
 * only a power loss can drop the last commits (synchronous=FULL, `fsync: 'full'`, closes
 * that gap at the cost of one fsync per accepted update).
 *
 * Exactly-once updates: the primary key (round, client) makes a second insert impossible;
 * acceptUpdate checks the round is open inside the same transaction as the insert, and
 * closeRound flips the round's status in the transaction that writes the checkpoint, so an
 * update is either in the round that aggregated it or refused, never both or neither.
 */
import type Database from 'better-sqlite3';
import { requireOptional } from '../../optional-dependency.js';
import { float32FromBuffer as fromBlob, float32ToBuffer as toBlob } from './float32-buffer.js';
import { RoundUpdatesChangedError, StateStoreError } from './store-error.js';
import type {
  AcceptOutcome,
  CheckpointRecord,
  ClientRecord,
  CloseRoundInput,
  FederationMeta,
  FederationStore,
  InviteRecord,
  RegisterOutcome,
  StoredRound,
  UpdateRecord,
} from './store.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS clients (
  id TEXT PRIMARY KEY, token_hash TEXT NOT NULL, num_examples INTEGER NOT NULL, registered_at INTEGER NOT NULL, weight REAL);
CREATE TABLE IF NOT EXISTS invites (
  code_hash TEXT PRIMARY KEY, client_id TEXT, num_examples INTEGER, created_at INTEGER NOT NULL, redeemed_by TEXT);
CREATE TABLE IF NOT EXISTS checkpoints (
  version INTEGER PRIMARY KEY, round INTEGER NOT NULL, parameters BLOB NOT NULL, created_at INTEGER NOT NULL, state BLOB);
CREATE TABLE IF NOT EXISTS rounds (
  round INTEGER PRIMARY KEY, model_version INTEGER NOT NULL, status TEXT NOT NULL, seed REAL NOT NULL,
  available TEXT NOT NULL, selected TEXT NOT NULL, opened_at INTEGER NOT NULL, deadline INTEGER NOT NULL,
  closed_at INTEGER, aggregated TEXT NOT NULL DEFAULT '[]', dropped TEXT NOT NULL DEFAULT '[]',
  metrics TEXT NOT NULL DEFAULT '{}');
CREATE TABLE IF NOT EXISTS updates (
  round INTEGER NOT NULL, client_id TEXT NOT NULL, seq INTEGER NOT NULL, digest TEXT NOT NULL,
  num_examples INTEGER NOT NULL, metrics TEXT NOT NULL, delta BLOB, accepted_at INTEGER NOT NULL,
  PRIMARY KEY (round, client_id));
CREATE TABLE IF NOT EXISTS secure_journal (
  round INTEGER NOT NULL, seq INTEGER NOT NULL, entry TEXT NOT NULL, PRIMARY KEY (round, seq));
CREATE UNIQUE INDEX IF NOT EXISTS one_open_round ON rounds (status) WHERE status = 'open';
`;

const SCHEMA_VERSION = 1;


interface RoundRow {
  round: number;
  model_version: number;
  status: 'open' | 'completed' | 'failed';
  seed: number;
  available: string;
  selected: string;
  opened_at: number;
  deadline: number;
  closed_at: number | null;
  aggregated: string;
  dropped: string;
  metrics: string;
}

function roundFromRow(row: RoundRow): StoredRound {
  return {
    round: row.round,
    modelVersion: row.model_version,
    status: row.status,
    seed: row.seed,
    available: row.available,
    selected: JSON.parse(row.selected) as string[],
    openedAt: row.opened_at,
    deadline: row.deadline,
    ...(row.closed_at === null ? {} : { closedAt: row.closed_at }),
    aggregated: JSON.parse(row.aggregated) as string[],
    dropped: JSON.parse(row.dropped) as string[],
    metrics: JSON.parse(row.metrics) as Record<string, number>,
  };
}

interface CheckpointRow {
  version: number;
  round: number;
  parameters: Buffer;
  created_at: number;
  state: Buffer | null;
}

function checkpointFromRow(row: CheckpointRow): CheckpointRecord {
  return {
    version: row.version,
    round: row.round,
    parameters: fromBlob(row.parameters),
    createdAt: row.created_at,
    ...(row.state ? { state: new Uint8Array(row.state) } : {}),
  };
}

const stateBlob = (c: CheckpointRecord) => (c.state ? Buffer.from(c.state.buffer, c.state.byteOffset, c.state.byteLength) : null);

export interface SqliteStoreOptions {
  /** 'normal' (default; durable against process crashes) or 'full' (also against power loss). */
  fsync?: 'normal' | 'full';
}

export class SqliteFederationStore implements FederationStore {
  readonly description: string;
  private readonly db: Database.Database;
  private readonly statements;

  constructor(path: string, options: SqliteStoreOptions = {}) {
    this.description = `sqlite:${path}`;
    const SqliteDatabase = requireOptional<typeof Database>('better-sqlite3', 'the federated service\'s SQLite store (fl serve --state)');
    try {
      this.db = new SqliteDatabase(path);
    } catch (error) {
      throw new StateStoreError(`cannot open the state file "${path}": ${(error as Error).message}; check the directory exists and is writable`);
    }
    this.db.pragma('journal_mode = WAL');
    this.db.pragma(`synchronous = ${options.fsync === 'full' ? 'FULL' : 'NORMAL'}`);
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(SCHEMA);
    // files written before checkpoints kept the strategy's state
    const columns = this.db.prepare<[], { name: string }>('PRAGMA table_info(checkpoints)').all();
    if (!columns.some((c) => c.name === 'state')) this.db.exec('ALTER TABLE checkpoints ADD COLUMN state BLOB');
    // files written before weights were decided at enrolment: the weight was the example count
    const clientColumns = this.db.prepare<[], { name: string }>('PRAGMA table_info(clients)').all();
    if (!clientColumns.some((c) => c.name === 'weight')) this.db.exec('ALTER TABLE clients ADD COLUMN weight REAL');
    const db = this.db;
    this.statements = {
      getMeta: db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?'),
      putMeta: db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)'),
      insertClient: db.prepare('INSERT OR IGNORE INTO clients (id, token_hash, num_examples, registered_at, weight) VALUES (?, ?, ?, ?, ?)'),
      clients: db.prepare<[], { id: string; token_hash: string; num_examples: number; registered_at: number; weight: number | null }>(
        'SELECT id, token_hash, num_examples, registered_at, weight FROM clients ORDER BY registered_at, id',
      ),
      insertInvite: db.prepare('INSERT INTO invites (code_hash, client_id, num_examples, created_at) VALUES (?, ?, ?, ?)'),
      invite: db.prepare<[string], { code_hash: string; client_id: string | null; num_examples: number | null; created_at: number; redeemed_by: string | null }>(
        'SELECT code_hash, client_id, num_examples, created_at, redeemed_by FROM invites WHERE code_hash = ?',
      ),
      redeemInvite: db.prepare('UPDATE invites SET redeemed_by = ? WHERE code_hash = ? AND redeemed_by IS NULL'),
      insertCheckpoint: db.prepare('INSERT INTO checkpoints (version, round, parameters, created_at, state) VALUES (?, ?, ?, ?, ?)'),
      latestCheckpoint: db.prepare<[], CheckpointRow>('SELECT version, round, parameters, created_at, state FROM checkpoints ORDER BY version DESC LIMIT 1'),
      checkpoint: db.prepare<[number], CheckpointRow>('SELECT version, round, parameters, created_at, state FROM checkpoints WHERE version = ?'),
      insertRound: db.prepare(
        'INSERT INTO rounds (round, model_version, status, seed, available, selected, opened_at, deadline) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      openRound: db.prepare<[], RoundRow>("SELECT * FROM rounds WHERE status = 'open'"),
      roundStatus: db.prepare<[number], { status: string }>('SELECT status FROM rounds WHERE round = ?'),
      rounds: db.prepare<[], RoundRow>('SELECT * FROM rounds ORDER BY round'),
      existingUpdate: db.prepare<[number, string], { digest: string }>('SELECT digest FROM updates WHERE round = ? AND client_id = ?'),
      nextSeq: db.prepare<[number], { seq: number }>('SELECT COALESCE(MAX(seq), 0) + 1 AS seq FROM updates WHERE round = ?'),
      insertUpdate: db.prepare(
        'INSERT INTO updates (round, client_id, seq, digest, num_examples, metrics, delta, accepted_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      updates: db.prepare<[number], { round: number; client_id: string; digest: string; num_examples: number; metrics: string; delta: Buffer | null; accepted_at: number }>(
        'SELECT round, client_id, digest, num_examples, metrics, delta, accepted_at FROM updates WHERE round = ? ORDER BY seq',
      ),
      closeRound: db.prepare("UPDATE rounds SET status = ?, closed_at = ?, aggregated = ?, dropped = ?, metrics = ? WHERE round = ? AND status = 'open'"),
      dropBodies: db.prepare('UPDATE updates SET delta = NULL WHERE round = ?'),
      updateCount: db.prepare<[number], { n: number }>('SELECT COUNT(*) AS n FROM updates WHERE round = ?'),
      appendSecure: db.prepare(
        'INSERT INTO secure_journal (round, seq, entry) SELECT @round, COALESCE(MAX(seq), 0) + 1, @entry FROM secure_journal WHERE round = @round',
      ),
      secureEntries: db.prepare<[number, number], { entry: string }>('SELECT entry FROM secure_journal WHERE round = ? ORDER BY seq LIMIT -1 OFFSET ?'),
      dropSecure: db.prepare('DELETE FROM secure_journal WHERE round = ?'),
      roundMetrics: db.prepare<[number], { metrics: string }>('SELECT metrics FROM rounds WHERE round = ?'),
      setRoundMetrics: db.prepare('UPDATE rounds SET metrics = ? WHERE round = ?'),
    };
  }

  async loadMeta(): Promise<FederationMeta | undefined> {
    const row = this.statements.getMeta.get('federation');
    return row ? (JSON.parse(row.value) as FederationMeta) : undefined;
  }

  async initialize(meta: FederationMeta, initial: CheckpointRecord): Promise<void> {
    this.db.transaction(() => {
      if (this.statements.getMeta.get('federation')) throw new StateStoreError(`${this.description} already holds a federation; use a new --state file to start another`);
      this.statements.putMeta.run('federation', JSON.stringify({ ...meta, schema: SCHEMA_VERSION }));
      this.statements.insertCheckpoint.run(initial.version, initial.round, toBlob(initial.parameters), initial.createdAt, stateBlob(initial));
    })();
  }

  async registerClient(client: ClientRecord, inviteCodeHash?: string): Promise<RegisterOutcome> {
    return this.db.transaction((): RegisterOutcome => {
      if (inviteCodeHash !== undefined && this.statements.invite.get(inviteCodeHash)?.redeemed_by !== null) return 'invite-unusable';
      const info = this.statements.insertClient.run(client.id, client.tokenHash, client.numExamples, client.registeredAt, client.weight);
      if (info.changes !== 1) return 'exists';
      if (inviteCodeHash !== undefined) this.statements.redeemInvite.run(client.id, inviteCodeHash);
      return 'created';
    })();
  }

  async listClients(): Promise<ClientRecord[]> {
    return this.statements.clients
      .all()
      .map((r) => ({ id: r.id, tokenHash: r.token_hash, numExamples: r.num_examples, weight: r.weight ?? r.num_examples, registeredAt: r.registered_at }));
  }

  async addInvites(invites: readonly InviteRecord[]): Promise<void> {
    this.db.transaction(() => {
      for (const i of invites) this.statements.insertInvite.run(i.codeHash, i.clientId ?? null, i.numExamples ?? null, i.createdAt);
    })();
  }

  async invite(codeHash: string): Promise<InviteRecord | undefined> {
    const row = this.statements.invite.get(codeHash);
    if (!row) return undefined;
    return {
      codeHash: row.code_hash,
      ...(row.client_id !== null ? { clientId: row.client_id } : {}),
      ...(row.num_examples !== null ? { numExamples: row.num_examples } : {}),
      createdAt: row.created_at,
      ...(row.redeemed_by !== null ? { redeemedBy: row.redeemed_by } : {}),
    };
  }

  async latestCheckpoint(): Promise<CheckpointRecord> {
    const row = this.statements.latestCheckpoint.get();
    if (!row) throw new StateStoreError(`${this.description} holds no checkpoint; it was not initialised (start the server without --resume on a new file)`);
    return checkpointFromRow(row);
  }

  async checkpoint(version: number): Promise<CheckpointRecord | undefined> {
    const row = this.statements.checkpoint.get(version);
    return row ? checkpointFromRow(row) : undefined;
  }

  async openRound(round: StoredRound): Promise<void> {
    this.db.transaction(() => {
      const open = this.statements.openRound.get();
      if (open) throw new StateStoreError(`cannot open round ${round.round}: round ${open.round} is still open`);
      if (this.statements.roundStatus.get(round.round)) throw new StateStoreError(`round ${round.round} already exists`);
      this.statements.insertRound.run(round.round, round.modelVersion, 'open', round.seed, round.available, JSON.stringify(round.selected), round.openedAt, round.deadline);
    })();
  }

  async openRoundRecord(): Promise<StoredRound | undefined> {
    const row = this.statements.openRound.get();
    return row ? roundFromRow(row) : undefined;
  }

  async acceptUpdate(update: UpdateRecord): Promise<AcceptOutcome> {
    return this.db.transaction((): AcceptOutcome => {
      const status = this.statements.roundStatus.get(update.round)?.status;
      const existing = this.statements.existingUpdate.get(update.round, update.clientId);
      if (existing) return existing.digest === update.digest ? { kind: 'duplicate' } : { kind: 'conflict' };
      if (status !== 'open') return { kind: 'closed' };
      const seq = this.statements.nextSeq.get(update.round)!.seq;
      this.statements.insertUpdate.run(
        update.round,
        update.clientId,
        seq,
        update.digest,
        update.numExamples,
        JSON.stringify(update.metrics),
        toBlob(update.delta),
        update.acceptedAt,
      );
      return { kind: 'accepted', count: seq };
    })();
  }

  async updatesOf(round: number): Promise<UpdateRecord[]> {
    return this.statements.updates.all(round).map((r) => ({
      round: r.round,
      clientId: r.client_id,
      digest: r.digest,
      numExamples: r.num_examples,
      metrics: JSON.parse(r.metrics) as Record<string, number>,
      delta: r.delta ? fromBlob(r.delta) : new Float32Array(0),
      acceptedAt: r.accepted_at,
    }));
  }

  async updateDigest(round: number, clientId: string): Promise<string | undefined> {
    return this.statements.existingUpdate.get(round, clientId)?.digest;
  }

  async closeRound(input: CloseRoundInput): Promise<void> {
    this.db.transaction(() => {
      if (input.expectedUpdates !== undefined && this.statements.roundStatus.get(input.round)?.status === 'open') {
        const n = this.statements.updateCount.get(input.round)!.n;
        if (n !== input.expectedUpdates) throw new RoundUpdatesChangedError(`cannot close round ${input.round} with ${input.expectedUpdates} updates: it holds ${n}`);
      }
      const info = this.statements.closeRound.run(
        input.status,
        input.closedAt,
        JSON.stringify(input.aggregated),
        JSON.stringify(input.dropped),
        JSON.stringify(input.metrics),
        input.round,
      );
      if (info.changes !== 1) throw new StateStoreError(`cannot close round ${input.round}: it is not open`);
      if (input.checkpoint) {
        const c = input.checkpoint;
        this.statements.insertCheckpoint.run(c.version, c.round, toBlob(c.parameters), c.createdAt, stateBlob(c));
      }
      if (!input.keepUpdateBodies) this.statements.dropBodies.run(input.round);
      this.statements.dropSecure.run(input.round);
    })();
  }

  async appendSecureEntry(round: number, entry: string): Promise<'appended' | 'closed'> {
    return this.db.transaction((): 'appended' | 'closed' => {
      if (this.statements.roundStatus.get(round)?.status !== 'open') return 'closed';
      this.statements.appendSecure.run({ round, entry });
      return 'appended';
    })();
  }

  async secureEntries(round: number, from = 0): Promise<string[]> {
    return this.statements.secureEntries.all(round, from).map((r) => r.entry);
  }

  async addRoundMetrics(round: number, metrics: Record<string, number>): Promise<void> {
    this.db.transaction(() => {
      const row = this.statements.roundMetrics.get(round);
      if (!row) throw new StateStoreError(`round ${round} does not exist`);
      this.statements.setRoundMetrics.run(JSON.stringify({ ...(JSON.parse(row.metrics) as object), ...metrics }), round);
    })();
  }

  async listRounds(): Promise<StoredRound[]> {
    return this.statements.rounds.all().map(roundFromRow);
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}
