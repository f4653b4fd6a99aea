/**
 * Plausible-deniability statistics of a word mechanism (Feyisetan et al., WSDM 2020, §5.1):
 * N_w = P(M(w) = w), the probability that a word comes out unchanged, and S_w, the number of
 * distinct words M(w) produces in N draws (the effective support of its output distribution).
 * Both are estimated by sampling: N_w with an exact Clopper–Pearson interval over all draws;
 * S_w, a property of N draws, as the mean over R independent replicates of N draws each, with
 * a Student-t interval when R ≥ 2. Madlib chooses ε from these statistics over a vocabulary
 * (e.g. the ε whose median N_w is a target): chooseEpsilon.
 */
import { ConfigError } from '../../errors.js';
import { SeededRandom } from '../../engine/random.js';
import { bootstrapSampleCI, clopperPearson, quantileSorted, studentTQuantile } from '../../metrics/index.js';
import type { WordMechanism } from './word-mechanism.js';

export interface DeniabilityOptions {
  /** Draws per word and replicate, N (default 1000). */
  samples?: number;
  /** Independent replicates of N draws (default 1; ≥ 2 gives an interval for S_w). */
  replicates?: number;
  /** Two-sided confidence level of the intervals (default 0.95). */
  confidence?: number;
}

export interface DeniabilityInterval {
  low: number;
  high: number;
}

export interface WordDeniability {
  word: string;
  /** N_w: fraction of all draws that returned the word itself. */
  unchanged: number;
  unchangedInterval: DeniabilityInterval;
  /** S_w: distinct outputs in N draws (mean over replicates). */
  distinct: number;
  /** Student-t interval for the expected S_w over replicates; null with one replicate. */
  distinctInterval: DeniabilityInterval | null;
  samples: number;
  replicates: number;
  /** How often each output word came up, over all draws (most frequent first). */
  outputs: { word: string; count: number }[];
}

function checkPositiveInteger(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) throw new ConfigError(`${name} must be a positive integer, got ${value}`);
}

/** N_w and S_w for each word (every word must be in the mechanism's vocabulary). */
export function plausibleDeniability(mechanism: WordMechanism, words: readonly string[], options: DeniabilityOptions = {}): WordDeniability[] {
  const samples = options.samples ?? 1000;
  const replicates = options.replicates ?? 1;
  const confidence = options.confidence ?? 0.95;
  checkPositiveInteger('samples', samples);
  checkPositiveInteger('replicates', replicates);
  if (!(confidence > 0 && confidence < 1)) throw new ConfigError(`confidence must be in (0, 1), got ${confidence}`);
  const space = mechanism.space;
  const ids = words.map((w) => {
    const id = space.idOf(w);
    if (id === undefined) throw new ConfigError(`word ${JSON.stringify(w)} is not in the embedding vocabulary (${space.size} words)`);
    return id;
  });
  const draws = samples * replicates;
  // Word-major: word i's draws are positions [i·draws, (i+1)·draws).
  const input = new Int32Array(ids.length * draws);
  ids.forEach((id, i) => input.fill(id, i * draws, (i + 1) * draws));
  const output = mechanism.privatizeIds(input);
  return ids.map((id, i) => {
    const base = i * draws;
    let same = 0;
    const counts = new Map<number, number>();
    const distinctPerReplicate: number[] = [];
    for (let r = 0; r < replicates; r++) {
      const seen = new Set<number>();
      for (let s = 0; s < samples; s++) {
        const y = output[base + r * samples + s];
        seen.add(y);
        counts.set(y, (counts.get(y) ?? 0) + 1);
        if (y === id) same++;
      }
      distinctPerReplicate.push(seen.size);
    }
    const cp = clopperPearson(same, draws, confidence);
    const meanDistinct = distinctPerReplicate.reduce((a, b) => a + b, 0) / replicates;
    let distinctInterval: DeniabilityInterval | null = null;
    if (replicates >= 2) {
      const variance = distinctPerReplicate.reduce((a, b) => a + (b - meanDistinct) ** 2, 0) / (replicates - 1);
      const half = studentTQuantile(confidence, replicates - 1) * Math.sqrt(variance / replicates);
      distinctInterval = { low: Math.max(1, meanDistinct - half), high: Math.min(samples, meanDistinct + half) };
    }
    return {
      word: words[i],
      unchanged: cp.estimate,
      unchangedInterval: { low: cp.low, high: cp.high },
      distinct: meanDistinct,
      distinctInterval,
      samples,
      replicates,
      outputs: [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0]).map(([y, count]) => ({ word: space.words[y], count })),
    };
  });
}

