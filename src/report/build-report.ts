/**
 * The trust report job (`trustnlu report`, what `npm start` runs): for the default classifier
 * on one dataset, train it without and with eDP-SGD, audit every model the same way, and
 * collect the numbers the page shows (trust-report.ts) — nothing on the page is computed
 * anywhere else.
 *
 * Per model:
 * - training with a few planted canaries ("my pin is 1234"-style secrets, each repeated in the
 *   training split, each under its own intent), so that canary extraction can be measured on the
 *   very model that is reported; canaries are a tiny fraction of the data and stated on the page;
 * - test accuracy (in-scope accuracy and out-of-scope recall for CLINC150);
 * - membership inference: the loss-threshold attack and LiRA with shadow models trained the same
 *   way as the model (DP included), members from the training split and non-members from the
 *   test split, with the empirical ε lower bound;
 * - canary extraction (ModIvA) against the planted canaries, with chance beside it;
 * - fairness on the dataset's template probe (group accuracy with bootstrap intervals, the
 *   counterfactual flip rate, APS), when the dataset has one.
 * The ROC curves and group intervals go into the page's charts.
 */
import { SeededRandom } from '../engine/index.js';
import { ConfigError } from '../errors.js';
import { loadDatasetSource, defaultDatasetName } from '../data/registry.js';
import type { DatasetSource } from '../data/text-dataset.js';
import { gloveVectorsPath } from '../data/locate.js';
import type { IntentDataset } from '../data/types.js';
import { auditGroups, auditSensitivity, dataGroupGaps } from '../fairness/index.js';
import type { ClassifierModel } from '../models/index.js';
import { auditTrainedModel, canaryExtraction, membershipSummary, trainWithCanaries, type DpRecipe, type MembershipAuditResult, type TrainingRecipe } from '../privacy/audit/index.js';
import { classifierMetrics, classifierOutputs, encodeClassification, SILENT, TRAINING_DEFAULTS, type ProgressReporter } from '../train/index.js';
import type { AttackSummary, FairnessSummary, ModelSection, TrustReport } from './trust-report.js';

/** Probe family for the datasets that have one (templates phrased like their intents). */
const PROBES: Record<string, string> = { clinc150: 'intent-clinc150', synthetic: 'intent-synthetic' };

export interface TrustReportOptions {
  /** Intent dataset: a name (default: clinc150 when found, else the synthetic set) or the user's files. */
  dataset?: string | DatasetSource;
  dataDir?: string;
  /** Target ε of the private model(s) (default [8]); every value gives one DP model. */
  epsilons?: number[];
  /** δ (default 1e-5, or 1/(10·N) when N is small). */
  delta?: number;
  /** Classifier kind (default embbag, the fast default classifier). */
  model?: string;
  epochs?: number;
  /** Epochs of the private models (default 40, the private recipe's). */
  privateEpochs?: number;
  seed?: number;
  /** LiRA shadow models per audited model (default 4: with the private model's 40 epochs they dominate the run time). */
  shadows?: number;
  /** Members audited (and as many non-members); default min(500, test size). */
  auditExamples?: number;
  /** Worker threads for shadow training (default: the pool's default). */
  workers?: number;
  /** Directory for the trained models (checkpoints), e.g. OUT/models. */
  modelsDir?: string;
  progress?: ProgressReporter;
  /** Command line recorded in the report. */
  command?: string;
  machine: TrustReport['machine'];
}

const CANARY_FORMAT = 'my pin is {d} {d} {d} {d}';
/** Two planted canaries (10 repetitions each) and two never-inserted references. */
const CANARY_REPETITIONS = [10, 10, 0, 0];

function attackSummary(result: MembershipAuditResult): AttackSummary {
  return {
    attack: result.attack === 'lira' ? `LiRA (${result.shadows} shadows, ${result.mode})` : 'loss threshold',
    ...membershipSummary(result),
    roc: result.roc.map((p) => ({ fpr: p.fpr, tpr: p.tpr })),
  };
}

