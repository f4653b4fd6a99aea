/**
 * Study "text-privacy": what rewriting training text costs an intent classifier and what it
 * hides. For CLINC150 (small variant) and SNIPS, each mechanism on an ε grid — Madlib,
 * Mahalanobis (λ = 0.2), density-aware truncated Gumbel (word-level metric DP on the GloVe
 * 100-d subset) and ADePT (sentence-level (ε, δ)-DP, corrected Gaussian variant, auto-encoder
 * trained on SLURP's lm.txt as public text) — the training and validation texts are rewritten
 * and the GloVe-initialised embedding-bag classifier is trained on them, then tested on CLEAN
 * test text. Utility beside every privacy number:
 *  - accuracy (mean over seeds, Student-t 95% interval);
 *  - median N_w and S_w over a sample of the dataset's words (bootstrap 95% interval over words);
 *  - word overlap: the share of the original words (in the embedding vocabulary) that the
 *    rewrite still contains, i.e. what an attacker who reads the rewrite as the original gets;
 *  - closed-world recovery: a MAP attacker with the same embeddings and the words' frequencies
 *    (recovery-attack.ts), against its prior-only baseline;
 *  - membership inference (loss threshold) against the classifier: clean training utterances
 *    vs clean test utterances, AUC (0.5 = nothing learned).
 * Rows "clean" (no rewriting) and "vocabulary only" (ε = ∞: out-of-vocabulary words dropped,
 * every other word kept) separate the cost of the noise from the cost of the vocabulary.
 * ε is not comparable across mechanisms (per word and per unit of distance for the metric
 * mechanisms, whose scales differ by orders of magnitude; per utterance for ADePT), hence the
 * comparison at equal N_w and equal word overlap.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { resolveDataDir } from '../data/locate.js';
import { loadCorpus, loadIntentDataset } from '../data/registry.js';
import type { IntentDataset, TextExample } from '../data/types.js';
import { SeededRandom } from '../engine/index.js';
import { DatasetNotFoundError } from '../errors.js';
import { meanTInterval, rocAuc } from '../metrics/index.js';
import type { ClassifierModel } from '../models/index.js';
import { membershipStatistics } from '../privacy/audit/membership-statistics.js';
import {
  adeptRewrite,
  closedWorldRecovery,
  createWordMechanism,
  loadEmbeddingSpace,
  medianOverWords,
  plausibleDeniability,
  rewriteTexts,
  trainAdeptAutoencoder,
  type AdeptAutoencoder,
  type AdeptAutoencoderConfig,
  type EmbeddingSpace,
  type WordMechanismName,
} from '../privacy/index.js';
import { splitWords } from '../text/index.js';
import { runTraining, type ClassifierResult } from '../train/index.js';
import type { StudyColumn, StudyContext, StudyDefinition, StudyRow } from './runner.js';
import { textPrivacyCharts } from './text-privacy-charts.js';

export type TextPrivacyMechanism = WordMechanismName | 'adept' | 'clean' | 'vocabulary only';

export interface TextPrivacyScale {
  datasets: { name: string; trainLimit?: number; valLimit?: number; testLimit?: number }[];
  seeds: number;
  classifierEpochs: number;
  grids: Record<WordMechanismName | 'adept', number[]>;
  statWords: number;
  statSamples: number;
  attackSamples: number;
  miaPerSide: number;
  adeptPublicTexts: number;
  adeptEpochs: number;
  adeptBatch: number;
  adeptConfig: Partial<AdeptAutoencoderConfig>;
  adeptDelta: number;
}

export const TEXT_PRIVACY_FULL: TextPrivacyScale = {
  datasets: [{ name: 'clinc150-small', valLimit: 1000 }, { name: 'snips', trainLimit: 3000 }],
  seeds: 3,
  classifierEpochs: 5,
  grids: { madlib: [6, 8, 11], mahalanobis: [6, 8, 11], 'truncated-gumbel': [50, 1e4, 1e12], adept: [100, 1000, 10000] },
  statWords: 100,
  statSamples: 200,
  attackSamples: 100,
  miaPerSide: 1000,
  adeptPublicTexts: 8000,
  adeptEpochs: 6,
  adeptBatch: 64,
  adeptConfig: { embeddingDim: 64, hidden: 128, maxLength: 12, clipNorm: 'l2', clip: 1 },
  adeptDelta: 1e-5,
};

export const TEXT_PRIVACY_QUICK: TextPrivacyScale = {
  datasets: [{ name: 'snips', trainLimit: 400, valLimit: 100, testLimit: 200 }],
  seeds: 2,
  classifierEpochs: 2,
  grids: { madlib: [8], mahalanobis: [8], 'truncated-gumbel': [1e6], adept: [1000] },
  statWords: 10,
  statSamples: 50,
  attackSamples: 30,
  miaPerSide: 100,
  adeptPublicTexts: 300,
  adeptEpochs: 1,
  adeptBatch: 64,
  adeptConfig: { embeddingDim: 16, hidden: 32, maxLength: 12, clipNorm: 'l2', clip: 1 },
  adeptDelta: 1e-5,
};

const label = (e: number) => (Number.isFinite(e) ? (e >= 1e4 ? e.toExponential(0).replace('e+', 'e') : String(e)) : '∞');

interface Setting {
  mechanism: TextPrivacyMechanism;
  epsilon: number;
}

function settings(scale: TextPrivacyScale): Setting[] {
  const out: Setting[] = [{ mechanism: 'clean', epsilon: Infinity }, { mechanism: 'vocabulary only', epsilon: Infinity }];
  for (const m of ['madlib', 'mahalanobis', 'truncated-gumbel', 'adept'] as const) for (const epsilon of scale.grids[m]) out.push({ mechanism: m, epsilon });
  return out;
}

function limited(data: IntentDataset, d: TextPrivacyScale['datasets'][number], seed: number): IntentDataset {
  const rng = new SeededRandom(seed).fork(`text-privacy-subset/${data.name}`);
  const take = (examples: TextExample[], limit?: number) => (limit === undefined || limit >= examples.length ? examples : rng.permutation(examples.length).slice(0, limit).sort((a, b) => a - b).map((i) => examples[i]));
  return { ...data, splits: { train: take(data.splits.train, d.trainLimit), val: take(data.splits.val, d.valLimit), test: take(data.splits.test, d.testLimit) } };
}

/** Share of each original's in-vocabulary words still present in its rewrite (multiset), pooled. */
export function wordOverlap(originals: readonly string[], rewrites: readonly string[], space: EmbeddingSpace): number {
  let kept = 0;
  let total = 0;
  originals.forEach((text, i) => {
    const available = new Map<string, number>();
    for (const w of splitWords(rewrites[i])) available.set(w, (available.get(w) ?? 0) + 1);
    for (const w of splitWords(text)) {
      if (space.idOf(w) === undefined) continue;
      total++;
      const n = available.get(w) ?? 0;
      if (n > 0) {
        kept++;
        available.set(w, n - 1);
      }
    }
  });
  return total === 0 ? 0 : kept / total;
}

