/**
 * Training many classifiers on different subsets of one example list, in parallel on the
 * engine's worker pool (one tfjs engine per worker) or on the Redis queue (`queue`): LiRA's shadow models, and the target
 * models of a membership experiment. This file is also the pool's job-handler module
 * (`init(config)` receives the examples once; each job names the training indices and the
 * seed). A job returns, for every example of the list, the statistics membership attacks
 * need: LiRA's φ (the stable logit of the true-class probability) and the loss.
 *
 * Every model of a run uses the same tokenizer (the target's, or one fitted on the whole
 * list), so the models differ only in their training examples and seed.
 *
 * A user's tf.LayersModel (kind 'layers') travels to the workers as its topology (model.json's
 * modelTopology, plain JSON): each worker rebuilds the architecture with tf.models.modelFromJSON
 * (trustnlu/layers registered, so its layers deserialise) and fresh weights drawn by the
 * model's own initialisers, seeded from the job's seed, then wraps it with the tokenizer.
 * A custom layer class of the user's own is only known where the user registered it: train
 * such shadows in this thread (workers: 0).
 */
import { availableParallelism } from 'node:os';
import { initEngine, tf, type BackendName } from '../../engine/index.js';
import { WorkerPool } from '../../engine/workers/index.js';
import { QueueJobRunner, type JobRunner, type QueueRunOptions } from '../../engine/jobs/index.js';
import { ConfigError } from '../../errors.js';
import { createModel, LAYERS_MODEL_KIND, LayersClassifier, layersModelFromTopology, seededTopology, wrapLayersModel, type ClassifierModel } from '../../models/index.js';
import { tokenizerFromJSON, type Tokenizer, type TokenizerJSON } from '../../text/index.js';
import type { IntentDataset, TextExample } from '../../data/types.js';
import { ClassificationTask, train, type OptimizerName, type ScheduleName, type TrainerOptions } from '../../train/index.js';
import { PrivateTraining } from '../dpsgd/index.js';
import { membershipStatistics } from './membership-statistics.js';
import { classifierSpecCheckpoint, classifierSpecFromCheckpoint } from './shadow-transport.js';
import type { CheckpointFiles } from '../../engine/index.js';

function isCheckpointFiles(model: ClassifierSpec | CheckpointFiles): model is CheckpointFiles {
  return 'modelJson' in model && 'weights' in model;
}

/** How every model of the run is trained (the target checkpoint's `recipe`). */
export interface TrainingRecipe {
  epochs: number;
  batchSize: number;
  learningRate: number;
  optimizer: OptimizerName;
  schedule: ScheduleName;
  warmupSteps: number;
  /** Early stopping on the validation examples; null/undefined: train every epoch. */
  patience?: number | null;
  /** Stop once validation accuracy reaches this (a control trained to another model's accuracy). */
  stopAtAccuracy?: number;
  /** Validate every this many steps too (a finer stop for `stopAtAccuracy`). */
  validateEverySteps?: number;
  /** The best validation epoch's weights (default) or those at the stop. */
  keep?: 'best' | 'last';
}

/** DP-SGD for every model (the target's mechanism). Give a noise multiplier or a target ε. */
export interface DpRecipe {
  noiseMultiplier?: number;
  epsilon?: number;
  delta: number;
  clip?: number;
  /** Flat (default) or per-layer clipping (the private recipe's). */
  clipping?: 'flat' | 'per-layer';
}

export interface ClassifierSpec {
  kind: string;
  config: Record<string, unknown>;
  tokenizer: TokenizerJSON;
  labels: string[];
  /** Initial embedding table [vocab × dim] (e.g. GloVe rows) when the target started from one. */
  initialEmbeddings?: Float32Array;
  /** Kind 'layers': the user's architecture (model.json's modelTopology); shadows are clones of it with fresh weights. */
  topology?: object;
  /** Kind 'layers': the longest input in tokens. */
  maxLength?: number;
}

/** How to build more models like `model` (a built-in kind, or a clone of a user's tf.LayersModel). */
export function classifierSpecOf(model: ClassifierModel, initialEmbeddings?: Float32Array): ClassifierSpec {
  const base = { kind: model.kind, config: model.config as Record<string, unknown>, tokenizer: model.tokenizer.toJSON(), labels: model.labels };
  if (model instanceof LayersClassifier) {
    return { ...base, topology: model.layersModel.toJSON(null, false) as object, maxLength: model.maxLength };
  }
  return { ...base, initialEmbeddings };
}

