/**
 * Private training end to end: from a privacy target (ε, δ) or a noise multiplier to the
 * trainer's gradient step and batch plan, and back to the ε actually spent.
 *
 *   q = B/N (B the expected batch size), steps = epochs · round(1/q) (capped per epoch if
 *   asked), σ = the accountant's calibration for (ε, δ, q, steps), Poisson batches, the DP
 *   step. After training, ε is recomputed for the steps that really ran (early stopping or a
 *   time limit spend less), so the reported ε never exceeds the target.
 *
 * The validation split is treated as public: per-epoch validation, early stopping and
 * best-checkpoint selection look at it without privacy accounting.
 */
import { ConfigError } from '../../errors.js';
import type { AnyModel, PerExampleModel } from '../../models/index.js';
import type { TrainingSetup } from '../../train/index.js';
import { computeEpsilon, noiseMultiplierForEpsilon, type AccountantName } from '../accounting/index.js';
import type { AdaptiveClippingOptions } from './adaptive-clipping.js';
import { dpGradientStep, trainedParameters, type ClippingMode, type DpGradientStep, type DpStepOptions } from './dp-step.js';
import { poissonBatchPlan, poissonStepsPerEpoch } from './poisson.js';
import type { PerSampleOptions } from './rules/index.js';
import type { GaussianNoise } from './noise.js';
import { DataParallelDpGradients } from './data-parallel/dp-parallel-gradients.js';

export interface PrivateTrainingOptions {
  /** Target ε (give this or `noiseMultiplier`). */
  epsilon?: number;
  /** Noise multiplier σ (give this or `epsilon`); ε is then computed. */
  noiseMultiplier?: number;
  /** δ: must be below 1/N. */
  delta: number;
  /** Clip norm C (default 1) or 'auto' (adaptive clipping). */
  clip?: number | 'auto';
  adaptiveClipping?: AdaptiveClippingOptions;
  clipping?: ClippingMode;
  accountant?: AccountantName;
  physicalBatchSize?: number;
  /** Hardened noise sampler and CSPRNG batch sampling. */
  secureNoise?: boolean;
  /** Noise a step ahead in a worker thread (default true). */
  prefetchNoise?: boolean;
  /** Explicit noise source (tests). */
  noise?: GaussianNoise;
  perSample?: PerSampleOptions;
  /** Parameters not trained (e.g. a pretrained embedding table); see DpStepOptions. */
  frozenParameters?: readonly string[];
  /** Profiling: milliseconds per phase of the DP step (see DpStepOptions). */
  timings?: Record<string, number>;
}

/**
 * What `configure` is told once the data and model exist: run.ts's `configureTraining`
 * setup for the built-in models, or makePrivate's for a tf.LayersModel.
 */
export type PrivateTrainingSetup = Omit<TrainingSetup, 'model'> & { model: PerExampleModel<never> };

/** Fields the training result gains (the CLI's JSON contract). */
export interface PrivacyReport {
  epsilon: number;
  delta: number;
  noiseMultiplier: number;
  sampleRate: number;
  steps: number;
  /** Fixed clip norm, or the final one under adaptive clipping. */
  clip: number;
  accountant: AccountantName;
  /** RDP order at which ε was attained (rdp only). */
  order?: number;
  adaptiveClipping: boolean;
  clipping: ClippingMode;
  secureNoise: boolean;
  /** Steps planned when σ was calibrated. */
  plannedSteps: number;
  targetEpsilon?: number;
}

export interface PrivateTrainingPlan {
  noiseMultiplier: number;
  sampleRate: number;
  stepsPerEpoch: number;
  plannedSteps: number;
  gradientStep: DpGradientStep;
  /** Data-parallel eDP-SGD over the engines the setup asked for (when more than one); the trainer uses it instead of gradientStep. */
  parallel?: DataParallelDpGradients;
  batchPlan: ReturnType<typeof poissonBatchPlan>;
  /** Checkpoint meta describing the mechanism. */
  meta: Record<string, unknown>;
}

export class PrivateTraining {
  plan?: PrivateTrainingPlan;
  /** The clipping mode in force once configured. */
  private clipping?: ClippingMode;

  constructor(readonly options: PrivateTrainingOptions) {
    const { epsilon, noiseMultiplier } = options;
    if ((epsilon === undefined) === (noiseMultiplier === undefined)) {
      throw new ConfigError('private training needs exactly one of epsilon (a target) and noiseMultiplier');
    }
    if (epsilon !== undefined && (!(epsilon > 0) || !Number.isFinite(epsilon))) throw new ConfigError(`epsilon must be a finite number > 0, got ${epsilon}`);
    if (noiseMultiplier !== undefined && (!(noiseMultiplier >= 0) || !Number.isFinite(noiseMultiplier))) {
      throw new ConfigError(`noise multiplier must be a finite number ≥ 0, got ${noiseMultiplier}`);
    }
    if (!(options.delta > 0 && options.delta < 1)) throw new ConfigError(`delta must be in (0, 1), got ${options.delta}`);
  }

