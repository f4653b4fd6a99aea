/**
 * Poisson sampling, the accountants' assumption: at every step each training example joins
 * the batch independently with probability q, so batches have a random size (mean qN,
 * variance qN(1 − q)) and may be empty. An "epoch" is round(1/q) steps, i.e. N examples in
 * expectation. Shuffled fixed-size batches would NOT match the privacy analysis.
 *
 * The inclusion draws come from the CSPRNG in secure mode (an adversary who could predict
 * the batches could learn who was in them), else from the trainer's seeded generator so
 * experiments are reproducible.
 */
import { ConfigError } from '../../errors.js';
import type { SeededRandom } from '../../engine/random.js';
import { CSPRNG, UniformStream } from './random-source.js';

export interface PoissonPlanOptions {
  /** Inclusion probability q per example and step, in (0, 1]. */
  sampleRate: number;
  /** Steps per epoch (default round(1/q)). */
  stepsPerEpoch?: number;
  /** Draw from the CSPRNG instead of the seeded generator. */
  secure?: boolean;
}

export function checkSampleRateForPlan(q: number): void {
  if (!(q > 0 && q <= 1) || !Number.isFinite(q)) {
    throw new ConfigError(`Poisson sampling rate must be in (0, 1], got ${q}: use the expected batch size divided by the training-set size`);
  }
}

/** round(1/q), at least 1: the steps in which each example is seen once in expectation. */
export function poissonStepsPerEpoch(sampleRate: number): number {
  checkSampleRateForPlan(sampleRate);
  return Math.max(1, Math.round(1 / sampleRate));
}

/** One Poisson batch over n examples, using `uniform()` ∈ [0, 1). */
export function poissonBatch(n: number, sampleRate: number, uniform: () => number): number[] {
  const batch: number[] = [];
  for (let i = 0; i < n; i++) if (uniform() < sampleRate) batch.push(i);
  return batch;
}

/** A trainer batch plan (epoch, rng, n) → index lists, with Poisson-sampled batches. */
export function poissonBatchPlan(options: PoissonPlanOptions): (epoch: number, rng: SeededRandom, n: number) => number[][] {
  const q = options.sampleRate;
  checkSampleRateForPlan(q);
  const steps = options.stepsPerEpoch ?? poissonStepsPerEpoch(q);
  if (!Number.isInteger(steps) || steps < 1) throw new ConfigError(`steps per epoch must be an integer ≥ 1, got ${steps}`);
  const secure = options.secure ? new UniformStream(CSPRNG, 8192) : undefined;
  return (_epoch, rng, n) => {
    const uniform = secure ? () => secure.next() : () => rng.next();
    return Array.from({ length: steps }, () => poissonBatch(n, q, uniform));
  };
}
