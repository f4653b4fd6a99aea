/**
 * The federated server's round logic, independent of HTTP: registration, check-ins, rounds
 * with a deadline, a minimum number of clients and over-selection, update acceptance and
 * aggregation through the same Strategy the simulator drives, and recovery after a crash.
 *
 * A round:
 *   open    when no round is open and ≥ minClients clients checked in recently: the
 *           strategy's configureFit chooses among them (it may choose more than
 *           `targetUpdates`: over-selection), and the round is stored with its seed and the
 *           list of available clients, so the selection can be replayed after a crash;
 *   accept  each selected client's update once (atomic in the store, keyed by round+client);
 *   close   as soon as `targetUpdates` updates are in (the stragglers are dropped), or at the
 *           deadline with what arrived: ≥ minClients → strategy.aggregateFit and a new
 *           checkpoint, written in the same transaction that closes the round; fewer → the
 *           round fails and the model is unchanged.
 * Recovery (`open` on an existing state file): the latest checkpoint initialises the
 * strategy, the open round's selection is replayed from its stored seed and available list
 * (and checked against the stored selection), and its accepted updates are read back. So an
 * update acknowledged before a crash is aggregated exactly once, and one that was not
 * acknowledged can be resubmitted.
 *
 * State changes run one at a time (a promise chain), so a round cannot close while an update
 * for it is being accepted.
 *
 * Several processes (`shared: true`, a store that implements SharedFederationState, i.e.
 * Redis): the store is the truth and this process a cache of it. Each check-in records the
 * client's last-seen time in the store and reads a snapshot of the round state in the same
 * round trip (so does every tick); a round opened by another process is adopted by replaying
 * its stored selection (as recovery does), a newer checkpoint re-initialises the strategy,
 * tokens registered elsewhere are looked up on a cache miss, selection uses the clients the
 * store saw, and a round is due to close when the store's count of its updates reaches the
 * target. Opening and closing run under a short lease in the store (one process at a time);
 * the store's atomic open/close refuse a second attempt anyway, so a lease that expired under
 * a slow holder costs wasted work, never a double count. Updates are accepted by whichever
 * process receives them (the store's atomic accept, not this process's chain); the closing
 * process reads the round's updates back from the store and aggregates them.
 */
import { createHash } from 'node:crypto';
import { SeededRandom } from '../../engine/random.js';
import { ConfigError } from '../../errors.js';
import { flattenParameters, parameterCount, unflattenParameters, type ParameterSet } from '../aggregate/index.js';
import type { ClientInfo } from '../selection/index.js';
import type { Failure, FitInstruction, FitResult, ServerEvaluation, Strategy } from '../strategy.js';
import type { AcceptOutcome, CheckpointRecord, ClientRecord, FederationStore, SharedFederationState, SharedSnapshot, StoredRound, UpdateRecord } from '../store/index.js';
import { RoundUpdatesChangedError, StateStoreError, isSharedStore } from '../store/index.js';
import { newClientToken, tokenHash } from './client-tokens.js';
import {
  CLIENT_ID_PATTERN,
  DEFAULT_MAX_WEIGHT,
  ENROLMENT_MODES,
  MAX_EXAMPLES,
  createInvites,
  enrolmentCodeHash,
  enrolmentWeight,
  type EnrolmentMode,
  type EnrolmentOptions,
} from './enrolment.js';
import {
  API_PREFIX,
  PATHS,
  PROTOCOL_VERSION,
  type CheckInResponse,
  type InviteResponse,
  type RegisterRequest,
  type RegisterResponse,
  type RoundSummary,
  type SecureReplyResponse,
  type StatusResponse,
  type TaskResponse,
  type UpdateResponse,
} from './protocol.js';
import { FederationRequestError } from './request-error.js';
import { validateDelta, type UpdateMetadata } from './update-validation.js';
import { clipToMedianNorm } from './norm-bound.js';
import { decodeStrategyState, encodeStrategyState } from './checkpoint-state.js';
import { SecureAggregationRound, type SecureJournal, type SecureJournalEntry, type SecureRequestAnswer, type SecureRoundOptions } from './secure-round.js';

export interface RoundPolicy {
  /** Rounds to complete (successful aggregations); then clients are told they are done. */
  rounds: number;
  /** Updates that close a round early (the strategy may select more: over-selection). */
  targetUpdates: number;
  /** Fewest available clients to open a round. */
  minClients: number;
  /** Fewest updates to aggregate when the deadline closes a round (default: min(minClients, targetUpdates)); fewer and the round fails. */
  minUpdates: number;
  /** How long a round stays open. */
  roundTimeoutMs: number;
  /** A client is available for selection if it checked in within this window. */
  availabilityWindowMs: number;
  /** After a restart, an open round gets at least this long before its deadline. */
  recoveryGraceMs: number;
  /** Largest accepted ‖Δ‖₂ (larger updates are refused). */
  maxUpdateNorm: number;
  /**
   * When a plain round is aggregated, each update is clipped to this multiple of the median
   * norm of the round's updates (norm-bound.ts); 0 turns it off (DP-FedAvg clips to its own C;
   * a secure round's updates are not visible to the server).
   */
  normClipMultiple: number;
  /** Seeds every round's selection stream. */
  seed: number;
  /** Suggested wait for clients with nothing to do. */
  pollIntervalMs: number;
}

export const DEFAULT_ROUND_POLICY: Readonly<RoundPolicy> = {
  rounds: 10,
  targetUpdates: 10,
  minClients: 2,
  minUpdates: 2,
  roundTimeoutMs: 60_000,
  availabilityWindowMs: 30_000,
  recoveryGraceMs: 10_000,
  maxUpdateNorm: 1e4,
  normClipMultiple: 3,
  seed: 0,
  pollIntervalMs: 1000,
};

/** A strategy that turns the secure sum of clipped updates into the round's model (DP-FedAvg). */
interface ClippedSumStrategy {
  /** The clip norm for the next round (under adaptive clipping it moves after each round). */
  readonly clipNorm?: number;
  aggregateClippedSum(round: number, sum: Float64Array | undefined, contributors: number, failures: readonly Failure[]): { parameters: ParameterSet; metrics: Record<string, number> };
}

export interface CoordinatorOptions {
  store: FederationStore;
  strategy: Strategy;
  /** The model to start from when the store is new (its layout is the federation's). */
  initialParameters: ParameterSet;
  policy?: Partial<RoundPolicy>;
  /**
   * Settings that must not change across restarts (strategy, layout, data, ...). Stored with
   * the state; a restart with different ones is refused.
   */
  fingerprint: Record<string, unknown>;
  /** Public description of the federation for clients (dataset, model spec, ...). */
  federation?: Record<string, unknown>;
  /** Who may enrol and with what weight (default: invite codes, equal weights). */
  enrolment?: EnrolmentOptions;
  /** The aggregator's name for the status page (e.g. "mean", "median"). */
  aggregatorName?: string;
  /**
   * Secure aggregation: clients send masked inputs through the SecAgg+ stages instead of
   * plain updates, and the strategy receives only the survivors' (weighted) mean; under
   * DP-FedAvg (`clipNorm`) each client clips to C and sends weight 1, and the strategy's
   * `aggregateClippedSum` noises the survivors' sum. `clipNorm: 'adaptive'`: the clip norm is
   * the strategy's current one (adaptive clipping), the range R follows it round by round, and
   * each input carries one more coordinate, the unclipped bit (× C), so the strategy gets
   * the count of unclipped updates from the same masked sum.
   */
  secureAggregation?: SecureRoundOptions & { clipNorm?: number | 'adaptive' };
  /** (ε, δ) spent after `roundsCompleted` rounds, when the aggregation is differentially private. */
  privacy?: (roundsCompleted: number) => StatusResponse['privacy'];
  /** Server-side evaluation of each new model (after its checkpoint is committed). */
  evaluate?: (round: number, parameters: ParameterSet) => Promise<ServerEvaluation | undefined>;
  clock?: () => number;
  /**
   * Several server processes serve this federation from the same store (which must implement
   * SharedFederationState): round state, availability and tokens are read from the store.
   */
  shared?: boolean;
  onEvent?: (event: string, data: Record<string, unknown>) => void;
}

