/**
 * Bulk standard-normal samplers over a random byte source (pure JS, no tfjs, so a worker
 * thread can run them too).
 *
 * Fast sampler: the Marsaglia–Tsang (2000) ziggurat with 128 strips, fed by one bulk fill of
 * the byte source per call (a 32-bit word and an independent byte per value: Doornik (2005)
 * showed that taking the strip index from the same word's low bits, as the original code
 * does, correlates them). About 97% of values cost one table lookup, one compare and one
 * multiply, without a branch on the sign; ~2 ms per million values here (CSPRNG included),
 * against ~20 ms for polar Box–Muller.
 *
 * Secure sampler: floating-point attacks. A sampler's output is a floating-point number,
 * and the set of values it can produce is a sparse, irregular subset of the floats. Mironov
 * (CCS 2012) showed that for the Laplace mechanism, x + Lap(b) computed as x − b·ln(U)
 * reveals x, because the set of reachable outputs depends on x; Jin, McMurtry, Rubinstein &
 * Ohrimenko ("Are We There Yet? Timing and Floating-Point Attacks on Differential Privacy
 * Systems", IEEE S&P 2022) showed the same for Gaussian samplers (Box–Muller, polar,
 * ziggurat) used by DP libraries, including Opacus. Holohan & Braghin ("Secure Random
 * Sampling in Differential Privacy", ESORICS 2021, arXiv:2107.10138, §5.1) defend by
 * summing 2n independent Gaussian samples and scaling by 1/√(2n): the sum's support fills
 * the gaps, and an attack must search ~2^(p(2n−1)) combinations (p = 53 bits). Opacus's
 * `secure_mode` uses n = 2. We do the same: four polar-method samples from 53-bit CSPRNG
 * uniforms, summed in float64 and halved, then stored as float32. The price is ~4x the
 * random bits and ~15x the time of the fast sampler (see docs/privacy.md).
 */
import { UniformStream, type RandomBytes } from './random-source.js';

export interface GaussianSampler {
  readonly secure: boolean;
  /** Fills `out` with independent N(0, 1) samples. */
  fill(out: Float32Array): void;
}

const STRIPS = 128;
const TAIL_START = 3.442619855899; // r: where the base strip's tail begins
const STRIP_AREA = 9.91256303526217e-3; // v: area of each strip
const SCALE = 2147483648; // 2^31: magnitudes are 31-bit integers

/** Ziggurat tables (Marsaglia & Tsang 2000, section "The ziggurat method for normals"). */
const kn = new Int32Array(STRIPS); // fast-accept thresholds on the 31-bit magnitude
const wn = new Float64Array(STRIPS); // strip width / 2^31
const fn = new Float64Array(STRIPS); // density exp(−x²/2) at each strip's right edge
{
  let dn = TAIL_START;
  let tn = dn;
  const q = STRIP_AREA / Math.exp(-0.5 * dn * dn);
  kn[0] = Math.floor((dn / q) * SCALE);
  kn[1] = 0;
  wn[0] = q / SCALE;
  wn[STRIPS - 1] = dn / SCALE;
  fn[0] = 1;
  fn[STRIPS - 1] = Math.exp(-0.5 * dn * dn);
  for (let i = STRIPS - 2; i >= 1; i--) {
    dn = Math.sqrt(-2 * Math.log(STRIP_AREA / dn + Math.exp(-0.5 * dn * dn)));
    kn[i + 1] = Math.floor((dn / tn) * SCALE);
    tn = dn;
    fn[i] = Math.exp(-0.5 * dn * dn);
    wn[i] = dn / SCALE;
  }
}

/** The fast sampler (not hardened against floating-point attacks; see the header). */
export class ZigguratSampler implements GaussianSampler {
  readonly secure = false;
  private words = new Int32Array(0);
  private strips = new Uint8Array(0);
  /** Spare 32-bit words for the slow path's uniforms. */
  private readonly spare = new Uint32Array(4096);
  private sparePosition = 4096;

