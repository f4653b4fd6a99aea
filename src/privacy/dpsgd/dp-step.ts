/**
 * The DP-SGD gradient step (Abadi et al. 2016) for the trainer, computed efficiently:
 *   1. one tapped forward pass and one backward pass w.r.t. the taps (per-sample.ts);
 *   2. per-example gradient norms from the layer rules, clip factors
 *      cᵢ = min(1, C / (‖∇Lᵢ‖ + 10⁻⁶)) (flat), or per layer with thresholds C_l = C/√L,
 *      computed on the host from the [B] norm vectors (a dozen tiny backend ops otherwise);
 *   3. the clipped sum Σᵢ cᵢ∇Lᵢ from the same rules, accumulated over physical chunks when
 *      the logical (Poisson) batch is larger than `physicalBatchSize`;
 *   4. Gaussian noise N(0, σ²C²) on every coordinate, added once per logical batch: the
 *      noise source hands out samples already scaled by the std (the prefetching source
 *      scales in its worker thread), rules with a host path, i.e. embeddings, add their
 *      sparse clipped sums into that buffer, which spares a scatter, a noise upload and an
 *      add over the whole table, and each parameter's part is uploaded once;
 *   5. division by the EXPECTED batch size q·N, not the realised one (the realised size is
 *      itself private; dividing by it would change the sensitivity).
 * An empty Poisson batch is a noise-only step: no forward pass at all.
 * The reported loss is the batch's mean loss (a diagnostic, not a private quantity).
 */
import { tf } from '../../engine/index.js';
import { ConfigError } from '../../errors.js';
import type { ExampleBatch, ForwardContext, NamedParameter, PerExampleModel } from '../../models/index.js';
import type { GradientResult } from '../../train/index.js';
import { AdaptiveClipping, type AdaptiveClippingOptions } from './adaptive-clipping.js';
import { sliceBatch } from './naive.js';
import { createGaussianNoise, type GaussianNoise } from './noise.js';
import { perSampleGradients } from './per-sample.js';
import type { PerSampleOptions, RecordGradients } from './rules/index.js';

export type ClippingMode = 'flat' | 'per-layer';

/** Added to norms before dividing, as Opacus does: a zero gradient gets factor 1, not NaN. */
export const NORM_EPSILON = 1e-6;

export interface DpStepOptions {
  /** Noise multiplier σ: noise std is σ·C on the clipped sum (the σ the accountant is told). */
  noiseMultiplier: number;
  /** Clip norm C, or 'auto' for adaptive clipping (flat only). */
  clip: number | 'auto';
  adaptiveClipping?: AdaptiveClippingOptions;
  /** q·N: the clipped noisy sum is divided by this. */
  expectedBatchSize: number;
  /** 'flat' (default): one norm over all parameters; 'per-layer': each layer clipped to C/√L. */
  clipping?: ClippingMode;
  /** Largest number of examples in one tapped pass (default: the whole logical batch). */
  physicalBatchSize?: number;
  /** Noise source (default: CSPRNG, prefetched in a worker thread). */
  noise?: GaussianNoise;
  /** Hardened sampler against floating-point attacks (ignored when `noise` is given). */
  secureNoise?: boolean;
  /** Generate noise a step ahead in a worker thread (default true; ignored when `noise` is given). */
  prefetchNoise?: boolean;
  perSample?: PerSampleOptions;
  /**
   * Parameters left out of training (e.g. a pretrained embedding table): no norm, no clipped
   * sum, no noise and no gradient, so the optimizer leaves them as they are. Their values
   * never depend on the data, so they cost no privacy, and the clip budget and the noise go
   * to the trained parameters only.
   */
  frozenParameters?: readonly string[];
  /**
   * Profiling: if given, milliseconds accumulate under 'pass', 'norms' (see PerSampleOptions),
   * 'clip' (factors and clipped sums), 'noise' (sampling, copy and add) and 'total'.
   */
  timings?: Record<string, number>;
}

/** What the step exposes: only private or public quantities (never a raw count of clipped examples). */
export interface DpStepState {
  steps: number;
  /** Clip norm used by the last step (changes under adaptive clipping). */
  clip: number;
  /** Noise std per coordinate of the summed gradient at the last step: σ_Δ·C. */
  noiseStd: number;
  /** Adaptive clipping's private estimate of the unclipped fraction at the last step. */
  unclippedFraction?: number;
  /** Path each layer's rule took at the last non-empty step (e.g. 'ghost', 'instantiate'). */
  paths: Record<string, string>;
}

/**
 * The step for any tapped model and batch (the trainer's GradientStep for the built-in
 * models; makePrivate's for a tf.LayersModel). `host.size` is the number of examples.
 */
export type DpGradientStep = {
  <Batch extends ExampleBatch<Batch>>(model: PerExampleModel<Batch>, batch: Batch, ctx: ForwardContext, host: { size: number }): GradientResult;
  readonly state: DpStepState;
  readonly adaptive?: AdaptiveClipping;
  /** Releases the noise worker. */
  dispose(): void;
};

