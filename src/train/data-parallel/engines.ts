/**
 * Data parallelism over several engines (DESIGN.md §2: wasm is single-threaded, so more
 * cores mean more worker threads, each with its own tfjs engine). A logical batch is split
 * into one contiguous part per engine; each engine holds a replica of the model, computes
 * its part's contribution (a gradient sum, or a clipped per-example sum for DP) into its own
 * shared gradient buffer, and the main thread combines the parts. Parameters live in one
 * shared flat array that the main thread updates and every engine reads at its next part:
 * no parameter or gradient crosses a thread as a message copy.
 *
 * The pool and its failure model are engine/workers' WorkerPool; the handler module decides
 * what a part computes (gradient-handler.ts, or privacy's DP handler).
 */
import { availableParallelism } from 'node:os';
import { currentBackend } from '../../engine/index.js';
import { WorkerPool, assignVariablesFrom, copyVariablesInto, flatLayout, sharedFloats, type FlatLayout } from '../../engine/workers/index.js';
import { ConfigError } from '../../errors.js';
import type { AnyModel, HostBatch } from '../../models/index.js';
import { modelSpecOf, sliceHostBatch, type EngineBoot, type PartJob } from './replica.js';

/** The default number of engines: one per core. */
export function defaultEngineCount(): number {
  return availableParallelism();
}

export function checkEngineCount(engines: number): void {
  if (!Number.isInteger(engines) || engines < 1) throw new ConfigError(`engines must be an integer ≥ 1, got ${engines}`);
}

export interface DataParallelEnginesOptions<Config> {
  engines: number;
  /** The job-handler module every engine runs (init(boot: EngineBoot), handle(job: PartJob)). */
  handler: URL;
  config: Config;
}

/** Sizes of `parts` contiguous parts of `n` examples, differing by at most one. */
export function partSizes(n: number, parts: number): number[] {
  return Array.from({ length: parts }, (_, k) => Math.floor(n / parts) + (k < n % parts ? 1 : 0));
}

export class DataParallelEngines<Extra = unknown, Result = unknown, Config = unknown> {
  readonly count: number;
  readonly layout: FlatLayout;
  /** The model's parameters, flat, on shared memory: the main thread writes, engines read. */
  readonly parameters: Float32Array;
  /** One gradient buffer per part. */
  readonly gradients: Float32Array[];
  private readonly pool: WorkerPool<PartJob<Extra>, Result, EngineBoot<Config>>;
  private version = 0;

  constructor(model: AnyModel, options: DataParallelEnginesOptions<Config>) {
    checkEngineCount(options.engines);
    this.count = options.engines;
    const params = model.parameters();
    this.layout = flatLayout(params);
    this.parameters = sharedFloats(this.layout.total);
    this.gradients = Array.from({ length: this.count }, () => sharedFloats(this.layout.total));
    copyVariablesInto(params, this.layout, this.parameters);
    const backend = currentBackend();
    this.pool = new WorkerPool({
      handler: options.handler,
      size: this.count,
      backend: backend === 'cpu' ? 'cpu' : 'wasm',
      config: { spec: modelSpecOf(model), layout: this.layout, parameters: this.parameters, gradients: this.gradients, config: options.config },
    });
  }

  /** Resolves once every engine has built its replica. */
  ready(): Promise<void> {
    return this.pool.ready();
  }

  /** Copies the model's current parameters to the engines (after a resume, say). */
  publishFrom(model: AnyModel): void {
    copyVariablesInto(model.parameters(), this.layout, this.parameters);
    this.version++;
  }

  /** Call after changing `parameters` in place (the optimizer's update). */
  parametersChanged(): void {
    this.version++;
  }

  /** Writes the shared parameters into the main thread's model (for validation or saving). */
  copyTo(model: AnyModel): void {
    assignVariablesFrom(model.parameters(), this.layout, this.parameters);
  }

  /**
   * Runs the batch's parts, one per engine (fewer when the batch has fewer examples than
   * engines; none for an empty batch). Resolves with each part's result and gradient buffer.
   */
  async run(batch: HostBatch, seed: number, extra: Extra): Promise<{ results: Result[]; gradients: Float32Array[] }> {
    const sizes = partSizes(batch.size, this.count);
    const jobs: PartJob<Extra>[] = [];
    let start = 0;
    sizes.forEach((n, part) => {
      if (n > 0) jobs.push({ version: this.version, part, batch: sliceHostBatch(batch, start, n), seed, extra });
      start += n;
    });
    const results = await this.pool.map(jobs);
    return { results, gradients: jobs.map((j) => this.gradients[j.part]) };
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

/** A data-parallel gradient source: what the trainer's data-parallel step asks for each batch. */
export interface ParallelGradients {
  readonly engines: DataParallelEngines;
  /**
   * The step's gradient for each trained parameter (views valid until the next call) and
   * the batch's mean loss. `seed` seeds the parts' dropout.
   */
  gradients(batch: HostBatch, seed: number): Promise<{ loss: number; grads: Map<string, Float32Array> }>;
  close(): Promise<void>;
}