/** How long one process may hold the open/close lease (it releases it as soon as it is done). */
const ROUND_LEASE_MS = 10_000;
/** Closes of one round that may find a new update arrived meanwhile before this process leaves it to the next tick. */
const MAX_CLOSE_ATTEMPTS = 5;
/** How long one process may hold the secure session's lock (a holder that died frees it after this). */
const SECURE_LOCK_MS = 10_000;
/** A shared-mode process re-reads the round list (metrics added by another process) this often. */
const HISTORY_REFRESH_MS = 2_000;

interface OpenRoundState {
  record: StoredRound;
  deadline: number;
  instructions: Map<string, FitInstruction>;
  target: number;
  accepted: Map<string, UpdateRecord>;
  secure?: SecureAggregationRound;
}

interface ClientState {
  /** Examples as known at enrolment (the operator's figure, or the client's claim). */
  numExamples: number;
  /** Aggregation weight, fixed at enrolment. */
  weight: number;
  lastSeen: number;
}

export class RoundCoordinator {
  readonly policy: RoundPolicy;
  private readonly store: FederationStore;
  private readonly strategy: Strategy;
  private readonly clock: () => number;
  private readonly layout: { names: string[]; lengths: number[] };
  private readonly valueCount: number;
  private readonly tokens = new Map<string, string>(); // token hash → client id
  private readonly clients = new Map<string, ClientState>();
  private modelVersion = 0;
  private modelBytes: Uint8Array = new Uint8Array(0);
  private roundsCompleted = 0;
  private lastRound = 0;
  private current: OpenRoundState | undefined;
  private history: RoundSummary[] = [];
  private chain: Promise<unknown> = Promise.resolve();
  private waiters = new Set<() => void>();
  private evaluations: Promise<void>[] = [];
  /** The store as shared state, in shared mode. */
  private readonly shared: (FederationStore & SharedFederationState) | undefined;
  /** From the last snapshot (shared mode): updates the open round holds in the store, registered and available clients. */
  private sharedAccepted = 0;
  private sharedRegistered = 0;
  private sharedAvailable = 0;
  private historyReadAt = -Infinity;
  readonly enrolment: Readonly<Required<Pick<EnrolmentOptions, 'mode' | 'maxWeight'>>> & { partition?: ReadonlyMap<string, number> };

  private constructor(private readonly options: CoordinatorOptions) {
    this.store = options.store;
    this.strategy = options.strategy;
    this.clock = options.clock ?? Date.now;
    const given = Object.fromEntries(Object.entries(options.policy ?? {}).filter(([, v]) => v !== undefined)) as Partial<RoundPolicy>;
    this.policy = { ...DEFAULT_ROUND_POLICY, ...given, minUpdates: given.minUpdates ?? Math.min(given.minClients ?? DEFAULT_ROUND_POLICY.minClients, given.targetUpdates ?? DEFAULT_ROUND_POLICY.targetUpdates) };
    const p = this.policy;
    const check = (ok: boolean, what: string) => {
      if (!ok) throw new ConfigError(`federated server: ${what}`);
    };
    check(Number.isInteger(p.rounds) && p.rounds >= 1, `rounds must be an integer ≥ 1, got ${p.rounds}`);
    check(Number.isInteger(p.minClients) && p.minClients >= 1, `minClients must be an integer ≥ 1, got ${p.minClients}`);
    check(Number.isInteger(p.minUpdates) && p.minUpdates >= 1, `minUpdates must be an integer ≥ 1, got ${p.minUpdates}`);
    check(Number.isInteger(p.targetUpdates) && p.targetUpdates >= p.minUpdates, `targetUpdates (${p.targetUpdates}) must be an integer ≥ minUpdates (${p.minUpdates})`);
    check(p.roundTimeoutMs > 0 && p.availabilityWindowMs > 0, 'roundTimeoutMs and availabilityWindowMs must be > 0');
    check(p.maxUpdateNorm > 0, `maxUpdateNorm must be > 0, got ${p.maxUpdateNorm}`);
    check(p.normClipMultiple >= 0 && Number.isFinite(p.normClipMultiple), `normClipMultiple must be a finite number ≥ 0 (0 = off), got ${p.normClipMultiple}`);
    this.layout = { names: options.initialParameters.names.slice(), lengths: options.initialParameters.arrays.map((a) => a.length) };
    this.valueCount = parameterCount(options.initialParameters);
    const clipNorm = options.secureAggregation?.clipNorm;
    if (typeof clipNorm === 'number') check(clipNorm > 0 && Number.isFinite(clipNorm), `the secure DP clip norm must be a finite number > 0, got ${clipNorm}`);
    if (clipNorm !== undefined) {
      check(typeof (options.strategy as Partial<ClippedSumStrategy>).aggregateClippedSum === 'function', `strategy ${options.strategy.name} cannot aggregate a secure sum of clipped updates (DP-FedAvg's does)`);
    }
    const enrolment = options.enrolment ?? { mode: 'invite' };
    check(ENROLMENT_MODES.includes(enrolment.mode), `enrolment mode must be one of ${ENROLMENT_MODES.join(', ')}, got ${String(enrolment.mode)}`);
    const maxWeight = enrolment.maxWeight ?? DEFAULT_MAX_WEIGHT;
    check(maxWeight > 0 && maxWeight <= MAX_EXAMPLES, `maxWeight must be in (0, ${MAX_EXAMPLES}], got ${maxWeight}`);
    check(enrolment.mode !== 'tokens' || (enrolment.provisioned?.length ?? 0) > 0, 'tokens enrolment needs the provisioned clients (--client-tokens FILE)');
    this.enrolment = {
      mode: enrolment.mode,
      maxWeight,
      ...(enrolment.partition ? { partition: new Map(enrolment.partition.map((c) => [c.id, c.examples])) } : {}),
    };
    if (options.shared) {
      if (!isSharedStore(options.store)) throw new ConfigError(`${options.store.description} cannot be shared by several server processes; use a Redis store`);
      this.shared = options.store;
    }
  }

  /** Opens the federation on `store`: a new one, or the one the store holds (recovery). */
  static async open(options: CoordinatorOptions): Promise<RoundCoordinator> {
    const c = new RoundCoordinator(options);
    await c.load();
    return c;
  }

  private emit(event: string, data: Record<string, unknown>): void {
    this.options.onEvent?.(event, data);
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const next = this.chain.then(work, work);
    this.chain = next.catch(() => undefined);
    return next;
  }

