/**
 * Study "distillation": does counterfactual role reversal (Gupta et al., Findings of ACL 2022)
 * reduce the gender disparity a distilled language model inherits from its teacher?
 *
 * A word-level transformer teacher is trained on BOLD's Wikipedia sentences with 20% of the
 * actor/actress entities and 10% of the profession entities held out (their sentences are never
 * trained on; their prompts are the probe). Students a fraction of its size are distilled with the
 * temperature-scaled KD loss, all with the same seed, vocabulary and number of steps:
 *   KD · KD + CDA (two-sided) · KD + role reversal (max, mean, swap) · KD + role reversal (mean) + CDA.
 * Every model generates continuations of the held-out prompts (top-k sampling, seeded); we report
 * - disparity: mean VADER compound of American_actresses minus American_actors continuations,
 *   with a 95% bootstrap CI (resampling within groups); positiveGap: the same for the fraction of
 *   continuations with compound ≥ 0.5; polarityGap: the same for gender polarity;
 * - professionPolarity: fraction male-polar minus fraction female-polar continuations of the
 *   held-out profession prompts (0 = balanced);
 * - perplexity on the held-out entities' sentences (utility).
 * The trained teacher is cached in runs/distillation/ (gitignored) and reused by later runs with
 * the same settings.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { requireDataDir } from '../data/locate.js';
import type { TextCorpus, TextUnit } from '../data/types.js';
import { SeededRandom } from '../engine/index.js';
import {
  augmentUnits,
  distillationGradients,
  generateContinuations,
  genderSwapLexicon,
  groupGap,
  polarityBalance,
  scoreContinuations,
  splitBold,
  vocabularySwap,
  type BoldPrompt,
  type RoleReversalVariant,
  type SwapLexicon,
} from '../fairness/mitigation/index.js';
import { loadIntentDataset } from '../data/registry.js';
import { auditGroups, counterfactualAugmentation } from '../fairness/index.js';
import { createModel, loadModel, saveModel, type ClassifierModel, type LanguageModel, type LanguageModelConfig } from '../models/index.js';
import { fitWordTokenizer, type Tokenizer } from '../text/index.js';
import { encodeWindows, LanguageModelTask, languageModelMetrics, runTraining, train, type ClassifierResult, type TrainerOptions } from '../train/index.js';
import { skewNames } from './fairness-metrics.js';
import type { VegaLiteSpec } from '../report/charts.js';
import type { StudyColumn, StudyContext, StudyDefinition, StudyRow } from './runner.js';

export interface DistillationSettings {
  trainFraction: number;
  vocabulary: number;
  teacher: Partial<LanguageModelConfig>;
  student: Partial<LanguageModelConfig>;
  teacherEpochs: number;
  teacherStepsPerEpoch: number;
  studentEpochs: number;
  studentStepsPerEpoch: number;
  batchSize: number;
  temperature: number;
  alpha: number;
  /** Prompts per gender group and profession prompts evaluated. */
  promptsPerGroup: number;
  professionPrompts: number;
  maxTokens: number;
  topK: number;
  resamples: number;
}

const CONTEXT = 32;

export function distillationSettings(quick: boolean): DistillationSettings {
  if (quick) {
    return {
      trainFraction: 0.03, vocabulary: 1500,
      teacher: { kind: 'word-transformer', embeddingDim: 48, heads: 2, layers: 1, ffnDim: 96, dropout: 0, contextLength: CONTEXT },
      student: { kind: 'word-transformer', embeddingDim: 24, heads: 2, layers: 1, ffnDim: 48, dropout: 0, contextLength: CONTEXT },
      teacherEpochs: 1, teacherStepsPerEpoch: 20, studentEpochs: 1, studentStepsPerEpoch: 6, batchSize: 16,
      temperature: 2, alpha: 0.5, promptsPerGroup: 12, professionPrompts: 12, maxTokens: 8, topK: 20, resamples: 200,
    };
  }
  return {
    trainFraction: 1, vocabulary: 4000,
    teacher: { kind: 'word-transformer', embeddingDim: 96, heads: 4, layers: 2, ffnDim: 384, dropout: 0.1, contextLength: CONTEXT },
    student: { kind: 'word-transformer', embeddingDim: 48, heads: 2, layers: 1, ffnDim: 96, dropout: 0.1, contextLength: CONTEXT },
    teacherEpochs: 5, teacherStepsPerEpoch: 80, studentEpochs: 2, studentStepsPerEpoch: 80, batchSize: 32,
    temperature: 2, alpha: 0.5, promptsPerGroup: 200, professionPrompts: 200, maxTokens: 12, topK: 40, resamples: 1000,
  };
}

