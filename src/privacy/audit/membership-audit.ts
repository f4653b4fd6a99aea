/**
 * Membership inference against trained classifiers, end to end: the loss-threshold baseline
 * (Yeom et al. 2018) and LiRA (Carlini et al. 2022) with shadow models trained in parallel on
 * the worker pool, and the metrics the issue asks for.
 *
 * Two membership setups (docs/privacy-audit.md):
 * - `runMembershipExperiment` (the paper's): a pool of examples, M = shadows + targets models
 *   each trained on a random half of it, balanced so that every example is IN for exactly half
 *   of the models. Each target in turn is attacked with the other M − 1 models as its shadows
 *   (leave-one-out), so every pool example is one trial per target: members are the target's
 *   half, non-members the other half.
 * - `auditTrainedModel` (a model someone already trained on a dataset's train split): members
 *   are a random sample of the training examples, non-members as many test examples (which
 *   the model never saw); out-of-scope examples are never audited (their share differs
 *   between CLINC150's train and test splits). The rest of the training split is in every shadow's training set,
 *   and each shadow also trains on a random half of the audited pool, so shadows train on as
 *   many examples as the target did.
 */
import { SeededRandom } from '../../engine/random.js';
import { ConfigError } from '../../errors.js';
import type { IntentDataset, TextExample } from '../../data/types.js';
import { bestBalancedAccuracy, rocAuc, rocCurve, tprAtFpr, type RocPoint } from '../../metrics/index.js';
import { isTextClassifier, type ClassifierModel, type TextClassifier } from '../../models/index.js';
import type { VegaLiteSpec } from '../../report/charts.js';
import { epsilonLowerBoundHeldOut, epsilonLowerBound } from '../attacks/epsilon-lower-bound.js';
import { liraScores, lossThresholdScores } from '../attacks/membership-scores.js';
import { targetMembershipStatistics } from './membership-statistics.js';
import {
  classifierSpecOf,
  trainModels,
  type ClassifierSpec,
  type DpRecipe,
  type ShadowResult,
  type ShadowTrainingConfig,
  type TrainingRecipe,
  type TrainManyOptions,
} from './shadow-training.js';

export type MembershipAttackName = 'loss' | 'lira';

export interface MembershipMetrics {
  auc: number;
  /** Best balanced accuracy over thresholds. */
  balancedAccuracy: number;
  /** TPR at FPR ≤ 0.1%. */
  tprAtFpr001: number;
  /** TPR at FPR ≤ 1%. */
  tprAtFpr01: number;
  /** Empirical ε lower bound, threshold chosen on one half of the trials, bound on the other. */
  epsilonLowerBound: number;
  /** The same bound maximised over every threshold on all trials (optimistic: no held-out choice). */
  epsilonLowerBoundAllThresholds: number;
  members: number;
  nonMembers: number;
  /** The ROC curve thinned to at most ~200 points, log-spaced in FPR (for plots). */
  roc: RocPoint[];
}

/**
 * Exactly ⌊M/2⌋ or ⌈M/2⌉ of M models hold each example (Carlini et al.'s construction:
 * per example, a random ranking of the models; the first half are IN).
 */
export function balancedMemberships(poolSize: number, models: number, rng: SeededRandom): boolean[][] {
  if (!(Number.isInteger(models) && models >= 2)) throw new ConfigError(`a membership experiment needs at least 2 models, got ${models}`);
  const inn = Array.from({ length: models }, () => new Array<boolean>(poolSize).fill(false));
  for (let i = 0; i < poolSize; i++) {
    const order = rng.permutation(models);
    // odd M: alternate which side gets the extra model, so the pool stays balanced overall
    const half = models % 2 === 0 ? models / 2 : (models - 1) / 2 + (i % 2);
    for (let k = 0; k < half; k++) inn[order[k]][i] = true;
  }
  return inn;
}

/** Thins a ROC curve to log-spaced FPRs (keeps the point with the highest TPR in each bin). */
export function thinRoc(points: RocPoint[], bins = 200): RocPoint[] {
  const out: RocPoint[] = [];
  const positive = points.filter((p) => p.fpr > 0);
  if (positive.length === 0) return points.slice(0, 2);
  const lo = Math.log10(Math.min(...positive.map((p) => p.fpr)));
  const width = Math.max(1e-9, -lo / bins);
  let bin = -1;
  for (const p of points) {
    if (p.fpr === 0) {
      if (out.length === 0 || out[out.length - 1].fpr === 0) out[0] = p;
      continue;
    }
    const b = Math.floor((Math.log10(p.fpr) - lo) / width);
    if (b !== bin) {
      out.push(p);
      bin = b;
    } else if (p.tpr > out[out.length - 1].tpr) out[out.length - 1] = p;
  }
  return out;
}

