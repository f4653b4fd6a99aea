/**
 * The client side of secure aggregation (Bonawitz et al., CCS 2017, "Practical secure
 * aggregation for privacy-preserving machine learning", semi-honest variant, over the
 * SecAgg+ communication graph of graph.ts), as a state machine:
 *
 *   new ──advertiseKeys──▶ advertised ──shareKeys──▶ shared ──maskedInput──▶ masked ──unmask──▶ done
 *
 * Each call checks the stage and its request and returns the reply to send; a call out of
 * order throws SecAggProtocolError, and the client never answers a stage twice (in
 * particular it never reveals both the self-mask share and the masking-key share of the same
 * neighbour, which would unmask that neighbour's input). Any error moves it to `aborted`.
 *
 * What the client checks (a semi-honest server is assumed; see docs/federated-privacy.md):
 * keys of 32 bytes from its own neighbours only, at least t of them; shares that decrypt
 * under the pairwise key and name the right sender and receiver; at unmasking, that the
 * survivors and dropped sets are disjoint subsets of the neighbours it masked with, and that
 * at least t survive (otherwise the server could ask for enough masking keys to isolate it).
 */
import { ConfigError } from '../../errors.js';
import { KEY_BYTES, type KeyPair, type SecAggCrypto } from './crypto.js';
import { SecAggDropoutError, SecAggIntegrityError, SecAggProtocolError } from './errors.js';
import { addInRing, encodeFixedPoint } from './fixed-point.js';
import { checkDegree } from './graph.js';
import { expandMask, pairwiseLabel, pairwiseSign, selfMaskLabel, shareAssociatedData, shareKeyLabel } from './masks.js';
import {
  SECAGG_PROTOCOL_VERSION,
  type AdvertiseKeysReply,
  type AdvertiseKeysRequest,
  type EncryptedShare,
  type MaskedInputReply,
  type MaskedInputRequest,
  type PublicKeys,
  type SecAggSessionConfig,
  type ShareKeysReply,
  type ShareKeysRequest,
  type UnmaskReply,
  type UnmaskRequest,
} from './messages.js';
import { SECRET_BYTES, SHARE_BYTES, shareSecret } from './shamir.js';
import { webSecAggCrypto } from './web-crypto.js';

export type SecAggClientStage = 'new' | 'advertised' | 'shared' | 'masked' | 'done' | 'aborted';

/** Bytes of a share plaintext: from (4) ‖ to (4) ‖ share of s^SK ‖ share of b. */
const SHARE_PLAINTEXT_BYTES = 8 + 2 * SHARE_BYTES;

export function checkSessionConfig(config: SecAggSessionConfig): void {
  const fail = (why: string): never => {
    throw new SecAggProtocolError(`secure aggregation session config: ${why}`);
  };
  if (!config || typeof config !== 'object') fail('missing');
  if (config.protocolVersion !== SECAGG_PROTOCOL_VERSION) fail(`protocol version ${config.protocolVersion} is not the supported ${SECAGG_PROTOCOL_VERSION}`);
  if (!(config.sessionId instanceof Uint8Array) || config.sessionId.length !== 16) fail('sessionId must be 16 bytes');
  try {
    checkDegree(config.numClients, config.neighbours);
  } catch (error) {
    fail((error as Error).message);
  }
  if (!Number.isInteger(config.threshold) || config.threshold < 1 || config.threshold > config.neighbours) {
    fail(`threshold t must be an integer in [1, k = ${config.neighbours}], got ${config.threshold}`);
  }
  if (!Number.isInteger(config.vectorLength) || config.vectorLength < 1) fail(`vectorLength must be an integer ≥ 1, got ${config.vectorLength}`);
  const e = config.encoding;
  if (!e || !(e.range > 0) || !Number.isInteger(e.fractionalBits) || e.maxSummands < config.numClients) {
    fail('encoding must have range > 0, integer fractionalBits and maxSummands ≥ numClients');
  }
}

