/**
 * What an evaluation client reports, and how the server turns reports into metrics.
 *
 * A client evaluates the model on its own held-out examples and reports additive sums only
 * (examples, correct predictions, summed loss, in-scope counts: `EvaluationSums`), never a
 * prediction or an example. In personalised evaluation (Wang et al. 2019) it also fine-tunes
 * on its own train part and reports the sums on its test part before and after.
 *
 * Every metric is a ratio (numerator yₖ, denominator nₖ) of a client's sums. Under secure
 * aggregation a client sends, per metric, the five moments [y, n, y², yn, n²], each divided
 * by a public scale so that it lies in [−1, 1] (the fixed-point range); the server unmasks
 * only their sums, which is exactly what `ratioEstimateFromMoments` needs.
 */
import { ConfigError } from '../../errors.js';
import type { EvaluationSums } from '../client/index.js';
import { ratioEstimate, type RatioEstimate, type RatioEstimateOptions, type RatioMoments } from './ratio-estimator.js';

export interface PersonalisedSums {
  /** The global model on the client's test part. */
  before: EvaluationSums;
  /** The client's fine-tuned model on the same test part. */
  after: EvaluationSums;
  /** Examples the client fine-tuned on (its train part). */
  trainExamples: number;
}

export interface ClientEvaluationReport {
  clientId: string;
  /** The global model on all of the client's held-out examples. */
  sums: EvaluationSums;
  personalised?: PersonalisedSums;
}

/** One ratio metric: its name, how to read (y, n) off a report, and the public scales of y and n. */
export interface RatioMetric {
  name: string;
  pair: (report: ClientEvaluationReport, limits: ReportLimits) => [number, number] | undefined;
  /** |y| ≤ scaleY and n ≤ scaleN for any honest client (the secure encoding divides by them). */
  scales: (limits: ReportLimits) => [number, number];
  /** Bounds of the metric's value (intervals are clamped to them). */
  bounds?: readonly [number, number];
}

export interface ReportLimits {
  /** Most examples a client may count (the secure encoding's scale). */
  maxExamples: number;
  /** Largest mean loss per example a client may report (its loss sum is capped at units × this). */
  maxLoss: number;
}

export const DEFAULT_REPORT_LIMITS: ReportLimits = { maxExamples: 1000, maxLoss: 20 };

/** The headline accuracy's (y, n): in-scope when the dataset has an out-of-scope class (as `trustnlu eval` reports). */
function accuracyPair(s: EvaluationSums): [number, number] {
  return s.inScope !== undefined ? [s.inScopeCorrect ?? 0, s.inScope] : [s.correct, s.units];
}

export const PLAIN_METRICS: readonly RatioMetric[] = [
  { name: 'accuracy', pair: (r) => accuracyPair(r.sums), scales: (l) => [l.maxExamples, l.maxExamples], bounds: [0, 1] },
  { name: 'accuracyAll', pair: (r) => [r.sums.correct, r.sums.units], scales: (l) => [l.maxExamples, l.maxExamples], bounds: [0, 1] },
  { name: 'loss', pair: (r, l) => [Math.min(r.sums.lossSum, r.sums.units * l.maxLoss), r.sums.units], scales: (l) => [l.maxExamples * l.maxLoss, l.maxExamples], bounds: [0, Infinity] },
];

export const PERSONALISED_METRICS: readonly RatioMetric[] = [
  { name: 'before', pair: (r) => (r.personalised ? accuracyPair(r.personalised.before) : undefined), scales: (l) => [l.maxExamples, l.maxExamples], bounds: [0, 1] },
  { name: 'after', pair: (r) => (r.personalised ? accuracyPair(r.personalised.after) : undefined), scales: (l) => [l.maxExamples, l.maxExamples], bounds: [0, 1] },
  {
    // example-weighted accuracy change: Σ(correct_after − correct_before) / Σ n
    name: 'delta',
    pair: (r) => {
      if (!r.personalised) return undefined;
      const [after, n] = accuracyPair(r.personalised.after);
      const [before] = accuracyPair(r.personalised.before);
      return [after - before, n];
    },
    scales: (l) => [l.maxExamples, l.maxExamples],
    bounds: [-1, 1],
  },
  {
    // share of clients (with a test part) whose accuracy went up: a mean over clients, each counting 1
    name: 'improvedClients',
    pair: (r) => {
      if (!r.personalised) return undefined;
      const [after, n] = accuracyPair(r.personalised.after);
      const [before] = accuracyPair(r.personalised.before);
      return n > 0 ? [after > before ? 1 : 0, 1] : [0, 0];
    },
    scales: () => [1, 1],
    bounds: [0, 1],
  },
];

