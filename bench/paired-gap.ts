/**
 * Paired accuracy gaps over seeds for the Byzantine benchmark: per seed, reference − attacked
 * in points (accuracy × 100), their mean and a 95% Student-t interval of the mean. Shared by
 * bench/fl-byzantine.ts and bench/fl-byzantine-combine.ts (which pairs runs from several files).
 */
// the module itself, not an index that loads tfjs, for a JSON-only script
import { meanTInterval } from '../src/metrics/mean-interval.js';

/** What a gap needs of a run: its final accuracy and its per-round curve. */
export interface AccuracyRun {
  seed: number;
  accuracy: number;
  curve: number[];
}

export interface PairedSummary {
  /** Points (accuracy × 100): reference − attacked, one per seed. */
  perSeed: number[];
  mean: number;
  /** 95% t-interval of the mean over seeds (absent with one seed). */
  interval95?: [number, number];
}

/** Mean and 95% t-interval of the per-seed differences reference − attacked, in points. */
export function pairedGap(attacked: (seed: number) => AccuracyRun | undefined, reference: (seed: number) => AccuracyRun | undefined, seeds: number[], atRound?: number): PairedSummary | undefined {
  const at = (row: AccuracyRun) => (atRound === undefined ? row.accuracy : row.curve[atRound - 1]);
  const perSeed: number[] = [];
  for (const seed of seeds) {
    const a = attacked(seed);
    const b = reference(seed);
    if (a && b) perSeed.push(Number(((at(b) - at(a)) * 100).toFixed(2)));
  }
  if (perSeed.length === 0) return undefined;
  const { mean, half } = meanTInterval(perSeed);
  const out: PairedSummary = { perSeed, mean: Number(mean.toFixed(2)) };
  if (half !== null) out.interval95 = [Number((mean - half).toFixed(2)), Number((mean + half).toFixed(2))];
  return out;
}