export function membershipMetrics(
  scores: ArrayLike<number>,
  isMember: ArrayLike<boolean>,
  options: { delta: number; seed?: number; confidence?: number },
): MembershipMetrics {
  const labels: number[] = Array.from(isMember, (m) => (m ? 1 : 0));
  const members = labels.reduce((a, b) => a + b, 0);
  const rng = new SeededRandom(options.seed ?? 0).fork('epsilon-lower-bound');
  return {
    auc: rocAuc(scores, labels),
    balancedAccuracy: bestBalancedAccuracy(scores, labels).balancedAccuracy,
    tprAtFpr001: tprAtFpr(scores, labels, 0.001),
    tprAtFpr01: tprAtFpr(scores, labels, 0.01),
    epsilonLowerBound: epsilonLowerBoundHeldOut(scores, isMember, rng, { delta: options.delta, confidence: options.confidence }).epsilon,
    epsilonLowerBoundAllThresholds: epsilonLowerBound(scores, isMember, { delta: options.delta, confidence: options.confidence }).epsilon,
    members,
    nonMembers: labels.length - members,
    roc: thinRoc(rocCurve(scores, labels)),
  };
}

/** The headline numbers of a membership audit, without the ROC curve (what the CLI, the report and the LiRA bench print). */
export type MembershipSummary = Pick<MembershipMetrics, 'auc' | 'balancedAccuracy' | 'tprAtFpr001' | 'tprAtFpr01' | 'epsilonLowerBound' | 'members' | 'nonMembers'>;

export function membershipSummary(m: MembershipMetrics): MembershipSummary {
  return {
    auc: m.auc,
    balancedAccuracy: m.balancedAccuracy,
    tprAtFpr001: m.tprAtFpr001,
    tprAtFpr01: m.tprAtFpr01,
    epsilonLowerBound: m.epsilonLowerBound,
    members: m.members,
    nonMembers: m.nonMembers,
  };
}

/** Attack scores (higher = member) from a target's statistics and, for LiRA, its shadows'. */
export function attackScores(
  attack: MembershipAttackName,
  target: { stats: ArrayLike<number>; losses: ArrayLike<number> },
  shadows: { stats: ArrayLike<number>[]; isIn: ArrayLike<boolean>[] },
  mode: 'online' | 'offline',
): Float64Array {
  if (attack === 'loss') return lossThresholdScores(target.losses);
  return liraScores(target.stats, shadows.stats, shadows.isIn, { mode });
}

export interface MembershipAuditResult extends MembershipMetrics {
  attack: MembershipAttackName;
  mode: 'online' | 'offline';
  shadows: number;
  /** Targets attacked (their trials are pooled). */
  targets: number;
  /** Mean validation accuracy of the target models. */
  targetAccuracy: number | null;
  /** ε the target models' training spent (DP), null without DP. */
  theoreticalEpsilon: number | null;
  delta: number;
  seconds: number;
}

export interface MembershipExperimentOptions extends TrainManyOptions {
  model: ClassifierSpec;
  recipe: TrainingRecipe;
  dp?: DpRecipe;
  /** The audited examples; each model trains on a random half. */
  pool: TextExample[];
  validation: TextExample[];
  /** Models besides each target (default 8). */
  shadows?: number;
  /** How many of the models are attacked in turn (default 1). */
  targets?: number;
  attacks?: MembershipAttackName[];
  mode?: 'online' | 'offline';
  seed: number;
  /** δ for the empirical ε bound when there is no DP (default 1e-5). */
  delta?: number;
}

