/**
 * The server side of secure aggregation as a state machine driven by a transport:
 *
 *   advertise ─closeAdvertiseKeys─▶ share ─closeShareKeys─▶ masked-input ─closeMaskedInput─▶ unmask ─finish─▶ done
 *
 * In each stage the transport hands in the replies that arrive (`receive…`), then closes the
 * stage (at a deadline, or when every client answered); closing returns the next requests,
 * one per client still taking part. Clients that did not answer a stage are dropouts:
 *   U1 advertised keys, U2 ⊆ U1 sent encrypted shares, U3 ⊆ U2 sent masked inputs,
 *   U4 ⊆ U3 answered the unmasking request.
 * The result is Σ_{u ∈ U3} x_u: the inputs of every client whose masked input arrived,
 * whoever drops out afterwards, as long as every needed secret still has t shares:
 *   b_v (self-mask seed) for v ∈ U3 from U4 ∩ N(v), s_v^SK (masking key) for v ∈ U2 \ U3.
 * Otherwise the session fails with SecAggDropoutError, before any client is asked to reveal
 * a share when the shortfall is already visible at closeMaskedInput.
 *
 * The server only ever holds masked inputs y_u (uniform in Z_{2^32}^m given everything else
 * it sees, while two or more clients' inputs stay unrevealed), ciphertexts it cannot open, and
 * shares of either b_v or s_v^SK for each v, never both. Malformed or out-of-stage messages
 * throw SecAggProtocolError and leave the state unchanged.
 */
import { ConfigError } from '../../errors.js';
import type { SecAggCrypto } from './crypto.js';
import { KEY_BYTES, NONCE_BYTES, TAG_BYTES } from './crypto.js';
import { SecAggDropoutError, SecAggProtocolError } from './errors.js';
import { addInRing, decodeFixedPoint, fixedPointEncoding, type FixedPointEncoding } from './fixed-point.js';
import { checkDegree, defaultNeighbours, defaultThreshold, hararyGraphNeighbours } from './graph.js';
import { expandMask, pairwiseLabel, pairwiseSign, selfMaskLabel } from './masks.js';
import {
  SECAGG_PROTOCOL_VERSION,
  type AdvertiseKeysReply,
  type AdvertiseKeysRequest,
  type EncryptedShare,
  type MaskedInputReply,
  type MaskedInputRequest,
  type SecAggSessionConfig,
  type ShareKeysReply,
  type ShareKeysRequest,
  type UnmaskReply,
  type UnmaskRequest,
} from './messages.js';
import { nodeSecAggCrypto } from './node-crypto.js';
import { reconstructSecret, SHARE_BYTES, type Share } from './shamir.js';

export type SecAggServerStage = 'advertise' | 'share' | 'masked-input' | 'unmask' | 'done';

export interface SecAggServerOptions {
  /** n: clients invited. */
  numClients: number;
  /** m: values per input. */
  vectorLength: number;
  /** k: neighbours per client; default defaultNeighbours(n) (complete graph up to 32 clients). */
  neighbours?: number;
  /** t: default a strict majority of k. */
  threshold?: number;
  /** Fixed-point clipping range R (default 1). */
  range?: number;
  /** Fixed-point fractional bits (default: the most that fit n summands of ±R). */
  fractionalBits?: number;
  crypto?: SecAggCrypto;
  /** Graph layout (default: a uniform permutation from the CSPRNG). */
  permutation?: number[];
  /** Session id (default: 16 bytes from the CSPRNG); given when a journaled session is rebuilt. */
  sessionId?: Uint8Array;
}

export interface SecAggResult {
  /** Σ_{u ∈ U3} encode(x_u) mod 2^32. */
  sum: Uint32Array;
  /** The sum decoded as fixed point. */
  values: Float64Array;
  /** U3: clients whose inputs are in the sum (sorted). */
  included: number[];
  /** How many clients completed each stage: advertised |U1|, shared |U2|, masked |U3|, unmasked |U4|. */
  counts: { invited: number; advertised: number; shared: number; masked: number; unmasked: number };
  encoding: FixedPointEncoding;
}

const SHARE_CIPHERTEXT_BYTES = NONCE_BYTES + 8 + 2 * SHARE_BYTES + TAG_BYTES;

function uniformPermutation(n: number, randomBytes: (n: number) => Uint8Array): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    // rejection sampling for an unbiased index in [0, i]
    const limit = Math.floor(2 ** 32 / (i + 1)) * (i + 1);
    let r: number;
    do {
      const b = randomBytes(4);
      r = ((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]) >>> 0;
    } while (r >= limit);
    const j = r % (i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}

function intersect(list: readonly number[], set: ReadonlySet<number> | ReadonlyMap<number, unknown>): number[] {
  return list.filter((v) => set.has(v));
}