  private async load(): Promise<void> {
    const fingerprint = JSON.stringify({ ...this.options.fingerprint, layout: this.layout });
    let meta = await this.store.loadMeta();
    if (!meta) {
      try {
        await this.store.initialize(
          { schema: 1, config: fingerprint, createdAt: this.clock() },
          { version: 0, round: 0, parameters: flattenParameters(this.options.initialParameters), createdAt: this.clock() },
        );
      } catch (error) {
        // another process of a shared federation initialised it first: check its settings below
        meta = this.shared ? await this.store.loadMeta() : undefined;
        if (!meta) throw error;
      }
    }
    if (meta && meta.config !== fingerprint) {
      throw new StateStoreError(
        `${this.store.description} was created with different settings (${meta.config.slice(0, 300)}); ` +
          'restart with the same strategy, model and data, or use a new --state file',
      );
    }
    for (const client of await this.store.listClients()) this.cacheClient(client);
    if (this.options.enrolment?.provisioned) await this.provisionClients(this.options.enrolment.provisioned);
    await this.useLatestCheckpoint();
    if (this.shared) {
      // the round state as the other processes left it (an open round is adopted, not extended)
      await this.serial(() => this.syncShared());
      if (this.current && this.sharedAccepted >= this.current.target) this.closeSoon();
      return;
    }
    const rounds = await this.store.listRounds();
    this.history = rounds.map((r) => this.summaryOf(r));
    this.roundsCompleted = rounds.filter((r) => r.status === 'completed').length;
    this.lastRound = rounds.length ? rounds[rounds.length - 1].round : 0;
    const open = rounds.find((r) => r.status === 'open');
    if (open) await this.recoverRound(open);
  }

  /** The store's latest checkpoint (its size checked) initialises the strategy and becomes the served model. */
  private async useLatestCheckpoint(): Promise<CheckpointRecord> {
    const checkpoint = await this.store.latestCheckpoint();
    if (checkpoint.parameters.length !== this.valueCount) {
      throw new StateStoreError(`${this.store.description}: checkpoint ${checkpoint.version} has ${checkpoint.parameters.length} values, the model ${this.valueCount}`);
    }
    this.strategy.initialize(unflattenParameters(checkpoint.parameters, this.options.initialParameters));
    if (checkpoint.state) {
      if (!this.strategy.importState) throw new StateStoreError(`${this.store.description}: checkpoint ${checkpoint.version} holds strategy state, which ${this.strategy.name} cannot take`);
      this.strategy.importState(decodeStrategyState(checkpoint.state, `${this.store.description} checkpoint ${checkpoint.version}`));
    } else if (checkpoint.version > 0 && this.strategy.exportState) {
      // written by a server version that did not save it: only a stateless strategy may continue
      const state = this.strategy.exportState();
      if (Object.keys(state.vectors).length > 0) throw new StateStoreError(`${this.store.description}: checkpoint ${checkpoint.version} lacks the server-optimiser state ${this.strategy.name} needs`);
    }
    this.setModel(checkpoint.version);
    return checkpoint;
  }

  private setModel(version: number): void {
    this.modelVersion = version;
    this.modelBytes = new Uint8Array(flattenParameters(this.strategy.parameters).buffer);
  }

  private cacheClient(client: ClientRecord): void {
    this.tokens.set(client.tokenHash, client.id);
    if (!this.clients.has(client.id)) this.clients.set(client.id, { numExamples: client.numExamples, weight: client.weight, lastSeen: -Infinity });
  }

  /** tokens mode: the operator's clients, registered with their token hashes at each start (an existing one must keep its token). */
  private async provisionClients(provisioned: NonNullable<EnrolmentOptions['provisioned']>): Promise<void> {
    const known = new Map((await this.store.listClients()).map((c) => [c.id, c]));
    for (const p of provisioned) {
      if (this.enrolment.partition && !this.enrolment.partition.has(p.clientId)) throw new ConfigError(`--client-tokens: client "${p.clientId}" is not in the federation's partition`);
      const numExamples = p.numExamples ?? this.enrolment.partition?.get(p.clientId) ?? 1;
      const record: ClientRecord = { id: p.clientId, tokenHash: p.tokenHash, numExamples, weight: enrolmentWeight(numExamples, this.enrolment.maxWeight), registeredAt: this.clock() };
      const existing = known.get(p.clientId) ?? ((await this.store.registerClient(record)) === 'created' ? record : (await this.store.listClients()).find((c) => c.id === p.clientId));
      if (existing?.tokenHash !== p.tokenHash) {
        throw new StateStoreError(`${this.store.description}: client "${p.clientId}" is registered with another token than --client-tokens gives; restore its token in the file or use a new state`);
      }
      this.cacheClient(existing);
    }
  }

  /** The round's instructions, replayed from its stored seed and available list (checked against the stored selection). */
  private replaySelection(record: StoredRound): FitInstruction[] {
    if (record.modelVersion !== this.modelVersion) {
      throw new StateStoreError(`open round ${record.round} trains model ${record.modelVersion} but the latest checkpoint is ${this.modelVersion}`);
    }
    const available = JSON.parse(record.available) as ClientInfo[];
    const instructions = this.strategy.configureFit(record.round, available, new SeededRandom(record.seed));
    const ids = instructions.map((i) => i.clientId);
    if (JSON.stringify(ids) !== JSON.stringify(record.selected)) {
      throw new StateStoreError(`replaying round ${record.round}'s selection gave other clients than stored; the strategy or its options changed since the crash`);
    }
    return instructions;
  }

  private async recoverRound(record: StoredRound): Promise<void> {
    const instructions = this.replaySelection(record);
    const ids = instructions.map((i) => i.clientId);
    const accepted = new Map<string, UpdateRecord>();
    for (const u of await this.store.updatesOf(record.round)) accepted.set(u.clientId, u);
    const deadline = Math.max(record.deadline, this.clock() + this.policy.recoveryGraceMs);
    const secure = this.options.secureAggregation;
    let session: SecureAggregationRound | undefined;
    if (secure) {
      // the session replayed from its journal (or, if the crash came before it was journaled, a new one)
      session = (await this.restoreSecure(record)) ?? (await SecureAggregationRound.start(record.selected, this.secureVectorLength(), this.secureSessionOptions(), this.clock, this.secureJournal(record.round)));
    }
    this.current = this.roundState(record, deadline, instructions, accepted, session);
    this.emit('recovered', { round: record.round, accepted: accepted.size, selected: ids.length, ...(session ? { secureStage: session.stage } : {}) });
    if (session) {
      await this.serial(() => this.advanceSecure());
      return;
    }
    if (accepted.size >= this.current.target) await this.serial(() => this.closeCurrent('target'));
  }

  // ---- shared mode (several processes, one store) ----

  /**
   * Brings this process's view in line with the store: a newer checkpoint re-initialises the
   * strategy, a round closed elsewhere is dropped, a round opened elsewhere is adopted by
   * replaying its selection. Runs inside `serial`.
   */
  private async syncShared(given?: SharedSnapshot): Promise<void> {
    const shared = this.shared!;
    const snap = given ?? (await shared.snapshot());
    let changed = false;
    this.sharedAccepted = snap.openAccepted;
    this.sharedRegistered = snap.registeredClients;
    if (snap.lastRound > this.lastRound) {
      this.lastRound = snap.lastRound;
      changed = true;
    }
    if (snap.latestVersion !== this.modelVersion) {
      await this.reloadModel();
      changed = true;
    }
    if (this.current?.record.round !== snap.openRound) {
      if (this.current) this.emit('round-closed-elsewhere', { round: this.current.record.round });
      this.current = undefined;
      changed = true;
      const record = snap.openRound === undefined ? undefined : await shared.openRoundRecord();
      if (record && record.status === 'open') {
        if (record.modelVersion !== this.modelVersion) await this.reloadModel();
        this.adoptRound(record);
      }
    }
    // a secure round's session: this process's replica, brought up to the shared journal
    if (this.current && this.options.secureAggregation) await this.syncSecure(this.current);
    if (changed || this.clock() - this.historyReadAt >= HISTORY_REFRESH_MS) {
      this.historyReadAt = this.clock();
      this.history = (await this.store.listRounds()).map((r) => this.summaryOf(r));
    }
    if (changed) this.notifyWaiters();
  }

