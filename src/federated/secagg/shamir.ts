/**
 * Shamir secret sharing (Shamir 1979, "How to share a secret") over the prime field
 * GF(p), p = 2^521 − 1 (a Mersenne prime), so a 32-byte secret (a key or a seed) is one
 * field element and needs no splitting. A (t, n) sharing draws a random polynomial f of
 * degree t − 1 with f(0) = secret and gives party i the point (xᵢ, f(xᵢ)); any t points
 * determine f (Lagrange interpolation at 0), while t − 1 points are independent of the
 * secret. Coefficients are uniform in GF(p) by rejection sampling from the CSPRNG (reducing
 * 528 random bits mod p would be biased by about 2⁻⁷).
 *
 * Shares are encoded as 66-byte big-endian field elements; x-coordinates are small positive
 * integers (the session index + 1), never 0.
 */
import { ConfigError } from '../../errors.js';
import { SecAggIntegrityError, SecAggProtocolError } from './errors.js';

export const FIELD_PRIME = (1n << 521n) - 1n;
/** Bytes of one encoded field element (⌈521 / 8⌉). */
export const SHARE_BYTES = 66;
/** Bytes of a shared secret. */
export const SECRET_BYTES = 32;

export interface Share {
  /** The evaluation point, ≥ 1. */
  x: number;
  /** f(x), SHARE_BYTES big-endian. */
  y: Uint8Array;
}

export function bytesToBigInt(bytes: Uint8Array): bigint {
  let value = 0n;
  for (let i = 0; i < bytes.length; i++) value = (value << 8n) | BigInt(bytes[i]);
  return value;
}

