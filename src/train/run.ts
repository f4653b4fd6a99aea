/**
 * End-to-end jobs behind `trustnlu train` and `trustnlu eval`: load a dataset by name (or take a loaded one),
 * build the tokenizer and model, train with the kind's defaults, evaluate, save. The
 * result objects are the CLI's JSON contract.
 */
import { ConfigError } from '../errors.js';
import { loadDataset, loadDatasetSource, defaultDatasetName } from '../data/registry.js';
import { checkDataset } from '../data/check.js';
import type { DatasetSource } from '../data/text-dataset.js';
import { gloveVectorsPath } from '../data/locate.js';
import { readWord2VecText } from '../data/word-vectors.js';
import type { IntentDataset, SplitName, TextCorpus } from '../data/types.js';
import { SeededRandom, tf } from '../engine/index.js';
import {
  createModel,
  defaultConfig,
  isClassifierKind,
  isLanguageModelKind,
  LAYERS_MODEL_KIND,
  LayersClassifier,
  LayersLanguageModel,
  loadModel,
  wrapLayersModel,
  type LayersTextModel,
  type LoadedModel,
  MODEL_KINDS,
  type AnyModel,
  type ClassifierKind,
  type ClassifierModel,
  type LanguageModelKind,
  type LanguageModel,
} from '../models/index.js';
import { fitCharTokenizer, fitWordTokenizer, type Tokenizer } from '../text/index.js';
import { unitText } from './examples.js';
import type { OptimizerName, ScheduleName } from './optimizers.js';
import { SILENT, type ProgressReporter } from './progress.js';
import { ClassificationTask, LanguageModelTask } from './tasks.js';
import { train, type GradientStep, type TrainerOptions, type TrainingResult } from './trainer.js';
import { checkEngineCount, type ParallelGradients } from './data-parallel/engines.js';
import { DataParallelPlainGradients } from './data-parallel/plain-gradients.js';

export interface TrainingDefaults {
  batchSize: number;
  learningRate: number;
  optimizer: OptimizerName;
  schedule: ScheduleName;
  warmupSteps: number;
  patience?: number;
}

/** Per-kind defaults, chosen on CLINC150 (classifiers) and Tiny Shakespeare (LMs); see BENCHMARKS.md. */
export const TRAINING_DEFAULTS: Record<string, TrainingDefaults> = {
  embbag: { batchSize: 64, learningRate: 2e-3, optimizer: 'adamw', schedule: 'constant', warmupSteps: 0, patience: 3 },
  cnn: { batchSize: 64, learningRate: 1e-3, optimizer: 'adamw', schedule: 'constant', warmupSteps: 0, patience: 3 },
  transformer: { batchSize: 64, learningRate: 5e-4, optimizer: 'adamw', schedule: 'linear', warmupSteps: 100, patience: 3 },
  'char-lstm': { batchSize: 32, learningRate: 3e-3, optimizer: 'adam', schedule: 'constant', warmupSteps: 0 },
  'word-lstm': { batchSize: 32, learningRate: 2e-3, optimizer: 'adam', schedule: 'constant', warmupSteps: 0 },
  'char-transformer': { batchSize: 32, learningRate: 1e-3, optimizer: 'adamw', schedule: 'cosine', warmupSteps: 100 },
  'word-transformer': { batchSize: 32, learningRate: 1e-3, optimizer: 'adamw', schedule: 'cosine', warmupSteps: 100 },
  [LAYERS_MODEL_KIND]: { batchSize: 64, learningRate: 1e-3, optimizer: 'adam', schedule: 'constant', warmupSteps: 0, patience: 3 },
};

/** What a function that builds your model is told (the tokenizer and labels exist by then). */
export interface UserModelSpec {
  task: 'classifier' | 'lm';
  /** Ids run from 0 to vocabularySize − 1 (0 is padding): the Embedding's inputDim. */
  vocabularySize: number;
  /** Classifiers: the classes, in output order. */
  labels?: string[];
  /** Longest input (classifiers) or the context length (LMs), in tokens. */
  maxLength: number;
}

/**
 * Your own model for runTraining: a tf.LayersModel taking token ids [B, T] and giving
 * probabilities ([B, classes], or [B, T, vocabulary] for a language model), a function that
 * builds one once the tokenizer and labels are known, or one already wrapped with its
 * tokenizer (wrapLayersModel, loadAnyModel).
 */
export type UserModel = tf.LayersModel | LayersTextModel | ((spec: UserModelSpec) => tf.LayersModel);

