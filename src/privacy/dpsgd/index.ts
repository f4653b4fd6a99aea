/**
 * Efficient DP-SGD (eDP-SGD): per-example gradient norms and clipped sums from one tapped
 * forward/backward pass with a rule per layer type (rules/), Gaussian noise from a CSPRNG
 * (optionally hardened against floating-point attacks, optionally generated a step ahead in
 * a worker), Poisson batches, adaptive clipping, and the glue that turns an (ε, δ) target
 * into a trainer gradient step and batch plan. See docs/privacy.md.
 */
export * from './rules/index.js';
export { perSampleGradients, type PerSampleGradients } from './per-sample.js';
export { naivePerExampleGradients, sliceBatch, type NaivePerExample } from './naive.js';
export { CSPRNG, CSPRNG_CHUNK_BYTES, UniformStream, seededBytes, type RandomBytes } from './random-source.js';
export { SECURE_SUMMANDS, SecureGaussianSampler, ZigguratSampler, samplerFor, type GaussianSampler } from './gaussian-sampler.js';
export { InlineGaussianNoise, createGaussianNoise, type GaussianNoise, type GaussianNoiseOptions } from './noise.js';
export { PrefetchingNoise } from './noise-prefetch.js';
export { checkSampleRateForPlan, poissonBatch, poissonBatchPlan, poissonStepsPerEpoch, type PoissonPlanOptions } from './poisson.js';
export { AdaptiveClipping, adjustedNoiseMultiplier, type AdaptiveClippingOptions } from './adaptive-clipping.js';
export { NORM_EPSILON, clipFactors, dpGradientStep, type ClipFactors, type ClippingMode, type DpGradientStep, type DpStepOptions, type DpStepState } from './dp-step.js';
export {
  PrivateTraining,
  type PrivacyReport,
  type PrivateTrainingOptions,
  type PrivateTrainingPlan,
  type PrivateTrainingSetup,
} from './private-training.js';
export { makePrivate, PrivateModel, type FitCallbacks, type MakePrivateOptions, type PrivateFitArgs, type PrivateHistory } from './make-private.js';
export { runDpBench, DP_BENCH_MODELS, SMALL_LM_CONFIG, type DpBenchModel, type DpBenchCase, type DpBenchOptions, type DpBenchResult } from './speed-benchmark.js';
export { DataParallelDpGradients } from './data-parallel/dp-parallel-gradients.js';
