/**
 * One federated experiment from names (what `trustnlu fl simulate` and the studies run):
 * prepare the dataset and partition, build the strategy and sampler, simulate, and, in the
 * continual setting, optionally the "all data at once" baseline with the same rounds on the
 * same workers. Returns a JSON-ready summary; the final parameters are dropped.
 */
import { availableParallelism } from 'node:os';
import type { BackendName } from '../../engine/index.js';
import type { QueueRunOptions } from '../../engine/jobs/index.js';
import { ConfigError } from '../../errors.js';
import type { PartitionSummary } from '../../data/partition/index.js';
import { TRAINING_DEFAULTS } from '../../train/run.js';
import type { ProgressReporter } from '../../train/progress.js';
import { createStrategy, parseStrategySpec, type ServerStrategy, type StrategySpec } from '../strategies/index.js';
import { privateAggregation, type DpFedAvgOptions, type FederatedPrivacyReport, type SecureAggregationOptions } from '../privacy/index.js';
import { SimulationExecutor } from './executor.js';
import { SeededRandom } from '../../engine/random.js';
import { holdOutClientValidation, majorityAccuracy, reachTarget, type BudgetPoint } from './budget.js';
import { MemoryClientStateStore } from './client-registry.js';
import { prepareFederatedDataset } from './federated-dataset.js';
import type { UserTextModel } from './user-text-model.js';
import { LAYERS_MODEL_KIND } from '../../models/index.js';
import { runSimulation, type CurvePoint, type PeriodRecord, type SimulationResult } from './simulator.js';
import {
  createSampler,
  parsePartitionSpec,
  parseSelectionSpec,
  parseSettingSpec,
  type PartitionSpec,
  type SelectionSpec,
  type SettingSpec,
} from './spec.js';
import type { DatasetSource } from '../../data/text-dataset.js';
import { checkDeviceLabelOptions, parseLabelSpec, planDeviceLabels, startDeviceLabelRun, type DeviceLabelOptions, type DeviceLabelReport, type LabelSpec } from '../labels/index.js';

export interface FederatedExperimentOptions {
  /** A named dataset, or the user's files ({ kind: 'files', files, options }). */
  dataset: string | DatasetSource;
  partition: PartitionSpec | string;
  strategy: StrategySpec | string;
  selection?: SelectionSpec | string;
  setting?: SettingSpec | string;
  rounds: number;
  clientsPerRound: number;
  localEpochs?: number;
  /** Default: embbag for intent datasets, char-lstm for corpora (set by the caller); 'layers' with `userModel`. */
  model: string;
  /** Your tf.LayersModel (a model.json) with its tokenizer and labels, instead of a built-in kind. */
  userModel?: UserTextModel;
  modelConfig?: Record<string, unknown>;
  seed: number;
  /** Clients for iid / dirichlet / quantity; default 100. */
  numClients?: number;
  workers?: number;
  /** Run the clients on the Redis queue (trustnlu worker processes) instead of local threads. */
  queue?: QueueRunOptions;
  backend?: BackendName;
  batchSize?: number;
  /** Default: the centralised trainer's rate for the model kind with adam (see TRAINING_DEFAULTS), 0.1 with sgd. */
  learningRate?: number;
  /** Default adam (plain local SGD often barely moves the small text models in few rounds). */
  localOptimizer?: 'sgd' | 'adam';
  maxLocalSteps?: number;
  serverLearningRate?: number;
  availability?: number;
  dropout?: number;
  evaluateEvery?: number;
  evaluationSplit?: 'val' | 'test';
  /**
   * Each client holds back this fraction of its examples (holdOutClientValidation) and the
   * global model is evaluated on the union of those parts (the federated validation estimate)
   * instead of an evaluation split: for tuning, so the test split is never read. The clients
   * train on the rest. Not with `evaluationSplit`.
   */
  clientValidation?: number;
  /** Report the round and client examples at which the evaluated curve first reaches this accuracy. */
  targetAccuracy?: number;
  /** Clients keep their local optimiser state from round to round (e.g. a one-client "centralised" run that is plain Adam over the whole budget). */
  keepClientOptimizerState?: boolean;
  /** Continual setting only: also run the static setting with the same total rounds. */
  baseline?: boolean;
  dataDir?: string;
  progress?: ProgressReporter;
  /** DP-FedAvg (population and rounds are filled in from the data and `rounds`) and/or secure aggregation. */
  privacy?: { dp?: Omit<DpFedAvgOptions, 'population' | 'rounds'>; secureAggregation?: SecureAggregationOptions | boolean };
  /** Where device labels come from: gold (default), feedback[:NOISE] or semi:FRACTION (see labels/). */
  labels?: LabelSpec | string;
  /** Feedback rate, labelled fraction, thresholds and epochs of feedback / semi runs. */
  deviceLabels?: Omit<DeviceLabelOptions, 'labels'>;
}

