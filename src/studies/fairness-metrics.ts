/**
 * Study "fairness-metrics": do intrinsic bias scores of a model predict its extrinsic behaviour?
 * (Goldfarb-Tarrant et al., ACL 2021, and Cao et al., ACL 2022, found that they mostly do not.)
 *
 * Several classifier variants are trained on the synthetic intent set; for each we measure
 * - intrinsic: WEAT on the model's own embedding table (female vs male names of the synthetic
 *   set, against two attribute sets of task words: calling/calendar vs messaging/booking words),
 *   and SEAT with the model's sentence features (its pooled representation before the output
 *   layer) on bleached templates of the same words;
 * - extrinsic, on the intent-synthetic probe with gender names: the demographic parity and
 *   equalised odds gaps for call_contact, the accuracy gap, the counterfactual flip rate and mean
 *   |Δp|, and APS;
 * then rank correlations (Spearman, Kendall, Fisher-z CIs) between the intrinsic and extrinsic
 * scores across variants.
 *
 * Variants are architectures × seeds × a name–intent skew injected into the training data (the
 * share of call_contact/calendar_add utterances given a female name and of
 * send_message/restaurant_booking ones given a male name goes from 50% to (1 + skew)/2), so that
 * the variants differ in how much bias they could learn; plus, on the skewed data, variants
 * trained with counterfactual data augmentation (every utterance with a person also appears with
 * a name of the other gender group: `nameSwapAugmentation`) and with DP-SGD (the privacy
 * pillar's PrivateTraining: per-example clipping, Gaussian noise, Poisson batches, ε reported).
 */
import { loadIntentDataset } from '../data/registry.js';
import { PERSON_NAME_GROUPS } from '../data/datasets/synthetic.js';
import type { IntentDataset, TextExample } from '../data/types.js';
import { SeededRandom, tf } from '../engine/index.js';
import {
  auditGroups,
  buildProbeSet,
  correlationOrNull,
  embeddingClassifier,
  fitProtectedStatusModel,
  identityExamples,
  probeSensitivity,
  seat,
  weat,
  type Embed,
} from '../fairness/index.js';
import { kendallTau, spearman, type CorrelationResult } from '../metrics/index.js';
import { PrivateTraining } from '../privacy/index.js';
import { INFERENCE, toTensorBatch, type ClassifierConfig, type ClassifierModel, type IntentClassifier } from '../models/index.js';
import { UNK_ID } from '../text/index.js';
import { classificationBatch, encodeTexts, runTraining, type ClassifierResult, type RunTrainingOptions } from '../train/index.js';
import type { VegaLiteSpec } from '../report/charts.js';
import type { StudyColumn, StudyContext, StudyDefinition, StudyRow } from './runner.js';

export interface FairnessVariant {
  name: string;
  architecture: 'embbag' | 'cnn' | 'transformer';
  seed: number;
  /** Name–intent skew in [0, 1] injected into the training data (0: the data as generated). */
  skew: number;
  epochs: number;
  config?: Partial<ClassifierConfig>;
  /** Extension point: transform the (already skewed) training examples, e.g. counterfactual augmentation. */
  transformTrain?: (examples: TextExample[], rng: SeededRandom) => TextExample[];
  /** Extension point: training overrides (learning rate, batch size, optimiser, ...). */
  trainer?: Partial<Pick<RunTrainingOptions, 'learningRate' | 'batchSize' | 'optimizer' | 'schedule' | 'warmupSteps'>>;
  /** Counterfactual data augmentation by name swap (see nameSwapAugmentation). */
  augmentation?: 'name-swap';
  /** Train with DP-SGD at this noise multiplier and clip norm (δ = 1e-5; ε is reported). */
  privacy?: { noiseMultiplier: number; clip: number };
}

/** Small configurations so that the quick study trains eight models in well under a minute. */
const QUICK_CONFIG: Record<FairnessVariant['architecture'], Partial<ClassifierConfig>> = {
  embbag: { embeddingDim: 32, hidden: 64 },
  cnn: { embeddingDim: 32, kernelSizes: [1, 2, 3], filters: 24 },
  transformer: { embeddingDim: 32, heads: 2, layers: 1, ffnDim: 64 },
};

