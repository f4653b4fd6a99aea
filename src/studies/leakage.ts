/**
 * Study "leakage": what leaks, as a function of ε. For ε ∈ {1, 3, 8, ∞} (∞ = no DP):
 * - membership inference on CLINC150 (the paper's setup: a pool of training examples, models
 *   on balanced random halves, targets attacked leave-one-out): LiRA (online) AUC, TPR at
 *   0.1% and 1% FPR, the empirical ε lower bound, and the loss-threshold baseline;
 * - canary extraction (ModIvA) from a CNN intent classifier trained on CLINC150 with 4-digit
 *   canaries repeated 10 times, plus the paper's defences at ε = ∞ (dropout, early stopping,
 *   character-level input) as extra rows;
 * - canary exposure of a character LSTM trained on SLURP's lm.txt with canaries repeated 10
 *   times, against never-inserted canaries of the same format.
 * Without the real data the study runs on the synthetic sets, and every row says so.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { resolveDataDir } from '../data/locate.js';
import { loadIntentDataset } from '../data/registry.js';
import type { TextExample } from '../data/types.js';
import { SeededRandom } from '../engine/index.js';
import type { ClassifierModel, LanguageModel } from '../models/index.js';
import { canaryExposures, canaryExtraction, rocLogLogChart, runMembershipExperiment, trainWithCanaries } from '../privacy/audit/index.js';
import { fitWordTokenizer } from '../text/index.js';
import type { VegaLiteSpec } from '../report/charts.js';
import type { StudyColumn, StudyContext, StudyDefinition, StudyRow } from './runner.js';

export const LEAKAGE_EPSILONS = [1, 3, 8, Infinity];

const DELTA = 1e-5;

interface Scale {
  poolPerIntent: number;
  shadows: number;
  targets: number;
  miaEpochs: number;
  extractionTrain: number;
  extractionEpochs: number;
  lmUnits: number;
  lmEpochs: number;
  lmConfig: Record<string, unknown>;
  inversionSteps: number;
}

const FULL: Scale = {
  poolPerIntent: 8, shadows: 8, targets: 3, miaEpochs: 10,
  extractionTrain: 2000, extractionEpochs: 8,
  lmUnits: 1200, lmEpochs: 4, lmConfig: { hidden: 96, embeddingDim: 24, contextLength: 48 },
  inversionSteps: 300,
};
const QUICK: Scale = {
  poolPerIntent: 4, shadows: 4, targets: 2, miaEpochs: 8,
  extractionTrain: 600, extractionEpochs: 6,
  lmUnits: 400, lmEpochs: 2, lmConfig: { hidden: 64, embeddingDim: 16, contextLength: 32 },
  inversionSteps: 100,
};

function hasRealData(dataDir: string | undefined, file: string): boolean {
  const dir = resolveDataDir(dataDir);
  return Boolean(dir && existsSync(join(dir, file)));
}

const label = (e: number) => (Number.isFinite(e) ? String(e) : '∞');

async function membershipRows(ctx: StudyContext, s: Scale, real: boolean): Promise<StudyRow[]> {
  const data = loadIntentDataset(real ? 'clinc150' : 'synthetic', { dataDir: ctx.dataDir, seed: ctx.seed });
  const labels = data.labels.filter((l) => l !== data.outOfScopeLabel);
  const rng = new SeededRandom(ctx.seed).fork('leakage-pool');
  const byLabel = new Map<string, TextExample[]>();
  for (const i of rng.permutation(data.splits.train.length)) {
    const e = data.splits.train[i];
    if (e.label !== data.outOfScopeLabel) byLabel.set(e.label, [...(byLabel.get(e.label) ?? []), e]);
  }
  const perIntent = real ? s.poolPerIntent : s.poolPerIntent * 4;
  const pool = labels.flatMap((l) => (byLabel.get(l) ?? []).slice(0, perIntent));
  const validation = data.splits.val.filter((e) => e.label !== data.outOfScopeLabel).slice(0, 1000);
  const tokenizer = fitWordTokenizer(pool.map((e) => e.text)).toJSON();
  const model = { kind: 'embbag', config: { embeddingDim: 64, hidden: 128, dropout: 0 }, tokenizer, labels };
  const rows: StudyRow[] = [];
  for (const epsilon of LEAKAGE_EPSILONS) {
    ctx.progress.event('leakage', { part: 'membership', epsilon: label(epsilon) });
    const r = await runMembershipExperiment({
      model,
      recipe: { epochs: s.miaEpochs, batchSize: 32, learningRate: 3e-3, optimizer: 'adam', schedule: 'constant', warmupSteps: 0, patience: null },
      dp: Number.isFinite(epsilon) ? { epsilon, delta: DELTA, clip: 1 } : undefined,
      pool,
      validation,
      shadows: s.shadows,
      targets: s.targets,
      seed: ctx.seed,
      delta: DELTA,
      onModel: (m, index) => ctx.progress.event('model', { epsilon: label(epsilon), index, seconds: m.seconds }),
      ...(ctx.queue ? { queue: ctx.queue } : {}),
    });
    rows.push({
      part: 'membership',
      dataset: data.name,
      synthetic: data.synthetic,
      epsilon: label(epsilon),
      defence: Number.isFinite(epsilon) ? 'DP-SGD' : 'none',
      theoreticalEpsilon: r.lira.theoreticalEpsilon,
      accuracy: r.lira.targetAccuracy,
      liraAuc: r.lira.auc,
      liraTprAt0_1: r.lira.tprAtFpr001,
      liraTprAt1: r.lira.tprAtFpr01,
      epsilonLowerBound: r.lira.epsilonLowerBound,
      lossAuc: r.loss.auc,
      lossTprAt0_1: r.loss.tprAtFpr001,
      trials: r.lira.members + r.lira.nonMembers,
      shadows: r.lira.shadows,
      rocLira: JSON.stringify(r.lira.roc.map((p) => [p.fpr, p.tpr])),
    });
  }
  return rows;
}

async function extractionRows(ctx: StudyContext, s: Scale, real: boolean): Promise<StudyRow[]> {
  const variants: { defence: string; epsilon: number; tokenizer?: 'char'; dropout: number; patience?: number }[] = [
    ...LEAKAGE_EPSILONS.map((epsilon) => ({ defence: Number.isFinite(epsilon) ? 'DP-SGD' : 'none', epsilon, dropout: 0 })),
    { defence: 'dropout 0.3', epsilon: Infinity, dropout: 0.3 },
    { defence: 'early stopping (patience 1)', epsilon: Infinity, dropout: 0, patience: 1 },
    { defence: 'character-level input', epsilon: Infinity, tokenizer: 'char', dropout: 0 },
    { defence: 'dropout + early stopping + char', epsilon: Infinity, tokenizer: 'char', dropout: 0.3, patience: 1 },
  ];
  const rows: StudyRow[] = [];
  for (const v of variants) {
    ctx.progress.event('leakage', { part: 'extraction', epsilon: label(v.epsilon), defence: v.defence });
    const char = v.tokenizer === 'char';
    const trained = await trainWithCanaries({
      dataset: real ? 'clinc150' : 'synthetic',
      dataDir: ctx.dataDir,
      model: 'cnn',
      tokenizer: v.tokenizer,
      // word tokens need a space between digits (one token per digit); characters do not
      canaries: { format: char ? 'my pin code is {d}{d}{d}{d}' : 'my pin code is {d} {d} {d} {d}', repetitions: [10, 10, 10, 10, 10, 10, 10, 10, 0, 0, 0, 0] },
      epochs: s.extractionEpochs,
      seed: ctx.seed + 1,
      trainSubset: s.extractionTrain,
      learningRate: 3e-3,
      patience: v.patience,
      config: { dropout: v.dropout, embeddingDim: 64, filters: 100 },
      dp: Number.isFinite(v.epsilon) ? { epsilon: v.epsilon, delta: DELTA } : undefined,
    });
    try {
      const report = canaryExtraction(trained.model as ClassifierModel, trained.canaries, { seed: ctx.seed, steps: s.inversionSteps, restarts: 4 });
      rows.push({
        part: 'extraction',
        dataset: trained.meta.dataset as string,
        synthetic: trained.synthetic,
        epsilon: label(v.epsilon),
        defence: v.defence,
        theoreticalEpsilon: trained.epsilon,
        accuracy: trained.training.bestValidation.accuracy ?? null,
        extractionExact: report.exactRate,
        extractionTokenAccuracy: report.tokenAccuracy,
        extractionMeanRank: report.meanRank,
        referenceExact: report.references?.exactRate ?? null,
        trials: report.trials,
      });
    } finally {
      trained.model.dispose();
    }
  }
  return rows;
}

async function exposureRows(ctx: StudyContext, s: Scale, real: boolean): Promise<StudyRow[]> {
  const rows: StudyRow[] = [];
  for (const epsilon of LEAKAGE_EPSILONS) {
    ctx.progress.event('leakage', { part: 'exposure', epsilon: label(epsilon) });
    const trained = await trainWithCanaries({
      dataset: real ? 'slurp-lm' : 'synthetic-lm',
      dataDir: ctx.dataDir,
      model: 'char-lstm',
      canaries: { format: 'my pin is {d}{d}{d}{d}', repetitions: [10, 10, 0, 0, 0, 0] },
      epochs: s.lmEpochs,
      seed: ctx.seed + 2,
      trainSubset: s.lmUnits,
      config: s.lmConfig,
      dp: Number.isFinite(epsilon) ? { epsilon, delta: DELTA } : undefined,
    });
    try {
      const report = canaryExposures(trained.model as LanguageModel, trained.canaries, { seed: ctx.seed });
      const inserted = report.canaries.filter((c) => c.repetitions > 0).map((c) => c.exposure);
      const references = report.canaries.filter((c) => c.repetitions === 0).map((c) => c.exposure);
      const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
      rows.push({
        part: 'exposure',
        dataset: trained.meta.dataset as string,
        synthetic: trained.synthetic,
        epsilon: label(epsilon),
        defence: Number.isFinite(epsilon) ? 'DP-SGD' : 'none',
        theoreticalEpsilon: trained.epsilon,
        perplexity: trained.training.bestValidation.perplexity ?? null,
        exposureInserted: mean(inserted),
        exposureReference: mean(references),
        exposureGap: mean(inserted) - mean(references),
        maxExposure: report.maxExposure,
      });
    } finally {
      trained.model.dispose();
    }
  }
  return rows;
}

const COLUMNS: StudyColumn[] = [
  { key: 'part', header: 'part' },
  { key: 'dataset', header: 'data' },
  { key: 'epsilon', header: 'ε target' },
  { key: 'defence', header: 'defence' },
  { key: 'theoreticalEpsilon', header: 'ε (accountant)', digits: 2 },
  { key: 'accuracy', header: 'val acc' },
  { key: 'liraAuc', header: 'LiRA AUC' },
  { key: 'liraTprAt0_1', header: 'LiRA TPR@0.1%' },
  { key: 'liraTprAt1', header: 'LiRA TPR@1%' },
  { key: 'epsilonLowerBound', header: 'ε lower bound', digits: 2 },
  { key: 'lossAuc', header: 'loss AUC' },
  { key: 'extractionExact', header: 'extraction exact' },
  { key: 'extractionTokenAccuracy', header: 'extraction token acc' },
  { key: 'extractionMeanRank', header: 'secret mean rank', digits: 0 },
  { key: 'referenceExact', header: 'control exact' },
  { key: 'exposureInserted', header: 'exposure 10× (bits)', digits: 2 },
  { key: 'exposureReference', header: 'exposure never inserted', digits: 2 },
];

function epsilonChart(rows: StudyRow[], part: string, fields: { key: string; name: string }[], title: string, yTitle: string): VegaLiteSpec {
  const values = rows
    .filter((r) => r.part === part && (r.defence === 'none' || r.defence === 'DP-SGD'))
    .flatMap((r) => fields.filter((f) => typeof r[f.key] === 'number').map((f) => ({ epsilon: r.epsilon, metric: f.name, value: r[f.key] })));
  return {
    title,
    width: 360,
    height: 240,
    data: { values },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'epsilon', type: 'ordinal', sort: LEAKAGE_EPSILONS.map(label), title: 'ε (∞ = no DP)' },
      y: { field: 'value', type: 'quantitative', title: yTitle },
      color: { field: 'metric', type: 'nominal' },
    },
  };
}

export const leakageStudy: StudyDefinition = {
  name: 'leakage',
  title: 'Privacy leakage against ε: membership inference, canary extraction, canary exposure',
  description:
    'Theoretical ε (RDP accountant, δ = 1e-5) against what attacks measure. Membership: embedding-bag classifiers on balanced random halves of a CLINC150 pool, ' +
    'LiRA (online, global variance) and the loss threshold, targets attacked leave-one-out. Extraction: ModIvA on a CNN trained with 4-digit canaries ×10 ' +
    '(decoded over digits; chance: exact 1e-4, token 0.1, mean rank 5000.5), never-inserted canaries as the control, and the paper\'s defences at ε = ∞. ' +
    'Exposure: character LSTM on SLURP lm.txt with 4-digit canaries ×10 against never-inserted ones (exact ranks among all 10,000). See docs/privacy-audit.md.',
  columns: COLUMNS,
  async run(ctx) {
    const scale = ctx.quick ? QUICK : FULL;
    const clinc = hasRealData(ctx.dataDir, 'clinc150/data_full.json');
    const slurp = hasRealData(ctx.dataDir, 'slurp/lm.txt');
    return [...(await membershipRows(ctx, scale, clinc)), ...(await extractionRows(ctx, scale, clinc)), ...(await exposureRows(ctx, scale, slurp))];
  },
  charts(rows) {
    const roc = rows
      .filter((r) => r.part === 'membership' && typeof r.rocLira === 'string')
      .map((r) => ({ name: `LiRA ε=${r.epsilon}`, roc: (JSON.parse(r.rocLira as string) as [number, number][]).map(([fpr, tpr]) => ({ fpr, tpr, threshold: 0 })) }));
    return [
      { name: 'lira-roc', spec: rocLogLogChart(roc, 'LiRA ROC on CLINC150 by ε (log-log)') },
      { name: 'membership-vs-epsilon', spec: epsilonChart(rows, 'membership', [{ key: 'liraAuc', name: 'LiRA AUC' }, { key: 'lossAuc', name: 'loss AUC' }, { key: 'liraTprAt1', name: 'LiRA TPR@1%' }, { key: 'liraTprAt0_1', name: 'LiRA TPR@0.1%' }], 'Membership inference against ε', 'metric') },
      { name: 'extraction-vs-epsilon', spec: epsilonChart(rows, 'extraction', [{ key: 'extractionExact', name: 'exact reconstruction' }, { key: 'extractionTokenAccuracy', name: 'token accuracy' }], 'Canary extraction (ModIvA) against ε', 'rate') },
      { name: 'exposure-vs-epsilon', spec: epsilonChart(rows, 'exposure', [{ key: 'exposureInserted', name: 'inserted ×10' }, { key: 'exposureReference', name: 'never inserted' }], 'Canary exposure of a char-LSTM against ε', 'exposure (bits)') },
    ];
  },
};