export class SecAggClient {
  private stageValue: SecAggClientStage = 'new';
  private config!: SecAggSessionConfig;
  private indexValue = -1;
  private neighbourSet = new Set<number>();
  private encryptionKeys!: KeyPair;
  private maskingKeys!: KeyPair;
  private selfMaskSeed!: Uint8Array;
  private neighbourKeys = new Map<number, PublicKeys>();
  /** Pairwise share-encryption keys, by neighbour. */
  private encryptionKeysByPeer = new Map<number, Uint8Array>();
  /** Decrypted shares held for neighbours that completed share keys (the mask partners). */
  private held = new Map<number, { maskingKeyShare: Uint8Array; selfMaskShare: Uint8Array }>();

  /**
   * The default is WebCrypto (Node ≥ 20 and browsers), so this module pulls in no Node
   * built-in and can be bundled for a page as is; Node callers pass nodeSecAggCrypto for speed.
   */
  constructor(private readonly crypto: SecAggCrypto = webSecAggCrypto()) {}

  get stage(): SecAggClientStage {
    return this.stageValue;
  }

  get index(): number {
    return this.indexValue;
  }

  private expect(stage: SecAggClientStage, call: string): void {
    if (this.stageValue !== stage) {
      throw new SecAggProtocolError(`secure aggregation client ${this.indexValue}: ${call} called in stage "${this.stageValue}", expected "${stage}"`);
    }
  }

