/**
 * Fixed-point encoding of real vectors into the ring Z_{2^32}, where secure aggregation
 * adds them (masks are uniform in the same ring, so a masked value reveals nothing).
 *
 *   encode(x) = round(clamp(x, −R, R) · 2^f) mod 2^32      (two's complement)
 *   decode(s) = signed32(s) / 2^f
 *
 * R is the clipping range, f the fractional bits: the precision is 2^−f and each encoded
 * value is off by at most 2^−(f+1) (round half up; values beyond ±R are clipped and
 * counted). Overflow bound: a sum of n encoded values lies in [−n·M, n·M] with
 * M = round(R·2^f), and decodes correctly iff n·M ≤ 2^31 − 1. `fixedPointEncoding` checks
 * this for the largest number of summands the session allows and, when f is not given,
 * picks the largest f that fits (e.g. R = 1, n = 100 → f = 24, precision 6·10⁻⁸).
 *
 * The ring sum is exact and independent of order: the securely aggregated sum equals
 * Σ encode(xᵢ) mod 2^32 bit for bit, and decodes to the fixed-point plain sum.
 */
import { ConfigError, NonFiniteError } from '../../errors.js';

export const RING_BITS = 32;
const HALF_RING = 2 ** 31;
const MAX_SUM = HALF_RING - 1;

export interface FixedPointEncoding {
  /** Clipping range R: values are clamped to [−R, R] before encoding. */
  range: number;
  /** f: values are scaled by 2^f. */
  fractionalBits: number;
  /** n: the most values that may be summed without overflow. */
  maxSummands: number;
}

export interface FixedPointOptions {
  range: number;
  maxSummands: number;
  /** Default: the largest f with maxSummands · round(range · 2^f) ≤ 2^31 − 1. */
  fractionalBits?: number;
}

function largestMagnitude(range: number, fractionalBits: number): number {
  return Math.round(range * 2 ** fractionalBits);
}

export function fixedPointEncoding(options: FixedPointOptions): FixedPointEncoding {
  const { range, maxSummands } = options;
  if (typeof range !== 'number' || !Number.isFinite(range) || range <= 0) {
    throw new ConfigError(`fixed-point encoding: range R must be a finite number > 0, got ${range}`);
  }
  if (!Number.isInteger(maxSummands) || maxSummands < 1) {
    throw new ConfigError(`fixed-point encoding: maxSummands must be an integer ≥ 1, got ${maxSummands}`);
  }
  let f = options.fractionalBits;
  if (f === undefined) {
    f = Math.floor(Math.log2(MAX_SUM / (maxSummands * range)));
    while (maxSummands * largestMagnitude(range, f) > MAX_SUM) f--;
    while (maxSummands * largestMagnitude(range, f + 1) <= MAX_SUM) f++;
  }
  if (!Number.isInteger(f) || f < -RING_BITS || f > 52) {
    throw new ConfigError(`fixed-point encoding: fractionalBits must be an integer in [−32, 52], got ${f}`);
  }
  const bound = maxSummands * largestMagnitude(range, f);
  if (bound > MAX_SUM) {
    throw new ConfigError(
      `fixed-point encoding overflows: ${maxSummands} summands × range ${range} × 2^${f} = ${bound} exceeds 2^31 − 1; ` +
        'lower the range or the fractional bits, or aggregate fewer clients per session',
    );
  }
  if (largestMagnitude(range, f) < 1) {
    throw new ConfigError(`fixed-point encoding: range ${range} at 2^${f} rounds to 0 (every value would encode as 0); raise the fractional bits`);
  }
  return { range, fractionalBits: f, maxSummands };
}

/** Precision of an encoding: the value of one unit (2^−f). */
export function fixedPointStep(encoding: FixedPointEncoding): number {
  return 2 ** -encoding.fractionalBits;
}

export interface EncodedVector {
  encoded: Uint32Array;
  /** Values that were beyond ±R and clipped. */
  clipped: number;
}

/** Encodes `values` (finite; NaN/±∞ throw NonFiniteError naming the index). */
export function encodeFixedPoint(values: ArrayLike<number>, encoding: FixedPointEncoding): EncodedVector {
  const scale = 2 ** encoding.fractionalBits;
  const range = encoding.range;
  const encoded = new Uint32Array(values.length);
  let clipped = 0;
  for (let i = 0; i < values.length; i++) {
    let v = values[i];
    if (v - v !== 0) throw new NonFiniteError(`fixed-point encoding: value ${i} is ${v}; only finite values can be aggregated`);
    if (v > range) {
      v = range;
      clipped++;
    } else if (v < -range) {
      v = -range;
      clipped++;
    }
    encoded[i] = Math.round(v * scale) >>> 0;
  }
  return { encoded, clipped };
}

/** Decodes a ring element (a sum of encoded values) as a signed fixed-point number per coordinate. */
export function decodeFixedPoint(sum: Uint32Array, encoding: FixedPointEncoding): Float64Array {
  const step = 2 ** -encoding.fractionalBits;
  const out = new Float64Array(sum.length);
  for (let i = 0; i < sum.length; i++) out[i] = (sum[i] | 0) * step;
  return out;
}

/** target ← target + sign·other (mod 2^32), in place. */
export function addInRing(target: Uint32Array, other: Uint32Array, sign: 1 | -1 = 1): Uint32Array {
  if (target.length !== other.length) throw new ConfigError(`ring addition: lengths differ (${target.length} vs ${other.length})`);
  if (sign === 1) for (let i = 0; i < target.length; i++) target[i] = (target[i] + other[i]) >>> 0;
  else for (let i = 0; i < target.length; i++) target[i] = (target[i] - other[i]) >>> 0;
  return target;
}
