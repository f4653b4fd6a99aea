/**
 * Seed-paired comparisons for the federated studies (fl-nlp, fl-selection): two arms run with
 * the same seeds (the same partition, initialisation and selection stream per seed), the
 * per-seed accuracy differences, their mean and a percentile bootstrap interval over seeds
 * (metrics/bootstrap). A difference is "established" only when its interval excludes zero,
 * and a pair whose two arms both sit within a margin of the majority-class accuracy is marked
 * `bothAtChance`: such a "win" says nothing about the methods (its verdict says so, whatever
 * the interval).
 */
import { SeededRandom } from '../engine/random.js';
import { bootstrapCI, mean } from '../metrics/index.js';
import type { StudyColumn, StudyRow } from './runner.js';

/** Resamples of the seed bootstrap (each a mean of n resampled per-seed values). */
export const SEED_BOOTSTRAP_RESAMPLES = 2000;

export interface PairOptions {
  /** The study seed; each pair's bootstrap draws from a stream forked by its name. */
  seed: number;
  /** Accuracy within this much of the majority-class accuracy counts as chance. */
  chanceMargin: number;
  resamples?: number;
}

/** Mean over seeds and its 95% bootstrap interval over seeds (null with fewer than 2 seeds). */
export function seedMeanInterval(values: readonly number[], rng: SeededRandom, resamples = SEED_BOOTSTRAP_RESAMPLES): { mean: number; low: number | null; high: number | null } {
  const m = mean(values);
  if (values.length < 2) return { mean: m, low: null, high: null };
  const ci = bootstrapCI((indices) => mean(values, indices), values.length, { rng, resamples, confidence: 0.95 });
  return { mean: m, low: ci.low, high: ci.high };
}

/** "[0.512, 0.534]" (or "–" without an interval). */
export function formatInterval(low: number | null, high: number | null, digits = 3): string {
  return low === null || high === null ? '–' : `[${low.toFixed(digits)}, ${high.toFixed(digits)}]`;
}

/** Whether a run row's mean accuracy is within `margin` of its majority-class accuracy. */
function atChance(rows: readonly StudyRow[], margin: number): boolean {
  const accuracy = mean(rows.map((r) => r.accuracy as number));
  const chance = mean(rows.map((r) => r.majorityAccuracy as number));
  return Number.isFinite(chance) && accuracy <= chance + margin;
}

/**
 * The pair row "first − second" of two arms' run rows (with `seed`, `accuracy`,
 * `majorityAccuracy`), paired on the seeds both arms ran. `extra` names the pair's context
 * (dataset, partition, …).
 */
export function pairRow(first: { name: string; rows: readonly StudyRow[] }, second: { name: string; rows: readonly StudyRow[] }, options: PairOptions, extra: StudyRow = {}): StudyRow {
  const pair = `${first.name} − ${second.name}`;
  const a = first.rows;
  const b = second.rows;
  const bySeed = new Map(b.map((r) => [r.seed as number, r]));
  const matched = a.filter((r) => bySeed.has(r.seed as number));
  const seeds = matched.map((r) => r.seed as number);
  const differences = matched.map((r) => (r.accuracy as number) - (bySeed.get(r.seed as number)!.accuracy as number));
  const rng = new SeededRandom(options.seed).fork(`pair:${pair}:${JSON.stringify(extra)}`);
  const { mean: meanDifference, low, high } = seedMeanInterval(differences, rng, options.resamples);
  const established = low !== null && high !== null && (low > 0 || high < 0);
  const bothAtChance = atChance(matched, options.chanceMargin) && atChance(matched.map((r) => bySeed.get(r.seed as number)!), options.chanceMargin);
  return {
    kind: 'pair',
    ...extra,
    pair,
    meanDifference: seeds.length > 0 ? meanDifference : null,
    interval: formatInterval(low, high, 4),
    intervalLow: low,
    intervalHigh: high,
    seeds: seeds.join(','),
    established,
    bothAtChance,
    verdict: bothAtChance ? 'both at chance' : !established ? 'not established' : meanDifference > 0 ? `${first.name} better` : `${second.name} better`,
    chanceMargin: options.chanceMargin,
    bySeed: differences.map((d) => d.toFixed(4)).join(' / '),
  };
}

/** The columns of a pair row after its context columns (dataset, partition, setting, …). */
export const PAIR_RESULT_COLUMNS: StudyColumn[] = [
  { key: 'pair', header: 'pair' },
  { key: 'meanDifference', header: 'mean difference', digits: 4 },
  { key: 'interval', header: '95% interval (paired bootstrap over seeds)' },
  { key: 'seeds', header: 'seeds' },
  { key: 'established', header: 'interval excludes 0' },
  { key: 'verdict', header: 'verdict' },
];
