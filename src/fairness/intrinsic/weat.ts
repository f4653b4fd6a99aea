/**
 * WEAT, the Word Embedding Association Test (Caliskan, Bryson & Narayanan, Science 2017).
 *
 * For target sets X, Y and attribute sets A, B, with cos the cosine similarity:
 *   s(w, A, B)   = mean_{a∈A} cos(w, a) − mean_{b∈B} cos(w, b)
 *   s(X,Y,A,B)   = Σ_{x∈X} s(x, A, B) − Σ_{y∈Y} s(y, A, B)                 (test statistic)
 *   effect size  = [mean_{x∈X} s(x,A,B) − mean_{y∈Y} s(y,A,B)] / sd_{w∈X∪Y} s(w,A,B)
 * with the *sample* standard deviation (ddof = 1), as Caliskan et al. and SEAT (May et al. 2019)
 * use; WEFE's default divides by n (ddof = 0), which gives larger magnitudes (e.g. 1.95 instead
 * of 1.89 for career/family in word2vec). `standardDeviation: 'population'` reproduces WEFE.
 *
 * p-value (one-sided): P_i[s(X_i, Y_i, A, B) > s(X, Y, A, B)] over the re-partitions (X_i, Y_i)
 * of X ∪ Y into sets of sizes |X| and |Y|. Exact enumeration of all C(|X|+|Y|, |X|) partitions
 * when that count is ≤ exactLimit (default 100,000), otherwise Monte Carlo over uniformly random
 * re-partitions (random permutations, never draws with replacement), seeded. A partition whose
 * statistic equals the observed one up to rounding (1e-12 relative) is not counted as greater.
 *
 * Missing words are listed in the result, never silently dropped; a set that loses more than
 * maxMissingFraction (default 20%) of its words, or keeps fewer than 2, is an error.
 */
import { SeededRandom } from '../../engine/random.js';
import { ConfigError, NonFiniteError, ShapeMismatchError } from '../../errors.js';
import { clopperPearson } from '../../metrics/index.js';

export type Vector = ArrayLike<number>;
/** Maps a word to its vector, or undefined when the word is not in the vocabulary. */
export type Embed = (word: string) => Vector | undefined;

export interface WeatWordSets {
  X: string[];
  Y: string[];
  A: string[];
  B: string[];
}

export interface WeatVectorSets {
  X: Vector[];
  Y: Vector[];
  A: Vector[];
  B: Vector[];
}

/** A test in the spirit of WEFE's Query: two named target sets and two named attribute sets. */
export interface WeatQuery {
  targets: [[string, string[]], [string, string[]]];
  attributes: [[string, string[]], [string, string[]]];
}

export type SetRole = 'X' | 'Y' | 'A' | 'B';
export const SET_ROLES: readonly SetRole[] = ['X', 'Y', 'A', 'B'];

export interface PermutationTestOptions {
  /** Enumerate every partition when C(|X|+|Y|, |X|) ≤ this (default 100,000). */
  exactLimit?: number;
  /** Monte Carlo re-partitions when enumeration is too large (default 100,000). */
  permutations?: number;
  /** Generator for the Monte Carlo test (default new SeededRandom(0): reproducible). */
  rng?: SeededRandom;
}

export interface WeatOptions extends PermutationTestOptions {
  /** 'sample' (ddof = 1, default: Caliskan et al., SEAT) or 'population' (ddof = 0: WEFE's default). */
  standardDeviation?: 'sample' | 'population';
  /** Largest fraction of a set's words that may be missing (default 0.2). */
  maxMissingFraction?: number;
  /** Skip the permutation test (pValue NaN) when only the effect size is needed. */
  skipPValue?: boolean;
}

export interface PermutationTestResult {
  pValue: number;
  /** True when every partition was enumerated. */
  exact: boolean;
  /** Partitions evaluated: C(n, |X|) when exact, else the Monte Carlo count. */
  permutations: number;
  /** Partitions whose statistic exceeded the observed one. */
  exceedances: number;
  /** Monte Carlo only: 95% Clopper–Pearson interval for the exact p-value. */
  pValueInterval?: { low: number; high: number };
}

