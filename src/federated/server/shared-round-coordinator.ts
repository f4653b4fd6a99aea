/**
 * The coordinator when several server processes serve one federation from one store
 * (`shared: true`, a store that implements SharedFederationState, i.e. Redis): the store is the
 * truth and this process a cache of it.
 *
 * Each check-in records the client's last-seen time in the store and reads a snapshot of the
 * round state in the same round trip (so does every tick); a round opened by another process
 * is adopted by replaying its stored selection (as recovery does), a newer checkpoint
 * re-initialises the strategy, tokens registered elsewhere are looked up on a cache miss,
 * selection uses the clients the store saw, and a round is due to close when the store's count
 * of its updates reaches the target. Opening and closing run under a short lease in the store
 * (one process at a time); the store's atomic open/close refuse a second attempt anyway, so a
 * lease that expired under a slow holder costs wasted work, never a double count. Updates are
 * accepted by whichever process receives them (the store's atomic accept, not this process's
 * chain); the closing process reads the round's updates back from the store and aggregates them.
 *
 * Secure rounds: every process holds a replica of the round's session and follows the journal
 * in the store; changes to the session are made under the store's 'secagg' lock (syncSecure).
 */
import { ConfigError } from '../../errors.js';
import type { ClientInfo } from '../selection/index.js';
import type { AcceptOutcome, CloseRoundInput, FederationMeta, FederationStore, SharedFederationState, SharedSnapshot, StoredRound, UpdateRecord } from '../store/index.js';
import { RoundUpdatesChangedError, StateStoreError, isSharedStore } from '../store/index.js';
import { tokenHash } from './client-tokens.js';
import type { SecureReplyResponse, StatusResponse, UpdateResponse } from './protocol.js';
import { FederationRequestError } from './request-error.js';
import type { CoordinatorOptions } from './coordinator-options.js';
import { RoundCoordinator, type CloseReason, type OpenRoundState } from './round-coordinator.js';
import { roundSummary } from './round-summary.js';
import type { SecureJournalEntry, SecureRequestAnswer } from './secure-round.js';

/** How long one process may hold the open/close lease (it releases it as soon as it is done). */
const ROUND_LEASE_MS = 10_000;
/** Closes of one round that may find a new update arrived meanwhile before this process leaves it to the next tick. */
const MAX_CLOSE_ATTEMPTS = 5;
/** How long one process may hold the secure session's lock (a holder that died frees it after this). */
const SECURE_LOCK_MS = 10_000;
/** A shared-mode process re-reads the round list (metrics added by another process) this often. */
const HISTORY_REFRESH_MS = 2_000;

export class SharedRoundCoordinator extends RoundCoordinator {
  private readonly shared: FederationStore & SharedFederationState;
  /** From the last snapshot: updates the open round holds in the store, registered and available clients. */
  private sharedAccepted = 0;
  private sharedRegistered = 0;
  private sharedAvailable = 0;
  private historyReadAt = -Infinity;

  constructor(options: CoordinatorOptions) {
    super(options);
    if (!isSharedStore(options.store)) throw new ConfigError(`${options.store.description} cannot be shared by several server processes; use a Redis store`);
    this.shared = options.store;
  }

  /** Another process of the federation initialised the store first: check its settings. */
  protected override async metaAfterFailedInitialize(): Promise<FederationMeta | undefined> {
    return this.store.loadMeta();
  }

  /** The round state as the other processes left it (an open round is adopted, not extended). */
  protected override async restoreRounds(): Promise<void> {
    await this.serial(() => this.syncShared());
    if (this.current && this.sharedAccepted >= this.current.target) this.closeSoon();
  }

  /**
   * Brings this process's view in line with the store: a newer checkpoint re-initialises the
   * strategy, a round closed elsewhere is dropped, a round opened elsewhere is adopted by
   * replaying its selection. Runs inside `serial`.
   */
  private async syncShared(given?: SharedSnapshot): Promise<void> {
    const shared = this.shared;
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
    if (this.current && this.secure) await this.syncSecure(this.current);
    if (changed || this.clock() - this.historyReadAt >= HISTORY_REFRESH_MS) {
      this.historyReadAt = this.clock();
      this.history = (await this.store.listRounds()).map((r) => roundSummary(r));
    }
    if (changed) this.notifyWaiters();
  }

