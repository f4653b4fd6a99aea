/**
 * One round's secure-aggregation session over HTTP: the transport around secagg/'s
 * SecAggServer state machine. The selected clients are the session's parties (index = their
 * position in the round's selection). Each stage (advertise keys → share keys → masked input →
 * unmask) closes when every party still in it has answered or when the stage deadline passes
 * (the silent ones are dropouts, which the protocol tolerates down to its threshold t). After
 * unmasking, `finish` returns only the sum of the survivors' inputs: the server never holds an
 * individual update, only masked vectors.
 *
 * The state machine's secrets live in memory only, so a session does not survive a server
 * restart: the coordinator fails an interrupted secure round (model unchanged) and opens a new one.
 */
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

export class SecureAggregationRound {
  private readonly server: SecAggServer;
  private stageValue: SecureStage = 'advertise';
  private requests = new Map<number, unknown>();
  private replied = new Set<number>();
  private stageDeadline: number;
  private failure: string | undefined;
  result: SecAggResult | undefined;

  constructor(
    private readonly parties: readonly string[],
    vectorLength: number,
    private readonly options: SecureRoundOptions,
    private readonly clock: () => number,
  ) {
    this.server = new SecAggServer({ numClients: parties.length, vectorLength, range: options.range, neighbours: options.neighbours, threshold: options.threshold });
    this.setRequests(this.server.advertiseRequests());
    this.stageDeadline = clock() + options.stageTimeoutMs;
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
    if (this.stageValue === 'done' || this.stageValue === 'failed') return { stage: this.stageValue, ...(this.failure ? { message: this.failure } : {}) };
    const request = this.requests.get(index);
    if (request === undefined) return { stage: this.stageValue, message: 'this client dropped out of the session in an earlier stage' };
    return this.replied.has(index) ? { stage: this.stageValue, answered: true } : { stage: this.stageValue, request };
  }

  /** Takes one client's reply for `stage`; a malformed or late reply is a 4xx and changes nothing. */
  receive(clientId: string, stage: string, wire: unknown): void {
    const index = this.indexOf(clientId);
    if (stage !== this.stageValue) {
      throw new FederationRequestError(409, 'StaleRound', `secure aggregation is in stage "${this.stageValue}", not "${stage.slice(0, 20)}"; fetch the current request`);
    }
    if (!this.requests.has(index)) throw new FederationRequestError(409, 'Conflict', `client "${clientId}" has no request in stage "${stage}" (it dropped out earlier)`);
    if (this.replied.has(index)) throw new FederationRequestError(409, 'Conflict', `client "${clientId}" already answered stage "${stage}"`);
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
  }

  /** Closes the stage when everyone in it answered or its deadline passed; true when the stage changed. */
  async advance(): Promise<boolean> {
    if (this.stageValue === 'done' || this.stageValue === 'failed') return false;
    const complete = this.replied.size === this.requests.size;
    if (!complete && this.clock() < this.stageDeadline) return false;
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
        return true;
      }
    } catch (error) {
      if (!(error instanceof SecAggDropoutError || error instanceof SecAggProtocolError)) throw error;
      this.failure = error.message;
      this.stageValue = 'failed';
      this.requests.clear();
      return true;
    }
    this.stageDeadline = this.clock() + this.options.stageTimeoutMs;
    return true;
  }

  /** Parties whose input is in the sum (after `done`). */
  includedParties(): string[] {
    return (this.result?.included ?? []).map((i) => this.parties[i]);
  }
}
