/**
 * Study "dp-utility": what differential privacy costs an intent classifier. The embedding-bag
 * classifier (GloVe-initialised) is trained on CLINC150 with eDP-SGD at ε ∈ {1, 3, 8}
 * (δ = 1e-5, RDP accountant, σ calibrated to the target for the planned steps) and without
 * privacy (ε = ∞); each row gives in-scope test accuracy, out-of-scope recall, the gap to the
 * non-private model, the ε actually spent, σ and seconds per epoch.
 *
 * Every model goes through runTraining with PrivateTraining plugged into its
 * configureTraining hook, i.e. exactly what `trustnlu train --dp` runs. The private runs share
 * one recipe (linear on the mean embedding, per-layer clipping, large expected batch, SGD with
 * momentum at a high learning rate, no dropout, fixed epochs: see PRIVATE_RECIPE); the non-private run uses the classifier's own defaults, as a user would.
 * Early stopping on the validation split is off for the private runs (their epochs are part of
 * the privacy plan). The validation split is treated as public (see private-training.ts).
 * Each budget is a study cell: resumable, and parallel with --parallel N or --queue.
 */
import { PrivateTraining, type ClippingMode } from '../privacy/index.js';
import { runTraining, type ClassifierResult, type OptimizerName } from '../train/index.js';
import type { VegaLiteSpec } from '../report/charts.js';
import type { CellSpec, StudyCell } from './cells.js';
import type { StudyColumn, StudyContext, StudyDefinition, StudyRow } from './runner.js';

export const DP_UTILITY_DELTA = 1e-5;
export const DP_UTILITY_EPSILONS = [1, 3, 8, Infinity] as const;

export interface DpUtilityRecipe {
  /** Expected (Poisson) batch size. */
  batchSize: number;
  optimizer: OptimizerName;
  learningRate: number;
  epochs: number;
  clip: number;
  /** Flat: one clip norm C over all parameters; per-layer: each layer's gradient clipped to C/√L. */
  clipping: ClippingMode;
  /** Architecture overrides (the private runs drop dropout: it only adds noise to noisy gradients). */
  config: Record<string, unknown>;
}

/**
 * The private runs' recipe on CLINC150, chosen on the validation split at ε = 8 (see
 * docs/privacy.md for the runs tried): a linear layer on the mean GloVe-initialised embedding
 * (no hidden layer: fewer noisy coordinates), per-layer clipping (the embedding table and the
 * output layer each clipped to C/√2, so neither crowds the other out of the clip budget),
 * large batches with proportionally more epochs (~600 steps), SGD with momentum 0.9 at a high
 * learning rate, no dropout.
 */
export const PRIVATE_RECIPE: DpUtilityRecipe = { batchSize: 2048, optimizer: 'sgd', learningRate: 2, epochs: 80, clip: 1, clipping: 'per-layer', config: { dropout: 0, hidden: 0 } };
/** Non-private: the classifier defaults (batch 64, lr 2e-3, AdamW, patience 3) for 15 epochs. */
export const NON_PRIVATE_EPOCHS = 15;

type Setting = {
  dataset: string;
  glove: boolean;
  config: Record<string, unknown>;
  recipe: DpUtilityRecipe;
  nonPrivateEpochs: number;
  maxStepsPerEpoch?: number;
};

function settingFor(quick: boolean, dataset: string | undefined): Setting {
  if (quick) {
    // Seconds, not minutes: the synthetic set (unless another is named), a small model, two short epochs.
    return {
      dataset: dataset ?? 'synthetic',
      glove: false,
      config: { embeddingDim: 16, hidden: 32 },
      recipe: { batchSize: 128, optimizer: 'sgd', learningRate: 1, epochs: 2, clip: 1, clipping: 'per-layer', config: { dropout: 0, hidden: 0 } },
      nonPrivateEpochs: 2,
      maxStepsPerEpoch: 6,
    };
  }
  return { dataset: dataset ?? 'clinc150', glove: true, config: {}, recipe: PRIVATE_RECIPE, nonPrivateEpochs: NON_PRIVATE_EPOCHS };
}

