/**
 * The messages of one secure-aggregation session, as plain data (numbers, arrays,
 * Uint8Array, Uint32Array) so they can be passed in process or serialised for HTTP
 * (typed arrays as raw little-endian bytes). Clients are numbered 0..n−1 within a session;
 * the transport keeps the mapping to its own client ids. "→" is the direction of travel.
 *
 *   0. advertise keys   server → client: AdvertiseKeysRequest;  client → server: AdvertiseKeysReply
 *   1. share keys       server → client: ShareKeysRequest;      client → server: ShareKeysReply
 *   2. masked input     server → client: MaskedInputRequest;    client → server: MaskedInputReply
 *   3. unmasking        server → client: UnmaskRequest;         client → server: UnmaskReply
 */
import type { FixedPointEncoding } from './fixed-point.js';

export const SECAGG_PROTOCOL_VERSION = 1;

/** What every client of a session must agree on (sent with the first request). */
export interface SecAggSessionConfig {
  protocolVersion: number;
  /** 16 random bytes chosen by the server; binds every key, mask and ciphertext to this session. */
  sessionId: Uint8Array;
  /** n: clients invited to the session. */
  numClients: number;
  /** k: neighbours per client (n − 1 = the complete graph of the original protocol). */
  neighbours: number;
  /** t: shares needed to reconstruct a client's secrets; also the fewest survivors a client accepts. */
  threshold: number;
  /** m: values per input vector. */
  vectorLength: number;
  encoding: FixedPointEncoding;
}

export interface AdvertiseKeysRequest {
  config: SecAggSessionConfig;
  /** The client's index in the session. */
  index: number;
  /** Its neighbours in the communication graph (sorted). */
  neighbours: number[];
}

export interface AdvertiseKeysReply {
  index: number;
  /** c_u^PK: for the encryption of shares. */
  encryptionPublicKey: Uint8Array;
  /** s_u^PK: for the pairwise masks. */
  maskingPublicKey: Uint8Array;
}

export interface PublicKeys {
  index: number;
  encryptionPublicKey: Uint8Array;
  maskingPublicKey: Uint8Array;
}

export interface ShareKeysRequest {
  index: number;
  /** Keys of the neighbours that advertised (U1 ∩ N(u)). */
  neighbourKeys: PublicKeys[];
}

export interface EncryptedShare {
  from: number;
  to: number;
  /** AES-GCM(nonce ‖ ct ‖ tag) of from ‖ to ‖ share of s_from^SK ‖ share of b_from. */
  ciphertext: Uint8Array;
}

export interface ShareKeysReply {
  index: number;
  shares: EncryptedShare[];
}

export interface MaskedInputRequest {
  index: number;
  /** Shares addressed to this client by neighbours that completed share keys (U2 ∩ N(u)). */
  shares: EncryptedShare[];
}

export interface MaskedInputReply {
  index: number;
  /** y_u = x_u + PRG(b_u) + Σ_v ±PRG(s_{u,v}) mod 2^32. */
  masked: Uint32Array;
}

export interface UnmaskRequest {
  index: number;
  /** Neighbours whose masked input arrived (U3 ∩ N(u)): reveal their self-mask seed shares. */
  survivors: number[];
  /** Neighbours that shared keys but sent no masked input (U2 \ U3 ∩ N(u)): reveal their masking-key shares. */
  dropped: number[];
}

export interface RevealedShare {
  /** Whose secret this is a share of. */
  of: number;
  share: Uint8Array;
}

export interface UnmaskReply {
  index: number;
  selfMaskShares: RevealedShare[];
  maskingKeyShares: RevealedShare[];
}

export type SecAggMessage =
  | AdvertiseKeysRequest
  | AdvertiseKeysReply
  | ShareKeysRequest
  | ShareKeysReply
  | MaskedInputRequest
  | MaskedInputReply
  | UnmaskRequest
  | UnmaskReply;

/** Bytes a message occupies on the wire as raw fields (typed arrays at their size, numbers as 4 bytes). */
export function messageBytes(message: unknown): number {
  if (message instanceof Uint8Array || message instanceof Uint32Array) return message.byteLength;
  if (typeof message === 'number') return 4;
  if (Array.isArray(message)) return message.reduce((s: number, m) => s + messageBytes(m), 0);
  if (message && typeof message === 'object') {
    let total = 0;
    for (const value of Object.values(message)) total += messageBytes(value);
    return total;
  }
  return 0;
}