/**
 * The defaults of a private run (`--dp`, or `privacy` given to runTraining), where noisy
 * clipped gradients need another recipe than plain training. For embbag this is the recipe the
 * dp-utility study chose on CLINC150's validation split at ε = 8 (docs/privacy.md: 17 runs): a
 * linear layer on the mean (GloVe-initialised, when found) embedding, no dropout, per-layer
 * clipping, an expected batch of about 13.6% of the training set (2,048 on CLINC150), SGD with
 * momentum at lr 2, 80 epochs without early stopping (~590 steps). The other kinds get the same
 * batch rule, fixed epochs, per-layer clipping and no dropout, with their own optimiser: a
 * starting point, not a tuned recipe.
 */
export interface PrivateTrainingDefaults {
  /** Expected batch as a share of the training set, capped at maxBatchSize. */
  sampleRate: number;
  maxBatchSize: number;
  learningRate: number;
  optimizer: OptimizerName;
  schedule: ScheduleName;
  warmupSteps: number;
  epochs: number;
  clipping: 'flat' | 'per-layer';
  /** Architecture overrides (a user's --model-config still wins). */
  config: Record<string, unknown>;
  /** Initialise embeddings from GloVe when the data directory has it. */
  glove: boolean;
}

export const PRIVATE_TRAINING_DEFAULTS: Record<string, PrivateTrainingDefaults> = {
  embbag: { sampleRate: 0.136, maxBatchSize: 2048, learningRate: 2, optimizer: 'sgd', schedule: 'constant', warmupSteps: 0, epochs: 80, clipping: 'per-layer', config: { hidden: 0, dropout: 0 }, glove: true },
  cnn: { sampleRate: 0.136, maxBatchSize: 2048, learningRate: 1e-3, optimizer: 'adamw', schedule: 'constant', warmupSteps: 0, epochs: 40, clipping: 'per-layer', config: { dropout: 0 }, glove: true },
  transformer: { sampleRate: 0.136, maxBatchSize: 2048, learningRate: 5e-4, optimizer: 'adamw', schedule: 'linear', warmupSteps: 20, epochs: 40, clipping: 'per-layer', config: { dropout: 0 }, glove: false },
  'char-lstm': { sampleRate: 0.05, maxBatchSize: 512, learningRate: 3e-3, optimizer: 'adam', schedule: 'constant', warmupSteps: 0, epochs: 10, clipping: 'per-layer', config: { dropout: 0 }, glove: false },
  'word-lstm': { sampleRate: 0.05, maxBatchSize: 512, learningRate: 2e-3, optimizer: 'adam', schedule: 'constant', warmupSteps: 0, epochs: 10, clipping: 'per-layer', config: { dropout: 0 }, glove: false },
  'char-transformer': { sampleRate: 0.05, maxBatchSize: 512, learningRate: 1e-3, optimizer: 'adamw', schedule: 'cosine', warmupSteps: 20, epochs: 10, clipping: 'per-layer', config: { dropout: 0 }, glove: false },
  'word-transformer': { sampleRate: 0.05, maxBatchSize: 512, learningRate: 1e-3, optimizer: 'adamw', schedule: 'cosine', warmupSteps: 20, epochs: 10, clipping: 'per-layer', config: { dropout: 0 }, glove: false },
  // Your own model: the large-batch, fixed-epoch plan with Adam; flat clipping (its layers are unknown).
  [LAYERS_MODEL_KIND]: { sampleRate: 0.136, maxBatchSize: 2048, learningRate: 1e-3, optimizer: 'adam', schedule: 'constant', warmupSteps: 0, epochs: 40, clipping: 'flat', config: {}, glove: false },
};

/** Epochs when none are given: 5 for plain training, the private recipe's for private runs. */
export const DEFAULT_EPOCHS = 5;

/**
 * Private training as runTraining sees it (PrivateTraining in trustnlu/privacy implements it):
 * told the model and data once they exist, it returns the DP gradient step and batch plan.
 */
export interface TrainingPrivacy {
  configure(setup: TrainingSetup): TrainingConfiguration;
}