  private async guarded<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      this.stageValue = 'aborted';
      throw error;
    }
  }

  /** Stage 0: fresh key pairs for this session. */
  async advertiseKeys(request: AdvertiseKeysRequest): Promise<AdvertiseKeysReply> {
    this.expect('new', 'advertiseKeys');
    return this.guarded(async () => {
      checkSessionConfig(request.config);
      const { config } = request;
      if (!Number.isInteger(request.index) || request.index < 0 || request.index >= config.numClients) {
        throw new SecAggProtocolError(`advertiseKeys: index ${request.index} is outside 0..${config.numClients - 1}`);
      }
      const neighbours = request.neighbours ?? [];
      if (neighbours.length !== config.neighbours || new Set(neighbours).size !== neighbours.length || neighbours.some((v) => v === request.index || !(v >= 0 && v < config.numClients))) {
        throw new SecAggProtocolError(`advertiseKeys: client ${request.index} needs ${config.neighbours} distinct neighbours other than itself, got [${neighbours.join(', ')}]`);
      }
      this.config = config;
      this.indexValue = request.index;
      this.neighbourSet = new Set(neighbours);
      this.encryptionKeys = await this.crypto.generateKeyPair();
      this.maskingKeys = await this.crypto.generateKeyPair();
      this.stageValue = 'advertised';
      return { index: this.indexValue, encryptionPublicKey: this.encryptionKeys.publicKey, maskingPublicKey: this.maskingKeys.publicKey };
    });
  }

  /** Stage 1: Shamir shares of s_u^SK and b_u, one encrypted pair per neighbour that advertised. */
  async shareKeys(request: ShareKeysRequest): Promise<ShareKeysReply> {
    this.expect('advertised', 'shareKeys');
    return this.guarded(async () => {
      const u = this.indexValue;
      if (request.index !== u) throw new SecAggProtocolError(`shareKeys: request for client ${request.index} delivered to client ${u}`);
      const keys = request.neighbourKeys ?? [];
      for (const k of keys) {
        if (!this.neighbourSet.has(k.index)) throw new SecAggProtocolError(`shareKeys: client ${k.index} is not a neighbour of client ${u}`);
        if (this.neighbourKeys.has(k.index)) throw new SecAggProtocolError(`shareKeys: keys of client ${k.index} listed twice`);
        if (!(k.encryptionPublicKey instanceof Uint8Array) || k.encryptionPublicKey.length !== KEY_BYTES || !(k.maskingPublicKey instanceof Uint8Array) || k.maskingPublicKey.length !== KEY_BYTES) {
          throw new SecAggProtocolError(`shareKeys: public keys of client ${k.index} must be ${KEY_BYTES} bytes each`);
        }
        this.neighbourKeys.set(k.index, k);
      }
      if (this.neighbourKeys.size < this.config.threshold) {
        throw new SecAggDropoutError(
          `shareKeys: client ${u} received keys of ${this.neighbourKeys.size} neighbours, fewer than the threshold t = ${this.config.threshold}; its secrets could not be recovered, so it does not take part`,
        );
      }
      this.selfMaskSeed = this.crypto.randomBytes(SECRET_BYTES);
      const recipients = [...this.neighbourKeys.keys()].sort((a, b) => a - b);
      const xs = recipients.map((v) => v + 1);
      const random = (n: number) => this.crypto.randomBytes(n);
      const keyShares = shareSecret(this.maskingKeys.secretKey, this.config.threshold, xs, random);
      const seedShares = shareSecret(this.selfMaskSeed, this.config.threshold, xs, random);
      const shares: EncryptedShare[] = [];
      for (let i = 0; i < recipients.length; i++) {
        const v = recipients[i];
        const key = await this.shareKey(v);
        const plaintext = new Uint8Array(SHARE_PLAINTEXT_BYTES);
        const view = new DataView(plaintext.buffer);
        view.setUint32(0, u, true);
        view.setUint32(4, v, true);
        plaintext.set(keyShares[i].y, 8);
        plaintext.set(seedShares[i].y, 8 + SHARE_BYTES);
        const ciphertext = await this.crypto.seal(key, plaintext, shareAssociatedData(this.config.sessionId, u, v));
        shares.push({ from: u, to: v, ciphertext });
      }
      this.stageValue = 'shared';
      return { index: u, shares };
    });
  }

  private async shareKey(v: number): Promise<Uint8Array> {
    let key = this.encryptionKeysByPeer.get(v);
    if (!key) {
      const peer = this.neighbourKeys.get(v);
      if (!peer) throw new SecAggProtocolError(`client ${this.indexValue} has no keys of client ${v}`);
      const shared = await this.crypto.agree(this.encryptionKeys.secretKey, peer.encryptionPublicKey);
      key = await this.crypto.hkdf(shared, this.config.sessionId, shareKeyLabel(this.indexValue, v), 32);
      this.encryptionKeysByPeer.set(v, key);
    }
    return key;
  }

  /** Stage 2 with a real-valued input: encodes it (clipping to ±R) and masks it. */
  async maskedInput(request: MaskedInputRequest, values: ArrayLike<number>): Promise<MaskedInputReply> {
    this.expect('shared', 'maskedInput');
    if (values?.length !== this.config.vectorLength) {
      this.stageValue = 'aborted';
      throw new ConfigError(`maskedInput: the input has ${values?.length} values, the session aggregates vectors of ${this.config.vectorLength}`);
    }
    let encoded: Uint32Array;
    try {
      encoded = encodeFixedPoint(values, this.config.encoding).encoded;
    } catch (error) {
      this.stageValue = 'aborted';
      throw error;
    }
    return this.maskedEncodedInput(request, encoded);
  }

  /**
   * Stage 2 with an input already in the ring (encodeFixedPoint): decrypts and keeps the shares
   * it was sent, and returns x + PRG(b_u) + Σ_{v ∈ partners} ±PRG(s_{u,v}) mod 2^32, where the
   * partners are the neighbours whose shares it holds (they completed stage 1).
   */
  async maskedEncodedInput(request: MaskedInputRequest, encoded: Uint32Array): Promise<MaskedInputReply> {
    this.expect('shared', 'maskedInput');
    return this.guarded(async () => {
      const u = this.indexValue;
      const { sessionId, vectorLength } = this.config;
      if (request.index !== u) throw new SecAggProtocolError(`maskedInput: request for client ${request.index} delivered to client ${u}`);
      if (!(encoded instanceof Uint32Array) || encoded.length !== vectorLength) {
        throw new ConfigError(`maskedInput: the encoded input must be a Uint32Array of ${vectorLength} values`);
      }
      for (const share of request.shares ?? []) {
        const v = share.from;
        if (share.to !== u) throw new SecAggProtocolError(`maskedInput: a share for client ${share.to} was delivered to client ${u}`);
        if (!this.neighbourKeys.has(v)) throw new SecAggProtocolError(`maskedInput: share from client ${v}, which is not a neighbour that advertised keys`);
        if (this.held.has(v)) throw new SecAggProtocolError(`maskedInput: two shares from client ${v}`);
        const plaintext = await this.crypto.open(await this.shareKey(v), share.ciphertext, shareAssociatedData(sessionId, v, u)).catch((error: unknown) => {
          if (error instanceof SecAggIntegrityError) throw new SecAggIntegrityError(`client ${u}: the share from client ${v} failed authentication (altered in transit); aborting`);
          throw error;
        });
        const view = new DataView(plaintext.buffer, plaintext.byteOffset, plaintext.byteLength);
        if (plaintext.length !== SHARE_PLAINTEXT_BYTES || view.getUint32(0, true) !== v || view.getUint32(4, true) !== u) {
          throw new SecAggIntegrityError(`client ${u}: the share from client ${v} names the wrong sender or receiver`);
        }
        this.held.set(v, {
          maskingKeyShare: plaintext.slice(8, 8 + SHARE_BYTES),
          selfMaskShare: plaintext.slice(8 + SHARE_BYTES, 8 + 2 * SHARE_BYTES),
        });
      }
      if (this.held.size < this.config.threshold) {
        throw new SecAggDropoutError(`maskedInput: client ${u} holds shares of ${this.held.size} neighbours, fewer than the threshold t = ${this.config.threshold}; aborting`);
      }
      const masked = encoded.slice();
      addInRing(masked, await expandMask(this.crypto, this.selfMaskSeed, sessionId, selfMaskLabel(u), vectorLength));
      for (const v of [...this.held.keys()].sort((a, b) => a - b)) {
        const peer = this.neighbourKeys.get(v)!;
        const shared = await this.crypto.agree(this.maskingKeys.secretKey, peer.maskingPublicKey);
        addInRing(masked, await expandMask(this.crypto, shared, sessionId, pairwiseLabel(u, v), vectorLength), pairwiseSign(u, v));
      }
      this.stageValue = 'masked';
      return { index: u, masked };
    });
  }

  /** Stage 3: reveals b-shares of surviving partners and s^SK-shares of dropped ones, never both. */
  async unmask(request: UnmaskRequest): Promise<UnmaskReply> {
    this.expect('masked', 'unmask');
    return this.guarded(async () => {
      const u = this.indexValue;
      if (request.index !== u) throw new SecAggProtocolError(`unmask: request for client ${request.index} delivered to client ${u}`);
      const survivors = request.survivors ?? [];
      const dropped = request.dropped ?? [];
      const all = [...survivors, ...dropped];
      if (new Set(all).size !== all.length) throw new SecAggProtocolError(`unmask: a client is listed twice or as both surviving and dropped: [${all.join(', ')}]`);
      for (const v of all) {
        if (!this.held.has(v)) throw new SecAggProtocolError(`unmask: client ${v} is not one of client ${u}'s mask partners`);
      }
      if (all.length !== this.held.size) throw new SecAggProtocolError(`unmask: ${this.held.size - all.length} of client ${u}'s mask partners are neither surviving nor dropped`);
      // u's own self-mask can only be removed with t shares from its surviving neighbours;
      // with fewer, the round fails anyway, and revealing masking keys would only leak
      if (survivors.length < this.config.threshold) {
        throw new SecAggDropoutError(
          `unmask: only ${survivors.length} of client ${u}'s mask partners survive, fewer than the threshold t = ${this.config.threshold}; it reveals nothing and aborts`,
        );
      }
      this.stageValue = 'done';
      return {
        index: u,
        selfMaskShares: survivors.map((v) => ({ of: v, share: this.held.get(v)!.selfMaskShare })),
        maskingKeyShares: dropped.map((v) => ({ of: v, share: this.held.get(v)!.maskingKeyShare })),
      };
    });
  }
}
