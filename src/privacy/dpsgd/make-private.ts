/**
 * `makePrivate`: DP-SGD for a user's own tf.LayersModel (Sequential or functional), in the
 * manner of Opacus's make_private. The model is walked by models/layers-model, which taps
 * every parameter product, and trained by the same machinery as the built-in models: the
 * per-layer rules (rules/), the DP step (dp-step.ts: flat clipping, or adaptive clipping,
 * noise N(0, σ²C²) from the CSPRNG, division by the EXPECTED batch size), Poisson batches
 * (poisson.ts) and the accountants, through PrivateTraining (σ calibrated before training
 * when a target ε is given). The model object stays the user's: its variables are updated
 * in place, so model.predict and model.save see the private model.
 *
 * Accounting assumes Poisson sampling at rate q = batchSize / datasetSize: `fit` samples
 * that way. `step` runs one step on exactly the batch it is given and counts it as one such
 * step; a loop of your own must sample its batches the same way for `epsilon()` to hold.
 */
import { tf, SeededRandom } from '../../engine/index.js';
import { ConfigError, ShapeMismatchError } from '../../errors.js';
import { TappedLayersModel, type LayersBatch, type LossName, type PerExampleLossFunction } from '../../models/index.js';
import { PrivacyBudgetError, type AccountantName } from '../accounting/index.js';
import type { AdaptiveClippingOptions } from './adaptive-clipping.js';
import type { DpStepState } from './dp-step.js';
import type { GaussianNoise } from './noise.js';
import { poissonBatchPlan } from './poisson.js';
import { PrivateTraining, type PrivacyReport, type PrivateTrainingPlan } from './private-training.js';
import type { PerSampleOptions } from './rules/index.js';

export interface MakePrivateOptions {
  /** A tf.Optimizer, or 'sgd' | 'adam' built with `learningRate`. */
  optimizer: tf.Optimizer | 'sgd' | 'adam';
  /** For a named optimizer (default 0.001 for adam, 0.01 for sgd, as in Keras). */
  learningRate?: number;
  /** A named loss on the model's output, or (yTrue, yPred) => one loss per example. */
  loss: LossName | PerExampleLossFunction;
  /** Per-example L2 clip norm C, or 'auto' for adaptive clipping (initial C 1, median target). */
  clip: number | 'auto';
  adaptiveClipping?: AdaptiveClippingOptions;
  /** σ (give this, or targetEpsilon and epochs). */
  noiseMultiplier?: number;
  /** Target ε: σ is calibrated for `epochs` epochs before training. */
  targetEpsilon?: number;
  epochs?: number;
  delta: number;
  /** Expected (Poisson) batch size: each example joins a batch with probability batchSize / datasetSize. */
  batchSize: number;
  /** Number of training examples N (fit checks it). */
  datasetSize: number;
  accountant?: AccountantName;
  /** Hardened noise sampler (slower), and CSPRNG sampling even when samplingSeed is set. */
  secureNoise?: boolean;
  /** Noise for the next step generated in a worker thread (Node; default true). */
  prefetchNoise?: boolean;
  /** Explicit noise source (tests). */
  noise?: GaussianNoise;
  /** Largest number of examples in one tapped pass (default: the whole Poisson batch). */
  physicalBatchSize?: number;
  perSample?: PerSampleOptions;
  /** Poisson batches from a seeded generator (reproducible experiments) instead of the CSPRNG. */
  samplingSeed?: number;
  /** Told once per layer that takes the generic per-example loop (default: console.warn). */
  warn?: (message: string) => void;
  /** Profiling: milliseconds per phase of each step accumulate here (pass, norms, clip, noise, total). */
  timings?: Record<string, number>;
}

/** Callbacks as tfjs's fit takes them: objects with onEpochEnd etc., or tf.Callback instances. */
export type FitCallbacks = tf.CustomCallbackArgs | tf.Callback | (tf.CustomCallbackArgs | tf.Callback)[];

