/**
 * Study "leakage": membership inference at matched utility (issue 22).
 *
 * Design. A pool of P in-scope examples is drawn from CLINC150's training split; the rest of
 * the split (the base) is in every model's training set, and each of M models also trains on a
 * balanced random half of the pool (every pool example is IN for half of the models). Every arm
 * trains the same M models (same memberships, same initialisation seeds: paired arms):
 *
 * - dp-1, dp-3, dp-8: DP-SGD with the private recipe `trustnlu train --dp` uses for embbag
 *   (linear on GloVe, SGD lr 2, Poisson batches q = 0.136, 80 epochs, per-layer clipping C = 1);
 * - non-private: the plain recipe `trustnlu train` uses (AdamW, batch 64, early stopping);
 * - same-recipe: the private recipe without clipping and noise (a control for the recipe);
 * - matched-accuracy: the same, stopped at the first step whose validation accuracy reaches the
 *   dp-8 models' mean (a control for poor fitting: as accurate as the private models, no DP).
 *
 * Each of the first T models is attacked in turn, the other M − 1 models being its shadows
 * (LiRA online and offline, Carlini et al. 2022; and the loss threshold): its half of the pool
 * are the members, the other half the non-members. A pooled row attacks all M models in turn.
 * Utility (in-scope test accuracy as `trustnlu train` reports it, validation accuracy, the
 * epoch the attacked weights come from) stands
 * beside every attack figure. Trained models' statistics are cached in the output folder's
 * `.cache`, so a killed run resumes where it stopped.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gloveVectorsPath, resolveDataDir } from '../data/locate.js';
import { loadIntentDataset } from '../data/registry.js';
import type { IntentDataset, TextExample } from '../data/types.js';
import { SeededRandom, writeAtomic } from '../engine/index.js';
import { ConfigError } from '../errors.js';
import { rocCurve } from '../metrics/index.js';
import { attackScores, balancedMemberships, rocLogLogChart, thinRoc, trainModels, type ClassifierSpec, type DpRecipe, type MembershipAttackName, type ShadowResult, type TrainingRecipe } from '../privacy/audit/index.js';
import type { VegaLiteSpec } from '../report/charts.js';
import { fitWordTokenizer } from '../text/index.js';
import { DEFAULT_EPOCHS, gloveEmbeddings, PRIVATE_TRAINING_DEFAULTS, TRAINING_DEFAULTS } from '../train/index.js';
import { attackFigures, LOWER_BOUND_CONFIDENCE, pairedAucDifference, type AttackFigures } from './leakage-metrics.js';
import type { StudyColumn, StudyContext, StudyDefinition, StudyRow } from './runner.js';

const DELTA = 1e-5;
const GLOVE_DIM = 100;

interface Scale {
  poolSize: number;
  /** Models per arm; each target's shadows are the other models. */
  models: number;
  /** Models attacked one by one (the "seeds" of the per-target rows). */
  targets: number;
  privateEpochs: number;
  /** Quick runs: cap on the base examples every model trains on. */
  baseLimit?: number;
  resamples: number;
}

const FULL: Scale = { poolSize: 2000, models: 17, targets: 3, privateEpochs: PRIVATE_TRAINING_DEFAULTS.embbag.epochs, resamples: 200 };
const QUICK: Scale = { poolSize: 160, models: 5, targets: 2, privateEpochs: 3, baseLimit: 240, resamples: 50 };

type ArmName = 'dp-8' | 'matched-accuracy' | 'same-recipe' | 'non-private' | 'dp-3' | 'dp-1';
/** dp-8 first: the matched-accuracy control stops at its accuracy. */
const ARMS: ArmName[] = ['dp-8', 'matched-accuracy', 'non-private', 'same-recipe', 'dp-3', 'dp-1'];

interface Arm {
  name: ArmName;
  epsilon: number;
  spec: ClassifierSpec;
  recipe: TrainingRecipe;
  dp?: DpRecipe;
}