function fairnessSummary(model: ClassifierModel, probe: string, seed: number): FairnessSummary {
  const { audit } = auditGroups(model, { probe, groups: 'gender', resamples: 1000, seed });
  const ci = audit.groupMetrics.ci!;
  const accuracyByGroup = audit.groups.map((g) => ({
    group: g,
    value: audit.groupMetrics.byGroup[g].accuracy ?? Number.NaN,
    low: ci.byGroup[g].accuracy.low ?? Number.NaN,
    high: ci.byGroup[g].accuracy.high ?? Number.NaN,
    count: audit.groupMetrics.groupSizes[g],
  }));
  const gap = ci.differences.accuracy;
  const sensitivity = auditSensitivity(model, { probe, groups: 'gender-names', resamples: 200, seed });
  return {
    source: 'probe',
    probe: audit.probe,
    accuracyByGroup,
    accuracyDifference: audit.groupMetrics.differences.accuracy ?? Number.NaN,
    accuracyDifferenceLow: gap.low ?? Number.NaN,
    accuracyDifferenceHigh: gap.high ?? Number.NaN,
    counterfactualFlipRate: audit.counterfactual.flipRate,
    counterfactualMeanChange: audit.counterfactual.meanAbsoluteChange,
    aps: Number.isFinite(sensitivity.aps) ? sensitivity.aps : null,
  };
}

/** Group gaps on the test split, grouped by the data's own group column (a user's --group-column). */
function dataFairnessSummary(model: ClassifierModel, test: IntentDataset['splits']['test'], seed: number): FairnessSummary {
  const audit = dataGroupGaps(model, test, { resamples: 1000, seed });
  const ci = audit.ci!;
  return {
    source: 'data',
    probe: 'test split by group',
    accuracyByGroup: audit.groups.map((g) => ({
      group: g,
      value: audit.byGroup[g].accuracy ?? Number.NaN,
      low: ci.byGroup[g].accuracy.low ?? Number.NaN,
      high: ci.byGroup[g].accuracy.high ?? Number.NaN,
      count: audit.groupSizes[g],
    })),
    accuracyDifference: audit.differences.accuracy ?? Number.NaN,
    accuracyDifferenceLow: ci.differences.accuracy.low ?? Number.NaN,
    accuracyDifferenceHigh: ci.differences.accuracy.high ?? Number.NaN,
    counterfactualFlipRate: null,
    counterfactualMeanChange: null,
    aps: null,
  };
}

interface VariantRecipe {
  recipe: TrainingRecipe;
  /** Architecture overrides. */
  config: Record<string, unknown>;
}

/** Non-private: the classifier's own defaults, fixed epochs (shadows must train the same way). */
function standardRecipe(kind: string, epochs: number): VariantRecipe {
  const d = TRAINING_DEFAULTS[kind];
  return { recipe: { epochs, batchSize: d.batchSize, learningRate: d.learningRate, optimizer: d.optimizer, schedule: d.schedule, warmupSteps: d.warmupSteps, patience: null }, config: {} };
}

/**
 * Private: the first recipe chosen on CLINC150's validation split at ε = 8 (docs/privacy.md):
 * large expected batches (1024, or 30% of a small training set), SGD with momentum at lr 1, no
 * dropout, 40 epochs, the default architecture and flat clipping. The dp-utility study has since
 * moved to a better one (linear head, per-layer clipping, batch 2048, 80 epochs: 0.845 vs 0.771
 * at ε = 8); the report keeps this one, whose cost within the 5-minute report was measured.
 */
function privateRecipe(trainSize: number, epochs?: number): VariantRecipe {
  const batchSize = Math.min(1024, Math.max(32, Math.round(0.3 * trainSize)));
  return { recipe: { epochs: epochs ?? 40, batchSize, learningRate: 1, optimizer: 'sgd', schedule: 'constant', warmupSteps: 0, patience: null }, config: { dropout: 0 } };
}

