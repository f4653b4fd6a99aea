/**
 * What a closed round hands the strategy. A plain round: the accepted updates, each bounded
 * first so that no update enters the aggregate larger than k × the round's median norm
 * (norm-bound.ts). A secure round: the survivors' sum (secure-aggregation-rounds.ts).
 */
import { unflattenParameters, type ParameterSet } from '../aggregate/index.js';
import type { Failure, FitResult, Strategy } from '../strategy.js';
import type { UpdateRecord } from '../store/index.js';
import { clipToMedianNorm } from './norm-bound.js';

export interface RoundContribution {
  contributors: { clientId: string; numExamples: number }[];
  /** The strategy's aggregation of the contributions (`enough`: the round has at least minUpdates). */
  aggregate: (enough: boolean, failures: Failure[]) => { parameters: ParameterSet; metrics: Record<string, number> };
  /** Round metrics from this step (norm bound, secure-aggregation survivors, ...). */
  metrics: Record<string, number>;
}

/**
 * Plain updates as the strategy's input, clipped to `normClipMultiple` × their median norm
 * (0: not clipped). `enrolledExamples` caps the example count each update's header states.
 */
export function plainContribution(round: number, updates: UpdateRecord[], strategy: Strategy, normClipMultiple: number, enrolledExamples: (clientId: string) => number | undefined): RoundContribution {
  const metrics: Record<string, number> = {};
  let deltas = updates.map((u) => u.delta);
  if (normClipMultiple > 0 && updates.length > 0) {
    const clip = clipToMedianNorm(deltas, normClipMultiple);
    deltas = clip.deltas;
    metrics.normBound = clip.bound;
    metrics.clippedUpdates = clip.clipped;
  }
  const results: FitResult[] = updates.map((u, i) => ({
    clientId: u.clientId,
    // the header's count only weights the reported metrics (train loss), never the model; capped at enrolment's
    numExamples: Math.min(u.numExamples, enrolledExamples(u.clientId) ?? u.numExamples),
    delta: unflattenParameters(deltas[i], strategy.parameters),
    metrics: u.metrics,
  }));
  return { contributors: updates, metrics, aggregate: (enough, failures) => strategy.aggregateFit(round, enough ? results : [], failures) };
}