export interface StudentVariant {
  name: string;
  cda: boolean;
  roleReversal?: RoleReversalVariant;
}

export const STUDENT_VARIANTS: StudentVariant[] = [
  { name: 'KD', cda: false },
  { name: 'KD + CDA', cda: true },
  { name: 'KD + RR (max)', cda: false, roleReversal: 'max' },
  { name: 'KD + RR (mean)', cda: false, roleReversal: 'mean' },
  { name: 'KD + RR (swap)', cda: false, roleReversal: 'swap' },
  { name: 'KD + RR (mean) + CDA', cda: true, roleReversal: 'mean' },
];

function corpusOf(train: TextUnit[], val: TextUnit[], test: TextUnit[]): TextCorpus {
  return {
    name: 'bold-wikipedia',
    task: 'lm',
    splits: { train, val, test },
    synthetic: false,
    notes: ['BOLD Wikipedia sentences, held-out entities removed'],
    licence: 'CC BY-SA 4.0',
    source: 'amazon-science/bold',
  };
}

function sample<T>(items: T[], n: number, rng: SeededRandom): T[] {
  return items.length <= n ? items : rng.shuffle([...items]).slice(0, n);
}

function trainerOptions(settings: DistillationSettings, seed: number, epochs: number, steps: number, ctx: StudyContext): TrainerOptions {
  return {
    epochs,
    maxStepsPerEpoch: steps,
    batchSize: settings.batchSize,
    learningRate: 1e-3,
    optimizer: { name: 'adamw' },
    schedule: 'cosine',
    warmupSteps: Math.min(100, Math.floor((epochs * steps) / 10)),
    seed,
    progress: ctx.progress,
  };
}

/** The teacher from the cache when its settings match, else trained and cached. */
async function teacherModel(tokenizer: Tokenizer, corpus: TextCorpus, settings: DistillationSettings, ctx: StudyContext): Promise<{ model: LanguageModel; seconds: number; cached: boolean }> {
  const key = `${ctx.quick ? 'quick' : 'full'}-s${ctx.seed}-v${tokenizer.vocabSize}-d${settings.teacher.embeddingDim}x${settings.teacher.layers}-e${settings.teacherEpochs}x${settings.teacherStepsPerEpoch}`;
  const dir = join('runs', 'distillation', `teacher-${key}`);
  if (existsSync(join(dir, 'model.json'))) {
    const { model, meta } = loadModel(dir);
    const sameVocabulary = model.tokenizer.vocabSize === tokenizer.vocabSize && model.tokenizer.toJSON().tokens.every((t, i) => t === tokenizer.tokenOf(i));
    if (model.task === 'lm' && sameVocabulary) {
      ctx.progress.event('teacher', { cached: dir });
      return { model, seconds: typeof meta.trainSeconds === 'number' ? meta.trainSeconds : 0, cached: true };
    }
    model.dispose();
  }
  const model = createModel({ kind: 'word-transformer', tokenizer, seed: ctx.seed, config: settings.teacher }) as LanguageModel;
  const task = new LanguageModelTask(corpus, tokenizer, CONTEXT, ctx.quick ? 50 : 200);
  ctx.progress.event('teacher', { training: dir, windows: task.trainSize });
  const started = Date.now();
  await train(model, task, { ...trainerOptions(settings, ctx.seed, settings.teacherEpochs, settings.teacherStepsPerEpoch, ctx), outDir: dir, resume: true, meta: { study: 'distillation', key } });
  const seconds = (Date.now() - started) / 1000;
  // Record the training time beside the weights.
  saveModel(dir, model, { study: 'distillation', key, trainSeconds: seconds });
  return { model, seconds, cached: false };
}

interface Evaluation {
  disparity: number;
  disparityLow: number;
  disparityHigh: number;
  positiveGap: number;
  positiveGapLow: number;
  positiveGapHigh: number;
  polarityGap: number;
  professionPolarity: number;
  professionPolarityLow: number;
  professionPolarityHigh: number;
  sentimentActresses: number;
  sentimentActors: number;
  /** Fraction of gender-prompt continuations with a non-zero VADER compound (any sentiment word). */
  sentimentCoverage: number;
  perplexity: number;
}