interface Setup {
  data: IntentDataset;
  /** The pool first, then the base. */
  examples: TextExample[];
  validation: TextExample[];
  test: TextExample[];
  memberships: boolean[][];
  privateSpec: ClassifierSpec;
  plainSpec: ClassifierSpec;
  privateRecipe: TrainingRecipe;
  plainRecipe: TrainingRecipe;
  glove: boolean;
}

function setUp(ctx: StudyContext, s: Scale): Setup {
  const dir = resolveDataDir(ctx.dataDir);
  const real = Boolean(dir && existsSync(join(dir, 'clinc150/data_full.json')));
  const data = loadIntentDataset(real ? 'clinc150' : 'synthetic', { dataDir: ctx.dataDir, seed: ctx.seed });
  const train = data.splits.train;
  const rng = new SeededRandom(ctx.seed).fork('leakage-pool');
  const order = rng.permutation(train.length);
  const poolIndices = order.filter((i) => train[i].label !== data.outOfScopeLabel).slice(0, s.poolSize);
  const inPool = new Set(poolIndices);
  const base = order.filter((i) => !inPool.has(i)).slice(0, s.baseLimit ?? Infinity).map((i) => train[i]);
  const examples = [...poolIndices.map((i) => train[i]), ...base];
  // one tokenizer for every model, fitted as `trustnlu train` fits it (the whole training split)
  const tokenizer = fitWordTokenizer(train.map((e) => e.text), { minCount: 1, maxSize: 20000 });
  const P = PRIVATE_TRAINING_DEFAULTS.embbag;
  const glove = P.glove && gloveVectorsPath(ctx.dataDir) !== undefined;
  const trainSize = base.length + Math.round(s.poolSize / 2);
  const batchSize = Math.max(1, Math.min(P.maxBatchSize, Math.round(P.sampleRate * trainSize)));
  const common = { tokenizer: tokenizer.toJSON(), labels: data.labels };
  const privateSpec: ClassifierSpec = {
    kind: 'embbag',
    config: { ...P.config, ...(glove ? { embeddingDim: GLOVE_DIM } : {}) },
    ...common,
    ...(glove ? { initialEmbeddings: gloveEmbeddings(tokenizer, GLOVE_DIM, ctx.seed, ctx.dataDir).table } : {}),
  };
  const plain = TRAINING_DEFAULTS.embbag;
  return {
    data,
    examples,
    validation: data.splits.val,
    test: data.splits.test,
    memberships: balancedMemberships(s.poolSize, s.models, new SeededRandom(ctx.seed).fork('memberships')),
    privateSpec,
    plainSpec: { kind: 'embbag', config: {}, ...common },
    // private runs train every planned epoch (no early stopping) and keep the best validation epoch, as `trustnlu train --dp` does
    privateRecipe: { epochs: s.privateEpochs, batchSize, learningRate: P.learningRate, optimizer: P.optimizer, schedule: P.schedule, warmupSteps: P.warmupSteps, patience: null },
    plainRecipe: { epochs: ctx.quick ? 2 : DEFAULT_EPOCHS, batchSize: plain.batchSize, learningRate: plain.learningRate, optimizer: plain.optimizer, schedule: plain.schedule, warmupSteps: plain.warmupSteps, patience: plain.patience ?? null },
    glove,
  };
}

function armOf(name: ArmName, setup: Setup, matchAccuracy?: number): Arm {
  const dp = (epsilon: number): Arm => ({
    name,
    epsilon,
    spec: setup.privateSpec,
    recipe: setup.privateRecipe,
    dp: { epsilon, delta: DELTA, clip: 1, clipping: PRIVATE_TRAINING_DEFAULTS.embbag.clipping },
  });
  switch (name) {
    case 'dp-1':
      return dp(1);
    case 'dp-3':
      return dp(3);
    case 'dp-8':
      return dp(8);
    case 'non-private':
      return { name, epsilon: Infinity, spec: setup.plainSpec, recipe: setup.plainRecipe };
    case 'same-recipe':
      return { name, epsilon: Infinity, spec: setup.privateSpec, recipe: setup.privateRecipe };
    case 'matched-accuracy':
      return {
        name,
        epsilon: Infinity,
        spec: setup.privateSpec,
        recipe: { ...setup.privateRecipe, stopAtAccuracy: matchAccuracy, validateEverySteps: 1, keep: 'last' },
      };
  }
}

