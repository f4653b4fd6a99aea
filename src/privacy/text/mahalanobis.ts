/**
 * The Mahalanobis mechanism (Xu, Aggarwal, Feyisetan & Teissier, PrivateNLP@WSDM 2020, "A
 * Differentially Private Text Perturbation Method Using a Regularized Mahalanobis Metric"):
 * Madlib's radius with elliptical noise, z = r·Σ_λ^{1/2}·v, r ~ Gamma(n, 1/ε), v uniform on the
 * sphere, Σ_λ = λ·Σ̂ + (1 − λ)·I, λ ∈ [0, 1], then the nearest word. The noise density is
 * ∝ exp(−ε‖Σ_λ^{−1/2}z‖₂), so the mechanism is ε·d-private for the regularised Mahalanobis
 * distance d(x, y) = ‖Σ_λ^{−1/2}(x − y)‖₂; since the smallest eigenvalue of Σ_λ is at least
 * 1 − λ, that distance is at most ‖x − y‖₂/√(1 − λ), i.e. the mechanism is also
 * (ε/√(1 − λ))·d_χ-private for the Euclidean distance (λ < 1). The noise stretches along the
 * directions in which the vocabulary is spread out, so a word in a sparse region is more
 * likely to move (the paper's aim).
 *
 * Σ̂ is the sample covariance of the vocabulary's embeddings (divisor V − 1) scaled to trace n,
 * i.e. mean eigenvalue 1: Σ̂ = Σ·n/tr(Σ). Why: then tr(Σ_λ) = n for every λ and
 * E‖z‖² = E[r²]·tr(Σ_λ)/n is exactly Madlib's at the same ε, so λ changes the shape of the
 * noise and not its overall size, and a comparison with Madlib at equal ε is fair. The paper
 * says Σ is the embeddings' sample covariance; its exact scaling could not be confirmed (the
 * benchmark implementation of Meisenbacher et al. 2024 divides Σ by the variance of all
 * embedding entries pooled, which is tr(Σ)/n plus the spread of the per-dimension means).
 *
 * Σ_λ^{1/2} is replaced by the Cholesky factor L (Σ_λ = LLᵀ): L = Σ_λ^{1/2}Q with Q orthogonal,
 * and Qv is uniform on the sphere when v is, so the noise has the same distribution.
 */
import { ConfigError } from '../../errors.js';
import type { EmbeddingSpace } from './embedding-space.js';
import { perturbAndProject } from './madlib.js';
import { checkMetricEpsilon } from './radial-noise.js';
import type { MechanismRandom } from './mechanism-random.js';
import { randomFor, type WordMechanism, type WordMechanismName, type WordMechanismOptions } from './word-mechanism.js';

/** λ in the benchmark implementation of Meisenbacher et al. (2024); the paper reports several λ. */
export const DEFAULT_MAHALANOBIS_LAMBDA = 0.2;

export interface MahalanobisOptions extends WordMechanismOptions {
  /** Weight of the covariance in Σ_λ, in [0, 1] (0 = Madlib). Default 0.2. */
  lambda?: number;
  /** An n × n covariance to use instead of the vocabulary's (row-major); scaled to trace n too. */
  covariance?: Float64Array;
}

/** Sample covariance of the vocabulary's embeddings (divisor V − 1), row-major n × n, float64. */
export function embeddingCovariance(space: EmbeddingSpace): Float64Array {
  const n = space.dim;
  const V = space.size;
  const mean = new Float64Array(n);
  for (let i = 0; i < V; i++) for (let j = 0; j < n; j++) mean[j] += space.vectors[i * n + j];
  for (let j = 0; j < n; j++) mean[j] /= V;
  const cov = new Float64Array(n * n);
  const centred = new Float64Array(n);
  for (let i = 0; i < V; i++) {
    for (let j = 0; j < n; j++) centred[j] = space.vectors[i * n + j] - mean[j];
    for (let a = 0; a < n; a++) {
      const ca = centred[a];
      for (let b = 0; b <= a; b++) cov[a * n + b] += ca * centred[b];
    }
  }
  for (let a = 0; a < n; a++) {
    for (let b = 0; b <= a; b++) {
      const v = cov[a * n + b] / (V - 1);
      cov[a * n + b] = v;
      cov[b * n + a] = v;
    }
  }
  return cov;
}

/** Σ_λ = λ·Σ·n/tr(Σ) + (1 − λ)·I (row-major n × n). */
export function regularizedCovariance(covariance: Float64Array, dim: number, lambda: number): Float64Array {
  if (!(lambda >= 0 && lambda <= 1)) throw new ConfigError(`lambda must be in [0, 1], got ${lambda}`);
  if (covariance.length !== dim * dim) throw new ConfigError(`covariance has ${covariance.length} values, expected ${dim}×${dim}`);
  let trace = 0;
  for (let j = 0; j < dim; j++) trace += covariance[j * dim + j];
  if (!(trace > 0) || !Number.isFinite(trace)) throw new ConfigError(`the covariance's trace is ${trace}: the embeddings do not vary`);
  const scale = (lambda * dim) / trace;
  const out = new Float64Array(dim * dim);
  for (let i = 0; i < dim * dim; i++) out[i] = covariance[i] * scale;
  for (let j = 0; j < dim; j++) out[j * dim + j] += 1 - lambda;
  return out;
}

/** Lower-triangular L with LLᵀ = A (A symmetric positive definite, row-major n × n). */
export function choleskyLower(matrix: Float64Array, dim: number): Float64Array {
  const L = new Float64Array(dim * dim);
  for (let i = 0; i < dim; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = matrix[i * dim + j];
      for (let k = 0; k < j; k++) sum -= L[i * dim + k] * L[j * dim + k];
      if (i === j) {
        if (!(sum > 0)) throw new ConfigError(`Σ_λ is not positive definite (pivot ${i + 1} is ${sum}): use λ < 1, or embeddings whose covariance has full rank`);
        L[i * dim + i] = Math.sqrt(sum);
      } else {
        L[i * dim + j] = sum / L[j * dim + j];
      }
    }
  }
  return L;
}

export class MahalanobisMechanism implements WordMechanism {
  readonly name: WordMechanismName = 'mahalanobis';
  readonly epsilon: number;
  readonly lambda: number;
  /** Cholesky factor of Σ_λ (row-major n × n). */
  readonly factor: Float64Array;
  private readonly random: MechanismRandom;

  constructor(readonly space: EmbeddingSpace, options: MahalanobisOptions) {
    checkMetricEpsilon(options.epsilon);
    this.epsilon = options.epsilon;
    this.lambda = options.lambda ?? DEFAULT_MAHALANOBIS_LAMBDA;
    const covariance = options.covariance ?? embeddingCovariance(space);
    this.factor = choleskyLower(regularizedCovariance(covariance, space.dim, this.lambda), space.dim);
    this.random = randomFor(options);
  }

  get secure(): boolean {
    return this.random.secure;
  }

  privatizeIds(ids: ArrayLike<number>): Int32Array {
    return perturbAndProject(this.space, ids, this.epsilon, this.random, { shape: this.factor });
  }
}

/** The Mahalanobis mechanism on vocabulary ids (builds Σ_λ each call; keep a MahalanobisMechanism to reuse it). */
export function mahalanobis(space: EmbeddingSpace, ids: ArrayLike<number>, options: MahalanobisOptions): Int32Array {
  return new MahalanobisMechanism(space, options).privatizeIds(ids);
}
