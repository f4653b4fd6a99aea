/**
 * The federation's clients as one coordinator process knows them: enrolment under the
 * operator's mode (enrolment.ts), the aggregation weight decided once at enrolment, bearer
 * tokens, and availability (when each client last checked in). The store holds the client
 * records; this is their cache, plus the last-seen times, which only this process needs (a
 * shared federation keeps those in the store).
 */
import { ConfigError } from '../../errors.js';
import type { ClientInfo } from '../selection/index.js';
import type { ClientRecord, FederationStore } from '../store/index.js';
import { StateStoreError } from '../store/index.js';
import { newClientToken, tokenHash } from './client-tokens.js';
import {
  CLIENT_ID_PATTERN,
  DEFAULT_MAX_WEIGHT,
  ENROLMENT_MODES,
  MAX_EXAMPLES,
  createInvites,
  enrolmentCodeHash,
  enrolmentWeight,
  type EnrolmentOptions,
} from './enrolment.js';
import { PATHS, type InviteResponse, type RegisterRequest, type RegisterResponse } from './protocol.js';
import { FederationRequestError } from './request-error.js';
import { requireSetting } from './round-policy.js';

export interface ClientState {
  /** Examples as known at enrolment (the operator's figure, or the client's claim). */
  numExamples: number;
  /** Aggregation weight, fixed at enrolment. */
  weight: number;
  lastSeen: number;
}

/** The enrolment settings in force: mode, weight cap, and the partition's ids and example counts. */
export type EnrolmentSettings = Readonly<Required<Pick<EnrolmentOptions, 'mode' | 'maxWeight'>>> & { partition?: ReadonlyMap<string, number> };

export class ClientRegistry {
  readonly settings: EnrolmentSettings;
  private readonly tokens = new Map<string, string>(); // token hash → client id
  private readonly clients = new Map<string, ClientState>();

  constructor(
    private readonly store: FederationStore,
    enrolment: EnrolmentOptions | undefined,
    private readonly clock: () => number,
    private readonly emit: (event: string, data: Record<string, unknown>) => void,
  ) {
    const options = enrolment ?? { mode: 'invite' };
    requireSetting(ENROLMENT_MODES.includes(options.mode), `enrolment mode must be one of ${ENROLMENT_MODES.join(', ')}, got ${String(options.mode)}`);
    const maxWeight = options.maxWeight ?? DEFAULT_MAX_WEIGHT;
    requireSetting(maxWeight > 0 && maxWeight <= MAX_EXAMPLES, `maxWeight must be in (0, ${MAX_EXAMPLES}], got ${maxWeight}`);
    requireSetting(options.mode !== 'tokens' || (options.provisioned?.length ?? 0) > 0, 'tokens enrolment needs the provisioned clients (--client-tokens FILE)');
    this.settings = {
      mode: options.mode,
      maxWeight,
      ...(options.partition ? { partition: new Map(options.partition.map((c) => [c.id, c.examples])) } : {}),
    };
  }

  /** Registered clients this process knows of. */
  get size(): number {
    return this.clients.size;
  }

  get(clientId: string): ClientState | undefined {
    return this.clients.get(clientId);
  }

  /** The client id a token hash belongs to, among the clients this process knows of. */
  clientForTokenHash(hash: string): string | undefined {
    return this.tokens.get(hash);
  }

  cache(client: ClientRecord): void {
    this.tokens.set(client.tokenHash, client.id);
    if (!this.clients.has(client.id)) this.clients.set(client.id, { numExamples: client.numExamples, weight: client.weight, lastSeen: -Infinity });
  }

  /** tokens mode: the operator's clients, registered with their token hashes at each start (an existing one must keep its token). */
  async provision(provisioned: NonNullable<EnrolmentOptions['provisioned']>): Promise<void> {
    const known = new Map((await this.store.listClients()).map((c) => [c.id, c]));
    for (const p of provisioned) {
      if (this.settings.partition && !this.settings.partition.has(p.clientId)) throw new ConfigError(`--client-tokens: client "${p.clientId}" is not in the federation's partition`);
      const numExamples = p.numExamples ?? this.settings.partition?.get(p.clientId) ?? 1;
      const record: ClientRecord = { id: p.clientId, tokenHash: p.tokenHash, numExamples, weight: enrolmentWeight(numExamples, this.settings.maxWeight), registeredAt: this.clock() };
      const existing = known.get(p.clientId) ?? ((await this.store.registerClient(record)) === 'created' ? record : (await this.store.listClients()).find((c) => c.id === p.clientId));
      if (existing?.tokenHash !== p.tokenHash) {
        throw new StateStoreError(`${this.store.description}: client "${p.clientId}" is registered with another token than --client-tokens gives; restore its token in the file or use a new state`);
      }
      this.cache(existing);
    }
  }

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
    const mode = this.settings.mode;
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
    const partition = this.settings.partition;
    if (partition && !partition.has(clientId)) {
      throw new FederationRequestError(403, 'Forbidden', `client id "${clientId}" is not in the federation's partition (${partition.size} clients; GET ${PATHS.federation} lists them)`);
    }
    const numExamples = operatorExamples ?? partition?.get(clientId) ?? claimed;
    const weight = enrolmentWeight(numExamples, this.settings.maxWeight);
    const token = newClientToken();
    const record: ClientRecord = { id: clientId, tokenHash: tokenHash(token), numExamples, weight, registeredAt: this.clock() };
    const outcome = await this.store.registerClient(record, inviteHash);
    if (outcome === 'invite-unusable') throw new FederationRequestError(401, 'Unauthorized', 'the enrolment code was already used; each code enrols one client');
    if (outcome === 'exists') {
      throw new FederationRequestError(409, 'Conflict', `client id "${clientId}" is already registered; reuse its token or register under another id`);
    }
    this.cache(record);
    this.emit('registered', { clientId, weight });
    return { clientId, token, weight };
  }

  /** Issues single-use enrolment codes (optionally bound to ids, with the operator's example count); returns the codes once. */
  async issueInvites(request: { count?: number; clientIds?: string[]; numExamples?: number }): Promise<InviteResponse> {
    for (const id of request.clientIds ?? []) {
      if (this.settings.partition && !this.settings.partition.has(id)) throw new FederationRequestError(400, 'BadRequest', `client id "${id}" is not in the federation's partition`);
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

  /** Clients seen since `since` (no list, no sort: runs on every check-in while no round is open). */
  countSeenSince(since: number): number {
    let n = 0;
    for (const c of this.clients.values()) if (c.lastSeen >= since) n++;
    return n;
  }

  /** Clients seen since `since`, sorted by id, with the sampler's weights: the server's, fixed at enrolment. */
  seenSince(since: number): ClientInfo[] {
    const out: ClientInfo[] = [];
    for (const [id, c] of this.clients) if (c.lastSeen >= since) out.push({ id, numExamples: c.weight });
    return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }
}