export interface RunTrainingOptions {
  /**
   * Dataset name (default: clinc150 when its files are found, else synthetic), the user's files
   * as a DatasetSource ({ kind: 'files', files, options }), or an already loaded dataset/corpus
   * (from loadTextDataset, or with a transformed training split: skew, augmentation, hold-out).
   */
  dataset?: string | DatasetSource | IntentDataset | TextCorpus;
  /** Model kind (embbag, cnn, transformer, char-lstm, char-transformer, word-lstm, word-transformer), or your own model. */
  model: string | UserModel;
  /** Your own model only: its tokenizer (default: fitted on the training split, words for intents and characters for corpora). */
  tokenizer?: Tokenizer;
  /** Your own model only (a classifier): its class names in output order (default: the dataset's labels). */
  labels?: string[];
  /** Your own model only: longest input in tokens (classifiers, default 48) or context length (LMs, default 64). */
  maxLength?: number;
  /** Default 5, or the private recipe's with `privacy`. */
  epochs?: number;
  seed: number;
  /** Where the best checkpoint goes (required to use the model afterwards). */
  out?: string;
  dataDir?: string;
  batchSize?: number;
  learningRate?: number;
  optimizer?: OptimizerName;
  schedule?: ScheduleName;
  warmupSteps?: number;
  patience?: number;
  resume?: boolean;
  timeLimitSeconds?: number;
  maxStepsPerEpoch?: number;
  validateEverySteps?: number;
  /** Classifiers: initialise the embedding table from the GloVe 100-d subset in the data directory. */
  glove?: boolean;
  /** Overrides of the architecture's hyper-parameters. */
  config?: Record<string, unknown>;
  /** Word vocabulary cap (default 20,000) and minimum count (default 1 for classifiers, 2 for word LMs). */
  vocabularySize?: number;
  minCount?: number;
  progress?: ProgressReporter;
  /**
   * Engines (tfjs instances in worker threads) a batch is split over: data-parallel training
   * when > 1 (built-in models only). Default 1: this thread's engine, as before.
   * defaultEngineCount() is one per core.
   */
  engines?: number;
  /**
   * Private training (e.g. `new PrivateTraining({ epsilon: 8, delta: 1e-5 })`): the run uses the
   * private defaults (PRIVATE_TRAINING_DEFAULTS) for every option not given, and the privacy's
   * gradient step and Poisson batches.
   */
  privacy?: TrainingPrivacy;
  /** Replaces plain backprop (DP-SGD plugs in here). */
  gradientStep?: GradientStep;
  batchPlan?: TrainerOptions['batchPlan'];
  meta?: Record<string, unknown>;
  /**
   * Called once the model and the task exist, before training: returns a gradient step, a
   * batch plan and checkpoint meta that override the ones above. This is how DP-SGD plugs
   * in without train importing privacy (it needs the model and N, which are built here).
   */
  configureTraining?: (setup: TrainingSetup) => TrainingConfiguration;
}

/** What `configureTraining` is told. */
export interface TrainingSetup {
  model: AnyModel;
  trainSize: number;
  /** The batch size the trainer uses (for DP: the expected Poisson batch size). */
  batchSize: number;
  epochs: number;
  maxStepsPerEpoch?: number;
  /** The clipping the run's defaults recommend (private defaults: per-layer); an explicit choice wins. */
  clipping?: 'flat' | 'per-layer';
  /** Engines asked for (data-parallel training when > 1; absent means one). */
  engines?: number;
}

/** What `configureTraining` returns (every field optional). */
export interface TrainingConfiguration {
  gradientStep?: GradientStep;
  batchPlan?: TrainerOptions['batchPlan'];
  /** Merged into the checkpoint's meta (e.g. the privacy mechanism). */
  meta?: Record<string, unknown>;
  /** Data-parallel gradients over `setup.engines` engines (replaces gradientStep). */
  parallel?: ParallelGradients;
}

export interface ClassifierResult {
  dataset: string;
  model: string;
  epochs: number;
  seconds: number;
  /** Test accuracy; for datasets with an out-of-scope label (CLINC150), in-scope test accuracy. */
  accuracy: number;
  oosRecall?: number;
  /** Best validation accuracy (all labels): the score the saved checkpoint was chosen on. */
  validationAccuracy?: number;
  /** Things the user should know (e.g. accuracy near chance), one line each. */
  warnings?: string[];
  synthetic: boolean;
}

export interface LanguageModelResult {
  dataset: string;
  model: string;
  seconds: number;
  /** Validation loss, nats per token. */
  valLoss: number;
  perplexity: number;
  synthetic: boolean;
}

export interface RunTrainingOutput {
  result: ClassifierResult | LanguageModelResult;
  training: TrainingResult;
  model: AnyModel;
  task: ClassificationTask | LanguageModelTask;
}

function checkKind(kind: string): void {
  if (!(MODEL_KINDS as readonly string[]).includes(kind)) {
    throw new ConfigError(`unknown model "${kind}": choose one of ${MODEL_KINDS.join(', ')}`);
  }
}

