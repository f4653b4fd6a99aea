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
 * This class is the single-process coordinator. The other modes live beside it:
 *   - several processes over one store (`shared: true`, Redis): shared-round-coordinator.ts,
 *     a subclass that overrides the points where the store, not this process, is the truth;
 *   - secure aggregation (`secureAggregation`, in either mode): secure-aggregation-rounds.ts
 *     builds each round's session and turns its result into the strategy's input.
 */
import { createHash } from 'node:crypto';
import { SeededRandom } from '../../engine/random.js';
import { flattenParameters, parameterCount, unflattenParameters, type ParameterSet } from '../aggregate/index.js';
import type { ClientInfo } from '../selection/index.js';
import type { Failure, FitInstruction, Strategy } from '../strategy.js';
import type { AcceptOutcome, CheckpointRecord, CloseRoundInput, FederationMeta, FederationStore, StoredRound, UpdateRecord } from '../store/index.js';
import { StateStoreError } from '../store/index.js';
import { tokenHash } from './client-tokens.js';
import { ClientRegistry, type EnrolmentSettings } from './client-registry.js';
import type { CoordinatorOptions } from './coordinator-options.js';
import type { EnrolmentMode } from './enrolment.js';
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
import { decodeStrategyState, encodeStrategyState } from './checkpoint-state.js';
import { plainContribution } from './round-contribution.js';
import { resolveRoundPolicy, type RoundPolicy } from './round-policy.js';
import { learningCurve, roundSummary } from './round-summary.js';
import { SecureAggregationRounds } from './secure-aggregation-rounds.js';
import { EvaluationRounds, type EvaluationReportRequest, type EvaluationReportResponse, type EvaluationRoundsContext } from './evaluation-rounds.js';
import type { EvaluationTaskResponse } from './evaluation-protocol.js';
import { AnalyticsRounds } from './analytics-rounds.js';
import type { SecureAggregationRound, SecureRequestAnswer } from './secure-round.js';

export { DEFAULT_ROUND_POLICY, type RoundPolicy } from './round-policy.js';
export type { CoordinatorOptions } from './coordinator-options.js';

export interface OpenRoundState {
  record: StoredRound;
  deadline: number;
  instructions: Map<string, FitInstruction>;
  target: number;
  accepted: Map<string, UpdateRecord>;
  secure?: SecureAggregationRound;
}

export type CloseReason = 'target' | 'deadline' | 'secure';

export class RoundCoordinator {
  readonly policy: RoundPolicy;
  protected readonly store: FederationStore;
  protected readonly strategy: Strategy;
  protected readonly clock: () => number;
  protected readonly layout: { names: string[]; lengths: number[] };
  protected readonly valueCount: number;
  protected readonly clients: ClientRegistry;
  /** Present when the federation aggregates securely. */
  protected readonly secure: SecureAggregationRounds | undefined;
  /** Present when the federation runs federated evaluation rounds. */
  protected readonly evaluation: EvaluationRounds | undefined;
  /** Present when the federation runs a private analytics task. */
  protected readonly analytics: AnalyticsRounds | undefined;
  protected modelVersion = 0;
  private modelBytes: Uint8Array = new Uint8Array(0);
  protected roundsCompleted = 0;
  protected lastRound = 0;
  protected current: OpenRoundState | undefined;
  protected history: RoundSummary[] = [];
  private chain: Promise<unknown> = Promise.resolve();
  private waiters = new Set<() => void>();
  private evaluations: Promise<void>[] = [];