export interface WeatEffect {
  effectSize: number;
  /** s(X, Y, A, B). */
  statistic: number;
  /** Sample variance (ddof = 1) of s(w, A, B) over X ∪ Y: CEAT's in-sample variance. */
  associationVariance: number;
  /** s(w, A, B) for X then Y. */
  associations: Float64Array;
}

export interface WeatResult extends WeatEffect, PermutationTestResult {
  /** Words not found, in set order (X, Y, A, B). */
  missing: string[];
  missingBySet: Record<SetRole, string[]>;
  /** Set names (query names, or X/Y/A/B). */
  names: Record<SetRole, string>;
  /** Words used per set after removing missing ones. */
  sizes: Record<SetRole, number>;
}

function unitRows(vectors: Vector[], role: string, names?: string[]): { rows: Float64Array[]; dim: number } {
  const rows: Float64Array[] = [];
  let dim = -1;
  vectors.forEach((v, i) => {
    const label = names ? JSON.stringify(names[i]) : `${role}[${i}]`;
    if (dim === -1) dim = v.length;
    if (v.length !== dim) throw new ShapeMismatchError(`WEAT: vector of ${label} in set ${role} has ${v.length} dimensions, expected ${dim}`);
    let norm = 0;
    for (let j = 0; j < v.length; j++) norm += v[j] * v[j];
    norm = Math.sqrt(norm);
    if (!(norm > 0) || !Number.isFinite(norm)) {
      throw new NonFiniteError(`WEAT: vector of ${label} in set ${role} has norm ${norm}; cosine similarity is undefined`);
    }
    const row = new Float64Array(v.length);
    for (let j = 0; j < v.length; j++) row[j] = v[j] / norm;
    rows.push(row);
  });
  return { rows, dim };
}

function meanCosine(w: Float64Array, set: Float64Array[]): number {
  let total = 0;
  for (const a of set) {
    let dot = 0;
    for (let j = 0; j < w.length; j++) dot += w[j] * a[j];
    total += dot;
  }
  return total / set.length;
}

/** s(w, A, B) for every target vector; `names` (optional) label vectors in error messages. */
export function associations(
  targets: Vector[],
  A: Vector[],
  B: Vector[],
  names: { targets?: string[]; A?: string[]; B?: string[] } = {},
): Float64Array {
  const t = unitRows(targets, 'X ∪ Y', names.targets);
  const a = unitRows(A, 'A', names.A);
  const b = unitRows(B, 'B', names.B);
  if (a.dim !== t.dim || b.dim !== t.dim) {
    throw new ShapeMismatchError(`WEAT: targets have ${t.dim} dimensions but A has ${a.dim} and B has ${b.dim}`);
  }
  return Float64Array.from(t.rows, (w) => meanCosine(w, a.rows) - meanCosine(w, b.rows));
}

function checkSetSizes(sets: WeatVectorSets): void {
  for (const role of SET_ROLES) {
    if (sets[role].length < 2) throw new ConfigError(`WEAT: set ${role} has ${sets[role].length} vectors; every set needs at least 2`);
  }
}

/** Effect size, statistic and association variance from the s(w, A, B) values of X then Y. */
export function weatEffectFromAssociations(
  values: Float64Array,
  sizeX: number,
  standardDeviation: 'sample' | 'population' = 'sample',
): WeatEffect {
  const n = values.length;
  const sizeY = n - sizeX;
  if (sizeX < 1 || sizeY < 1) throw new ConfigError(`WEAT: both target sets need words, got |X|=${sizeX}, |Y|=${sizeY}`);
  let sumX = 0;
  let sumY = 0;
  for (let i = 0; i < sizeX; i++) sumX += values[i];
  for (let i = sizeX; i < n; i++) sumY += values[i];
  const mean = (sumX + sumY) / n;
  let squares = 0;
  for (let i = 0; i < n; i++) squares += (values[i] - mean) ** 2;
  const sampleVariance = squares / (n - 1);
  const variance = standardDeviation === 'sample' ? sampleVariance : squares / n;
  const sd = Math.sqrt(variance);
  if (!(sd > 0)) {
    throw new NonFiniteError('WEAT: every target word has the same association s(w, A, B), so the effect size is undefined (0/0)');
  }
  return {
    effectSize: (sumX / sizeX - sumY / sizeY) / sd,
    statistic: sumX - sumY,
    associationVariance: sampleVariance,
    associations: values,
  };
}

