/**
 * What every word-level mechanism offers: rewrite vocabulary ids, one independent draw per
 * position. ε is metric-DP's ε (d_χ-privacy, Chatzikokolakis et al. 2013): for any two words
 * w, w' and output y, P(M(w) = y) ≤ exp(ε·d(w, w'))·P(M(w') = y), with d the distance the
 * mechanism is built on (Euclidean for Madlib, the regularised Mahalanobis norm for the
 * Mahalanobis mechanism). It is per word and per unit of distance: not comparable with DP-SGD's ε.
 */
import type { EmbeddingSpace } from './embedding-space.js';
import { MechanismRandom } from './mechanism-random.js';

export const WORD_MECHANISMS = ['madlib', 'mahalanobis', 'truncated-gumbel'] as const;
export type WordMechanismName = (typeof WORD_MECHANISMS)[number];

export interface WordMechanism {
  readonly name: WordMechanismName;
  readonly epsilon: number;
  readonly space: EmbeddingSpace;
  /** False when seeded (reproducible, not private). */
  readonly secure: boolean;
  /** Privatised ids, one independent draw per position. */
  privatizeIds(ids: ArrayLike<number>): Int32Array;
}

export interface WordMechanismOptions {
  epsilon: number;
  /** Seed for experiments; without one the noise comes from the CSPRNG. */
  seed?: number;
  /** A random source to share (overrides `seed`). */
  random?: MechanismRandom;
}

export function randomFor(options: { seed?: number; random?: MechanismRandom }): MechanismRandom {
  return options.random ?? MechanismRandom.from(options.seed);
}