/** The width of the bundled GloVe subset's vectors. */
const GLOVE_DIM = 100;

/** GloVe rows for the vocabulary (missing words keep a small random init). */
export function gloveEmbeddings(tokenizer: Tokenizer, dim: number, seed: number, dataDir?: string): { table: Float32Array; found: number } {
  const path = gloveVectorsPath(dataDir);
  if (!path) {
    throw new ConfigError('--glove needs glove-6b-100d-subset/vectors.txt in the data directory (set --data-dir or TRUSTNLU_DATA)');
  }
  const vectors = readWord2VecText(path);
  if (vectors.dim !== dim) throw new ConfigError(`GloVe vectors are ${vectors.dim}-d but the model's embeddingDim is ${dim}`);
  const table = new SeededRandom(seed).fork('glove-oov').uniformArray(tokenizer.vocabSize * dim, 0.05);
  let found = 0;
  for (let id = 0; id < tokenizer.vocabSize; id++) {
    const row = vectors.index.get(tokenizer.tokenOf(id));
    if (row === undefined) continue;
    table.set(vectors.vectors.subarray(row * dim, (row + 1) * dim), id * dim);
    found++;
  }
  return { table, found };
}

export function classifierResult(
  dataset: IntentDataset,
  model: ClassifierModel,
  task: ClassificationTask,
  split: SplitName,
  extra: { epochs: number; seconds: number },
): ClassifierResult {
  const m = task.evaluate(model, split);
  const result: ClassifierResult = {
    dataset: dataset.name,
    model: model.kind,
    epochs: extra.epochs,
    seconds: Number(extra.seconds.toFixed(2)),
    accuracy: m.inScopeAccuracy ?? m.accuracy,
    synthetic: dataset.synthetic,
  };
  if (m.oosRecall !== undefined) result.oosRecall = m.oosRecall;
  return result;
}

export function languageModelResult(corpus: TextCorpus, model: LanguageModel, task: LanguageModelTask, split: SplitName, seconds: number): LanguageModelResult {
  const m = task.evaluate(model, split);
  return {
    dataset: corpus.name,
    model: model.kind,
    seconds: Number(seconds.toFixed(2)),
    valLoss: m.loss,
    perplexity: m.perplexity,
    synthetic: corpus.synthetic,
  };
}

/** Trains with the privacy's (or the caller's `configureTraining`) step and batch plan, if any. */
function trainConfigured(
  model: AnyModel,
  task: ClassificationTask | LanguageModelTask,
  trainerOptions: TrainerOptions,
  options: RunTrainingOptions,
  clipping: 'flat' | 'per-layer' | undefined,
): Promise<TrainingResult> {
  const setup: TrainingSetup = {
    model,
    trainSize: task.trainSize,
    batchSize: trainerOptions.batchSize,
    epochs: trainerOptions.epochs,
    maxStepsPerEpoch: trainerOptions.maxStepsPerEpoch,
    ...(clipping ? { clipping } : {}),
  };
  const engines = options.engines ?? 1;
  checkEngineCount(engines);
  if (engines > 1) setup.engines = engines;
  const configure = options.privacy ? (s: TrainingSetup) => options.privacy!.configure(s) : options.configureTraining;
  const extra = configure?.(setup) ?? {};
  if (engines > 1 && !extra.parallel && (extra.gradientStep ?? trainerOptions.gradientStep)) {
    throw new ConfigError(`a custom gradient step runs on one engine: drop engines (${engines}) or the gradient step`);
  }
  const parallel = engines > 1 ? extra.parallel ?? new DataParallelPlainGradients(model, engines) : undefined;
  return train(model, task, {
    ...trainerOptions,
    parallel,
    gradientStep: extra.gradientStep ?? trainerOptions.gradientStep,
    batchPlan: extra.batchPlan ?? trainerOptions.batchPlan,
    meta: { ...trainerOptions.meta, ...extra.meta },
  });
}

/** The dataset or corpus the options name, loaded (files and names through the one data layer). */
function datasetFor(options: RunTrainingOptions, task: 'intent' | 'lm'): IntentDataset | TextCorpus {
  const given = options.dataset;
  if (given !== undefined && typeof given === 'object' && 'task' in given) return checkDataset(given);
  const source: DatasetSource =
    given === undefined ? { kind: 'registry', name: defaultDatasetName(options.dataDir) } : typeof given === 'string' ? { kind: 'registry', name: given } : given;
  return loadDatasetSource(source, { dataDir: options.dataDir, seed: options.seed, task });
}