/** Mean with a Student-t 95% interval, clamped to [lowest, highest] (a rate's interval stays in [0, 1]). */
function meanInterval(values: number[], lowest = 0, highest = 1): { mean: number; low: number | null; high: number | null } {
  const { mean, half } = meanTInterval(values);
  if (half === null) return { mean, low: null, high: null };
  return { mean, low: Math.max(lowest, mean - half), high: Math.min(highest, mean + half) };
}

const interval = (v: number, low: number | null, high: number | null, digits = 3) =>
  low === null || high === null ? v.toFixed(digits) : `${v.toFixed(digits)} [${low.toFixed(digits)}, ${high.toFixed(digits)}]`;

function membershipAuc(model: ClassifierModel, data: IntentDataset, count: number, rng: SeededRandom): number {
  const inScope = (e: TextExample) => e.label !== data.outOfScopeLabel;
  const pick = (examples: TextExample[]) => {
    const pool = examples.filter(inScope);
    return rng.permutation(pool.length).slice(0, count).map((i) => pool[i]);
  };
  const members = pick(data.splits.train);
  const nonMembers = pick(data.splits.test);
  const losses = membershipStatistics(model, [...members, ...nonMembers]).losses;
  const scores = Array.from(losses, (l) => -l);
  const labels = [...members.map(() => 1), ...nonMembers.map(() => 0)];
  return rocAuc(scores, labels);
}

