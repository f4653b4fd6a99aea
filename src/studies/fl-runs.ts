/**
 * What the federated studies (fl-selection, fl-nlp, fl-labels) share: run one configuration
 * of `runFederatedExperiment` for one seed (a study cell) or over several seeds, and reduce
 * the runs of one configuration to one table row (mean, min and max of the final accuracy, the
 * per-seed values, and the mean accuracy curve).
 */
import { runFederatedExperiment, type FederatedExperimentOptions, type FederatedExperimentSummary } from '../federated/index.js';
import { mean } from '../metrics/index.js';
import type { StudyContext, StudyRow } from './runner.js';

/** What combining seeds needs of each run. */
export interface SeedRun {
  accuracy: number;
  curve: { round: number; accuracy: number }[];
  seconds: number;
}

export interface SeedRuns<Run extends SeedRun = FederatedExperimentSummary> {
  runs: Run[];
  accuracy: { mean: number; min: number; max: number; bySeed: number[] };
  /** Mean over seeds of the accuracy at each evaluated round (the rounds are the same for every seed). */
  curve: { round: number; accuracy: number }[];
  seconds: number;
}

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

/** The runs of one configuration, one per seed, reduced to means. */
export function combineSeeds<Run extends SeedRun>(runs: Run[]): SeedRuns<Run> {
  const finals = runs.map((r) => r.accuracy);
  const rounds = runs[0].curve.map((p) => p.round);
  const curve = rounds.map((round, i) => ({ round, accuracy: mean(runs.map((r) => r.curve[i]?.accuracy ?? Number.NaN)) }));
  return {
    runs,
    accuracy: { mean: mean(finals), min: Math.min(...finals), max: Math.max(...finals), bySeed: finals },
    curve,
    seconds: runs.reduce((s, r) => s + r.seconds, 0),
  };
}

/** combineSeeds over a study's per-seed rows (their accuracy, JSON curve and seconds). */
export function combineSeedRows(rows: StudyRow[]): SeedRuns<SeedRun> {
  return combineSeeds(rows.map((r) => ({ accuracy: r.accuracy as number, curve: JSON.parse(String(r.curve)) as SeedRun['curve'], seconds: r.seconds as number })));
}

/** Runs `options` once per seed, one after another. */
export async function runOverSeeds(
  options: Omit<FederatedExperimentOptions, 'seed' | 'progress'>,
  seeds: readonly number[],
  ctx: StudyContext,
  label: string,
): Promise<SeedRuns> {
  const runs: FederatedExperimentSummary[] = [];
  for (const seed of seeds) runs.push(await runOneSeed(options, seed, ctx, label));
  return combineSeeds(runs);
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