/** The paper's setup: M models on balanced random halves of a pool; targets attacked leave-one-out. */
export async function runMembershipExperiment(options: MembershipExperimentOptions): Promise<Record<MembershipAttackName, MembershipAuditResult>> {
  const started = Date.now();
  const shadows = options.shadows ?? 8;
  const targets = options.targets ?? 1;
  const mode = options.mode ?? 'online';
  if (!(Number.isInteger(shadows) && shadows >= 1)) throw new ConfigError(`shadows must be an integer ≥ 1, got ${shadows}`);
  if (!(Number.isInteger(targets) && targets >= 1)) throw new ConfigError(`targets must be an integer ≥ 1, got ${targets}`);
  if (mode === 'online' && shadows < 2) throw new ConfigError('online LiRA needs at least 2 shadow models (IN and OUT ones); use --mode offline or more shadows');
  // each target's shadows are all the other models
  const models = shadows + 1;
  if (targets > models) throw new ConfigError(`targets (${targets}) cannot exceed the ${models} models trained (shadows + 1)`);
  const rng = new SeededRandom(options.seed).fork('membership-experiment');
  const memberships = balancedMemberships(options.pool.length, models, rng);
  const config: ShadowTrainingConfig = { model: options.model, recipe: options.recipe, dp: options.dp, examples: options.pool, validation: options.validation };
  const jobs = memberships.map((inn, m) => ({
    trainIndices: Int32Array.from(inn.flatMap((isIn, i) => (isIn ? [i] : []))),
    seed: options.seed * 1000 + m + 1,
  }));
  const results = await trainModels(config, jobs, options);
  const seconds = (Date.now() - started) / 1000;
  const delta = options.dp?.delta ?? options.delta ?? 1e-5;
  const out = {} as Record<MembershipAttackName, MembershipAuditResult>;
  for (const attack of options.attacks ?? ['loss', 'lira']) {
    const scores: number[] = [];
    const isMember: boolean[] = [];
    for (let t = 0; t < targets; t++) {
      const others = results.map((_, m) => m).filter((m) => m !== t);
      const s = attackScores(
        attack,
        results[t],
        { stats: others.map((m) => results[m].stats), isIn: others.map((m) => memberships[m]) },
        mode,
      );
      for (let i = 0; i < s.length; i++) {
        scores.push(s[i]);
        isMember.push(memberships[t][i]);
      }
    }
    out[attack] = {
      attack,
      mode,
      shadows: attack === 'lira' ? models - 1 : 0,
      targets,
      ...membershipMetrics(scores, isMember, { delta, seed: options.seed }),
      targetAccuracy: mean(results.slice(0, targets).map((r) => r.validationAccuracy)),
      theoreticalEpsilon: options.dp ? Math.max(...results.slice(0, targets).map((r) => r.epsilon ?? NaN)) : null,
      delta,
      seconds,
    };
  }
  return out;
}

function mean(values: number[]): number | null {
  const finite = values.filter(Number.isFinite);
  return finite.length ? finite.reduce((a, b) => a + b, 0) / finite.length : null;
}

export interface TrainedModelAuditOptions extends TrainManyOptions {
  /**
   * The target: a model (as loaded from its checkpoint, a built-in classifier or a wrapped
   * tf.LayersModel), or for the loss attack only its scoring function (TextClassifier: texts in,
   * class probabilities out). LiRA trains shadow models of the target's architecture, so it
   * needs the model.
   */
  model: ClassifierModel | TextClassifier;
  /** The dataset it was trained on (its train split) and whose test split gives non-members. */
  dataset: IntentDataset;
  /** LiRA: how the target was trained (checkpoint meta `recipe`); shadows are trained the same way. */
  recipe?: TrainingRecipe;
  /** The target's initial embedding table (GloVe), so that shadows start where it did. */
  initialEmbeddings?: Float32Array;
  dp?: DpRecipe;
  theoreticalEpsilon?: number | null;
  attack: MembershipAttackName;
  /** Shadow models for LiRA (default 16). */
  shadows?: number;
  mode?: 'online' | 'offline';
  /** Members audited (and as many non-members); default: as many as the test split holds, at most 1000. */
  examplesPerSide?: number;
  seed: number;
  delta?: number;
}

