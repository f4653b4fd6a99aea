/** Small embedding spaces for the text-privacy tests. */
import { SeededRandom } from '../../../src/engine/index.js';
import { EmbeddingSpace } from '../../../src/privacy/index.js';

/** The hand-built vocabulary: words a, b, c at the given coordinates (1-d by default). */
export function lineVocabulary(positions: number[] = [0, 1, 3], dim = 1): EmbeddingSpace {
  const vectors = new Float32Array(positions.length * dim);
  positions.forEach((x, i) => (vectors[i * dim] = x));
  return new EmbeddingSpace(['a', 'b', 'c', 'd', 'e'].slice(0, positions.length), vectors, dim);
}

/** V random words in `dim` dimensions, clustered so neighbourhoods differ in density. */
export function randomVocabulary(size: number, dim: number, seed: number): EmbeddingSpace {
  const rng = new SeededRandom(seed);
  const vectors = new Float32Array(size * dim);
  for (let i = 0; i < size; i++) {
    const spread = i % 3 === 0 ? 0.3 : 1;
    for (let j = 0; j < dim; j++) vectors[i * dim + j] = rng.normal() * spread;
  }
  return new EmbeddingSpace(Array.from({ length: size }, (_, i) => `w${i}`), vectors, dim);
}

/** Chi-square statistic of observed counts against probabilities. */
export function chiSquare(observed: number[], probabilities: number[]): number {
  const n = observed.reduce((a, b) => a + b, 0);
  return observed.reduce((a, o, i) => a + (o - n * probabilities[i]) ** 2 / (n * probabilities[i]), 0);
}

/** Output counts of a mechanism's draws for one input id. */
export function countOutputs(output: Int32Array, size: number): number[] {
  const counts = new Array(size).fill(0);
  for (const y of output) counts[y]++;
  return counts;
}
