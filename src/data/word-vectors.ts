/**
 * Static word vectors in word2vec text format: a header line `COUNT DIM`, then one line per word,
 * `word v1 ... vDIM`, separated by spaces (tabs and repeated spaces are tolerated, CRLF too).
 * Used by the intrinsic fairness tests (WEAT) and as pretrained embeddings.
 *
 * Also reads word-set files such as WEFE's WEAT.json (`{ "set name": ["word", ...] }`).
 * Bad files fail with a DatasetFormatError naming the file, the line and what is wrong.
 */
import { readFileSync } from 'node:fs';
import { DatasetFormatError } from '../errors.js';

export interface WordVectors {
  dim: number;
  words: string[];
  /** word → row in `vectors`. */
  index: Map<string, number>;
  /** Row-major, words.length × dim. */
  vectors: Float32Array;
}

export interface ReadWordVectorsOptions {
  /** Read only the first `limit` words (files are usually sorted by frequency). */
  limit?: number;
}

function readText(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new DatasetFormatError(`cannot read ${what} ${path}: ${(error as Error).message}`);
  }
}

/**
 * Parses word2vec text. `source` names the file in error messages. Every line must have exactly
 * DIM finite numbers after the word; there must be exactly COUNT word lines (blank lines at the
 * end are allowed); a word may appear only once.
 */
export function parseWord2VecText(text: string, source: string, options: ReadWordVectorsOptions = {}): WordVectors {
  const lines = text.split(/\r?\n/);
  const header = lines[0].trim().split(/\s+/);
  const count = Number(header[0]);
  const dim = Number(header[1]);
  if (header.length !== 2 || !Number.isInteger(count) || !Number.isInteger(dim) || count < 0 || dim < 1) {
    throw new DatasetFormatError(
      `${source}:1: bad word2vec header ${JSON.stringify(lines[0].slice(0, 80))}; expected "COUNT DIM" (two positive integers)`,
    );
  }
  let last = lines.length;
  while (last > 1 && lines[last - 1].trim() === '') last--;
  const available = last - 1;
  if (available !== count) {
    throw new DatasetFormatError(`${source}: header says ${count} words but the file has ${available} word lines`);
  }
  const limit = options.limit === undefined ? count : Math.min(count, options.limit);
  if (!Number.isInteger(limit) || limit < 0) throw new DatasetFormatError(`${source}: limit must be a non-negative integer, got ${options.limit}`);

  const words: string[] = new Array(limit);
  const index = new Map<string, number>();
  const vectors = new Float32Array(limit * dim);
  for (let row = 0; row < limit; row++) {
    const lineNumber = row + 2;
    const fields = lines[row + 1].trim().split(/[ \t]+/);
    const word = fields[0];
    if (word === '') throw new DatasetFormatError(`${source}:${lineNumber}: empty line where a word vector was expected`);
    if (fields.length - 1 !== dim) {
      throw new DatasetFormatError(
        `${source}:${lineNumber}: word ${JSON.stringify(word)} has ${fields.length - 1} values, expected ${dim} (from the header)`,
      );
    }
    if (index.has(word)) {
      throw new DatasetFormatError(`${source}:${lineNumber}: word ${JSON.stringify(word)} appears again (first on line ${index.get(word)! + 2})`);
    }
    const offset = row * dim;
    for (let j = 0; j < dim; j++) {
      const value = Number(fields[j + 1]);
      if (!Number.isFinite(value) || fields[j + 1] === '') {
        throw new DatasetFormatError(
          `${source}:${lineNumber}: value ${j + 1} of word ${JSON.stringify(word)} is ${JSON.stringify(fields[j + 1])}, not a finite number`,
        );
      }
      vectors[offset + j] = value;
    }
    words[row] = word;
    index.set(word, row);
  }
  return { dim, words, index, vectors };
}

/** Reads a word2vec text file (e.g. the GloVe subset or WEFE's word2vec fixture). */
export function readWord2VecText(path: string, options: ReadWordVectorsOptions = {}): WordVectors {
  return parseWord2VecText(readText(path, 'word vector file'), path, options);
}

/** The vector of a word (a view into `vectors`), or undefined when it is not in the vocabulary. */
export function wordVector(vectors: WordVectors, word: string): Float32Array | undefined {
  const row = vectors.index.get(word);
  return row === undefined ? undefined : vectors.vectors.subarray(row * vectors.dim, (row + 1) * vectors.dim);
}

export interface EmbeddingLookupOptions {
  /**
   * When a word is missing, try its lower-case form (for lower-cased vocabularies such as GloVe
   * and capitalised names such as "Einstein"). Off by default: lookups are exact.
   */
  lowercaseFallback?: boolean;
}

/** A word → vector function for the association tests; undefined marks a missing word. */
export function embeddingLookup(vectors: WordVectors, options: EmbeddingLookupOptions = {}): (word: string) => Float32Array | undefined {
  return (word) => {
    const exact = wordVector(vectors, word);
    if (exact || !options.lowercaseFallback) return exact;
    return wordVector(vectors, word.toLowerCase());
  };
}

/** Named word sets, e.g. WEAT.json's `{ "flowers": ["aster", ...], ... }`. */
export type WordSets = Record<string, string[]>;

/** Validates parsed JSON as named word sets; `source` names the file in errors. */
export function parseWordSets(json: unknown, source: string): WordSets {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new DatasetFormatError(`${source}: expected a JSON object {"set name": ["word", ...]}, got ${Array.isArray(json) ? 'an array' : typeof json}`);
  }
  const out: WordSets = {};
  for (const [name, words] of Object.entries(json as Record<string, unknown>)) {
    if (!Array.isArray(words) || words.some((w) => typeof w !== 'string' || w === '')) {
      throw new DatasetFormatError(`${source}: set ${JSON.stringify(name)} must be an array of non-empty strings`);
    }
    if (words.length === 0) throw new DatasetFormatError(`${source}: set ${JSON.stringify(name)} is empty`);
    out[name] = [...(words as string[])];
  }
  return out;
}

/** Reads a word-set JSON file such as wefe-weat/WEAT.json. */
export function readWordSets(path: string): WordSets {
  const text = readText(path, 'word set file');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new DatasetFormatError(`${path}: not valid JSON (${(error as Error).message})`);
  }
  return parseWordSets(json, path);
}