export function checkDpStepOptions(options: DpStepOptions): void {
  const { noiseMultiplier, clip, expectedBatchSize, physicalBatchSize } = options;
  if (!(noiseMultiplier >= 0) || !Number.isFinite(noiseMultiplier)) throw new ConfigError(`noise multiplier must be a finite number ≥ 0, got ${noiseMultiplier}`);
  if (clip !== 'auto' && (!(clip > 0) || !Number.isFinite(clip))) throw new ConfigError(`clip norm must be a finite number > 0 or 'auto', got ${clip}`);
  if (!(expectedBatchSize > 0) || !Number.isFinite(expectedBatchSize)) throw new ConfigError(`expected batch size must be > 0, got ${expectedBatchSize}`);
  if (physicalBatchSize !== undefined && (!Number.isInteger(physicalBatchSize) || physicalBatchSize < 1)) {
    throw new ConfigError(`physical batch size must be an integer ≥ 1, got ${physicalBatchSize}`);
  }
  if (clip === 'auto' && (options.clipping ?? 'flat') !== 'flat') throw new ConfigError("adaptive clipping ('auto') works with flat clipping only: drop per-layer clipping or give a fixed clip");
}

/** ‖∇Lᵢ‖² over a record's trained parameters, on the host: [B]. */
function trainedSquaredNorms(record: RecordGradients, trained: (name: string) => boolean, B: number): Float64Array {
  const out = new Float64Array(B);
  for (const name of record.parameters) {
    if (!trained(name)) continue;
    const part = record.squaredNorms.get(name)!.dataSync();
    for (let i = 0; i < B; i++) out[i] += part[i];
  }
  return out;
}

export interface ClipFactors {
  /** cᵢ (already multiplied by the 1/(qN) scale) for each record: one shared array when flat. */
  perRecord: Float32Array[];
  /** ‖∇Lᵢ‖ over all trained parameters. */
  norms: Float64Array;
}

/**
 * Clip factors, times `scale`, for records that hold at least one trained parameter: one
 * [B] vector for flat clipping, or one per record (per-layer). Computed on the host (float64).
 */
export function clipFactors(records: RecordGradients[], B: number, clip: number, mode: ClippingMode, scale: number, trained: (name: string) => boolean): ClipFactors {
  const squared = records.map((r) => trainedSquaredNorms(r, trained, B));
  const norms = new Float64Array(B);
  for (const sq of squared) for (let i = 0; i < B; i++) norms[i] += sq[i];
  for (let i = 0; i < B; i++) norms[i] = Math.sqrt(norms[i]);
  const factors = (n: ArrayLike<number>, threshold: number, root: boolean): Float32Array => {
    const c = new Float32Array(B);
    for (let i = 0; i < B; i++) c[i] = Math.min(1, threshold / ((root ? Math.sqrt(n[i]) : n[i]) + NORM_EPSILON)) * scale;
    return c;
  };
  if (mode === 'flat') {
    const c = factors(norms, clip, false);
    return { perRecord: records.map(() => c), norms };
  }
  const layerClip = clip / Math.sqrt(records.length);
  return { perRecord: squared.map((sq) => factors(sq, layerClip, true)), norms };
}

/** The model's parameters minus the frozen ones (an unknown frozen name is an error). */
export function trainedParameters(model: PerExampleModel<never>, frozen: Set<string>): NamedParameter[] {
  const params = model.parameters();
  if (frozen.size === 0) return params;
  const names = new Set(params.map((p) => p.name));
  const unknown = [...frozen].filter((n) => !names.has(n));
  if (unknown.length > 0) {
    throw new ConfigError(`frozen parameter "${unknown[0]}" is not a parameter of the ${model.kind} model (its parameters: ${[...names].join(', ')})`);
  }
  const trained = params.filter((p) => !frozen.has(p.name));
  if (trained.length === 0) throw new ConfigError(`every parameter of the ${model.kind} model is frozen: nothing to train`);
  return trained;
}