/**
 * Architectures × skews × seeds (quick: 2 × 2 × 2; full: 3 × 3 × 2), then on the most skewed
 * data: name-swap augmentation (embbag and cnn) and DP-SGD (embbag) per seed. 14 quick, 24 full.
 */
export function fairnessVariants(quick: boolean): FairnessVariant[] {
  const architectures: FairnessVariant['architecture'][] = quick ? ['embbag', 'cnn'] : ['embbag', 'cnn', 'transformer'];
  const seeds = quick ? [1, 2] : [1, 2];
  const skews = quick ? [0, 0.9] : [0, 0.5, 0.9];
  const epochsOf = (architecture: FairnessVariant['architecture']) => (quick ? 4 : architecture === 'embbag' ? 8 : 5);
  const base = (architecture: FairnessVariant['architecture'], skew: number, seed: number): FairnessVariant => ({
    name: `${architecture}-skew${skew}-s${seed}`,
    architecture,
    seed,
    skew,
    epochs: epochsOf(architecture),
    config: quick ? QUICK_CONFIG[architecture] : undefined,
  });
  const variants: FairnessVariant[] = [];
  for (const architecture of architectures) {
    for (const skew of skews) {
      for (const seed of seeds) variants.push(base(architecture, skew, seed));
    }
  }
  const skewed = skews[skews.length - 1];
  for (const architecture of ['embbag', 'cnn'] as const) {
    for (const seed of seeds) variants.push({ ...base(architecture, skewed, seed), name: `${architecture}-skew${skewed}-cda-s${seed}`, augmentation: 'name-swap' });
  }
  for (const seed of seeds) {
    variants.push({
      ...base('embbag', skewed, seed),
      name: `embbag-skew${skewed}-dp-s${seed}`,
      // DP-SGD needs more epochs at a larger rate to reach a usable accuracy
      epochs: quick ? 4 : 15,
      privacy: { noiseMultiplier: 1, clip: 1 },
      trainer: { learningRate: 1e-2 },
    });
  }
  return variants;
}

/**
 * Counterfactual data augmentation by name swap: every training utterance that names a person
 * is kept and also added once with that name replaced by a random seen name of the other gender
 * group (the synthetic set's own name lists), so each intent sees both groups equally often.
 */
export function nameSwapAugmentation(examples: TextExample[], rng: SeededRandom): TextExample[] {
  const out: TextExample[] = [...examples];
  for (const e of examples) {
    if (!e.person || (e.person.group !== 'female' && e.person.group !== 'male')) continue;
    const other = e.person.group === 'female' ? 'male' : 'female';
    const pool = PERSON_NAME_GROUPS[other].seen;
    const name = pool[rng.int(pool.length)];
    out.push({ ...e, text: e.text.replace(new RegExp(`\\b${e.person.name}\\b`), name), person: { name, group: other } });
  }
  return out;
}

const FEMALE_SKEWED = new Set(['call_contact', 'calendar_add']);
const MALE_SKEWED = new Set(['send_message', 'restaurant_booking']);

/** Re-draws the person of skew-affected training utterances so one gender dominates each intent. */
export function skewNames(examples: TextExample[], skew: number, rng: SeededRandom): TextExample[] {
  if (skew === 0) return examples;
  return examples.map((e) => {
    if (!e.person || !(FEMALE_SKEWED.has(e.label) || MALE_SKEWED.has(e.label))) return e;
    const favoured = FEMALE_SKEWED.has(e.label) ? 'female' : 'male';
    const group = rng.next() < (1 + skew) / 2 ? favoured : favoured === 'female' ? 'male' : 'female';
    const pool = PERSON_NAME_GROUPS[group].seen;
    const name = pool[rng.int(pool.length)];
    const text = e.text.replace(new RegExp(`\\b${e.person.name}\\b`), name);
    return { ...e, text, person: { name, group } };
  });
}