/** A client's sums with the loss capped and the counts checked against the limits (what an honest client may send). */
export function checkReport(report: ClientEvaluationReport, limits: ReportLimits): void {
  const check = (s: EvaluationSums, what: string) => {
    if (s.units > limits.maxExamples) throw new ConfigError(`client "${report.clientId}" ${what}: ${s.units} examples exceed the report limit ${limits.maxExamples}; raise maxExamples or evaluate a subsample`);
  };
  check(report.sums, 'evaluation');
  if (report.personalised) {
    check(report.personalised.before, 'personalised test part');
    check(report.personalised.after, 'personalised test part');
  }
}

/** Each metric's (yₖ, nₖ) over the reports that have it (the plain path: the server sees every client's sums). */
export function clientPairs(reports: readonly ClientEvaluationReport[], metrics: readonly RatioMetric[], limits: ReportLimits): Map<string, { numerators: number[]; denominators: number[] }> {
  const out = new Map<string, { numerators: number[]; denominators: number[] }>();
  for (const metric of metrics) {
    const numerators: number[] = [];
    const denominators: number[] = [];
    for (const report of reports) {
      const pair = metric.pair(report, limits);
      if (!pair) continue;
      numerators.push(pair[0]);
      denominators.push(pair[1]);
    }
    out.set(metric.name, { numerators, denominators });
  }
  return out;
}

/**
 * Each metric's ratio estimate from the reports' sums (the plain path), its interval clamped to
 * the metric's bounds. A metric that no reporting client holds examples for (Σn = 0) fails, or
 * with `omitEmpty` is left out (the service reports what it can).
 */
export function metricEstimates(
  reports: readonly ClientEvaluationReport[],
  metrics: readonly RatioMetric[],
  limits: ReportLimits,
  options: Omit<RatioEstimateOptions, 'bounds'> & { omitEmpty?: boolean } = {},
): Map<string, RatioEstimate> {
  const { omitEmpty, ...estimateOptions } = options;
  const pairs = clientPairs(reports, metrics, limits);
  const out = new Map<string, RatioEstimate>();
  for (const metric of metrics) {
    const p = pairs.get(metric.name)!;
    if (omitEmpty && !(p.denominators.reduce((a, b) => a + b, 0) > 0)) continue;
    out.set(metric.name, ratioEstimate(p.numerators, p.denominators, { ...estimateOptions, ...(metric.bounds ? { bounds: metric.bounds } : {}) }));
  }
  return out;
}

/** A client's secure-aggregation input: per metric [y/sy, n/sn, (y/sy)², (y/sy)(n/sn), (n/sn)²]. */
export function momentVector(report: ClientEvaluationReport, metrics: readonly RatioMetric[], limits: ReportLimits): Float64Array {
  const out = new Float64Array(metrics.length * 5);
  metrics.forEach((metric, i) => {
    const pair = metric.pair(report, limits);
    if (!pair) throw new ConfigError(`client "${report.clientId}" has no value for metric "${metric.name}" (a personalised metric without personalised sums)`);
    const [sy, sn] = metric.scales(limits);
    const y = pair[0] / sy;
    const n = pair[1] / sn;
    out.set([y, n, y * y, y * n, n * n], i * 5);
  });
  return out;
}

/** The moments of each metric from the (unmasked) sum of `momentVector`s of `clients` clients. */
export function momentsFromSum(sum: ArrayLike<number>, clients: number, metrics: readonly RatioMetric[], limits: ReportLimits): Map<string, RatioMoments> {
  if (sum.length !== metrics.length * 5) throw new ConfigError(`secure evaluation sum has ${sum.length} values, expected ${metrics.length * 5}`);
  const out = new Map<string, RatioMoments>();
  metrics.forEach((metric, i) => {
    const [sy, sn] = metric.scales(limits);
    const o = i * 5;
    out.set(metric.name, {
      clients,
      sumY: sum[o] * sy,
      sumN: sum[o + 1] * sn,
      sumYY: sum[o + 2] * sy * sy,
      sumYN: sum[o + 3] * sy * sn,
      sumNN: sum[o + 4] * sn * sn,
    });
  });
  return out;
}