  protected constructor(protected readonly options: CoordinatorOptions) {
    this.store = options.store;
    this.strategy = options.strategy;
    this.clock = options.clock ?? Date.now;
    this.policy = resolveRoundPolicy(options.policy);
    this.layout = { names: options.initialParameters.names.slice(), lengths: options.initialParameters.arrays.map((a) => a.length) };
    this.valueCount = parameterCount(options.initialParameters);
    this.secure = options.secureAggregation ? new SecureAggregationRounds(options.secureAggregation, this.store, this.strategy, this.valueCount, this.clock) : undefined;
    this.clients = new ClientRegistry(this.store, options.enrolment, this.clock, (event, data) => this.emit(event, data));
    this.evaluation = options.federatedEvaluation ? new EvaluationRounds(options.federatedEvaluation, this.evaluationContext()) : undefined;
    this.analytics = options.analytics
      ? new AnalyticsRounds(
          options.analytics,
          options.secureAggregation ? { stageTimeoutMs: options.secureAggregation.stageTimeoutMs, neighbours: options.secureAggregation.neighbours, threshold: options.secureAggregation.threshold } : undefined,
          this.clock,
          this.policy.roundTimeoutMs,
          () => this.availableClients(),
          () => this.notifyWaiters(),
          (event, data) => this.emit(event, data),
        )
      : undefined;
  }

  /** Opens the federation on `store`: a new one, or the one the store holds (recovery). */
  static async open(options: CoordinatorOptions): Promise<RoundCoordinator> {
    // imported here: the shared coordinator extends this class, so its module needs this one loaded first
    const c = options.shared ? new (await import('./shared-round-coordinator.js')).SharedRoundCoordinator(options) : new RoundCoordinator(options);
    await c.load();
    return c;
  }

  /** Who may enrol, with what weight cap, and the partition's ids. */
  get enrolment(): EnrolmentSettings {
    return this.clients.settings;
  }

  protected emit(event: string, data: Record<string, unknown>): void {
    this.options.onEvent?.(event, data);
  }

