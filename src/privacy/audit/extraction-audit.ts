/**
 * Canary extraction from a classifier (ModIvA, Parikh et al. 2022) for every canary recorded
 * in the checkpoint: the attacker knows the canary's prefix (the format's text before its
 * first placeholder) and label, inverts the secret tokens (attacks/inversion.ts), and we score
 * the guess against the truth: exact reconstruction, per-token accuracy, and the rank of the
 * true secret among every secret of the format under the attack's beliefs.
 *
 * Positions are scored over the format's symbols by default (the attacker knows a PIN is
 * digits); 'full' scores the whole vocabulary, as the paper's relaxation does.
 *
 * Inserted canaries (repetitions > 0) are the trials; never-inserted reference canaries are
 * attacked the same way as a control (their rate is what an attack gets from the format and
 * the label alone, without memorisation).
 */
import { ConfigError } from '../../errors.js';
import type { ClassifierModel } from '../../models/index.js';
import { candidateAt, candidateSpaceSize } from '../attacks/exposure.js';
import { invertSecret, secretRank, type InversionOptions } from '../attacks/inversion.js';
import type { Canary } from './canaries.js';

export interface CanaryExtraction {
  text: string;
  label: string;
  repetitions: number;
  guess: string;
  exact: boolean;
  tokenAccuracy: number;
  /** 1 = the attack's top guess; null when the format's space is too large to enumerate. */
  rank: number | null;
}

export interface ExtractionSummary {
  trials: number;
  exactRate: number;
  tokenAccuracy: number;
  /** Mean rank of the true secret (null if no rank could be computed). */
  meanRank: number | null;
}

export interface ExtractionReport extends ExtractionSummary {
  /** Secrets of the format (|R|). */
  candidates: number;
  /** What guessing uniformly among the format's secrets gives. */
  chance: { exactRate: number; tokenAccuracy: number | null; meanRank: number };
  /** The same attack on never-inserted canaries (the control); null when there are none. */
  references: ExtractionSummary | null;
  /** 'full': scores over the whole vocabulary per position (the paper); 'format': only the format's symbols. */
  vocabulary: 'full' | 'format';
  canaries: CanaryExtraction[];
}

export interface ExtractionOptions extends Partial<Omit<InversionOptions, 'candidates'>> {
  vocabulary?: 'full' | 'format';
  /** Largest format space enumerated for ranks (default 20,000). */
  maxEnumerate?: number;
  seed?: number;
}

interface Layout {
  prefix: number[];
  suffix: number[];
  /** Token ids of the secret part of `text`. */
  secretOf(text: string): number[] | undefined;
}

function layoutOf(model: ClassifierModel, format: string): Layout {
  const first = format.search(/\{[dl]\}/);
  if (first < 0) throw new ConfigError(`canary format "${format}" has no {d} or {l} placeholder`);
  const lastMatch = [...format.matchAll(/\{[dl]\}/g)].pop()!;
  const suffixText = format.slice(lastMatch.index! + lastMatch[0].length);
  const prefix = model.tokenizer.encode(format.slice(0, first));
  const suffix = suffixText ? model.tokenizer.encode(suffixText) : [];
  return {
    prefix,
    suffix,
    secretOf(text) {
      const ids = model.tokenizer.encode(text);
      if (ids.length <= prefix.length + suffix.length) return undefined;
      for (let i = 0; i < prefix.length; i++) if (ids[i] !== prefix[i]) return undefined;
      return ids.slice(prefix.length, ids.length - suffix.length);
    },
  };
}

function summarise(rows: CanaryExtraction[]): ExtractionSummary {
  const ranks = rows.map((r) => r.rank).filter((r): r is number => r !== null);
  return {
    trials: rows.length,
    exactRate: rows.length ? rows.filter((r) => r.exact).length / rows.length : 0,
    tokenAccuracy: rows.length ? rows.reduce((a, r) => a + r.tokenAccuracy, 0) / rows.length : 0,
    meanRank: ranks.length ? ranks.reduce((a, b) => a + b, 0) / ranks.length : null,
  };
}

export function canaryExtraction(model: ClassifierModel, canaries: Canary[], options: ExtractionOptions = {}): ExtractionReport {
  if (canaries.length === 0) throw new ConfigError('no canaries to extract');
  const formats = new Set(canaries.map((c) => c.format));
  if (formats.size !== 1) throw new ConfigError(`canaries of ${formats.size} formats; extract one format at a time`);
  const format = canaries[0].format;
  const layout = layoutOf(model, format);
  const size = candidateSpaceSize({ template: format });
  const maxEnumerate = options.maxEnumerate ?? 20_000;
  // the format's secrets as token ids (for ranks and the 'format' vocabulary)
  const space: number[][] | undefined = size <= maxEnumerate
    ? Array.from({ length: size }, (_, k) => layout.secretOf(candidateAt({ template: format }, k))).filter((s): s is number[] => s !== undefined)
    : undefined;
  // the token ids the format's secrets use
  const symbols = space ? [...new Set(space.flat())].sort((a, b) => a - b) : undefined;
  const vocabulary = options.vocabulary ?? 'format';
  let candidates: number[] | undefined;
  if (vocabulary === 'format') {
    if (!symbols) throw new ConfigError(`--vocabulary format needs an enumerable format (at most ${maxEnumerate} secrets; "${format}" has ${size})`);
    candidates = symbols;
  }
  const rows: CanaryExtraction[] = [];
  canaries.forEach((canary, k) => {
    const label = canary.label === undefined ? -1 : model.labels.indexOf(canary.label);
    if (label < 0) throw new ConfigError(`canary "${canary.text}" has label "${canary.label}", which the model does not know`);
    const truth = layout.secretOf(canary.text);
    if (!truth) throw new ConfigError(`canary "${canary.text}" does not start with its format's prefix under the model's tokenizer`);
    const result = invertSecret(model, { prefix: layout.prefix, suffix: layout.suffix, unknown: truth.length, label }, {
      steps: options.steps,
      learningRate: options.learningRate,
      temperature: options.temperature,
      restarts: options.restarts,
      candidates,
      seed: (options.seed ?? 0) * 7919 + k,
    });
    const correct = result.tokens.filter((t, p) => t === truth[p]).length;
    const sameLength = space ? space.filter((s) => s.length === truth.length) : undefined;
    rows.push({
      text: canary.text,
      label: canary.label!,
      repetitions: canary.repetitions,
      guess: model.tokenizer.decode([...layout.prefix, ...result.tokens, ...layout.suffix]),
      exact: correct === truth.length,
      tokenAccuracy: correct / truth.length,
      rank: sameLength ? secretRank(result, truth, sameLength).rank : null,
    });
  });
  const inserted = rows.filter((r) => r.repetitions > 0);
  const references = rows.filter((r) => r.repetitions === 0);
  return {
    ...summarise(inserted),
    candidates: size,
    chance: { exactRate: 1 / size, tokenAccuracy: symbols ? 1 / symbols.length : null, meanRank: (size + 1) / 2 },
    references: references.length ? summarise(references) : null,
    vocabulary,
    canaries: rows,
  };
}