/** C(n, k) as a float (exact for the sizes where it decides enumeration). */
export function binomialCoefficient(n: number, k: number): number {
  if (k < 0 || k > n) return 0;
  const m = Math.min(k, n - k);
  let c = 1;
  for (let i = 1; i <= m; i++) c = (c * (n - m + i)) / i;
  return c;
}

/**
 * One-sided permutation p-value P(s(X_i, Y_i) > s(X, Y)) from the associations of X (first
 * sizeX values) and Y. Since s(X_i, Y_i) = 2·Σ_{X_i} s − Σ_{X∪Y} s, comparing statistics is
 * comparing the sums over X_i, which is what is enumerated or sampled.
 */
export function weatPermutationTest(values: Float64Array, sizeX: number, options: PermutationTestOptions = {}): PermutationTestResult {
  const n = values.length;
  const exactLimit = options.exactLimit ?? 100_000;
  const permutations = options.permutations ?? 100_000;
  if (!Number.isInteger(permutations) || permutations < 1) {
    throw new ConfigError(`WEAT: permutations must be a positive integer, got ${permutations}`);
  }
  if (!Number.isInteger(sizeX) || sizeX < 1 || sizeX >= n) {
    throw new ConfigError(`WEAT: |X| must be between 1 and ${n - 1} (the number of target vectors minus one), got ${sizeX}`);
  }
  let observed = 0;
  let scale = 0;
  for (let i = 0; i < n; i++) {
    if (i < sizeX) observed += values[i];
    scale += Math.abs(values[i]);
  }
  const threshold = observed + 1e-12 * scale;
  const partitions = binomialCoefficient(n, sizeX);

  if (partitions <= exactLimit) {
    let exceedances = 0;
    // Depth-first over subsets of size sizeX in index order, carrying the partial sum.
    const visit = (start: number, remaining: number, partial: number): void => {
      if (remaining === 0) {
        if (partial > threshold) exceedances++;
        return;
      }
      for (let i = start; i <= n - remaining; i++) visit(i + 1, remaining - 1, partial + values[i]);
    };
    visit(0, sizeX, 0);
    return { pValue: exceedances / partitions, exact: true, permutations: partitions, exceedances };
  }

  const rng = options.rng ?? new SeededRandom(0);
  const order = Int32Array.from({ length: n }, (_, i) => i);
  let exceedances = 0;
  for (let p = 0; p < permutations; p++) {
    // Partial Fisher–Yates: the first sizeX slots become a uniform random subset.
    let sum = 0;
    for (let i = 0; i < sizeX; i++) {
      const j = i + rng.int(n - i);
      const tmp = order[i];
      order[i] = order[j];
      order[j] = tmp;
      sum += values[order[i]];
    }
    if (sum > threshold) exceedances++;
  }
  const { low, high } = clopperPearson(exceedances, permutations, 0.95);
  return { pValue: exceedances / permutations, exact: false, permutations, exceedances, pValueInterval: { low, high } };
}

/**
 * WEAT on vectors (SEAT and CEAT feed sentence or contextual vectors here). `labels`, when
 * given, names each vector in error messages.
 */
export function weatFromVectors(
  sets: WeatVectorSets,
  options: WeatOptions = {},
  labels?: WeatWordSets,
): WeatEffect & PermutationTestResult {
  checkSetSizes(sets);
  const values = associations(
    [...sets.X, ...sets.Y],
    sets.A,
    sets.B,
    labels ? { targets: [...labels.X, ...labels.Y], A: labels.A, B: labels.B } : {},
  );
  const effect = weatEffectFromAssociations(values, sets.X.length, options.standardDeviation ?? 'sample');
  const test: PermutationTestResult = options.skipPValue
    ? { pValue: Number.NaN, exact: false, permutations: 0, exceedances: 0 }
    : weatPermutationTest(values, sets.X.length, options);
  return { ...effect, ...test };
}