/** Plain-language model-card sentences, from the numbers only. */
export function summarise(report: Pick<TrustReport, 'dataset' | 'models'>): string[] {
  const lines: string[] = [];
  const standard = report.models.find((m) => !m.private);
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  if (report.dataset.synthetic) lines.push('All numbers come from trustnlu\'s SYNTHETIC voice-assistant set: they show how the audits work, not how a real model behaves.');
  for (const m of report.models) {
    // The strongest attack by AUC, and the largest leakage any attack demonstrates.
    const strongest = m.audit.reduce<AttackSummary | undefined>((best, a) => (!best || a.auc > best.auc ? a : best), undefined);
    const epsilonLowerBound = Math.max(0, ...m.audit.map((a) => a.epsilonLowerBound));
    const privacy = m.private
      ? `trained with eDP-SGD at ε = ${m.privacy.epsilon?.toFixed(2)} (δ = ${m.privacy.delta?.toExponential(0)})`
      : 'trained without differential privacy (no formal guarantee)';
    let line = `${m.name}: ${pct(m.accuracy)} test accuracy, ${privacy}.`;
    if (strongest) {
      line += ` The strongest membership attack (${strongest.attack}) reaches AUC ${strongest.auc.toFixed(3)} (0.5 = guessing) and finds ${pct(strongest.tprAtFpr01)} of members at 1% false positives; the attacks demonstrate a privacy loss of at least ε = ${epsilonLowerBound.toFixed(2)}${m.private ? ` (the guarantee is ε = ${m.privacy.epsilon?.toFixed(2)})` : ''}.`;
    }
    if (m.canary) line += ` Planted secrets: ${m.canary.detail}.`;
    lines.push(line);
  }
  const dp = report.models.filter((m) => m.private);
  if (standard && dp.length > 0) {
    const best = dp[dp.length - 1];
    lines.push(`Privacy costs ${((standard.accuracy - best.accuracy) * 100).toFixed(1)} accuracy points at ε = ${best.privacy.epsilon?.toFixed(2)}.`);
  }
  for (const m of report.models) {
    if (!m.fairness) continue;
    const f = m.fairness;
    const crosses = f.accuracyDifferenceLow <= 0 && f.accuracyDifferenceHigh >= 0;
    lines.push(
      `${m.name} on ${f.source === 'data' ? 'the test split grouped by the data\'s group column' : `the ${f.probe} probe`}: the accuracy gap between groups is ${f.accuracyDifference.toFixed(3)} (95% interval [${f.accuracyDifferenceLow.toFixed(3)}, ${f.accuracyDifferenceHigh.toFixed(3)}]${crosses ? ', consistent with no gap' : ''})` +
        (f.counterfactualFlipRate !== null ? `; swapping the person flips ${pct(f.counterfactualFlipRate)} of predictions.` : '.'),
    );
  }
  return lines;
}