  /** The store's latest checkpoint becomes the strategy's model (and its version the count of completed rounds). */
  private async reloadModel(): Promise<void> {
    const checkpoint = await this.useLatestCheckpoint();
    this.roundsCompleted = checkpoint.version;
    this.emit('model-reloaded', { modelVersion: checkpoint.version });
  }

  /**
   * Shared mode, secure rounds: this process's replica of the session follows the journal in
   * the store. Every change to the session is made under the store's 'secagg' lock by a process
   * that first applied every entry before it (`underSecureLock`), so the journal is one total
   * order and each replica that replays it reaches the same state (stage closes are
   * deterministic). A replica is built on first need (the opener journals the session right
   * after opening the round) and rebuilt from the whole journal if a write of its own failed.
   */
  private async syncSecure(round: OpenRoundState): Promise<void> {
    const number = round.record.round;
    if (!round.secure || round.secure.diverged) {
      const replica = await this.restoreSecure(round.record);
      if (replica) {
        round.secure = replica;
        this.notifyWaiters();
      }
      return;
    }
    const fresh = await this.store.secureEntries(number, round.secure.journalLength);
    if (fresh.length === 0) return;
    const stage = round.secure.stage;
    await round.secure.replay(fresh.map((e) => JSON.parse(e) as SecureJournalEntry));
    // another process closed the stage
    if (round.secure.stage !== stage) this.emit('secure-stage-synced', { round: number, stage: round.secure.stage });
    this.notifyWaiters();
  }

  /** The round's secure session rebuilt from its journal in the store (undefined before the session is journaled). */
  private async restoreSecure(record: StoredRound): Promise<SecureAggregationRound | undefined> {
    const entries = (await this.store.secureEntries(record.round)).map((e) => JSON.parse(e) as SecureJournalEntry);
    return SecureAggregationRound.restore(record.selected, this.secureVectorLength(), this.options.secureAggregation!, this.clock, this.secureJournal(record.round), entries);
  }

  /**
   * Runs `work` while holding the store's 'secagg' lock (shared mode): one process at a time
   * changes the secure session. Waits for the lock (other holders keep it for one reply) up to
   * 15 s of real time, then answers 503 so the client retries.
   */
  private async underSecureLock<T>(work: () => Promise<T>): Promise<T> {
    const shared = this.shared!;
    const giveUp = performance.now() + 15_000;
    let lease: string | undefined;
    while (!(lease = await shared.tryLock('secagg', SECURE_LOCK_MS))) {
      if (performance.now() > giveUp) throw new FederationRequestError(503, 'Unavailable', 'the secure-aggregation session is busy; retry');
      await new Promise((resolve) => setTimeout(resolve, 1 + Math.random() * 3));
    }
    try {
      return await work();
    } finally {
      await shared.unlock('secagg', lease).catch(() => undefined);
    }
  }

  /** A round another process opened (or this one before a restart): its instructions, replayed. */
  private adoptRound(record: StoredRound): void {
    const instructions = this.replaySelection(record);
    this.current = this.roundState(record, record.deadline, instructions, new Map(), undefined);
    this.emit('round-adopted', { round: record.round, selected: instructions.length, accepted: this.sharedAccepted });
  }

  /** The in-memory state of an open round (a new, recovered or adopted one). */
  private roundState(record: StoredRound, deadline: number, instructions: FitInstruction[], accepted: Map<string, UpdateRecord>, secure: SecureAggregationRound | undefined): OpenRoundState {
    return {
      record,
      deadline,
      instructions: new Map(instructions.map((i) => [i.clientId, i])),
      // a secure round waits for every party (the protocol handles the dropouts)
      target: this.options.secureAggregation ? instructions.length : Math.min(this.policy.targetUpdates, instructions.length),
      accepted,
      ...(secure ? { secure } : {}),
    };
  }

  /** Runs `work` (after a fresh sync) while holding the store's round lease; skips it when another process holds the lease. */
  private async underRoundLease(work: () => Promise<void>): Promise<void> {
    const shared = this.shared!;
    const lease = await shared.tryLock('round', ROUND_LEASE_MS);
    if (!lease) return;
    try {
      await this.serial(async () => {
        await this.syncShared();
        await work();
      });
    } finally {
      await shared.unlock('round', lease).catch(() => undefined);
    }
  }

  /** Shared-mode tick: learn what the other processes did, close a round that is due, open the next. */
  private async tickShared(): Promise<void> {
    await this.serial(() => this.syncShared());
    // a secure stage whose deadline passed closes in whichever process notices first
    if (this.current?.secure?.closable) {
      await this.serial(() =>
        this.underSecureLock(async () => {
          const round = this.current;
          if (!round) return;
          await this.syncSecure(round);
          while (await round.secure?.advance()) this.notifyWaiters();
        }),
      );
    }
    const finished = () => this.current?.secure?.finished === true;
    const due = () => this.current !== undefined && (this.clock() >= this.current.deadline || this.sharedAccepted >= this.current.target || finished());
    if (due()) {
      await this.underRoundLease(async () => {
        if (due()) await this.closeCurrent(finished() ? 'secure' : this.clock() >= this.current!.deadline ? 'deadline' : 'target');
      });
    }
    this.sharedAvailable = await this.shared!.countSeenSince(this.clock() - this.policy.availabilityWindowMs);
    if (!this.current && !this.finished) {
      if (this.sharedAvailable >= this.policy.minClients) {
        await this.underRoundLease(async () => {
          if (!this.current && !this.finished) await this.openNext();
        });
      }
    }
  }

  /** Starts a tick without waiting for it (an accepted update that completed the round). */
  private closeSoon(): void {
    this.tick().catch((error: Error) => this.emit('tick-failed', { message: error.message }));
  }

  // ---- clients ----

  /**
   * Enrols a client under the federation's enrolment mode and decides its aggregation weight,
   * once: min(examples, maxWeight), with examples the operator's figure (invite, partition)
   * when there is one, else the client's claim. The token is returned once; the store keeps its hash.
   */
  async register(request: RegisterRequest): Promise<RegisterResponse> {
    const { clientId, numExamples: claimed = 1, enrolmentCode } = request;
    if (typeof clientId !== 'string' || !new RegExp(CLIENT_ID_PATTERN).test(clientId)) {
      throw new FederationRequestError(400, 'BadRequest', 'clientId must be 1-128 letters, digits, _ . : - starting with a letter or digit');
    }
    if (!Number.isInteger(claimed) || claimed < 1 || claimed > MAX_EXAMPLES) {
      throw new FederationRequestError(400, 'BadRequest', `numExamples must be an integer in [1, ${MAX_EXAMPLES}], got ${JSON.stringify(claimed)}`);
    }
    const mode = this.enrolment.mode;
    if (mode === 'tokens') {
      throw new FederationRequestError(403, 'Forbidden', 'this federation enrols clients by provisioned tokens, not registration: ask the operator for your token and send it as Authorization: Bearer <token>');
    }
    if (mode === 'open' && enrolmentCode !== undefined) {
      throw new FederationRequestError(400, 'BadRequest', 'this federation has open enrolment: leave out enrolmentCode');
    }
    let inviteHash: string | undefined;
    let operatorExamples: number | undefined;
    if (mode === 'invite') {
      if (enrolmentCode === undefined) {
        throw new FederationRequestError(401, 'Unauthorized', 'this federation enrols by invitation: send the enrolmentCode the operator gave you (trustnlu fl invite)');
      }
      inviteHash = enrolmentCodeHash(enrolmentCode);
      const invite = await this.store.invite(inviteHash);
      if (!invite) throw new FederationRequestError(401, 'Unauthorized', 'the enrolment code is not valid; ask the operator for a new one');
      if (invite.redeemedBy !== undefined) throw new FederationRequestError(401, 'Unauthorized', 'the enrolment code was already used; each code enrols one client');
      if (invite.clientId !== undefined && invite.clientId !== clientId) {
        throw new FederationRequestError(403, 'Forbidden', `this enrolment code is for client "${invite.clientId}", not "${clientId}"`);
      }
      operatorExamples = invite.numExamples;
    }
    const partition = this.enrolment.partition;
    if (partition && !partition.has(clientId)) {
      throw new FederationRequestError(403, 'Forbidden', `client id "${clientId}" is not in the federation's partition (${partition.size} clients; GET ${PATHS.federation} lists them)`);
    }
    const numExamples = operatorExamples ?? partition?.get(clientId) ?? claimed;
    const weight = enrolmentWeight(numExamples, this.enrolment.maxWeight);
    const token = newClientToken();
    const record: ClientRecord = { id: clientId, tokenHash: tokenHash(token), numExamples, weight, registeredAt: this.clock() };
    const outcome = await this.store.registerClient(record, inviteHash);
    if (outcome === 'invite-unusable') throw new FederationRequestError(401, 'Unauthorized', 'the enrolment code was already used; each code enrols one client');
    if (outcome === 'exists') {
      throw new FederationRequestError(409, 'Conflict', `client id "${clientId}" is already registered; reuse its token or register under another id`);
    }
    this.cacheClient(record);
    this.emit('registered', { clientId, weight });
    return { clientId, token, weight };
  }

