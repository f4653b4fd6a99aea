/**
 * Group fairness on labelled predictions, through the project's one disaggregation module
 * (metricFrame / groupFairnessReport in src/metrics): per-group accuracy, error rate, selection
 * rate of a chosen label and TPR/FPR for it, and the between-group gaps
 *   demographic parity difference = max_g P(ŷ = positive | g) − min_g P(ŷ = positive | g)
 *   equal opportunity difference  = max_g TPR_g − min_g TPR_g
 *   equalised odds difference     = max(TPR difference, FPR difference)
 * (definitions as in fairlearn), all with seeded percentile-bootstrap intervals resampled within
 * groups. Gap intervals are oriented (see metric-frame.ts): the signed gap between the two groups
 * that are furthest apart in the data; the equalised-odds interval is that of whichever gap (TPR
 * or FPR) attains the maximum. This module only reshapes the frame into plain JSON (NaN → null).
 */
import { SeededRandom } from '../../engine/random.js';
import { groupFairnessReport, type ConfidenceInterval, type Label } from '../../metrics/index.js';

export interface GroupMetricsInput {
  yTrue: ArrayLike<Label>;
  yPred: ArrayLike<Label>;
  groups: ArrayLike<Label>;
  /** The label whose selection rate, TPR and FPR are compared (e.g. an intent, or "positive"). */
  positive: Label;
  /** Bootstrap intervals (default 1000 resamples at 95%, seed 0); false for none. */
  bootstrap?: { resamples?: number; confidence?: number; seed?: number } | false;
}

type Interval = { estimate: number | null; low: number | null; high: number | null };

export interface GroupMetricsResult {
  positive: Label;
  groups: string[];
  groupSizes: Record<string, number>;
  overall: Record<string, number | null>;
  byGroup: Record<string, Record<string, number | null>>;
  differences: {
    accuracy: number | null;
    errorRate: number | null;
    selectionRate: number | null;
    demographicParity: number | null;
    equalOpportunity: number | null;
    equalizedOdds: number | null;
  };
  demographicParityRatio: number | null;
  ci?: {
    confidence: number;
    resamples: number;
    overall: Record<string, Interval>;
    byGroup: Record<string, Record<string, Interval>>;
    differences: Record<string, Interval>;
  };
}

const finite = (v: number): number | null => (Number.isFinite(v) ? v : null);
const interval = (ci: ConfidenceInterval): Interval => ({ estimate: finite(ci.estimate), low: finite(ci.low), high: finite(ci.high) });
const mapValues = <T, U>(o: Record<string, T>, f: (v: T) => U): Record<string, U> => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, f(v)]));

export function groupMetrics(input: GroupMetricsInput): GroupMetricsResult {
  const bootstrap =
    input.bootstrap === false
      ? undefined
      : { resamples: input.bootstrap?.resamples ?? 1000, confidence: input.bootstrap?.confidence ?? 0.95, rng: new SeededRandom(input.bootstrap?.seed ?? 0).fork('group-metrics-bootstrap') };
  const report = groupFairnessReport({ yTrue: input.yTrue, yPred: input.yPred, sensitive: input.groups, positive: input.positive, bootstrap });
  const { frame } = report;
  const difference = frame.difference();
  const result: GroupMetricsResult = {
    positive: input.positive,
    groups: frame.groups,
    groupSizes: frame.groupSizes,
    overall: mapValues(frame.overall, finite),
    byGroup: mapValues(frame.byGroup, (values) => mapValues(values, finite)),
    differences: {
      accuracy: finite(difference.accuracy),
      errorRate: finite(difference.errorRate),
      selectionRate: finite(difference.selectionRate),
      demographicParity: finite(report.demographicParityDifference),
      equalOpportunity: finite(report.equalOpportunityDifference),
      equalizedOdds: finite(report.equalizedOddsDifference),
    },
    demographicParityRatio: finite(report.demographicParityRatio),
  };
  if (frame.ci) {
    const d = frame.ci.difference;
    result.ci = {
      confidence: frame.ci.confidence,
      resamples: frame.ci.resamples,
      overall: mapValues(frame.ci.overall, interval),
      byGroup: mapValues(frame.ci.byGroup, (values) => mapValues(values, interval)),
      differences: {
        accuracy: interval(d.accuracy),
        errorRate: interval(d.errorRate),
        demographicParity: interval(d.selectionRate),
        equalOpportunity: interval(d.truePositiveRate),
        truePositiveRate: interval(d.truePositiveRate),
        falsePositiveRate: interval(d.falsePositiveRate),
        equalizedOdds: equalizedOddsInterval(report, difference),
      },
    };
  }
  return result;
}

/**
 * The equalised-odds gap is max(TPR gap, FPR gap): its interval is the oriented interval of the
 * component that attains the maximum in the data (TPR on ties).
 */
function equalizedOddsInterval(report: ReturnType<typeof groupFairnessReport>, difference: Record<string, number>): Interval {
  const d = report.frame.ci!.difference;
  const estimate = report.equalizedOddsDifference;
  if (!Number.isFinite(estimate)) return { estimate: null, low: null, high: null };
  const component = difference.falsePositiveRate > difference.truePositiveRate ? d.falsePositiveRate : d.truePositiveRate;
  return interval({ ...component, estimate });
}
