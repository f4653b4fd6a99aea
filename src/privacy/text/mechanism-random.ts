/**
 * Randomness for the text mechanisms. Noise comes from the platform CSPRNG unless a seed is
 * given (experiments and tests only: whoever knows the seed knows the noise, so a seeded run
 * carries no privacy guarantee, and every result says whether it was seeded).
 *
 * The continuous noise of these mechanisms is never released: it only picks a vocabulary word
 * (nearest neighbour, or noisy arg-min over candidates), so the floating-point attacks on
 * released Laplace/Gaussian values (Mironov 2012) do not apply to it, and the fast ziggurat
 * normals are used for directions (see privacy/dpsgd/gaussian-sampler.ts).
 */
import { ConfigError } from '../../errors.js';
import { marsagliaTsangGamma } from '../../engine/random.js';
import { CSPRNG, UniformStream, seededBytes, type RandomBytes } from '../dpsgd/random-source.js';
import { ZigguratSampler } from '../dpsgd/gaussian-sampler.js';

export class MechanismRandom {
  /** False when seeded: reproducible, not private. */
  readonly secure: boolean;
  private readonly uniforms: UniformStream;
  private readonly normalSampler: ZigguratSampler;
  private readonly normalBuffer = new Float32Array(1024);
  private normalPosition = 1024;

  constructor(readonly source: RandomBytes) {
    this.secure = source.secure;
    this.uniforms = new UniformStream(source, 4096);
    this.normalSampler = new ZigguratSampler(source);
  }

  /** The CSPRNG, or a seeded stream when `seed` is given. */
  static from(seed?: number): MechanismRandom {
    if (seed !== undefined && !Number.isFinite(seed)) throw new ConfigError(`seed must be a finite number, got ${seed}`);
    return new MechanismRandom(seed === undefined ? CSPRNG : seededBytes(seed));
  }

  /** Uniform in (0, 1), never 0 or 1. */
  uniform(): number {
    return this.uniforms.nextOpen();
  }

  /** One N(0, 1) value. */
  normal(): number {
    if (this.normalPosition >= this.normalBuffer.length) {
      this.normalSampler.fill(this.normalBuffer);
      this.normalPosition = 0;
    }
    return this.normalBuffer[this.normalPosition++];
  }

  /** Fills `out` with N(0, 1) values. */
  normals(out: Float32Array): void {
    this.normalSampler.fill(out);
  }

  /** Gamma(shape, 1) (Marsaglia & Tsang 2000) from this source's normals and uniforms. */
  gamma(shape: number): number {
    if (!(shape > 0) || !Number.isFinite(shape)) throw new ConfigError(`gamma shape must be a finite number > 0, got ${shape}`);
    return marsagliaTsangGamma(shape, () => this.normal(), () => this.uniform());
  }
}