/** What the checkpoint records about the data, so eval and audits load the same data again. */
function dataMeta(data: IntentDataset | TextCorpus, seed: number): Record<string, unknown> {
  return { dataset: data.name, synthetic: data.synthetic, seed, ...(data.origin ? { dataSource: data.origin } : {}) };
}

/** The options in force: the caller's, else the private or the plain defaults of the kind. */
function resolvedSettings(options: RunTrainingOptions, kind: string, trainSize: number) {
  const plain = TRAINING_DEFAULTS[kind];
  const priv = options.privacy ? PRIVATE_TRAINING_DEFAULTS[kind] : undefined;
  const epochs = options.epochs ?? priv?.epochs ?? DEFAULT_EPOCHS;
  if (!Number.isInteger(epochs) || epochs < 1) throw new ConfigError(`epochs must be an integer ≥ 1, got ${options.epochs}`);
  const privateBatch = priv ? Math.max(1, Math.min(priv.maxBatchSize, Math.round(priv.sampleRate * trainSize))) : undefined;
  return {
    epochs,
    batchSize: options.batchSize ?? privateBatch ?? plain.batchSize,
    learningRate: options.learningRate ?? priv?.learningRate ?? plain.learningRate,
    optimizer: options.optimizer ?? priv?.optimizer ?? plain.optimizer,
    schedule: options.schedule ?? priv?.schedule ?? plain.schedule,
    warmupSteps: options.warmupSteps ?? priv?.warmupSteps ?? plain.warmupSteps,
    // Private runs train their planned epochs (the privacy plan counts them): no early stopping.
    patience: options.patience ?? (priv ? epochs : plain.patience),
    config: { ...(priv?.config ?? {}), ...(options.config ?? {}) },
    // The private recipe starts from GloVe (100-d) when the vectors are there, unless the caller chose another width.
    glove: options.glove ?? (priv ? priv.glove && (options.config?.embeddingDim ?? GLOVE_DIM) === GLOVE_DIM && gloveVectorsPath(options.dataDir) !== undefined : false),
    clipping: priv?.clipping,
  };
}

/** A classifier's run: its result has the accuracy fields. */
export interface ClassifierTrainingOutput extends RunTrainingOutput {
  result: ClassifierResult;
  model: ClassifierModel;
  task: ClassificationTask;
}

/** A language model's run: its result has the loss and perplexity. */
export interface LanguageModelTrainingOutput extends RunTrainingOutput {
  result: LanguageModelResult;
  model: LanguageModel;
  task: LanguageModelTask;
}