export class SecAggServer {
  readonly config: SecAggSessionConfig;
  /** N(u) for every client. */
  readonly graph: number[][];
  /** The graph's layout: with the session id, what rebuilds the same session. */
  readonly permutation: readonly number[];
  private readonly crypto: SecAggCrypto;
  private stageValue: SecAggServerStage = 'advertise';
  private readonly advertised = new Map<number, AdvertiseKeysReply>();
  private eligible = new Set<number>();
  private readonly shared = new Map<number, EncryptedShare[]>();
  private readonly masked = new Map<number, Uint32Array>();
  private dropped = new Set<number>();
  private readonly unmaskRequests = new Map<number, UnmaskRequest>();
  private readonly unmasked = new Map<number, UnmaskReply>();

  constructor(options: SecAggServerOptions) {
    const n = options.numClients;
    const k = options.neighbours ?? (Number.isInteger(n) && n >= 2 ? defaultNeighbours(n) : 1);
    checkDegree(n, k);
    const t = options.threshold ?? defaultThreshold(k);
    if (!Number.isInteger(t) || t < 1 || t > k) {
      throw new ConfigError(`secure aggregation: threshold t must be an integer in [1, k = ${k}], got ${t}`);
    }
    if (!Number.isInteger(options.vectorLength) || options.vectorLength < 1) {
      throw new ConfigError(`secure aggregation: vectorLength must be an integer ≥ 1, got ${options.vectorLength}`);
    }
    this.crypto = options.crypto ?? nodeSecAggCrypto;
    const encoding = fixedPointEncoding({ range: options.range ?? 1, maxSummands: n, fractionalBits: options.fractionalBits });
    this.config = {
      protocolVersion: SECAGG_PROTOCOL_VERSION,
      sessionId: options.sessionId ?? this.crypto.randomBytes(16),
      numClients: n,
      neighbours: k,
      threshold: t,
      vectorLength: options.vectorLength,
      encoding,
    };
    if (options.sessionId !== undefined && options.sessionId.length !== 16) throw new ConfigError(`secure aggregation: a session id has 16 bytes, got ${options.sessionId.length}`);
    this.permutation = options.permutation ?? uniformPermutation(n, (b) => this.crypto.randomBytes(b));
    this.graph = hararyGraphNeighbours(n, k, this.permutation);
  }

  get stage(): SecAggServerStage {
    return this.stageValue;
  }

  private expect(stage: SecAggServerStage, call: string): void {
    if (this.stageValue !== stage) {
      throw new SecAggProtocolError(`secure aggregation server: ${call} in stage "${this.stageValue}" (expected "${stage}"); a late or early message`);
    }
  }

  private checkIndex(index: unknown, call: string): number {
    if (!Number.isInteger(index) || (index as number) < 0 || (index as number) >= this.config.numClients) {
      throw new SecAggProtocolError(`${call}: client index ${String(index)} is outside 0..${this.config.numClients - 1}`);
    }
    return index as number;
  }

  /** The first request of the session, one per invited client. */
  advertiseRequests(): AdvertiseKeysRequest[] {
    this.expect('advertise', 'advertiseRequests');
    return this.graph.map((neighbours, index) => ({ config: this.config, index, neighbours: neighbours.slice() }));
  }

  receiveAdvertiseKeys(reply: AdvertiseKeysReply): void {
    this.expect('advertise', 'receiveAdvertiseKeys');
    const u = this.checkIndex(reply?.index, 'receiveAdvertiseKeys');
    if (this.advertised.has(u)) throw new SecAggProtocolError(`receiveAdvertiseKeys: client ${u} already advertised keys`);
    const ok = (key: unknown) => key instanceof Uint8Array && key.length === KEY_BYTES;
    if (!ok(reply.encryptionPublicKey) || !ok(reply.maskingPublicKey)) {
      throw new SecAggProtocolError(`receiveAdvertiseKeys: client ${u}'s public keys must be ${KEY_BYTES} bytes each`);
    }
    this.advertised.set(u, { index: u, encryptionPublicKey: reply.encryptionPublicKey.slice(), maskingPublicKey: reply.maskingPublicKey.slice() });
  }

