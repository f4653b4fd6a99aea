/**
 * Rank correlations: Spearman's rho (Pearson correlation of average ranks, so ties are handled)
 * and Kendall's tau-b (tie-corrected), each with a p-value for "no association" and a
 * Fisher-z confidence interval.
 *
 * Confidence intervals: z = atanh(r) is treated as normal with the variances of Fieller,
 * Hartley & Pearson (1957): 1.06/(n−3) for Spearman and 0.437/(n−4) for Kendall; the interval
 * is tanh(z ± z_{1−α/2}·se). With n ≤ 3 (Spearman) or n ≤ 4 (Kendall) the interval is the
 * uninformative [−1, 1]. For a distribution-free interval, bootstrap spearmanRho/kendallTauB
 * with bootstrapCI instead.
 *
 * p-values (two-sided):
 * - Spearman: t = r·√((n−2)/(1−r²)) against Student's t with n−2 df (as scipy.stats.spearmanr).
 * - Kendall: exact (permutation distribution of the number of discordant pairs) when there are
 *   no ties and n ≤ 50; otherwise the normal approximation with the tie-corrected variance of
 *   Kendall (1970) (as scipy.stats.kendalltau's 'asymptotic' method).
 * Kendall's tau is computed by comparing all pairs: O(n²), fine for n up to ~10⁴.
 */
import { ConfigError } from '../errors.js';
import { checkFinite, checkSameLength } from './input-checks.js';
import { averageRanks } from './ranks.js';
import { normalQuantile, normalSurvival, studentTTwoSidedPValue } from './special-functions.js';

export interface CorrelationResult {
  /** rho or tau-b. */
  estimate: number;
  n: number;
  /** Two-sided p-value for the null hypothesis of no association. */
  pValue: number;
  pValueMethod: 'student-t' | 'exact' | 'normal-approximation';
  confidence: number;
  /** Fisher-z interval (see the module comment). */
  low: number;
  high: number;
}

export interface CorrelationOptions {
  /** Confidence level of the interval (default 0.95). */
  confidence?: number;
}

function checkInputs(what: string, x: ArrayLike<number>, y: ArrayLike<number>): void {
  checkSameLength(what, x, 'x', y, 'y');
  checkFinite(what, x, 'x');
  checkFinite(what, y, 'y');
}

function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  let meanA = 0;
  let meanB = 0;
  for (let i = 0; i < n; i++) {
    meanA += a[i];
    meanB += b[i];
  }
  meanA /= n;
  meanB /= n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    const da = a[i] - meanA;
    const db = b[i] - meanB;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  if (saa === 0 || sbb === 0) return Number.NaN;
  return Math.max(-1, Math.min(1, sab / Math.sqrt(saa * sbb)));
}

/** Spearman's rho; NaN when either variable is constant (no ranking to correlate). */
export function spearmanRho(x: ArrayLike<number>, y: ArrayLike<number>): number {
  checkInputs('spearmanRho', x, y);
  return pearson(averageRanks(x), averageRanks(y));
}

interface PairCounts {
  /** Concordant minus discordant pairs. */
  score: number;
  discordant: number;
  concordant: number;
}

function pairCounts(x: ArrayLike<number>, y: ArrayLike<number>): PairCounts {
  let concordant = 0;
  let discordant = 0;
  for (let i = 0; i < x.length; i++) {
    for (let j = i + 1; j < x.length; j++) {
      const s = Math.sign(x[i] - x[j]) * Math.sign(y[i] - y[j]);
      if (s > 0) concordant++;
      else if (s < 0) discordant++;
    }
  }
  return { score: concordant - discordant, concordant, discordant };
}

interface TieSums {
  /** Σ t(t−1)/2 over tie groups: pairs tied on this variable. */
  pairs: number;
  /** Σ t(t−1)(t−2). */
  cubic: number;
  /** Σ t(t−1)(2t+5). */
  variance: number;
}

function tieSums(values: ArrayLike<number>): TieSums {
  const counts = new Map<number, number>();
  for (let i = 0; i < values.length; i++) counts.set(values[i], (counts.get(values[i]) ?? 0) + 1);
  const sums: TieSums = { pairs: 0, cubic: 0, variance: 0 };
  for (const t of counts.values()) {
    if (t < 2) continue;
    sums.pairs += (t * (t - 1)) / 2;
    sums.cubic += t * (t - 1) * (t - 2);
    sums.variance += t * (t - 1) * (2 * t + 5);
  }
  return sums;
}

function tauB(counts: PairCounts, n: number, tx: TieSums, ty: TieSums): number {
  const totalPairs = (n * (n - 1)) / 2;
  const denominator = Math.sqrt((totalPairs - tx.pairs) * (totalPairs - ty.pairs));
  return denominator === 0 ? Number.NaN : counts.score / denominator;
}

/** Kendall's tau-b; NaN when either variable is constant. */
export function kendallTauB(x: ArrayLike<number>, y: ArrayLike<number>): number {
  checkInputs('kendallTauB', x, y);
  return tauB(pairCounts(x, y), x.length, tieSums(x), tieSums(y));
}