function evaluate(model: LanguageModel, name: string, prompts: { gender: BoldPrompt[]; profession: BoldPrompt[] }, heldOut: TextUnit[], settings: DistillationSettings, lexicon: SwapLexicon, ctx: StudyContext): Evaluation {
  const rng = new SeededRandom(ctx.seed).fork('generation');
  const all = [...prompts.gender, ...prompts.profession];
  const texts = generateContinuations(model, all.map((p) => p.prompt), { maxTokens: settings.maxTokens, topK: settings.topK, rng });
  const scored = scoreContinuations(all.map((p, i) => ({ group: p.domain === 'gender' ? p.group : 'profession', prompt: p.prompt, text: texts[i] })), lexicon);
  const gender = scored.filter((s) => s.group !== 'profession');
  const profession = scored.filter((s) => s.group === 'profession');
  const options = { seed: ctx.seed, resamples: settings.resamples };
  const sentiment = groupGap(gender, 'American_actresses', 'American_actors', 'sentiment', options);
  const positive = groupGap(gender, 'American_actresses', 'American_actors', 'positive', options);
  const polarity = groupGap(gender, 'American_actresses', 'American_actors', 'polarity', options);
  const balance = polarityBalance(profession, options);
  const perplexity = languageModelMetrics(model, encodeWindows(heldOut, model.tokenizer, CONTEXT)).perplexity;
  ctx.progress.event('evaluated', { name, disparity: sentiment.estimate, perplexity, example: `${all[0]?.prompt}| ${texts[0]}` });
  return {
    disparity: sentiment.estimate,
    disparityLow: sentiment.low,
    disparityHigh: sentiment.high,
    positiveGap: positive.estimate,
    positiveGapLow: positive.low,
    positiveGapHigh: positive.high,
    polarityGap: polarity.estimate,
    professionPolarity: balance.estimate,
    professionPolarityLow: balance.low,
    professionPolarityHigh: balance.high,
    sentimentActresses: sentiment.meanA,
    sentimentActors: sentiment.meanB,
    sentimentCoverage: gender.filter((g) => g.sentiment !== 0).length / gender.length,
    perplexity,
  };
}

const ci = (low: number, high: number) => `[${low.toFixed(3)}, ${high.toFixed(3)}]`;

/**
 * Downstream carry-over, the classifier side: an embedding-bag intent classifier on the synthetic
 * set with a name–intent skew of 0.9 injected into its training data (skewNames of the
 * fairness-metrics study), trained without and with two-sided CDA (names swapped in lower-case
 * text); extrinsic gaps on the intent-synthetic probe with gender names (positive label
 * call_contact): demographic parity and equalised odds differences, counterfactual flip rate.
 */
export async function downstreamClassifierRows(ctx: StudyContext): Promise<StudyRow[]> {
  const base = loadIntentDataset('synthetic', { seed: ctx.seed });
  const rng = new SeededRandom(ctx.seed).fork('downstream');
  const skewed = skewNames(base.splits.train, 0.9, rng.fork('skew'));
  const rows: StudyRow[] = [];
  for (const cda of [false, true]) {
    const trainExamples = cda ? counterfactualAugmentation('two-sided', { names: 'any' })(skewed) : skewed;
    const epochs = ctx.quick ? 2 : 8;
    const { model: trained, result } = await runTraining({
      dataset: { ...base, splits: { ...base.splits, train: trainExamples } },
      model: 'embbag',
      epochs,
      seed: ctx.seed + 7,
      config: ctx.quick ? { embeddingDim: 32, hidden: 64 } : {},
      patience: epochs, // every epoch runs
      progress: ctx.progress,
    });
    const model = trained as ClassifierModel;
    try {
      const { audit } = auditGroups(model, { probe: 'intent-synthetic', groups: 'gender-names', positive: 'call_contact', resamples: ctx.quick ? 200 : 1000, seed: ctx.seed });
      rows.push({
        name: cda ? 'downstream classifier + CDA' : 'downstream classifier',
        accuracy: (result as ClassifierResult).accuracy,
        parityGap: audit.groupMetrics.differences.demographicParity ?? null,
        equalizedOddsGap: audit.groupMetrics.differences.equalizedOdds ?? null,
        flipRate: audit.counterfactual.flipRate,
      });
    } finally {
      model.dispose();
    }
  }
  return rows;
}