const label = (epsilon: number) => (Number.isFinite(epsilon) ? String(epsilon) : '∞');

/** One cell: one privacy budget (null: no privacy), with everything that decides the run. */
export type DpUtilityCellParams = {
  /** Target ε; null for the non-private run (ε = ∞, which JSON cannot hold). */
  epsilon: number | null;
  setting: Setting;
};

export function dpUtilityCells(ctx: Pick<StudyContext, 'quick' | 'dataset'>, epsilons: readonly number[] = DP_UTILITY_EPSILONS): CellSpec<DpUtilityCellParams>[] {
  const setting = settingFor(ctx.quick, ctx.dataset);
  return epsilons.map((epsilon) => ({ name: `epsilon ${label(epsilon)}`, params: { epsilon: Number.isFinite(epsilon) ? epsilon : null, setting } }));
}

/** One model trained at one budget: its row (the gap to ε = ∞ is filled in by summarizeDpUtility). */
export async function runDpUtilityCell(cell: StudyCell<DpUtilityCellParams>, ctx: StudyContext): Promise<StudyRow[]> {
  const { setting } = cell.params;
  const epsilon = cell.params.epsilon ?? Infinity;
  const finite = Number.isFinite(epsilon);
  ctx.progress.event('dp-utility', { epsilon: label(epsilon), dataset: setting.dataset });
  const privacy = finite ? new PrivateTraining({ epsilon, delta: DP_UTILITY_DELTA, clip: setting.recipe.clip, clipping: setting.recipe.clipping }) : undefined;
  try {
    const { result, training, model } = await runTraining({
      dataset: setting.dataset,
      dataDir: ctx.dataDir,
      model: 'embbag',
      seed: ctx.seed,
      glove: setting.glove,
      config: finite ? { ...setting.config, ...setting.recipe.config } : setting.config,
      epochs: finite ? setting.recipe.epochs : setting.nonPrivateEpochs,
      maxStepsPerEpoch: setting.maxStepsPerEpoch,
      ...(finite ? { batchSize: setting.recipe.batchSize, optimizer: setting.recipe.optimizer, learningRate: setting.recipe.learningRate, patience: setting.recipe.epochs } : {}),
      configureTraining: privacy ? (setup) => privacy.configure(setup) : undefined,
    });
    model.dispose();
    const r = result as ClassifierResult;
    const report = privacy?.report(training.steps);
    const epochSeconds = training.history.map((h) => h.seconds);
    return [
      {
        epsilon: label(epsilon),
        targetEpsilon: finite ? epsilon : null,
        spentEpsilon: report ? report.epsilon : null,
        noiseMultiplier: report ? report.noiseMultiplier : 0,
        dataset: r.dataset,
        synthetic: r.synthetic,
        accuracy: r.accuracy,
        oosRecall: r.oosRecall ?? null,
        gapPoints: null,
        secondsPerEpoch: epochSeconds.reduce((a, b) => a + b, 0) / epochSeconds.length,
        epochs: training.history.length,
        steps: training.steps,
        batch: finite ? setting.recipe.batchSize : 64,
        optimizer: finite ? setting.recipe.optimizer : 'adamw',
        learningRate: finite ? setting.recipe.learningRate : 2e-3,
        clip: report ? report.clip : null,
        clipping: finite ? setting.recipe.clipping : null,
        hidden: (model.config as { hidden: number }).hidden,
      },
    ];
  } finally {
    privacy?.dispose();
  }
}

/** The accuracy gap of every row to the non-private run, in percentage points. */
export function summarizeDpUtility(rows: StudyRow[]): StudyRow[] {
  const reference = rows.find((r) => r.epsilon === '∞');
  return rows.map((r) => ({ ...r, gapPoints: reference ? 100 * ((reference.accuracy as number) - (r.accuracy as number)) : null }));
}