/** Audits a model trained on `dataset`'s train split (second setup in the header). */
export async function auditTrainedModel(options: TrainedModelAuditOptions): Promise<MembershipAuditResult> {
  const started = Date.now();
  const { dataset, model } = options;
  if (options.attack === 'lira' && isTextClassifier(model)) {
    throw new ConfigError('LiRA trains shadow models of the target\'s architecture: give the model (a trustnlu classifier, or your tf.LayersModel wrapped with its tokenizer by wrapLayersModel), not only its scoring function; the loss attack takes a scoring function');
  }
  if (options.attack === 'lira' && !options.recipe) throw new ConfigError('LiRA trains shadow models the way the target was trained: give the training recipe (epochs, batch size, learning rate, optimizer)');
  const rng = new SeededRandom(options.seed).fork('membership-audit');
  // Out-of-scope examples are 0.7% of CLINC150's train split but 18% of its test split: audited
  // on both sides they would let an attack win on the label mix, not on membership. They stay
  // in the shadows' always-IN training data and are never audited.
  const oos = dataset.outOfScopeLabel;
  const auditable = (e: TextExample) => e.label !== oos;
  const train = dataset.splits.train.filter(auditable);
  const outOfScopeTrain = dataset.splits.train.filter((e) => !auditable(e));
  const test = dataset.splits.test.filter(auditable);
  const perSide = options.examplesPerSide ?? Math.min(1000, test.length);
  if (!(Number.isInteger(perSide) && perSide >= 2)) throw new ConfigError(`examples per side must be an integer ≥ 2, got ${perSide}`);
  if (perSide > test.length || perSide > train.length) {
    throw new ConfigError(`--examples ${perSide} exceeds the ${Math.min(test.length, train.length)} examples available on one side (train ${train.length}, test ${test.length}) of ${dataset.name}`);
  }
  const trainOrder = rng.permutation(train.length);
  const members = trainOrder.slice(0, perSide).map((i) => train[i]);
  const fixed = [...trainOrder.slice(perSide).map((i) => train[i]), ...outOfScopeTrain];
  const nonMembers = rng.permutation(test.length).slice(0, perSide).map((i) => test[i]);
  const pool = [...members, ...nonMembers];
  const isMember = pool.map((_, i) => i < perSide);
  const target = targetMembershipStatistics(model, pool);
  const mode = options.mode ?? 'online';
  const shadows = options.attack === 'lira' ? options.shadows ?? 16 : 0;
  let shadowStats: Float64Array[] = [];
  let shadowIn: boolean[][] = [];
  let results: ShadowResult[] = [];
  if (options.attack === 'lira') {
    if (!(Number.isInteger(shadows) && shadows >= 1)) throw new ConfigError(`--shadows must be an integer ≥ 1, got ${shadows}`);
    if (mode === 'online' && shadows < 2) throw new ConfigError('online LiRA needs at least 2 shadow models; use --mode offline or more --shadows');
    shadowIn = shadows === 1 ? [pool.map(() => rng.next() < 0.5)] : balancedMemberships(pool.length, shadows, rng);
    // examples = pool first (statistics are read for these), then the always-in rest of train
    const examples = [...pool, ...fixed];
    const config: ShadowTrainingConfig = {
      model: classifierSpecOf(model as ClassifierModel, options.initialEmbeddings),
      recipe: options.recipe!,
      dp: options.dp,
      examples,
      validation: dataset.splits.val,
    };
    const jobs = shadowIn.map((inn, s) => ({
      trainIndices: Int32Array.from([...inn.flatMap((x, i) => (x ? [i] : [])), ...fixed.map((_, j) => pool.length + j)]),
      seed: options.seed * 1000 + s + 1,
    }));
    results = await trainModels(config, jobs, options);
    shadowStats = results.map((r) => r.stats.slice(0, pool.length));
  }
  const scores = attackScores(options.attack, target, { stats: shadowStats, isIn: shadowIn }, mode);
  const delta = options.dp?.delta ?? options.delta ?? 1e-5;
  return {
    attack: options.attack,
    mode,
    shadows,
    targets: 1,
    ...membershipMetrics(scores, isMember, { delta, seed: options.seed }),
    targetAccuracy: null,
    theoreticalEpsilon: options.theoreticalEpsilon ?? null,
    delta,
    seconds: (Date.now() - started) / 1000,
  };
}

/** Log-log ROC curves (Carlini et al.'s Figure style), one line per attack, with the chance diagonal. */
export function rocLogLogChart(curves: { name: string; roc: RocPoint[] }[], title = 'Membership inference ROC (log-log)'): VegaLiteSpec {
  const values: Record<string, unknown>[] = [];
  let minFpr = 1;
  for (const c of curves) {
    for (const p of c.roc) {
      if (p.fpr > 0 && p.tpr > 0) {
        values.push({ attack: c.name, fpr: p.fpr, tpr: p.tpr });
        minFpr = Math.min(minFpr, p.fpr);
      }
    }
  }
  const floor = Math.min(1e-3, minFpr);
  for (const x of [floor, 1]) values.push({ attack: 'chance', fpr: x, tpr: x });
  return {
    title,
    width: 360,
    height: 360,
    data: { values },
    mark: { type: 'line', clip: true },
    encoding: {
      x: { field: 'fpr', type: 'quantitative', title: 'false-positive rate', scale: { type: 'log', domain: [floor, 1] } },
      y: { field: 'tpr', type: 'quantitative', title: 'true-positive rate', scale: { type: 'log', domain: [floor, 1] } },
      color: { field: 'attack', type: 'nominal' },
      strokeDash: { condition: { test: "datum.attack === 'chance'", value: [4, 4] }, value: [1, 0] },
    },
  };
}
