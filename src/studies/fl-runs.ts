/**
 * What the federated studies (fl-selection, fl-nlp) share: run one configuration of
 * `runFederatedExperiment` over several seeds and reduce the runs to one table row (mean,
 * min and max of the final accuracy, the per-seed values, and the mean accuracy curve).
 */
import { runFederatedExperiment, type FederatedExperimentOptions, type FederatedExperimentSummary } from '../federated/index.js';
import { mean } from '../metrics/index.js';
import type { StudyContext } from './runner.js';

export interface SeedRuns {
  runs: FederatedExperimentSummary[];
  accuracy: { mean: number; min: number; max: number; bySeed: number[] };
  /** Mean over seeds of the accuracy at each evaluated round (the rounds are the same for every seed). */
  curve: { round: number; accuracy: number }[];
  seconds: number;
}

/** Runs `options` once per seed (the seed fixes partition, initialisation, selection and local shuffles). */
export async function runOverSeeds(
  options: Omit<FederatedExperimentOptions, 'seed' | 'progress'>,
  seeds: readonly number[],
  ctx: StudyContext,
  label: string,
): Promise<SeedRuns> {
  const runs: FederatedExperimentSummary[] = [];
  for (const seed of seeds) {
    ctx.progress.event('run', { label, seed });
    runs.push(await runFederatedExperiment({ ...options, seed, dataDir: ctx.dataDir, progress: ctx.progress, ...(ctx.queue ? { queue: ctx.queue } : {}) }));
  }
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

/** "0.512 / 0.498" style list of per-seed values (table cells avoid the pipe character). */
export function formatBySeed(values: readonly number[]): string {
  return values.map((v) => v.toFixed(3)).join(' / ');
}
