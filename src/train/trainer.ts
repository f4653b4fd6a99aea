/**
 * The training loop: seeded and reproducible, evaluation each epoch, early stopping,
 * best checkpoint, resume. The gradient source and the batch plan are pluggable, so
 * DP-SGD (Poisson batches, clipped noisy gradients) reuses this loop unchanged.
 */
import { existsSync, readFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { tf, SeededRandom, loadCheckpoint, saveCheckpoint, writeAtomic } from '../engine/index.js';
import { ConfigError, NonFiniteError, CheckpointError } from '../errors.js';
import { readModelWeights, saveModel, toTensorBatch, type AnyModel, type HostBatch, type ForwardContext, type TensorBatch } from '../models/index.js';
import { batchIndices } from '../text/index.js';
import { createOptimizer, learningRateAt, type Optimizer, type OptimizerOptions, type ScheduleName } from './optimizers.js';
import { SILENT, type ProgressReporter } from './progress.js';
import type { TrainingTask, ValidationResult } from './tasks.js';
import { DataParallelStep } from './data-parallel/data-parallel-step.js';
import type { ParallelGradients } from './data-parallel/engines.js';
import type { HostOptimizer } from './data-parallel/host-optimizer.js';

/** Mean loss over the batch and its gradient per parameter name. */
export interface GradientResult {
  loss: tf.Scalar;
  grads: Map<string, tf.Tensor>;
}

/** Computes a training step's gradients; called inside tf.tidy. */
export type GradientStep = (model: AnyModel, batch: TensorBatch, ctx: ForwardContext, host: HostBatch) => GradientResult;

/** Backprop of the batch mean of a per-example loss, gradients keyed by parameter name. */
export function meanLossGradients(model: AnyModel, perExampleLoss: () => tf.Tensor1D): GradientResult {
  const vars = model.parameters();
  const byVariable = new Map(vars.map((p) => [p.variable.name, p.name]));
  const { value, grads } = tf.variableGrads(() => tf.mean(perExampleLoss()) as tf.Scalar, vars.map((p) => p.variable));
  const named = new Map<string, tf.Tensor>();
  for (const [varName, g] of Object.entries(grads)) named.set(byVariable.get(varName)!, g);
  return { loss: value, grads: named };
}

/** Plain backprop of the mean per-example loss. */
export const standardGradients: GradientStep = (model, batch, ctx) => meanLossGradients(model, () => model.perExampleLoss(batch, ctx));

export interface TrainerOptions {
  epochs: number;
  batchSize: number;
  learningRate: number;
  optimizer?: OptimizerOptions;
  schedule?: ScheduleName;
  warmupSteps?: number;
  /** Stop after this many epochs without a better validation score (default: never). */
  patience?: number;
  seed: number;
  /** Directory for the best checkpoint (and `last/` for resume); nothing saved if absent. */
  outDir?: string;
  /** Resume from `outDir/last` if it exists (same options required). */
  resume?: boolean;
  /** Stop (after the current epoch's validation) once training has run this long. */
  timeLimitSeconds?: number;
  /** Cap on steps per epoch (long corpora: an "epoch" becomes a fixed number of steps). */
  maxStepsPerEpoch?: number;
  /** Validate every this many steps within an epoch too (0 = once per epoch). */
  validateEverySteps?: number;
  progress?: ProgressReporter;
  gradientStep?: GradientStep;
  /**
   * Data-parallel gradients from several engines (data-parallel/): replaces `gradientStep`;
   * the optimizer then runs on the shared parameters (same rules and state format).
   */
  parallel?: ParallelGradients;
  /** Index batches for one epoch (default: shuffled, fixed-size). */
  batchPlan?: (epoch: number, rng: SeededRandom, trainSize: number) => number[][];
  /** Extra fields stored in the checkpoint's meta. */
  meta?: Record<string, unknown>;
  /**
   * Which weights the model holds after train(): the best validation epoch's (default) or the
   * last epoch's (a study's "no defence" baseline, where picking the best epoch would already
   * be a form of early stopping).
   */
  keep?: 'best' | 'last';
  /**
   * Stop as soon as a validation score reaches this value (checked at every validation, so with
   * `validateEverySteps` mid-epoch too): a model trained only until it is as accurate as another
   * one (a study's control at matched utility). With keep 'last', the model stopped there.
   */
  stopAtScore?: number;
}

export interface EpochRecord {
  epoch: number;
  steps: number;
  trainLoss: number;
  seconds: number;
  validation: Record<string, number>;
  score: number;
}

export interface TrainingResult {
  history: EpochRecord[];
  /** 1-based epoch of the best validation score. */
  bestEpoch: number;
  /** 1-based epoch whose weights the model holds after train() (bestEpoch unless keep = 'last'). */
  epochUsed: number;
  bestScore: number;
  bestValidation: Record<string, number>;
  steps: number;
  seconds: number;
  stoppedBy: 'epochs' | 'early-stopping' | 'time-limit' | 'score-reached';
}

interface TrainerState {
  epoch: number;
  steps: number;
  seconds: number;
  history: EpochRecord[];
  bestEpoch: number;
  bestScore: number;
  bestValidation: Record<string, number>;
  optimizerSteps: number;
}

function writeJsonAtomic(path: string, value: unknown): void {
  writeAtomic(path, JSON.stringify(value));
}

export async function train(model: AnyModel, task: TrainingTask, options: TrainerOptions): Promise<TrainingResult> {
  try {
    if (!(options.epochs >= 1)) throw new ConfigError(`epochs must be ≥ 1, got ${options.epochs}`);
    if (!(options.batchSize >= 1)) throw new ConfigError(`batch size must be ≥ 1, got ${options.batchSize}`);
    if (!(options.learningRate > 0)) throw new ConfigError(`learning rate must be > 0, got ${options.learningRate}`);
    if (task.trainSize === 0) throw new ConfigError('the training split is empty');
  } catch (error) {
    await options.parallel?.close(); // its engines would keep the process alive
    throw error;
  }
  const gradientStep = options.gradientStep ?? standardGradients;
  const parallel = options.parallel ? new DataParallelStep(options.parallel, options.optimizer ?? { name: 'adam' }) : undefined;
  const optimizer = parallel ? parallel.optimizer : createOptimizer(options.optimizer ?? { name: 'adam' });
  try {
    return await trainLoop(model, task, options, gradientStep, optimizer, parallel);
  } finally {
    if (parallel) {
      parallel.copyTo(model);
      await parallel.close();
    } else optimizer.dispose();
  }
}

async function trainLoop(
  model: AnyModel,
  task: TrainingTask,
  options: TrainerOptions,
  gradientStep: GradientStep,
  optimizer: Optimizer | HostOptimizer,
  parallel: DataParallelStep | undefined,
): Promise<TrainingResult> {
  const progress = options.progress ?? SILENT;
  const root = new SeededRandom(options.seed);
  const plan = options.batchPlan ?? ((_e: number, rng: SeededRandom, n: number) => batchIndices(rng.permutation(n), options.batchSize));
  const stepsPerEpoch = Math.min(Math.ceil(task.trainSize / options.batchSize), options.maxStepsPerEpoch ?? Infinity);
  const totalSteps = stepsPerEpoch * options.epochs;
  const params = model.parameters();

  let state: TrainerState = { epoch: 0, steps: 0, seconds: 0, history: [], bestEpoch: -1, bestScore: -Infinity, bestValidation: {}, optimizerSteps: 0 };
  const lastDir = options.outDir ? join(options.outDir, 'last') : undefined;
  if (options.resume && lastDir && existsSync(join(lastDir, 'trainer.json'))) {
    state = JSON.parse(readFileSync(join(lastDir, 'trainer.json'), 'utf8')) as TrainerState;
    const weights = readModelWeights(join(lastDir, 'model'));
    if (weights.kind !== model.kind) throw new CheckpointError(`${lastDir}: holds a "${weights.kind}" model, not "${model.kind}"`);
    model.store.assign(weights.weights);
    const opt = loadCheckpoint(join(lastDir, 'optimizer'));
    optimizer.setState({ steps: state.optimizerSteps, slots: opt.weights });
    progress.event('resume', { epoch: state.epoch, steps: state.steps });
  }
  parallel?.publish(model);

  const started = Date.now() - state.seconds * 1000;
  let stoppedBy: TrainingResult['stoppedBy'] = 'epochs';
  // The best weights: on disk when there is an output directory, else a host copy, so the
  // model handed back is the best one either way (an early-stopping defence really stops early).
  // A run that keeps the last weights needs no host copy.
  const keepLast = options.keep === 'last';
  let bestInMemory: ReturnType<typeof model.store.snapshot> | undefined;
  const validateAndKeepBest = (epoch: number): ValidationResult => {
    parallel?.copyTo(model);
    const v = task.validate(model);
    if (v.score > state.bestScore) {
      state.bestScore = v.score;
      state.bestEpoch = epoch;
      state.bestValidation = v.metrics;
      if (options.outDir) saveModel(options.outDir, model, { ...options.meta, epoch, validation: v.metrics });
      else if (!keepLast) bestInMemory = model.store.snapshot();
    }
    return v;
  };

  for (let epoch = state.epoch; epoch < options.epochs; epoch++) {
    const epochStart = Date.now();
    const rng = root.fork(`epoch${epoch}`);
    const dropoutRng = root.fork(`dropout${epoch}`);
    const batches = plan(epoch, rng, task.trainSize).slice(0, stepsPerEpoch);
    progress.start(`epoch ${epoch + 1}/${options.epochs}`, batches.length);
    let lossSum = 0;
    let lossCount = 0;
    let stepsThisEpoch = 0;
    // the validation that reached `stopAtScore` mid-epoch (it also ends the epoch: not repeated)
    let stoppedAt: ValidationResult | undefined;
    for (let b = 0; b < batches.length; b++) {
      const host = task.trainBatch(batches[b]);
      const lr = learningRateAt(options.schedule ?? 'constant', options.learningRate, state.steps, totalSteps, options.warmupSteps ?? 0);
      const loss = parallel
        ? await parallel.run(host, lr, dropoutRng.nextUint32())
        : tf.tidy(() => {
            const batch = toTensorBatch(host, task.task);
            const { loss, grads } = gradientStep(model, batch, { training: true, rng: dropoutRng }, host);
            const value = loss.dataSync()[0];
            if (!Number.isFinite(value)) return value;
            (optimizer as Optimizer).step(params, grads, lr);
            return value;
          });
      if (!Number.isFinite(loss)) {
        throw new NonFiniteError(`training loss became ${loss} at epoch ${epoch + 1}, step ${b + 1}: lower the learning rate (now ${lr})`);
      }
      state.steps++;
      stepsThisEpoch++;
      lossSum += loss * host.size;
      lossCount += host.size;
      progress.update(b + 1, { loss: lossSum / lossCount, lr });
      if (options.validateEverySteps && (b + 1) % options.validateEverySteps === 0 && b + 1 < batches.length) {
        const v = validateAndKeepBest(epoch);
        progress.event('validation', { epoch: epoch + 1, step: b + 1, ...v.metrics });
        if (options.stopAtScore !== undefined && v.score >= options.stopAtScore) {
          stoppedAt = v;
          break;
        }
      }
    }
    progress.stop();
    const v = stoppedAt ?? validateAndKeepBest(epoch);
    const record: EpochRecord = {
      epoch: epoch + 1,
      steps: stepsThisEpoch,
      trainLoss: lossSum / Math.max(1, lossCount),
      seconds: (Date.now() - epochStart) / 1000,
      validation: v.metrics,
      score: v.score,
    };
    state.history.push(record);
    state.epoch = epoch + 1;
    state.seconds = (Date.now() - started) / 1000;
    state.optimizerSteps = optimizer.steps;
    progress.event('epoch', { epoch: epoch + 1, trainLoss: record.trainLoss, ...prefixed('val', v.metrics), seconds: record.seconds });
    if (lastDir) {
      mkdirSync(lastDir, { recursive: true });
      saveModel(join(lastDir, 'model'), model, { epoch: epoch + 1 });
      saveCheckpoint(join(lastDir, 'optimizer'), { kind: 'optimizer', config: { name: optimizer.name }, tokenizer: null, meta: {}, weights: optimizer.getState().slots });
      writeJsonAtomic(join(lastDir, 'trainer.json'), state);
    }
    if (options.stopAtScore !== undefined && v.score >= options.stopAtScore) {
      stoppedBy = 'score-reached';
      break;
    }
    if (options.patience !== undefined && epoch - state.bestEpoch >= options.patience) {
      stoppedBy = 'early-stopping';
      break;
    }
    if (options.timeLimitSeconds !== undefined && (Date.now() - started) / 1000 >= options.timeLimitSeconds) {
      stoppedBy = 'time-limit';
      break;
    }
  }
  // Hand back the best model, not the last one (unless the caller asked for the last).
  if (keepLast) {
    // nothing to restore: the model holds the last epoch's weights
  } else if (options.outDir && state.bestEpoch >= 0) {
    model.store.assign(readModelWeights(options.outDir).weights);
    // The engines' parameters become the best ones too, so the copy at close keeps them.
    parallel?.publish(model);
  } else if (bestInMemory) {
    model.store.assign(bestInMemory);
    parallel?.publish(model);
  }
  return {
    history: state.history,
    bestEpoch: state.bestEpoch + 1,
    epochUsed: keepLast ? state.epoch : state.bestEpoch + 1,
    bestScore: state.bestScore,
    bestValidation: state.bestValidation,
    steps: state.steps,
    seconds: (Date.now() - started) / 1000,
    stoppedBy,
  };
}

function prefixed(prefix: string, metrics: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(metrics)) out[`${prefix}${k[0].toUpperCase()}${k.slice(1)}`] = v;
  return out;
}