export function bigIntToBytes(value: bigint, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let v = value;
  for (let i = length - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  if (v !== 0n) throw new SecAggIntegrityError(`field element does not fit in ${length} bytes`);
  return out;
}

function mod(a: bigint): bigint {
  const r = a % FIELD_PRIME;
  return r < 0n ? r + FIELD_PRIME : r;
}

/** a⁻¹ mod p by the extended Euclidean algorithm (a ≠ 0). */
function inverse(a: bigint): bigint {
  let [r0, r1] = [FIELD_PRIME, mod(a)];
  let [t0, t1] = [0n, 1n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [t0, t1] = [t1, t0 - q * t1];
  }
  if (r0 !== 1n) throw new SecAggIntegrityError('Shamir: a value has no inverse mod p (repeated x-coordinate)');
  return mod(t0);
}

/** A uniform element of GF(p) from `randomBytes` (rejection sampling on 521-bit candidates). */
export function randomFieldElement(randomBytes: (n: number) => Uint8Array): bigint {
  for (;;) {
    const bytes = randomBytes(SHARE_BYTES);
    bytes[0] &= 0x01; // keep 521 bits
    const value = bytesToBigInt(bytes);
    if (value < FIELD_PRIME) return value;
  }
}

function checkPoints(xs: readonly number[], threshold: number): void {
  if (!Number.isInteger(threshold) || threshold < 1) throw new ConfigError(`Shamir: threshold must be an integer ≥ 1, got ${threshold}`);
  if (xs.length < threshold) throw new ConfigError(`Shamir: ${xs.length} shares cannot meet threshold ${threshold}; give at least ${threshold} parties`);
  const seen = new Set<number>();
  for (const x of xs) {
    if (!Number.isInteger(x) || x < 1) throw new ConfigError(`Shamir: x-coordinates must be integers ≥ 1, got ${x}`);
    if (seen.has(x)) throw new ConfigError(`Shamir: x-coordinate ${x} appears twice`);
    seen.add(x);
  }
}

/** Splits a 32-byte secret into one share per x in `xs`, any `threshold` of which recover it. */
export function shareSecret(secret: Uint8Array, threshold: number, xs: readonly number[], randomBytes: (n: number) => Uint8Array): Share[] {
  if (!(secret instanceof Uint8Array) || secret.length !== SECRET_BYTES) {
    throw new ConfigError(`Shamir: the secret must be ${SECRET_BYTES} bytes, got ${secret?.length}`);
  }
  checkPoints(xs, threshold);
  const coefficients = [bytesToBigInt(secret)];
  for (let i = 1; i < threshold; i++) coefficients.push(randomFieldElement(randomBytes));
  return xs.map((x) => {
    const bx = BigInt(x);
    let y = 0n;
    for (let i = coefficients.length - 1; i >= 0; i--) y = (y * bx + coefficients[i]) % FIELD_PRIME;
    return { x, y: bigIntToBytes(y, SHARE_BYTES) };
  });
}

/**
 * The secret from at least `threshold` shares (the first `threshold` are used). With more
 * than `threshold` shares, the next one is checked against the interpolated polynomial, which
 * detects any single altered share (with exactly t shares an alteration cannot be detected:
 * the Lagrange coefficients at small x are often small integers, so the wrong result can
 * still look like a 32-byte secret). Throws
 * SecAggProtocolError for too few or malformed shares (the caller, which knows why shares
 * are missing, reports dropouts itself) and SecAggIntegrityError when the result cannot be
 * a 32-byte secret (the shares were altered or belong to different secrets).
 */
export function reconstructSecret(shares: readonly Share[], threshold: number): Uint8Array {
  if (shares.length < threshold) {
    throw new SecAggProtocolError(`Shamir: ${shares.length} shares given but ${threshold} are needed to reconstruct`);
  }
  const used = shares.slice(0, threshold);
  for (const s of used) {
    if (!(s.y instanceof Uint8Array) || s.y.length !== SHARE_BYTES) throw new SecAggProtocolError(`Shamir: share of x = ${s.x} must be ${SHARE_BYTES} bytes, got ${s.y?.length}`);
  }
  checkPoints(used.map((s) => s.x), threshold);
  const xs = used.map((s) => BigInt(s.x));
  const ys = used.map((s) => bytesToBigInt(s.y));
  if (ys.some((y) => y >= FIELD_PRIME)) throw new SecAggIntegrityError('Shamir: a share is not a field element (≥ p): it was altered');
  const secret = interpolateAt(0n, xs, ys);
  if (shares.length > threshold) {
    const extra = shares[threshold];
    if (!(extra.y instanceof Uint8Array) || extra.y.length !== SHARE_BYTES || xs.includes(BigInt(extra.x))) {
      throw new SecAggProtocolError(`Shamir: share of x = ${extra.x} is malformed or repeats an x-coordinate`);
    }
    if (interpolateAt(BigInt(extra.x), xs, ys) !== bytesToBigInt(extra.y)) {
      throw new SecAggIntegrityError(`Shamir: the shares are inconsistent (share of x = ${extra.x} is not on the polynomial of the others): shares were altered`);
    }
  }
  if (secret >= 1n << BigInt(SECRET_BYTES * 8)) {
    throw new SecAggIntegrityError('Shamir: the reconstructed value is not a 32-byte secret: shares were altered or mixed from different secrets');
  }
  return bigIntToBytes(secret, SECRET_BYTES);
}

/** f(at) for the polynomial of degree < xs.length through the points (xs, ys), by Lagrange interpolation. */
function interpolateAt(at: bigint, xs: readonly bigint[], ys: readonly bigint[]): bigint {
  let value = 0n;
  for (let j = 0; j < xs.length; j++) {
    // basis polynomial j at `at`: Π_{m≠j} (at − x_m) / (x_j − x_m)
    let numerator = 1n;
    let denominator = 1n;
    for (let m = 0; m < xs.length; m++) {
      if (m === j) continue;
      numerator = mod(numerator * (at - xs[m]));
      denominator = mod(denominator * (xs[j] - xs[m]));
    }
    value = (value + ((ys[j] * numerator) % FIELD_PRIME) * inverse(denominator)) % FIELD_PRIME;
  }
  return value;
}
