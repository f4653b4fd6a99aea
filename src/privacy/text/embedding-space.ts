/**
 * A vocabulary of word embeddings with exact nearest-neighbour search. The search is
 * exhaustive (no approximate index): squared distances ‖q − e‖² = ‖q‖² − 2q·e + ‖e‖² for a
 * block of queries against the whole vocabulary are one matrix product on the engine
 * (wasm/XNNPACK), and the arg-min drops the per-query constant ‖q‖². Blocks are sized so a
 * block's score matrix stays near 16 M floats. Scores are float32, so two words whose
 * distances to a query agree to ~1e-6 relative may be ranked either way; distances that
 * are reported (neighbour lists, the vocabulary's distance range) are recomputed in float64.
 */
import { tf } from '../../engine/index.js';
import { ConfigError, DatasetFormatError } from '../../errors.js';
import type { WordVectors } from '../../data/word-vectors.js';

/** Score-matrix budget per block (floats). */
const BLOCK_FLOATS = 16 * 1024 * 1024;

export interface NeighbourLists {
  /** Neighbours per query, nearest first (row-major, queries × k), the query word excluded. */
  ids: Int32Array;
  /** Their Euclidean distances (float64). */
  distances: Float64Array;
  k: number;
}

export interface DistanceRange {
  /** Smallest distance between two distinct vectors of the vocabulary. */
  min: number;
  /** Largest distance between two words of the vocabulary. */
  max: number;
}

export class EmbeddingSpace {
  readonly dim: number;
  readonly words: readonly string[];
  /** Row-major, size × dim. */
  readonly vectors: Float32Array;
  private readonly index: Map<string, number>;
  private readonly squaredNorms: Float64Array;
  private transposed?: tf.Tensor2D;
  private halfSquaredNorms?: tf.Tensor1D;
  private range?: DistanceRange;
  /** Score-matrix budget per block of queries, in floats (memory vs. per-call overhead). */
  blockFloats = BLOCK_FLOATS;

  constructor(words: readonly string[], vectors: Float32Array, dim: number, source = 'embeddings') {
    if (!Number.isInteger(dim) || dim < 1) throw new DatasetFormatError(`${source}: dimension must be a positive integer, got ${dim}`);
    if (vectors.length !== words.length * dim) {
      throw new DatasetFormatError(`${source}: ${vectors.length} values for ${words.length} words of dimension ${dim}`);
    }
    if (words.length < 2) throw new DatasetFormatError(`${source}: a vocabulary needs at least 2 words to rewrite anything, got ${words.length}`);
    this.dim = dim;
    this.words = words;
    this.vectors = vectors;
    this.index = new Map();
    this.squaredNorms = new Float64Array(words.length);
    words.forEach((w, i) => {
      if (this.index.has(w)) throw new DatasetFormatError(`${source}: word ${JSON.stringify(w)} appears twice`);
      this.index.set(w, i);
    });
    for (let i = 0; i < words.length; i++) {
      let s = 0;
      for (let j = 0; j < dim; j++) {
        const v = vectors[i * dim + j];
        if (!Number.isFinite(v)) throw new DatasetFormatError(`${source}: value ${j + 1} of word ${JSON.stringify(words[i])} is ${v}, not a finite number`);
        s += v * v;
      }
      this.squaredNorms[i] = s;
    }
  }

  /** From vectors read by data/word-vectors (readWord2VecText / parseWord2VecText). */
  static fromWordVectors(vectors: WordVectors, source = 'embeddings'): EmbeddingSpace {
    return new EmbeddingSpace(vectors.words, vectors.vectors, vectors.dim, source);
  }

  get size(): number {
    return this.words.length;
  }

  /** Row of a word, or undefined when it is not in the vocabulary. */
  idOf(word: string): number | undefined {
    return this.index.get(word);
  }

  vector(id: number): Float32Array {
    return this.vectors.subarray(id * this.dim, (id + 1) * this.dim);
  }

  /** Euclidean distance between two vocabulary words, in float64. */
  distance(a: number, b: number): number {
    const d = this.dim;
    let s = 0;
    for (let j = 0; j < d; j++) {
      const diff = this.vectors[a * d + j] - this.vectors[b * d + j];
      s += diff * diff;
    }
    return Math.sqrt(s);
  }

