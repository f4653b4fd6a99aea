/**
 * The leakage study's attack figures with their uncertainty: AUC with a percentile bootstrap
 * interval (trials resampled within members and non-members), TPR at 0.1% and 1% FPR with a
 * Clopper–Pearson interval on the members above the threshold, the empirical ε lower bound at
 * its confidence level, and paired AUC differences between two arms attacked on the same trials.
 */
import { SeededRandom } from '../engine/index.js';
import { clopperPearson, rocAuc, stratifiedBootstrapCI, tprAtFpr } from '../metrics/index.js';
import { epsilonLowerBoundHeldOut } from '../privacy/attacks/epsilon-lower-bound.js';

export const LOWER_BOUND_CONFIDENCE = 0.95;

export interface AttackFigures {
  auc: number;
  aucLow: number;
  aucHigh: number;
  tprAt0001: number;
  tprAt0001Low: number;
  tprAt0001High: number;
  tprAt001: number;
  tprAt001Low: number;
  tprAt001High: number;
  /** ε ≥ this with probability LOWER_BOUND_CONFIDENCE (threshold chosen on half the trials). */
  epsilonLowerBound: number;
  members: number;
  nonMembers: number;
}

const subset = (values: ArrayLike<number>, indices: Int32Array) => Float64Array.from(indices, (i) => values[i]);
const labelsOf = (isMember: readonly boolean[]) => Int32Array.from(isMember, (m) => (m ? 1 : 0));

export function attackFigures(scores: ArrayLike<number>, isMember: readonly boolean[], options: { delta: number; seed: number; resamples?: number }): AttackFigures {
  const labels = labelsOf(isMember);
  const members = labels.reduce((a, b) => a + b, 0);
  const rng = new SeededRandom(options.seed);
  const auc = stratifiedBootstrapCI((idx) => rocAuc(subset(scores, idx), subset(labels, idx)), labels, { rng: rng.fork('auc'), resamples: options.resamples ?? 200 });
  const tpr = (fpr: number) => {
    const rate = tprAtFpr(scores, labels, fpr);
    return { rate, ...clopperPearson(Math.round(rate * members), members) };
  };
  const low = tpr(0.001);
  const one = tpr(0.01);
  return {
    auc: auc.estimate,
    aucLow: auc.low,
    aucHigh: auc.high,
    tprAt0001: low.rate,
    tprAt0001Low: low.low,
    tprAt0001High: low.high,
    tprAt001: one.rate,
    tprAt001Low: one.low,
    tprAt001High: one.high,
    epsilonLowerBound: epsilonLowerBoundHeldOut(scores, isMember, rng.fork('epsilon-lower-bound'), { delta: options.delta, confidence: LOWER_BOUND_CONFIDENCE }).epsilon,
    members,
    nonMembers: labels.length - members,
  };
}

/** AUC(a) − AUC(b) on the same trials, with a paired bootstrap interval (the same resampled trials for both). */
export function pairedAucDifference(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  isMember: readonly boolean[],
  options: { seed: number; resamples?: number },
): { difference: number; low: number; high: number } {
  const labels = labelsOf(isMember);
  const ci = stratifiedBootstrapCI(
    (idx) => {
      const l = subset(labels, idx);
      return rocAuc(subset(a, idx), l) - rocAuc(subset(b, idx), l);
    },
    labels,
    { rng: new SeededRandom(options.seed).fork('paired-auc'), resamples: options.resamples ?? 200 },
  );
  return { difference: ci.estimate, low: ci.low, high: ci.high };
}