export async function runTextPrivacy(ctx: StudyContext, scale: TextPrivacyScale = ctx.quick ? TEXT_PRIVACY_QUICK : TEXT_PRIVACY_FULL): Promise<StudyRow[]> {
  const dataDir = resolveDataDir(ctx.dataDir);
  if (!dataDir || !existsSync(join(dataDir, 'glove-6b-100d-subset', 'vectors.txt'))) {
    throw new DatasetNotFoundError('the text-privacy study needs the real data (GloVe subset, CLINC150, SNIPS, SLURP lm.txt): pass --data-dir DIR or set TRUSTNLU_DATA');
  }
  const space = loadEmbeddingSpace({ dataDir });
  const range = space.distanceRange();
  const root = new SeededRandom(ctx.seed);

  // ADePT's auto-encoder, once, on public text (SLURP lm.txt; no intent dataset of the study).
  ctx.progress.event('text-privacy', { part: 'adept auto-encoder', publicTexts: scale.adeptPublicTexts, epochs: scale.adeptEpochs });
  const publicCorpus = loadCorpus('slurp-lm', { dataDir, seed: ctx.seed });
  const publicOrder = root.fork('adept-public').permutation(publicCorpus.splits.train.length).slice(0, scale.adeptPublicTexts);
  const adeptStarted = Date.now();
  const { model: adept, history: adeptHistory } = trainAdeptAutoencoder(
    publicOrder.map((i) => publicCorpus.splits.train[i].text),
    { epochs: scale.adeptEpochs, batchSize: scale.adeptBatch, learningRate: 5e-3, seed: ctx.seed, vocabularySize: 3000, config: scale.adeptConfig, validation: publicCorpus.splits.val.slice(0, 300).map((u) => u.text), progress: ctx.progress },
  );
  const adeptSeconds = (Date.now() - adeptStarted) / 1000;
  const adeptFinal = adeptHistory[adeptHistory.length - 1];

  const rows: StudyRow[] = [];
  try {
    for (const d of scale.datasets) {
      const data = limited(loadIntentDataset(d.name, { dataDir, seed: ctx.seed }), d, ctx.seed);
      const frequency = new Map<string, number>();
      for (const e of data.splits.train) for (const w of splitWords(e.text)) if (space.idOf(w) !== undefined) frequency.set(w, (frequency.get(w) ?? 0) + 1);
      const distinct = [...frequency.keys()].sort();
      const words = root.fork(`words/${d.name}`).permutation(distinct.length).slice(0, scale.statWords).map((i) => distinct[i]);
      const prior = words.map((w) => frequency.get(w)!);
      for (const setting of settings(scale)) {
        rows.push(await runSetting(ctx, scale, data, setting, { space, range, words, prior, adept, root }));
      }
    }
  } finally {
    adept.dispose();
    space.dispose();
  }
  for (const r of rows) {
    if (r.mechanism === 'adept') {
      r.note = `auto-encoder: ${scale.adeptPublicTexts} SLURP lm.txt utterances, ${adeptHistory.length} epochs, ${adeptSeconds.toFixed(0)} s; noise-free reconstruction word accuracy ${(adeptFinal.wordAccuracy ?? 0).toFixed(3)}, exact ${(adeptFinal.exactMatch ?? 0).toFixed(3)}`;
    }
  }
  return rows;
}

interface Shared {
  space: EmbeddingSpace;
  range: { min: number; max: number };
  words: string[];
  prior: number[];
  adept: AdeptAutoencoder;
  root: SeededRandom;
}

