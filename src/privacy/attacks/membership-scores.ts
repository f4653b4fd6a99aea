/**
 * Membership-inference scores from per-example model outputs. Pure functions: the caller
 * (the audit) produces losses or logits from target and shadow models.
 *
 * Convention: a higher score means "more likely a member".
 */
import { logNormalCdf } from '../accounting/special-functions.js';
import { ShapeMismatchError, ConfigError } from '../../errors.js';

/** Loss-threshold attack (Yeom et al. 2018): members have lower loss, so score = −loss. */
export function lossThresholdScores(losses: ArrayLike<number>): Float64Array {
  return Float64Array.from(losses, (l) => -l);
}

/**
 * LiRA's statistic (Carlini et al. 2022): the logit of the true-class probability,
 * φ = log p_y − log(1 − p_y), computed stably from logits as z_y − logsumexp_{c≠y} z_c.
 * `logits` is [N, C] row-major.
 */
export function logitScaledConfidence(logits: ArrayLike<number>, labels: ArrayLike<number>, classes: number): Float64Array {
  const n = labels.length;
  if (logits.length !== n * classes) throw new ShapeMismatchError(`logits hold ${logits.length} values, expected ${n}×${classes}`);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const y = labels[i];
    let max = -Infinity;
    for (let c = 0; c < classes; c++) if (c !== y) max = Math.max(max, logits[i * classes + c]);
    let sum = 0;
    for (let c = 0; c < classes; c++) if (c !== y) sum += Math.exp(logits[i * classes + c] - max);
    out[i] = logits[i * classes + y] - (max + Math.log(sum));
  }
  return out;
}

/**
 * Probabilities are floored here before their logs, so a saturated output (a class probability
 * that rounds to 1, the others to 0) gives a large finite φ and loss (at most −ln(1e−38) ≈ 87.5)
 * instead of ±∞, which would break LiRA's medians.
 */
export const PROBABILITY_FLOOR = 1e-38;

/**
 * LiRA's φ and the cross-entropy loss from class probabilities, for a target known only by its
 * scores (a black-box TextClassifier). φ = log p_y − log Σ_{c≠y} p_c, which equals the logit
 * form z_y − logsumexp_{c≠y} z_c because softmax's normaliser cancels; summing the other
 * classes (rather than 1 − p_y) keeps precision when p_y is close to 1. Loss = −log p_y.
 * `probabilities` is [N, C] row-major.
 */
export function statisticsFromProbabilities(probabilities: ArrayLike<number>, labels: ArrayLike<number>, classes: number): { stats: Float64Array; losses: Float64Array } {
  const n = labels.length;
  if (probabilities.length !== n * classes) throw new ShapeMismatchError(`probabilities hold ${probabilities.length} values, expected ${n}×${classes}`);
  const stats = new Float64Array(n);
  const losses = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const y = labels[i];
    if (!(Number.isInteger(y) && y >= 0 && y < classes)) throw new ShapeMismatchError(`label ${y} of example ${i} is not a class index in [0, ${classes})`);
    let others = 0;
    for (let c = 0; c < classes; c++) if (c !== y) others += probabilities[i * classes + c];
    const logPy = Math.log(Math.max(probabilities[i * classes + y], PROBABILITY_FLOOR));
    stats[i] = logPy - Math.log(Math.max(others, PROBABILITY_FLOOR));
    losses[i] = -logPy;
  }
  return { stats, losses };
}

function logNormalPdf(x: number, mean: number, std: number): number {
  const z = (x - mean) / std;
  return -0.5 * z * z - Math.log(std) - 0.5 * Math.log(2 * Math.PI);
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : 0.5 * (s[m - 1] + s[m]);
}

function std(values: number[], center: number): number {
  if (values.length < 2) return NaN;
  let ss = 0;
  for (const v of values) ss += (v - center) ** 2;
  return Math.sqrt(ss / (values.length - 1));
}

export interface LiraOptions {
  /** 'online' uses IN and OUT shadow models; 'offline' only OUT models (one-sided test). */
  mode: 'online' | 'offline';
  /**
   * One variance shared by every example (estimated over all examples' shadow statistics),
   * as Carlini et al. recommend when there are few shadow models (default: true when fewer
   * than 64 shadows).
   */
  globalVariance?: boolean;
}

/**
 * LiRA scores for N target examples. `targetStats[i]` is φ of the target model on example i;
 * `shadowStats[s][i]` is φ of shadow model s on example i and `shadowIn[s][i]` says whether
 * example i was in shadow s's training set. Per example, φ's IN and OUT distributions are
 * Gaussians (means: medians of the shadow statistics, as in the reference implementation).
 * Online: score = log N(φ; μ_in, σ_in) − log N(φ; μ_out, σ_out).
 * Offline: score = log P[Φ_out ≤ φ] (one-sided: larger than OUT models usually give).
 */
export function liraScores(
  targetStats: ArrayLike<number>,
  shadowStats: ArrayLike<number>[],
  shadowIn: ArrayLike<boolean | number>[],
  options: LiraOptions,
): Float64Array {
  const n = targetStats.length;
  const S = shadowStats.length;
  if (S === 0) throw new ConfigError('LiRA needs at least one shadow model');
  if (shadowIn.length !== S) throw new ShapeMismatchError(`${S} shadow statistic rows but ${shadowIn.length} membership rows`);
  for (let s = 0; s < S; s++) {
    if (shadowStats[s].length !== n || shadowIn[s].length !== n) {
      throw new ShapeMismatchError(`shadow ${s} covers ${shadowStats[s].length} examples, expected ${n}`);
    }
  }
  const globalVariance = options.globalVariance ?? S < 64;
  const ins: number[][] = [];
  const outs: number[][] = [];
  for (let i = 0; i < n; i++) {
    const inn: number[] = [];
    const out: number[] = [];
    for (let s = 0; s < S; s++) (shadowIn[s][i] ? inn : out).push(shadowStats[s][i]);
    ins.push(inn);
    outs.push(out);
  }
  // pooled deviations from each example's own median, for the global variance
  const pooled = (groups: number[][]) => {
    const dev: number[] = [];
    for (const g of groups) {
      if (g.length === 0) continue;
      const m = median(g);
      for (const v of g) dev.push(v - m);
    }
    return Math.max(std(dev, 0), 1e-6);
  };
  const globalIn = pooled(ins);
  const globalOut = pooled(outs);
  const scores = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const out = outs[i];
    if (out.length === 0) throw new ConfigError(`example ${i} is IN every shadow model: LiRA needs OUT shadows for every example`);
    const muOut = median(out);
    const sdOut = globalVariance || out.length < 2 ? globalOut : Math.max(std(out, muOut), 1e-6);
    const phi = targetStats[i];
    if (options.mode === 'offline') {
      scores[i] = logNormalCdf((phi - muOut) / sdOut);
      continue;
    }
    const inn = ins[i];
    if (inn.length === 0) throw new ConfigError(`example ${i} is OUT of every shadow model: online LiRA needs IN shadows too (use more shadows or offline mode)`);
    const muIn = median(inn);
    const sdIn = globalVariance || inn.length < 2 ? globalIn : Math.max(std(inn, muIn), 1e-6);
    scores[i] = logNormalPdf(phi, muIn, sdIn) - logNormalPdf(phi, muOut, sdOut);
  }
  return scores;
}