// ---- the cache of trained models' statistics (resume) ----

/** A trained model's ShadowResult as JSON (its typed arrays as plain arrays). */
type CachedModel = Omit<ShadowResult, 'stats' | 'losses'> & { stats: number[]; losses: number[] };

function armKey(arm: Arm, setup: Setup, ctx: StudyContext, s: Scale): string {
  const identity = {
    // bumped when what a cached model records changes (2: in-scope test accuracy)
    version: 2,
    arm: arm.name,
    recipe: arm.recipe,
    dp: arm.dp ?? null,
    kind: arm.spec.kind,
    config: arm.spec.config,
    glove: Boolean(arm.spec.initialEmbeddings),
    data: setup.data.name,
    synthetic: setup.data.synthetic,
    examples: setup.examples.length,
    seed: ctx.seed,
    scale: s,
  };
  return createHash('sha256').update(JSON.stringify(identity)).digest('hex').slice(0, 12);
}

function readCached(path: string): ShadowResult | undefined {
  if (!existsSync(path)) return undefined;
  const c = JSON.parse(readFileSync(path, 'utf8')) as CachedModel;
  return { ...c, stats: Float64Array.from(c.stats), losses: Float64Array.from(c.losses) };
}

function writeCached(path: string, r: ShadowResult): void {
  const c: CachedModel = { ...r, stats: Array.from(r.stats), losses: Array.from(r.losses) };
  writeAtomic(path, JSON.stringify(c));
}

async function trainArm(arm: Arm, setup: Setup, ctx: StudyContext, s: Scale, cacheDir: string): Promise<ShadowResult[]> {
  const dir = join(cacheDir, `${arm.name}-${armKey(arm, setup, ctx, s)}`);
  mkdirSync(dir, { recursive: true });
  const file = (m: number) => join(dir, `model-${m}.json`);
  const results: (ShadowResult | undefined)[] = setup.memberships.map((_, m) => readCached(file(m)));
  const missing = results.flatMap((r, m) => (r ? [] : [m]));
  ctx.progress.event('leakage-arm', { arm: arm.name, models: s.models, cached: s.models - missing.length, ...(arm.recipe.stopAtAccuracy !== undefined ? { stopAtAccuracy: arm.recipe.stopAtAccuracy } : {}) });
  const poolSize = setup.memberships[0].length;
  const jobs = missing.map((m) => ({
    trainIndices: Int32Array.from([...setup.memberships[m].flatMap((isIn, i) => (isIn ? [i] : [])), ...Array.from({ length: setup.examples.length - poolSize }, (_, k) => poolSize + k)]),
    // the same initialisation for model m in every arm (paired arms)
    seed: ctx.seed * 1000 + m + 1,
  }));
  const config = { model: arm.spec, recipe: arm.recipe, dp: arm.dp, examples: setup.examples, validation: setup.validation, test: setup.test, audited: poolSize, outOfScopeLabel: setup.data.outOfScopeLabel };
  await trainModels(config, jobs, {
    ...(ctx.queue ? { queue: ctx.queue } : {}),
    onModel: (r, j) => {
      const m = missing[j];
      writeCached(file(m), r);
      results[m] = r;
      ctx.progress.event('model', { arm: arm.name, model: m, seconds: r.seconds, validationAccuracy: r.validationAccuracy, testAccuracy: r.testAccuracy, epochUsed: r.epochUsed, epsilon: r.epsilon });
    },
  });
  return results as ShadowResult[];
}

// ---- attacks and rows ----

type AttackName = 'lira' | 'liraOffline' | 'loss';
const ATTACKS: { name: AttackName; attack: MembershipAttackName; mode: 'online' | 'offline' }[] = [
  { name: 'lira', attack: 'lira', mode: 'online' },
  { name: 'liraOffline', attack: 'lira', mode: 'offline' },
  { name: 'loss', attack: 'loss', mode: 'online' },
];