  /** The store's latest checkpoint becomes the strategy's model (and its version the count of completed rounds). */
  private async reloadModel(): Promise<void> {
    const checkpoint = await this.useLatestCheckpoint();
    this.roundsCompleted = checkpoint.version;
    this.emit('model-reloaded', { modelVersion: checkpoint.version });
  }

  /** A round another process opened (or this one before a restart): its instructions, replayed. */
  private adoptRound(record: StoredRound): void {
    const instructions = this.replaySelection(record);
    this.current = this.roundState(record, record.deadline, instructions, new Map(), undefined);
    this.emit('round-adopted', { round: record.round, selected: instructions.length, accepted: this.sharedAccepted });
  }

  /**
   * Secure rounds: this process's replica of the session follows the journal in the store.
   * Every change to the session is made under the store's 'secagg' lock by a process that
   * first applied every entry before it (`underSecureLock`), so the journal is one total order
   * and each replica that replays it reaches the same state (stage closes are deterministic).
   * A replica is built on first need (the opener journals the session right after opening the
   * round) and rebuilt from the whole journal if a write of its own failed.
   */
  private async syncSecure(round: OpenRoundState): Promise<void> {
    const number = round.record.round;
    if (!round.secure || round.secure.diverged) {
      const replica = await this.secure!.restore(round.record);
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

  protected override async syncSecureSession(round: OpenRoundState): Promise<void> {
    await this.serial(() => this.syncSecure(round));
  }

  /**
   * Runs `work` while holding the store's 'secagg' lock: one process at a time changes the
   * secure session. Waits for the lock (other holders keep it for one reply) up to 15 s of
   * real time, then answers 503 so the client retries.
   */
  private async underSecureLock<T>(work: () => Promise<T>): Promise<T> {
    const giveUp = performance.now() + 15_000;
    let lease: string | undefined;
    while (!(lease = await this.shared.tryLock('secagg', SECURE_LOCK_MS))) {
      if (performance.now() > giveUp) throw new FederationRequestError(503, 'Unavailable', 'the secure-aggregation session is busy; retry');
      await new Promise((resolve) => setTimeout(resolve, 1 + Math.random() * 3));
    }
    try {
      return await work();
    } finally {
      await this.shared.unlock('secagg', lease).catch(() => undefined);
    }
  }

  /** Runs `work` (after a fresh sync) while holding the store's round lease; skips it when another process holds the lease. */
  private async underRoundLease(work: () => Promise<void>): Promise<void> {
    const lease = await this.shared.tryLock('round', ROUND_LEASE_MS);
    if (!lease) return;
    try {
      await this.serial(async () => {
        await this.syncShared();
        await work();
      });
    } finally {
      await this.shared.unlock('round', lease).catch(() => undefined);
    }
  }

  /** Learns what the other processes did, closes a round that is due, opens the next. */
  override async tick(): Promise<void> {
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
    this.sharedAvailable = await this.shared.countSeenSince(this.availableSince());
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

  /** A token registered by another process is read through from the store on a cache miss. */
  override async authenticate(token: string | undefined): Promise<string | undefined> {
    if (!token) return undefined;
    const hash = tokenHash(token);
    const known = this.clients.clientForTokenHash(hash);
    if (known !== undefined) return known;
    const client = await this.shared.clientByTokenHash(hash);
    if (!client) return undefined;
    this.clients.cache(client);
    return client.id;
  }

  /** The check-in's time goes to the store, and its snapshot, read in the same round trip, brings this process up to date. */
  protected override async recordCheckIn(clientId: string, at: number): Promise<void> {
    const snap = await this.shared.markSeen(clientId, at);
    if (snap.openRound !== this.current?.record.round || snap.latestVersion !== this.modelVersion || snap.lastRound !== this.lastRound) {
      await this.serial(() => this.syncShared(snap));
    } else this.sharedAccepted = snap.openAccepted;
  }

  /** Another process may hold this client's update. */
  protected override async hasSubmitted(round: OpenRoundState, clientId: string): Promise<boolean> {
    return round.accepted.has(clientId) || (await this.store.updateDigest(round.record.round, clientId)) !== undefined;
  }

  /** The clients the store saw, whichever process they checked in with. */
  protected override async availableClients(): Promise<ClientInfo[]> {
    return (await this.shared.clientsSeenSince(this.availableSince())).map((c) => ({ id: c.id, numExamples: c.weight }));
  }

  protected override async storeNewRound(record: StoredRound): Promise<boolean> {
    try {
      await this.store.openRound(record);
    } catch (error) {
      if (!(error instanceof StateStoreError)) throw error;
      // another process opened a round first (its lease expired under it): adopt that one
      await this.syncShared();
      return false;
    }
    this.sharedAccepted = 0;
    return true;
  }

  // ---- rounds, models, updates ----

  /** A round this process has not seen: learn of it from the store first. */
  protected override async currentRoundFor(clientId: string, roundText: string): Promise<OpenRoundState> {
    if (this.current?.record.round !== this.parseRound(roundText)) await this.serial(() => this.syncShared());
    return this.openRoundFor(clientId, roundText);
  }

  /** A version newer than this process's is a checkpoint another one wrote. */
  protected override async learnOfVersion(version: number): Promise<void> {
    if (version > this.modelVersion) await this.serial(() => this.syncShared());
  }

  /**
   * The store's atomic accept decides (not this process's chain, so accepts run concurrently);
   * the round closes in whichever process's tick finds it due.
   */
  protected override async acceptUpdate(round: OpenRoundState, update: UpdateRecord): Promise<UpdateResponse> {
    const outcome = await this.store.acceptUpdate(update);
    const answer = this.answerUnaccepted(outcome, update, false);
    if (answer) return answer;
    const { count } = outcome as Extract<AcceptOutcome, { kind: 'accepted' }>;
    round.accepted.set(update.clientId, { ...update, delta: new Float32Array(0) });
    if (round === this.current) this.sharedAccepted = Math.max(this.sharedAccepted, count);
    if (count >= round.target) this.closeSoon();
    return { accepted: true, round: update.round, duplicate: false };
  }

  /** The round's updates are those in the store, whichever process accepted them. */
  protected override async roundUpdates(round: OpenRoundState): Promise<UpdateRecord[]> {
    round.accepted = new Map((await this.store.updatesOf(round.record.round)).map((u) => [u.clientId, u]));
    return [...round.accepted.values()];
  }

  /** The store refuses the close if another process accepted an update after the read above. */
  protected override closeCondition(round: OpenRoundState): Pick<CloseRoundInput, 'expectedUpdates'> {
    return { expectedUpdates: round.accepted.size };
  }

  protected override async closeRefused(error: unknown, round: number, reason: CloseReason, attempt: number): Promise<boolean> {
    if (!(error instanceof StateStoreError)) return false;
    if (error instanceof RoundUpdatesChangedError && attempt < MAX_CLOSE_ATTEMPTS) {
      // undo this aggregation (the model and the strategy's plan), re-adopt the round, read its updates again
      this.emit('close-retry', { round, attempt, message: error.message });
      await this.reloadModel();
      this.current = undefined;
      await this.syncShared();
      if (this.current && (this.current as OpenRoundState).record.round === round) await this.closeCurrent(reason, attempt + 1);
      return true;
    }
    // another process closed it first: its outcome stands; undo this aggregation
    this.emit('close-lost', { round, message: error.message });
    await this.reloadModel();
    await this.syncShared();
    return true;
  }

  protected override roundLeft(): void {
    this.sharedAccepted = 0;
  }

  // ---- secure aggregation ----

  /** A round this process has not seen: the full sync (which includes the session's); else only the session's. */
  override async secureRequest(clientId: string, roundText: string): Promise<SecureRequestAnswer> {
    if (this.secure) {
      const number = this.parseRound(roundText);
      await this.serial(() => (this.current?.record.round === number ? this.syncSecure(this.current) : this.syncShared()));
    }
    return super.secureRequest(clientId, roundText);
  }

  /**
   * The reply is checked against this process's replica after it caught up with the journal,
   * and journaled, under the 'secagg' lock; a stage that it completes is closed under the same
   * lock. The round itself closes under the round lease (tick).
   */
  override async secureReply(clientId: string, roundText: string, stage: string, body: unknown): Promise<SecureReplyResponse> {
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

  // ---- reports ----

  override async refresh(): Promise<void> {
    await this.serial(() => this.syncShared());
  }

  /** Counts from the last snapshot of the store, not this process's cache. */
  override status(): StatusResponse {
    const status = super.status();
    return {
      ...status,
      registeredClients: this.sharedRegistered,
      availableClients: this.sharedAvailable,
      ...(status.currentRound ? { currentRound: { ...status.currentRound, accepted: this.sharedAccepted } } : {}),
    };
  }
}