function isQuery(sets: WeatWordSets | WeatQuery): sets is WeatQuery {
  return 'targets' in sets && 'attributes' in sets;
}

/** Plain word sets and their display names from either form. */
export function normaliseSets(sets: WeatWordSets | WeatQuery): { words: WeatWordSets; names: Record<SetRole, string> } {
  if (isQuery(sets)) {
    const [[nx, x], [ny, y]] = sets.targets;
    const [[na, a], [nb, b]] = sets.attributes;
    return { words: { X: x, Y: y, A: a, B: b }, names: { X: nx, Y: ny, A: na, B: nb } };
  }
  return { words: sets, names: { X: 'X', Y: 'Y', A: 'A', B: 'B' } };
}

export interface ResolvedWords {
  vectors: WeatVectorSets;
  /** The words kept, per set, aligned with `vectors`. */
  words: WeatWordSets;
  missing: string[];
  missingBySet: Record<SetRole, string[]>;
}

/**
 * Looks every word up, applying the missing-word policy: report all missing words, and refuse
 * when a set lost more than maxMissingFraction of its words or has fewer than 2 left.
 */
export function resolveWords(
  words: WeatWordSets,
  names: Record<SetRole, string>,
  embed: Embed,
  maxMissingFraction = 0.2,
): ResolvedWords {
  if (!(maxMissingFraction >= 0 && maxMissingFraction <= 1)) {
    throw new ConfigError(`WEAT: maxMissingFraction must be in [0, 1], got ${maxMissingFraction}`);
  }
  const vectors = { X: [], Y: [], A: [], B: [] } as WeatVectorSets;
  const kept = { X: [], Y: [], A: [], B: [] } as WeatWordSets;
  const missingBySet = { X: [], Y: [], A: [], B: [] } as Record<SetRole, string[]>;
  for (const role of SET_ROLES) {
    const list = words[role];
    if (!Array.isArray(list) || list.length === 0) throw new ConfigError(`WEAT: set ${names[role]} (${role}) is empty`);
    for (const word of list) {
      const v = embed(word);
      if (v === undefined || v === null) missingBySet[role].push(word);
      else {
        vectors[role].push(v);
        kept[role].push(word);
      }
    }
  }
  for (const role of SET_ROLES) {
    const lost = missingBySet[role].length;
    const total = words[role].length;
    if (lost / total > maxMissingFraction || total - lost < 2) {
      throw new ConfigError(
        `WEAT: set ${JSON.stringify(names[role])} (${role}) has ${lost} of ${total} words missing from the vocabulary ` +
          `(${Math.round((100 * lost) / total)}%: ${missingBySet[role].join(', ')}); the limit is ` +
          `${Math.round(100 * maxMissingFraction)}% and at least 2 words must remain. Use embeddings that cover the set, ` +
          `edit the set, or raise maxMissingFraction knowingly`,
      );
    }
  }
  return { vectors, words: kept, missing: SET_ROLES.flatMap((r) => missingBySet[r]), missingBySet };
}

/** Runs WEAT on word sets (plain {X, Y, A, B} or a WeatQuery) with the given embedding lookup. */
export function weat(sets: WeatWordSets | WeatQuery, embed: Embed, options: WeatOptions = {}): WeatResult {
  const { words, names } = normaliseSets(sets);
  const resolved = resolveWords(words, names, embed, options.maxMissingFraction);
  const result = weatFromVectors(resolved.vectors, options, resolved.words);
  const sizes = { X: resolved.words.X.length, Y: resolved.words.Y.length, A: resolved.words.A.length, B: resolved.words.B.length };
  return { ...result, missing: resolved.missing, missingBySet: resolved.missingBySet, names, sizes };
}
