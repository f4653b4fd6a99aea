/**
 * Training a model with canaries planted in its training split (classifier or language
 * model), optionally with DP-SGD, saving the canaries in the checkpoint meta so that
 * `audit exposure` and `audit extract` can later read them from the model directory.
 *
 * The tokenizer is fitted on the (canary-bearing) training split plus every symbol of the
 * canary format's alphabets, so never-inserted reference canaries are not unknown tokens.
 * Classifiers can use a character tokenizer (the character-level input defence of Parikh et
 * al.): the classifier architectures work over any tokenizer; only maxLength must grow.
 */
import { existsSync, readFileSync } from 'node:fs';
import { ConfigError } from '../../errors.js';
import { SeededRandom } from '../../engine/index.js';
import { loadCorpus, loadIntentDataset } from '../../data/registry.js';
import type { IntentDataset, TextCorpus } from '../../data/types.js';
import { createModel, defaultConfig, isClassifierKind, isLanguageModelKind, type AnyModel } from '../../models/index.js';
import { fitCharTokenizer, fitWordTokenizer } from '../../text/index.js';
import {
  ClassificationTask,
  LanguageModelTask,
  SILENT,
  gloveEmbeddings,
  TRAINING_DEFAULTS,
  train,
  unitText,
  type OptimizerName,
  type ProgressReporter,
  type TrainerOptions,
  type TrainingResult,
} from '../../train/index.js';
import { PrivateTraining } from '../dpsgd/index.js';
import { drawCanaries, insertCanariesIntoCorpus, insertCanariesIntoDataset, parseCanaries, type Canary, type CanaryPlan } from './canaries.js';

export interface CanaryTrainingOptions {
  /** Dataset name, or an already loaded dataset/corpus (e.g. with audit examples held out). */
  dataset: string | IntentDataset | TextCorpus;
  dataDir?: string;
  /** Model kind (classifier or language model). */
  model: string;
  /** Classifiers: 'word' (default) or 'char' (the character-level input defence). */
  tokenizer?: 'word' | 'char';
  canaries: CanaryPlan;
  epochs: number;
  seed: number;
  /** Checkpoint directory (best validation epoch, with the canaries in meta). */
  out?: string;
  config?: Record<string, unknown>;
  batchSize?: number;
  learningRate?: number;
  /** Optimiser (default: the kind's). */
  optimizer?: OptimizerName;
  /** Classifiers with a word tokenizer: initialise the embedding table from the GloVe subset. */
  glove?: boolean;
  /** Early stopping (a defence Parikh et al. evaluate); default: none, train every epoch. */
  patience?: number;
  maxStepsPerEpoch?: number;
  /** Keep only this many examples/units of the original training split (the canaries are added on top). */
  trainSubset?: number;
  dp?: { epsilon: number; delta: number; clip?: number };
  progress?: ProgressReporter;
}

export interface CanaryTrainingOutput {
  model: AnyModel;
  canaries: Canary[];
  training: TrainingResult;
  /** ε of the planned DP steps (an upper bound on what was spent), null without DP. */
  epsilon: number | null;
  synthetic: boolean;
  meta: Record<string, unknown>;
  /** The initial embedding table (GloVe), when one was used: shadow models start from it too. */
  initialEmbeddings?: Float32Array;
}

const ALPHABET_SYMBOLS: Record<string, string> = { '{d}': '0123456789', '{l}': 'abcdefghijklmnopqrstuvwxyz' };

function formatSymbols(format: string): string[] {
  const used = new Set(format.match(/\{[dl]\}/g) ?? []);
  return [...used].flatMap((s) => [...ALPHABET_SYMBOLS[s]]);
}

