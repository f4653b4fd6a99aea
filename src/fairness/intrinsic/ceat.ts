/**
 * CEAT, the Contextualized Embedding Association Test (Guo & Caliskan, AIES 2021).
 *
 * A contextual model gives each word a different vector in each sentence. CEAT draws N samples;
 * in sample i every word of X, Y, A, B gets one of its contextual vectors (the caller's sampler
 * decides which), WEAT gives an effect size ES_i, and the N effect sizes are combined by a
 * random-effects meta-analysis:
 *
 *   v_i  = in-sample variance of ES_i: the sample variance (ddof = 1) of s(w, A, B) over X ∪ Y
 *          in sample i, i.e. the square of ES_i's denominator (as in Guo & Caliskan's code).
 *          Note this is not the textbook sampling variance of a standardised mean difference
 *          ((n₁+n₂)/(n₁n₂) + d²/(2(n₁+n₂))); we follow the paper so results compare.
 *   w_i  = 1/v_i,  Q = Σ w_i ES_i² − (Σ w_i ES_i)²/Σ w_i,  df = N − 1,
 *   C    = Σ w_i − Σ w_i² / Σ w_i,
 *   τ²   = max(0, (Q − df)/C)                           (DerSimonian–Laird between-sample variance)
 *   w*_i = 1/(v_i + τ²),  CES = Σ w*_i ES_i / Σ w*_i,  SE = √(1/Σ w*_i),  z = CES/SE,
 *   p    = 2(1 − Φ(|z|)) two-sided (the paper), and 1 − Φ(z) one-sided (their code).
 */
import type { SeededRandom } from '../../engine/random.js';
import { ConfigError, NonFiniteError, ShapeMismatchError } from '../../errors.js';
import { normalSurvival } from '../../metrics/index.js';
import {
  normaliseSets,
  resolveWords,
  weatFromVectors,
  type Embed,
  type Vector,
  type WeatQuery,
  type WeatWordSets,
} from './weat.js';

export interface MetaAnalysisResult {
  /** Random-effects combined effect size. */
  combinedEffect: number;
  standardError: number;
  z: number;
  /** Two-sided p-value 2(1 − Φ(|z|)). */
  pValue: number;
  /** One-sided p-value 1 − Φ(z) (the effect is positive). */
  pValueOneSided: number;
  /** DerSimonian–Laird between-study variance. */
  tau2: number;
  /** Cochran's heterogeneity statistic and its degrees of freedom. */
  q: number;
  df: number;
  /** I² = max(0, (Q − df)/Q): share of variation due to heterogeneity. */
  i2: number;
  /** Normalised random-effects weights (sum to 1). */
  weights: Float64Array;
}

/** DerSimonian–Laird random-effects meta-analysis of effects with known within-study variances. */
export function randomEffectsMetaAnalysis(effects: ArrayLike<number>, variances: ArrayLike<number>): MetaAnalysisResult {
  const k = effects.length;
  if (variances.length !== k) {
    throw new ShapeMismatchError(`randomEffectsMetaAnalysis: ${k} effects but ${variances.length} variances; pass one variance per effect`);
  }
  if (k < 2) throw new ConfigError(`randomEffectsMetaAnalysis: needs at least 2 effects, got ${k}`);
  for (let i = 0; i < k; i++) {
    if (!Number.isFinite(effects[i])) throw new NonFiniteError(`randomEffectsMetaAnalysis: effect ${i} is ${effects[i]}`);
    if (!(variances[i] > 0) || !Number.isFinite(variances[i])) {
      throw new NonFiniteError(`randomEffectsMetaAnalysis: variance ${i} is ${variances[i]}; every variance must be finite and > 0`);
    }
  }
  let sumW = 0;
  let sumW2 = 0;
  let sumWY = 0;
  let sumWY2 = 0;
  for (let i = 0; i < k; i++) {
    const w = 1 / variances[i];
    sumW += w;
    sumW2 += w * w;
    sumWY += w * effects[i];
    sumWY2 += w * effects[i] * effects[i];
  }
  const q = Math.max(0, sumWY2 - (sumWY * sumWY) / sumW);
  const df = k - 1;
  const c = sumW - sumW2 / sumW;
  const tau2 = c > 0 ? Math.max(0, (q - df) / c) : 0;
  const weights = new Float64Array(k);
  let sumStar = 0;
  let sumStarY = 0;
  for (let i = 0; i < k; i++) {
    weights[i] = 1 / (variances[i] + tau2);
    sumStar += weights[i];
    sumStarY += weights[i] * effects[i];
  }
  for (let i = 0; i < k; i++) weights[i] /= sumStar;
  const combinedEffect = sumStarY / sumStar;
  const standardError = Math.sqrt(1 / sumStar);
  const z = combinedEffect / standardError;
  return {
    combinedEffect,
    standardError,
    z,
    pValue: Math.min(1, 2 * normalSurvival(Math.abs(z))),
    pValueOneSided: normalSurvival(z),
    tau2,
    q,
    df,
    i2: q > 0 ? Math.max(0, (q - df) / q) : 0,
    weights,
  };
}

