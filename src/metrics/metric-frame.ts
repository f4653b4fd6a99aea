/**
 * Disaggregated metrics in the spirit of fairlearn's MetricFrame: any metric (yTrue, yPred) →
 * number is computed overall and for every group of a sensitive feature, with the between-group
 * difference (max − min) and ratio (min / max), and optionally seeded bootstrap intervals for all
 * of them.
 *
 * Conventions:
 * - Groups are keyed by String(label), ordered numbers-then-strings (see compareLabels).
 * - A metric that is undefined for a group (NaN, e.g. a TPR where the group has no positives)
 *   stays NaN in byGroup, and makes that metric's difference and ratio NaN: the gap cannot be
 *   stated while a group's value is unknown, and dropping the group silently would hide it.
 * - ratio() is min/max; when every group has the same value (including all zero) it is 1.
 * - The bootstrap resamples within each group by default (group sizes stay fixed, so no group
 *   can vanish from a replicate); pass stratified: false to resample the whole data set, as
 *   fairlearn does.
 * - Intervals for the difference and ratio are *oriented*: the two groups that attain the max and
 *   the min in the data are fixed, and each replicate computes v[max group] − v[min group] (and
 *   v[min group] / v[max group]). Re-taking max − min in every replicate instead is biased upward
 *   (it is never below zero and is above the true gap whenever groups are close), so its
 *   percentile interval can exclude the estimate, e.g. [0.001, 0.04] around an observed gap of 0.
 *   An oriented interval that reaches below 0 (or above 1 for a ratio) says the ordering of the
 *   two groups itself is uncertain.
 */
import { ConfigError } from '../errors.js';
import {
  checkBootstrapOptions,
  percentileInterval,
  resampleIndices,
  resampleWithinStrata,
  type BootstrapOptions,
  type ConfidenceInterval,
} from './bootstrap.js';
import { checkNonEmpty, checkSameLength, compareLabels, type Label } from './input-checks.js';

/** A metric of aligned true and predicted labels. */
export type MetricFunction = (yTrue: Label[], yPred: Label[]) => number;

export interface MetricFrameOptions {
  metrics: Record<string, MetricFunction>;
  yTrue: ArrayLike<Label>;
  yPred: ArrayLike<Label>;
  /** One sensitive-feature value per example (join several features into one key for intersections). */
  sensitive: ArrayLike<Label>;
  /** Bootstrap intervals for overall, per-group, difference and ratio values. */
  bootstrap?: BootstrapOptions & { stratified?: boolean };
}

export type MetricValues = Record<string, number>;

export interface MetricFrameIntervals {
  confidence: number;
  resamples: number;
  stratified: boolean;
  overall: Record<string, ConfidenceInterval>;
  byGroup: Record<string, Record<string, ConfidenceInterval>>;
  difference: Record<string, ConfidenceInterval>;
  ratio: Record<string, ConfidenceInterval>;
  /** Per metric: replicates whose difference was not finite (left out of its interval). */
  invalidResamples: Record<string, number>;
}

export interface MetricFrame {
  metricNames: string[];
  groups: string[];
  groupSizes: Record<string, number>;
  overall: MetricValues;
  byGroup: Record<string, MetricValues>;
  groupMin(): MetricValues;
  groupMax(): MetricValues;
  /** max − min over groups, per metric. */
  difference(): MetricValues;
  /** min / max over groups, per metric. */
  ratio(): MetricValues;
  ci?: MetricFrameIntervals;
}

interface Evaluation {
  overall: MetricValues;
  byGroup: Record<string, MetricValues>;
}

function pick(values: ArrayLike<Label>, indices: ArrayLike<number>): Label[] {
  const out = new Array<Label>(indices.length);
  for (let i = 0; i < indices.length; i++) out[i] = values[indices[i]];
  return out;
}

