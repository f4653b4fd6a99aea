/**
 * One round's secure-aggregation session over HTTP: the transport around secagg/'s
 * SecAggServer state machine. The selected clients are the session's parties (index = their
 * position in the round's selection). Each stage (advertise keys → share keys → masked input →
 * unmask) closes when every party still in it has answered or when the stage deadline passes
 * (the silent ones are dropouts, which the protocol tolerates down to its threshold t). After
 * unmasking, `finish` returns only the sum of the survivors' inputs: the server never holds an
 * individual update, only masked vectors.
 *
 * Durability: the server holds no secret of the protocol (only public keys, ciphertexts it
 * cannot open, masked inputs and revealed shares), so the session can be rebuilt from a journal.
 * Every change is journaled before it is acknowledged: first the session's public parameters
 * (session id, graph permutation), then each accepted reply and each stage close, in the
 * order they happened. A restarted server replays the journal into a new state machine (the
 * closes are deterministic given the replies before them) and the clients, which keep their
 * own secrets in memory, carry on; a client that retries a reply the journal already holds
 * gets an idempotent answer. A client that restarted lost its secrets and is a dropout.
 */
import { createHash } from 'node:crypto';
import { FederationRequestError } from './request-error.js';
import {
  SecAggServer,
  SecAggDropoutError,
  SecAggProtocolError,
  toWire,
  fromWire,
  type SecAggResult,
  type AdvertiseKeysReply,
  type ShareKeysReply,
  type MaskedInputReply,
  type UnmaskReply,
} from '../secagg/index.js';
import { TrustnluError } from '../../errors.js';

export type SecureStage = 'advertise' | 'share' | 'masked-input' | 'unmask' | 'done' | 'failed';

export interface SecureRoundOptions {
  /** Fixed-point range R: every coordinate of a (weighted) input is clipped to [−R, R]. */
  range: number;
  /** How long each stage waits for the parties still in it. */
  stageTimeoutMs: number;
  neighbours?: number;
  threshold?: number;
}

export interface SecureRequestAnswer {
  stage: SecureStage;
  /** The request this client must answer in this stage (wire form), if it has one. */
  request?: unknown;
  /** True when this client already answered the current stage. */
  answered?: boolean;
  message?: string;
}

/** One journal entry (JSON): the session, an accepted reply, or the close of a stage. */
export type SecureJournalEntry =
  | { kind: 'session'; sessionId: string; permutation: number[]; range?: number }
  | { kind: 'reply'; stage: SecureStage; index: number; digest: string; wire: unknown }
  | { kind: 'close'; stage: SecureStage };

/** Makes an entry durable before the change it records is acknowledged. */
export type SecureJournal = (entry: SecureJournalEntry) => Promise<void>;

const replyDigest = (wire: unknown) => createHash('sha256').update(JSON.stringify(wire)).digest('hex');

export class SecureAggregationRound {
  private readonly server: SecAggServer;
  private stageValue: SecureStage = 'advertise';
  private requests = new Map<number, unknown>();
  private replied = new Set<number>();
  /** Digest of every accepted reply, by stage and party: a retried reply is recognised. */
  private readonly digests = new Map<string, string>();
  private stageDeadline: number;
  private failure: string | undefined;
  /** Journal entries this state reflects (the session entry included): where a replica reads on. */
  private entries = 0;
  /** A journal write failed after the change was applied here: this state is ahead of the journal. */
  private divergedValue = false;
  result: SecAggResult | undefined;

  private constructor(
    private readonly parties: readonly string[],
    vectorLength: number,
    private readonly options: SecureRoundOptions,
    private readonly clock: () => number,
    private readonly journal: SecureJournal,
    session?: { sessionId: Uint8Array; permutation: number[] },
  ) {
    this.server = new SecAggServer({
      numClients: parties.length,
      vectorLength,
      range: options.range,
      neighbours: options.neighbours,
      threshold: options.threshold,
      ...(session ?? {}),
    });
    this.setRequests(this.server.advertiseRequests());
    this.stageDeadline = clock() + options.stageTimeoutMs;
  }