/** Task words of the skewed intents, for the intrinsic tests (all in the synthetic vocabulary). */
export const TASK_ATTRIBUTES = {
  calling: ['call', 'ring', 'phone', 'dial', 'meeting', 'calendar', 'schedule', 'add'],
  messaging: ['text', 'message', 'tell', 'saying', 'know', 'table', 'reserve', 'reservation'],
};

function intrinsicSets(): { X: string[]; Y: string[]; A: string[]; B: string[] } {
  return { X: [...PERSON_NAME_GROUPS.female.seen], Y: [...PERSON_NAME_GROUPS.male.seen], A: TASK_ATTRIBUTES.calling, B: TASK_ATTRIBUTES.messaging };
}

function tableLookup(model: ClassifierModel): Embed {
  const table = model.store.get('embedding/embeddings');
  const dim = table.shape[1] as number;
  const values = table.dataSync() as Float32Array;
  return (word) => {
    const id = model.tokenizer.idOf(word);
    return id === UNK_ID ? undefined : values.subarray(id * dim, (id + 1) * dim);
  };
}

/** The model's pooled features (before the output layer) for each sentence. */
function featureEncoder(model: ClassifierModel): (sentences: string[]) => Float32Array[] {
  const classifier = model as unknown as IntentClassifier;
  return (sentences) => {
    const set = encodeTexts(sentences, model.tokenizer, model.maxLength);
    const host = classificationBatch(set, sentences.map((_, i) => i));
    const values = tf.tidy(() => classifier.features(toTensorBatch(host, 'classifier'), INFERENCE).arraySync() as number[][]);
    return values.map((row) => Float32Array.from(row));
  };
}

interface VariantScores {
  accuracy: number;
  weat: number;
  seat: number;
  dpGap: number | null;
  eoGap: number | null;
  accuracyGap: number | null;
  flipRate: number;
  cfChange: number;
  aps: number;
}

async function trainVariant(
  variant: FairnessVariant,
  base: IntentDataset,
  ctx: StudyContext,
): Promise<{ model: ClassifierModel; accuracy: number; epsilon: number | null }> {
  const rng = new SeededRandom(ctx.seed * 1000 + variant.seed).fork(`fairness-metrics:${variant.name}`);
  let trainExamples = skewNames(base.splits.train, variant.skew, rng.fork('skew'));
  if (variant.augmentation === 'name-swap') trainExamples = nameSwapAugmentation(trainExamples, rng.fork('augment'));
  if (variant.transformTrain) trainExamples = variant.transformTrain(trainExamples, rng.fork('transform'));
  const privacy = variant.privacy
    ? new PrivateTraining({ noiseMultiplier: variant.privacy.noiseMultiplier, clip: variant.privacy.clip, delta: 1e-5, prefetchNoise: false })
    : undefined;
  try {
    const { model, training, result } = await runTraining({
      dataset: { ...base, splits: { ...base.splits, train: trainExamples } },
      model: variant.architecture,
      epochs: variant.epochs,
      seed: variant.seed,
      config: variant.config,
      // every epoch runs: the variants are compared at equal training
      patience: variant.epochs,
      ...(ctx.quick ? { warmupSteps: 0 } : {}),
      ...variant.trainer,
      configureTraining: privacy ? (setup) => privacy.configure(setup) : undefined,
    });
    return {
      model: model as ClassifierModel,
      accuracy: (result as ClassifierResult).accuracy,
      epsilon: privacy ? privacy.report(training.steps).epsilon : null,
    };
  } finally {
    privacy?.dispose();
  }
}

