/**
 * Study "extraction": canary extraction from a joint intent + slot-tagging model trained on the
 * full SNIPS training set, as Parikh et al. (ACL 2022) ran it. Canaries are utterances like
 * "my pin code is d d … d" (intent SharePinCode, digits tagged B-pin/I-pin) inserted r times;
 * the white-box relaxed-input attack knows the prefix, the intent and the tags and decodes the
 * code over the ten digits and, separately, over the whole vocabulary. For codes of 4 digits
 * the attack's loss is also evaluated on every one of the 10^4 codes, which gives the true
 * code's rank (an exhaustive attack: memorisation shows as a low rank even when another code
 * wins).
 *
 * One model holds 20 canaries, each after its own prefix (SLOT_CANARY_FORMATS: no word shared
 * between two formats), because canaries of one format compete for the attack's single answer.
 * That is what makes ≥ 50 canaries per cell affordable here (the paper trains one model per
 * canary). Sweep models hold 4 canaries of each repetition count (1, 5, 10, 50, 100) at one
 * code length (4, 6, 8); defence models hold 20 canaries of 4 digits inserted 100 times each,
 * with a no-defence model of the same design beside them. Every model is also attacked for
 * never-inserted codes (repetitions 0: the control). Defences: dropout, early stopping (the
 * best validation epoch restored; its epoch recorded), character-level input (token vectors
 * composed from character vectors), DP-SGD, and all four combined. One cell is one model, so
 * the study resumes and runs in parallel (`--parallel N`). Without the real SNIPS files the
 * study runs on a generated slot set, and every row says so.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { resolveDataDir } from '../data/locate.js';
import { generateSyntheticSlotDataset } from '../data/index.js';
import { loadIntentDataset } from '../data/registry.js';
import type { IntentDataset } from '../data/types.js';
import { SeededRandom } from '../engine/index.js';
import { clopperPearson, mean, meanTInterval, quantileSorted } from '../metrics/index.js';
import {
  SLOT_CANARY_FORMATS,
  drawSlotCanary,
  extractSlotCanaries,
  randomGuessBaseline,
  slotCanaryRank,
  summariseGuesses,
  trainSlotModelWithCanaries,
  type ExtractionDecode,
  type SlotCanary,
  type SlotCanaryGuess,
} from '../privacy/audit/index.js';
import type { VegaLiteSpec } from '../report/charts.js';
import { ConfigError } from '../errors.js';
import type { CellSpec, StudyCell } from './cells.js';
import { groupInOrder } from './fl-runs.js';
import { formatInterval } from './fl-pairs.js';
import type { StudyColumn, StudyContext, StudyDefinition, StudyRow } from './runner.js';

export type ExtractionDefence = 'none' | 'dropout' | 'early-stopping' | 'char-input' | 'dp-sgd' | 'combined';

interface DefenceRecipe {
  dropout: number;
  patience?: number;
  keep: 'best' | 'last';
  dp: boolean;
  charInput: boolean;
}

const DEFENCES: Record<ExtractionDefence, DefenceRecipe> = {
  none: { dropout: 0, keep: 'last', dp: false, charInput: false },
  dropout: { dropout: 0.3, keep: 'last', dp: false, charInput: false },
  'early-stopping': { dropout: 0, patience: 1, keep: 'best', dp: false, charInput: false },
  'char-input': { dropout: 0, keep: 'last', dp: false, charInput: true },
  'dp-sgd': { dropout: 0, keep: 'last', dp: true, charInput: false },
  combined: { dropout: 0.3, patience: 1, keep: 'best', dp: true, charInput: true },
};

type Design = 'sweep' | 'defence';

interface Scale {
  /** Sweep: code lengths, repetition counts, canaries of each count per model, models per length. */
  sweep: { lengths: number[]; repetitions: number[]; perCount: number; models: number };
  /** Defence design: defences (none first, the reference), canaries per model, their repetitions and length, models per defence. */
  defence: { defences: ExtractionDefence[]; perModel: number; repetitions: number; length: number; models: number };
  /** Never-inserted codes attacked per model (the control). */
  references: number;
  /** Codes up to this length are also ranked among all 10^length codes. */
  rankUpTo: number;
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
  sweep: { lengths: [4, 6, 8], repetitions: [1, 5, 10, 50, 100], perCount: 4, models: 13 },
  defence: { defences: ['none', 'dropout', 'early-stopping', 'char-input', 'dp-sgd', 'combined'], perModel: 20, repetitions: 100, length: 4, models: 3 },
  references: 5,
  rankUpTo: 4,
  epochs: 6,
  batchSize: 128,
  learningRate: 1e-2,
  dpEpochs: 3,
  dpBatchSize: 256,
  dpLearningRate: 1e-2,
  epsilon: 8,
  config: { embeddingDim: 64, filters: 96, hidden: 96 },
  steps: 200,
  restarts: 4,
  synthetic: { train: 2000, val: 300, test: 300 },
};

