/**
 * The multivariate mechanism of Madlib (Feyisetan, Balle, Drake & Diethe, WSDM 2020, §4,
 * Algorithm 1): for a word w with embedding φ(w), draw z with density ∝ exp(−ε‖z‖₂) (radius
 * Gamma(n, 1/ε), uniform direction; see radial-noise.ts) and output the vocabulary word nearest
 * to φ(w) + z. It is ε·d_χ-private for the Euclidean distance between embeddings (their
 * Theorem 1); the nearest-neighbour step is post-processing.
 */
import { ConfigError } from '../../errors.js';
import type { EmbeddingSpace } from './embedding-space.js';
import { sampleRadialNoise, checkMetricEpsilon, type RadialNoiseOptions } from './radial-noise.js';
import type { MechanismRandom } from './mechanism-random.js';
import { randomFor, type WordMechanism, type WordMechanismName, type WordMechanismOptions } from './word-mechanism.js';

/** Adds radial noise to each word's vector and maps it back to the nearest word, block by block. */
export function perturbAndProject(space: EmbeddingSpace, ids: ArrayLike<number>, epsilon: number, random: MechanismRandom, noise: RadialNoiseOptions = {}): Int32Array {
  const d = space.dim;
  const out = new Int32Array(ids.length);
  const rows = space.blockRows();
  for (let start = 0; start < ids.length; start += rows) {
    const b = Math.min(rows, ids.length - start);
    const points = new Float32Array(b * d);
    sampleRadialNoise(points, d, epsilon, random, noise);
    for (let r = 0; r < b; r++) {
      const id = ids[start + r];
      if (!Number.isInteger(id) || id < 0 || id >= space.size) throw new ConfigError(`word id ${id} is outside the vocabulary (0..${space.size - 1})`);
      const v = space.vector(id);
      for (let j = 0; j < d; j++) points[r * d + j] += v[j];
    }
    out.set(space.nearest(points), start);
  }
  return out;
}

/** Madlib's mechanism on vocabulary ids. */
export function madlib(space: EmbeddingSpace, ids: ArrayLike<number>, options: WordMechanismOptions): Int32Array {
  checkMetricEpsilon(options.epsilon);
  return perturbAndProject(space, ids, options.epsilon, randomFor(options));
}

export class MadlibMechanism implements WordMechanism {
  readonly name: WordMechanismName = 'madlib';
  readonly epsilon: number;
  private readonly random: MechanismRandom;

  constructor(readonly space: EmbeddingSpace, options: WordMechanismOptions) {
    checkMetricEpsilon(options.epsilon);
    this.epsilon = options.epsilon;
    this.random = randomFor(options);
  }

  get secure(): boolean {
    return this.random.secure;
  }

  privatizeIds(ids: ArrayLike<number>): Int32Array {
    return perturbAndProject(this.space, ids, this.epsilon, this.random);
  }
}