const COLUMNS: StudyColumn[] = [
  { key: 'epsilon', header: 'target ε' },
  { key: 'spentEpsilon', header: 'spent ε', digits: 3 },
  { key: 'noiseMultiplier', header: 'σ', digits: 3 },
  { key: 'accuracy', header: 'in-scope accuracy', digits: 4 },
  { key: 'gapPoints', header: 'gap to ε = ∞ (points)', digits: 1 },
  { key: 'oosRecall', header: 'OOS recall', digits: 3 },
  { key: 'secondsPerEpoch', header: 's / epoch', digits: 1 },
  { key: 'epochs', header: 'epochs' },
  { key: 'steps', header: 'steps' },
  { key: 'batch', header: 'batch' },
  { key: 'optimizer', header: 'optimizer' },
  { key: 'learningRate', header: 'lr', digits: 4 },
  { key: 'clip', header: 'clip', digits: 2 },
  { key: 'clipping', header: 'clipping' },
  { key: 'hidden', header: 'hidden units' },
];

function accuracyChart(rows: StudyRow[]): VegaLiteSpec {
  return {
    title: 'In-scope test accuracy vs privacy budget (δ = 1e-5)',
    width: 380,
    height: 240,
    data: { values: rows },
    layer: [
      { mark: { type: 'bar' }, encoding: { x: { field: 'epsilon', type: 'ordinal', sort: ['1', '3', '8', '∞'], title: 'ε' }, y: { field: 'accuracy', type: 'quantitative', title: 'in-scope accuracy', scale: { domain: [0, 1] } } } },
      { mark: { type: 'text', dy: -8 }, encoding: { x: { field: 'epsilon', type: 'ordinal', sort: ['1', '3', '8', '∞'] }, y: { field: 'accuracy', type: 'quantitative' }, text: { field: 'accuracy', type: 'quantitative', format: '.3f' } } },
    ],
  };
}

function secondsChart(rows: StudyRow[]): VegaLiteSpec {
  return {
    title: 'Seconds per epoch (training + validation)',
    width: 380,
    height: 200,
    data: { values: rows },
    mark: { type: 'bar' },
    encoding: {
      x: { field: 'epsilon', type: 'ordinal', sort: ['1', '3', '8', '∞'], title: 'ε' },
      y: { field: 'secondsPerEpoch', type: 'quantitative', title: 'seconds per epoch' },
    },
  };
}

export const dpUtilityStudy: StudyDefinition = {
  name: 'dp-utility',
  title: 'Private training: accuracy and speed at ε ∈ {1, 3, 8, ∞} (CLINC150, embedding bag)',
  description: [
    'The GloVe-initialised embedding-bag classifier trained on CLINC150 with eDP-SGD (Poisson batches, per-example clipping, Gaussian noise from the CSPRNG, RDP accounting, σ calibrated to the target ε for the planned steps, δ = 1e-5) and without privacy.',
    `Private runs: a linear layer on the mean embedding (no hidden layer), ${PRIVATE_RECIPE.clipping} clipping at C = ${PRIVATE_RECIPE.clip}, expected batch ${PRIVATE_RECIPE.batchSize}, ${PRIVATE_RECIPE.optimizer.toUpperCase()} (momentum 0.9) at lr ${PRIVATE_RECIPE.learningRate}, no dropout, ${PRIVATE_RECIPE.epochs} epochs; non-private: the classifier defaults (batch 64, AdamW at lr 0.002, dropout 0.2, early stopping after 3 epochs without progress) for up to ${NON_PRIVATE_EPOCHS} epochs.`,
    '"spent ε" is recomputed for the steps that ran; accuracy is in-scope test accuracy (the out-of-scope class excluded), the gap is to the ε = ∞ row in percentage points; seconds per epoch include the validation pass.',
  ].join(' '),
  columns: COLUMNS,
  takesDataset: true,
  cells: (ctx) => dpUtilityCells(ctx),
  runCell: (cell, ctx) => runDpUtilityCell(cell as StudyCell<DpUtilityCellParams>, ctx),
  summarize: (rows) => summarizeDpUtility(rows),
  charts: (rows) => [
    { name: 'accuracy-vs-epsilon', spec: accuracyChart(rows) },
    { name: 'seconds-per-epoch', spec: secondsChart(rows) },
  ],
};
