/**
 * Canary exposure of a language model (Carlini et al. 2019): for each canary recorded in
 * the checkpoint, the rank of its log-perplexity among every candidate of its format
 * (exact when the space has at most `maxEnumerate` candidates; otherwise a skew-normal fit
 * to `samples` random candidates).
 */
import { SeededRandom } from '../../engine/random.js';
import type { LanguageModel } from '../../models/index.js';
import { candidateAt, candidateSpaceSize, exactExposure, extrapolatedExposure, randomCanary } from '../attacks/exposure.js';
import type { Canary } from './canaries.js';
import { textLogPerplexities } from './sequence-scores.js';

export interface CanaryExposure {
  text: string;
  repetitions: number;
  exposure: number;
  /** log2 of the candidate space: the largest possible exposure. */
  maxPossible: number;
  method: 'exact' | 'extrapolated';
}

export interface ExposureReport {
  canaries: CanaryExposure[];
  maxExposure: number;
}

export function canaryExposures(
  model: LanguageModel,
  canaries: Canary[],
  options: { seed?: number; maxEnumerate?: number; samples?: number } = {},
): ExposureReport {
  const maxEnumerate = options.maxEnumerate ?? 20_000;
  const samples = options.samples ?? 2000;
  const rng = new SeededRandom(options.seed ?? 0).fork('exposure');
  const byFormat = new Map<string, Canary[]>();
  for (const c of canaries) byFormat.set(c.format, [...(byFormat.get(c.format) ?? []), c]);
  const results: CanaryExposure[] = [];
  for (const [format, group] of byFormat) {
    const space = candidateSpaceSize({ template: format });
    const canaryScores = textLogPerplexities(model, group.map((c) => c.text));
    if (space <= maxEnumerate) {
      const candidates = Array.from({ length: space }, (_, k) => candidateAt({ template: format }, k));
      const scores = textLogPerplexities(model, candidates);
      const index = new Map(candidates.map((t, k) => [t, k]));
      group.forEach((c, j) => {
        const own = index.get(c.text)!;
        const others = scores.filter((_, k) => k !== own);
        results.push({ text: c.text, repetitions: c.repetitions, exposure: exactExposure(canaryScores[j], others).exposure, maxPossible: Math.log2(space), method: 'exact' });
      });
    } else {
      const sampled = textLogPerplexities(model, Array.from({ length: samples }, () => randomCanary({ template: format }, rng)));
      group.forEach((c, j) => {
        results.push({ text: c.text, repetitions: c.repetitions, exposure: extrapolatedExposure(canaryScores[j], sampled, space).exposure, maxPossible: Math.log2(space), method: 'extrapolated' });
      });
    }
  }
  const inserted = results.filter((r) => r.repetitions > 0);
  return { canaries: results, maxExposure: inserted.length > 0 ? Math.max(...inserted.map((r) => r.exposure)) : 0 };
}