async function runSetting(ctx: StudyContext, scale: TextPrivacyScale, data: IntentDataset, setting: Setting, shared: Shared): Promise<StudyRow> {
  const { space, range, words, prior, adept, root } = shared;
  const name = `${data.name}/${setting.mechanism}/${label(setting.epsilon)}`;
  ctx.progress.event('text-privacy', { setting: name });
  const wordMechanism = setting.mechanism === 'madlib' || setting.mechanism === 'mahalanobis' || setting.mechanism === 'truncated-gumbel' ? setting.mechanism : undefined;
  const mechanismSeed = (purpose: string) => root.fork(`${name}/${purpose}`).nextUint32();
  const make = (seed: number) => createWordMechanism(wordMechanism ?? 'madlib', space, { epsilon: setting.epsilon, seed, distanceRange: range });

  let deniability: Record<string, number | string | null> = { medianUnchanged: null, unchangedLow: null, unchangedHigh: null, medianDistinct: null, distinctLow: null, distinctHigh: null, recovery: null, recoveryBaseline: null };
  if (wordMechanism) {
    const stats = plausibleDeniability(make(mechanismSeed('stats')), words, { samples: scale.statSamples });
    const unchanged = medianOverWords(stats.map((s) => s.unchanged), ctx.seed);
    const distinct = medianOverWords(stats.map((s) => s.distinct), ctx.seed);
    const attack = closedWorldRecovery(make(mechanismSeed('attack')), words, prior, scale.attackSamples);
    deniability = {
      medianUnchanged: unchanged.median, unchangedLow: unchanged.low, unchangedHigh: unchanged.high,
      medianDistinct: distinct.median, distinctLow: distinct.low, distinctHigh: distinct.high,
      recovery: attack.rate, recoveryBaseline: attack.baseline,
    };
  }

  const accuracies: number[] = [];
  const aucs: number[] = [];
  const overlaps: number[] = [];
  const sentencesUnchanged: number[] = [];
  let privatizeSeconds = 0;
  for (let s = 0; s < scale.seeds; s++) {
    const seed = mechanismSeed(`seed${s}`);
    const rewrite = (texts: string[]): string[] => {
      if (setting.mechanism === 'clean') return texts;
      if (setting.mechanism === 'adept') return adeptRewrite(adept, texts, { noise: 'gaussian', epsilon: setting.epsilon, delta: scale.adeptDelta, clip: adept.config.clip, seed }).texts;
      const mechanism = setting.mechanism === 'vocabulary only' ? createWordMechanism('madlib', space, { epsilon: Infinity, seed }) : make(seed);
      return rewriteTexts(mechanism, texts, { outOfVocabulary: 'drop' }).texts;
    };
    const started = Date.now();
    const trainTexts = data.splits.train.map((e) => e.text);
    const privateTrain = rewrite(trainTexts);
    const privateVal = rewrite(data.splits.val.map((e) => e.text));
    privatizeSeconds += (Date.now() - started) / 1000;
    overlaps.push(wordOverlap(trainTexts, privateTrain, space));
    sentencesUnchanged.push(privateTrain.filter((t, i) => splitWords(t).join(' ') === splitWords(trainTexts[i]).join(' ')).length / trainTexts.length);
    const privatized: IntentDataset = {
      ...data,
      splits: {
        train: data.splits.train.map((e, i) => ({ ...e, text: privateTrain[i] })),
        val: data.splits.val.map((e, i) => ({ ...e, text: privateVal[i] })),
        test: data.splits.test,
      },
    };
    const { result, model } = await runTraining({ dataset: privatized, model: 'embbag', epochs: scale.classifierEpochs, seed: ctx.seed + s, glove: true, dataDir: ctx.dataDir });
    try {
      accuracies.push((result as ClassifierResult).accuracy);
      aucs.push(membershipAuc(model as ClassifierModel, data, scale.miaPerSide, root.fork(`${name}/mia${s}`)));
    } finally {
      model.dispose();
    }
  }
  const accuracy = meanInterval(accuracies);
  const auc = meanInterval(aucs);
  const overlap = meanInterval(overlaps);
  const n = (v: unknown) => v as number;
  return {
    dataset: data.name,
    mechanism: setting.mechanism,
    epsilon: setting.mechanism === 'clean' ? '–' : label(setting.epsilon),
    epsilonValue: Number.isFinite(setting.epsilon) ? setting.epsilon : null,
    privacyUnit: wordMechanism ? 'word (metric DP)' : setting.mechanism === 'adept' ? `utterance ((ε, δ = ${scale.adeptDelta})-DP)` : 'none',
    ...deniability,
    unchangedCell: wordMechanism ? interval(n(deniability.medianUnchanged), n(deniability.unchangedLow), n(deniability.unchangedHigh)) : '–',
    distinctCell: wordMechanism ? interval(n(deniability.medianDistinct), n(deniability.distinctLow), n(deniability.distinctHigh), 1) : '–',
    recoveryCell: wordMechanism ? `${n(deniability.recovery).toFixed(3)} (prior ${n(deniability.recoveryBaseline).toFixed(3)})` : '–',
    wordOverlap: overlap.mean,
    sentencesUnchanged: sentencesUnchanged.reduce((a, b) => a + b, 0) / sentencesUnchanged.length,
    accuracy: accuracy.mean,
    accuracyLow: accuracy.low,
    accuracyHigh: accuracy.high,
    accuracyCell: interval(accuracy.mean, accuracy.low, accuracy.high),
    accuracyBySeed: JSON.stringify(accuracies.map((a) => Number(a.toFixed(4)))),
    membershipAuc: auc.mean,
    membershipAucCell: interval(auc.mean, auc.low, auc.high),
    seeds: scale.seeds,
    trainExamples: data.splits.train.length,
    privatizeSecondsPerSeed: privatizeSeconds / scale.seeds,
    note: '',
  };
}