  /**
   * Ends stage 0. A client with fewer than t advertised neighbours could not have its
   * secrets recovered, so it is left out (and its neighbours recounted, until stable).
   */
  closeAdvertiseKeys(): ShareKeysRequest[] {
    this.expect('advertise', 'closeAdvertiseKeys');
    const eligible = new Set(this.advertised.keys());
    for (let changed = true; changed; ) {
      changed = false;
      for (const u of [...eligible]) {
        if (intersect(this.graph[u], eligible).length < this.config.threshold) {
          eligible.delete(u);
          changed = true;
        }
      }
    }
    if (eligible.size === 0) {
      throw new SecAggDropoutError(
        `secure aggregation: after advertising keys no client has t = ${this.config.threshold} neighbours left (${this.advertised.size} of ${this.config.numClients} advertised); the session cannot continue`,
      );
    }
    this.eligible = eligible;
    this.stageValue = 'share';
    return [...eligible].sort((a, b) => a - b).map((u) => ({
      index: u,
      neighbourKeys: intersect(this.graph[u], eligible).map((v) => ({ ...this.advertised.get(v)! })),
    }));
  }

  receiveShareKeys(reply: ShareKeysReply): void {
    this.expect('share', 'receiveShareKeys');
    const u = this.checkIndex(reply?.index, 'receiveShareKeys');
    if (!this.eligible.has(u)) throw new SecAggProtocolError(`receiveShareKeys: client ${u} is not taking part in this stage`);
    if (this.shared.has(u)) throw new SecAggProtocolError(`receiveShareKeys: client ${u} already sent its shares`);
    const expected = new Set(intersect(this.graph[u], this.eligible));
    const shares = reply.shares ?? [];
    const seen = new Set<number>();
    for (const s of shares) {
      if (s.from !== u || !expected.has(s.to) || seen.has(s.to)) {
        throw new SecAggProtocolError(`receiveShareKeys: client ${u} sent a share from ${s.from} to ${s.to}; expected exactly one share from ${u} to each of [${[...expected].join(', ')}]`);
      }
      if (!(s.ciphertext instanceof Uint8Array) || s.ciphertext.length !== SHARE_CIPHERTEXT_BYTES) {
        throw new SecAggProtocolError(`receiveShareKeys: client ${u}'s share for ${s.to} must be ${SHARE_CIPHERTEXT_BYTES} bytes, got ${s.ciphertext?.length}`);
      }
      seen.add(s.to);
    }
    if (seen.size !== expected.size) throw new SecAggProtocolError(`receiveShareKeys: client ${u} sent ${seen.size} shares, expected ${expected.size}`);
    this.shared.set(u, shares.map((s) => ({ from: s.from, to: s.to, ciphertext: s.ciphertext.slice() })));
  }

  /** Ends stage 1: routes each share to its receiver (only shares of clients in U2). */
  closeShareKeys(): MaskedInputRequest[] {
    this.expect('share', 'closeShareKeys');
    const inbox = new Map<number, EncryptedShare[]>();
    for (const u of this.shared.keys()) inbox.set(u, []);
    for (const [, shares] of this.shared) for (const s of shares) inbox.get(s.to)?.push(s);
    const viable = [...inbox.values()].filter((list) => list.length >= this.config.threshold).length;
    if (viable === 0) {
      throw new SecAggDropoutError(
        `secure aggregation: after sharing keys no client holds t = ${this.config.threshold} shares (${this.shared.size} clients shared); the session cannot continue`,
      );
    }
    this.stageValue = 'masked-input';
    return [...inbox.entries()].sort(([a], [b]) => a - b).map(([index, shares]) => ({ index, shares: shares.sort((a, b) => a.from - b.from) }));
  }

  receiveMaskedInput(reply: MaskedInputReply): void {
    this.expect('masked-input', 'receiveMaskedInput');
    const u = this.checkIndex(reply?.index, 'receiveMaskedInput');
    if (!this.shared.has(u)) throw new SecAggProtocolError(`receiveMaskedInput: client ${u} did not share keys, so its input cannot be unmasked`);
    if (this.masked.has(u)) throw new SecAggProtocolError(`receiveMaskedInput: client ${u} already sent its masked input`);
    if (!(reply.masked instanceof Uint32Array) || reply.masked.length !== this.config.vectorLength) {
      throw new SecAggProtocolError(`receiveMaskedInput: client ${u}'s masked input must be a Uint32Array of ${this.config.vectorLength} values, got ${reply.masked?.length}`);
    }
    this.masked.set(u, reply.masked.slice());
  }