export interface MedianWithInterval {
  median: number;
  /** Percentile bootstrap interval over the words (1000 resamples). */
  low: number;
  high: number;
}

/** Median of per-word values with a seeded bootstrap interval over words. */
export function medianOverWords(values: readonly number[], seed = 0, confidence = 0.95): MedianWithInterval {
  if (values.length === 0) throw new ConfigError('median over words: no words');
  const median = (sample: number[]) => quantileSorted([...sample].sort((a, b) => a - b), 0.5);
  const ci = bootstrapSampleCI(median, [...values], { rng: new SeededRandom(seed).fork('median-over-words'), confidence, resamples: 1000 });
  return { median: ci.estimate, low: ci.low, high: ci.high };
}

export interface ChooseEpsilonOptions {
  /** Makes the mechanism for an ε; give it a fixed seed so every ε sees the same draws. */
  create: (epsilon: number) => WordMechanism;
  /** Words to average over: a sample of the vocabulary (or of a dataset's words). */
  words: readonly string[];
  /** Target median N_w, in (0, 1). */
  targetMedianUnchanged: number;
  /** Search bracket for ε (defaults 0.1 and 1000). */
  low?: number;
  high?: number;
  /** Draws per word at each ε tried (default 200). */
  samples?: number;
  /** Stop when high/low − 1 falls below this (default 0.01). */
  relativeTolerance?: number;
}

export interface ChooseEpsilonResult {
  /** The largest ε tried whose median N_w is at most the target. */
  epsilon: number;
  medianUnchanged: MedianWithInterval;
  /** Every ε tried, in order. */
  evaluations: { epsilon: number; medianUnchanged: number }[];
}

/**
 * Madlib's selection rule: the largest ε whose median N_w over `words` is at most the target
 * (larger ε keeps more words, i.e. more utility, so this is the most useful ε that still
 * changes words at least as often as required). Bisection on log ε; the median N_w grows with
 * ε (for Madlib and Mahalanobis with common random draws it is monotone: the noisy point moves
 * along a ray towards φ(w), and w's Voronoi cell is convex).
 */
export function chooseEpsilon(options: ChooseEpsilonOptions): ChooseEpsilonResult {
  const target = options.targetMedianUnchanged;
  if (!(target > 0 && target < 1)) throw new ConfigError(`target median N_w must be in (0, 1), got ${target}`);
  let low = options.low ?? 0.1;
  let high = options.high ?? 1000;
  if (!(low > 0 && high > low)) throw new ConfigError(`the ε bracket must satisfy 0 < low < high, got [${low}, ${high}]`);
  const samples = options.samples ?? 200;
  const tolerance = options.relativeTolerance ?? 0.01;
  const evaluations: { epsilon: number; medianUnchanged: number }[] = [];
  const evaluate = (epsilon: number): WordDeniability[] => {
    const stats = plausibleDeniability(options.create(epsilon), options.words, { samples });
    evaluations.push({ epsilon, medianUnchanged: quantileSorted(stats.map((s) => s.unchanged).sort((a, b) => a - b), 0.5) });
    return stats;
  };
  const medianOf = (stats: WordDeniability[]) => quantileSorted(stats.map((s) => s.unchanged).sort((a, b) => a - b), 0.5);
  let lowStats = evaluate(low);
  if (medianOf(lowStats) > target) {
    throw new ConfigError(`even at ε = ${low} the median N_w is ${medianOf(lowStats).toFixed(3)} > target ${target}: lower the bracket's low end`);
  }
  const highStats = evaluate(high);
  if (medianOf(highStats) <= target) {
    return { epsilon: high, medianUnchanged: medianOverWords(highStats.map((s) => s.unchanged)), evaluations };
  }
  while (high / low - 1 > tolerance) {
    const mid = Math.sqrt(low * high);
    const stats = evaluate(mid);
    if (medianOf(stats) <= target) {
      low = mid;
      lowStats = stats;
    } else {
      high = mid;
    }
  }
  return { epsilon: low, medianUnchanged: medianOverWords(lowStats.map((s) => s.unchanged)), evaluations };
}
