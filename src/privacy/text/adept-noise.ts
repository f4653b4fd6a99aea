/**
 * The privatisation step of ADePT (Krishna, Gupta & Dupuy, EACL 2021, "ADePT: Auto-encoder
 * based Differentially Private Text Transformation"), corrected. ADePT encodes an utterance to
 * a vector r ∈ Rⁿ, clips it, adds noise and decodes. As published, r is clipped in L2 norm to C,
 * r' = r·min(1, C/‖r‖₂), and Laplace noise of scale Δ/ε with Δ = 2C is added to each
 * coordinate. Habernal (EMNLP 2021, "When differential privacy meets NLP: the devil is in the
 * detail", §3) showed this is not ε-DP: the Laplace mechanism needs the L1 sensitivity, and two
 * L2-clipped vectors can be up to 2C√n apart in L1 norm (‖u‖₁ ≤ √n‖u‖₂), not 2C. With scale
 * 2C/ε the published mechanism is exactly (√n·ε)-DP (the bound is reached by ±(C/√n)(1, …, 1)).
 *
 * Corrected variants offered here:
 *  - gaussian: L2 clip to C, L2 sensitivity 2C, Gaussian noise with σ from the analytic Gaussian
 *    mechanism (Balle & Wang, ICML 2018, Theorem 8: the smallest σ with δ(ε) ≤ δ), (ε, δ)-DP;
 *  - laplace: L1 clip to C, r' = r·min(1, C/‖r‖₁), L1 sensitivity 2C, Laplace scale 2C/ε, ε-DP.
 * The published variant is kept only for comparison, behind `variant: 'published-not-dp'`, and
 * every result that uses it says `dp: false` and its true ε, √n·ε.
 *
 * Neighbouring inputs are two utterances (replace-one at the level of one rewritten
 * utterance); the decoding is post-processing. As with the word mechanisms, the noisy vector
 * is never released, so floating-point attacks on the noise do not apply.
 */
import { ConfigError } from '../../errors.js';
import { gaussianMechanismDelta } from '../accounting/gaussian-mechanism.js';
import type { MechanismRandom } from './mechanism-random.js';

export const ADEPT_NOISES = ['gaussian', 'laplace'] as const;
export type AdeptNoise = (typeof ADEPT_NOISES)[number];
export type AdeptVariant = 'corrected' | 'published-not-dp';
export type ClipNorm = 'l1' | 'l2';

export interface AdeptPrivacyOptions {
  noise: AdeptNoise;
  epsilon: number;
  /** Gaussian only: δ in (0, 1). */
  delta?: number;
  /** Clip norm C (> 0). */
  clip: number;
  /** 'published-not-dp' reproduces ADePT as published (L2 clip + Laplace at 2C/ε): NOT ε-DP. */
  variant?: AdeptVariant;
}

export interface AdeptNoisePlan {
  noise: AdeptNoise;
  variant: AdeptVariant;
  /** Which norm r is clipped in. */
  clipNorm: ClipNorm;
  clip: number;
  /** The sensitivity the noise is calibrated to (claimed, for the published variant). */
  sensitivity: number;
  /** Laplace scale b or Gaussian σ. */
  scale: number;
  epsilon: number;
  delta: number | null;
  /** True only for the corrected variants. */
  dp: boolean;
  /** The ε the mechanism really has: ε, or √n·ε for the published variant. */
  actualEpsilon: number;
}

/** Scales `v` (in place) to norm at most C in the given norm; returns the scale applied. */
export function clipVector(v: Float32Array | Float64Array, clip: number, norm: ClipNorm): number {
  let size = 0;
  if (norm === 'l2') {
    for (let i = 0; i < v.length; i++) size += v[i] * v[i];
    size = Math.sqrt(size);
  } else {
    for (let i = 0; i < v.length; i++) size += Math.abs(v[i]);
  }
  const factor = size > clip ? clip / size : 1;
  if (factor !== 1) for (let i = 0; i < v.length; i++) v[i] *= factor;
  return factor;
}