export interface PrivateFitArgs {
  epochs?: number;
  /** [x, y] of a public validation split: evaluated each epoch, not privately. */
  validationData?: [tf.Tensor | tf.Tensor[], tf.Tensor];
  callbacks?: FitCallbacks;
}

export interface PrivateHistory {
  epoch: number[];
  /** loss (mean over the epoch's steps), epsilon (spent so far), acc and val_loss / val_acc when available. */
  history: Record<string, number[]>;
}

const DEFAULT_LEARNING_RATE = { adam: 1e-3, sgd: 1e-2 } as const;

function checkPositiveInteger(value: number, what: string): void {
  if (!Number.isInteger(value) || value < 1) throw new ConfigError(`${what} must be an integer ≥ 1, got ${value}`);
}

function toInputs(x: tf.Tensor | tf.Tensor[]): tf.Tensor[] {
  return Array.isArray(x) ? x : [x];
}

export class PrivateModel {
  readonly perExample: TappedLayersModel;
  readonly noiseMultiplier: number;
  readonly sampleRate: number;
  readonly stepsPerEpoch: number;
  /** Steps taken (each one counts in epsilon()). */
  steps = 0;
  private readonly training: PrivateTraining;
  private readonly plan: PrivateTrainingPlan;
  private readonly optimizer: tf.Optimizer;
  private readonly ownsOptimizer: boolean;
  private readonly samplingRng: SeededRandom;
  private epochsRun = 0;

  constructor(readonly model: tf.LayersModel, readonly options: MakePrivateOptions) {
    const { batchSize, datasetSize, targetEpsilon, noiseMultiplier, epochs } = options;
    checkPositiveInteger(datasetSize, 'datasetSize');
    checkPositiveInteger(batchSize, 'batchSize (the expected batch size)');
    if ((targetEpsilon === undefined) === (noiseMultiplier === undefined)) throw new ConfigError('makePrivate needs exactly one of noiseMultiplier and targetEpsilon (with epochs)');
    if (targetEpsilon !== undefined && epochs === undefined) throw new ConfigError('targetEpsilon needs epochs: σ is calibrated for that many epochs before training');
    if (epochs !== undefined) checkPositiveInteger(epochs, 'epochs');
    this.perExample = new TappedLayersModel(model, { loss: options.loss, warn: options.warn });
    this.perExample.checkPerExample();
    this.training = new PrivateTraining({
      epsilon: targetEpsilon,
      noiseMultiplier,
      delta: options.delta,
      clip: options.clip,
      adaptiveClipping: options.adaptiveClipping,
      accountant: options.accountant,
      physicalBatchSize: options.physicalBatchSize,
      secureNoise: options.secureNoise,
      prefetchNoise: options.prefetchNoise,
      noise: options.noise,
      perSample: options.perSample,
      timings: options.timings,
    });
    this.plan = this.training.configure({ model: this.perExample, trainSize: datasetSize, batchSize, epochs: epochs ?? 1 });
    this.noiseMultiplier = this.plan.noiseMultiplier;
    this.sampleRate = this.plan.sampleRate;
    this.stepsPerEpoch = this.plan.stepsPerEpoch;
    this.samplingRng = new SeededRandom(options.samplingSeed ?? 0);
    const o = options.optimizer;
    if (o === 'adam' || o === 'sgd') {
      const lr = options.learningRate ?? DEFAULT_LEARNING_RATE[o];
      if (!(lr > 0) || !Number.isFinite(lr)) throw new ConfigError(`learningRate must be a finite number > 0, got ${lr}`);
      this.optimizer = o === 'adam' ? tf.train.adam(lr) : tf.train.sgd(lr);
      this.ownsOptimizer = true;
    } else if (o instanceof tf.Optimizer) {
      this.optimizer = o;
      this.ownsOptimizer = false;
    } else {
      throw new ConfigError(`optimizer must be a tf.Optimizer or 'sgd' | 'adam', got ${String(o)}`);
    }
  }

  /** The DP step's state: steps, clip, noise std, and the path each layer's rule took at the last step. */
  get state(): DpStepState {
    return this.plan.gradientStep.state;
  }