/** Scores of every attack against target t (its shadows: all other models), over the pool. */
function scoresAgainst(t: number, results: ShadowResult[], memberships: boolean[][]): Record<AttackName, Float64Array> {
  const others = results.map((_, m) => m).filter((m) => m !== t);
  const shadows = { stats: others.map((m) => results[m].stats), isIn: others.map((m) => memberships[m]) };
  const out = {} as Record<AttackName, Float64Array>;
  for (const a of ATTACKS) out[a.name] = attackScores(a.attack, results[t], shadows, a.mode);
  return out;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
const label = (e: number) => (Number.isFinite(e) ? String(e) : '∞');
const fmt = (x: number, d = 3) => (Number.isFinite(x) ? x.toFixed(d) : String(x));
const withInterval = (x: number, lo: number, hi: number, d = 3) => `${fmt(x, d)} [${fmt(lo, d)}, ${fmt(hi, d)}]`;

function attackFields(f: Record<AttackName, AttackFigures>): StudyRow {
  return {
    liraAuc: f.lira.auc,
    liraAucLow: f.lira.aucLow,
    liraAucHigh: f.lira.aucHigh,
    liraOfflineAuc: f.liraOffline.auc,
    liraOfflineAucLow: f.liraOffline.aucLow,
    liraOfflineAucHigh: f.liraOffline.aucHigh,
    lossAuc: f.loss.auc,
    lossAucLow: f.loss.aucLow,
    lossAucHigh: f.loss.aucHigh,
    tprAt0001: f.lira.tprAt0001,
    tprAt0001Low: f.lira.tprAt0001Low,
    tprAt0001High: f.lira.tprAt0001High,
    tprAt001: f.lira.tprAt001,
    tprAt001Low: f.lira.tprAt001Low,
    tprAt001High: f.lira.tprAt001High,
    epsilonLowerBound: f.lira.epsilonLowerBound,
    epsilonLowerBoundConfidence: LOWER_BOUND_CONFIDENCE,
    members: f.lira.members,
    nonMembers: f.lira.nonMembers,
    // display columns
    liraAucShown: withInterval(f.lira.auc, f.lira.aucLow, f.lira.aucHigh),
    liraOfflineAucShown: withInterval(f.liraOffline.auc, f.liraOffline.aucLow, f.liraOffline.aucHigh),
    lossAucShown: withInterval(f.loss.auc, f.loss.aucLow, f.loss.aucHigh),
    tprAt0001Shown: withInterval(f.lira.tprAt0001, f.lira.tprAt0001Low, f.lira.tprAt0001High, 4),
    tprAt001Shown: withInterval(f.lira.tprAt001, f.lira.tprAt001Low, f.lira.tprAt001High),
  };
}

interface ArmOutcome {
  rows: StudyRow[];
  /** Pooled scores of LiRA online over all targets (paired differences between arms). */
  pooled: Float64Array;
  pooledMembers: boolean[];
  meanValidationAccuracy: number;
}

function armRows(arm: Arm, results: ShadowResult[], setup: Setup, ctx: StudyContext, s: Scale): ArmOutcome {
  const common = {
    kind: 'attack',
    arm: arm.name,
    epsilon: label(arm.epsilon),
    dataset: setup.data.name,
    synthetic: setup.data.synthetic,
    glove: Boolean(arm.spec.initialEmbeddings),
    shadows: s.models - 1,
    trainSize: setup.examples.length - s.poolSize + Math.round(s.poolSize / 2),
  };
  const rows: StudyRow[] = [];
  const pooled: Record<AttackName, number[]> = { lira: [], liraOffline: [], loss: [] };
  const pooledMembers: boolean[] = [];
  for (let t = 0; t < results.length; t++) {
    const scores = scoresAgainst(t, results, setup.memberships);
    for (const a of ATTACKS) pooled[a.name].push(...scores[a.name]);
    pooledMembers.push(...setup.memberships[t]);
    if (t >= s.targets) continue;
    const figures = {} as Record<AttackName, AttackFigures>;
    for (const a of ATTACKS) figures[a.name] = attackFigures(scores[a.name], setup.memberships[t], { delta: DELTA, seed: ctx.seed * 100 + t, resamples: s.resamples });
    const r = results[t];
    rows.push({
      ...common,
      seed: t,
      testAccuracy: r.testAccuracy,
      validationAccuracy: r.validationAccuracy,
      epochUsed: r.epochUsed,
      steps: r.steps,
      theoreticalEpsilon: r.epsilon,
      ...attackFields(figures),
    });
  }
  const figures = {} as Record<AttackName, AttackFigures>;
  for (const a of ATTACKS) figures[a.name] = attackFigures(pooled[a.name], pooledMembers, { delta: DELTA, seed: ctx.seed * 100 + 99, resamples: s.resamples });
  const accuracies = results.map((r) => r.validationAccuracy);
  rows.push({
    ...common,
    seed: 'pooled',
    testAccuracy: mean(results.map((r) => r.testAccuracy ?? NaN)),
    validationAccuracy: mean(accuracies),
    epochUsed: mean(results.map((r) => r.epochUsed)),
    steps: mean(results.map((r) => r.steps)),
    theoreticalEpsilon: arm.dp ? Math.max(...results.map((r) => r.epsilon ?? NaN)) : null,
    ...attackFields(figures),
    rocLira: JSON.stringify(thinRoc(rocCurve(pooled.lira, pooledMembers.map((m) => (m ? 1 : 0))), 60).map((p) => [p.fpr, p.tpr])),
  });
  return { rows, pooled: Float64Array.from(pooled.lira), pooledMembers, meanValidationAccuracy: mean(accuracies) };
}

/** Each DP arm against each control: paired difference in pooled LiRA AUC on the same trials. */
function differenceRows(outcomes: Map<ArmName, ArmOutcome>, ctx: StudyContext, s: Scale): StudyRow[] {
  const rows: StudyRow[] = [];
  for (const dp of ['dp-1', 'dp-3', 'dp-8'] as const) {
    for (const control of ['matched-accuracy', 'same-recipe', 'non-private'] as const) {
      const a = outcomes.get(dp);
      const b = outcomes.get(control);
      if (!a || !b) continue;
      const d = pairedAucDifference(a.pooled, b.pooled, a.pooledMembers, { seed: ctx.seed, resamples: s.resamples });
      rows.push({
        kind: 'difference',
        pair: `${dp} − ${control}`,
        metric: 'LiRA AUC (online, pooled targets)',
        meanDifference: d.difference,
        intervalLow: d.low,
        intervalHigh: d.high,
        interval: `[${fmt(d.low)}, ${fmt(d.high)}]`,
        established: d.low > 0 || d.high < 0,
        seeds: s.models,
      });
    }
  }
  return rows;
}

const COLUMNS: StudyColumn[] = [
  { key: 'arm', header: 'arm' },
  { key: 'epsilon', header: 'ε' },
  { key: 'seed', header: 'target' },
  { key: 'testAccuracy', header: 'test acc' },
  { key: 'validationAccuracy', header: 'val acc' },
  { key: 'epochUsed', header: 'epoch used', digits: 1 },
  { key: 'theoreticalEpsilon', header: 'ε (accountant)', digits: 2 },
  { key: 'liraAucShown', header: 'LiRA AUC [95% CI]' },
  { key: 'liraOfflineAucShown', header: 'offline LiRA AUC' },
  { key: 'lossAucShown', header: 'loss AUC' },
  { key: 'tprAt0001Shown', header: 'TPR@0.1% FPR [CP]' },
  { key: 'tprAt001Shown', header: 'TPR@1% FPR [CP]' },
  { key: 'epsilonLowerBound', header: 'ε lower bound (95%)', digits: 2 },
  { key: 'pair', header: 'pair' },
  { key: 'meanDifference', header: 'AUC difference' },
  { key: 'interval', header: 'interval' },
  { key: 'established', header: 'established' },
];

function utilityChart(rows: StudyRow[]): VegaLiteSpec {
  const values = rows.filter((r) => r.kind === 'attack' && r.seed !== 'pooled').map((r) => ({ arm: r.arm, accuracy: r.testAccuracy, auc: r.liraAuc, low: r.liraAucLow, high: r.liraAucHigh }));
  return {
    title: 'LiRA AUC against test accuracy (one point per attacked model, 95% bootstrap interval)',
    width: 380,
    height: 260,
    data: { values },
    layer: [
      { mark: { type: 'rule' }, encoding: { x: { field: 'accuracy', type: 'quantitative', title: 'test accuracy' }, y: { field: 'low', type: 'quantitative', title: 'LiRA AUC' }, y2: { field: 'high' }, color: { field: 'arm', type: 'nominal' } } },
      { mark: { type: 'point', filled: true }, encoding: { x: { field: 'accuracy', type: 'quantitative' }, y: { field: 'auc', type: 'quantitative', scale: { zero: false } }, color: { field: 'arm', type: 'nominal' } } },
    ],
  } as VegaLiteSpec;
}

export const leakageStudy: StudyDefinition = {
  name: 'leakage',
  title: 'Membership inference at matched utility: DP-SGD against controls that fit as poorly',
  description:
    'CLINC150 (full training split): a pool of 2,000 in-scope training examples; the rest of the split is in every model\'s training set and each of 17 models trains on a balanced ' +
    'random half of the pool (≈1,000 members, ≈1,000 non-members per model). Arms (same memberships and initialisations): DP-SGD at ε ∈ {1, 3, 8} (δ = 1e-5) with the private ' +
    'recipe of `trustnlu train --dp` (linear on GloVe, SGD, q = 0.136, 80 epochs, per-layer clipping), the plain non-private recipe, the private recipe without clipping and noise ' +
    '(same-recipe), and the same stopped at the dp-8 models\' validation accuracy (matched-accuracy). The first 3 models are attacked in turn with the other 16 as shadows ' +
    '(LiRA online and offline, loss threshold); "pooled" attacks all 17 in turn. Intervals: AUC percentile bootstrap (200 resamples within members and non-members), TPR ' +
    'Clopper–Pearson, ε lower bound at 95% confidence (threshold chosen on half the trials). Difference rows: DP arm minus control in pooled LiRA AUC on the same trials ' +
    '(paired bootstrap); "established" when the interval excludes 0. See docs/privacy-audit.md.',
  columns: COLUMNS,
  parts: ARMS,
  async run(ctx) {
    const s = ctx.quick ? QUICK : FULL;
    const arms = ARMS.filter((a) => !ctx.parts || ctx.parts.includes(a));
    if (arms.includes('matched-accuracy') && !arms.includes('dp-8')) {
      throw new ConfigError('the matched-accuracy arm stops at the dp-8 models\' accuracy: run it with dp-8 (--parts dp-8,matched-accuracy)');
    }
    const setup = setUp(ctx, s);
    const cacheDir = ctx.cacheDir ?? join('docs', 'studies', 'leakage', '.cache');
    const outcomes = new Map<ArmName, ArmOutcome>();
    const rows: StudyRow[] = [];
    for (const name of arms) {
      const arm = armOf(name, setup, outcomes.get('dp-8')?.meanValidationAccuracy);
      const results = await trainArm(arm, setup, ctx, s, cacheDir);
      const outcome = armRows(arm, results, setup, ctx, s);
      outcomes.set(name, outcome);
      rows.push(...outcome.rows);
    }
    return [...rows, ...differenceRows(outcomes, ctx, s)];
  },
  charts(rows) {
    const roc = rows
      .filter((r) => r.kind === 'attack' && r.seed === 'pooled' && typeof r.rocLira === 'string')
      .map((r) => ({ name: `${r.arm} (acc ${fmt(r.testAccuracy as number, 2)})`, roc: (JSON.parse(r.rocLira as string) as [number, number][]).map(([fpr, tpr]) => ({ fpr, tpr, threshold: 0 })) }));
    return [
      { name: 'lira-roc', spec: rocLogLogChart(roc, 'LiRA (online) ROC on CLINC150 by arm, pooled targets (log-log)') },
      { name: 'auc-vs-accuracy', spec: utilityChart(rows) },
    ];
  },
};