function evaluate(
  metrics: Record<string, MetricFunction>,
  yTrue: ArrayLike<Label>,
  yPred: ArrayLike<Label>,
  groupIndices: Map<string, Int32Array>,
  allIndices: ArrayLike<number>,
): Evaluation {
  const overall: MetricValues = {};
  const trueAll = pick(yTrue, allIndices);
  const predAll = pick(yPred, allIndices);
  for (const [name, fn] of Object.entries(metrics)) overall[name] = fn(trueAll, predAll);
  const byGroup: Record<string, MetricValues> = {};
  for (const [group, indices] of groupIndices) {
    if (indices.length === 0) {
      // Only in an unstratified bootstrap replicate: the group was not drawn.
      byGroup[group] = Object.fromEntries(Object.keys(metrics).map((name) => [name, Number.NaN]));
      continue;
    }
    const t = pick(yTrue, indices);
    const p = pick(yPred, indices);
    const values: MetricValues = {};
    for (const [name, fn] of Object.entries(metrics)) values[name] = fn(t, p);
    byGroup[group] = values;
  }
  return { overall, byGroup };
}

function aggregate(byGroup: Record<string, MetricValues>, names: string[], reduce: (values: number[]) => number): MetricValues {
  const out: MetricValues = {};
  for (const name of names) out[name] = reduce(Object.values(byGroup).map((v) => v[name]));
  return out;
}

function anyNaN(values: number[]): boolean {
  return values.some((v) => Number.isNaN(v));
}

const minOf = (values: number[]) => (anyNaN(values) ? Number.NaN : Math.min(...values));
const maxOf = (values: number[]) => (anyNaN(values) ? Number.NaN : Math.max(...values));
const differenceOf = (values: number[]) => maxOf(values) - minOf(values);
function ratioOf(values: number[]): number {
  const lo = minOf(values);
  const hi = maxOf(values);
  if (Number.isNaN(lo) || Number.isNaN(hi)) return Number.NaN;
  return lo === hi ? 1 : lo / hi;
}

/** Computes every metric overall and per sensitive group. */
export function metricFrame(options: MetricFrameOptions): MetricFrame {
  const { metrics, yTrue, yPred, sensitive } = options;
  checkSameLength('metricFrame', yTrue, 'yTrue', yPred, 'yPred');
  checkSameLength('metricFrame', yTrue, 'yTrue', sensitive, 'sensitive');
  checkNonEmpty('metricFrame', yTrue, 'yTrue');
  const metricNames = Object.keys(metrics);
  if (metricNames.length === 0) throw new ConfigError('metricFrame: metrics is empty; pass e.g. { accuracy }');
  for (const name of metricNames) {
    if (typeof metrics[name] !== 'function') throw new ConfigError(`metricFrame: metrics.${name} is not a function (yTrue, yPred) => number`);
  }

  const labelsByKey = new Map<string, Label>();
  const positions = new Map<string, number[]>();
  for (let i = 0; i < sensitive.length; i++) {
    const key = String(sensitive[i]);
    const existing = labelsByKey.get(key);
    if (existing !== undefined && existing !== sensitive[i]) {
      throw new ConfigError(`metricFrame: sensitive values ${JSON.stringify(existing)} and ${JSON.stringify(sensitive[i])} have the same name; use one type`);
    }
    labelsByKey.set(key, sensitive[i]);
    const list = positions.get(key);
    if (list) list.push(i);
    else positions.set(key, [i]);
  }
  const groups = [...labelsByKey.keys()].sort((a, b) => compareLabels(labelsByKey.get(a)!, labelsByKey.get(b)!));
  const groupIndices = new Map<string, Int32Array>(groups.map((g) => [g, Int32Array.from(positions.get(g)!)]));
  const groupSizes: Record<string, number> = {};
  for (const g of groups) groupSizes[g] = groupIndices.get(g)!.length;

  const all = Int32Array.from({ length: yTrue.length }, (_, i) => i);
  const { overall, byGroup } = evaluate(metrics, yTrue, yPred, groupIndices, all);

  const frame: MetricFrame = {
    metricNames,
    groups,
    groupSizes,
    overall,
    byGroup,
    groupMin: () => aggregate(byGroup, metricNames, minOf),
    groupMax: () => aggregate(byGroup, metricNames, maxOf),
    difference: () => aggregate(byGroup, metricNames, differenceOf),
    ratio: () => aggregate(byGroup, metricNames, ratioOf),
  };
  if (options.bootstrap) frame.ci = bootstrapFrame(options, frame, groupIndices);
  return frame;
}

/**
 * Indices of the groups with the largest and the smallest value (first on ties), distinct when
 * there are two or more groups, so that tied groups still give a gap that can vary.
 */
