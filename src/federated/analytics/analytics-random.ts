/**
 * Randomness of the private analytics: who is sampled, which items a device votes for, the
 * local-DP bit flips, the central Gaussian noise and the devices' discrete Gaussian shares. Everything comes from the platform CSPRNG
 * unless a seed is given; a seeded run is reproducible and carries no privacy guarantee
 * (whoever knows the seed knows the noise), and every result says which it was.
 * Released noisy counts use the hardened Gaussian sampler (floating-point attacks, see
 * privacy/dpsgd/gaussian-sampler.ts), because those values are published as they are.
 */
import { ConfigError } from '../../errors.js';
import { CSPRNG, DiscreteGaussianSampler, SecureGaussianSampler, UniformStream, seededBytes, type GaussianSampler } from '../../privacy/index.js';

export type NoiseSource = 'CSPRNG' | 'seeded (not private)';

export class AnalyticsRandom {
  readonly source: NoiseSource;
  private readonly uniforms: UniformStream;
  private readonly normals: GaussianSampler;
  private readonly integers: DiscreteGaussianSampler;

  private constructor(seed: number | undefined) {
    const bytes = seed === undefined ? CSPRNG : seededBytes(seed);
    this.source = seed === undefined ? 'CSPRNG' : 'seeded (not private)';
    this.uniforms = new UniformStream(bytes, 4096);
    this.normals = new SecureGaussianSampler(seed === undefined ? CSPRNG : seededBytes(seed ^ 0x5bd1e995));
    this.integers = new DiscreteGaussianSampler(new UniformStream(seed === undefined ? CSPRNG : seededBytes(seed ^ 0x27d4eb2f), 4096));
  }

  /** The CSPRNG, or a reproducible stream when `seed` is given (experiments and tests only). */
  static from(seed?: number): AnalyticsRandom {
    if (seed !== undefined && !Number.isFinite(seed)) throw new ConfigError(`noise seed must be a finite number, got ${seed}`);
    return new AnalyticsRandom(seed);
  }

  /** Uniform in [0, 1). */
  uniform(): number {
    return this.uniforms.next();
  }

  /** True with probability p. */
  bernoulli(p: number): boolean {
    return this.uniforms.next() < p;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.min(n - 1, Math.floor(this.uniforms.next() * n));
  }

  /** `count` independent N(0, std²) values (zeros when std is 0). */
  gaussian(count: number, std: number): Float64Array {
    const out = new Float64Array(count);
    if (std === 0 || count === 0) return out;
    const buffer = new Float32Array(count);
    this.normals.fill(buffer);
    for (let i = 0; i < count; i++) out[i] = buffer[i] * std;
    return out;
  }

  /** `count` independent discrete Gaussian N_Z(0, σ²) integers (zeros when σ is 0): a device's share of distributed noise. */
  discreteGaussian(count: number, sigma: number): Int32Array {
    if (sigma === 0 || count === 0) return new Int32Array(count);
    return this.integers.fill(count, sigma);
  }

  /** A uniformly random subset of `size` of the given values (all of them when there are fewer). */
  subset<T>(values: readonly T[], size: number): T[] {
    if (values.length <= size) return values.slice();
    const copy = values.slice();
    for (let i = 0; i < size; i++) {
      const j = i + this.int(copy.length - i);
      const tmp = copy[i];
      copy[i] = copy[j];
      copy[j] = tmp;
    }
    return copy.slice(0, size);
  }
}