export async function trainWithCanaries(options: CanaryTrainingOptions): Promise<CanaryTrainingOutput> {
  const kind = options.model;
  const rng = new SeededRandom(options.seed).fork('canaries');
  const defaults = TRAINING_DEFAULTS[kind];
  if (!defaults) throw new ConfigError(`unknown model "${kind}"`);
  const progress = options.progress ?? SILENT;
  const symbols = formatSymbols(options.canaries.format);
  const trainerOptions: TrainerOptions = {
    epochs: options.epochs,
    batchSize: options.batchSize ?? defaults.batchSize,
    learningRate: options.learningRate ?? defaults.learningRate,
    optimizer: { name: options.optimizer ?? defaults.optimizer },
    schedule: defaults.schedule,
    warmupSteps: defaults.warmupSteps,
    patience: options.patience,
    maxStepsPerEpoch: options.maxStepsPerEpoch,
    seed: options.seed,
    progress,
  };
  let model: AnyModel;
  let task: ClassificationTask | LanguageModelTask;
  let canaries: Canary[];
  let initialEmbeddings: Float32Array | undefined;
  let synthetic: boolean;
  let datasetName: string;
  if (isClassifierKind(kind)) {
    let dataset = typeof options.dataset === 'string' ? loadIntentDataset(options.dataset, { dataDir: options.dataDir, seed: options.seed }) : (options.dataset as IntentDataset);
    if (dataset.task !== 'intent') throw new ConfigError(`model "${kind}" is a classifier but dataset "${dataset.name}" is a text corpus`);
    if (options.trainSubset !== undefined) {
      const keep = rng.permutation(dataset.splits.train.length).slice(0, options.trainSubset).map((i) => dataset.splits.train[i]);
      dataset = { ...dataset, splits: { ...dataset.splits, train: keep } };
    }
    const plan = { ...options.canaries };
    if (!plan.label && !plan.labels) {
      // one distinct in-scope label per canary, so each extraction trial knows which secret it targets
      const inScope = dataset.labels.filter((l) => l !== dataset.outOfScopeLabel);
      if (plan.repetitions.length > inScope.length) throw new ConfigError(`${plan.repetitions.length} canaries but only ${inScope.length} labels to give them`);
      plan.labels = rng.permutation(inScope.length).slice(0, plan.repetitions.length).map((i) => inScope[i]);
    }
    canaries = drawCanaries(plan, rng);
    dataset = insertCanariesIntoDataset(dataset, canaries, rng);
    const texts = dataset.splits.train.map((e) => e.text);
    const char = options.tokenizer === 'char';
    const tokenizer = char ? fitCharTokenizer([...texts, symbols.join('')]) : fitWordTokenizer([...texts, symbols.join(' ')], { minCount: 1, maxSize: 20000 });
    const config = { ...defaultConfig(kind), ...(char ? { maxLength: 160 } : {}), ...(options.config ?? {}) } as { maxLength: number };
    if (options.glove && char) throw new ConfigError('--glove needs a word tokenizer (GloVe has word vectors)');
    initialEmbeddings = options.glove ? gloveEmbeddings(tokenizer, (config as unknown as { embeddingDim: number }).embeddingDim, options.seed, options.dataDir).table : undefined;
    model = createModel({ kind, tokenizer, labels: dataset.labels, seed: options.seed, config, initialEmbeddings });
    task = new ClassificationTask(dataset, tokenizer, dataset.labels, config.maxLength);
    synthetic = dataset.synthetic;
    datasetName = dataset.name;
  } else if (isLanguageModelKind(kind)) {
    if (options.tokenizer === 'word' && kind.startsWith('char')) throw new ConfigError(`model "${kind}" is character-level; drop --tokenizer word`);
    let corpus = typeof options.dataset === 'string' ? loadCorpus(options.dataset, { dataDir: options.dataDir, seed: options.seed }) : (options.dataset as TextCorpus);
    if (corpus.task !== 'lm') throw new ConfigError(`model "${kind}" is a language model but dataset "${corpus.name}" is an intent dataset`);
    if (options.trainSubset !== undefined) corpus = { ...corpus, splits: { ...corpus.splits, train: corpus.splits.train.slice(0, options.trainSubset) } };
    canaries = drawCanaries(options.canaries, rng);
    corpus = insertCanariesIntoCorpus(corpus, canaries, rng);
    const texts = corpus.splits.train.map(unitText);
    const tokenizer = kind.startsWith('char')
      ? fitCharTokenizer([...texts.map((t) => `${t}\n\n`), symbols.join('')])
      : fitWordTokenizer([...texts, symbols.join(' ')], { minCount: 1, maxSize: 20000 });
    const config = { ...defaultConfig(kind), ...(options.config ?? {}) } as { contextLength: number };
    model = createModel({ kind, tokenizer, seed: options.seed, config });
    task = new LanguageModelTask(corpus, tokenizer, config.contextLength);
    synthetic = corpus.synthetic;
    datasetName = corpus.name;
  } else {
    throw new ConfigError(`unknown model "${kind}"`);
  }
  let privacy: PrivateTraining | undefined;
  let epsilon: number | null = null;
  const meta: Record<string, unknown> = {
    dataset: datasetName,
    synthetic,
    seed: options.seed,
    canaries,
    recipe: {
      model: kind,
      epochs: options.epochs,
      batchSize: trainerOptions.batchSize,
      learningRate: trainerOptions.learningRate,
      optimizer: options.optimizer ?? defaults.optimizer,
      schedule: trainerOptions.schedule,
      warmupSteps: trainerOptions.warmupSteps,
      patience: options.patience ?? null,
      config: options.config ?? {},
      tokenizer: options.tokenizer ?? (kind.startsWith('char') ? 'char' : 'word'),
      trainSubset: options.trainSubset ?? null,
      glove: options.glove ?? false,
    },
  };
  try {
    if (options.dp) {
      privacy = new PrivateTraining({ epsilon: options.dp.epsilon, delta: options.dp.delta, clip: options.dp.clip ?? 1 });
      const plan = privacy.configure({ model, trainSize: task.trainSize, batchSize: trainerOptions.batchSize, epochs: options.epochs, maxStepsPerEpoch: options.maxStepsPerEpoch });
      trainerOptions.gradientStep = plan.gradientStep;
      trainerOptions.batchPlan = plan.batchPlan;
      epsilon = privacy.report(plan.plannedSteps).epsilon;
      meta.dp = { ...(plan.meta.dp as object), epsilon };
    }
    progress.event('start', { dataset: datasetName, synthetic, model: kind, train: task.trainSize, canaries: canaries.length });
    const training = await train(model, task, { ...trainerOptions, outDir: options.out, meta });
    return { model, canaries, training, epsilon, synthetic, meta, initialEmbeddings };
  } catch (error) {
    model.dispose();
    throw error;
  } finally {
    privacy?.dispose();
  }
}

export function canariesOf(meta: Record<string, unknown>, where: string): Canary[] {
  const canaries = meta.canaries;
  if (!Array.isArray(canaries) || canaries.length === 0) {
    throw new ConfigError(`${where} records no canaries in its meta: train it with "trustnlu audit train-canaries" (or trainWithCanaries), or name the canaries you planted with --canaries FILE`);
  }
  return canaries as Canary[];
}

/** Canaries a user planted, from a JSON file (parseCanaries). */
export function readCanariesFile(path: string): Canary[] {
  if (!existsSync(path)) throw new ConfigError(`--canaries ${path}: no such file`);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new ConfigError(`${path}: not valid JSON (${(e as Error).message})`);
  }
  return parseCanaries(json, path);
}