export async function runTraining(options: RunTrainingOptions & { model: ClassifierKind }): Promise<ClassifierTrainingOutput>;
export async function runTraining(options: RunTrainingOptions & { model: LanguageModelKind }): Promise<LanguageModelTrainingOutput>;
export async function runTraining(options: RunTrainingOptions): Promise<RunTrainingOutput>;
export async function runTraining(options: RunTrainingOptions): Promise<RunTrainingOutput> {
  if (options.privacy && options.configureTraining) throw new ConfigError('give privacy or configureTraining, not both');
  if (typeof options.model !== 'string') return runUserModelTraining(options, options.model);
  checkKind(options.model);
  const kind = options.model;
  const progress = options.progress ?? SILENT;
  const data = datasetFor(options, isClassifierKind(kind) ? 'intent' : 'lm');
  if (isClassifierKind(kind) && data.task !== 'intent') {
    throw new ConfigError(`model "${kind}" is a classifier but dataset "${data.name}" is a text corpus: use a language model (char-lstm, char-transformer, word-lstm, word-transformer)`);
  }
  if (isLanguageModelKind(kind) && data.task !== 'lm') {
    throw new ConfigError(`model "${kind}" is a language model but dataset "${data.name}" is an intent dataset: use a classifier (embbag, cnn, transformer)`);
  }
  const settings = resolvedSettings(options, kind, data.splits.train.length);
  const trainerOptions = {
    epochs: settings.epochs,
    batchSize: settings.batchSize,
    learningRate: settings.learningRate,
    optimizer: { name: settings.optimizer },
    schedule: settings.schedule,
    warmupSteps: settings.warmupSteps,
    patience: settings.patience,
    seed: options.seed,
    outDir: options.out,
    resume: options.resume,
    timeLimitSeconds: options.timeLimitSeconds,
    maxStepsPerEpoch: options.maxStepsPerEpoch,
    validateEverySteps: options.validateEverySteps,
    progress,
    gradientStep: options.gradientStep,
    batchPlan: options.batchPlan,
  };

  // How this model was trained, stored in the checkpoint so audits can train shadow models the same way.
  const recipe = {
    model: kind,
    epochs: settings.epochs,
    batchSize: settings.batchSize,
    learningRate: settings.learningRate,
    optimizer: settings.optimizer,
    schedule: settings.schedule,
    warmupSteps: settings.warmupSteps,
    patience: settings.patience ?? null,
    glove: settings.glove,
    config: settings.config,
    vocabularySize: options.vocabularySize ?? null,
    minCount: options.minCount ?? null,
  };
  const meta = { ...dataMeta(data, options.seed), recipe, ...options.meta };

  if (data.task === 'intent') {
    const dataset = data;
    const tokenizer = fitWordTokenizer(
      dataset.splits.train.map((e) => e.text),
      { minCount: options.minCount ?? 1, maxSize: options.vocabularySize ?? 20000 },
    );
    const config = { ...defaultConfig(kind), ...settings.config } as { embeddingDim: number; maxLength: number };
    let initialEmbeddings: Float32Array | undefined;
    if (settings.glove) {
      const g = gloveEmbeddings(tokenizer, config.embeddingDim, options.seed, options.dataDir);
      initialEmbeddings = g.table;
      progress.event('glove', { found: g.found, vocabulary: tokenizer.vocabSize });
    }
    const model = createModel({ kind, tokenizer, labels: dataset.labels, seed: options.seed, config, initialEmbeddings }) as ClassifierModel;
    const task = new ClassificationTask(dataset, tokenizer, dataset.labels, config.maxLength);
    progress.event('start', { dataset: dataset.name, synthetic: dataset.synthetic, model: kind, train: task.trainSize, parameters: model.store.count(), batchSize: settings.batchSize, epochs: settings.epochs });
    const training = await trainConfigured(model, task, { ...trainerOptions, meta }, options, settings.clipping);
    const result = classifierResult(dataset, model, task, 'test', { epochs: training.history.length, seconds: training.seconds });
    if (Number.isFinite(training.bestScore)) result.validationAccuracy = training.bestScore;
    const warning = nearChanceWarning(result, dataset, Boolean(options.privacy));
    if (warning) {
      result.warnings = [warning];
      progress.event('warning', { message: warning });
    }
    return { result, training, model, task };
  }

  const corpus = data;
  const trainTexts = corpus.splits.train.map(unitText);
  const tokenizer = kind.startsWith('char')
    ? fitCharTokenizer(trainTexts.map((t) => `${t}\n\n`))
    : fitWordTokenizer(trainTexts, { minCount: options.minCount ?? 2, maxSize: options.vocabularySize ?? 20000 });
  const config = { ...defaultConfig(kind), ...settings.config } as { contextLength: number };
  const model = createModel({ kind, tokenizer, seed: options.seed, config }) as LanguageModel;
  const task = new LanguageModelTask(corpus, tokenizer, config.contextLength);
  progress.event('start', { dataset: corpus.name, synthetic: corpus.synthetic, model: kind, windows: task.trainSize, vocabulary: tokenizer.vocabSize, parameters: model.store.count() });
  const training = await trainConfigured(model, task, { ...trainerOptions, meta }, options, settings.clipping);
  const result = languageModelResult(corpus, model, task, 'val', training.seconds);
  return { result, training, model, task };
}

/**
 * Training of your own model: the dataset as for the built-in ones (intents → classifier,
 * corpora → language model; your files are an intent dataset unless the model you pass is a
 * wrapped language model), a tokenizer fitted on its training split unless given, your model
 * built (or taken) and wrapped, then the same trainer, defaults (private ones with `privacy`),
 * evaluation and checkpoint (in the TensorFlow.js Layers format).
 */
