/** Word mechanisms by name (the CLI, the stats and the study pick them this way). */
import { ConfigError } from '../../errors.js';
import type { DistanceRange, EmbeddingSpace } from './embedding-space.js';
import { MadlibMechanism } from './madlib.js';
import { MahalanobisMechanism } from './mahalanobis.js';
import { TruncatedGumbelMechanism } from './truncated-gumbel.js';
import { WORD_MECHANISMS, type WordMechanism, type WordMechanismName, type WordMechanismOptions } from './word-mechanism.js';

export interface CreateWordMechanismOptions extends WordMechanismOptions {
  /** Mahalanobis: weight of the covariance (default 0.2). */
  lambda?: number;
  /** Truncated Gumbel: the vocabulary's distance range, if known. */
  distanceRange?: DistanceRange;
}

export function createWordMechanism(name: WordMechanismName, space: EmbeddingSpace, options: CreateWordMechanismOptions): WordMechanism {
  switch (name) {
    case 'madlib':
      return new MadlibMechanism(space, options);
    case 'mahalanobis':
      return new MahalanobisMechanism(space, options);
    case 'truncated-gumbel':
      return new TruncatedGumbelMechanism(space, options);
    default:
      throw new ConfigError(`unknown word mechanism ${JSON.stringify(name)}: choose one of ${WORD_MECHANISMS.join(', ')}`);
  }
}
