/**
 * Engine handler for data-parallel eDP-SGD: one part of a Poisson batch. The part's tapped
 * pass and per-example norms (the same rules and clip factors as the one-engine step,
 * dp-step.ts), then its clipped sum Σᵢ cᵢ∇Lᵢ written into the part's shared gradient
 * buffer: embeddings on their host path straight into it, other layers' backend sums read
 * out of the engine's memory in place. Flat clipping needs only each example's own norm,
 * so a part clips exactly as the whole batch would. No noise here: the main thread adds it
 * once to the sum of the parts.
 */
import { tf } from '../../../engine/index.js';
import { addTensorInto } from '../../../engine/workers/index.js';
import { toTensorBatch } from '../../../models/index.js';
import { EngineReplica, sliceHostBatch, type EngineBoot, type PartJob } from '../../../train/data-parallel/index.js';
import { clipFactors, type ClippingMode } from '../dp-step.js';
import { perSampleGradients } from '../per-sample.js';
import type { PerSampleOptions } from '../rules/index.js';

/** Fixed for a run: sent once to every engine. */
export interface DpEngineConfig {
  mode: ClippingMode;
  frozen: string[];
  /** Largest number of examples in one tapped pass (default: the whole part). */
  physicalBatchSize?: number;
  perSample: Omit<PerSampleOptions, 'timings'>;
}

/** Per step: the clip norm (it moves under adaptive clipping) and 1/(qN). */
export interface DpPartExtra {
  clip: number;
  scale: number;
}

export interface DpPartResult {
  lossSum: number;
  /** Examples whose norm was ≤ clip (adaptive clipping's private count, noised on the main thread). */
  unclipped: number;
  paths: Record<string, string>;
  /** Milliseconds: tapped pass and norms, clip factors and clipped sums, and the whole part (parameter reload included). */
  timings: Record<string, number>;
}

let replica: EngineReplica<DpEngineConfig> | undefined;
/** The run's frozen parameter names (fixed for the run: built once, not per part). */
let frozen = new Set<string>();

export function init(boot: EngineBoot<DpEngineConfig>): void {
  replica = new EngineReplica(boot);
  frozen = new Set(boot.config.frozen);
}

export function handle(job: PartJob<DpPartExtra>): DpPartResult {
  const started = performance.now();
  const r = replica!;
  r.sync(job.version);
  const { mode, physicalBatchSize, perSample } = r.boot.config;
  const trained = (name: string) => !frozen.has(name);
  const slices = r.gradientViews(job.part);
  const { clip, scale } = job.extra;
  const model = r.model;
  const ctx = r.context(job);
  const timings: Record<string, number> = { pass: 0, norms: 0, clip: 0 };
  const result: DpPartResult = { lossSum: 0, unclipped: 0, paths: {}, timings };
  const B = job.batch.size;
  const chunk = physicalBatchSize ?? B;
  for (let start = 0; start < B; start += chunk) {
    const n = Math.min(chunk, B - start);
    const host = n === B ? job.batch : sliceHostBatch(job.batch, start, n);
    result.lossSum += tf.tidy(() => {
      const { lossSum, records: all } = perSampleGradients(model, toTensorBatch(host, model.task), ctx, { ...perSample, timings });
      const records = frozen.size === 0 ? all : all.filter((rec) => rec.parameters.some(trained));
      const clipStart = performance.now();
      const { perRecord, norms } = clipFactors(records, n, clip, mode, scale, trained);
      for (let i = 0; i < n; i++) if (norms[i] <= clip) result.unclipped++;
      const deviceFactors = new Map<Float32Array, tf.Tensor1D>();
      records.forEach((rec, k) => {
        result.paths[rec.layer] = rec.path;
        if (rec.addClippedSumTo && rec.parameters.every(trained)) {
          rec.addClippedSumTo(perRecord[k], new Map(rec.parameters.map((name) => [name, slices.get(name)!])));
          return;
        }
        if (!deviceFactors.has(perRecord[k])) deviceFactors.set(perRecord[k], tf.tensor1d(perRecord[k]));
        for (const [name, t] of rec.clippedSum(deviceFactors.get(perRecord[k])!)) if (trained(name)) addTensorInto(t, slices.get(name)!);
      });
      timings.clip += performance.now() - clipStart;
      return lossSum.dataSync()[0];
    });
  }
  timings.part = performance.now() - started;
  return result;
}
