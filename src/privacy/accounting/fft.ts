/**
 * Iterative radix-2 complex FFT over split real/imaginary Float64Arrays, in place.
 * Twiddle factors come from Math.cos/Math.sin per index (not a recurrence), so their error
 * stays at one ulp whatever the size; tables are cached per size.
 */
import { ConfigError } from '../../errors.js';

const twiddleCache = new Map<number, { cos: Float64Array; sin: Float64Array }>();

function twiddles(n: number): { cos: Float64Array; sin: Float64Array } {
  let t = twiddleCache.get(n);
  if (!t) {
    const half = n >> 1;
    const cos = new Float64Array(half);
    const sin = new Float64Array(half);
    for (let k = 0; k < half; k++) {
      const angle = (2 * Math.PI * k) / n;
      cos[k] = Math.cos(angle);
      sin[k] = Math.sin(angle);
    }
    t = { cos, sin };
    // Keep at most a few sizes alive: tables for 2^23 points weigh 64 MB.
    if (twiddleCache.size >= 4) twiddleCache.clear();
    twiddleCache.set(n, t);
  }
  return t;
}

export function isPowerOfTwo(n: number): boolean {
  return Number.isInteger(n) && n > 0 && (n & (n - 1)) === 0;
}

/** The smallest power of two ≥ n. */
export function nextPowerOfTwo(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

function checkLengths(re: Float64Array, im: Float64Array): number {
  const n = re.length;
  if (im.length !== n) {
    throw new ConfigError(`fft: real and imaginary parts differ in length (${n} vs ${im.length}).`);
  }
  if (!isPowerOfTwo(n)) {
    throw new ConfigError(`fft: length must be a power of two; got ${n}. Pad with zeros to ${nextPowerOfTwo(n)}.`);
  }
  return n;
}

function bitReversePermute(re: Float64Array, im: Float64Array): void {
  const n = re.length;
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      let t = re[i];
      re[i] = re[j];
      re[j] = t;
      t = im[i];
      im[i] = im[j];
      im[j] = t;
    }
  }
}

/** Decimation-in-time butterflies: bit-reversed input, natural-order output. */
function butterfliesInTime(re: Float64Array, im: Float64Array, sign: number): void {
  const n = re.length;
  const { cos, sin } = twiddles(n);
  for (let size = 2; size <= n; size <<= 1) {
    const half = size >> 1;
    const stride = (n / size) | 0; // an integer index keeps V8 on its fast array path
    for (let start = 0; start < n; start += size) {
      for (let k = 0; k < half; k++) {
        const wr = cos[k * stride];
        const wi = sign * sin[k * stride];
        const a = start + k;
        const b = a + half;
        const br = re[b];
        const bi = im[b];
        const xr = br * wr - bi * wi;
        const xi = br * wi + bi * wr;
        const ar = re[a];
        const ai = im[a];
        re[b] = ar - xr;
        im[b] = ai - xi;
        re[a] = ar + xr;
        im[a] = ai + xi;
      }
    }
  }
}

/** Decimation-in-frequency butterflies: natural-order input, bit-reversed output. */
function butterfliesInFrequency(re: Float64Array, im: Float64Array, sign: number): void {
  const n = re.length;
  const { cos, sin } = twiddles(n);
  for (let size = n; size >= 2; size >>= 1) {
    const half = size >> 1;
    const stride = (n / size) | 0;
    for (let start = 0; start < n; start += size) {
      for (let k = 0; k < half; k++) {
        const wr = cos[k * stride];
        const wi = sign * sin[k * stride];
        const a = start + k;
        const b = a + half;
        const ar = re[a];
        const ai = im[a];
        const br = re[b];
        const bi = im[b];
        re[a] = ar + br;
        im[a] = ai + bi;
        const dr = ar - br;
        const di = ai - bi;
        re[b] = dr * wr - di * wi;
        im[b] = dr * wi + di * wr;
      }
    }
  }
}

function scale(re: Float64Array, im: Float64Array): void {
  const s = 1 / re.length;
  for (let i = 0; i < re.length; i++) {
    re[i] *= s;
    im[i] *= s;
  }
}

/**
 * In-place discrete Fourier transform of (re, im): X_k = Σ_j x_j e^{∓2πi jk/n}, with the minus
 * sign for the forward transform. The inverse includes the 1/n factor.
 */
export function fft(re: Float64Array, im: Float64Array, inverse = false): void {
  const n = checkLengths(re, im);
  if (n === 1) return;
  bitReversePermute(re, im);
  butterfliesInTime(re, im, inverse ? 1 : -1);
  if (inverse) scale(re, im);
}

/**
 * Forward transform whose output is left in bit-reversed order. For convolutions the
 * spectrum is only multiplied pointwise, so the order does not matter, and pairing this with
 * `inverseFftFromBitReversed` skips both bit-reversal passes (random memory access that
 * costs as much as the butterflies at 2^20 points).
 */
export function fftToBitReversed(re: Float64Array, im: Float64Array): void {
  if (checkLengths(re, im) === 1) return;
  butterfliesInFrequency(re, im, -1);
}

/** Inverse of `fftToBitReversed`: bit-reversed spectrum in, natural-order signal out. */
export function inverseFftFromBitReversed(re: Float64Array, im: Float64Array): void {
  if (checkLengths(re, im) === 1) return;
  butterfliesInTime(re, im, 1);
  scale(re, im);
}

/**
 * Raises every entry of the complex vector (re, im) to the integer power `exponent` by repeated
 * squaring, in place. Used to self-compose a distribution in the Fourier domain.
 */
export function complexPowerInPlace(re: Float64Array, im: Float64Array, exponent: number): void {
  if (!Number.isInteger(exponent) || exponent < 0) {
    throw new ConfigError(`exponent must be a non-negative integer; got ${exponent}.`);
  }
  const n = re.length;
  for (let i = 0; i < n; i++) {
    let br = re[i];
    let bi = im[i];
    let rr = 1;
    let ri = 0;
    let e = exponent;
    while (e > 0) {
      if (e % 2 === 1) {
        const t = rr * br - ri * bi;
        ri = rr * bi + ri * br;
        rr = t;
      }
      e = Math.floor(e / 2);
      if (e > 0) {
        const t = br * br - bi * bi;
        bi = 2 * br * bi;
        br = t;
      }
    }
    re[i] = rr;
    im[i] = ri;
  }
}