const QUICK: Scale = {
  sweep: { lengths: [], repetitions: [], perCount: 0, models: 0 },
  defence: { defences: ['none', 'char-input', 'dp-sgd'], perModel: 2, repetitions: 20, length: 4, models: 1 },
  references: 2,
  rankUpTo: 4,
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

/** One cell: one model and the canaries it holds. */
export type ExtractionCellParams = {
  design: Design;
  defence: ExtractionDefence;
  length: number;
  /** Repetitions of each canary the model holds (one format each). */
  repetitions: number[];
  model: number;
};

export function extractionCells(quick: boolean): CellSpec<ExtractionCellParams>[] {
  const s = quick ? QUICK : FULL;
  const cells: CellSpec<ExtractionCellParams>[] = [];
  const d = s.defence;
  for (const defence of d.defences) {
    for (let model = 0; model < d.models; model++) {
      cells.push({ name: `defence ${defence} model ${model}`, params: { design: 'defence', defence, length: d.length, repetitions: Array(d.perModel).fill(d.repetitions), model } });
    }
  }
  const w = s.sweep;
  for (const length of w.lengths) {
    for (let model = 0; model < w.models; model++) {
      cells.push({ name: `sweep ${length} digits model ${model}`, params: { design: 'sweep', defence: 'none', length, repetitions: w.repetitions.flatMap((r) => Array(w.perCount).fill(r)), model } });
    }
  }
  return cells;
}

/** SNIPS when its files are present (the generated slot set otherwise, and always with --quick, which is a smoke run). */
function loadData(ctx: StudyContext, s: Scale): IntentDataset {
  if (ctx.quick) return generateSyntheticSlotDataset(ctx.seed, s.synthetic);
  const dir = resolveDataDir(ctx.dataDir);
  const real = Boolean(dir && existsSync(join(dir, 'snips', 'train', 'seq.in')));
  return real ? loadIntentDataset('snips', { dataDir: ctx.dataDir, seed: ctx.seed }) : generateSyntheticSlotDataset(ctx.seed, s.synthetic);
}

/** The model's canaries, each on its own format (formats shuffled per model), and the never-inserted references. */
export function drawCellCanaries(params: ExtractionCellParams, seed: number, references: number): { canaries: SlotCanary[]; references: SlotCanary[]; rng: SeededRandom } {
  if (params.repetitions.length > SLOT_CANARY_FORMATS.length) throw new ConfigError(`a model holds at most ${SLOT_CANARY_FORMATS.length} canaries (one per format), got ${params.repetitions.length}`);
  const rng = new SeededRandom(seed).fork(`extraction ${params.design} ${params.defence} ${params.length} ${params.model}`);
  const formats = rng.shuffle([...SLOT_CANARY_FORMATS.keys()]);
  const canaries = params.repetitions.map((r, i) => drawSlotCanary(params.length, r, rng, SLOT_CANARY_FORMATS[formats[i]]));
  const refs = Array.from({ length: references }, (_, i) => drawSlotCanary(params.length, 0, rng, SLOT_CANARY_FORMATS[formats[i % params.repetitions.length]]));
  return { canaries, references: refs, rng };
}

/** One row per attacked code (inserted and reference) and decode; `summarize` makes the table. */
export async function runExtractionCell(cell: StudyCell<ExtractionCellParams>, ctx: StudyContext): Promise<StudyRow[]> {
  const s = ctx.quick ? QUICK : FULL;
  const p = cell.params;
  const recipe = DEFENCES[p.defence];
  const data = loadData(ctx, s);
  const { canaries, references, rng } = drawCellCanaries(p, ctx.seed, s.references);
  const seed = rng.int(1 << 30);
  const started = Date.now();
  const trained = await trainSlotModelWithCanaries({
    dataset: data,
    canaries,
    config: { ...s.config, dropout: recipe.dropout, charInput: recipe.charInput },
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
    const attacked = [...canaries, ...references];
    const ranks = attacked.map((c) => (c.code.length <= s.rankUpTo ? slotCanaryRank(trained.model, c) : null));
    const rows: StudyRow[] = [];
    for (const decode of ['digits', 'vocabulary'] as const) {
      const guesses = extractSlotCanaries(trained.model, attacked, { decode, seed, steps: s.steps, restarts: s.restarts });
      guesses.forEach((g, i) => rows.push({
        kind: 'code',
        dataset: data.name,
        synthetic: data.synthetic,
        design: p.design,
        defence: p.defence,
        length: p.length,
        repetitions: g.repetitions,
        decode,
        model: p.model,
        format: attacked[i].prefix.join(' '),
        code: g.code,
        guess: g.guess,
        exact: g.exact,
        hamming: g.hamming,
        rank: decode === 'digits' ? ranks[i] : null,
        intentAccuracy: trained.test.intentAccuracy,
        slotF1: trained.test.slotF1,
        epochUsed: trained.training.epochUsed,
        epochsRun: trained.training.history.length,
        epsilon: trained.epsilon,
        vocabulary: trained.model.tokenizer.vocabSize,
      }));
    }
    const mine = rows.filter((r) => r.decode === 'digits' && (r.repetitions as number) > 0);
    ctx.progress.event('extraction', {
      cell: cell.name, intentAccuracy: trained.test.intentAccuracy, slotF1: trained.test.slotF1, epochUsed: trained.training.epochUsed,
      exact: mine.filter((r) => r.exact).length, of: mine.length, seconds: (Date.now() - started) / 1000,
    });
    return rows;
  } finally {
    trained.model.dispose();
  }
}

/**
 * One row per (design, defence, length, repetitions, decode) over every model of the cell,
 * the never-inserted codes as repetitions 0; for ranked codes the median rank and the share
 * ranked in the best 1% of all codes (chance: 0.01) with its Clopper–Pearson interval.
 */
export function summarizeExtraction(codes: StudyRow[]): StudyRow[] {
  const rows: StudyRow[] = [];
  const groups = groupInOrder(codes.filter((r) => r.kind === 'code'), (r) => `${r.design}|${r.defence}|${r.length}|${r.repetitions}|${r.decode}`);
  for (const group of groups) {
    const m = group[0];
    const length = m.length as number;
    const decode = m.decode as ExtractionDecode;
    const guesses: SlotCanaryGuess[] = group.map((r) => ({ code: String(r.code), repetitions: r.repetitions as number, guess: String(r.guess), exact: r.exact === true, hamming: r.hamming as number }));
    const cell = summariseGuesses(guesses);
    const chance = randomGuessBaseline(length, decode, m.vocabulary as number);
    const models = groupInOrder(group, (r) => String(r.model)).map((g) => g[0]);
    const ranks = group.map((r) => r.rank).filter((x): x is number => typeof x === 'number');
    const top = Math.ceil(10 ** length / 100);
    const inTop = ranks.filter((x) => x < top).length;
    const topInterval = ranks.length ? clopperPearson(inTop, ranks.length) : null;
    // rank as a share of all codes (chance ≈ 0.5), averaged per model first: a model's canaries are not independent
    const perModel = groupInOrder(group.filter((r) => typeof r.rank === 'number'), (r) => String(r.model)).map((g) => mean(g.map((r) => (r.rank as number) / 10 ** length)));
    const share = perModel.length ? meanTInterval(perModel) : null;
    const shareLow = share?.half != null ? share.mean - share.half : null;
    const shareHigh = share?.half != null ? share.mean + share.half : null;
    rows.push({
      dataset: m.dataset,
      synthetic: m.synthetic,
      design: m.design,
      defence: m.defence,
      repetitions: m.repetitions,
      length,
      decode,
      canaries: cell.canaries,
      models: models.length,
      exact: cell.exact,
      exactRate: cell.exactRate,
      exactInterval: formatInterval(cell.exactInterval[0], cell.exactInterval[1]),
      exactLow: cell.exactInterval[0],
      exactHigh: cell.exactInterval[1],
      hamming: cell.hamming,
      chanceExact: chance.exactRate,
      chanceHamming: chance.hamming,
      medianRank: ranks.length ? quantileSorted([...ranks].sort((a, b) => a - b), 0.5) : null,
      top1PercentRate: ranks.length ? inTop / ranks.length : null,
      top1PercentInterval: topInterval ? formatInterval(topInterval.low, topInterval.high) : null,
      rankShare: share ? share.mean : null,
      rankShareLow: shareLow,
      rankShareHigh: shareHigh,
      rankShareInterval: shareLow === null ? null : formatInterval(shareLow, shareHigh),
      modelAccuracy: mean(models.map((x) => x.intentAccuracy as number)),
      slotF1: mean(models.map((x) => x.slotF1 as number)),
      epochUsed: models.map((x) => x.epochUsed).join(' '),
      epochsRun: models.map((x) => x.epochsRun).join(' '),
      epsilon: m.epsilon,
      guesses: group.slice(0, 6).map((g) => `${g.code}→${String(g.guess).replace(/ /g, '')}`).join(' '),
    });
  }
  const order = (r: StudyRow) => [r.design === 'defence' ? 0 : 1, r.repetitions === 0 ? 1 : 0];
  return rows.sort((a, b) => {
    const [x, y] = [order(a), order(b)];
    return x[0] - y[0] || x[1] - y[1];
  });
}

const COLUMNS: StudyColumn[] = [
  { key: 'defence', header: 'defence' },
  { key: 'repetitions', header: 'repetitions' },
  { key: 'length', header: 'digits' },
  { key: 'decode', header: 'decode' },
  { key: 'canaries', header: 'canaries' },
  { key: 'models', header: 'models' },
  { key: 'exactRate', header: 'exact rate' },
  { key: 'exactInterval', header: '95% CI' },
  { key: 'chanceExact', header: 'random guess', digits: 8 },
  { key: 'hamming', header: 'Hamming' },
  { key: 'chanceHamming', header: 'random Hamming' },
  { key: 'medianRank', header: 'median rank of 10⁴', digits: 0 },
  { key: 'rankShare', header: 'rank / 10⁴' },
  { key: 'rankShareInterval', header: '95% CI (models)' },
  { key: 'top1PercentRate', header: 'in best 1%' },
  { key: 'modelAccuracy', header: 'intent acc' },
  { key: 'slotF1', header: 'slot F1' },
  { key: 'epochUsed', header: 'epoch used' },
  { key: 'epsilon', header: 'ε' },
];

function charts(rows: StudyRow[]): { name: string; spec: VegaLiteSpec }[] {
  const sweep = rows.filter((r) => r.design === 'sweep');
  const chance = [...new Set(sweep.map((r) => `${r.length}|${r.decode}`))].map((k) => {
    const [length, decode] = k.split('|');
    const r = sweep.find((x) => String(x.length) === length && x.decode === decode)!;
    return { length: Number(length), decode, chanceExact: r.chanceExact, chanceHamming: r.chanceHamming };
  });
  const spec = (y: 'exactRate' | 'hamming', title: string): VegaLiteSpec => ({
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: `${title} against repetitions (sweep models, no defence); dashed: random guess`,
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
    'Each model is a joint intent + slot model (embedding, two centred convolutions, intent from the mean state, BIO tags per token) trained on the full SNIPS training set (13,084 utterances) for 6 epochs (Adam 0.01, batch 128; DP-SGD: 3 epochs, batch 256, ε = 8, δ = 1e-5) with 20 canaries inserted, each "PREFIX d … d" after its own four-word prefix (the paper\'s "my pin code is" and 19 more sharing no word), intent SharePinCode, digits tagged B-pin/I-pin.',
    'Sweep models (no defence) hold 4 canaries of each repetition count 1, 5, 10, 50, 100 at one code length (13 models per length: 52 canaries per cell); defence models hold 20 canaries of 4 digits inserted 100 times (3 models per defence: 60 canaries), with a no-defence model of the same design as the reference.',
    'The white-box relaxed-input attack (Parikh et al. 2022) knows the prefix, the intent and the tags; it optimises a soft input over the code positions (Adam, temperature annealed 1 → 0.05, 200 steps, 4 restarts) to maximise the intent and tag likelihood, and decodes over the ten digits or over the whole vocabulary.',
    'For 4-digit codes the same loss is evaluated on all 10^4 codes: "median rank" is the true code\'s rank (0 = the attack\'s best code; ties count half; random: about 5,000), "rank / 10⁴" its mean share of all codes (random: 0.5) with a t interval over the models (a model\'s canaries are averaged first), and "in best 1%" the share ranked in the best 100 (random: 0.01).',
    'Repetitions 0 rows are the control: codes of the same formats that the models never saw. "random guess" is what guessing uniformly gets (10^-digits over digits, |V|^-digits over the vocabulary).',
    'Defences: dropout 0.3; early stopping (patience 1, the best validation epoch restored, "epoch used"); character-level input (token vectors are the mean of character vectors); DP-SGD; combined = all four. Intent accuracy and slot F1 are on the SNIPS test split, for the weights attacked.',
  ].join(' '),
  cells: (ctx) => extractionCells(ctx.quick),
  runCell: (cell, ctx) => runExtractionCell(cell as StudyCell<ExtractionCellParams>, ctx),
  summarize: (rows) => summarizeExtraction(rows),
  columns: COLUMNS,
  tables: (rows) => ([
    { title: 'Defences (20 canaries of 4 digits per model, each inserted 100 times)', rows: rows.filter((r) => r.design === 'defence'), columns: COLUMNS },
    { title: 'Repetitions and code length (no defence; 4 canaries of each count per model)', rows: rows.filter((r) => r.design === 'sweep'), columns: COLUMNS.filter((c) => c.key !== 'defence' && c.key !== 'epsilon') },
  ]).filter((t) => t.rows.length > 0),
  charts,
};