/** A fresh classifier of the spec's architecture with weights from `seed` (a clone, for kind 'layers'). */
export async function buildShadowClassifier(spec: ClassifierSpec, tokenizer: Tokenizer, seed: number): Promise<ClassifierModel> {
  if (spec.kind !== LAYERS_MODEL_KIND) {
    return createModel({ kind: spec.kind, tokenizer, labels: spec.labels, seed, config: spec.config as never, initialEmbeddings: spec.initialEmbeddings }) as ClassifierModel;
  }
  if (!spec.topology) throw new ConfigError('a shadow of a tf.LayersModel needs its topology (classifierSpecOf records it)');
  const layersModel = await layersModelFromTopology(seededTopology(spec.topology, seed), 'for a shadow model');
  // The generic-loop warnings were given for the target already.
  return wrapLayersModel(layersModel, { tokenizer, task: 'classifier', labels: spec.labels, maxLength: spec.maxLength, warn: () => undefined }) as ClassifierModel;
}

export interface ShadowTrainingConfig {
  /** The models' architecture; on the queue, in the checkpoint format (shadow-transport.ts). */
  model: ClassifierSpec | CheckpointFiles;
  recipe: TrainingRecipe;
  dp?: DpRecipe;
  /** Every example any model may train on; statistics are returned for all of them. */
  examples: TextExample[];
  /** Validation examples (early stopping and the best checkpoint), never trained on. */
  validation: TextExample[];
  /** Statistics only for the first `audited` examples (the audited pool; the rest is trained on, never attacked). Default: all. */
  audited?: number;
  /** Test examples: each model's accuracy on them is reported (utility beside the attack). */
  test?: TextExample[];
  /** The out-of-scope label, if any: test accuracy is then the in-scope accuracy, as `trustnlu train` reports it. */
  outOfScopeLabel?: string;
}

export interface ShadowJob {
  /** Indices into `examples` this model trains on. */
  trainIndices: Int32Array;
  seed: number;
}

export interface ShadowResult {
  /** LiRA's φ for every example of the list. */
  stats: Float64Array;
  /** Cross-entropy of every example of the list. */
  losses: Float64Array;
  /** Accuracy on the validation examples (of the weights kept). */
  validationAccuracy: number;
  /** Accuracy on the config's test examples (in-scope accuracy when the config names an out-of-scope label), null without them. */
  testAccuracy: number | null;
  /** 1-based epoch whose weights were attacked, and the steps trained. */
  epochUsed: number;
  steps: number;
  /** ε actually spent (DP runs), else null. */
  epsilon: number | null;
  seconds: number;
}

function asDataset(train: TextExample[], validation: TextExample[], test: TextExample[], labels: string[], outOfScopeLabel?: string): IntentDataset {
  return {
    name: 'membership-experiment',
    task: 'intent',
    labels,
    ...(outOfScopeLabel ? { outOfScopeLabel } : {}),
    splits: { train, val: validation.length > 0 ? validation : train.slice(0, 1), test },
    synthetic: false,
    notes: [],
    licence: '',
    source: '',
  };
}

/** One worker's data; the in-process runner makes one directly. */
export class ShadowTrainer {
  private readonly spec: ClassifierSpec;

  constructor(private readonly config: ShadowTrainingConfig) {
    if (config.examples.length === 0) throw new ConfigError('shadow training: the example list is empty');
    this.spec = isCheckpointFiles(config.model) ? classifierSpecFromCheckpoint(config.model, 'the run\'s model specification') : config.model;
  }