  /** A new session; its public parameters are journaled before it is returned. */
  static async start(parties: readonly string[], vectorLength: number, options: SecureRoundOptions, clock: () => number, journal: SecureJournal): Promise<SecureAggregationRound> {
    const round = new SecureAggregationRound(parties, vectorLength, options, clock, journal);
    // the range too: under adaptive clipping it is the round's clip norm, which a restart must not recompute
    await round.record({ kind: 'session', sessionId: Buffer.from(round.server.config.sessionId).toString('base64'), permutation: [...round.server.permutation], range: options.range });
    return round;
  }

  /**
   * The session a journal records, replayed into a new state machine, with a fresh deadline for
   * its current stage (and the journaled range, if there is one). Undefined when the journal
   * holds no session (it was never started).
   */
  static async restore(
    parties: readonly string[],
    vectorLength: number,
    options: SecureRoundOptions,
    clock: () => number,
    journal: SecureJournal,
    entries: readonly SecureJournalEntry[],
  ): Promise<SecureAggregationRound | undefined> {
    const [first, ...rest] = entries;
    if (first?.kind !== 'session') return undefined;
    const session = first.range === undefined ? options : { ...options, range: first.range };
    const round = new SecureAggregationRound(parties, vectorLength, session, clock, journal, {
      sessionId: new Uint8Array(Buffer.from(first.sessionId, 'base64')),
      permutation: first.permutation,
    });
    round.entries = 1;
    await round.replay(rest);
    return round;
  }

  /**
   * Applies journal entries that follow the ones this state reflects (written by another server
   * process that shares the journal): replies and stage closes, in journal order.
   */
  async replay(entries: readonly SecureJournalEntry[]): Promise<void> {
    for (const entry of entries) {
      if (entry.kind === 'reply') this.apply(entry.index, entry.stage, entry.wire, entry.digest);
      else if (entry.kind === 'close') await this.closeStage();
      else throw new TypeError(`secure-aggregation journal: a second session entry`);
      this.entries++;
    }
  }

  /** How many journal entries this state reflects: a replica reads the journal from here on. */
  get journalLength(): number {
    return this.entries;
  }

  /** True when a journal write failed after its change was applied: rebuild from the journal. */
  get diverged(): boolean {
    return this.divergedValue;
  }

  /** Journals one entry of a change already applied here. */
  private async record(entry: SecureJournalEntry): Promise<void> {
    try {
      await this.journal(entry);
    } catch (error) {
      this.divergedValue = true;
      throw error;
    }
    this.entries++;
  }

  get stage(): SecureStage {
    return this.stageValue;
  }

  get failureMessage(): string | undefined {
    return this.failure;
  }

  get encoding() {
    return this.server.config.encoding;
  }

  private setRequests(list: { index: number }[]): void {
    this.requests = new Map(list.map((r) => [r.index, toWire(r)]));
    this.replied = new Set();
  }

  private indexOf(clientId: string): number {
    const index = this.parties.indexOf(clientId);
    if (index < 0) throw new FederationRequestError(403, 'NotSelected', `client "${clientId}" is not a party of this round's secure aggregation`);
    return index;
  }

  requestFor(clientId: string): SecureRequestAnswer {
    const index = this.indexOf(clientId);
    if (this.finished) return { stage: this.stageValue, ...(this.failure ? { message: this.failure } : {}) };
    const request = this.requests.get(index);
    if (request === undefined) return { stage: this.stageValue, message: 'this client dropped out of the session in an earlier stage' };
    return this.replied.has(index) ? { stage: this.stageValue, answered: true } : { stage: this.stageValue, request };
  }

