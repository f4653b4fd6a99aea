/**
 * Embeddings for the text mechanisms from a word2vec text file (Node only): a named file, or
 * the GloVe 100-d subset of the data directory (--data-dir or $TRUSTNLU_DATA).
 */
import { gloveVectorsPath } from '../../data/locate.js';
import { readWord2VecText } from '../../data/word-vectors.js';
import { DatasetNotFoundError } from '../../errors.js';
import { EmbeddingSpace } from './embedding-space.js';

export interface LoadEmbeddingsOptions {
  /** A word2vec text file; default: glove-6b-100d-subset/vectors.txt in the data directory. */
  path?: string;
  dataDir?: string;
  /** Keep only the first `limit` words (files are usually sorted by frequency). */
  limit?: number;
}

export function loadEmbeddingSpace(options: LoadEmbeddingsOptions = {}): EmbeddingSpace {
  const path = options.path ?? gloveVectorsPath(options.dataDir);
  if (!path) {
    throw new DatasetNotFoundError(
      'no embeddings: pass --embeddings FILE (word2vec text format) or a data directory with glove-6b-100d-subset/vectors.txt (--data-dir DIR or TRUSTNLU_DATA)',
    );
  }
  return EmbeddingSpace.fromWordVectors(readWord2VecText(path, { limit: options.limit }), path);
}
