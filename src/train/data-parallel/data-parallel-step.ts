/**
 * The trainer's step when the gradient comes from several engines: ask the gradient source
 * for the batch's gradient (every engine computes its part), apply the optimizer on the main
 * thread to the shared parameters in place, and mark them changed so each engine reloads
 * them before its next part. The main thread's own model is brought up to date only when it
 * is needed (validation, saving, the end of training).
 */
import type { AnyModel, HostBatch } from '../../models/index.js';
import type { OptimizerOptions } from '../optimizers.js';
import type { ParallelGradients } from './engines.js';
import { createHostOptimizer, type HostOptimizer } from './host-optimizer.js';

export class DataParallelStep {
  readonly optimizer: HostOptimizer;

  constructor(readonly source: ParallelGradients, optimizer: OptimizerOptions) {
    this.optimizer = createHostOptimizer(optimizer, source.engines.layout, source.engines.parameters);
  }

  /** Starts the engines from the model's current parameters. */
  publish(model: AnyModel): void {
    this.source.engines.publishFrom(model);
  }

  /** One step; returns the batch's mean loss (no update when it is not finite). */
  async run(batch: HostBatch, lr: number, seed: number): Promise<number> {
    const { loss, grads } = await this.source.gradients(batch, seed);
    if (!Number.isFinite(loss)) return loss;
    this.optimizer.step(grads, lr);
    this.source.engines.parametersChanged();
    return loss;
  }

  /** Writes the trained parameters into the main thread's model. */
  copyTo(model: AnyModel): void {
    this.source.engines.copyTo(model);
  }

  async close(): Promise<void> {
    this.optimizer.dispose();
    await this.source.close();
  }
}
