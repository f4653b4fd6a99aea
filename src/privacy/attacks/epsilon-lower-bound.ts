/**
 * Empirical lower bound on ε from a membership attack's outcomes (Jagielski et al. 2020,
 * "Auditing differentially private machine learning"). For every threshold t the attack
 * says "member" when score ≥ t. An (ε, δ)-DP training algorithm forces
 * TPR ≤ e^ε·FPR + δ and TNR ≤ e^ε·FNR + δ, so with Clopper–Pearson bounds at the stated
 * confidence, ε ≥ ln((TPR_lo − δ) / FPR_hi) and ε ≥ ln((TNR_lo − δ) / FNR_hi). The bound is
 * the largest of these over thresholds (0 when no threshold gives evidence).
 *
 * Caveat (documented in docs/privacy-audit.md): taking the maximum over thresholds on the
 * same data is optimistic; Jagielski et al. choose the threshold on separate trials.
 * `thresholdSplit` does that: the threshold is chosen on one half and the bound computed
 * on the other.
 */
import { clopperPearson } from '../../metrics/index.js';
import { ConfigError } from '../../errors.js';
import type { SeededRandom } from '../../engine/random.js';

export interface EpsilonLowerBound {
  epsilon: number;
  /** Score threshold that gave the bound (member iff score ≥ threshold). */
  threshold: number;
  /** Which inequality gave it. */
  side: 'tpr/fpr' | 'tnr/fnr' | 'none';
  confidence: number;
  delta: number;
}

interface Counts {
  tp: number;
  fp: number;
  positives: number;
  negatives: number;
}

function boundAt(c: Counts, delta: number, confidence: number): { epsilon: number; side: EpsilonLowerBound['side'] } {
  // A two-sided Clopper–Pearson interval at level `confidence` makes each one-sided bound
  // fail with probability (1 − confidence)/2, so the pair holds with probability ≥ confidence.
  const oneSided = confidence;
  let best = { epsilon: 0, side: 'none' as EpsilonLowerBound['side'] };
  const tprLo = clopperPearson(c.tp, c.positives, oneSided).low;
  const fprHi = clopperPearson(c.fp, c.negatives, oneSided).high;
  if (tprLo - delta > 0 && fprHi > 0) {
    const e = Math.log((tprLo - delta) / fprHi);
    if (e > best.epsilon) best = { epsilon: e, side: 'tpr/fpr' };
  }
  const tnrLo = clopperPearson(c.negatives - c.fp, c.negatives, oneSided).low;
  const fnrHi = clopperPearson(c.positives - c.tp, c.positives, oneSided).high;
  if (tnrLo - delta > 0 && fnrHi > 0) {
    const e = Math.log((tnrLo - delta) / fnrHi);
    if (e > best.epsilon) best = { epsilon: e, side: 'tnr/fnr' };
  }
  return best;
}

/** Counts at every distinct threshold, from the highest score down. */
function sweep(scores: ArrayLike<number>, isMember: ArrayLike<boolean | number>): { threshold: number; counts: Counts }[] {
  const n = scores.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[b] - scores[a]);
  let positives = 0;
  for (let i = 0; i < n; i++) if (isMember[i]) positives++;
  const negatives = n - positives;
  const out: { threshold: number; counts: Counts }[] = [];
  let tp = 0;
  let fp = 0;
  for (let k = 0; k < n; k++) {
    const i = order[k];
    if (isMember[i]) tp++;
    else fp++;
    if (k + 1 < n && scores[order[k + 1]] === scores[i]) continue; // ties move together
    out.push({ threshold: scores[i], counts: { tp, fp, positives, negatives } });
  }
  return out;
}

export function epsilonLowerBound(
  scores: ArrayLike<number>,
  isMember: ArrayLike<boolean | number>,
  options: { delta: number; confidence?: number; thresholds?: number[] } = { delta: 0 },
): EpsilonLowerBound {
  const confidence = options.confidence ?? 0.95;
  if (scores.length !== isMember.length) throw new ConfigError(`${scores.length} scores but ${isMember.length} membership labels`);
  if (!(confidence > 0.5 && confidence < 1)) throw new ConfigError(`confidence must be in (0.5, 1), got ${confidence}`);
  let best: EpsilonLowerBound = { epsilon: 0, threshold: Infinity, side: 'none', confidence, delta: options.delta };
  const points = sweep(scores, isMember);
  const allowed = options.thresholds ? new Set(options.thresholds) : undefined;
  for (const p of points) {
    if (allowed && !allowed.has(p.threshold)) continue;
    const b = boundAt(p.counts, options.delta, confidence);
    if (b.epsilon > best.epsilon) best = { epsilon: b.epsilon, threshold: p.threshold, side: b.side, confidence, delta: options.delta };
  }
  return best;
}

/**
 * The honest version: choose the threshold on a random half of the trials, then compute
 * the bound at that threshold on the other half.
 */
export function epsilonLowerBoundHeldOut(
  scores: ArrayLike<number>,
  isMember: ArrayLike<boolean | number>,
  rng: SeededRandom,
  options: { delta: number; confidence?: number },
): EpsilonLowerBound {
  const order = rng.permutation(scores.length);
  const half = order.length >> 1;
  const pick = (idx: number[]) => ({ s: idx.map((i) => scores[i]), m: idx.map((i) => isMember[i]) });
  const a = pick(order.slice(0, half));
  const b = pick(order.slice(half));
  const chosen = epsilonLowerBound(a.s, a.m, options);
  if (chosen.side === 'none') return { ...chosen, threshold: Infinity };
  let tp = 0;
  let fp = 0;
  let positives = 0;
  for (let i = 0; i < b.s.length; i++) {
    if (b.m[i]) positives++;
    if (b.s[i] >= chosen.threshold) {
      if (b.m[i]) tp++;
      else fp++;
    }
  }
  const r = boundAt({ tp, fp, positives, negatives: b.s.length - positives }, options.delta, options.confidence ?? 0.95);
  return { epsilon: r.epsilon, threshold: chosen.threshold, side: r.side, confidence: options.confidence ?? 0.95, delta: options.delta };
}