export async function buildTrustReport(options: TrustReportOptions): Promise<TrustReport> {
  const started = Date.now();
  const progress = options.progress ?? SILENT;
  const seed = options.seed ?? 0;
  const kind = options.model ?? 'embbag';
  if (!TRAINING_DEFAULTS[kind] || kind.includes('lstm') || kind.includes('-transformer')) {
    throw new ConfigError(`the trust report audits a classifier: --model must be embbag, cnn or transformer, got "${kind}"`);
  }
  const source: DatasetSource =
    typeof options.dataset === 'string' ? { kind: 'registry', name: options.dataset } : options.dataset ?? { kind: 'registry', name: defaultDatasetName(options.dataDir) };
  const dataset: IntentDataset = loadDatasetSource(source, { dataDir: options.dataDir, seed, task: 'intent' });
  const hasGroups = dataset.splits.test.some((e) => e.group !== undefined);
  const epochs = options.epochs ?? (dataset.synthetic ? 8 : 6);
  // GloVe-initialised embeddings when the vectors are there (real data); shadows start from them too.
  const glove = !dataset.synthetic && gloveVectorsPath(options.dataDir) !== undefined;
  const N = dataset.splits.train.length;
  const delta = options.delta ?? Math.min(1e-5, 1 / (10 * N));
  const epsilons = options.epsilons ?? [8];
  for (const e of epsilons) if (!(e > 0 && Number.isFinite(e))) throw new ConfigError(`--epsilon values must be finite numbers > 0, got ${e}`);
  const shadows = options.shadows ?? 4;
  const auditExamples = options.auditExamples ?? Math.min(500, dataset.splits.test.length, Math.floor(N / 2));
  const probe = PROBES[dataset.name];
  // Membership needs members and non-members drawn at random from ONE pool: non-members are a
  // random hold-out of the training split that no reported model trains on (test examples can
  // differ in distribution from training ones, e.g. the synthetic set's held-out names, and an
  // attack would then "detect" the shift, not membership).
  // Out-of-scope utterances are never audited (the membership audit leaves them out), so the
  // hold-out is drawn from the in-scope examples only.
  const order = new SeededRandom(seed).fork('report-membership-holdout').permutation(N);
  const inScope = order.filter((i) => dataset.splits.train[i].label !== dataset.outOfScopeLabel);
  const heldOutSet = new Set(inScope.slice(0, auditExamples));
  const heldOut = [...heldOutSet].map((i) => dataset.splits.train[i]);
  const kept = order.filter((i) => !heldOutSet.has(i)).map((i) => dataset.splits.train[i]);
  const trainingDataset: IntentDataset = {
    ...dataset,
    splits: { ...dataset.splits, train: kept },
    notes: [...dataset.notes, `${auditExamples} training examples held out as membership-inference non-members`],
  };
  const auditDataset: IntentDataset = { ...trainingDataset, splits: { ...trainingDataset.splits, test: heldOut } };
  const variants: { name: string; dp?: DpRecipe; training: VariantRecipe }[] = [
    { name: 'standard', training: standardRecipe(kind, epochs) },
    ...epsilons.map((epsilon) => ({ name: `eDP-SGD ε=${epsilon}`, dp: { epsilon, delta, clip: 1 }, training: privateRecipe(kept.length, options.privateEpochs) })),
  ];
  const models: ModelSection[] = [];
  for (const [index, variant] of variants.entries()) {
    const variantSeed = seed + index;
    progress.event('report', { phase: `${variant.name}: training`, elapsedSeconds: Math.round((Date.now() - started) / 100) / 10, model: kind, dataset: dataset.name });
    const trained = await trainWithCanaries({
      dataset: trainingDataset,
      dataDir: options.dataDir,
      model: kind,
      canaries: { format: CANARY_FORMAT, repetitions: CANARY_REPETITIONS },
      epochs: variant.training.recipe.epochs,
      batchSize: variant.training.recipe.batchSize,
      learningRate: variant.training.recipe.learningRate,
      optimizer: variant.training.recipe.optimizer,
      config: variant.training.config,
      glove,
      seed,
      out: options.modelsDir ? `${options.modelsDir}/${variant.dp ? `dp-eps-${variant.dp.epsilon}` : 'standard'}` : undefined,
      dp: variant.dp ? { epsilon: variant.dp.epsilon!, delta, clip: variant.dp.clip } : undefined,
      progress,
    });
    const model = trained.model as ClassifierModel;
    try {
      const test = encodeClassification(dataset.splits.test, model.tokenizer, model.labels, model.maxLength);
      const oosIndex = dataset.outOfScopeLabel ? model.labels.indexOf(dataset.outOfScopeLabel) : -1;
      const metrics = classifierMetrics(classifierOutputs(model, test), test.targets, oosIndex >= 0 ? oosIndex : undefined);
      const privacy = trained.meta.dp as Record<string, number> | undefined;
      progress.event('report', { phase: `${variant.name}: membership inference`, elapsedSeconds: Math.round((Date.now() - started) / 100) / 10, shadows });
      let shadowsDone = 0;
      const onModel = () => progress.update(++shadowsDone, {});
      const common = { model, dataset: auditDataset, recipe: variant.training.recipe, initialEmbeddings: trained.initialEmbeddings, dp: variant.dp, theoreticalEpsilon: trained.epsilon, examplesPerSide: auditExamples, seed: variantSeed, delta, workers: options.workers };
      const loss = await auditTrainedModel({ ...common, attack: 'loss' });
      progress.start(`${variant.name}: shadows`, shadows);
      const lira = await auditTrainedModel({ ...common, attack: 'lira', shadows, mode: 'online', onModel });
      progress.stop();
      progress.event('report', { phase: `${variant.name}: canary extraction`, elapsedSeconds: Math.round((Date.now() - started) / 100) / 10 });
      const extraction = canaryExtraction(model, trained.canaries, { seed: variantSeed });
      const inserted = extraction.canaries.filter((c) => c.repetitions > 0);
      const found = inserted.filter((c) => c.exact).length;
      progress.event('report', { phase: `${variant.name}: fairness`, elapsedSeconds: Math.round((Date.now() - started) / 100) / 10 });
      models.push({
        name: variant.name,
        private: Boolean(variant.dp),
        accuracy: metrics.inScopeAccuracy ?? metrics.accuracy,
        oosRecall: metrics.oosRecall ?? null,
        trainSeconds: Number(trained.training.seconds.toFixed(2)),
        privacy: {
          epsilon: trained.epsilon,
          delta: privacy ? delta : null,
          noiseMultiplier: privacy?.noiseMultiplier ?? null,
          sampleRate: privacy?.sampleRate ?? null,
          steps: privacy ? trained.training.steps : null,
          clip: privacy?.clip ?? null,
          accountant: privacy ? String(privacy.accountant ?? 'rdp') : null,
        },
        audit: [attackSummary(loss), attackSummary(lira)],
        fairness: hasGroups ? dataFairnessSummary(model, dataset.splits.test, variantSeed) : probe ? fairnessSummary(model, probe, variantSeed) : null,
        canary: {
          kind: 'extraction',
          format: CANARY_FORMAT,
          planted: inserted.length,
          repetitions: Math.max(...CANARY_REPETITIONS),
          recovered: found,
          exactRate: extraction.exactRate,
          chance: extraction.chance.exactRate,
          tokenAccuracy: extraction.tokenAccuracy,
          meanRank: extraction.meanRank,
          candidates: extraction.candidates,
          referenceMeanRank: extraction.references?.meanRank ?? null,
          detail: `${found} of ${inserted.length} planted 4-digit PINs recovered exactly by model inversion (chance ${extraction.chance.exactRate.toExponential(0)}); mean rank of the true PIN ${extraction.meanRank === null ? 'n/a' : extraction.meanRank.toFixed(0)} of ${extraction.candidates}`,
        },
      });
    } finally {
      model.dispose();
    }
  }
  const partial = {
    dataset: {
      name: dataset.name,
      synthetic: dataset.synthetic,
      train: dataset.splits.train.length,
      val: dataset.splits.val.length,
      test: dataset.splits.test.length,
      labels: dataset.labels.length,
      heldOut: heldOut.length,
    },
    models,
  };
  return {
    title: `trustnlu trust report: ${kind} on ${dataset.name}${dataset.synthetic ? ' (synthetic data)' : ''}`,
    generatedAt: new Date().toISOString(),
    command: options.command ?? 'trustnlu report',
    seed,
    seconds: Number(((Date.now() - started) / 1000).toFixed(1)),
    machine: options.machine,
    modelKind: kind,
    ...partial,
    summary: summarise(partial),
  };
}
