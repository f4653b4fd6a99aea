/**
 * Sentence vectors for the embedding-cluster partition (FedNLP clusters sentence-BERT
 * embeddings; nothing of that size runs here, so two cheap stand-ins):
 * - the mean of the words' GloVe vectors, when the GloVe subset is in the data directory;
 * - otherwise a hashed bag of words (FNV-1a of each lower-cased word into `dim` buckets), which
 *   clusters by shared vocabulary.
 * Both are L2-normalised, so k-means on them clusters by cosine similarity. A text with no
 * known word gets the zero vector (its own cluster, at worst).
 */
import { splitWords } from '../text/tokenizer.js';
import { gloveVectorsPath } from './locate.js';
import { readWord2VecText, wordVector, type WordVectors } from './word-vectors.js';
import type { EmbeddingMatrix } from './partition/kmeans.js';

function normaliseRows(data: Float32Array, dim: number): void {
  for (let r = 0; r < data.length / dim; r++) {
    let ss = 0;
    for (let j = 0; j < dim; j++) ss += data[r * dim + j] ** 2;
    if (ss === 0) continue;
    const inv = 1 / Math.sqrt(ss);
    for (let j = 0; j < dim; j++) data[r * dim + j] *= inv;
  }
}

/** 32-bit FNV-1a of a string. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

export function hashedBagOfWords(texts: readonly string[], dim = 256): EmbeddingMatrix {
  const data = new Float32Array(texts.length * dim);
  texts.forEach((text, r) => {
    for (const w of splitWords(text.toLowerCase())) data[r * dim + (fnv1a(w) % dim)] += 1;
  });
  normaliseRows(data, dim);
  return { dim, data };
}

export function meanWordVectors(texts: readonly string[], vectors: WordVectors): EmbeddingMatrix {
  const dim = vectors.dim;
  const data = new Float32Array(texts.length * dim);
  texts.forEach((text, r) => {
    for (const w of splitWords(text.toLowerCase())) {
      const v = wordVector(vectors, w);
      if (v) for (let j = 0; j < dim; j++) data[r * dim + j] += v[j];
    }
  });
  normaliseRows(data, dim);
  return { dim, data };
}

/** GloVe means when the vectors are found, else the hashed bag of words; says which. */
export function sentenceVectors(texts: readonly string[], dataDir?: string): { vectors: EmbeddingMatrix; source: 'glove-mean' | 'hashed-bag-of-words' } {
  const path = gloveVectorsPath(dataDir);
  if (path) return { vectors: meanWordVectors(texts, readWord2VecText(path)), source: 'glove-mean' };
  return { vectors: hashedBagOfWords(texts), source: 'hashed-bag-of-words' };
}