  /** The clip norm in use (it moves under adaptive clipping). */
  get clip(): number {
    return this.plan.gradientStep.state.clip;
  }

  /**
   * One DP-SGD step on exactly this batch: each example's gradient clipped to C, summed,
   * N(0, σ²C²) added, divided by the expected batch size, applied by the optimizer.
   * Returns the batch's mean loss (a diagnostic, not private).
   */
  step(xBatch: tf.Tensor | tf.Tensor[], yBatch: tf.Tensor): number {
    const inputs = toInputs(xBatch);
    const B = yBatch.shape[0];
    for (const x of inputs) {
      if (x.shape[0] !== B) throw new ShapeMismatchError(`step: an input holds ${x.shape[0]} examples and the targets ${B}`);
    }
    const params = this.perExample.parameters();
    const loss = tf.tidy(() => {
      const { loss, grads } = this.plan.gradientStep<LayersBatch>(this.perExample, { inputs, targets: yBatch }, { training: true }, { size: B });
      this.optimizer.applyGradients(params.map((p) => ({ name: p.variable.name, tensor: grads.get(p.name)! })));
      return loss.dataSync()[0];
    });
    this.steps++;
    return loss;
  }

  /** ε spent by the steps taken so far, at the configured δ. */
  epsilon(): number {
    return this.steps === 0 ? 0 : this.training.report(this.steps).epsilon;
  }

  /** The full privacy report (ε, δ, σ, q, steps, clip, accountant...). */
  privacyReport(): PrivacyReport {
    return this.training.report(this.steps);
  }

  /**
   * Trains for `epochs` epochs of round(1/q) Poisson-sampled steps each, over all of x/y
   * (which must hold `datasetSize` examples). With a target ε, σ was calibrated for the
   * epochs given to makePrivate; going past them is refused (it would exceed the target).
   */
  async fit(x: tf.Tensor | tf.Tensor[], y: tf.Tensor, args: PrivateFitArgs = {}): Promise<PrivateHistory> {
    const inputs = toInputs(x);
    const N = y.shape[0];
    const epochs = args.epochs ?? 1;
    checkPositiveInteger(epochs, 'epochs');
    if (N !== this.options.datasetSize) {
      throw new ConfigError(`fit was given ${N} examples but makePrivate was told datasetSize ${this.options.datasetSize}: the sampling rate and ε depend on it; pass the right datasetSize`);
    }
    for (const t of inputs) if (t.shape[0] !== N) throw new ShapeMismatchError(`fit: an input holds ${t.shape[0]} examples and the targets ${N}`);
    if (this.options.targetEpsilon !== undefined && this.epochsRun + epochs > this.options.epochs!) {
      throw new PrivacyBudgetError(
        `fit for ${epochs} more epoch(s) after ${this.epochsRun} would pass the ${this.options.epochs} epochs σ was calibrated for (targetEpsilon ${this.options.targetEpsilon}); make it private again with more epochs`,
      );
    }
    const plan = poissonBatchPlan({ sampleRate: this.sampleRate, stepsPerEpoch: this.stepsPerEpoch, secure: this.options.samplingSeed === undefined || this.options.secureNoise });
    const callbacks = callbackList(args.callbacks);
    callbacks.setModel(this.model);
    callbacks.setParams({ epochs, steps: this.stepsPerEpoch, samples: N, verbose: 0, doValidation: args.validationData !== undefined });
    const history: PrivateHistory = { epoch: [], history: {} };
    const record = (logs: Record<string, number>) => {
      for (const [k, v] of Object.entries(logs)) (history.history[k] ??= []).push(v);
    };
    this.model.stopTraining = false;
    await callbacks.onTrainBegin();
    for (let e = 0; e < epochs; e++) {
      await callbacks.onEpochBegin(e);
      const batches = plan(this.epochsRun, this.samplingRng.fork(`epoch${this.epochsRun}`), N);
      let lossSum = 0;
      let examples = 0;
      for (let b = 0; b < batches.length; b++) {
        const indices = batches[b];
        await callbacks.onBatchBegin(b, { batch: b, size: indices.length });
        const index = tf.tensor1d(indices, 'int32');
        const rows = (t: tf.Tensor) => tf.gather(t, index);
        const xb = inputs.map(rows);
        const yb = rows(y);
        const loss = this.step(xb, yb);
        tf.dispose([index, ...xb, yb]);
        lossSum += loss * indices.length;
        examples += indices.length;
        await callbacks.onBatchEnd(b, { batch: b, size: indices.length, loss });
      }
      this.epochsRun++;
      const logs: Record<string, number> = { loss: lossSum / Math.max(1, examples), epsilon: this.epsilon() };
      if (args.validationData) {
        const [vx, vy] = args.validationData;
        const v = this.evaluate(vx, vy);
        logs.val_loss = v.loss;
        if (v.accuracy !== undefined) logs.val_acc = v.accuracy;
      }
      history.epoch.push(e);
      record(logs);
      await callbacks.onEpochEnd(e, logs);
      await new Promise((resolve) => setTimeout(resolve, 0)); // let timers and I/O run between epochs
      if (this.model.stopTraining) break;
    }
    await callbacks.onTrainEnd();
    return history;
  }