export interface FederatedExperimentSummary {
  rounds: number;
  accuracy: number;
  loss: number;
  curve: CurvePoint[];
  seconds: number;
  dataset: string;
  synthetic: boolean;
  model: string;
  partition: string;
  strategy: string;
  selection: string;
  setting: string;
  clients: number;
  /** Clients, size quantiles and mean label entropy of the partition (see summarizePartition). */
  partitionSummary: PartitionSummary;
  clientsPerRound: number;
  localEpochs: number;
  localOptimizer: 'sgd' | 'adam';
  learningRate: number;
  batchSize: number;
  workers: number;
  /** Where the clients ran: "N worker threads", "in process" or "queue redis://host:port/db". */
  executor: string;
  seed: number;
  /** What `accuracy` and the curve were measured on: a split, or the clients' held-out validation parts. */
  evaluationSplit: 'val' | 'test' | 'client-validation';
  /** With clientValidation: the examples held back over all clients. */
  validationExamples?: number;
  /** Accuracy of always predicting the most frequent target of the evaluated examples (the chance line). */
  majorityAccuracy: number;
  /** Client training examples processed over the run (local trainers' counts summed over clients and rounds); the curve's `examples` is the running total. */
  examplesProcessed: number;
  /** With targetAccuracy: the first evaluated round reaching it and the examples processed by then (null when never reached). */
  target?: { accuracy: number; rounds: number | null; examples: number | null };
  totals: SimulationResult['totals'];
  periods?: PeriodRecord[];
  continual?: { averageAccuracy: number; forgetting: number };
  /** The drift setting: the domains that arrive in each period. */
  driftDomains?: string[][];
  baseline?: { setting: string; accuracy: number; loss: number; curve: CurvePoint[]; seconds: number };
  notes: string[];
  /** ε spent, clip norm, secure-aggregation totals (with the privacy option). */
  privacy?: FederatedPrivacyReport;
  /** Feedback / semi-supervised runs: the labelled set, the seed model's accuracy, the devices' label counts. */
  labels?: DeviceLabelReport;
}

/** The first evaluated round reaching `accuracy` and the client examples processed by then (nulls when never reached). */
function targetOf(curve: readonly BudgetPoint[], accuracy: number): { accuracy: number; rounds: number | null; examples: number | null } {
  const hit = reachTarget(curve, accuracy);
  return { accuracy, rounds: hit?.round ?? null, examples: hit?.examples ?? null };
}