async function runUserModelTraining(options: RunTrainingOptions, userModel: UserModel): Promise<RunTrainingOutput> {
  const wrapped = userModel instanceof LayersClassifier || userModel instanceof LayersLanguageModel ? userModel : undefined;
  const given = options.dataset;
  const registered = typeof given === 'string' ? given : given === undefined ? defaultDatasetName(options.dataDir) : undefined;
  const data: IntentDataset | TextCorpus =
    registered !== undefined
      ? loadDataset(registered, { dataDir: options.dataDir, seed: options.seed })
      : datasetFor(options, wrapped?.task === 'lm' ? 'lm' : 'intent');
  const progress = options.progress ?? SILENT;
  const settings = resolvedSettings(options, LAYERS_MODEL_KIND, data.splits.train.length);
  const trainerOptions = {
    epochs: settings.epochs,
    batchSize: settings.batchSize,
    learningRate: settings.learningRate,
    optimizer: { name: settings.optimizer },
    schedule: settings.schedule,
    warmupSteps: settings.warmupSteps,
    patience: settings.patience,
    seed: options.seed,
    outDir: options.out,
    resume: options.resume,
    timeLimitSeconds: options.timeLimitSeconds,
    maxStepsPerEpoch: options.maxStepsPerEpoch,
    validateEverySteps: options.validateEverySteps,
    progress,
    gradientStep: options.gradientStep,
    batchPlan: options.batchPlan,
  };
  const recipe = {
    model: LAYERS_MODEL_KIND,
    epochs: settings.epochs,
    batchSize: settings.batchSize,
    learningRate: settings.learningRate,
    optimizer: settings.optimizer,
    schedule: settings.schedule,
    warmupSteps: settings.warmupSteps,
    patience: settings.patience ?? null,
    glove: false,
    config: {},
    vocabularySize: options.vocabularySize ?? null,
    minCount: options.minCount ?? null,
  };
  const meta = { ...dataMeta(data, options.seed), recipe, ...options.meta };
  const build = (spec: UserModelSpec, tokenizer: Tokenizer): LayersTextModel => {
    if (wrapped) {
      if (wrapped.task !== spec.task) throw new ConfigError(`your model is a ${wrapped.task === 'lm' ? 'language model' : 'classifier'} but dataset "${data.name}" needs a ${spec.task === 'lm' ? 'language model' : 'classifier'}`);
      if (wrapped.task === 'classifier') {
        const unknown = spec.labels!.filter((l) => !wrapped.labels.includes(l));
        if (unknown.length > 0) {
          throw new ConfigError(`dataset "${data.name}" has labels your model does not know (${unknown.slice(0, 3).join(', ')}${unknown.length > 3 ? ', ...' : ''}; the model's: ${wrapped.labels.slice(0, 3).join(', ')}...): give the labels in output order when wrapping or loading it`);
        }
      }
      return wrapped;
    }
    const layersModel = typeof userModel === 'function' ? userModel(spec) : userModel;
    if (!(layersModel instanceof tf.LayersModel)) {
      throw new ConfigError('model must be a model kind, a tf.LayersModel from the same @tensorflow/tfjs as trustnlu, or a function returning one');
    }
    return wrapLayersModel(layersModel, { tokenizer, task: spec.task, labels: spec.labels, maxLength: spec.maxLength });
  };

  if (data.task === 'intent') {
    const tokenizer = options.tokenizer ?? wrapped?.tokenizer ?? fitWordTokenizer(data.splits.train.map((e) => e.text), { minCount: options.minCount ?? 1, maxSize: options.vocabularySize ?? 20000 });
    const maxLength = options.maxLength ?? (wrapped as LayersClassifier | undefined)?.maxLength ?? 48;
    const labels = options.labels ?? data.labels;
    const unknown = data.labels.filter((l) => !labels.includes(l));
    if (unknown.length > 0) throw new ConfigError(`dataset "${data.name}" has labels that are not among the model's classes (${unknown.slice(0, 3).join(', ')}${unknown.length > 3 ? ', ...' : ''}): give every class name, in the model's output order`);
    const model = build({ task: 'classifier', vocabularySize: tokenizer.vocabSize, labels, maxLength }, tokenizer) as LayersClassifier;
    const task = new ClassificationTask(data, tokenizer, model.labels, model.maxLength);
    progress.event('start', { dataset: data.name, synthetic: data.synthetic, model: LAYERS_MODEL_KIND, train: task.trainSize, parameters: model.store.count() });
    const training = await trainConfigured(model, task, { ...trainerOptions, meta }, options, settings.clipping);
    const result = classifierResult(data, model, task, 'test', { epochs: training.history.length, seconds: training.seconds });
    if (Number.isFinite(training.bestScore)) result.validationAccuracy = training.bestScore;
    const warning = nearChanceWarning(result, data, Boolean(options.privacy));
    if (warning) {
      result.warnings = [warning];
      progress.event('warning', { message: warning });
    }
    return { result, training, model, task };
  }
  const trainTexts = data.splits.train.map(unitText);
  const tokenizer = options.tokenizer ?? wrapped?.tokenizer ?? fitCharTokenizer(trainTexts.map((t) => `${t}\n\n`));
  const contextLength = options.maxLength ?? (wrapped as LayersLanguageModel | undefined)?.contextLength ?? 64;
  const model = build({ task: 'lm', vocabularySize: tokenizer.vocabSize, maxLength: contextLength }, tokenizer) as LayersLanguageModel;
  const task = new LanguageModelTask(data, tokenizer, model.contextLength);
  progress.event('start', { dataset: data.name, synthetic: data.synthetic, model: LAYERS_MODEL_KIND, windows: task.trainSize, vocabulary: tokenizer.vocabSize, parameters: model.store.count() });
  const training = await trainConfigured(model, task, { ...trainerOptions, meta }, options, settings.clipping);
  const result = languageModelResult(data, model, task, 'val', training.seconds);
  return { result, training, model, task };
}