  private tensors(): { transposed: tf.Tensor2D; halfSquaredNorms: tf.Tensor1D } {
    if (!this.transposed || !this.halfSquaredNorms) {
      const n = this.size;
      const d = this.dim;
      const t = new Float32Array(n * d);
      for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) t[j * n + i] = this.vectors[i * d + j];
      // Kept untransposed [dim, V] so the product runs on XNNPACK's plain rank-2 path.
      this.transposed = tf.keep(tf.tensor2d(t, [d, n]));
      this.halfSquaredNorms = tf.keep(tf.tensor1d(Float32Array.from(this.squaredNorms, (s) => s / 2)));
    }
    return { transposed: this.transposed, halfSquaredNorms: this.halfSquaredNorms };
  }

  /** Queries per block, so that a block's [rows, V] score matrix stays within blockFloats. */
  blockRows(): number {
    return Math.max(1, Math.floor(this.blockFloats / this.size));
  }

  /**
   * The nearest vocabulary word to each point (`points` row-major, count × dim): exhaustive
   * search, ties to the lower id.
   */
  nearest(points: Float32Array): Int32Array {
    const d = this.dim;
    if (points.length % d !== 0) throw new ConfigError(`points: ${points.length} values is not a whole number of ${d}-d rows`);
    const count = points.length / d;
    const out = new Int32Array(count);
    const { transposed, halfSquaredNorms } = this.tensors();
    const rows = this.blockRows();
    for (let start = 0; start < count; start += rows) {
      const b = Math.min(rows, count - start);
      const ids = tf.tidy(() => {
        const q = tf.tensor2d(points.subarray(start * d, (start + b) * d), [b, d]);
        // argmin ‖q − e‖² = argmin (‖e‖²/2 − q·e)
        return tf.argMin(tf.sub(halfSquaredNorms, tf.matMul(q, transposed)), 1);
      });
      out.set(ids.dataSync() as Int32Array, start);
      ids.dispose();
    }
    return out;
  }

  /**
   * The k nearest other words of each query word (`ids`), nearest first, with float64
   * distances. Ties among equal distances are broken by the engine's top-k.
   */
  neighbours(ids: ArrayLike<number>, k: number): NeighbourLists {
    if (!Number.isInteger(k) || k < 1 || k > this.size - 1) throw new ConfigError(`k must be an integer in [1, ${this.size - 1}], got ${k}`);
    const n = ids.length;
    const outIds = new Int32Array(n * k);
    const distances = new Float64Array(n * k);
    const { transposed, halfSquaredNorms } = this.tensors();
    const rows = this.blockRows();
    const d = this.dim;
    for (let start = 0; start < n; start += rows) {
      const b = Math.min(rows, n - start);
      const block = new Float32Array(b * d);
      for (let r = 0; r < b; r++) block.set(this.vector(this.checkId(ids[start + r])), r * d);
      // k + 1: the word itself (or an exact duplicate) comes first and is dropped below.
      const top = tf.tidy(() => {
        const q = tf.tensor2d(block, [b, d]);
        const score = tf.sub(tf.matMul(q, transposed), halfSquaredNorms);
        return tf.topk(score, k + 1).indices;
      });
      const found = top.dataSync() as Int32Array;
      top.dispose();
      for (let r = 0; r < b; r++) {
        const self = ids[start + r];
        let written = 0;
        const candidates: number[] = [];
        for (let c = 0; c < k + 1; c++) if (found[r * (k + 1) + c] !== self) candidates.push(found[r * (k + 1) + c]);
        const exact = candidates.slice(0, k).map((id) => ({ id, distance: this.distance(self, id) }));
        exact.sort((x, y) => x.distance - y.distance || x.id - y.id);
        for (const e of exact) {
          outIds[(start + r) * k + written] = e.id;
          distances[(start + r) * k + written] = e.distance;
          written++;
        }
      }
    }
    return { ids: outIds, distances, k };
  }

  /**
   * The smallest distance between two distinct vectors and the largest distance between any
   * two words: all pairs, one block of rows at a time (the closest and farthest candidates of
   * each row come from the float32 products; their distances are recomputed in float64).
   * Cached; O(V²·dim).
   */
  distanceRange(): DistanceRange {
    if (this.range) return this.range;
    const { transposed, halfSquaredNorms } = this.tensors();
    const n = this.size;
    const d = this.dim;
    const rows = this.blockRows();
    let min = Infinity;
    let max = 0;
    const probe = Math.min(4, n - 1);
    for (let start = 0; start < n; start += rows) {
      const b = Math.min(rows, n - start);
      const [near, far] = tf.tidy(() => {
        const q = tf.tensor2d(this.vectors.subarray(start * d, (start + b) * d), [b, d]);
        // score = q·e − ‖e‖²/2 is larger for nearer words; the row itself is among the top.
        const score = tf.sub(tf.matMul(q, transposed), halfSquaredNorms);
        return [tf.topk(score, probe + 1).indices, tf.argMin(score, 1)];
      });
      const nearIds = near.dataSync() as Int32Array;
      const farIds = far.dataSync() as Int32Array;
      near.dispose();
      far.dispose();
      for (let r = 0; r < b; r++) {
        const self = start + r;
        for (let c = 0; c <= probe; c++) {
          const other = nearIds[r * (probe + 1) + c];
          if (other === self) continue;
          const dist = this.distance(self, other);
          if (dist > 0 && dist < min) min = dist;
        }
        // ‖q − e‖² = ‖q‖² − 2·score: the smallest score is the farthest word.
        max = Math.max(max, this.distance(self, farIds[r]));
      }
    }
    if (!Number.isFinite(min)) throw new DatasetFormatError('every vector of the vocabulary is the same: no positive inter-word distance');
    this.range = { min, max };
    return this.range;
  }

  private checkId(id: number): number {
    if (!Number.isInteger(id) || id < 0 || id >= this.size) throw new ConfigError(`word id ${id} is outside the vocabulary (0..${this.size - 1})`);
    return id;
  }

  /** Frees the engine tensors (the space can be used again: they are rebuilt on demand). */
  dispose(): void {
    this.transposed?.dispose();
    this.halfSquaredNorms?.dispose();
    this.transposed = undefined;
    this.halfSquaredNorms = undefined;
  }
}