async function scoreVariant(model: ClassifierModel, accuracy: number, ctx: StudyContext): Promise<VariantScores> {
  const sets = intrinsicSets();
  const weatResult = weat(sets, tableLookup(model), { skipPValue: true });
  const seatResult = await seat(sets, featureEncoder(model), { skipPValue: true });
  const resamples = ctx.quick ? 200 : 1000;
  const { evaluation } = auditGroups(model, { probe: 'intent-synthetic', groups: 'gender-names', positive: 'call_contact', resamples, seed: ctx.seed });
  const classifier = embeddingClassifier(model as unknown as Parameters<typeof embeddingClassifier>[0]);
  const protectedModel = fitProtectedStatusModel(classifier, identityExamples('gender-names'), { l2: 0.01 });
  const probe = buildProbeSet('intent-synthetic', 'gender-names');
  const sensitivity = probeSensitivity(classifier, protectedModel, probe, { bootstrap: false });
  const d = evaluation.groupMetrics.differences;
  return {
    accuracy,
    weat: weatResult.effectSize,
    seat: seatResult.effectSize,
    dpGap: d.demographicParity,
    eoGap: d.equalizedOdds,
    accuracyGap: d.accuracy,
    flipRate: evaluation.counterfactual.flipRate,
    cfChange: evaluation.counterfactual.meanAbsoluteChange,
    aps: sensitivity.aps,
  };
}

const EXTRINSIC: { key: keyof VariantScores; label: string }[] = [
  { key: 'dpGap', label: 'DP gap' },
  { key: 'eoGap', label: 'EO gap' },
  { key: 'flipRate', label: 'flip rate' },
  { key: 'cfChange', label: 'mean abs Δp' },
  { key: 'aps', label: 'APS' },
];

const INTRINSIC: { key: 'weatAbs' | 'seatAbs'; label: string }[] = [
  { key: 'weatAbs', label: 'abs WEAT d' },
  { key: 'seatAbs', label: 'abs SEAT d' },
];

function formatCorrelation(r: CorrelationResult | null): string {
  return r ? `${r.estimate.toFixed(2)} [${r.low.toFixed(2)}, ${r.high.toFixed(2)}]` : 'undefined';
}

/** Spearman and Kendall rows between each intrinsic score and every other score, across variants. */
export function correlationRows(variantRows: StudyRow[]): StudyRow[] {
  const column = (key: string) => variantRows.map((r) => (typeof r[key] === 'number' ? (r[key] as number) : Number.NaN));
  const rows: StudyRow[] = [];
  for (const [method, fn] of [['Spearman ρ', spearman], ['Kendall τ', kendallTau]] as const) {
    for (const intrinsic of INTRINSIC) {
      const x = column(intrinsic.key);
      const row: StudyRow = { kind: method === 'Spearman ρ' ? 'spearman' : 'kendall', row: `${method} with ${intrinsic.label}`, intrinsic: intrinsic.key };
      for (const other of [...INTRINSIC.filter((i) => i.key !== intrinsic.key), ...EXTRINSIC]) {
        const y = column(other.key);
        const usable = x.every(Number.isFinite) && y.every(Number.isFinite);
        const r = usable ? correlationOrNull(fn, x, y) : null;
        row[other.key] = formatCorrelation(r);
        row[`${other.key}Estimate`] = r ? r.estimate : null;
        row[`${other.key}Low`] = r ? r.low : null;
        row[`${other.key}High`] = r ? r.high : null;
        row[`${other.key}P`] = r ? r.pValue : null;
      }
      rows.push(row);
    }
  }
  return rows;
}

const COLUMNS: StudyColumn[] = [
  { key: 'row', header: 'variant / correlation' },
  { key: 'training', header: 'training' },
  { key: 'epsilon', header: 'DP ε (δ = 1e-5)', digits: 2 },
  { key: 'accuracy', header: 'test acc.' },
  { key: 'weatAbs', header: 'abs WEAT d', digits: 2 },
  { key: 'seatAbs', header: 'abs SEAT d', digits: 2 },
  { key: 'dpGap', header: 'DP gap (call_contact)' },
  { key: 'eoGap', header: 'EO gap' },
  { key: 'flipRate', header: 'CF flip rate', digits: 4 },
  { key: 'cfChange', header: 'CF mean abs Δp', digits: 4 },
  { key: 'aps', header: 'APS', digits: 5 },
];