  protected serial<T>(work: () => Promise<T>): Promise<T> {
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
        meta = await this.metaAfterFailedInitialize();
        if (!meta) throw error;
      }
    }
    if (meta && meta.config !== fingerprint) {
      throw new StateStoreError(
        `${this.store.description} was created with different settings (${meta.config.slice(0, 300)}); ` +
          'restart with the same strategy, model and data, or use a new --state file',
      );
    }
    for (const client of await this.store.listClients()) this.clients.cache(client);
    if (this.options.enrolment?.provisioned) await this.clients.provision(this.options.enrolment.provisioned);
    await this.useLatestCheckpoint();
    await this.restoreRounds();
  }

  /** The store's metadata when initialising it failed (a single process has no one to lose the race to). */
  protected async metaAfterFailedInitialize(): Promise<FederationMeta | undefined> {
    return undefined;
  }

  /** The rounds as the store left them: the history, and the open round recovered. */
  protected async restoreRounds(): Promise<void> {
    const rounds = await this.store.listRounds();
    this.history = rounds.map((r) => roundSummary(r));
    this.roundsCompleted = rounds.filter((r) => r.status === 'completed').length;
    this.lastRound = rounds.length ? rounds[rounds.length - 1].round : 0;
    const open = rounds.find((r) => r.status === 'open');
    if (open) await this.recoverRound(open);
  }

  /** The store's latest checkpoint (its size checked) initialises the strategy and becomes the served model. */
  protected async useLatestCheckpoint(): Promise<CheckpointRecord> {
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

  /** The round's instructions, replayed from its stored seed and available list (checked against the stored selection). */
  protected replaySelection(record: StoredRound): FitInstruction[] {
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
    // the session replayed from its journal (or, if the crash came before it was journaled, a new one)
    const session = this.secure ? ((await this.secure.restore(record)) ?? (await this.secure.start(record))) : undefined;
    this.current = this.roundState(record, deadline, instructions, accepted, session);
    this.emit('recovered', { round: record.round, accepted: accepted.size, selected: ids.length, ...(session ? { secureStage: session.stage } : {}) });
    if (session) {
      await this.serial(() => this.advanceSecure());
      return;
    }
    if (accepted.size >= this.current.target) await this.serial(() => this.closeCurrent('target'));
  }

  /** The in-memory state of an open round (a new, recovered or adopted one). */
  protected roundState(record: StoredRound, deadline: number, instructions: FitInstruction[], accepted: Map<string, UpdateRecord>, secure: SecureAggregationRound | undefined): OpenRoundState {
    return {
      record,
      deadline,
      instructions: new Map(instructions.map((i) => [i.clientId, i])),
      // a secure round waits for every party (the protocol handles the dropouts)
      target: this.secure ? instructions.length : Math.min(this.policy.targetUpdates, instructions.length),
      accepted,
      ...(secure ? { secure } : {}),
    };
  }

  // ---- clients ----

  /**
   * Enrols a client under the federation's enrolment mode and decides its aggregation weight,
   * once (client-registry.ts). The token is returned once; the store keeps its hash.
   */
  register(request: RegisterRequest): Promise<RegisterResponse> {
    return this.clients.register(request);
  }

  /** Issues single-use enrolment codes (optionally bound to ids, with the operator's example count); returns the codes once. */
  issueInvites(request: { count?: number; clientIds?: string[]; numExamples?: number }): Promise<InviteResponse> {
    return this.clients.issueInvites(request);
  }

  get enrolmentMode(): EnrolmentMode {
    return this.clients.settings.mode;
  }

  /** The client id a bearer token belongs to, or undefined. */
  async authenticate(token: string | undefined): Promise<string | undefined> {
    if (!token) return undefined;
    return this.clients.clientForTokenHash(tokenHash(token));
  }

  /** A client is available; answers what it should do. Its weight stays what enrolment decided. */
  async checkIn(clientId: string): Promise<CheckInResponse> {
    const client = this.clients.get(clientId)!;
    client.lastSeen = this.clock();
    await this.recordCheckIn(clientId, client.lastSeen);
    const evaluation = this.evaluation?.pendingFor(clientId);
    // analytics: a participant answers when it has nothing to train or evaluate; the others wait while the task runs
    const analytics = this.analytics?.pendingFor(clientId);
    const analyticsRunning = this.analytics?.running ?? false;
    if (this.finished && !analyticsRunning) return evaluation ? { action: 'evaluate', ...evaluation } : { action: 'done', modelVersion: this.modelVersion };
    // an open round before its deadline needs nothing here (the server's timer also ticks)
    if (!this.current || this.clock() >= this.current.deadline) await this.tick();
    const round = this.current;
    // a secure round takes a party only until it has advertised its keys: later (or once the
    // session is over and the round waits for its close, shared mode) there is nothing to train for
    const joinable = async (r: OpenRoundState) => {
      await this.syncSecureSession(r);
      return !r.secure || (r.secure.stage === 'advertise' && r.secure.requestFor(clientId).request !== undefined);
    };
    if (round && round.instructions.has(clientId) && (this.secure ? await joinable(round) : !(await this.hasSubmitted(round, clientId)))) {
      return { action: 'train', round: round.record.round, modelVersion: round.record.modelVersion, deadline: round.deadline };
    }
    // training comes first; a sampled client evaluates when it has no round to train in
    if (evaluation) return { action: 'evaluate', ...evaluation };
    if (analytics) return { action: 'analytics', ...analytics };
    if (this.finished && !analyticsRunning) return { action: 'done', modelVersion: this.modelVersion };
    return { action: 'wait', retryAfterMs: this.policy.pollIntervalMs, ...(round ? { round: round.record.round } : {}) };
  }

  /** After a check-in's time is recorded here (a shared federation also records it in the store). */
  protected async recordCheckIn(_clientId: string, _at: number): Promise<void> {}

  /** Whether the client's update for the round is in (a shared federation also asks the store). */
  protected async hasSubmitted(round: OpenRoundState, clientId: string): Promise<boolean> {
    return round.accepted.has(clientId);
  }

  /** Brings the round's secure session up to date before it is read (a shared federation replays the store's journal). */
  protected async syncSecureSession(_round: OpenRoundState): Promise<void> {}

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

  protected notifyWaiters(): void {
    for (const wake of [...this.waiters]) wake();
  }

  /** A federated evaluation is waiting for reports (a server that exits when done waits for it). */
  get evaluating(): boolean {
    return this.evaluation?.isOpen ?? false;
  }

  get finished(): boolean {
    return this.roundsCompleted >= this.policy.rounds;
  }

  /** Opens a round when none is open and enough clients are available; closes an expired one. */
  async tick(): Promise<void> {
    await this.evaluation?.tick();
    await this.analytics?.tick();
    if (this.current?.secure) await this.serial(() => this.advanceSecure());
    if (this.current && this.clock() >= this.current.deadline) {
      await this.serial(async () => {
        if (this.current && this.clock() >= this.current.deadline) await this.closeCurrent('deadline');
      });
    }
    if (!this.current && !this.finished && this.clients.countSeenSince(this.availableSince()) >= this.policy.minClients) {
      await this.serial(async () => {
        if (!this.current && !this.finished) await this.openNext();
      });
    }
  }

  /** Clients who checked in since this time are available. */
  protected availableSince(): number {
    return this.clock() - this.policy.availabilityWindowMs;
  }

  /** The clients a new round selects from, sorted by id, with their enrolment weights. */
  protected async availableClients(): Promise<ClientInfo[]> {
    return this.clients.seenSince(this.availableSince());
  }

  protected async openNext(): Promise<void> {
    const available = await this.availableClients();
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
    if (!(await this.storeNewRound(record))) return;
    this.lastRound = round;
    // the session's public parameters are journaled before any client can see the round
    const session = this.secure ? await this.secure.start(record) : undefined;
    this.current = this.roundState(record, record.deadline, instructions, new Map(), session);
    this.history.push(roundSummary(record));
    this.notifyWaiters();
    this.emit('round-open', { round, modelVersion: this.modelVersion, selected: instructions.length, available: available.length });
  }

  /** Writes a new open round to the store; false when it was not opened (a shared federation may lose the race). */
  protected async storeNewRound(record: StoredRound): Promise<boolean> {
    await this.store.openRound(record);
    return true;
  }

  async task(clientId: string, roundText: string): Promise<TaskResponse> {
    const round = await this.currentRoundFor(clientId, roundText);
    if (this.secure && !round.secure) {
      // shared mode: a round adopted before its opener journaled the session; the task needs its encoding
      await this.syncSecureSession(round);
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
      ...(round.secure ? { secureAggregation: this.secure!.taskFor(instruction.weight, round.secure) } : {}),
    };
  }

  // ---- secure aggregation (the session itself: secure-round.ts; its setup and result: secure-aggregation-rounds.ts) ----

  /** The secure-aggregation request waiting for this client (long-polled by the HTTP layer). */
  async secureRequest(clientId: string, roundText: string): Promise<SecureRequestAnswer> {
    if (!this.secure) {
      const round = this.openRoundFor(clientId, roundText);
      throw new FederationRequestError(409, 'Conflict', `round ${round.record.round} does not use secure aggregation; submit with PUT ${PATHS.update(round.record.round)}`);
    }
    const round = this.openRoundFor(clientId, roundText);
    // shared mode: the session is journaled right after the round opens; until then, ask again
    if (!round.secure) return { stage: 'advertise' };
    return round.secure.requestFor(clientId);
  }

  /** One secure-aggregation reply; may close the stage, and with the last stage the round. */
  async secureReply(clientId: string, roundText: string, stage: string, body: unknown): Promise<SecureReplyResponse> {
    return this.serial(async () => {
      const round = this.openRoundFor(clientId, roundText);
      if (!round.secure) throw new FederationRequestError(409, 'Conflict', `round ${round.record.round} does not use secure aggregation`);
      const outcome = await round.secure.receive(clientId, stage, body);
      await this.advanceSecure();
      return { accepted: true as const, stage, ...(outcome === 'duplicate' ? { duplicate: true as const } : {}) };
    });
  }

  /** Moves the secure session on (all answered, or a stage deadline passed); runs inside `serial`. */
  private async advanceSecure(): Promise<void> {
    const round = this.current;
    if (!round?.secure) return;
    while (await round.secure.advance()) this.notifyWaiters();
    // finished now, or (a session replayed after a crash) before
    if (round.secure.finished) await this.closeCurrent('secure');
  }

  // ---- models and updates ----

  /** The float32 bytes of a model version (the current one from memory). */
  async model(versionText: string): Promise<Uint8Array> {
    if (!/^(0|[1-9]\d{0,14})$/.test(versionText)) throw new FederationRequestError(400, 'BadRequest', `the model version must be a non-negative integer written without leading zeros or signs (0, 1, 2, ...), got "${versionText.slice(0, 40)}"`);
    const version = Number(versionText);
    await this.learnOfVersion(version);
    if (version === this.modelVersion) return this.modelBytes;
    const checkpoint = await this.store.checkpoint(version);
    if (!checkpoint) throw new FederationRequestError(404, 'NotFound', `model version ${version} does not exist; the current version is ${this.modelVersion}`);
    return new Uint8Array(checkpoint.parameters.buffer);
  }

  /** Before a model version is served (a shared federation learns of versions other processes wrote). */
  protected async learnOfVersion(_version: number): Promise<void> {}

  protected parseRound(roundText: string): number {
    // one spelling per round: "01" or "+1" is not round 1, and there is no round 0
    if (!/^[1-9]\d{0,14}$/.test(roundText)) throw new FederationRequestError(400, 'BadRequest', `the round must be a positive integer written without leading zeros or signs (1, 2, ...): rounds are numbered from 1; got "${roundText.slice(0, 40)}"`);
    return Number(roundText);
  }

  /** The open round the client names, which must have selected it (a shared federation first learns of rounds opened elsewhere). */
  protected async currentRoundFor(clientId: string, roundText: string): Promise<OpenRoundState> {
    return this.openRoundFor(clientId, roundText);
  }

  protected openRoundFor(clientId: string, roundText: string): OpenRoundState {
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
    return this.acceptUpdate(round, update);
  }

  /** The store's atomic accept, in this process's chain; the update that reaches the target closes the round. */
  protected acceptUpdate(round: OpenRoundState, update: UpdateRecord): Promise<UpdateResponse> {
    return this.serial(async () => {
      const outcome = await this.store.acceptUpdate(update);
      const answer = this.answerUnaccepted(outcome, update, this.current !== round);
      if (answer) return answer;
      round.accepted.set(update.clientId, update);
      if (round.accepted.size >= round.target) await this.closeCurrent('target');
      return { accepted: true as const, round: update.round, duplicate: false };
    });
  }

  /**
   * What the store's accept means when it did not accept: a duplicate is answered as already
   * counted, a different update from the same client or one for a closed (`stale`) round is a
   * 409; undefined when the update was accepted.
   */
  protected answerUnaccepted(outcome: AcceptOutcome, update: UpdateRecord, stale: boolean): UpdateResponse | undefined {
    if (outcome.kind === 'duplicate') return { accepted: true, round: update.round, duplicate: true };
    if (outcome.kind === 'conflict') {
      throw new FederationRequestError(409, 'Conflict', `client "${update.clientId}" already submitted a different update for round ${update.round}; one update per client and round`);
    }
    if (outcome.kind === 'closed' || stale) {
      throw new FederationRequestError(409, 'StaleRound', `round ${update.round} closed before this update arrived; check in for a new task`);
    }
    return undefined;
  }

  // ---- closing a round ----

  /** Aggregates (or fails) the open round; runs inside `serial`. */
  protected async closeCurrent(reason: CloseReason, attempt = 1): Promise<void> {
    const round = this.current;
    if (!round) return;
    const number = round.record.round;
    const updates = await this.roundUpdates(round);
    const contribution = round.secure
      ? this.secure!.contribution(
          number,
          round.secure,
          (id) => round.instructions.get(id)!.weight,
          (id) => this.clients.get(id)?.numExamples ?? 0,
          reason === 'deadline',
        )
      : plainContribution(number, updates, this.strategy, this.policy.normClipMultiple, (id) => this.clients.get(id)?.numExamples);
    const contributors = contribution.contributors;
    const dropped = [...round.instructions.keys()].filter((id) => !contributors.some((u) => u.clientId === id));
    const failures: Failure[] = dropped.map((clientId) => ({ clientId, reason: 'dropout', message: reason === 'target' ? 'straggler: round reached its target' : 'missed the deadline' }));
    const enough = contributors.length >= this.policy.minUpdates;
    let output: { parameters: ParameterSet; metrics: Record<string, number> };
    try {
      output = contribution.aggregate(enough, failures);
    } catch (error) {
      // e.g. a server optimiser step that overflowed: the round fails, the model stays as it was
      this.emit('aggregation-failed', { round: number, message: (error as Error).message });
      output = { parameters: this.strategy.parameters, metrics: { skipped: 1, aggregationError: 1 } };
    }
    const completed = enough && output.metrics.skipped !== 1;
    const metrics: Record<string, number> = { ...output.metrics, ...contribution.metrics, accepted: contributors.length, dropped: dropped.length, closedByDeadline: reason === 'deadline' ? 1 : 0 };
    if (round.secure && completed) {
      metrics.clients = contributors.length;
      metrics.examples = contributors.reduce((s, u) => s + u.numExamples, 0);
    }
    const closedAt = this.clock();
    const version = completed ? this.modelVersion + 1 : this.modelVersion;
    const aggregated = completed ? contributors.map((u) => u.clientId) : [];
    try {
      await this.store.closeRound({
        round: number,
        status: completed ? 'completed' : 'failed',
        closedAt,
        aggregated,
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
        ...this.closeCondition(round),
      });
    } catch (error) {
      if (await this.closeRefused(error, number, reason, attempt)) return;
      throw error;
    }
    this.current = undefined;
    this.roundLeft();
    const stored: StoredRound = { ...round.record, status: completed ? 'completed' : 'failed', closedAt, aggregated, dropped, metrics };
    this.history[this.history.findIndex((h) => h.round === number)] = roundSummary(stored);
    if (completed) {
      this.roundsCompleted++;
      this.setModel(version);
    }
    // the evaluation of the new model opens before waiting clients wake (they are told to evaluate, not that the federation is done)
    if (completed && this.evaluation?.due(this.roundsCompleted)) await this.evaluation.start(number, this.modelVersion, await this.availableClients());
    this.notifyWaiters();
    this.emit('round-closed', { round: number, status: stored.status, reason, accepted: contributors.length, dropped: dropped.length, modelVersion: this.modelVersion });
    if (completed && this.options.evaluate) this.evaluations.push(this.evaluateRound(number, output.parameters));
  }

  /** The round's updates as the close aggregates them (a shared federation reads them back from the store). */
  protected async roundUpdates(round: OpenRoundState): Promise<UpdateRecord[]> {
    return [...round.accepted.values()];
  }

  /** A condition the store checks when it closes the round (a shared federation: no update arrived meanwhile). */
  protected closeCondition(_round: OpenRoundState): Pick<CloseRoundInput, 'expectedUpdates'> {
    return {};
  }

  /** The store refused to close the round: true when handled (a shared federation retries or yields to the process that closed it). */
  protected async closeRefused(_error: unknown, _round: number, _reason: CloseReason, _attempt: number): Promise<boolean> {
    return false;
  }

  /** Right after the round closed in the store, before anything else can run. */
  protected roundLeft(): void {}

  private async evaluateRound(round: number, parameters: ParameterSet): Promise<void> {
    try {
      const evaluation = await this.options.evaluate!(round, parameters);
      if (!evaluation) return;
      const metrics: Record<string, number> = { ...evaluation.metrics };
      if (Number.isFinite(evaluation.loss)) metrics.loss = evaluation.loss;
      await this.recordRoundMetrics(round, metrics);
      this.emit('evaluated', { round, ...metrics });
    } catch (error) {
      this.emit('evaluation-failed', { round, message: (error as Error).message });
    }
  }

  /** Adds metrics to a closed round, in the store and in the history /v1/rounds serves. */
  protected async recordRoundMetrics(round: number, metrics: Record<string, number>): Promise<void> {
    await this.store.addRoundMetrics(round, metrics);
    const entry = this.history.find((h) => h.round === round);
    if (entry) entry.metrics = { ...entry.metrics, ...metrics };
  }

  /** What the evaluation rounds need of this coordinator (under secure aggregation, their sessions use its stage timeout). */
  private evaluationContext(): EvaluationRoundsContext {
    const secure = this.options.secureAggregation;
    return {
      seed: this.policy.seed,
      clock: this.clock,
      defaultTimeoutMs: this.policy.roundTimeoutMs,
      record: (round, metrics) => this.recordRoundMetrics(round, metrics),
      emit: (event, data) => this.emit(event, data),
      notify: () => this.notifyWaiters(),
      trainExamplesOf: (clientId) => this.clients.get(clientId)?.numExamples,
      ...(secure ? { secure: { stageTimeoutMs: secure.stageTimeoutMs, neighbours: secure.neighbours, threshold: secure.threshold } } : {}),
    };
  }

  /** The federation's evaluation rounds (409 when it runs none). */
  private evaluationRounds(): EvaluationRounds {
    if (!this.evaluation) throw new FederationRequestError(409, 'Conflict', 'this federation runs no federated evaluation (start the server with --evaluate-every R)');
    return this.evaluation;
  }

  /** A sampled client's evaluation report (federated evaluation; 409 when none is open). */
  async evaluationReport(clientId: string, roundText: string, body: EvaluationReportRequest): Promise<EvaluationReportResponse> {
    return this.evaluationRounds().report(clientId, roundText, body);
  }

  /** What a sampled client computes for an evaluation, and how it sends it. */
  async evaluationTask(clientId: string, roundText: string): Promise<EvaluationTaskResponse> {
    return this.evaluationRounds().task(clientId, roundText);
  }

  /** The request waiting for this client in a secure evaluation's session. */
  async evaluationSecureRequest(clientId: string, roundText: string): Promise<SecureRequestAnswer> {
    return this.evaluationRounds().secureRequest(clientId, roundText);
  }

  /** One reply to a secure evaluation's session. */
  async evaluationSecureReply(clientId: string, roundText: string, stage: string, body: unknown): Promise<SecureReplyResponse> {
    return this.evaluationRounds().secureReply(clientId, roundText, stage, body);
  }

  /** The private analytics task (409 when the server runs none). */
  analyticsTask(): AnalyticsRounds {
    if (!this.analytics) throw new FederationRequestError(409, 'Conflict', 'this federation runs no analytics task (start the server with --analytics heavy-hitters|histogram)');
    return this.analytics;
  }

  /** The analytics task still needs clients (a server that exits when done waits for it). */
  get analyticsRunning(): boolean {
    return this.analytics?.running ?? false;
  }

  // ---- reports ----

  /** Re-reads the round state from the store before answering status or rounds (a no-op in a single process). */
  async refresh(): Promise<void> {}

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
      registeredClients: this.clients.size,
      availableClients: this.clients.countSeenSince(this.availableSince()),
      ...(this.options.privacy ? { privacy: this.options.privacy(this.roundsCompleted) } : {}),
      ...(current
        ? {
            currentRound: {
              ...roundSummary(current.record),
              deadline: current.deadline,
              accepted: current.accepted.size,
              target: current.target,
              ...(current.secure ? { secureStage: current.secure.stage } : {}),
            },
          }
        : {}),
      curve: learningCurve(this.history),
    };
  }

  federation(): Record<string, unknown> {
    return { protocol: PROTOCOL_VERSION, ...(this.options.federation ?? {}), layout: this.layout, strategy: this.strategy.name, enrolment: this.clients.settings.mode, maxWeight: this.clients.settings.maxWeight };
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
    await this.evaluation?.drain();
    await this.analytics?.drain();
  }
}
