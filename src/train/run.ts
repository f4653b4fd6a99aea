/**
 * End-to-end jobs behind `trustnlu train` and `trustnlu eval`: load a dataset by name (or take a loaded one),
 * build the tokenizer and model, train with the kind's defaults, evaluate, save. The
 * result objects are the CLI's JSON contract.
 */
import { ConfigError } from '../errors.js';
import { loadCorpus, loadDataset, loadIntentDataset, defaultDatasetName } from '../data/registry.js';
import { gloveVectorsPath } from '../data/locate.js';
import { readWord2VecText } from '../data/word-vectors.js';
import type { IntentDataset, SplitName, TextCorpus } from '../data/types.js';
import { SeededRandom, tf } from '../engine/index.js';
import {
  LAYERS_MODEL_KIND,
  LayersClassifier,
  LayersLanguageModel,
  wrapLayersModel,
  type LayersTextModel,
  createModel,
  defaultConfig,
  isClassifierKind,
  isLanguageModelKind,
  loadModel,
  MODEL_KINDS,
  type AnyModel,
  type ClassifierModel,
  type LanguageModel,
  type LoadedModel,
} from '../models/index.js';
import { fitCharTokenizer, fitWordTokenizer, type Tokenizer } from '../text/index.js';
import { unitText } from './examples.js';
import type { OptimizerName, ScheduleName } from './optimizers.js';
import { SILENT, type ProgressReporter } from './progress.js';
import { ClassificationTask, LanguageModelTask } from './tasks.js';
import { train, type GradientStep, type TrainerOptions, type TrainingResult } from './trainer.js';

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

export interface RunTrainingOptions {
  /**
   * Dataset name (default: clinc150 when its files are found, else synthetic), or an already
   * loaded dataset/corpus (e.g. with a transformed training split: skew, augmentation, hold-out).
   */
  dataset?: string | IntentDataset | TextCorpus;
  /** Model kind (embbag, cnn, transformer, char-lstm, char-transformer, word-lstm, word-transformer), or your own model. */
  model: string | UserModel;
  /** Your own model only: its tokenizer (default: fitted on the training split, words for intents and characters for corpora). */
  tokenizer?: Tokenizer;
  /** Your own model only: longest input in tokens (classifiers, default 48) or context length (LMs, default 64). */
  maxLength?: number;
  epochs: number;
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
}

