/**
 * Non-private data-parallel gradients: the batch's mean gradient as the sum of the parts'
 * gradient sums divided by the batch size (the same quantity as plain backprop of the mean
 * loss on one engine, up to float summation order).
 */
import type { AnyModel, HostBatch } from '../../models/index.js';
import { flatViews } from '../../engine/workers/index.js';
import { DataParallelEngines, type ParallelGradients } from './engines.js';

export class DataParallelPlainGradients implements ParallelGradients {
  readonly engines: DataParallelEngines<null, { lossSum: number; ms: number }>;
  private readonly sum: Float32Array;
  private readonly views: Map<string, Float32Array>;

  constructor(model: AnyModel, engines: number) {
    this.engines = new DataParallelEngines(model, { engines, handler: new URL('./gradient-handler.js', import.meta.url), config: null });
    this.sum = new Float32Array(this.engines.layout.total);
    this.views = flatViews(this.engines.layout, this.sum);
  }

  /** Profiling: the slowest part's engine milliseconds at the last step. */
  lastPartMs = 0;

  async gradients(batch: HostBatch, seed: number): Promise<{ loss: number; grads: Map<string, Float32Array> }> {
    const B = batch.size;
    this.sum.fill(0);
    if (B === 0) return { loss: 0, grads: this.views };
    const { results, gradients } = await this.engines.run(batch, seed, null);
    this.lastPartMs = Math.max(0, ...results.map((r) => r.ms));
    addParts(this.sum, gradients);
    const inverse = 1 / B;
    const sum = this.sum;
    for (let i = 0; i < sum.length; i++) sum[i] *= inverse;
    return { loss: results.reduce((s, r) => s + r.lossSum, 0) / B, grads: this.views };
  }

  close(): Promise<void> {
    return this.engines.close();
  }
}

/** out += each part, coordinate by coordinate. */
export function addParts(out: Float32Array, parts: Float32Array[]): void {
  const n = out.length;
  for (const part of parts) for (let i = 0; i < n; i++) out[i] += part[i];
}