export interface CeatOptions {
  /** Number of samples N (default 1000; Guo & Caliskan use 10,000). */
  samples?: number;
  /** Missing-word policy, per sample (default 0.2, as WEAT). */
  maxMissingFraction?: number;
}

export interface CeatSample {
  effectSize: number;
  /** In-sample variance v_i (see the module comment). */
  variance: number;
}

export interface CeatResult {
  combinedEffectSize: number;
  standardError: number;
  /** Two-sided. */
  pValue: number;
  pValueOneSided: number;
  tau2: number;
  meta: MetaAnalysisResult;
  samples: CeatSample[];
  /** Words missing in at least one sample. */
  missing: string[];
}

/**
 * Runs CEAT. `embeddingSample(i)` returns the word → vector lookup for sample i (each word's
 * contextual vector in that sample); `contextualSampler` builds one from pools of occurrences.
 */
export function ceat(
  sets: WeatWordSets | WeatQuery,
  embeddingSample: (sampleIndex: number) => Embed,
  options: CeatOptions = {},
): CeatResult {
  const n = options.samples ?? 1000;
  if (!Number.isInteger(n) || n < 2) throw new ConfigError(`CEAT: samples must be an integer ≥ 2, got ${n}`);
  const { words, names } = normaliseSets(sets);
  const effects = new Float64Array(n);
  const variances = new Float64Array(n);
  const missing = new Set<string>();
  for (let i = 0; i < n; i++) {
    const resolved = resolveWords(words, names, embeddingSample(i), options.maxMissingFraction);
    for (const w of resolved.missing) missing.add(w);
    const r = weatFromVectors(resolved.vectors, { skipPValue: true }, resolved.words);
    effects[i] = r.effectSize;
    variances[i] = r.associationVariance;
  }
  const meta = randomEffectsMetaAnalysis(effects, variances);
  return {
    combinedEffectSize: meta.combinedEffect,
    standardError: meta.standardError,
    pValue: meta.pValue,
    pValueOneSided: meta.pValueOneSided,
    tau2: meta.tau2,
    meta,
    samples: Array.from(effects, (effectSize, i) => ({ effectSize, variance: variances[i] })),
    missing: [...missing],
  };
}

/**
 * A sampler over pools of contextual vectors (word → its vectors, one per occurrence): sample i
 * gives each word one uniformly chosen occurrence, fixed for that sample (a word in two sets gets
 * the same vector in both). Words without a pool are missing. Draws come from `rng` in order, so
 * call samples in order for reproducibility (ceat does).
 */
export function contextualSampler(
  pools: Map<string, Vector[]> | Record<string, Vector[]>,
  rng: SeededRandom,
): (sampleIndex: number) => Embed {
  const lookup = pools instanceof Map ? pools : new Map(Object.entries(pools));
  for (const [word, vectors] of lookup) {
    if (!Array.isArray(vectors)) throw new ConfigError(`contextualSampler: pool of ${JSON.stringify(word)} must be an array of vectors`);
  }
  let currentIndex = -1;
  let chosen = new Map<string, Vector | undefined>();
  return (sampleIndex: number) => {
    if (sampleIndex !== currentIndex) {
      currentIndex = sampleIndex;
      chosen = new Map();
    }
    return (word: string) => {
      if (!chosen.has(word)) {
        const pool = lookup.get(word);
        chosen.set(word, pool && pool.length > 0 ? pool[rng.int(pool.length)] : undefined);
      }
      return chosen.get(word);
    };
  };
}