  /** Issues single-use enrolment codes (optionally bound to ids, with the operator's example count); returns the codes once. */
  async issueInvites(request: { count?: number; clientIds?: string[]; numExamples?: number }): Promise<InviteResponse> {
    for (const id of request.clientIds ?? []) {
      if (this.enrolment.partition && !this.enrolment.partition.has(id)) throw new FederationRequestError(400, 'BadRequest', `client id "${id}" is not in the federation's partition`);
    }
    let batch;
    try {
      batch = createInvites(request, this.clock());
    } catch (error) {
      if (error instanceof ConfigError) throw new FederationRequestError(400, 'BadRequest', error.message);
      throw error;
    }
    await this.store.addInvites(batch.records);
    this.emit('invites-issued', { count: batch.invites.length });
    return { invites: batch.invites };
  }

  get enrolmentMode(): EnrolmentMode {
    return this.enrolment.mode;
  }

  /** The client id a bearer token belongs to, or undefined (shared mode: read through to the store on a miss). */
  async authenticate(token: string | undefined): Promise<string | undefined> {
    if (!token) return undefined;
    const hash = tokenHash(token);
    const known = this.tokens.get(hash);
    if (known !== undefined || !this.shared) return known;
    const client = await this.shared.clientByTokenHash(hash);
    if (!client) return undefined;
    this.cacheClient(client);
    return client.id;
  }

  /** A client is available; answers what it should do. Its weight stays what enrolment decided. */
  async checkIn(clientId: string): Promise<CheckInResponse> {
    const client = this.clients.get(clientId)!;
    client.lastSeen = this.clock();
    if (this.shared) {
      const snap = await this.shared.markSeen(clientId, client.lastSeen);
      if (snap.openRound !== this.current?.record.round || snap.latestVersion !== this.modelVersion || snap.lastRound !== this.lastRound) {
        await this.serial(() => this.syncShared(snap));
      } else this.sharedAccepted = snap.openAccepted;
    }
    if (this.finished) return { action: 'done', modelVersion: this.modelVersion };
    // an open round before its deadline needs nothing here (the server's timer also ticks)
    if (!this.current || this.clock() >= this.current.deadline) await this.tick();
    const round = this.current;
    // shared mode: another process may hold this client's update
    const submitted = async (r: OpenRoundState) => r.accepted.has(clientId) || (this.shared !== undefined && (await this.store.updateDigest(r.record.round, clientId)) !== undefined);
    // a secure round takes a party only until it has advertised its keys: later (or once the
    // session is over and the round waits for its close, shared mode) there is nothing to train for
    const joinable = async (r: OpenRoundState) => {
      if (this.shared) await this.serial(() => this.syncSecure(r));
      return !r.secure || (r.secure.stage === 'advertise' && r.secure.requestFor(clientId).request !== undefined);
    };
    if (round && round.instructions.has(clientId) && (this.options.secureAggregation ? await joinable(round) : !(await submitted(round)))) {
      return { action: 'train', round: round.record.round, modelVersion: round.record.modelVersion, deadline: round.deadline };
    }
    if (this.finished) return { action: 'done', modelVersion: this.modelVersion };
    return { action: 'wait', retryAfterMs: this.policy.pollIntervalMs, ...(round ? { round: round.record.round } : {}) };
  }