function scatter(rows: StudyRow[], x: string, y: string, xTitle: string, yTitle: string, title: string): VegaLiteSpec {
  return {
    title,
    width: 380,
    height: 260,
    data: { values: rows },
    mark: { type: 'point', filled: true, size: 80 },
    encoding: {
      x: { field: x, type: 'quantitative', title: xTitle, scale: { zero: false } },
      y: { field: y, type: 'quantitative', title: yTitle, scale: { zero: false } },
      color: { field: 'architecture', type: 'nominal' },
      shape: { field: 'skewLabel', type: 'nominal', title: 'name–intent skew' },
    },
  };
}

/** Trains and scores every variant, then appends the rank-correlation rows. */
export async function runFairnessMetrics(ctx: StudyContext, variants: FairnessVariant[]): Promise<StudyRow[]> {
  const base = loadIntentDataset('synthetic', { seed: 0, dataDir: ctx.dataDir });
  const rows: StudyRow[] = [];
  for (const [i, variant] of variants.entries()) {
    ctx.progress.event('variant', { index: i + 1, of: variants.length, name: variant.name });
    const { model, accuracy, epsilon } = await trainVariant(variant, base, ctx);
    try {
      const s = await scoreVariant(model, accuracy, ctx);
      rows.push({
        kind: 'variant',
        row: variant.name,
        architecture: variant.architecture,
        seed: variant.seed,
        skew: variant.skew,
        skewLabel: String(variant.skew),
        training: variant.privacy ? 'DP-SGD' : variant.augmentation ? 'name-swap CDA' : 'standard',
        epsilon,
        accuracy: s.accuracy,
        weat: s.weat,
        weatAbs: Math.abs(s.weat),
        seat: s.seat,
        seatAbs: Math.abs(s.seat),
        dpGap: s.dpGap,
        eoGap: s.eoGap,
        accuracyGap: s.accuracyGap,
        flipRate: s.flipRate,
        cfChange: s.cfChange,
        aps: s.aps,
      });
    } finally {
      model.dispose();
    }
  }
  return [...rows, ...correlationRows(rows)];
}

export const fairnessMetricsStudy: StudyDefinition = {
  name: 'fairness-metrics',
  title: 'Intrinsic vs extrinsic fairness metrics across model variants (synthetic intents)',
  description: [
    'Each variant (architecture × seed × name–intent skew in the training data; on the most skewed data also name-swap counterfactual augmentation and DP-SGD with σ = 1, clip 1) is trained on the SYNTHETIC intent set.',
    'Intrinsic: WEAT and SEAT effect sizes (female vs male names of the synthetic set against calling/calendar vs messaging/booking words) on the',
    "model's own embedding table and pooled features. Extrinsic, on the intent-synthetic probe with gender names: demographic parity and",
    'equalised odds gaps for call_contact, counterfactual flip rate and mean |Δp|, and APS (Krishna et al. 2022).',
    'Table cells avoid the pipe character: "abs WEAT d" is |d|. The last rows are rank correlations across variants with Fisher-z 95% intervals; with few variants the intervals are wide.',
    'SYNTHETIC data: the numbers say how the metrics relate on this controlled task, not how real systems behave.',
  ].join(' '),
  columns: COLUMNS,
  run: (ctx) => runFairnessMetrics(ctx, fairnessVariants(ctx.quick)),
  charts(rows) {
    const variants = rows.filter((r) => r.kind === 'variant');
    return [
      { name: 'weat-vs-flip-rate', spec: scatter(variants, 'weatAbs', 'flipRate', '|WEAT effect size| (embedding table)', 'counterfactual flip rate', 'Intrinsic WEAT vs counterfactual flip rate') },
      { name: 'weat-vs-dp-gap', spec: scatter(variants, 'weatAbs', 'dpGap', '|WEAT effect size| (embedding table)', 'demographic parity gap (call_contact)', 'Intrinsic WEAT vs demographic parity gap') },
      { name: 'aps-vs-cf-change', spec: scatter(variants, 'aps', 'cfChange', 'APS', 'counterfactual mean |Δp|', 'APS vs counterfactual change') },
    ];
  },
};