function extremeGroups(values: number[]): { hi: number; lo: number } {
  let hi = 0;
  for (let k = 1; k < values.length; k++) if (values[k] > values[hi]) hi = k;
  let lo = hi === 0 ? Math.min(1, values.length - 1) : 0;
  for (let k = 0; k < values.length; k++) if (k !== hi && values[k] < values[lo]) lo = k;
  return { hi, lo };
}

function bootstrapFrame(options: MetricFrameOptions, frame: MetricFrame, groupIndices: Map<string, Int32Array>): MetricFrameIntervals {
  const bootstrap = options.bootstrap!;
  const { resamples, confidence } = checkBootstrapOptions('metricFrame', bootstrap);
  const stratified = bootstrap.stratified ?? true;
  const { metrics, yTrue, yPred, sensitive } = options;
  const names = frame.metricNames;
  const groups = frame.groups;
  const strata = groups.map((g) => groupIndices.get(g)!);
  const n = yTrue.length;
  const orientation = Object.fromEntries(names.map((m) => [m, extremeGroups(groups.map((g) => frame.byGroup[g][m]))]));

  const series = {
    overall: Object.fromEntries(names.map((m) => [m, new Float64Array(resamples)])),
    difference: Object.fromEntries(names.map((m) => [m, new Float64Array(resamples)])),
    ratio: Object.fromEntries(names.map((m) => [m, new Float64Array(resamples)])),
    byGroup: Object.fromEntries(groups.map((g) => [g, Object.fromEntries(names.map((m) => [m, new Float64Array(resamples)]))])),
  };
  for (let r = 0; r < resamples; r++) {
    const sample = stratified ? resampleWithinStrata(strata, n, bootstrap.rng) : resampleIndices(n, bootstrap.rng);
    const resampledGroups = new Map<string, number[]>();
    for (const i of sample) {
      const key = String(sensitive[i]);
      const list = resampledGroups.get(key);
      if (list) list.push(i);
      else resampledGroups.set(key, [i]);
    }
    const replicateGroups = new Map<string, Int32Array>();
    for (const g of groups) replicateGroups.set(g, Int32Array.from(resampledGroups.get(g) ?? []));
    const { overall, byGroup } = evaluate(metrics, yTrue, yPred, replicateGroups, sample);
    for (const m of names) {
      // A group absent from a replicate (possible only without stratification) has no value.
      const values = groups.map((g) => (replicateGroups.get(g)!.length === 0 ? Number.NaN : byGroup[g][m]));
      series.overall[m][r] = overall[m];
      const { hi, lo } = orientation[m];
      series.difference[m][r] = values[hi] - values[lo];
      series.ratio[m][r] = values[hi] === values[lo] ? 1 : values[lo] / values[hi];
      groups.forEach((g, k) => (series.byGroup[g][m][r] = values[k]));
    }
  }

  const interval = (what: string, estimate: number, replicates: Float64Array): ConfidenceInterval => {
    // Undefined in every replicate (e.g. TPR of a group without positives): the interval is too.
    if (!replicates.some((v) => Number.isFinite(v))) return { estimate, low: Number.NaN, high: Number.NaN };
    const { low, high } = percentileInterval(`metricFrame bootstrap of ${what}`, replicates, confidence);
    return { estimate, low, high };
  };
  const difference = frame.difference();
  const ratio = frame.ratio();
  const result: MetricFrameIntervals = {
    confidence,
    resamples,
    stratified,
    overall: {},
    byGroup: {},
    difference: {},
    ratio: {},
    invalidResamples: {},
  };
  for (const m of names) {
    result.overall[m] = interval(`${m} (overall)`, frame.overall[m], series.overall[m]);
    result.difference[m] = interval(`${m} difference`, difference[m], series.difference[m]);
    result.ratio[m] = interval(`${m} ratio`, ratio[m], series.ratio[m]);
    result.invalidResamples[m] = series.difference[m].filter((v) => !Number.isFinite(v)).length;
  }
  for (const g of groups) {
    result.byGroup[g] = {};
    for (const m of names) result.byGroup[g][m] = interval(`${m} for group ${g}`, frame.byGroup[g][m], series.byGroup[g][m]);
  }
  return result;
}