  /** Resolves when a round opens or closes, or after `ms` (long-polling check-ins wait on it). */
  waitForChange(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.waiters.add(done);
    });
  }

  private notifyWaiters(): void {
    for (const wake of [...this.waiters]) wake();
  }

  get finished(): boolean {
    return this.roundsCompleted >= this.policy.rounds;
  }

  /** Opens a round when none is open and enough clients are available; closes an expired one. */
  async tick(): Promise<void> {
    if (this.shared) return this.tickShared();
    if (this.current?.secure) await this.serial(() => this.advanceSecure());
    if (this.current && this.clock() >= this.current.deadline) {
      await this.serial(async () => {
        if (this.current && this.clock() >= this.current.deadline) await this.closeCurrent('deadline');
      });
    }
    if (!this.current && !this.finished && this.availableCount() >= this.policy.minClients) {
      await this.serial(async () => {
        if (!this.current && !this.finished) await this.openNext();
      });
    }
  }

  /** Clients seen within the availability window (no list, no sort: runs on every check-in while no round is open). */
  private availableCount(): number {
    const since = this.clock() - this.policy.availabilityWindowMs;
    let n = 0;
    for (const c of this.clients.values()) if (c.lastSeen >= since) n++;
    return n;
  }

  private availableClients(): ClientInfo[] {
    const since = this.clock() - this.policy.availabilityWindowMs;
    const out: ClientInfo[] = [];
    // the sampler's aggregation weights: the server's, fixed at enrolment
    for (const [id, c] of this.clients) if (c.lastSeen >= since) out.push({ id, numExamples: c.weight });
    return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  private async openNext(): Promise<void> {
    const available = this.shared
      ? (await this.shared.clientsSeenSince(this.clock() - this.policy.availabilityWindowMs)).map((c) => ({ id: c.id, numExamples: c.weight }))
      : this.availableClients();
    if (available.length < this.policy.minClients) return;
    const round = this.lastRound + 1;
    const seed = new SeededRandom(this.policy.seed).fork(`round:${round}`).seed;
    const instructions = this.strategy.configureFit(round, available, new SeededRandom(seed));
    if (instructions.length < this.policy.minUpdates) {
      // the strategy chose too few: drop its plan (aggregate nothing) and wait for more clients
      this.strategy.aggregateFit(round, [], []);
      return;
    }
    const now = this.clock();
    const record: StoredRound = {
      round,
      modelVersion: this.modelVersion,
      status: 'open',
      seed,
      available: JSON.stringify(available),
      selected: instructions.map((i) => i.clientId),
      openedAt: now,
      deadline: now + this.policy.roundTimeoutMs,
      aggregated: [],
      dropped: [],
      metrics: {},
    };
    try {
      await this.store.openRound(record);
    } catch (error) {
      if (!this.shared || !(error instanceof StateStoreError)) throw error;
      // another process opened a round first (its lease expired under it): adopt that one
      await this.syncShared();
      return;
    }
    this.lastRound = round;
    this.sharedAccepted = 0;
    const secure = this.options.secureAggregation;
    // the session's public parameters are journaled before any client can see the round
    const session = secure ? await SecureAggregationRound.start(record.selected, this.secureVectorLength(), this.secureSessionOptions(), this.clock, this.secureJournal(round)) : undefined;
    this.current = this.roundState(record, record.deadline, instructions, new Map(), session);
    this.history.push(this.summaryOf(record));
    this.notifyWaiters();
    this.emit('round-open', { round, modelVersion: this.modelVersion, selected: instructions.length, available: available.length });
  }

  async task(clientId: string, roundText: string): Promise<TaskResponse> {
    const round = await this.currentRoundFor(clientId, roundText);
    if (this.options.secureAggregation && !round.secure) {
      // shared mode: a round adopted before its opener journaled the session; the task needs its encoding
      if (this.shared) await this.serial(() => this.syncSecure(round));
      if (!round.secure) throw new FederationRequestError(503, 'Unavailable', `round ${round.record.round}'s secure-aggregation session is starting; retry`);
    }
    const instruction = round.instructions.get(clientId)!;
    return {
      round: round.record.round,
      modelVersion: round.record.modelVersion,
      config: instruction.config,
      layout: { names: this.layout.names.slice(), lengths: this.layout.lengths.slice() },
      deadline: round.deadline,
      parametersPath: PATHS.model(round.record.modelVersion),
      maxUpdateNorm: this.policy.maxUpdateNorm,
      ...(round.secure ? { secureAggregation: this.secureTaskFor(instruction.weight, round.secure) } : {}),
    };
  }

  private secureTaskFor(weight: number, secure: SecureAggregationRound): NonNullable<TaskResponse['secureAggregation']> {
    const { range, clipNorm } = this.options.secureAggregation!;
    const encoding = secure.encoding;
    // DP-FedAvg sums clipped updates with weight 1 (one user moves the sum by at most C);
    // under adaptive clipping the session's range is the round's clip norm (journaled with it)
    if (clipNorm === 'adaptive') return { weight: 1, range: encoding.range, encoding, clipNorm: encoding.range, countUnclipped: true };
    return clipNorm === undefined ? { weight, range, encoding } : { weight: 1, range, encoding, clipNorm };
  }

  /** Values per secure input: the model's, plus the unclipped bit under adaptive clipping. */
  private secureVectorLength(): number {
    return this.valueCount + (this.options.secureAggregation?.clipNorm === 'adaptive' ? 1 : 0);
  }

  /** A new session's options: under adaptive clipping the range R is the strategy's clip norm for this round. */
  private secureSessionOptions(): SecureRoundOptions {
    const secure = this.options.secureAggregation!;
    if (secure.clipNorm !== 'adaptive') return secure;
    const clip = (this.strategy as unknown as ClippedSumStrategy).clipNorm;
    if (!(clip !== undefined && clip > 0 && Number.isFinite(clip))) throw new StateStoreError(`adaptive clipping: the strategy's clip norm is ${clip}`);
    return { ...secure, range: clip };
  }

  /** The secure-aggregation request waiting for this client (long-polled by the HTTP layer). */
  async secureRequest(clientId: string, roundText: string): Promise<SecureRequestAnswer> {
    if (!this.options.secureAggregation) {
      const round = this.openRoundFor(clientId, roundText);
      throw new FederationRequestError(409, 'Conflict', `round ${round.record.round} does not use secure aggregation; submit with PUT ${PATHS.update(round.record.round)}`);
    }
    if (this.shared) {
      // a round this process has not seen: the full sync (which includes the session's); else only the session's
      const number = this.parseRound(roundText);
      await this.serial(() => (this.current?.record.round === number ? this.syncSecure(this.current) : this.syncShared()));
    }
    const round = this.openRoundFor(clientId, roundText);
    // shared mode: the session is journaled right after the round opens; until then, ask again
    if (!round.secure) return { stage: 'advertise' };
    return round.secure.requestFor(clientId);
  }

  /** One secure-aggregation reply; may close the stage, and with the last stage the round. */
  async secureReply(clientId: string, roundText: string, stage: string, body: unknown): Promise<SecureReplyResponse> {
    if (this.shared) return this.secureReplyShared(clientId, roundText, stage, body);
    return this.serial(async () => {
      const round = this.openRoundFor(clientId, roundText);
      if (!round.secure) throw new FederationRequestError(409, 'Conflict', `round ${round.record.round} does not use secure aggregation`);
      const outcome = await round.secure.receive(clientId, stage, body);
      await this.advanceSecure();
      return { accepted: true as const, stage, ...(outcome === 'duplicate' ? { duplicate: true as const } : {}) };
    });
  }

  /**
   * Shared mode: the reply is checked against this process's replica after it caught up with
   * the journal, and journaled, under the 'secagg' lock; a stage that it completes is closed
   * under the same lock. The round itself closes under the round lease (tick).
   */
  private async secureReplyShared(clientId: string, roundText: string, stage: string, body: unknown): Promise<SecureReplyResponse> {
    await this.currentRoundFor(clientId, roundText);
    let finished = false;
    const outcome = await this.serial(() =>
      this.underSecureLock(async () => {
        const round = this.openRoundFor(clientId, roundText);
        await this.syncSecure(round);
        if (!round.secure) throw new FederationRequestError(409, 'Conflict', `the secure-aggregation session of round ${round.record.round} has not started yet; fetch the request first`);
        const result = await round.secure.receive(clientId, stage, body);
        while (await round.secure.advance()) this.notifyWaiters();
        finished = round.secure.finished;
        return result;
      }),
    );
    if (finished) this.closeSoon();
    return { accepted: true as const, stage, ...(outcome === 'duplicate' ? { duplicate: true as const } : {}) };
  }

  /** Appends to the round's secure-aggregation journal in the store (durable before the change is acknowledged). */
  private secureJournal(round: number): SecureJournal {
    return async (entry) => {
      if ((await this.store.appendSecureEntry(round, JSON.stringify(entry))) === 'closed') {
        throw new FederationRequestError(409, 'StaleRound', `round ${round} closed; check in for a new task`);
      }
    };
  }

  /** Moves the secure session on (all answered, or a stage deadline passed); runs inside `serial`. */
  private async advanceSecure(): Promise<void> {
    const round = this.current;
    if (!round?.secure) return;
    while (await round.secure.advance()) this.notifyWaiters();
    // finished now, or (a session replayed after a crash) before
    if (round.secure.finished) await this.closeCurrent('secure');
  }

  /** The float32 bytes of a model version (the current one from memory). */
  async model(versionText: string): Promise<Uint8Array> {
    if (!/^(0|[1-9]\d{0,14})$/.test(versionText)) throw new FederationRequestError(400, 'BadRequest', `the model version must be a non-negative integer written without leading zeros or signs (0, 1, 2, ...), got "${versionText.slice(0, 40)}"`);
    const version = Number(versionText);
    // shared mode: a version newer than this process's is a checkpoint another one wrote
    if (this.shared && version > this.modelVersion) await this.serial(() => this.syncShared());
    if (version === this.modelVersion) return this.modelBytes;
    const checkpoint = await this.store.checkpoint(version);
    if (!checkpoint) throw new FederationRequestError(404, 'NotFound', `model version ${version} does not exist; the current version is ${this.modelVersion}`);
    return new Uint8Array(checkpoint.parameters.buffer);
  }

  private parseRound(roundText: string): number {
    // one spelling per round: "01" or "+1" is not round 1, and there is no round 0
    if (!/^[1-9]\d{0,14}$/.test(roundText)) throw new FederationRequestError(400, 'BadRequest', `the round must be a positive integer written without leading zeros or signs (1, 2, ...): rounds are numbered from 1; got "${roundText.slice(0, 40)}"`);
    return Number(roundText);
  }

  /** openRoundFor, after learning from the store (shared mode) about a round this process has not seen. */
  private async currentRoundFor(clientId: string, roundText: string): Promise<OpenRoundState> {
    if (this.shared && this.current?.record.round !== this.parseRound(roundText)) await this.serial(() => this.syncShared());
    return this.openRoundFor(clientId, roundText);
  }

  private openRoundFor(clientId: string, roundText: string): OpenRoundState {
    const round = this.parseRound(roundText);
    const current = this.current;
    if (!current || current.record.round !== round) {
      if (round > this.lastRound) throw new FederationRequestError(404, 'NotFound', `round ${round} has not opened; check in to learn the current round`);
      throw new FederationRequestError(409, 'StaleRound', `round ${round} is closed${current ? `; the current round is ${current.record.round}` : ''}; check in for a new task`);
    }
    if (!current.instructions.has(clientId)) {
      throw new FederationRequestError(403, 'NotSelected', `client "${clientId}" was not selected for round ${round}; check in again later`);
    }
    return current;
  }

  /** Validates and durably accepts one update; closes the round when it reaches its target. */
  async submit(clientId: string, roundText: string, meta: UpdateMetadata, body: Uint8Array): Promise<UpdateResponse> {
    const roundNumber = this.parseRound(roundText);
    const digest = createHash('sha256')
      .update(body)
      .update(`\n${meta.modelVersion}\n${meta.numExamples}\n${JSON.stringify(meta.metrics)}`)
      .digest('hex');
    // an identical retry of an update already stored is acknowledged again, even after its round closed
    const previous = await this.store.updateDigest(roundNumber, clientId);
    if (previous !== undefined) {
      if (previous === digest) return { accepted: true, round: roundNumber, duplicate: true };
      throw new FederationRequestError(409, 'Conflict', `client "${clientId}" already submitted a different update for round ${roundNumber}; one update per client and round`);
    }
    const round = await this.currentRoundFor(clientId, roundText);
    if (round.secure) {
      throw new FederationRequestError(409, 'Conflict', `round ${round.record.round} uses secure aggregation: send masked inputs through ${API_PREFIX}/rounds/${round.record.round}/secagg, never a plain update`);
    }
    if (meta.modelVersion !== round.record.modelVersion) {
      throw new FederationRequestError(409, 'StaleModel', `update trained on model version ${meta.modelVersion}, but round ${round.record.round} trains version ${round.record.modelVersion}; fetch the task again`);
    }
    if (this.clock() >= round.deadline) {
      await this.tick();
      throw new FederationRequestError(409, 'StaleRound', `round ${round.record.round} passed its deadline; check in for a new task`);
    }
    const { delta } = validateDelta(body, { expectedValues: this.valueCount, maxNorm: this.policy.maxUpdateNorm });
    const update: UpdateRecord = {
      round: roundNumber,
      clientId,
      digest,
      numExamples: meta.numExamples,
      metrics: meta.metrics,
      delta,
      acceptedAt: this.clock(),
    };
    if (this.shared) return this.submitShared(round, update);
    return this.serial(async () => {
      const outcome = await this.store.acceptUpdate(update);
      const answer = this.answerUnaccepted(outcome, update, this.current !== round);
      if (answer) return answer;
      round.accepted.set(clientId, update);
      if (round.accepted.size >= round.target) await this.closeCurrent('target');
      return { accepted: true as const, round: roundNumber, duplicate: false };
    });
  }

  /**
   * Shared mode: the store's atomic accept decides (not this process's chain, so accepts run
   * concurrently); the round closes in whichever process's tick finds it due.
   */
  private async submitShared(round: OpenRoundState, update: UpdateRecord): Promise<UpdateResponse> {
    const outcome = await this.store.acceptUpdate(update);
    const answer = this.answerUnaccepted(outcome, update, false);
    if (answer) return answer;
    const { count } = outcome as Extract<AcceptOutcome, { kind: 'accepted' }>;
    round.accepted.set(update.clientId, { ...update, delta: new Float32Array(0) });
    if (round === this.current) this.sharedAccepted = Math.max(this.sharedAccepted, count);
    if (count >= round.target) this.closeSoon();
    return { accepted: true, round: update.round, duplicate: false };
  }

  /**
   * What the store's accept means when it did not accept: a duplicate is answered as already
   * counted, a different update from the same client or one for a closed (`stale`) round is a
   * 409; undefined when the update was accepted.
   */
  private answerUnaccepted(outcome: AcceptOutcome, update: UpdateRecord, stale: boolean): UpdateResponse | undefined {
    if (outcome.kind === 'duplicate') return { accepted: true, round: update.round, duplicate: true };
    if (outcome.kind === 'conflict') {
      throw new FederationRequestError(409, 'Conflict', `client "${update.clientId}" already submitted a different update for round ${update.round}; one update per client and round`);
    }
    if (outcome.kind === 'closed' || stale) {
      throw new FederationRequestError(409, 'StaleRound', `round ${update.round} closed before this update arrived; check in for a new task`);
    }
    return undefined;
  }

  /** Aggregates (or fails) the open round; runs inside `serial`. */
  private async closeCurrent(reason: 'target' | 'deadline' | 'secure', attempt = 1): Promise<void> {
    const round = this.current;
    if (!round) return;
    const number = round.record.round;
    // shared mode: the round's updates are those in the store, whichever process accepted them
    if (this.shared) round.accepted = new Map((await this.store.updatesOf(number)).map((u) => [u.clientId, u]));
    let accepted = [...round.accepted.values()];
    const boundMetrics: Record<string, number> = {};
    let deltas = accepted.map((u) => u.delta);
    if (!round.secure && this.policy.normClipMultiple > 0 && accepted.length > 0) {
      // one client's influence: no update enters the aggregate larger than k × the round's median norm
      const clip = clipToMedianNorm(deltas, this.policy.normClipMultiple);
      deltas = clip.deltas;
      boundMetrics.normBound = clip.bound;
      boundMetrics.clippedUpdates = clip.clipped;
    }
    let results: FitResult[] = accepted.map((u, i) => ({
      clientId: u.clientId,
      // the header's count only weights the reported metrics (train loss), never the model; capped at enrolment's
      numExamples: Math.min(u.numExamples, this.clients.get(u.clientId)?.numExamples ?? u.numExamples),
      delta: unflattenParameters(deltas[i], this.strategy.parameters),
      metrics: u.metrics,
    }));
    const secureMetrics: Record<string, number> = {};
    let clippedSum: { sum: Float64Array | undefined; contributors: number } | undefined;
    if (round.secure) {
      // only the survivors' sum exists: hand the strategy their weighted mean as one update
      // (DP-FedAvg: the sum of their clipped updates itself)
      const survivors = round.secure.stage === 'done' ? round.secure.includedParties() : [];
      const sum = survivors.length > 0 ? round.secure.result!.values : undefined;
      accepted = survivors.map((id) => ({ round: number, clientId: id, digest: '', numExamples: this.clients.get(id)?.numExamples ?? 0, metrics: {}, delta: new Float32Array(0), acceptedAt: this.clock() }));
      results = [];
      if (this.options.secureAggregation?.clipNorm !== undefined) {
        clippedSum = { sum, contributors: survivors.length };
      } else if (sum) {
        const totalWeight = survivors.reduce((s, id) => s + round.instructions.get(id)!.weight, 0);
        const mean = new Float32Array(sum.length);
        for (let j = 0; j < sum.length; j++) mean[j] = sum[j] / totalWeight;
        const examples = survivors.reduce((s, id) => s + (this.clients.get(id)?.numExamples ?? 0), 0);
        results = [{ clientId: survivors[0], numExamples: examples, delta: unflattenParameters(mean, this.strategy.parameters), metrics: {} }];
      }
      secureMetrics.secureAggregation = 1;
      secureMetrics.secaggSurvivors = survivors.length;
      if (round.secure.stage === 'failed' || reason === 'deadline') secureMetrics.secaggFailed = 1;
    }
    const dropped = [...round.instructions.keys()].filter((id) => !accepted.some((u) => u.clientId === id));
    const failures: Failure[] = dropped.map((clientId) => ({ clientId, reason: 'dropout', message: reason === 'target' ? 'straggler: round reached its target' : 'missed the deadline' }));
    const enough = accepted.length >= this.policy.minUpdates;
    let output: { parameters: ParameterSet; metrics: Record<string, number> };
    try {
      output = clippedSum
        ? (this.strategy as unknown as ClippedSumStrategy).aggregateClippedSum(number, enough ? clippedSum.sum : undefined, enough ? clippedSum.contributors : 0, failures)
        : this.strategy.aggregateFit(number, enough ? results : [], failures);
    } catch (error) {
      // e.g. a server optimiser step that overflowed: the round fails, the model stays as it was
      this.emit('aggregation-failed', { round: number, message: (error as Error).message });
      output = { parameters: this.strategy.parameters, metrics: { skipped: 1, aggregationError: 1 } };
    }
    const completed = enough && output.metrics.skipped !== 1;
    const metrics: Record<string, number> = { ...output.metrics, ...boundMetrics, ...secureMetrics, accepted: accepted.length, dropped: dropped.length, closedByDeadline: reason === 'deadline' ? 1 : 0 };
    if (round.secure && completed) {
      metrics.clients = accepted.length;
      metrics.examples = accepted.reduce((s, u) => s + u.numExamples, 0);
    }
    const closedAt = this.clock();
    const version = completed ? this.modelVersion + 1 : this.modelVersion;
    try {
      await this.store.closeRound({
        round: number,
        status: completed ? 'completed' : 'failed',
        closedAt,
        aggregated: completed ? accepted.map((u) => u.clientId) : [],
        dropped,
        metrics,
        ...(completed
          ? {
              checkpoint: {
                version,
                round: number,
                parameters: flattenParameters(output.parameters),
                createdAt: closedAt,
                ...(this.strategy.exportState ? { state: encodeStrategyState(this.strategy.exportState()) } : {}),
              },
            }
          : {}),
        // shared mode: refused if another process accepted an update after the read above
        ...(this.shared ? { expectedUpdates: round.accepted.size } : {}),
      });
    } catch (error) {
      if (!this.shared || !(error instanceof StateStoreError)) throw error;
      if (error instanceof RoundUpdatesChangedError && attempt < MAX_CLOSE_ATTEMPTS) {
        // undo this aggregation (the model and the strategy's plan), re-adopt the round, read its updates again
        this.emit('close-retry', { round: number, attempt, message: error.message });
        await this.reloadModel();
        this.current = undefined;
        await this.syncShared();
        if (this.current && (this.current as OpenRoundState).record.round === number) await this.closeCurrent(reason, attempt + 1);
        return;
      }
      // another process closed it first: its outcome stands; undo this aggregation
      this.emit('close-lost', { round: number, message: error.message });
      await this.reloadModel();
      await this.syncShared();
      return;
    }
    this.current = undefined;
    this.sharedAccepted = 0;
    const stored: StoredRound = {
      ...round.record,
      status: completed ? 'completed' : 'failed',
      closedAt,
      aggregated: completed ? accepted.map((u) => u.clientId) : [],
      dropped,
      metrics,
    };
    this.history[this.history.findIndex((h) => h.round === number)] = this.summaryOf(stored);
    if (completed) {
      this.roundsCompleted++;
      this.setModel(version);
    }
    this.notifyWaiters();
    this.emit('round-closed', { round: number, status: stored.status, reason, accepted: accepted.length, dropped: dropped.length, modelVersion: this.modelVersion });
    if (completed && this.options.evaluate) this.evaluations.push(this.evaluateRound(number, output.parameters));
  }

  private async evaluateRound(round: number, parameters: ParameterSet): Promise<void> {
    try {
      const evaluation = await this.options.evaluate!(round, parameters);
      if (!evaluation) return;
      const metrics: Record<string, number> = { ...evaluation.metrics };
      if (Number.isFinite(evaluation.loss)) metrics.loss = evaluation.loss;
      await this.store.addRoundMetrics(round, metrics);
      const entry = this.history.find((h) => h.round === round);
      if (entry) entry.metrics = { ...entry.metrics, ...metrics };
      this.emit('evaluated', { round, ...metrics });
    } catch (error) {
      this.emit('evaluation-failed', { round, message: (error as Error).message });
    }
  }

  private summaryOf(r: StoredRound): RoundSummary {
    return {
      round: r.round,
      modelVersion: r.modelVersion,
      status: r.status,
      openedAt: r.openedAt,
      deadline: r.deadline,
      ...(r.closedAt === undefined ? {} : { closedAt: r.closedAt }),
      selected: r.selected,
      aggregated: r.aggregated,
      dropped: r.dropped,
      metrics: r.metrics,
    };
  }

  /** Shared mode: re-reads the round state from the store (before answering status or rounds); a no-op otherwise. */
  async refresh(): Promise<void> {
    if (this.shared) await this.serial(() => this.syncShared());
  }

  rounds(): RoundSummary[] {
    return this.history.map((h) => ({ ...h }));
  }

  status(): StatusResponse {
    const current = this.current;
    return {
      protocol: PROTOCOL_VERSION,
      federation: String(this.options.federation?.name ?? 'federation'),
      strategy: this.strategy.name,
      aggregator: this.options.aggregatorName ?? 'mean',
      modelVersion: this.modelVersion,
      roundsCompleted: this.roundsCompleted,
      roundsTarget: this.policy.rounds,
      finished: this.finished,
      registeredClients: this.shared ? this.sharedRegistered : this.clients.size,
      availableClients: this.shared ? this.sharedAvailable : this.availableCount(),
      ...(this.options.privacy ? { privacy: this.options.privacy(this.roundsCompleted) } : {}),
      ...(current
        ? {
            currentRound: {
              ...this.summaryOf(current.record),
              deadline: current.deadline,
              accepted: this.shared ? this.sharedAccepted : current.accepted.size,
              target: current.target,
              ...(current.secure ? { secureStage: current.secure.stage } : {}),
            },
          }
        : {}),
      curve: this.history
        .filter((h) => h.status === 'completed')
        .map((h) => ({
          round: h.round,
          clients: h.aggregated.length,
          ...(h.metrics.accuracy !== undefined ? { accuracy: h.metrics.accuracy } : {}),
          ...(h.metrics.loss !== undefined ? { loss: h.metrics.loss } : {}),
          ...(h.metrics.trainLoss !== undefined ? { trainLoss: h.metrics.trainLoss } : {}),
        })),
    };
  }

  federation(): Record<string, unknown> {
    return { protocol: PROTOCOL_VERSION, ...(this.options.federation ?? {}), layout: this.layout, strategy: this.strategy.name, enrolment: this.enrolment.mode, maxWeight: this.enrolment.maxWeight };
  }

  get currentModelVersion(): number {
    return this.modelVersion;
  }

  /** The current global parameters (a view; do not modify). */
  get parameters(): ParameterSet {
    return this.strategy.parameters;
  }

  /** Waits for pending state changes and evaluations (for a clean shutdown). */
  async drain(): Promise<void> {
    this.notifyWaiters();
    await this.chain;
    await Promise.all(this.evaluations);
  }
}
