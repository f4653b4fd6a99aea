/**
 * Study "extraction": canary extraction from a joint intent + slot-tagging model trained on the
 * full SNIPS training set, as Parikh et al. (ACL 2022) ran it. A trial is one model trained with
 * one canary "my pin code is d d … d" (intent SharePinCode, digits tagged B-pin/I-pin) inserted
 * r times; the white-box relaxed-input attack knows the prefix, the intent and the tags and
 * decodes the code over the ten digits and, separately, over the whole vocabulary. Each model
 * is also attacked for never-inserted codes of the same format (repetitions 0: the control, a
 * model that never saw that canary). Defences: dropout, early stopping (the best validation
 * epoch restored; its epoch is recorded), DP-SGD, and all three combined. Without the real
 * SNIPS files the study runs on a generated slot set, and every row says so.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { resolveDataDir } from '../data/locate.js';
import { generateSyntheticSlotDataset } from '../data/index.js';
import { loadIntentDataset } from '../data/registry.js';
import type { IntentDataset } from '../data/types.js';
import { SeededRandom } from '../engine/index.js';
import {
  drawSlotCanary,
  extractSlotCanaries,
  randomGuessBaseline,
  summariseGuesses,
  trainSlotModelWithCanaries,
  type ExtractionDecode,
  type SlotCanaryGuess,
} from '../privacy/audit/index.js';
import type { VegaLiteSpec } from '../report/charts.js';
import type { StudyColumn, StudyContext, StudyDefinition, StudyRow } from './runner.js';

export type ExtractionDefence = 'none' | 'dropout' | 'early-stopping' | 'dp-sgd' | 'combined';

interface DefenceRecipe {
  dropout: number;
  patience?: number;
  keep: 'best' | 'last';
  dp: boolean;
}

const DEFENCES: Record<ExtractionDefence, DefenceRecipe> = {
  none: { dropout: 0, keep: 'last', dp: false },
  dropout: { dropout: 0.3, keep: 'last', dp: false },
  'early-stopping': { dropout: 0, patience: 1, keep: 'best', dp: false },
  'dp-sgd': { dropout: 0, keep: 'last', dp: true },
  combined: { dropout: 0.3, patience: 1, keep: 'best', dp: true },
};

/** Which (defence, repetitions, length) cells to run, with how many models (= trials) each. */
interface CellPlan {
  defences: ExtractionDefence[];
  repetitions: number[];
  lengths: number[];
  trials: number;
}

interface Scale {
  plans: CellPlan[];
  /** Never-inserted codes attacked per model (the control). */
  references: number;
  epochs: number;
  batchSize: number;
  learningRate: number;
  dpEpochs: number;
  dpBatchSize: number;
  dpLearningRate: number;
  epsilon: number;
  config: { embeddingDim: number; filters: number; hidden: number };
  steps: number;
  restarts: number;
  synthetic: Record<'train' | 'val' | 'test', number>;
}

const FULL: Scale = {
  plans: [
    { defences: ['none'], repetitions: [1, 10, 100], lengths: [4, 6, 8], trials: 1 },
    { defences: ['dropout', 'early-stopping', 'dp-sgd', 'combined'], repetitions: [100], lengths: [4], trials: 1 },
    { defences: ['none'], repetitions: [5, 50], lengths: [4], trials: 1 },
  ],
  references: 5,
  epochs: 3,
  batchSize: 128,
  learningRate: 1e-2,
  dpEpochs: 3,
  dpBatchSize: 256,
  dpLearningRate: 1e-2,
  epsilon: 8,
  config: { embeddingDim: 64, filters: 96, hidden: 96 },
  steps: 100,
  restarts: 2,
  synthetic: { train: 2000, val: 300, test: 300 },
};

const QUICK: Scale = {
  plans: [
    { defences: ['none'], repetitions: [20], lengths: [4], trials: 1 },
    { defences: ['dp-sgd'], repetitions: [20], lengths: [4], trials: 1 },
  ],
  references: 2,
  epochs: 4,
  batchSize: 32,
  learningRate: 3e-3,
  dpEpochs: 2,
  dpBatchSize: 64,
  dpLearningRate: 1e-2,
  epsilon: 8,
  config: { embeddingDim: 16, filters: 24, hidden: 24 },
  steps: 40,
  restarts: 2,
  synthetic: { train: 300, val: 80, test: 80 },
};

const DELTA = 1e-5;

/** SNIPS when its files are present (the generated slot set otherwise, and always with --quick, which is a smoke run). */
function loadData(ctx: StudyContext, s: Scale): IntentDataset {
  if (ctx.quick) return generateSyntheticSlotDataset(ctx.seed, s.synthetic);
  const dir = resolveDataDir(ctx.dataDir);
  const real = Boolean(dir && existsSync(join(dir, 'snips', 'train', 'seq.in')));
  return real ? loadIntentDataset('snips', { dataDir: ctx.dataDir, seed: ctx.seed }) : generateSyntheticSlotDataset(ctx.seed, s.synthetic);
}