/**
 * P(K ≤ k) where K is the number of inversions of a uniformly random permutation of n items
 * (the null distribution of the discordant-pair count without ties). Built one item at a
 * time: inserting item m adds 0..m−1 inversions with equal probability.
 */
export function inversionCountCdf(n: number, k: number): number {
  const maxInversions = (n * (n - 1)) / 2;
  if (k < 0) return 0;
  if (k >= maxInversions) return 1;
  let distribution = new Float64Array([1]);
  for (let m = 2; m <= n; m++) {
    const next = new Float64Array(distribution.length + m - 1);
    let window = 0;
    for (let j = 0; j < next.length; j++) {
      if (j < distribution.length) window += distribution[j];
      if (j - m >= 0 && j - m < distribution.length) window -= distribution[j - m];
      next[j] = window / m;
    }
    distribution = next;
  }
  let cdf = 0;
  for (let j = 0; j <= k; j++) cdf += distribution[j];
  return Math.min(1, cdf);
}

function fisherInterval(r: number, varianceFactor: number, dof: number, confidence: number): { low: number; high: number } {
  if (dof <= 0 || !Number.isFinite(r)) return { low: -1, high: 1 };
  const half = normalQuantile(1 - (1 - confidence) / 2) * Math.sqrt(varianceFactor / dof);
  const z = Math.atanh(r);
  return { low: Math.tanh(z - half), high: Math.tanh(z + half) };
}

function checkConfidence(what: string, confidence: number): void {
  if (!(confidence > 0 && confidence < 1)) throw new ConfigError(`${what}: confidence must be in (0, 1), got ${confidence}`);
}

function checkVaries(what: string, x: ArrayLike<number>, name: string): void {
  for (let i = 1; i < x.length; i++) if (x[i] !== x[0]) return;
  throw new ConfigError(`${what}: ${name} is constant (all ${x.length} values equal ${x[0]}); a rank correlation is undefined`);
}

/** Spearman's rho with a two-sided p-value and a Fisher-z interval (variance 1.06/(n−3)). */
export function spearman(x: ArrayLike<number>, y: ArrayLike<number>, options: CorrelationOptions = {}): CorrelationResult {
  const confidence = options.confidence ?? 0.95;
  checkConfidence('spearman', confidence);
  checkInputs('spearman', x, y);
  const n = x.length;
  if (n < 3) throw new ConfigError(`spearman: needs at least 3 pairs, got ${n}`);
  checkVaries('spearman', x, 'x');
  checkVaries('spearman', y, 'y');
  const rho = pearson(averageRanks(x), averageRanks(y));
  const pValue = Math.abs(rho) === 1 ? 0 : studentTTwoSidedPValue(rho * Math.sqrt((n - 2) / (1 - rho * rho)), n - 2);
  return { estimate: rho, n, pValue, pValueMethod: 'student-t', confidence, ...fisherInterval(rho, 1.06, n - 3, confidence) };
}

export interface KendallOptions extends CorrelationOptions {
  /** 'auto' (default): exact without ties and n ≤ 50, else the normal approximation. */
  pValueMethod?: 'auto' | 'exact' | 'normal-approximation';
}

/** Kendall's tau-b with a two-sided p-value and a Fisher-z interval (variance 0.437/(n−4)). */
export function kendallTau(x: ArrayLike<number>, y: ArrayLike<number>, options: KendallOptions = {}): CorrelationResult {
  const confidence = options.confidence ?? 0.95;
  checkConfidence('kendallTau', confidence);
  checkInputs('kendallTau', x, y);
  const n = x.length;
  if (n < 3) throw new ConfigError(`kendallTau: needs at least 3 pairs, got ${n}`);
  checkVaries('kendallTau', x, 'x');
  checkVaries('kendallTau', y, 'y');
  const counts = pairCounts(x, y);
  const tx = tieSums(x);
  const ty = tieSums(y);
  const tau = tauB(counts, n, tx, ty);
  const hasTies = tx.pairs > 0 || ty.pairs > 0;
  const requested = options.pValueMethod ?? 'auto';
  if (requested === 'exact' && hasTies) {
    throw new ConfigError('kendallTau: the exact p-value needs data without ties; use pValueMethod "normal-approximation"');
  }
  const method = requested === 'auto' ? (!hasTies && n <= 50 ? 'exact' : 'normal-approximation') : requested;
  let pValue: number;
  if (method === 'exact') {
    pValue = Math.min(1, 2 * inversionCountCdf(n, Math.min(counts.concordant, counts.discordant)));
  } else {
    const m = n * (n - 1);
    const variance =
      (m * (2 * n + 5) - tx.variance - ty.variance) / 18 +
      (2 * tx.pairs * ty.pairs) / m +
      (n > 2 ? (tx.cubic * ty.cubic) / (9 * m * (n - 2)) : 0);
    pValue = Math.min(1, 2 * normalSurvival(Math.abs(counts.score) / Math.sqrt(variance)));
  }
  return { estimate: tau, n, pValue, pValueMethod: method, confidence, ...fisherInterval(tau, 0.437, n - 4, confidence) };
}
