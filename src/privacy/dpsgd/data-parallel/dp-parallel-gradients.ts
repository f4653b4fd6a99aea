/**
 * Data-parallel eDP-SGD, the main thread's side: the Poisson batch is split over the
 * engines (each clips its part's examples and sums them, dp-part-handler.ts); meanwhile the
 * noise N(0, σ²C²) for every trained coordinate is drawn here, once per logical batch, from
 * the same source as the one-engine step (the CSPRNG, prefetched in a worker thread); then
 * the parts are added to it. The result is divided by the expected batch size q·N (the clip
 * factors carry that scale), as dp-step.ts does. Sampling, clipping and noise are exactly
 * those of the one-engine step, so the privacy accounting is unchanged; only the order of
 * the float additions differs.
 */
import { flatViews } from '../../../engine/workers/index.js';
import type { AnyModel, HostBatch } from '../../../models/index.js';
import { DataParallelEngines, addParts, type ParallelGradients } from '../../../train/data-parallel/index.js';
import { AdaptiveClipping } from '../adaptive-clipping.js';
import { checkDpStepOptions, trainedParameters, type DpStepOptions, type DpStepState } from '../dp-step.js';
import { createGaussianNoise, type GaussianNoise } from '../noise.js';
import type { DpEngineConfig, DpPartExtra, DpPartResult } from './dp-part-handler.js';

export class DataParallelDpGradients implements ParallelGradients {
  readonly engines: DataParallelEngines<DpPartExtra, DpPartResult, DpEngineConfig>;
  readonly state: DpStepState;
  readonly adaptive?: AdaptiveClipping;
  /**
   * Profiling, if given: milliseconds accumulate under 'noise' (draw and copy), 'parts'
   * (waiting for the engines after that), 'sum' (adding the parts), and the slowest part's
   * 'pass', 'norms', 'clip' and 'part' (its whole time in its engine).
   */
  readonly timings?: Record<string, number>;
  private readonly noise: GaussianNoise;
  private readonly ownsNoise: boolean;
  private readonly gradientSigma: number;
  private readonly scale: number;
  private readonly out: Float32Array;
  private readonly grads: Map<string, Float32Array>;
  /** Trained coordinates: the noise drawn per step. */
  private readonly noiseSize: number;

  constructor(model: AnyModel, options: DpStepOptions, engines: number) {
    checkDpStepOptions(options);
    const frozen = new Set(options.frozenParameters ?? []);
    const trainedNames = trainedParameters(model as never, frozen).map((p) => p.name);
    this.scale = 1 / options.expectedBatchSize;
    this.adaptive = options.clip === 'auto' ? new AdaptiveClipping(options.adaptiveClipping ?? {}, options.noiseMultiplier, options.expectedBatchSize) : undefined;
    this.gradientSigma = this.adaptive ? this.adaptive.gradientNoiseMultiplier : options.noiseMultiplier;
    this.state = { steps: 0, clip: this.adaptive ? this.adaptive.clip : (options.clip as number), noiseStd: 0, paths: {} };
    this.ownsNoise = options.noise === undefined;
    this.noise = options.noise ?? createGaussianNoise({ secure: options.secureNoise, prefetch: options.prefetchNoise ?? true });
    this.timings = options.timings;
    const config: DpEngineConfig = {
      mode: options.clipping ?? 'flat',
      frozen: [...frozen],
      physicalBatchSize: options.physicalBatchSize,
      perSample: { sequencePath: options.perSample?.sequencePath, instantiateLimit: options.perSample?.instantiateLimit, embeddingPath: options.perSample?.embeddingPath },
    };
    this.engines = new DataParallelEngines(model, { engines, handler: new URL('./dp-part-handler.js', import.meta.url), config });
    this.out = new Float32Array(this.engines.layout.total);
    const views = flatViews(this.engines.layout, this.out);
    this.grads = new Map(trainedNames.map((name) => [name, views.get(name)!]));
    this.noiseSize = [...this.grads.values()].reduce((n, g) => n + g.length, 0);
  }

  async gradients(batch: HostBatch, seed: number): Promise<{ loss: number; grads: Map<string, Float32Array> }> {
    const clip = this.adaptive ? this.adaptive.clip : this.state.clip;
    const extra: DpPartExtra = { clip, scale: this.scale };
    // Parts start first: the noise is drawn while the engines compute.
    const running = batch.size > 0 ? this.engines.run(batch, seed, extra) : Promise.resolve({ results: [] as DpPartResult[], gradients: [] as Float32Array[] });
    const t0 = performance.now();
    const std = this.gradientSigma * clip * this.scale;
    const z = std > 0 ? this.noise.normals(this.noiseSize, std) : undefined;
    let offset = 0;
    for (const g of this.grads.values()) {
      if (z) g.set(z.subarray(offset, offset + g.length));
      else g.fill(0);
      offset += g.length;
    }
    const t1 = performance.now();
    const { results, gradients } = await running;
    const t2 = performance.now();
    addParts(this.out, gradients);
    const t3 = performance.now();
    if (this.timings) {
      this.timings.noise = (this.timings.noise ?? 0) + (t1 - t0);
      this.timings.parts = (this.timings.parts ?? 0) + (t2 - t1);
      this.timings.sum = (this.timings.sum ?? 0) + (t3 - t2);
      for (const key of ['pass', 'norms', 'clip', 'part']) this.timings[key] = (this.timings[key] ?? 0) + Math.max(0, ...results.map((r) => r.timings[key] ?? 0));
    }
    let lossSum = 0;
    let unclipped = 0;
    for (const r of results) {
      lossSum += r.lossSum;
      unclipped += r.unclipped;
      Object.assign(this.state.paths, r.paths);
    }
    this.state.steps++;
    this.state.clip = clip;
    this.state.noiseStd = this.gradientSigma * clip;
    if (this.adaptive) {
      this.adaptive.update(unclipped);
      this.state.unclippedFraction = this.adaptive.lastUnclippedFraction;
    }
    return { loss: batch.size > 0 ? lossSum / batch.size : 0, grads: this.grads };
  }

  async close(): Promise<void> {
    if (this.ownsNoise) this.noise.dispose();
    await this.engines.close();
  }
}
