/**
 * Mask expansion: a 32-byte secret (an X25519 shared secret for a pairwise mask, a random
 * seed for a self-mask) → HKDF-SHA256 bound to the session and the mask's label → an
 * AES-256-CTR key → m uniform 32-bit ring elements. Every mask has a full 256-bit key: a
 * short seed or a non-cryptographic generator (Flower's SecAgg+ seeds one from 32 bits)
 * would let the server enumerate masks.
 */
import { concatBytes, type SecAggCrypto } from './crypto.js';

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

export const HKDF_PREFIX = 'trustnlu/secagg/v1';

/** The HKDF label of the pairwise mask between clients a and b (the same from both ends). */
export function pairwiseLabel(a: number, b: number): string {
  return `${HKDF_PREFIX}/pairwise-mask/${Math.min(a, b)}-${Math.max(a, b)}`;
}

export function selfMaskLabel(index: number): string {
  return `${HKDF_PREFIX}/self-mask/${index}`;
}

export function shareKeyLabel(a: number, b: number): string {
  return `${HKDF_PREFIX}/share-encryption/${Math.min(a, b)}-${Math.max(a, b)}`;
}

/** m uniform ring elements from `secret`. */
export async function expandMask(crypto: SecAggCrypto, secret: Uint8Array, sessionId: Uint8Array, label: string, length: number): Promise<Uint32Array> {
  const key = await crypto.hkdf(secret, sessionId, label, 32);
  const bytes = await crypto.keystream(key, length * 4);
  if (LITTLE_ENDIAN && bytes.byteOffset % 4 === 0) return new Uint32Array(bytes.buffer, bytes.byteOffset, length);
  // misaligned or big-endian: read words explicitly as little-endian (the wire convention)
  const out = new Uint32Array(length);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < length; i++) out[i] = view.getUint32(4 * i, true);
  return out;
}

/** Associated data of an encrypted share: binds it to the session, sender and receiver. */
export function shareAssociatedData(sessionId: Uint8Array, from: number, to: number): Uint8Array {
  const header = new Uint8Array(8);
  const view = new DataView(header.buffer);
  view.setUint32(0, from, true);
  view.setUint32(4, to, true);
  return concatBytes(new TextEncoder().encode(`${HKDF_PREFIX}/share`), sessionId, header);
}

/** Sign of the pairwise mask client u adds for neighbour v: + when u < v, − when u > v (they cancel in the sum). */
export function pairwiseSign(u: number, v: number): 1 | -1 {
  return u < v ? 1 : -1;
}
