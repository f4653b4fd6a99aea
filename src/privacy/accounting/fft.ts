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

/**
 * In-place discrete Fourier transform of (re, im): X_k = Σ_j x_j e^{∓2πi jk/n}, with the minus
 * sign for the forward transform. The inverse includes the 1/n factor.
 */
export function fft(re: Float64Array, im: Float64Array, inverse = false): void {
  const n = re.length;
  if (im.length !== n) {
    throw new ConfigError(`fft: real and imaginary parts differ in length (${n} vs ${im.length}).`);
  }
  if (!isPowerOfTwo(n)) {
    throw new ConfigError(`fft: length must be a power of two; got ${n}. Pad with zeros to ${nextPowerOfTwo(n)}.`);
  }
  if (n === 1) return;
  // Bit-reversal permutation.
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
  const { cos, sin } = twiddles(n);
  const sign = inverse ? 1 : -1;
  for (let size = 2; size <= n; size <<= 1) {
    const half = size >> 1;
    const stride = n / size;
    for (let start = 0; start < n; start += size) {
      for (let k = 0; k < half; k++) {
        const wr = cos[k * stride];
        const wi = sign * sin[k * stride];
        const a = start + k;
        const b = a + half;
        const xr = re[b] * wr - im[b] * wi;
        const xi = re[b] * wi + im[b] * wr;
        re[b] = re[a] - xr;
        im[b] = im[a] - xi;
        re[a] += xr;
        im[a] += xi;
      }
    }
  }
  if (inverse) {
    const scale = 1 / n;
    for (let i = 0; i < n; i++) {
      re[i] *= scale;
      im[i] *= scale;
    }
  }
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
