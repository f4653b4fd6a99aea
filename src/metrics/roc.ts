/**
 * Metrics of binary scores (higher score = more likely positive), as membership-inference
 * attacks and threshold studies report them.
 *
 * Conventions:
 * - A threshold t predicts positive when score ≥ t. The curve has one point per distinct score
 *   (tied scores move together, giving a diagonal segment), starting at (0, 0) with threshold
 *   +Infinity and ending at (1, 1). Collinear points are kept.
 * - AUC is the trapezoid area under that curve, which equals the Mann–Whitney estimate
 *   P(score⁺ > score⁻) + ½·P(score⁺ = score⁻).
 * - TPR at a target FPR is read off the curve's points, never interpolated: the highest TPR of
 *   any threshold whose FPR is ≤ the target (as LiRA, Carlini et al. 2022, reports it).
 */
import { ConfigError } from '../errors.js';
import { checkFinite, checkNonEmpty, checkSameLength, toBinary } from './input-checks.js';
import { averageRanks } from './ranks.js';

export interface RocPoint {
  fpr: number;
  tpr: number;
  /** Predict positive when score ≥ threshold. */
  threshold: number;
}

interface CountedPoint {
  fp: number;
  tp: number;
  threshold: number;
}

function prepare(what: string, scores: ArrayLike<number>, labels: ArrayLike<number | boolean>) {
  checkSameLength(what, scores, 'scores', labels, 'labels');
  checkNonEmpty(what, scores, 'scores');
  checkFinite(what, scores, 'scores');
  const binary = toBinary(what, labels);
  let positives = 0;
  for (let i = 0; i < binary.length; i++) positives += binary[i];
  const negatives = binary.length - positives;
  if (positives === 0 || negatives === 0) {
    throw new ConfigError(
      `${what}: labels contain ${positives} positives and ${negatives} negatives; ROC metrics need at least one of each`,
    );
  }
  return { binary, positives, negatives };
}

function countedCurve(scores: ArrayLike<number>, binary: Uint8Array): CountedPoint[] {
  // Sort each class's scores with the native numeric sort (much faster than sorting indices with a
  // comparator), then walk both from the top, consuming every tie group across both classes at once.
  const positives: number[] = [];
  const negatives: number[] = [];
  for (let i = 0; i < scores.length; i++) (binary[i] === 1 ? positives : negatives).push(scores[i]);
  const pos = Float64Array.from(positives).sort();
  const neg = Float64Array.from(negatives).sort();
  const points: CountedPoint[] = [{ fp: 0, tp: 0, threshold: Infinity }];
  let p = pos.length - 1;
  let n = neg.length - 1;
  while (p >= 0 || n >= 0) {
    const score = Math.max(p >= 0 ? pos[p] : -Infinity, n >= 0 ? neg[n] : -Infinity);
    while (p >= 0 && pos[p] === score) p--;
    while (n >= 0 && neg[n] === score) n--;
    points.push({ fp: neg.length - 1 - n, tp: pos.length - 1 - p, threshold: score });
  }
  return points;
}

/** The ROC curve, one point per distinct score plus the (0, 0) start. */
export function rocCurve(scores: ArrayLike<number>, labels: ArrayLike<number | boolean>): RocPoint[] {
  const { binary, positives, negatives } = prepare('rocCurve', scores, labels);
  return countedCurve(scores, binary).map((p) => ({ fpr: p.fp / negatives, tpr: p.tp / positives, threshold: p.threshold }));
}

/** Area under the ROC curve (trapezoids; ties count one half). */
export function rocAuc(scores: ArrayLike<number>, labels: ArrayLike<number | boolean>): number {
  const { binary, positives, negatives } = prepare('rocAuc', scores, labels);
  const points = countedCurve(scores, binary);
  // Sum in counts, divide once: exact for integer counts up to 2^53.
  let twiceArea = 0;
  for (let k = 1; k < points.length; k++) {
    twiceArea += (points[k].fp - points[k - 1].fp) * (points[k].tp + points[k - 1].tp);
  }
  return twiceArea / (2 * positives * negatives);
}

/**
 * AUC from the Mann–Whitney U statistic: U = R⁺ − n⁺(n⁺+1)/2 with average ranks, AUC = U/(n⁺n⁻).
 * Computed independently of the curve; rocAuc must agree with it.
 */
export function mannWhitneyAuc(scores: ArrayLike<number>, labels: ArrayLike<number | boolean>): number {
  const { binary, positives, negatives } = prepare('mannWhitneyAuc', scores, labels);
  const ranks = averageRanks(scores);
  let rankSum = 0;
  for (let i = 0; i < ranks.length; i++) if (binary[i] === 1) rankSum += ranks[i];
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/** The curve point with the highest TPR among those with FPR ≤ targetFpr. */
export function rocPointAtFpr(scores: ArrayLike<number>, labels: ArrayLike<number | boolean>, targetFpr: number): RocPoint {
  if (!(targetFpr >= 0 && targetFpr <= 1)) throw new ConfigError(`tprAtFpr: target FPR must be in [0, 1], got ${targetFpr}`);
  const { binary, positives, negatives } = prepare('tprAtFpr', scores, labels);
  // Compare counts, not rounded rates: fp/n ≤ target ⇔ fp ≤ target·n (with slack for 0.1·10 style rounding).
  const maxFalsePositives = Math.floor(targetFpr * negatives + 1e-9);
  let best: CountedPoint | undefined;
  for (const p of countedCurve(scores, binary)) {
    if (p.fp <= maxFalsePositives && (!best || p.tp > best.tp)) best = p;
  }
  const chosen = best as CountedPoint; // the (0, 0) start always qualifies
  return { fpr: chosen.fp / negatives, tpr: chosen.tp / positives, threshold: chosen.threshold };
}

/** Highest TPR at FPR ≤ targetFpr (no interpolation between curve points). */
export function tprAtFpr(scores: ArrayLike<number>, labels: ArrayLike<number | boolean>, targetFpr: number): number {
  return rocPointAtFpr(scores, labels, targetFpr).tpr;
}

export interface BestThreshold extends RocPoint {
  /** (TPR + TNR) / 2 at this threshold. */
  balancedAccuracy: number;
}

/**
 * The threshold maximising balanced accuracy (TPR + 1 − FPR)/2 over the curve's points, i.e. the
 * best threshold attack's accuracy on a balanced member/non-member set (membership advantage
 * = 2·balancedAccuracy − 1). Ties go to the highest threshold.
 */
export function bestBalancedAccuracy(scores: ArrayLike<number>, labels: ArrayLike<number | boolean>): BestThreshold {
  const { binary, positives, negatives } = prepare('bestBalancedAccuracy', scores, labels);
  let best: BestThreshold | undefined;
  for (const p of countedCurve(scores, binary)) {
    const tpr = p.tp / positives;
    const fpr = p.fp / negatives;
    const value = (tpr + 1 - fpr) / 2;
    if (!best || value > best.balancedAccuracy) best = { fpr, tpr, threshold: p.threshold, balancedAccuracy: value };
  }
  return best as BestThreshold;
}
