/**
 * The cryptographic primitives secure aggregation needs, behind one small interface so the
 * protocol code never touches a platform API: the Node implementation (node:crypto) lives in
 * node-crypto.ts, a WebCrypto one (browsers, and Node's globalThis.crypto.subtle) in
 * web-crypto.ts. Keys and outputs are raw bytes, so a client on one implementation and a
 * server on the other interoperate (test/federated/secagg/crypto.test.ts checks this).
 *
 * Every method is async because WebCrypto is; the Node implementation resolves at once.
 *
 *  - Key agreement: X25519 (RFC 7748). Secret keys are 32 random bytes (clamped inside the
 *    primitive), public keys 32 bytes; an all-zero shared secret (a low-order public key) is
 *    refused, as RFC 7748 §6.1 recommends.
 *  - Key derivation: HKDF-SHA256 (RFC 5869).
 *  - PRG: the AES-256-CTR keystream (zero IV) of a 32-byte key. The key is always an HKDF
 *    output bound to the session and the mask's label, so no two masks share a stream.
 *  - Authenticated encryption: AES-256-GCM, random 96-bit nonce, output nonce ‖ ct ‖ tag.
 */
export interface KeyPair {
  /** 32 bytes. */
  secretKey: Uint8Array;
  /** 32 bytes. */
  publicKey: Uint8Array;
}

export interface SecAggCrypto {
  /** "node:crypto" or "webcrypto". */
  readonly name: string;
  /** Bytes from the platform CSPRNG. */
  randomBytes(length: number): Uint8Array;
  generateKeyPair(): Promise<KeyPair>;
  /** X25519(secretKey, publicKey), 32 bytes; throws SecAggIntegrityError for a low-order key. */
  agree(secretKey: Uint8Array, publicKey: Uint8Array): Promise<Uint8Array>;
  hkdf(ikm: Uint8Array, salt: Uint8Array, info: string, length: number): Promise<Uint8Array>;
  /** `length` bytes of the AES-256-CTR keystream of `key` (32 bytes) from counter 0. */
  keystream(key: Uint8Array, length: number): Promise<Uint8Array>;
  /** AES-256-GCM: returns nonce (12) ‖ ciphertext ‖ tag (16). */
  seal(key: Uint8Array, plaintext: Uint8Array, associatedData: Uint8Array): Promise<Uint8Array>;
  /** Inverse of seal; throws SecAggIntegrityError when the tag does not verify. */
  open(key: Uint8Array, sealed: Uint8Array, associatedData: Uint8Array): Promise<Uint8Array>;
}

export const KEY_BYTES = 32;
export const NONCE_BYTES = 12;
export const TAG_BYTES = 16;

/** DER prefixes that wrap a raw 32-byte X25519 key as PKCS#8 (secret) or SPKI (public). */
export const X25519_PKCS8_PREFIX = Uint8Array.from([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04, 0x20]);
export const X25519_SPKI_PREFIX = Uint8Array.from([0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x03, 0x21, 0x00]);

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

export function isAllZero(bytes: Uint8Array): boolean {
  let acc = 0;
  for (let i = 0; i < bytes.length; i++) acc |= bytes[i];
  return acc === 0;
}
