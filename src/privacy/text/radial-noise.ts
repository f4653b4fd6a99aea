/**
 * Noise for d_χ-privacy in R^n (Feyisetan, Balle, Drake & Diethe, WSDM 2020, "Privacy- and
 * Utility-Preserving Textual Analysis via Calibrated Multivariate Perturbations", §4): the
 * density p(z) ∝ exp(−ε‖z‖₂). In polar form the radius r = ‖z‖ has density ∝ r^(n−1)·e^(−εr),
 * i.e. Gamma(shape n, scale 1/ε) (mean n/ε), and the direction is uniform on the unit sphere,
 * independent of the radius. A uniform direction is a standard normal vector divided by its norm.
 *
 * `shape` turns the spherical noise into elliptical noise z = r·S·v (the Mahalanobis
 * mechanism), with S a lower-triangular n × n factor.
 */
import { ConfigError } from '../../errors.js';
import type { MechanismRandom } from './mechanism-random.js';

export interface RadialNoiseOptions {
  /** Row-major lower-triangular n × n factor S (z = r·S·v); spherical noise when absent. */
  shape?: Float64Array;
}

/** Checks ε for the metric mechanisms: a number > 0 (Infinity allowed: no noise). */
export function checkMetricEpsilon(epsilon: number): void {
  if (!(epsilon > 0) || Number.isNaN(epsilon)) {
    throw new ConfigError(`epsilon must be a number > 0 (metric DP, per unit of embedding distance), got ${epsilon}`);
  }
}

/**
 * Fills `out` (count × dim, row-major) with independent noise vectors of density ∝ exp(−ε‖S⁻¹z‖₂)
 * (S = I by default). ε = Infinity gives zero vectors.
 */
export function sampleRadialNoise(out: Float32Array, dim: number, epsilon: number, random: MechanismRandom, options: RadialNoiseOptions = {}): void {
  checkMetricEpsilon(epsilon);
  if (!Number.isInteger(dim) || dim < 1) throw new ConfigError(`dimension must be a positive integer, got ${dim}`);
  if (out.length % dim !== 0) throw new ConfigError(`noise buffer of ${out.length} values is not a whole number of ${dim}-d rows`);
  const shape = options.shape;
  if (shape && shape.length !== dim * dim) throw new ConfigError(`noise shape factor has ${shape.length} values, expected ${dim}×${dim}`);
  const count = out.length / dim;
  const direction = new Float32Array(dim);
  for (let row = 0; row < count; row++) {
    const offset = row * dim;
    let squared = 0;
    do {
      random.normals(direction);
      squared = 0;
      for (let j = 0; j < dim; j++) squared += direction[j] * direction[j];
    } while (squared === 0);
    const radius = Number.isFinite(epsilon) ? random.gamma(dim) / epsilon : 0;
    const scale = radius / Math.sqrt(squared);
    if (!shape) {
      for (let j = 0; j < dim; j++) out[offset + j] = direction[j] * scale;
      continue;
    }
    for (let i = 0; i < dim; i++) {
      let sum = 0;
      const rowStart = i * dim;
      for (let j = 0; j <= i; j++) sum += shape[rowStart + j] * direction[j];
      out[offset + i] = sum * scale;
    }
  }
}
