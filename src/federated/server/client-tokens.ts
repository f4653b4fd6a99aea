/**
 * Per-client bearer tokens: 256 random bits from node:crypto, given to the client once at
 * registration. The server stores only their SHA-256 and compares digests in constant time.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export function newClientToken(): string {
  return randomBytes(32).toString('base64url');
}

export function tokenHash(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Constant-time comparison of two hex digests of equal length. */
export function sameDigest(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && x.length > 0 && timingSafeEqual(x, y);
}
