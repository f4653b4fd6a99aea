/**
 * The discrete Gaussian N_Z(0, σ²): P[X = x] ∝ exp(−x²/(2σ²)) on the integers, sampled by the
 * rejection algorithm of Canonne, Kamath & Steinke ("The Discrete Gaussian for Differential
 * Privacy", NeurIPS 2020, Algorithms 1–3):
 *   - Bernoulli(exp(−γ)), γ ∈ [0, 1]: draw A_k ~ Bernoulli(γ/k) for k = 1, 2, … until one is 0;
 *     the answer is 1 iff that k is odd. For γ > 1: ⌊γ⌋ Bernoulli(exp(−1)) draws, all 1, then
 *     one Bernoulli(exp(−(γ − ⌊γ⌋))).
 *   - discrete Laplace with integer scale s: U uniform on {0, …, s − 1}, keep it with
 *     probability exp(−U/s); V = the number of Bernoulli(exp(−1)) successes before a failure;
 *     X = U + s·V with a uniform sign, rejecting (−, 0) so that 0 is not counted twice.
 *   - discrete Gaussian: s = ⌊σ⌋ + 1; draw Y from the discrete Laplace and keep it with
 *     probability exp(−(|Y| − σ²/s)²/(2σ²)).
 * The output is an integer, so there are no low-order bits to leak (the floating-point attack
 * on continuous samplers, Mironov 2012, has nothing to read).
 *
 * Precision, said plainly: the acceptance probabilities γ/k and the uniforms are IEEE doubles.
 * Each Bernoulli(p) is decided by u < p with u uniform on the grid k·2⁻⁵³, so it fires with
 * probability ⌈p·2⁵³⌉/2⁵³, within 2⁻⁵³ of p, and γ carries the relative rounding error of a few
 * double operations. The sampled pmf is therefore the discrete Gaussian's up to a relative error
 * of order 10⁻¹⁵ per point, not exactly (an exact sampler needs rational arithmetic on σ², i.e.
 * BigInt, which costs orders of magnitude more per sample and the analytics draw millions).
 * The uniform integer U is exact (rejection on the 53-bit grid).
 */
import { ConfigError } from '../../errors.js';

/** A stream of uniforms in [0, 1) on the grid k·2⁻⁵³ (privacy/dpsgd UniformStream over the CSPRNG, or a seeded one). */
export interface UniformSource {
  next(): number;
}

const TWO_53 = 9007199254740992;

function checkSigma(sigma: number): void {
  if (!(sigma > 0) || !Number.isFinite(sigma)) throw new ConfigError(`discrete Gaussian: σ must be a finite number > 0, got ${sigma}`);
}

export class DiscreteGaussianSampler {
  constructor(private readonly uniforms: UniformSource) {}

  private bernoulli(p: number): boolean {
    return this.uniforms.next() < p;
  }

  /** Uniform on {0, …, n − 1}, exact: rejection on the 2⁵³ grid. */
  private uniformInteger(n: number): number {
    if (n === 1) return 0;
    const limit = Math.floor(TWO_53 / n) * n;
    for (;;) {
      const m = this.uniforms.next() * TWO_53;
      if (m < limit) return m % n;
    }
  }

  /** Bernoulli(exp(−γ)) for γ ∈ [0, 1]. */
  private bernoulliExpSmall(gamma: number): boolean {
    let k = 1;
    while (this.bernoulli(gamma / k)) k++;
    return k % 2 === 1;
  }

  /** Bernoulli(exp(−γ)) for γ ≥ 0. */
  bernoulliExp(gamma: number): boolean {
    let rest = gamma;
    while (rest > 1) {
      if (!this.bernoulliExpSmall(1)) return false;
      rest -= 1;
    }
    return this.bernoulliExpSmall(rest);
  }

  /** Discrete Laplace: P[X = x] ∝ exp(−|x|/s), s a positive integer. */
  discreteLaplace(scale: number): number {
    for (;;) {
      const u = this.uniformInteger(scale);
      if (!this.bernoulliExp(u / scale)) continue;
      let v = 0;
      while (this.bernoulliExpSmall(1)) v++;
      const x = u + scale * v;
      const negative = this.bernoulli(0.5);
      if (negative && x === 0) continue;
      return negative ? -x : x;
    }
  }

  /** One draw of N_Z(0, σ²). */
  sample(sigma: number): number {
    checkSigma(sigma);
    return this.sampleChecked(sigma, sigma * sigma, Math.floor(sigma) + 1);
  }

  private sampleChecked(sigma: number, variance: number, scale: number): number {
    const centre = variance / scale;
    for (;;) {
      const y = this.discreteLaplace(scale);
      const d = Math.abs(y) - centre;
      if (this.bernoulliExp((d * d) / (2 * variance))) return y;
    }
  }

  /** `count` independent draws of N_Z(0, σ²). */
  fill(count: number, sigma: number): Int32Array {
    checkSigma(sigma);
    if (!Number.isInteger(count) || count < 0) throw new ConfigError(`discrete Gaussian: count must be an integer ≥ 0, got ${count}`);
    const out = new Int32Array(count);
    const variance = sigma * sigma;
    const scale = Math.floor(sigma) + 1;
    for (let i = 0; i < count; i++) out[i] = this.sampleChecked(sigma, variance, scale);
    return out;
  }
}

/**
 * The exact pmf of N_Z(0, σ²) on {−r, …, r} (index x + r), normalised over all of Z: the
 * normaliser Σ_y exp(−y²/2σ²) is summed until its terms underflow (|y| ≤ σ·40 + 1 covers
 * every term above 10⁻³⁴⁷). For tests and docs.
 */
export function discreteGaussianPmf(sigma: number, radius: number): Float64Array {
  checkSigma(sigma);
  const variance = sigma * sigma;
  const cut = Math.ceil(40 * sigma) + 1;
  let normaliser = 1;
  for (let y = 1; y <= cut; y++) normaliser += 2 * Math.exp((-y * y) / (2 * variance));
  const out = new Float64Array(2 * radius + 1);
  for (let x = -radius; x <= radius; x++) out[x + radius] = Math.exp((-x * x) / (2 * variance)) / normaliser;
  return out;
}

/** Var[N_Z(0, σ²)] = Σ x² P[x], exactly from the pmf (below σ² for small σ: 0.2150 at σ = 0.5). */
export function discreteGaussianVariance(sigma: number): number {
  const radius = Math.ceil(40 * sigma) + 1;
  const pmf = discreteGaussianPmf(sigma, radius);
  let v = 0;
  for (let x = -radius; x <= radius; x++) v += x * x * pmf[x + radius];
  return v;
}