  constructor(private readonly source: RandomBytes) {}

  /** Uniform in (0, 1) with 32 random bits. */
  private uniform(): number {
    if (this.sparePosition >= this.spare.length) {
      this.source.fill(new Uint8Array(this.spare.buffer));
      this.sparePosition = 0;
    }
    return (this.spare[this.sparePosition++] + 0.5) * 2.3283064365386963e-10;
  }

  fill(out: Float32Array): void {
    const n = out.length;
    if (this.words.length < n) {
      this.words = new Int32Array(n);
      this.strips = new Uint8Array(n);
    }
    const words = this.words;
    const strips = this.strips;
    this.source.fill(new Uint8Array(words.buffer, 0, n * 4));
    this.source.fill(strips.subarray(0, n));
    for (let i = 0; i < n; i++) {
      const w = words[i];
      const strip = strips[i] & 127;
      // w ^ (w >> 31) is |w + 0.5| − 0.5 without leaving int32; (w + 0.5) is symmetric
      // about 0, so the sign needs no branch (an unpredictable branch costs 5x here).
      if ((w ^ (w >> 31)) < kn[strip]) out[i] = (w + 0.5) * wn[strip];
      else out[i] = this.slow(w, strip);
    }
  }

  /** The ~2% of draws outside the strips' inner rectangles: wedge test or tail. */
  private slow(w: number, strip: number): number {
    for (;;) {
      if (strip === 0) {
        // Tail beyond r (Marsaglia 1964): x = −ln(U1)/r accepted when −2 ln(U2) > x².
        let x: number;
        let y: number;
        do {
          x = -Math.log(this.uniform()) / TAIL_START;
          y = -Math.log(this.uniform());
        } while (y + y < x * x);
        return w < 0 ? -(TAIL_START + x) : TAIL_START + x;
      }
      const x = (w + 0.5) * wn[strip];
      if (fn[strip] + this.uniform() * (fn[strip - 1] - fn[strip]) < Math.exp(-0.5 * x * x)) return x;
      // Rejected: a fresh draw.
      w = (this.uniform() * 4294967296) | 0;
      strip = Math.floor(this.uniform() * STRIPS);
      if ((w ^ (w >> 31)) < kn[strip]) return (w + 0.5) * wn[strip];
    }
  }
}

/** Summands per secure sample (2n with n = 2, as Opacus's secure mode). */
export const SECURE_SUMMANDS = 4;

/** The secure sampler: (Z₁ + Z₂ + Z₃ + Z₄)/2 with polar-method Zₖ from 53-bit uniforms. */
export class SecureGaussianSampler implements GaussianSampler {
  readonly secure: boolean;
  private readonly uniforms: UniformStream;
  private spare = 0;
  private hasSpare = false;

  constructor(source: RandomBytes) {
    this.secure = source.secure;
    this.uniforms = new UniformStream(source, 16384);
  }

  /** One N(0, 1) sample by the polar method, in float64. */
  private polar(): number {
    if (this.hasSpare) {
      this.hasSpare = false;
      return this.spare;
    }
    const u = this.uniforms;
    let a: number, b: number, s: number;
    do {
      a = 2 * u.next() - 1;
      b = 2 * u.next() - 1;
      s = a * a + b * b;
    } while (s >= 1 || s === 0);
    const f = Math.sqrt((-2 * Math.log(s)) / s);
    this.spare = b * f;
    this.hasSpare = true;
    return a * f;
  }

  fill(out: Float32Array): void {
    const scale = 1 / Math.sqrt(SECURE_SUMMANDS);
    for (let i = 0; i < out.length; i++) {
      let sum = 0;
      for (let k = 0; k < SECURE_SUMMANDS; k++) sum += this.polar();
      out[i] = sum * scale;
    }
  }
}

/** The hardened sampler when `secure`, else the ziggurat, over `source`. */
export function samplerFor(secure: boolean, source: RandomBytes): GaussianSampler {
  return secure ? new SecureGaussianSampler(source) : new ZigguratSampler(source);
}