interface ModelRun {
  defence: ExtractionDefence;
  repetitions: number;
  length: number;
  guesses: Record<ExtractionDecode, SlotCanaryGuess[]>;
  intentAccuracy: number;
  slotF1: number;
  epochUsed: number;
  epochsRun: number;
  epsilon: number | null;
  vocabulary: number;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

export async function runExtractionStudy(ctx: StudyContext): Promise<StudyRow[]> {
  const s = ctx.quick ? QUICK : FULL;
  const data = loadData(ctx, s);
  const rng = new SeededRandom(ctx.seed).fork('extraction-study');
  const runs: ModelRun[] = [];
  const total = s.plans.reduce((n, p) => n + p.defences.length * p.repetitions.length * p.lengths.length * p.trials, 0);
  for (const plan of s.plans) {
    for (const defence of plan.defences) {
      for (const length of plan.lengths) {
        for (const repetitions of plan.repetitions) {
          for (let trial = 0; trial < plan.trials; trial++) {
            const recipe = DEFENCES[defence];
            const canary = drawSlotCanary(length, repetitions, rng);
            const references = Array.from({ length: s.references }, () => drawSlotCanary(length, 0, rng));
            const seed = rng.int(1 << 30);
            const started = Date.now();
            const trained = await trainSlotModelWithCanaries({
              dataset: data,
              canaries: [canary],
              config: { ...s.config, dropout: recipe.dropout },
              epochs: recipe.dp ? s.dpEpochs : s.epochs,
              batchSize: recipe.dp ? s.dpBatchSize : s.batchSize,
              learningRate: recipe.dp ? s.dpLearningRate : s.learningRate,
              optimizer: 'adam',
              patience: recipe.patience,
              keep: recipe.keep,
              dp: recipe.dp ? { epsilon: s.epsilon, delta: DELTA } : undefined,
              seed,
            });
            try {
              const guesses = {} as Record<ExtractionDecode, SlotCanaryGuess[]>;
              for (const decode of ['digits', 'vocabulary'] as const) {
                guesses[decode] = extractSlotCanaries(trained.model, [canary, ...references], { decode, seed, steps: s.steps, restarts: s.restarts });
              }
              const run: ModelRun = {
                defence, repetitions, length, guesses,
                intentAccuracy: trained.test.intentAccuracy,
                slotF1: trained.test.slotF1,
                epochUsed: trained.training.epochUsed,
                epochsRun: trained.training.history.length,
                epsilon: trained.epsilon,
                vocabulary: trained.model.tokenizer.vocabSize,
              };
              runs.push(run);
              ctx.progress.event('extraction', {
                model: runs.length, of: total, defence, repetitions, length, trial,
                intentAccuracy: run.intentAccuracy, slotF1: run.slotF1, epochUsed: run.epochUsed,
                code: canary.code, digits: guesses.digits[0].guess, vocabulary: guesses.vocabulary[0].guess,
                seconds: (Date.now() - started) / 1000,
              });
            } finally {
              trained.model.dispose();
            }
          }
        }
      }
    }
  }
  return summariseRuns(runs, data.synthetic, data.name);
}

/** One row per (defence, repetitions, length, decode), plus the never-inserted control per (defence, length, decode). */
export function summariseRuns(runs: ModelRun[], synthetic: boolean, dataset: string): StudyRow[] {
  const rows: StudyRow[] = [];
  const key = (r: ModelRun) => `${r.defence}|${r.length}|${r.repetitions}`;
  const groups = new Map<string, ModelRun[]>();
  for (const r of runs) groups.set(key(r), [...(groups.get(key(r)) ?? []), r]);
  const controls = new Map<string, ModelRun[]>();
  for (const r of runs) controls.set(`${r.defence}|${r.length}`, [...(controls.get(`${r.defence}|${r.length}`) ?? []), r]);
  const row = (models: ModelRun[], repetitions: number, decode: ExtractionDecode, guesses: SlotCanaryGuess[]): StudyRow => {
    const m = models[0];
    const cell = summariseGuesses(guesses);
    const chance = randomGuessBaseline(m.length, decode, m.vocabulary);
    return {
      dataset,
      synthetic,
      defence: m.defence,
      repetitions,
      length: m.length,
      decode,
      canaries: cell.canaries,
      models: models.length,
      exact: cell.exact,
      exactRate: cell.exactRate,
      exactInterval: `[${cell.exactInterval[0].toFixed(3)}, ${cell.exactInterval[1].toFixed(3)}]`,
      exactLow: cell.exactInterval[0],
      exactHigh: cell.exactInterval[1],
      hamming: cell.hamming,
      chanceExact: chance.exactRate,
      chanceHamming: chance.hamming,
      modelAccuracy: mean(models.map((x) => x.intentAccuracy)),
      slotF1: mean(models.map((x) => x.slotF1)),
      epochUsed: models.map((x) => x.epochUsed).join(' '),
      epochsRun: models.map((x) => x.epochsRun).join(' '),
      epsilon: m.epsilon,
      guesses: guesses.slice(0, 6).map((g) => `${g.code}→${g.guess.replace(/ /g, '')}`).join(' '),
    };
  };
  for (const models of groups.values()) {
    for (const decode of ['digits', 'vocabulary'] as const) rows.push(row(models, models[0].repetitions, decode, models.map((x) => x.guesses[decode][0])));
  }
  for (const models of controls.values()) {
    for (const decode of ['digits', 'vocabulary'] as const) rows.push(row(models, 0, decode, models.flatMap((x) => x.guesses[decode].slice(1))));
  }
  return rows;
}

const COLUMNS: StudyColumn[] = [
  { key: 'defence', header: 'defence' },
  { key: 'repetitions', header: 'repetitions' },
  { key: 'length', header: 'digits' },
  { key: 'decode', header: 'decode' },
  { key: 'canaries', header: 'canaries' },
  { key: 'exactRate', header: 'exact rate' },
  { key: 'exactInterval', header: '95% CI' },
  { key: 'chanceExact', header: 'random guess', digits: 8 },
  { key: 'hamming', header: 'Hamming' },
  { key: 'chanceHamming', header: 'random Hamming' },
  { key: 'modelAccuracy', header: 'intent acc' },
  { key: 'slotF1', header: 'slot F1' },
  { key: 'epochUsed', header: 'epoch used' },
  { key: 'epsilon', header: 'ε' },
];

function charts(rows: StudyRow[]): { name: string; spec: VegaLiteSpec }[] {
  const sweep = rows.filter((r) => r.defence === 'none');
  const chance = [...new Set(sweep.map((r) => `${r.length}|${r.decode}`))].map((k) => {
    const [length, decode] = k.split('|');
    const r = sweep.find((x) => String(x.length) === length && x.decode === decode)!;
    return { length: Number(length), decode, chanceExact: r.chanceExact, chanceHamming: r.chanceHamming };
  });
  const spec = (y: 'exactRate' | 'hamming', title: string): VegaLiteSpec => ({
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: `${title} against repetitions (no defence); dashed: random guess`,
    facet: { column: { field: 'decode', type: 'nominal' } },
    data: { values: [...sweep.map((r) => ({ ...r, kind: 'attack' })), ...chance.flatMap((c) => [1, 100].map((repetitions) => ({ ...c, repetitions, exactRate: c.chanceExact, hamming: c.chanceHamming, kind: 'random guess' })))] },
    spec: {
      width: 260,
      height: 200,
      layer: [
        {
          transform: [{ filter: "datum.kind === 'attack'" }],
          mark: { type: 'line', point: true },
          encoding: {
            x: { field: 'repetitions', type: 'quantitative', scale: { type: 'log' } },
            y: { field: y, type: 'quantitative', title, scale: { domain: [0, 1] } },
            color: { field: 'length', type: 'nominal', title: 'digits' },
          },
        },
        ...(y === 'exactRate'
          ? [{
            transform: [{ filter: "datum.kind === 'attack'" }],
            mark: { type: 'errorbar' },
            encoding: { x: { field: 'repetitions', type: 'quantitative' }, y: { field: 'exactLow', type: 'quantitative' }, y2: { field: 'exactHigh' }, color: { field: 'length', type: 'nominal' } },
          }]
          : []),
        {
          transform: [{ filter: "datum.kind === 'random guess'" }],
          mark: { type: 'line', strokeDash: [4, 3] },
          encoding: { x: { field: 'repetitions', type: 'quantitative' }, y: { field: y, type: 'quantitative' }, color: { field: 'length', type: 'nominal' } },
        },
      ],
    },
  } as unknown as VegaLiteSpec);
  return [
    { name: 'exact-rate', spec: spec('exactRate', 'exact reconstruction rate') },
    { name: 'hamming', spec: spec('hamming', 'normalised Hamming distance') },
  ];
}

export const extractionStudy: StudyDefinition = {
  name: 'extraction',
  title: 'Canary extraction from a joint intent + slot-tagging model (SNIPS)',
  description: [
    'Each trial is one joint intent + slot model (embedding, two centred convolutions, intent from the mean state, BIO tags per token) trained on the full SNIPS training set (13,084 utterances) with one canary "my pin code is d … d" (intent SharePinCode, digits tagged B-pin/I-pin) inserted r times.',
    'The white-box relaxed-input attack (Parikh et al. 2022) knows the prefix, the intent and the tags; it optimises a soft input over the code positions (Adam, temperature annealed 1 → 0.05, restarts) to maximise the intent and tag likelihood, and decodes over the ten digits or over the whole vocabulary.',
    'Repetitions 0 rows are the control: codes of the same format that the model never saw, attacked on the same models. "random guess" is what guessing uniformly gets (10^-digits over digits, |V|^-digits over the vocabulary). Intent accuracy and slot F1 are on the SNIPS test split, for the weights attacked ("epoch used": the last epoch, or the best validation epoch under early stopping).',
  ].join(' '),
  run: runExtractionStudy,
  columns: COLUMNS,
  charts,
};