export async function runFederatedExperiment(options: FederatedExperimentOptions): Promise<FederatedExperimentSummary> {
  const started = performance.now();
  // parse every spec before any data is touched
  const partition = typeof options.partition === 'string' ? parsePartitionSpec(options.partition) : options.partition;
  const strategySpec = typeof options.strategy === 'string' ? parseStrategySpec(options.strategy) : options.strategy;
  const selection = typeof options.selection === 'string' ? parseSelectionSpec(options.selection) : options.selection ?? { kind: 'uniform' as const };
  const setting = typeof options.setting === 'string' ? parseSettingSpec(options.setting) : options.setting ?? { kind: 'static' as const };
  if (options.clientValidation !== undefined && options.evaluationSplit !== undefined) {
    throw new ConfigError(`clientValidation evaluates on the clients' held-out parts; drop evaluationSplit "${options.evaluationSplit}"`);
  }
  if (options.targetAccuracy !== undefined && !(options.targetAccuracy >= 0 && options.targetAccuracy <= 1)) {
    throw new ConfigError(`targetAccuracy must be in [0, 1], got ${options.targetAccuracy}`);
  }
  if (options.baseline && setting.kind !== 'continual') throw new ConfigError('baseline: the all-data-at-once baseline is for the continual setting (use --setting continual:T)');
  const labels = typeof options.labels === 'string' ? parseLabelSpec(options.labels) : options.labels ?? { kind: 'gold' as const };
  if (labels.kind !== 'gold') {
    if (setting.kind !== 'static') throw new ConfigError(`--labels ${labels.kind} runs in the static setting only; drop --setting ${options.setting}`);
    const serverFineTuning = labels.kind === 'semi' || options.deviceLabels?.serverEpochs !== undefined;
    if (serverFineTuning && options.privacy && (options.privacy.dp || options.privacy.secureAggregation)) {
      throw new ConfigError('--labels semi (or --server-epochs) fine-tunes the global model on the server between rounds, which DP-FedAvg and secure aggregation do not account for; use --labels gold or feedback without --server-epochs with them');
    }
  }
  checkDeviceLabelOptions(labels, options.deviceLabels);
  const localOptimizer = options.localOptimizer ?? 'adam';
  const defaults = TRAINING_DEFAULTS[options.userModel ? LAYERS_MODEL_KIND : options.model];
  if (!defaults) throw new ConfigError(`unknown model "${options.model}": choose one of ${Object.keys(TRAINING_DEFAULTS).join(', ')}`);
  const learningRate = options.learningRate ?? (localOptimizer === 'adam' ? defaults.learningRate : 0.1);
  const batchSize = options.batchSize ?? 32;
  const localEpochs = options.localEpochs ?? 1;
  const workers = options.workers ?? availableParallelism();

  const prepared = prepareFederatedDataset({
    dataset: options.dataset,
    partition,
    numClients: options.numClients,
    model: options.model,
    modelConfig: options.modelConfig,
    userModel: options.userModel,
    seed: options.seed,
    dataDir: options.dataDir,
    // with client validation the server holds no evaluation data of its own: the test split is not even encoded
    evaluationSplit: options.clientValidation !== undefined ? 'val' : options.evaluationSplit,
  });
  const held = options.clientValidation !== undefined ? holdOutClientValidation(prepared.clients, options.clientValidation, new SeededRandom(options.seed).fork('client-validation')) : undefined;
  // gold runs start from a seed model only when given a labelled fraction (the upper bound of feedback runs)
  const seedStart = labels.kind !== 'gold' || options.deviceLabels?.labelledFraction !== undefined;
  const labelPlan = seedStart ? planDeviceLabels(prepared, { ...options.deviceLabels, labels }, options.seed) : undefined;
  if (held && labelPlan) throw new ConfigError('clientValidation holds back part of each client\'s gold-labelled data; it does not combine with --labels feedback/semi or a labelled fraction');
  const unsplit = labelPlan?.data ?? prepared;
  const data = held ? { ...unsplit, clients: held.fit } : unsplit;
  const makeStrategy = () =>
    createStrategy(strategySpec, {
      clientsPerRound: options.clientsPerRound,
      sampler: createSampler(selection),
      local: { localEpochs, batchSize, learningRate, optimizer: localOptimizer, maxSteps: options.maxLocalSteps ?? 0 },
      serverLearningRate: options.serverLearningRate,
    });
  const strategy = makeStrategy(); // fails fast on bad strategy options (e.g. Krum with too few clients)
  const privacy = options.privacy;
  const privatise = (inner: ServerStrategy) =>
    privacy && (privacy.dp || privacy.secureAggregation)
      ? privateAggregation(inner, {
          dp: privacy.dp && { ...privacy.dp, population: data.clients.length, rounds: options.rounds },
          secureAggregation: privacy.secureAggregation,
        })
      : undefined;
  const privateStrategy = privatise(strategy); // fails fast too (e.g. an unreachable ε)
  options.progress?.event('data', {
    dataset: data.name,
    synthetic: data.synthetic,
    partition: data.partition,
    clients: data.clients.length,
    summary: data.summary,
    train: data.train.task === 'classifier' ? data.train.targets.length : data.train.count,
    notes: data.notes,
  });
  const executor = await SimulationExecutor.create(data, { workers, backend: options.backend, ...(options.queue ? { queue: options.queue } : {}), ...(labelPlan?.config ? { deviceLabels: labelPlan.config } : {}) });
  try {
    const labelRun = labelPlan ? await startDeviceLabelRun(executor, labelPlan, privateStrategy ?? strategy, strategy.local, options.seed) : undefined;
    const common = {
      data,
      rounds: options.rounds,
      seed: options.seed,
      executor,
      availability: options.availability,
      dropout: options.dropout,
      evaluateEvery: options.evaluateEvery,
      progress: options.progress,
      ...(held ? { validationIndices: held.validation } : {}),
    };
    const stateStore = options.keepClientOptimizerState ? new MemoryClientStateStore() : undefined;
    const result = await runSimulation({ ...common, strategy: labelRun?.strategy ?? privateStrategy ?? strategy, setting, ...(stateStore ? { stateStore } : {}) });
    const evaluated = held ? { examples: data.train, indices: held.validation } : { examples: data.evaluation, indices: executor.evaluationIndices(data) };
    const summary: FederatedExperimentSummary = {
      rounds: result.rounds,
      accuracy: result.accuracy,
      loss: result.loss,
      curve: result.curve,
      seconds: 0,
      dataset: data.name,
      synthetic: data.synthetic,
      model: options.model,
      partition: data.partition,
      strategy: result.strategy,
      selection: strategy.sampler.name,
      setting: result.setting,
      clients: data.clients.length,
      partitionSummary: data.summary,
      clientsPerRound: options.clientsPerRound,
      localEpochs,
      localOptimizer,
      learningRate,
      batchSize,
      workers: executor.workers,
      executor: executor.description,
      seed: options.seed,
      evaluationSplit: held ? 'client-validation' : data.evaluationSplit,
      ...(held ? { validationExamples: held.validation.length } : {}),
      majorityAccuracy: evaluated.examples.task === 'tensors' ? Number.NaN : majorityAccuracy(evaluated.examples, evaluated.indices, data.outOfScopeIndex),
      examplesProcessed: result.examplesProcessed,
      ...(options.targetAccuracy !== undefined ? { target: targetOf(result.curve, options.targetAccuracy) } : {}),
      totals: result.totals,
      notes: data.notes,
    };
    if (privateStrategy) summary.privacy = privateStrategy.privacyReport();
    if (labelRun) summary.labels = labelRun.report();
    if (result.periods) summary.periods = result.periods;
    if (result.continual) summary.continual = result.continual;
    if (result.driftDomains) summary.driftDomains = result.driftDomains;
    if (options.baseline) {
      options.progress?.event('baseline', { setting: 'static', rounds: options.rounds });
      const base = await runSimulation({ ...common, strategy: (() => { const s = makeStrategy(); return privatise(s) ?? s; })(), setting: { kind: 'static' } });
      summary.baseline = { setting: base.setting, accuracy: base.accuracy, loss: base.loss, curve: base.curve, seconds: base.seconds };
    }
    summary.seconds = (performance.now() - started) / 1000;
    return summary;
  } finally {
    await executor.close();
  }
}