/**
 * One line when a classifier's validation accuracy ended within twice chance (1/labels): the
 * model learned next to nothing, and the line says what to change.
 */
export function nearChanceWarning(result: ClassifierResult, dataset: IntentDataset, isPrivate: boolean): string | undefined {
  const chance = 1 / dataset.labels.length;
  const score = result.validationAccuracy ?? result.accuracy;
  if (!(score < 2 * chance)) return undefined;
  const what = `validation accuracy ${score.toFixed(3)} is near chance (${chance.toFixed(3)} for ${dataset.labels.length} labels): the model learned next to nothing`;
  return isPrivate
    ? `${what}; for private training use the private defaults (drop --batch/--lr/--optimizer/--epochs overrides), a larger ε, more training data, or --glove`
    : `${what}; train longer (--epochs), check the labels, or try another --lr`;
}

export interface RunEvaluationOptions {
  modelDir: string;
  /** Default: the data the model was trained on (as its checkpoint records it). */
  dataset?: string | DatasetSource;
  /** The model already loaded (e.g. a TensorFlow.js Layers model through loadAnyModel, which is asynchronous); it stays the caller's. */
  loaded?: LoadedModel;
  split?: SplitName;
  dataDir?: string;
}

/** Evaluates a saved model on a dataset split; same fields as the training result. */
export function runEvaluation(options: RunEvaluationOptions): ClassifierResult | LanguageModelResult {
  const split = options.split ?? 'test';
  const started = Date.now();
  const elapsed = () => (Date.now() - started) / 1000;
  const { model, meta } = options.loaded ?? loadModel(options.modelDir);
  try {
    const source = evaluationSource(options.dataset, meta, options.dataDir);
    const seed = typeof meta.seed === 'number' ? meta.seed : 0;
    if (model.task === 'classifier') {
      const dataset = loadDatasetSource(source, { dataDir: options.dataDir, seed, task: 'intent' });
      const unknown = dataset.labels.filter((l) => !model.labels.includes(l));
      if (unknown.length > 0) {
        const unnamed = model.kind === LAYERS_MODEL_KIND && model.labels.every((l, i) => l === String(i));
        const hint = unnamed ? `; the model names its ${model.labels.length} classes 0..${model.labels.length - 1} (its model.json records no labels): give their names in output order (the labels option of loadAnyModel, --labels on the command line)` : '';
        throw new ConfigError(`dataset "${dataset.name}" has labels the model was not trained on (${unknown.slice(0, 3).join(', ')}${unknown.length > 3 ? ', ...' : ''})${hint}`);
      }
      const task = new ClassificationTask(dataset, model.tokenizer, model.labels, model.maxLength);
      return classifierResult(dataset, model, task, split, { epochs: Number(meta.epoch ?? 0) + 1, seconds: elapsed() });
    }
    const corpus = loadDatasetSource(source, { dataDir: options.dataDir, seed, task: 'lm' });
    const task = new LanguageModelTask(corpus, model.tokenizer, model.contextLength);
    return languageModelResult(corpus, model, task, split, elapsed());
  } finally {
    if (!options.loaded) model.dispose(); // a model handed in stays the caller's
  }
}

/**
 * The data a saved model is evaluated or audited on: the one given, else the one its checkpoint
 * records (files or a name), else the default dataset.
 */
export function evaluationSource(given: string | DatasetSource | undefined, meta: Record<string, unknown>, dataDir?: string): DatasetSource {
  if (typeof given === 'string') return { kind: 'registry', name: given };
  if (given !== undefined) return given;
  const recorded = meta.dataSource as DatasetSource | undefined;
  if (recorded && (recorded.kind === 'registry' || recorded.kind === 'files')) return recorded;
  const name = typeof meta.dataset === 'string' ? meta.dataset : defaultDatasetName(dataDir);
  return { kind: 'registry', name };
}
