/**
 * Adaptive clipping by private quantile estimation (Andrew, Thakkar, McMahan & Ramaswamy,
 * "Differentially Private Learning with Adaptive Clipping", NeurIPS 2021): the clip norm C
 * tracks the γ-quantile of the per-example gradient norms.
 *
 * Each step counts the examples whose norm is at most C (unclipped), privately:
 *   b̄ = (Σᵢ [‖gᵢ‖ ≤ C] + N(0, σ_b²)) / (q·N),
 * then moves C geometrically:
 *   C ← C · exp(−η (b̄ − γ)).
 * Sign: when fewer than a fraction γ are unclipped (b̄ < γ), the exponent is positive and C
 * grows; when more are unclipped, C shrinks. (Flower's mistake, DESIGN.md §5, was counting
 * clipped examples while applying this rule for unclipped ones.)
 *
 * Privacy: the count is a second Gaussian query on the same batch. Shifting each bit to
 * [‖gᵢ‖ ≤ C] − ½ gives it sensitivity ½, so its noise multiplier is 2σ_b; the two queries
 * together are one Gaussian mechanism with 1/σ² = 1/σ_Δ² + 1/(2σ_b)². To spend exactly what
 * the accountant is told (σ), the gradient noise is raised to
 *   σ_Δ = (σ⁻² − (2σ_b)⁻²)^(−1/2),
 * which needs σ_b > σ/2. Defaults as in the paper and TensorFlow Federated: γ = 0.5,
 * η = 0.2, σ_b = qN/20.
 */
import { ConfigError } from '../../errors.js';
import { CSPRNG } from './random-source.js';
import { SecureGaussianSampler, type GaussianSampler } from './gaussian-sampler.js';

export interface AdaptiveClippingOptions {
  /** Starting clip norm (default 1). */
  initialClip?: number;
  /** Target fraction γ of unclipped examples (default 0.5: the median norm). */
  targetQuantile?: number;
  /** Geometric learning rate η (default 0.2). */
  learningRate?: number;
  /** Noise σ_b on the unclipped count (default expected batch size / 20). */
  countNoiseStd?: number;
}

/** σ_Δ such that gradient noise σ_Δ and count noise σ_b together cost what noise σ alone would. */
export function adjustedNoiseMultiplier(noiseMultiplier: number, countNoiseStd: number): number {
  if (noiseMultiplier === 0) return 0;
  if (!(countNoiseStd > noiseMultiplier / 2)) {
    throw new ConfigError(
      `adaptive clipping: the count noise σ_b = ${countNoiseStd} must exceed half the noise multiplier (${noiseMultiplier / 2}); ` +
        'raise countNoiseStd or the expected batch size, or use a fixed --clip',
    );
  }
  return 1 / Math.sqrt(noiseMultiplier ** -2 - (2 * countNoiseStd) ** -2);
}

export class AdaptiveClipping {
  clip: number;
  readonly targetQuantile: number;
  readonly learningRate: number;
  readonly countNoiseStd: number;
  /** The gradient's own noise multiplier σ_Δ (≥ the total σ given to the accountant). */
  readonly gradientNoiseMultiplier: number;
  /** Last private estimate b̄ of the unclipped fraction. */
  lastUnclippedFraction = NaN;
  private readonly gaussian: GaussianSampler;
  private readonly one = new Float32Array(1);

  constructor(
    options: AdaptiveClippingOptions,
    readonly noiseMultiplier: number,
    readonly expectedBatchSize: number,
    /** Source of the count noise (default: the secure sampler on the CSPRNG). */
    gaussian?: GaussianSampler,
  ) {
    this.clip = options.initialClip ?? 1;
    this.targetQuantile = options.targetQuantile ?? 0.5;
    this.learningRate = options.learningRate ?? 0.2;
    this.countNoiseStd = options.countNoiseStd ?? (noiseMultiplier > 0 ? expectedBatchSize / 20 : 0);
    if (!(this.clip > 0) || !Number.isFinite(this.clip)) throw new ConfigError(`adaptive clipping: initial clip must be > 0, got ${this.clip}`);
    if (!(this.targetQuantile > 0 && this.targetQuantile < 1)) throw new ConfigError(`adaptive clipping: target quantile must be in (0, 1), got ${this.targetQuantile}`);
    if (!(this.learningRate > 0) || !Number.isFinite(this.learningRate)) throw new ConfigError(`adaptive clipping: learning rate must be > 0, got ${this.learningRate}`);
    if (!(this.countNoiseStd >= 0)) throw new ConfigError(`adaptive clipping: count noise must be ≥ 0, got ${this.countNoiseStd}`);
    if (!(expectedBatchSize > 0)) throw new ConfigError(`adaptive clipping: expected batch size must be > 0, got ${expectedBatchSize}`);
    this.gradientNoiseMultiplier = adjustedNoiseMultiplier(noiseMultiplier, this.countNoiseStd);
    this.gaussian = gaussian ?? new SecureGaussianSampler(CSPRNG);
  }

  /** Updates C from the number of examples in the step whose norm was ≤ C. */
  update(unclippedCount: number): void {
    let noise = 0;
    if (this.countNoiseStd > 0) {
      this.gaussian.fill(this.one);
      noise = this.one[0] * this.countNoiseStd;
    }
    const fraction = (unclippedCount + noise) / this.expectedBatchSize;
    this.lastUnclippedFraction = fraction;
    this.clip *= Math.exp(-this.learningRate * (fraction - this.targetQuantile));
  }
}
