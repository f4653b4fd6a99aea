/**
 * Gaussian noise for a whole parameter vector, every step. A `GaussianNoise` hands out
 * Float32Arrays of N(0, 1) samples, or of N(0, std²) samples scaled by the source (the DP
 * step asks for std σ·C/(q·N); a prefetching source scales in its worker thread). The default draws from the CSPRNG with the ziggurat sampler; `secure: true`
 * switches to the hardened sum-of-four sampler (see gaussian-sampler.ts). With
 * `prefetch: true` a worker thread generates the next step's noise while the current step
 * runs (see noise-worker.ts), so on a machine with a spare core the noise costs only a copy.
 */
import { ConfigError } from '../../errors.js';
import { SecureGaussianSampler, samplerFor, type GaussianSampler } from './gaussian-sampler.js';
import { CSPRNG, seededBytes, type RandomBytes } from './random-source.js';
import { PrefetchingNoise } from './noise-prefetch.js';

export interface GaussianNoise {
  /** True when the samples come from a CSPRNG. */
  readonly cryptographic: boolean;
  /** True for the sampler hardened against floating-point attacks. */
  readonly hardened: boolean;
  /**
   * `size` fresh N(0, 1) samples. The array belongs to the caller until the next call (a
   * source may reuse it then): copy it (e.g. into a tensor) before asking again.
   */
  standardNormals(size: number): Float32Array;
  /**
   * `size` fresh N(0, std²) samples: each the float32 rounding of one fresh unit sample times
   * `std` (what scaling `standardNormals(size)` would give). Same ownership rule.
   */
  normals(size: number, std: number): Float32Array;
  /** Releases a worker thread, if any. */
  dispose(): void;
}

export interface GaussianNoiseOptions {
  /** Hardened sampler against floating-point attacks (slower). Default false. */
  secure?: boolean;
  /** Generate ahead in a worker thread (Node). Default false. */
  prefetch?: boolean;
  /**
   * Seeded, NOT cryptographic noise: reproducible experiments and tests only. Refused
   * together with `secure`.
   */
  seed?: number;
}

/** Noise generated in the calling thread. */
export class InlineGaussianNoise implements GaussianNoise {
  readonly cryptographic: boolean;
  readonly hardened: boolean;
  private buffer = new Float32Array(0);

  constructor(private readonly sampler: GaussianSampler, source: RandomBytes) {
    this.cryptographic = source.secure;
    this.hardened = sampler instanceof SecureGaussianSampler;
  }

  standardNormals(size: number): Float32Array {
    if (this.buffer.length !== size) this.buffer = new Float32Array(size);
    this.sampler.fill(this.buffer);
    return this.buffer;
  }

  normals(size: number, std: number): Float32Array {
    const z = this.standardNormals(size);
    if (std !== 1) for (let j = 0; j < size; j++) z[j] *= std;
    return z;
  }

  dispose(): void {}
}

export function createGaussianNoise(options: GaussianNoiseOptions = {}): GaussianNoise {
  if (options.seed !== undefined && options.secure) {
    throw new ConfigError('secure noise cannot be seeded: drop the seed (secure noise always comes from the CSPRNG)');
  }
  if (options.prefetch && options.seed === undefined) {
    return new PrefetchingNoise(Boolean(options.secure));
  }
  const source = options.seed === undefined ? CSPRNG : seededBytes(options.seed);
  return new InlineGaussianNoise(samplerFor(Boolean(options.secure), source), source);
}