/** What `configureTraining` returns (every field optional). */
export interface TrainingConfiguration {
  gradientStep?: GradientStep;
  batchPlan?: TrainerOptions['batchPlan'];
  /** Merged into the checkpoint's meta (e.g. the privacy mechanism). */
  meta?: Record<string, unknown>;
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

/** Trains with the caller's overrides from `configureTraining`, if any. */
function trainConfigured(
  model: AnyModel,
  task: ClassificationTask | LanguageModelTask,
  trainerOptions: TrainerOptions,
  options: RunTrainingOptions,
): Promise<TrainingResult> {
  const extra = options.configureTraining?.({
    model,
    trainSize: task.trainSize,
    batchSize: trainerOptions.batchSize,
    epochs: trainerOptions.epochs,
    maxStepsPerEpoch: trainerOptions.maxStepsPerEpoch,
  }) ?? {};
  return train(model, task, {
    ...trainerOptions,
    gradientStep: extra.gradientStep ?? trainerOptions.gradientStep,
    batchPlan: extra.batchPlan ?? trainerOptions.batchPlan,
    meta: { ...trainerOptions.meta, ...extra.meta },
  });
}

/** The trainer's options from runTraining's, with the kind's defaults. */
function trainerOptionsFor(options: RunTrainingOptions, kind: string): TrainerOptions & { optimizer: { name: OptimizerName }; schedule: ScheduleName; warmupSteps: number; batchSize: number; learningRate: number } {
  const defaults = TRAINING_DEFAULTS[kind];
  return {
    epochs: options.epochs,
    batchSize: options.batchSize ?? defaults.batchSize,
    learningRate: options.learningRate ?? defaults.learningRate,
    optimizer: { name: options.optimizer ?? defaults.optimizer },
    schedule: options.schedule ?? defaults.schedule,
    warmupSteps: options.warmupSteps ?? defaults.warmupSteps,
    patience: options.patience ?? defaults.patience,
    seed: options.seed,
    outDir: options.out,
    resume: options.resume,
    timeLimitSeconds: options.timeLimitSeconds,
    maxStepsPerEpoch: options.maxStepsPerEpoch,
    validateEverySteps: options.validateEverySteps,
    progress: options.progress ?? SILENT,
    gradientStep: options.gradientStep,
    batchPlan: options.batchPlan,
  };
}

/** How a model was trained, stored in the checkpoint so audits can train shadow models the same way. */
function recipeOf(options: RunTrainingOptions, kind: string, trainerOptions: ReturnType<typeof trainerOptionsFor>): Record<string, unknown> {
  return {
    model: kind,
    epochs: options.epochs,
    batchSize: trainerOptions.batchSize,
    learningRate: trainerOptions.learningRate,
    optimizer: trainerOptions.optimizer.name,
    schedule: trainerOptions.schedule,
    warmupSteps: trainerOptions.warmupSteps,
    patience: trainerOptions.patience ?? null,
    glove: options.glove ?? false,
    config: options.config ?? {},
    vocabularySize: options.vocabularySize ?? null,
    minCount: options.minCount ?? null,
  };
}

/**
 * Training of your own model: the dataset as for the built-in ones (intents → classifier,
 * corpora → language model), a tokenizer fitted on its training split unless given, your
 * model built (or taken) and wrapped, then the same trainer, evaluation and checkpoint (in
 * the TensorFlow.js Layers format).
 */
async function runUserModelTraining(options: RunTrainingOptions, userModel: UserModel): Promise<RunTrainingOutput> {
  const loaded = typeof options.dataset === 'object' ? options.dataset : undefined;
  const datasetName = loaded?.name ?? (options.dataset as string | undefined) ?? defaultDatasetName(options.dataDir);
  const wrapped = userModel instanceof LayersClassifier || userModel instanceof LayersLanguageModel ? userModel : undefined;
  const progress = options.progress ?? SILENT;
  const trainerOptions = trainerOptionsFor(options, LAYERS_MODEL_KIND);
  const recipe = recipeOf(options, LAYERS_MODEL_KIND, trainerOptions);
  const build = (spec: UserModelSpec, tokenizer: Tokenizer): LayersTextModel => {
    if (wrapped) {
      if (wrapped.task !== spec.task) throw new ConfigError(`your model is a ${wrapped.task === 'lm' ? 'language model' : 'classifier'} but dataset "${datasetName}" needs a ${spec.task === 'lm' ? 'language model' : 'classifier'}`);
      if (wrapped.task === 'classifier') {
        const unknown = spec.labels!.filter((l) => !wrapped.labels.includes(l));
        if (unknown.length > 0) {
          throw new ConfigError(`dataset "${datasetName}" has labels your model does not know (${unknown.slice(0, 3).join(', ')}${unknown.length > 3 ? ', ...' : ''}; the model's: ${wrapped.labels.slice(0, 3).join(', ')}...): give the labels in output order when wrapping or loading it`);
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
  const meta = (name: string, synthetic: boolean) => ({ dataset: name, synthetic, seed: options.seed, recipe, ...options.meta });

  const dataset = loaded ?? loadDataset(datasetName, { dataDir: options.dataDir, seed: options.seed });
  if (dataset.task === 'intent') {
    const tokenizer = options.tokenizer ?? wrapped?.tokenizer ?? fitWordTokenizer(dataset.splits.train.map((e) => e.text), { minCount: options.minCount ?? 1, maxSize: options.vocabularySize ?? 20000 });
    const maxLength = options.maxLength ?? (wrapped as LayersClassifier | undefined)?.maxLength ?? 48;
    const model = build({ task: 'classifier', vocabularySize: tokenizer.vocabSize, labels: dataset.labels, maxLength }, tokenizer) as LayersClassifier;
    const task = new ClassificationTask(dataset, tokenizer, model.labels, model.maxLength);
    progress.event('start', { dataset: dataset.name, synthetic: dataset.synthetic, model: LAYERS_MODEL_KIND, train: task.trainSize, parameters: model.store.count() });
    const training = await trainConfigured(model, task, { ...trainerOptions, meta: meta(dataset.name, dataset.synthetic) }, options);
    const result = classifierResult(dataset, model, task, 'test', { epochs: training.history.length, seconds: training.seconds });
    if (Number.isFinite(training.bestScore)) result.validationAccuracy = training.bestScore;
    return { result, training, model, task };
  }
  const trainTexts = dataset.splits.train.map(unitText);
  const tokenizer = options.tokenizer ?? wrapped?.tokenizer ?? fitCharTokenizer(trainTexts.map((t) => `${t}\n\n`));
  const contextLength = options.maxLength ?? (wrapped as LayersLanguageModel | undefined)?.contextLength ?? 64;
  const model = build({ task: 'lm', vocabularySize: tokenizer.vocabSize, maxLength: contextLength }, tokenizer) as LayersLanguageModel;
  const task = new LanguageModelTask(dataset, tokenizer, model.contextLength);
  progress.event('start', { dataset: dataset.name, synthetic: dataset.synthetic, model: LAYERS_MODEL_KIND, windows: task.trainSize, vocabulary: tokenizer.vocabSize, parameters: model.store.count() });
  const training = await trainConfigured(model, task, { ...trainerOptions, meta: meta(dataset.name, dataset.synthetic) }, options);
  const result = languageModelResult(dataset, model, task, 'val', training.seconds);
  return { result, training, model, task };
}

export async function runTraining(options: RunTrainingOptions): Promise<RunTrainingOutput> {
  if (typeof options.model !== 'string') return runUserModelTraining(options, options.model);
  checkKind(options.model);
  const loaded = typeof options.dataset === 'object' ? options.dataset : undefined;
  const datasetName = loaded?.name ?? (options.dataset as string | undefined) ?? defaultDatasetName(options.dataDir);
  const kind = options.model;
  const progress = options.progress ?? SILENT;
  const trainerOptions = trainerOptionsFor(options, kind);

  // How this model was trained, stored in the checkpoint so audits can train shadow models the same way.
  const recipe = recipeOf(options, kind, trainerOptions);

  if (isClassifierKind(kind)) {
    if (loaded && loaded.task !== 'intent') throw new ConfigError(`model "${kind}" is a classifier but dataset "${loaded.name}" is a text corpus`);
    const dataset = (loaded as IntentDataset | undefined) ?? loadIntentDataset(datasetName, { dataDir: options.dataDir, seed: options.seed });
    const tokenizer = fitWordTokenizer(
      dataset.splits.train.map((e) => e.text),
      { minCount: options.minCount ?? 1, maxSize: options.vocabularySize ?? 20000 },
    );
    const config = { ...defaultConfig(kind), ...(options.config ?? {}) } as { embeddingDim: number; maxLength: number };
    let initialEmbeddings: Float32Array | undefined;
    if (options.glove) {
      const g = gloveEmbeddings(tokenizer, config.embeddingDim, options.seed, options.dataDir);
      initialEmbeddings = g.table;
      progress.event('glove', { found: g.found, vocabulary: tokenizer.vocabSize });
    }
    const model = createModel({ kind, tokenizer, labels: dataset.labels, seed: options.seed, config, initialEmbeddings }) as ClassifierModel;
    const task = new ClassificationTask(dataset, tokenizer, dataset.labels, config.maxLength);
    progress.event('start', { dataset: dataset.name, synthetic: dataset.synthetic, model: kind, train: task.trainSize, parameters: model.store.count() });
    const training = await trainConfigured(model, task, { ...trainerOptions, meta: { dataset: dataset.name, synthetic: dataset.synthetic, seed: options.seed, recipe, ...options.meta } }, options);
    const result = classifierResult(dataset, model, task, 'test', { epochs: training.history.length, seconds: training.seconds });
    if (Number.isFinite(training.bestScore)) result.validationAccuracy = training.bestScore;
    return { result, training, model, task };
  }

  if (!isLanguageModelKind(kind)) throw new ConfigError(`unknown model "${kind}"`);
  if (loaded && loaded.task !== 'lm') throw new ConfigError(`model "${kind}" is a language model but dataset "${loaded.name}" is an intent dataset`);
  const corpus = (loaded as TextCorpus | undefined) ?? loadCorpus(datasetName, { dataDir: options.dataDir, seed: options.seed });
  const trainTexts = corpus.splits.train.map(unitText);
  const tokenizer = kind.startsWith('char')
    ? fitCharTokenizer(trainTexts.map((t) => `${t}\n\n`))
    : fitWordTokenizer(trainTexts, { minCount: options.minCount ?? 2, maxSize: options.vocabularySize ?? 20000 });
  const config = { ...defaultConfig(kind), ...(options.config ?? {}) } as { contextLength: number };
  const model = createModel({ kind, tokenizer, seed: options.seed, config }) as LanguageModel;
  const task = new LanguageModelTask(corpus, tokenizer, config.contextLength);
  progress.event('start', { dataset: corpus.name, synthetic: corpus.synthetic, model: kind, windows: task.trainSize, vocabulary: tokenizer.vocabSize, parameters: model.store.count() });
  const training = await trainConfigured(model, task, { ...trainerOptions, meta: { dataset: corpus.name, synthetic: corpus.synthetic, seed: options.seed, recipe, ...options.meta } }, options);
  const result = languageModelResult(corpus, model, task, 'val', training.seconds);
  return { result, training, model, task };
}

export interface RunEvaluationOptions {
  modelDir: string;
  /** The model already loaded (e.g. a TensorFlow.js Layers model through loadAnyModel, which is asynchronous); it stays the caller's. */
  loaded?: LoadedModel;
  dataset?: string;
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
    const datasetName = options.dataset ?? (meta.dataset as string | undefined) ?? defaultDatasetName(options.dataDir);
    const seed = typeof meta.seed === 'number' ? meta.seed : 0;
    if (model.task === 'classifier') {
      const dataset = loadIntentDataset(datasetName, { dataDir: options.dataDir, seed });
      const unknown = dataset.labels.filter((l) => !model.labels.includes(l));
      if (unknown.length > 0) {
        throw new ConfigError(`dataset "${dataset.name}" has labels the model was not trained on (${unknown.slice(0, 3).join(', ')}...)`);
      }
      const task = new ClassificationTask(dataset, model.tokenizer, model.labels, model.maxLength);
      return classifierResult(dataset, model, task, split, { epochs: Number(meta.epoch ?? 0) + 1, seconds: elapsed() });
    }
    const corpus = loadCorpus(datasetName, { dataDir: options.dataDir, seed });
    const task = new LanguageModelTask(corpus, model.tokenizer, model.contextLength);
    return languageModelResult(corpus, model, task, split, elapsed());
  } finally {
    if (!options.loaded) model.dispose(); // a model handed in stays the caller's
  }
}
