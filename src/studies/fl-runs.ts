/**
 * What the federated studies (fl-selection, fl-nlp, fl-labels) share: run one configuration
 * of `runFederatedExperiment` for one seed (a study cell), its curve as a row field, and the
 * fields of a "mean" row over the seeds of one configuration (mean accuracy with its seed
 * interval, the per-seed values, the budget and target, and the mean curve).
 */
import { runFederatedExperiment, type FederatedExperimentOptions, type FederatedExperimentSummary } from '../federated/index.js';
import { mean } from '../metrics/index.js';
import type { SeededRandom } from '../engine/random.js';
import { formatInterval, seedMeanInterval } from './fl-pairs.js';
import type { StudyContext, StudyRow } from './runner.js';

/**
 * One run of `options` with `seed` (the seed fixes partition, initialisation, selection and
 * local shuffles). In a cell on a worker thread of its own, the clients train in that thread
 * (the executor gives the same numbers in process as on threads).
 */
export function runOneSeed(options: Omit<FederatedExperimentOptions, 'seed' | 'progress'>, seed: number, ctx: StudyContext, label: string): Promise<FederatedExperimentSummary> {
  ctx.progress.event('run', { label, seed });
  return runFederatedExperiment({
    ...options,
    ...(ctx.cellOnWorker ? { workers: 0 } : {}),
    seed,
    dataDir: ctx.dataDir,
    progress: ctx.progress,
    ...(ctx.queue ? { queue: ctx.queue } : {}),
  });
}

/** "0.512 / 0.498" style list of per-seed values (table cells avoid the pipe character). */
export function formatBySeed(values: readonly number[]): string {
  return values.map((v) => v.toFixed(3)).join(' / ');
}

/** Groups rows by a key in order of first appearance. */
export function groupInOrder<T>(items: readonly T[], keyOf: (item: T) => string): T[][] {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const group = groups.get(key);
    if (group) group.push(item);
    else groups.set(key, [item]);
  }
  return [...groups.values()];
}

/** Mean of the curves of several seeds (same evaluated rounds): accuracy and examples. */
export function meanCurve(rows: readonly StudyRow[]): { round: number; accuracy: number; examples: number }[] {
  const curves = rows.map((r) => JSON.parse(String(r.curve)) as { round: number; accuracy: number; examples: number }[]);
  return curves[0].map((point, i) => ({ round: point.round, accuracy: mean(curves.map((c) => c[i]?.accuracy ?? Number.NaN)), examples: mean(curves.map((c) => c[i]?.examples ?? Number.NaN)) }));
}

/** "3 of 5" seeds reached the target, with the mean rounds of those that did. */
export function targetSummary(rows: readonly StudyRow[]): { reached: string; rounds: number | null; examples: number | null } {
  const hits = rows.filter((r) => typeof r.roundsToTarget === 'number');
  return {
    reached: `${hits.length} of ${rows.length}`,
    rounds: hits.length > 0 ? mean(hits.map((r) => r.roundsToTarget as number)) : null,
    examples: hits.length > 0 ? mean(hits.map((r) => r.examplesToTarget as number)) : null,
  };
}

/** A run's evaluated curve as a row field: round, accuracy and client examples processed by then. */
export function curveField(run: FederatedExperimentSummary): string {
  return JSON.stringify(run.curve.map((c) => ({ round: c.round, accuracy: c.accuracy, examples: c.examples })));
}

/**
 * The fields of a "mean" row over the run rows of one configuration (one per seed, with
 * `accuracy`, `seed`, `examplesProcessed`, `target`, `roundsToTarget`, `examplesToTarget`,
 * `seconds` and `curve`): the mean accuracy with its bootstrap interval over seeds (`rng`),
 * the per-seed values, the mean budget, the target summary, the total seconds and the mean curve.
 */
export function seedMeanFields(group: readonly StudyRow[], rng: SeededRandom): StudyRow {
  const accuracies = group.map((r) => r.accuracy as number);
  const accuracy = seedMeanInterval(accuracies, rng);
  const target = targetSummary(group);
  return {
    accuracy: accuracy.mean,
    interval: formatInterval(accuracy.low, accuracy.high),
    intervalLow: accuracy.low,
    intervalHigh: accuracy.high,
    bySeed: formatBySeed(accuracies),
    seeds: group.map((r) => r.seed).join(','),
    examplesProcessed: mean(group.map((r) => r.examplesProcessed as number)),
    target: group[0].target,
    reachedTarget: target.reached,
    roundsToTarget: target.rounds,
    examplesToTarget: target.examples,
    seconds: group.reduce((s, r) => s + (r.seconds as number), 0),
    curve: JSON.stringify(meanCurve(group)),
  };
}