/** The smallest σ for which the Gaussian mechanism with L2 sensitivity Δ is (ε, δ)-DP (analytic, Balle & Wang 2018). */
export function gaussianSigmaFor(epsilon: number, delta: number, sensitivity: number): number {
  if (!(epsilon > 0) || !Number.isFinite(epsilon)) throw new ConfigError(`epsilon must be a finite number > 0, got ${epsilon}`);
  if (!(delta > 0 && delta < 1)) throw new ConfigError(`delta must be in (0, 1), got ${delta}`);
  if (!(sensitivity > 0)) throw new ConfigError(`sensitivity must be > 0, got ${sensitivity}`);
  // δ(ε) grows with μ = Δ/σ: bisection for the largest μ with δ(ε; μ) ≤ δ.
  let lo = 0;
  let hi = 1;
  while (gaussianMechanismDelta(epsilon, hi) <= delta) {
    lo = hi;
    hi *= 2;
  }
  for (let i = 0; i < 200 && hi - lo > 1e-14 * hi; i++) {
    const mid = (lo + hi) / 2;
    if (gaussianMechanismDelta(epsilon, mid) <= delta) lo = mid;
    else hi = mid;
  }
  return sensitivity / lo;
}

/** How a representation of dimension n is clipped and noised for the options. */
export function adeptNoisePlan(options: AdeptPrivacyOptions, dim: number): AdeptNoisePlan {
  const variant = options.variant ?? 'corrected';
  const { noise, epsilon, clip } = options;
  if (!(ADEPT_NOISES as readonly string[]).includes(noise)) throw new ConfigError(`ADePT noise must be one of ${ADEPT_NOISES.join(', ')}, got ${JSON.stringify(noise)}`);
  if (variant !== 'corrected' && variant !== 'published-not-dp') throw new ConfigError(`ADePT variant must be "corrected" or "published-not-dp", got ${JSON.stringify(variant)}`);
  if (!(epsilon > 0) || !Number.isFinite(epsilon)) throw new ConfigError(`epsilon must be a finite number > 0, got ${epsilon}`);
  if (!(clip > 0) || !Number.isFinite(clip)) throw new ConfigError(`clip norm C must be a finite number > 0, got ${clip}`);
  if (!Number.isInteger(dim) || dim < 1) throw new ConfigError(`representation dimension must be a positive integer, got ${dim}`);
  const sensitivity = 2 * clip;
  if (variant === 'published-not-dp') {
    if (noise !== 'laplace') throw new ConfigError('the published ADePT variant is the Laplace one: use noise "laplace" with variant "published-not-dp"');
    if (options.delta !== undefined) throw new ConfigError('the Laplace mechanism takes no delta');
    return { noise, variant, clipNorm: 'l2', clip, sensitivity, scale: sensitivity / epsilon, epsilon, delta: null, dp: false, actualEpsilon: Math.sqrt(dim) * epsilon };
  }
  if (noise === 'gaussian') {
    if (options.delta === undefined) throw new ConfigError('the Gaussian mechanism needs delta (e.g. 1e-5)');
    return { noise, variant, clipNorm: 'l2', clip, sensitivity, scale: gaussianSigmaFor(epsilon, options.delta, sensitivity), epsilon, delta: options.delta, dp: true, actualEpsilon: epsilon };
  }
  if (options.delta !== undefined) throw new ConfigError('the Laplace mechanism takes no delta');
  return { noise, variant, clipNorm: 'l1', clip, sensitivity, scale: sensitivity / epsilon, epsilon, delta: null, dp: true, actualEpsilon: epsilon };
}

/** Clips each row (rows × dim, in place) and adds the plan's noise. */
export function privatizeRepresentations(rows: Float32Array, dim: number, plan: AdeptNoisePlan, random: MechanismRandom): void {
  if (rows.length % dim !== 0) throw new ConfigError(`representations: ${rows.length} values is not a whole number of ${dim}-d rows`);
  for (let start = 0; start < rows.length; start += dim) {
    const row = rows.subarray(start, start + dim);
    clipVector(row, plan.clip, plan.clipNorm);
    for (let j = 0; j < dim; j++) {
      if (plan.noise === 'gaussian') {
        row[j] += plan.scale * random.normal();
      } else {
        // Laplace(b) as the difference of two Exponential(b) values.
        row[j] += plan.scale * (Math.log(random.uniform()) - Math.log(random.uniform()));
      }
    }
  }
}

/**
 * The largest privacy loss the Laplace mechanism with scale b can show between two (already
 * clipped) inputs: ‖x − y‖₁/b (Dwork & Roth 2014, Theorem 3.6's bound, attained where every
 * coordinate of the output lies beyond both inputs).
 */
export function laplacePrivacyLoss(x: ArrayLike<number>, y: ArrayLike<number>, scale: number): number {
  if (x.length !== y.length) throw new ConfigError(`vectors of lengths ${x.length} and ${y.length}`);
  let l1 = 0;
  for (let i = 0; i < x.length; i++) l1 += Math.abs(x[i] - y[i]);
  return l1 / scale;
}