  async handle(job: ShadowJob): Promise<ShadowResult> {
    const started = Date.now();
    const { spec } = this;
    const { recipe } = this.config;
    const tokenizer = tokenizerFromJSON(spec.tokenizer);
    const model = await buildShadowClassifier(spec, tokenizer, job.seed);
    let privacy: PrivateTraining | undefined;
    try {
      const trainExamples = Array.from(job.trainIndices, (i) => {
        const e = this.config.examples[i];
        if (!e) throw new ConfigError(`shadow job: training index ${i} is outside the ${this.config.examples.length} examples`);
        return e;
      });
      const test = this.config.test ?? [];
      const task = new ClassificationTask(asDataset(trainExamples, this.config.validation, test, spec.labels, this.config.outOfScopeLabel), tokenizer, spec.labels, model.maxLength);
      const options: TrainerOptions = {
        epochs: recipe.epochs,
        batchSize: recipe.batchSize,
        learningRate: recipe.learningRate,
        optimizer: { name: recipe.optimizer },
        schedule: recipe.schedule,
        warmupSteps: recipe.warmupSteps,
        patience: recipe.patience ?? undefined,
        stopAtScore: recipe.stopAtAccuracy,
        validateEverySteps: recipe.validateEverySteps,
        keep: recipe.keep,
        seed: job.seed,
      };
      if (this.config.dp) {
        const dp = this.config.dp;
        privacy = new PrivateTraining({
          ...(dp.noiseMultiplier !== undefined ? { noiseMultiplier: dp.noiseMultiplier } : { epsilon: dp.epsilon }),
          delta: dp.delta,
          clip: dp.clip ?? 1,
          clipping: dp.clipping,
          // a pool worker is already one of the cores: no extra noise thread
          prefetchNoise: false,
        });
        const plan = privacy.configure({ model, trainSize: task.trainSize, batchSize: recipe.batchSize, epochs: recipe.epochs });
        options.gradientStep = plan.gradientStep;
        options.batchPlan = plan.batchPlan;
      }
      const result = await train(model, task, options);
      const { stats, losses } = membershipStatistics(model, this.config.examples.slice(0, this.config.audited));
      const kept = recipe.keep === 'last' ? task.validate(model).score : result.bestValidation.accuracy;
      return {
        stats,
        losses,
        validationAccuracy: kept ?? NaN,
        testAccuracy: test.length > 0 ? testAccuracy(task.evaluate(model, 'test')) : null,
        epochUsed: result.epochUsed,
        steps: result.steps,
        epsilon: privacy ? privacy.report(result.steps).epsilon : null,
        seconds: (Date.now() - started) / 1000,
      };
    } finally {
      privacy?.dispose();
      model.dispose();
    }
  }
}

function testAccuracy(m: { accuracy: number; inScopeAccuracy?: number }): number {
  return m.inScopeAccuracy ?? m.accuracy;
}

let trainer: ShadowTrainer | undefined;

export function init(config: ShadowTrainingConfig): void {
  trainer = new ShadowTrainer(config);
}

export function handle(job: ShadowJob): Promise<ShadowResult> {
  if (!trainer) throw new ConfigError('shadow worker: handle() called before init()');
  return trainer.handle(job);
}

export interface TrainManyOptions {
  /** Worker threads (default: one per core, at most one per job); 0 trains in this thread. Ignored with `queue`. */
  workers?: number;
  backend?: BackendName;
  /** Called as each model finishes, with its job index. */
  onModel?: (result: ShadowResult, index: number) => void;
  /** Train the models on the Redis queue (trustnlu worker processes) instead of local threads. */
  queue?: QueueRunOptions;
}

/** The job handler's name on the queue (src/job-handlers.ts). */
export const SHADOW_MODEL_HANDLER = 'shadow-model';

/** Trains one model per job, in parallel on the worker pool; results in job order. */
export async function trainModels(config: ShadowTrainingConfig, jobs: ShadowJob[], options: TrainManyOptions = {}): Promise<ShadowResult[]> {
  if (jobs.length === 0) return [];
  const workers = options.workers ?? Math.min(availableParallelism(), jobs.length);
  if (!Number.isInteger(workers) || workers < 0) throw new ConfigError(`workers must be an integer ≥ 0 (0 = this thread), got ${options.workers}`);
  if (workers === 0 && !options.queue) {
    await initEngine({ backend: options.backend ?? 'wasm' });
    const local = new ShadowTrainer(config);
    const results: ShadowResult[] = [];
    for (let i = 0; i < jobs.length; i++) {
      results.push(await local.handle(jobs[i]));
      options.onModel?.(results[i], i);
    }
    return results;
  }
  // the same jobs on either backend: local threads, or worker processes through Redis
  const runner: JobRunner<ShadowJob, ShadowResult> = options.queue
    ? await QueueJobRunner.open<ShadowJob, ShadowResult>({
        ...options.queue,
        handler: SHADOW_MODEL_HANDLER,
        config: { ...config, model: isCheckpointFiles(config.model) ? config.model : classifierSpecCheckpoint(config.model) },
        backend: options.backend ?? 'wasm',
      })
    : new WorkerPool<ShadowJob, ShadowResult, ShadowTrainingConfig>({
        handler: new URL('./shadow-training.js', import.meta.url),
        config,
        size: Math.min(workers, jobs.length),
        backend: options.backend ?? 'wasm',
      });
  try {
    return await runner.map(jobs, { onResult: options.onModel });
  } finally {
    await runner.close();
  }
}