  /** Calibrates σ for the training set and returns the step and batch plan. */
  configure(setup: PrivateTrainingSetup): PrivateTrainingPlan {
    const { trainSize: N, batchSize: B, epochs } = setup;
    const o = this.options;
    if (B > N) throw new ConfigError(`the expected batch size ${B} exceeds the ${N} training examples: lower --batch`);
    if (o.delta >= 1 / N) {
      throw new ConfigError(`delta = ${o.delta} is not below 1/N = ${(1 / N).toPrecision(3)} for ${N} training examples: a δ that large allows releasing a whole example; lower --delta`);
    }
    trainedParameters(setup.model, new Set(o.frozenParameters ?? [])); // fail before training on a bad frozen name
    const sampleRate = B / N;
    const stepsPerEpoch = Math.min(poissonStepsPerEpoch(sampleRate), setup.maxStepsPerEpoch ?? Infinity);
    const plannedSteps = epochs * stepsPerEpoch;
    const noiseMultiplier = o.noiseMultiplier ?? noiseMultiplierForEpsilon({
      epsilon: o.epsilon!,
      delta: o.delta,
      sampleRate,
      steps: plannedSteps,
      accountant: o.accountant,
    });
    // An explicit choice wins; else the run's recommendation (per-layer in the private defaults); else flat.
    // Adaptive clipping works with flat clipping only.
    const clipping = o.clipping ?? (o.clip === 'auto' ? 'flat' : setup.clipping) ?? 'flat';
    this.clipping = clipping;
    const stepOptions: DpStepOptions = {
      noiseMultiplier,
      clip: o.clip ?? 1,
      adaptiveClipping: o.adaptiveClipping,
      expectedBatchSize: sampleRate * N,
      clipping,
      physicalBatchSize: o.physicalBatchSize,
      noise: o.noise,
      secureNoise: o.secureNoise,
      prefetchNoise: o.prefetchNoise,
      perSample: o.perSample,
      frozenParameters: o.frozenParameters,
      timings: o.timings,
    };
    const gradientStep = dpGradientStep(stepOptions);
    const parallel = setup.engines !== undefined && setup.engines > 1 ? new DataParallelDpGradients(setup.model as AnyModel, stepOptions, setup.engines) : undefined;
    const batchPlan = poissonBatchPlan({ sampleRate, stepsPerEpoch, secure: o.secureNoise });
    const meta = {
      dp: {
        noiseMultiplier,
        sampleRate,
        delta: o.delta,
        clip: o.clip ?? 1,
        clipping,
        accountant: o.accountant ?? 'rdp',
        plannedSteps,
        targetEpsilon: o.epsilon,
        frozenParameters: o.frozenParameters ?? [],
      },
    };
    this.plan = { noiseMultiplier, sampleRate, stepsPerEpoch, plannedSteps, gradientStep, parallel, batchPlan, meta };
    return this.plan;
  }

  /** The privacy spent by `steps` steps (the trainer's count of steps actually run). */
  report(steps: number): PrivacyReport {
    const plan = this.plan;
    if (!plan) throw new ConfigError('private training was never configured (no training ran)');
    const o = this.options;
    const accountant = o.accountant ?? 'rdp';
    // The adaptive clip in use is the trainer's gradient source's: the engines' when data-parallel.
    const adaptive = (plan.parallel ?? plan.gradientStep).adaptive;
    const spent = computeEpsilon({ sampleRate: plan.sampleRate, noiseMultiplier: plan.noiseMultiplier, steps, delta: o.delta, accountant });
    const report: PrivacyReport = {
      epsilon: spent.epsilon,
      delta: o.delta,
      noiseMultiplier: plan.noiseMultiplier,
      sampleRate: plan.sampleRate,
      steps,
      clip: adaptive ? adaptive.clip : (o.clip as number | undefined) ?? 1,
      accountant,
      adaptiveClipping: o.clip === 'auto',
      clipping: this.clipping ?? o.clipping ?? 'flat',
      secureNoise: Boolean(o.secureNoise),
      plannedSteps: plan.plannedSteps,
    };
    if (spent.order !== undefined) report.order = spent.order;
    if (o.epsilon !== undefined) report.targetEpsilon = o.epsilon;
    return report;
  }

  dispose(): void {
    this.plan?.gradientStep.dispose();
  }
}
