/**
 * Seeded k-means: k-means++ seeding (Arthur & Vassilvitskii 2007) then Lloyd iterations
 * until no assignment changes. Distances are squared Euclidean in double precision; ties
 * go to the lower centroid index; an emptied cluster is re-seeded at the point farthest
 * from its own centroid, so k clusters stay in use. Cost O(iterations·n·k·dim).
 */
import { ConfigError, ShapeMismatchError } from '../../errors.js';
import type { SeededRandom } from '../../engine/random.js';

/** Row-major n × dim matrix. */
export interface EmbeddingMatrix {
  dim: number;
  data: Float32Array;
}

export type Embeddings = readonly Float32Array[] | EmbeddingMatrix;

export interface KMeansOptions {
  /** Lloyd iteration cap; default 100. */
  maxIterations?: number;
}

export interface KMeansResult {
  /** Cluster of each point. */
  assignments: number[];
  /** k × dim row-major centroids. */
  centroids: Float64Array;
  /** Σ squared distance of each point to its centroid. */
  inertia: number;
  iterations: number;
  /** Whether assignments stopped changing before the cap. */
  converged: boolean;
}

/** Validates the embeddings and returns them as one row-major matrix. */
export function toEmbeddingMatrix(vectors: Embeddings, what = 'embeddings'): EmbeddingMatrix & { n: number } {
  if (Array.isArray(vectors)) {
    const rows = vectors as readonly Float32Array[];
    if (rows.length === 0) throw new ConfigError(`${what}: no vectors given`);
    const dim = rows[0].length;
    if (dim === 0) throw new ShapeMismatchError(`${what}: vectors have dimension 0`);
    const data = new Float32Array(rows.length * dim);
    rows.forEach((row, i) => {
      if (!(row instanceof Float32Array) || row.length !== dim) {
        throw new ShapeMismatchError(`${what}: vector ${i} has ${row?.length} values, expected ${dim} like vector 0`);
      }
      data.set(row, i * dim);
    });
    assertFiniteMatrix(data, dim, what);
    return { dim, data, n: rows.length };
  }
  const m = vectors as EmbeddingMatrix;
  if (!m || !(m.data instanceof Float32Array) || !Number.isInteger(m.dim) || m.dim < 1) {
    throw new ConfigError(`${what}: expected Float32Array[] or { dim, data: Float32Array }`);
  }
  if (m.data.length === 0 || m.data.length % m.dim !== 0) {
    throw new ShapeMismatchError(`${what}: data has ${m.data.length} values, not a positive multiple of dim ${m.dim}`);
  }
  assertFiniteMatrix(m.data, m.dim, what);
  return { dim: m.dim, data: m.data, n: m.data.length / m.dim };
}

function assertFiniteMatrix(data: Float32Array, dim: number, what: string): void {
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) {
      throw new ConfigError(`${what}: vector ${Math.floor(i / dim)} has ${data[i]} at position ${i % dim}`);
    }
  }
}

function squaredDistanceTo(data: Float32Array, row: number, centroids: Float64Array, c: number, dim: number): number {
  let s = 0;
  const a = row * dim;
  const b = c * dim;
  for (let j = 0; j < dim; j++) {
    const d = data[a + j] - centroids[b + j];
    s += d * d;
  }
  return s;
}

export function kmeans(vectors: Embeddings, k: number, rng: SeededRandom, options: KMeansOptions = {}): KMeansResult {
  const { dim, data, n } = toEmbeddingMatrix(vectors);
  if (!Number.isInteger(k) || k < 1 || k > n) {
    throw new ConfigError(`kmeans: number of clusters must be an integer in [1, ${n}] (the number of vectors), got ${k}`);
  }
  const maxIterations = options.maxIterations ?? 100;
  if (!Number.isInteger(maxIterations) || maxIterations < 1) {
    throw new ConfigError(`kmeans: maxIterations must be a positive integer, got ${maxIterations}`);
  }
  const centroids = new Float64Array(k * dim);
  const setCentroid = (c: number, row: number): void => {
    for (let j = 0; j < dim; j++) centroids[c * dim + j] = data[row * dim + j];
  };

  // k-means++: each next centre is a point drawn with probability ∝ D(x)², D the distance
  // to the nearest centre chosen so far
  setCentroid(0, rng.int(n));
  const nearest = new Float64Array(n).fill(Number.POSITIVE_INFINITY);
  for (let c = 1; c < k; c++) {
    let total = 0;
    for (let i = 0; i < n; i++) {
      const d = squaredDistanceTo(data, i, centroids, c - 1, dim);
      if (d < nearest[i]) nearest[i] = d;
      total += nearest[i];
    }
    let chosen: number;
    if (total > 0) {
      let u = rng.next() * total;
      chosen = n - 1;
      for (let i = 0; i < n; i++) {
        u -= nearest[i];
        if (u < 0) {
          chosen = i;
          break;
        }
      }
    } else chosen = rng.int(n); // every point coincides with a centre already
    setCentroid(c, chosen);
  }

  const assignments = new Array<number>(n).fill(-1);
  const pointDistance = new Float64Array(n);
  let iterations = 0;
  let converged = false;
  while (iterations < maxIterations) {
    iterations++;
    let changed = 0;
    for (let i = 0; i < n; i++) {
      let best = 0;
      let bestD = squaredDistanceTo(data, i, centroids, 0, dim);
      for (let c = 1; c < k; c++) {
        const d = squaredDistanceTo(data, i, centroids, c, dim);
        if (d < bestD) {
          bestD = d;
          best = c;
        }
      }
      if (assignments[i] !== best) changed++;
      assignments[i] = best;
      pointDistance[i] = bestD;
    }
    if (changed === 0) {
      converged = true;
      break;
    }
    // update step
    const sums = new Float64Array(k * dim);
    const counts = new Int32Array(k);
    for (let i = 0; i < n; i++) {
      const c = assignments[i];
      counts[c]++;
      for (let j = 0; j < dim; j++) sums[c * dim + j] += data[i * dim + j];
    }
    for (let c = 0; c < k; c++) {
      if (counts[c] > 0) {
        for (let j = 0; j < dim; j++) centroids[c * dim + j] = sums[c * dim + j] / counts[c];
      } else {
        // re-seed an empty cluster at the worst-served point, then stop it being chosen twice
        let far = 0;
        for (let i = 1; i < n; i++) if (pointDistance[i] > pointDistance[far]) far = i;
        setCentroid(c, far);
        pointDistance[far] = -1;
      }
    }
  }
  let inertia = 0;
  for (let i = 0; i < n; i++) inertia += squaredDistanceTo(data, i, centroids, assignments[i], dim);
  return { assignments, centroids, inertia, iterations, converged };
}