  /**
   * Ends stage 2. Fails now, before anyone reveals a share, if some secret that will be
   * needed already has fewer than t potential share holders among the survivors.
   */
  closeMaskedInput(): UnmaskRequest[] {
    this.expect('masked-input', 'closeMaskedInput');
    const t = this.config.threshold;
    const dropped = new Set([...this.shared.keys()].filter((u) => !this.masked.has(u)));
    for (const v of [...this.masked.keys(), ...dropped]) {
      const holders = intersect(intersect(this.graph[v], this.shared), this.masked).length;
      if (holders < t) {
        throw new SecAggDropoutError(
          `secure aggregation: too many dropouts: only ${holders} surviving neighbours hold shares of client ${v}'s ${this.masked.has(v) ? 'self-mask seed' : 'masking key'}, ` +
            `fewer than the threshold t = ${t} (${this.masked.size} of ${this.config.numClients} clients sent masked inputs); the round's aggregate is lost, start a new session`,
        );
      }
    }
    this.dropped = dropped;
    this.stageValue = 'unmask';
    const requests = [...this.masked.keys()].sort((a, b) => a - b).map((u) => {
      const partners = intersect(this.graph[u], this.shared);
      const request: UnmaskRequest = { index: u, survivors: intersect(partners, this.masked), dropped: partners.filter((v) => dropped.has(v)) };
      this.unmaskRequests.set(u, request);
      return request;
    });
    return requests;
  }

  receiveUnmask(reply: UnmaskReply): void {
    this.expect('unmask', 'receiveUnmask');
    const u = this.checkIndex(reply?.index, 'receiveUnmask');
    const request = this.unmaskRequests.get(u);
    if (!request) throw new SecAggProtocolError(`receiveUnmask: client ${u} was not asked to unmask`);
    if (this.unmasked.has(u)) throw new SecAggProtocolError(`receiveUnmask: client ${u} already answered`);
    const check = (given: { of: number; share: Uint8Array }[] | undefined, wanted: number[], what: string) => {
      const list = given ?? [];
      if (list.length !== wanted.length || list.some((s, i) => s.of !== wanted[i] || !(s.share instanceof Uint8Array) || s.share.length !== SHARE_BYTES)) {
        throw new SecAggProtocolError(`receiveUnmask: client ${u} must send ${SHARE_BYTES}-byte ${what} shares of [${wanted.join(', ')}] in that order`);
      }
    };
    check(reply.selfMaskShares, request.survivors, 'self-mask');
    check(reply.maskingKeyShares, request.dropped, 'masking-key');
    this.unmasked.set(u, reply);
  }

  /** Ends stage 3: reconstructs the needed secrets, removes every mask and returns the sum. */
  async finish(): Promise<SecAggResult> {
    this.expect('unmask', 'finish');
    const t = this.config.threshold;
    const { sessionId, vectorLength } = this.config;
    const selfShares = new Map<number, Share[]>();
    const keyShares = new Map<number, Share[]>();
    for (const [u, reply] of this.unmasked) {
      for (const s of reply.selfMaskShares) (selfShares.get(s.of) ?? selfShares.set(s.of, []).get(s.of)!).push({ x: u + 1, y: s.share });
      for (const s of reply.maskingKeyShares) (keyShares.get(s.of) ?? keyShares.set(s.of, []).get(s.of)!).push({ x: u + 1, y: s.share });
    }
    const shortfall = (v: number, have: number, what: string) =>
      new SecAggDropoutError(
        `secure aggregation: too many dropouts at unmasking: ${have} shares of client ${v}'s ${what} arrived, fewer than the threshold t = ${t} ` +
          `(${this.unmasked.size} of ${this.masked.size} survivors answered); the round's aggregate is lost, start a new session`,
      );
    const sum = new Uint32Array(vectorLength);
    for (const y of this.masked.values()) addInRing(sum, y);
    for (const v of [...this.masked.keys()].sort((a, b) => a - b)) {
      const shares = selfShares.get(v) ?? [];
      if (shares.length < t) throw shortfall(v, shares.length, 'self-mask seed');
      const seed = reconstructSecret(shares, t);
      addInRing(sum, await expandMask(this.crypto, seed, sessionId, selfMaskLabel(v), vectorLength), -1);
    }
    for (const v of [...this.dropped].sort((a, b) => a - b)) {
      const shares = keyShares.get(v) ?? [];
      if (shares.length < t) throw shortfall(v, shares.length, 'masking key');
      const secretKey = reconstructSecret(shares, t);
      // every surviving partner w added sign(w, v)·PRG(s_{w,v}); take it back out
      for (const w of intersect(this.graph[v], this.masked)) {
        const shared = await this.crypto.agree(secretKey, this.advertised.get(w)!.maskingPublicKey);
        addInRing(sum, await expandMask(this.crypto, shared, sessionId, pairwiseLabel(w, v), vectorLength), pairwiseSign(w, v) === 1 ? -1 : 1);
      }
    }
    this.stageValue = 'done';
    return {
      sum,
      values: decodeFixedPoint(sum, this.config.encoding),
      included: [...this.masked.keys()].sort((a, b) => a - b),
      counts: {
        invited: this.config.numClients,
        advertised: this.advertised.size,
        shared: this.shared.size,
        masked: this.masked.size,
        unmasked: this.unmasked.size,
      },
      encoding: this.config.encoding,
    };
  }
}