export async function runDistillationStudy(ctx: StudyContext, settings = distillationSettings(ctx.quick), variants = STUDENT_VARIANTS): Promise<StudyRow[]> {
  const dataDir = requireDataDir(ctx.dataDir, 'the distillation study (BOLD)');
  const lexicon = genderSwapLexicon({ dataDir });
  const split = splitBold(dataDir, { seed: ctx.seed, trainFraction: settings.trainFraction });
  const unit = (s: { text: string }): TextUnit => ({ text: s.text });
  const trainUnits = split.train.map(unit);
  const valUnits = split.val.map(unit);
  const heldOutUnits = split.heldOut.map(unit);
  const cdaUnits = augmentUnits(trainUnits, 'two-sided', lexicon);
  // One vocabulary for every model, fitted on the training text and its counterfactuals, so that
  // both words of a gender pair are in it whenever either is frequent.
  const tokenizer = fitWordTokenizer(cdaUnits.map((u) => u.text), { maxSize: settings.vocabulary });
  const swap = vocabularySwap(tokenizer, lexicon);
  const rng = new SeededRandom(ctx.seed).fork('prompts');
  const prompts = {
    gender: [
      ...sample(split.prompts.filter((p) => p.group === 'American_actresses'), settings.promptsPerGroup, rng.fork('f')),
      ...sample(split.prompts.filter((p) => p.group === 'American_actors'), settings.promptsPerGroup, rng.fork('m')),
    ],
    profession: sample(split.prompts.filter((p) => p.domain === 'profession'), settings.professionPrompts, rng.fork('p')),
  };
  ctx.progress.event('data', { train: trainUnits.length, trainWithCda: cdaUnits.length, val: valUnits.length, heldOut: heldOutUnits.length, heldOutEntities: split.heldOutEntities, vocabulary: tokenizer.vocabSize, swappableIds: swap.swappable, genderPrompts: prompts.gender.length, professionPrompts: prompts.profession.length });

  const rows: StudyRow[] = [];
  const baseCorpus = corpusOf(trainUnits, valUnits, heldOutUnits);
  const teacher = await teacherModel(tokenizer, baseCorpus, settings, ctx);
  const params = (m: LanguageModel) => m.parameters().reduce((s, p) => s + p.variable.size, 0);
  try {
    const e = evaluate(teacher.model, 'teacher', prompts, heldOutUnits, settings, lexicon, ctx);
    rows.push({ name: 'teacher', parameters: params(teacher.model), trainSeconds: Math.round(teacher.seconds), ...e, disparityCI: ci(e.disparityLow, e.disparityHigh) });
    for (const variant of variants) {
      const corpus = variant.cda ? corpusOf(cdaUnits, valUnits, heldOutUnits) : baseCorpus;
      const task = new LanguageModelTask(corpus, tokenizer, CONTEXT, ctx.quick ? 50 : 200);
      const student = createModel({ kind: 'word-transformer', tokenizer, seed: ctx.seed + 1, config: settings.student }) as LanguageModel;
      try {
        ctx.progress.event('student', { name: variant.name, windows: task.trainSize });
        const started = Date.now();
        await train(student, task, {
          ...trainerOptions(settings, ctx.seed + 1, settings.studentEpochs, settings.studentStepsPerEpoch, ctx),
          gradientStep: distillationGradients({
            teacher: teacher.model,
            temperature: settings.temperature,
            alpha: settings.alpha,
            roleReversal: variant.roleReversal ? { variant: variant.roleReversal, swap } : undefined,
          }),
        });
        const seconds = (Date.now() - started) / 1000;
        const s = evaluate(student, variant.name, prompts, heldOutUnits, settings, lexicon, ctx);
        rows.push({ name: variant.name, parameters: params(student), trainSeconds: Math.round(seconds), ...s, disparityCI: ci(s.disparityLow, s.disparityHigh) });
      } finally {
        student.dispose();
      }
    }
  } finally {
    teacher.model.dispose();
  }
  // Relative change against plain KD: the targets (disparity −30%, perplexity within 5%).
  const kd = rows.find((r) => r.name === 'KD');
  for (const r of rows) {
    if (!kd || r === kd) continue;
    const relative = (key: string) => (Math.abs(kd[key] as number) > 0 ? Math.abs(r[key] as number) / Math.abs(kd[key] as number) - 1 : null);
    r.disparityChange = relative('disparity');
    r.professionPolarityChange = relative('professionPolarity');
    r.perplexityChange = (r.perplexity as number) / (kd.perplexity as number) - 1;
  }
  rows.push(...(await downstreamClassifierRows(ctx)));
  return rows;
}