export function dpGradientStep(options: DpStepOptions): DpGradientStep {
  checkDpStepOptions(options);
  const mode = options.clipping ?? 'flat';
  const scale = 1 / options.expectedBatchSize;
  const adaptive = options.clip === 'auto' ? new AdaptiveClipping(options.adaptiveClipping ?? {}, options.noiseMultiplier, options.expectedBatchSize) : undefined;
  const gradientSigma = adaptive ? adaptive.gradientNoiseMultiplier : options.noiseMultiplier;
  let noise: GaussianNoise | undefined = options.noise;
  const ownsNoise = noise === undefined;
  const state: DpStepState = { steps: 0, clip: adaptive ? adaptive.clip : (options.clip as number), noiseStd: 0, paths: {} };

  const frozen = new Set(options.frozenParameters ?? []);
  const trained = (name: string) => !frozen.has(name);
  const timings = options.timings;
  const perSample: PerSampleOptions = { ...options.perSample, timings };
  const addTime = (key: string, since: number): number => {
    const now = performance.now();
    if (timings) timings[key] = (timings[key] ?? 0) + (now - since);
    return now;
  };

  let zeros = new Float32Array(0);
  const step = <Batch extends ExampleBatch<Batch>>(model: PerExampleModel<Batch>, batch: Batch, ctx: ForwardContext, host: { size: number }): GradientResult => {
    const started = performance.now();
    const B = host.size;
    const clip = adaptive ? adaptive.clip : (options.clip as number);
    const params = trainedParameters(model as PerExampleModel<never>, frozen);
    const chunk = options.physicalBatchSize ?? Math.max(B, 1);
    // Noise N(0, σ²C²) per coordinate of the sum, i.e. std σC/(qN) on the mean.
    const std = gradientSigma * clip * scale;
    // Drawn first, on the host: rules with a host path (embeddings) add their clipped sums
    // straight into it.
    const noiseStart = performance.now();
    const total = params.reduce((n, p) => n + p.variable.size, 0);
    let z: Float32Array;
    if (std > 0) {
      noise ??= createGaussianNoise({ secure: options.secureNoise, prefetch: options.prefetchNoise ?? true });
      // Already scaled by the source (a prefetching one scales in its worker); the buffer is
      // ours until its next call.
      z = noise.normals(total, std);
    } else {
      if (zeros.length !== total) zeros = new Float32Array(total);
      else zeros.fill(0);
      z = zeros;
    }
    const slices = new Map<string, Float32Array>();
    let offset = 0;
    for (const p of params) {
      slices.set(p.name, z.subarray(offset, offset + p.variable.size));
      offset += p.variable.size;
    }
    addTime('noise', noiseStart);

    // Backend clipped sums, accumulated over physical chunks (kept across the chunks' scopes).
    const sums = new Map<string, tf.Tensor>();
    let lossSum = 0;
    let unclipped = 0;
    for (let start = 0; start < B; start += chunk) {
      const n = Math.min(chunk, B - start);
      let unclippedInChunk = 0;
      const out = tf.tidy(() => {
        const part = n === B ? batch : sliceBatch(batch, start, n);
        const { lossSum, records: all } = perSampleGradients(model, part, ctx, perSample);
        const records = frozen.size === 0 ? all : all.filter((r) => r.parameters.some(trained));
        const clipStart = performance.now();
        const { perRecord, norms } = clipFactors(records, n, clip, mode, scale, trained);
        const deviceFactors = new Map<Float32Array, tf.Tensor1D>();
        if (adaptive) for (let i = 0; i < n; i++) if (norms[i] <= clip) unclippedInChunk++;
        records.forEach((r, k) => {
          state.paths[r.layer] = r.path;
          if (r.addClippedSumTo && r.parameters.every(trained)) {
            r.addClippedSumTo(perRecord[k], new Map(r.parameters.map((name) => [name, slices.get(name)!])));
            return;
          }
          deviceFactors.set(perRecord[k], deviceFactors.get(perRecord[k]) ?? tf.tensor1d(perRecord[k]));
          for (const [name, t] of r.clippedSum(deviceFactors.get(perRecord[k])!)) {
            if (!trained(name)) continue;
            const previous = sums.get(name);
            sums.set(name, tf.keep(previous ? tf.add(previous, t) : t));
            previous?.dispose();
          }
        });
        addTime('clip', clipStart);
        return lossSum;
      });
      lossSum += out.dataSync()[0];
      unclipped += unclippedInChunk;
      out.dispose();
    }

    const addStart = performance.now();
    // wasm copies a new tensor's values; cpu keeps the array, which the noise source reuses.
    const copies = tf.getBackend() === 'wasm';
    const grads = new Map<string, tf.Tensor>();
    for (const p of params) {
      const sum = sums.get(p.name);
      if (sum && std === 0) {
        // A clone shares the data and belongs to the caller's scope (the kept sum does not).
        grads.set(p.name, tf.clone(sum));
        sum.dispose();
        continue;
      }
      const values = slices.get(p.name)!;
      const noisy = tf.tensor(copies ? values : values.slice(), p.variable.shape, 'float32');
      if (sum) {
        grads.set(p.name, tf.add(sum, noisy));
        sum.dispose();
        noisy.dispose();
      } else grads.set(p.name, noisy);
    }
    addTime('noise', addStart);
    addTime('total', started);
    state.steps++;
    state.clip = clip;
    state.noiseStd = gradientSigma * clip;
    if (adaptive) {
      adaptive.update(unclipped);
      state.unclippedFraction = adaptive.lastUnclippedFraction;
    }
    return { loss: tf.scalar(B > 0 ? lossSum / B : 0), grads };
  };

  return Object.assign(step, {
    state,
    adaptive,
    dispose() {
      if (ownsNoise) noise?.dispose();
      noise = undefined;
    },
  });
}