const COLUMNS: StudyColumn[] = [
  { key: 'dataset', header: 'dataset' },
  { key: 'mechanism', header: 'mechanism' },
  { key: 'epsilon', header: 'ε' },
  { key: 'accuracyCell', header: 'accuracy (clean test) [95% CI over seeds]' },
  { key: 'unchangedCell', header: 'median N_w [95% CI]' },
  { key: 'distinctCell', header: 'median S_w [95% CI]' },
  { key: 'wordOverlap', header: 'word overlap', digits: 3 },
  { key: 'sentencesUnchanged', header: 'utterances unchanged', digits: 3 },
  { key: 'recoveryCell', header: 'MAP recovery (prior-only)' },
  { key: 'membershipAucCell', header: 'membership AUC [95% CI]' },
  { key: 'privatizeSecondsPerSeed', header: 'rewrite s / seed', digits: 1 },
];

export const textPrivacyStudy: StudyDefinition = {
  name: 'text-privacy',
  title: 'Private text: rewriting intent data with Madlib, Mahalanobis, truncated Gumbel and ADePT (CLINC150, SNIPS)',
  description: [
    'Training and validation utterances rewritten by each mechanism (GloVe 100-d subset, 13,975 words; out-of-vocabulary words dropped), the GloVe-initialised embedding-bag classifier trained on them and tested on clean test utterances (CLINC150: in-scope accuracy).',
    'Accuracy is the mean over seeds with a Student-t 95% interval (each seed draws new noise and a new classifier initialisation). N_w is the probability that a word comes out unchanged and S_w the number of distinct outputs in the draws, both as medians over a random sample of the dataset\'s words (bootstrap 95% interval over words).',
    'Word overlap: share of the original in-vocabulary words still in the rewrite. MAP recovery: a closed-world attacker with the same embeddings and the words\' training frequencies guessing the original word from one output (fitted and scored on separate draws), beside the best guess without the output. Membership AUC: loss-threshold attack on the classifier, clean training vs clean test utterances (0.5 = no signal).',
    'ε is per word and per unit of embedding distance for the word mechanisms (their scales are not comparable with each other: compare at equal N_w), per utterance with δ = 1e-5 for ADePT (Gaussian, L2 clip C = 1, analytic calibration). See docs/text-privacy.md.',
  ].join(' '),
  columns: COLUMNS,
  run: (ctx) => runTextPrivacy(ctx),
  charts: textPrivacyCharts,
};