const COLUMNS: StudyColumn[] = [
  { key: 'name', header: 'model' },
  { key: 'parameters', header: 'parameters' },
  { key: 'trainSeconds', header: 'train s' },
  { key: 'disparity', header: 'sentiment gap (F − M)' },
  { key: 'disparityCI', header: '95% CI' },
  { key: 'positiveGap', header: 'positive-rate gap' },
  { key: 'polarityGap', header: 'polarity gap (F − M)' },
  { key: 'professionPolarity', header: 'profession polarity (male − female)' },
  { key: 'sentimentCoverage', header: 'continuations with sentiment words' },
  { key: 'perplexity', header: 'held-out perplexity', digits: 1 },
  { key: 'disparityChange', header: 'abs. sentiment gap vs KD', digits: 2 },
  { key: 'professionPolarityChange', header: 'abs. profession polarity vs KD', digits: 2 },
  { key: 'perplexityChange', header: 'perplexity vs KD', digits: 3 },
  { key: 'parityGap', header: 'downstream parity gap' },
  { key: 'flipRate', header: 'downstream flip rate' },
];

function charts(rows: StudyRow[]): { name: string; spec: VegaLiteSpec }[] {
  const values = rows.filter((r) => typeof r.disparity === 'number').map((r) => ({ name: r.name, disparity: r.disparity, low: r.disparityLow, high: r.disparityHigh, perplexity: r.perplexity, profession: r.professionPolarity }));
  return [
    {
      name: 'disparity',
      spec: {
        $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
        title: 'Sentiment gap, actresses − actors (95% bootstrap CI)',
        data: { values },
        width: 420,
        height: 220,
        layer: [
          { mark: { type: 'rule' }, encoding: { y: { field: 'name', type: 'nominal', sort: null, title: null }, x: { field: 'low', type: 'quantitative', title: 'mean VADER compound gap' }, x2: { field: 'high' } } },
          { mark: { type: 'point', filled: true, size: 60 }, encoding: { y: { field: 'name', type: 'nominal', sort: null }, x: { field: 'disparity', type: 'quantitative' } } },
          { mark: { type: 'rule', strokeDash: [4, 4], color: 'gray' }, encoding: { x: { datum: 0 } } },
        ],
      } as VegaLiteSpec,
    },
    {
      name: 'perplexity-vs-disparity',
      spec: {
        $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
        title: 'Utility vs disparity',
        data: { values },
        width: 360,
        height: 240,
        mark: { type: 'point', filled: true, size: 70 },
        encoding: {
          x: { field: 'perplexity', type: 'quantitative', title: 'held-out perplexity', scale: { zero: false } },
          y: { field: 'disparity', type: 'quantitative', title: 'sentiment gap (F − M)' },
          color: { field: 'name', type: 'nominal', sort: null },
        },
      } as VegaLiteSpec,
    },
  ];
}

export const distillationStudy: StudyDefinition = {
  name: 'distillation',
  title: 'Gender disparity of distilled language models: KD, CDA and counterfactual role reversal',
  description:
    'Teacher: word-level transformer trained on BOLD Wikipedia sentences with held-out actor/actress and profession entities. ' +
    'Students: a smaller transformer distilled with the temperature-scaled KD loss (τ² scaling, α mix with the hard labels), with two-sided CDA and/or ' +
    'counterfactual role reversal of the teacher (max, mean, swap). Disparity: mean VADER compound of continuations of American_actresses minus ' +
    'American_actors prompts (held-out entities, top-k sampling), 95% bootstrap CI; profession polarity: fraction male-polar minus female-polar ' +
    'continuations of held-out profession prompts; perplexity on the held-out entities\' sentences. See docs/fairness-mitigation.md.',
  run: (ctx) => runDistillationStudy(ctx),
  columns: COLUMNS,
  charts,
};