  /** Mean loss (and accuracy, for sparse categorical cross-entropy) over a set, in batches of 256: not private. */
  evaluate(x: tf.Tensor | tf.Tensor[], y: tf.Tensor, batchSize = 256): { loss: number; accuracy?: number } {
    const inputs = toInputs(x);
    const N = y.shape[0];
    const sparse = this.options.loss === 'sparseCategoricalCrossentropy';
    let lossSum = 0;
    let correct = 0;
    for (let start = 0; start < N; start += batchSize) {
      const n = Math.min(batchSize, N - start);
      const [l, c] = tf.tidy(() => {
        const rows = (t: tf.Tensor) => tf.slice(t, [start, ...t.shape.slice(1).map(() => 0)], [n, ...t.shape.slice(1)]);
        const batch = { inputs: inputs.map(rows), targets: rows(y) };
        const loss = tf.sum(this.perExample.perExampleLoss(batch, { training: false })).dataSync()[0];
        if (!sparse) return [loss, 0];
        const output = this.perExample.forward(batch.inputs, { training: false }, true).output;
        const predicted = tf.argMax(output, -1);
        const hits = tf.sum(tf.cast(tf.equal(predicted, tf.reshape(tf.cast(batch.targets, 'int32'), predicted.shape)), 'float32')).dataSync()[0];
        return [loss, hits / (predicted.size / n)];
      });
      lossSum += l;
      correct += c;
    }
    return sparse ? { loss: lossSum / N, accuracy: correct / N } : { loss: lossSum / N };
  }

  /** Releases the noise worker and an optimizer made here (the model stays the caller's). */
  dispose(): void {
    this.training.dispose();
    if (this.ownsOptimizer) this.optimizer.dispose();
  }
}

function callbackList(callbacks: FitCallbacks | undefined): tf.CallbackList {
  const list = callbacks === undefined ? [] : Array.isArray(callbacks) ? callbacks : [callbacks];
  return new tf.CallbackList(list.map((c) => (c instanceof tf.Callback ? c : new tf.CustomCallback(c as tf.CustomCallbackArgs))));
}

/**
 * Makes a tf.LayersModel's training differentially private (DP-SGD). See the class
 * comment of PrivateModel and docs/bring-your-own-model.md.
 */
export function makePrivate(model: tf.LayersModel, options: MakePrivateOptions): PrivateModel {
  if (!(model instanceof tf.LayersModel)) {
    throw new ConfigError('makePrivate takes a tf.LayersModel from the same @tensorflow/tfjs as trustnlu (a model built with another copy of tfjs is not one): install @tensorflow/tfjs once, as a peer of trustnlu');
  }
  return new PrivateModel(model, options);
}