  /**
   * Takes one client's reply for `stage` and journals it; a malformed or late reply is a 4xx
   * and changes nothing. The same reply again (a retry) is recognised: 'duplicate'.
   */
  async receive(clientId: string, stage: string, wire: unknown): Promise<'accepted' | 'duplicate'> {
    const index = this.indexOf(clientId);
    const digest = replyDigest(wire);
    const known = this.digests.get(`${stage}/${index}`);
    if (known !== undefined) {
      if (known === digest) return 'duplicate';
      throw new FederationRequestError(409, 'Conflict', `client "${clientId}" already answered stage "${stage}" with another reply`);
    }
    this.apply(index, stage, wire, digest);
    await this.record({ kind: 'reply', stage: stage as SecureStage, index, digest, wire });
    return 'accepted';
  }

  /** Applies one reply of party `index` (from a client, or replayed from the journal). */
  private apply(index: number, stage: string, wire: unknown, digest: string): void {
    const clientId = this.parties[index];
    if (stage !== this.stageValue) {
      throw new FederationRequestError(409, 'StaleRound', `secure aggregation is in stage "${this.stageValue}", not "${stage.slice(0, 20)}"; fetch the current request`);
    }
    // (an answer already given is caught by its digest in `receive`)
    if (!this.requests.has(index)) throw new FederationRequestError(409, 'Conflict', `client "${clientId}" has no request in stage "${stage}" (it dropped out earlier)`);
    let reply: { index: number };
    try {
      reply = fromWire(wire) as { index: number };
    } catch (error) {
      throw new FederationRequestError(400, 'BadRequest', (error as Error).message);
    }
    if (!reply || typeof reply !== 'object' || reply.index !== index) {
      throw new FederationRequestError(400, 'BadRequest', `the reply must carry this client's session index ${index}`);
    }
    try {
      if (stage === 'advertise') this.server.receiveAdvertiseKeys(reply as AdvertiseKeysReply);
      else if (stage === 'share') this.server.receiveShareKeys(reply as ShareKeysReply);
      else if (stage === 'masked-input') this.server.receiveMaskedInput(reply as MaskedInputReply);
      else this.server.receiveUnmask(reply as UnmaskReply);
    } catch (error) {
      if (error instanceof SecAggProtocolError || error instanceof TypeError) throw new FederationRequestError(400, 'BadRequest', `secure aggregation ${stage}: ${error.message}`);
      throw error;
    }
    this.replied.add(index);
    this.digests.set(`${stage}/${index}`, digest);
  }

  /** True once the session is over: done (the sum is known) or failed. */
  get finished(): boolean {
    return this.stageValue === 'done' || this.stageValue === 'failed';
  }

  /** True when `advance` would close the stage (everyone in it answered, or its deadline passed). */
  get closable(): boolean {
    if (this.finished) return false;
    return this.replied.size === this.requests.size || this.clock() >= this.stageDeadline;
  }

  /** Closes the stage when everyone in it answered or its deadline passed (journaled); true when the stage changed. */
  async advance(): Promise<boolean> {
    if (!this.closable) return false;
    const stage = this.stageValue;
    await this.closeStage();
    await this.record({ kind: 'close', stage });
    return true;
  }

  /** The stage's close: deterministic given the replies received, so a replay repeats it exactly. */
  private async closeStage(): Promise<void> {
    try {
      if (this.stageValue === 'advertise') {
        this.setRequests(this.server.closeAdvertiseKeys());
        this.stageValue = 'share';
      } else if (this.stageValue === 'share') {
        this.setRequests(this.server.closeShareKeys());
        this.stageValue = 'masked-input';
      } else if (this.stageValue === 'masked-input') {
        this.setRequests(this.server.closeMaskedInput());
        this.stageValue = 'unmask';
      } else {
        this.result = await this.server.finish();
        this.stageValue = 'done';
        this.requests.clear();
        return;
      }
    } catch (error) {
      if (!(error instanceof SecAggDropoutError || error instanceof SecAggProtocolError)) throw error;
      this.failure = error.message;
      this.stageValue = 'failed';
      this.requests.clear();
      return;
    }
    this.stageDeadline = this.clock() + this.options.stageTimeoutMs;
  }

  /** Parties whose input is in the sum (after `done`). */
  includedParties(): string[] {
    return (this.result?.included ?? []).map((i) => this.parties[i]);
  }
}
