/**
 * Where simulated clients run: on the worker pool (one tfjs engine and one model per
 * worker, the dataset sent once at start-up), in this thread (workers = 0, for small
 * runs, tests and the overhead benchmark), or on the Redis queue (`queue`: `trustnlu worker`
 * processes on any machine; the dataset travels once per run with the run's record, or is read
 * by the worker from its own data directory when it is a named dataset; each round's global
 * model travels in the checkpoint format, model-transport.ts). Both run the same handler code, and every job
 * is self-contained (parameters, indices, seed), so results do not depend on the executor
 * or on which worker ran which client.
 */
import { availableParallelism } from 'node:os';
import { initEngine, type BackendName } from '../../engine/index.js';
import { WorkerPool } from '../../engine/workers/index.js';
import { QueueJobRunner, type QueueRunOptions } from '../../engine/jobs/index.js';
import { ConfigError } from '../../errors.js';
import type { ParameterLayout, ParameterSet } from '../aggregate/index.js';
import { combineEvaluations, exampleCount, packParameters, viewParameters, type EvaluationSums } from '../client/index.js';
import type { FederatedDataset } from './federated-dataset.js';
import {
  TrainingWorker,
  type FitJobResult,
  type InitialParametersResult,
  type SimulationJob,
  type TrainingHandlerConfig,
} from './training-handler.js';
import type { DeviceLabelConfig } from '../labels/device-labels.js';
import { globalModelCheckpoint } from './model-transport.js';
import { FEDERATED_DATA_LOADER } from './job-data.js';

/** Evaluation is cut into chunks of this many examples whatever the worker count, so sums add up identically. */
export const EVALUATION_CHUNK = 256;

export interface ExecutorOptions {
  /** Worker threads; 0 runs clients in this thread. Default os.availableParallelism(). */
  workers?: number;
  /** tfjs backend (workers initialise their own; in-process initialises this thread's). Default wasm. */
  backend?: BackendName;
  /** Devices hold no gold labels (feedback or semi-supervised runs; see labels/). */
  deviceLabels?: DeviceLabelConfig;
  /** Run the clients on the Redis queue instead (workers is then ignored). */
  queue?: QueueRunOptions;
}

/** The job handler's name on the queue (src/job-handlers.ts). */
export const FL_CLIENT_HANDLER = 'fl-client';

export class SimulationExecutor {
  private constructor(
    readonly workers: number,
    /** Where the jobs run: "in process", "N worker threads", "queue redis://…". */
    readonly description: string,
    private readonly sharedBroadcast: boolean,
    private readonly runJob: (job: SimulationJob) => Promise<unknown>,
    private readonly shutdown: () => Promise<void>,
    readonly layout: ParameterLayout,
    private readonly initialFlat: Float32Array,
  ) {}

  static async create(data: FederatedDataset, options: ExecutorOptions = {}): Promise<SimulationExecutor> {
    const workers = options.workers ?? availableParallelism();
    if (!Number.isInteger(workers) || workers < 0) throw new ConfigError(`workers must be an integer ≥ 0 (0 = in this thread), got ${options.workers}`);
    const backend = options.backend ?? 'wasm';
    const config: TrainingHandlerConfig = {
      model: data.model,
      train: data.train,
      evaluation: data.evaluation,
      ...(data.outOfScopeIndex !== undefined ? { outOfScopeIndex: data.outOfScopeIndex } : {}),
      ...(options.deviceLabels ? { deviceLabels: options.deviceLabels } : {}),
    };
    let runJob: (job: SimulationJob) => Promise<unknown>;
    let shutdown: () => Promise<void>;
    let description: string;
    let onWire: ((job: SimulationJob) => SimulationJob) | undefined;
    if (options.queue) {
      // a named dataset: a worker with it in its data directory reads its own copy (checked by hash)
      const local = data.localSource;
      const sharedData = local ? { loader: FEDERATED_DATA_LOADER, dataset: local.dataset, params: local, value: { train: config.train, evaluation: config.evaluation } } : undefined;
      const { train: _train, evaluation: _evaluation, ...withoutData } = config;
      const runConfig = sharedData ? withoutData : config;
      const runner = await QueueJobRunner.open<SimulationJob, unknown>({ ...options.queue, handler: FL_CLIENT_HANDLER, config: runConfig, backend, ...(sharedData ? { sharedData } : {}) });
      runJob = (job) => runner.run(onWire ? onWire(job) : job);
      shutdown = () => runner.close();
      description = runner.description;
    } else if (workers === 0) {
      await initEngine({ backend });
      const worker = await TrainingWorker.create(config);
      runJob = async (job) => worker.handle(job);
      shutdown = async () => worker.dispose();
      description = 'in process';
    } else {
      const pool = new WorkerPool<SimulationJob, unknown, TrainingHandlerConfig>({
        handler: new URL('./training-handler.js', import.meta.url),
        config,
        size: workers,
        backend,
      });
      try {
        await pool.ready();
      } catch (error) {
        await pool.close();
        throw error;
      }
      runJob = (job) => pool.run(job);
      shutdown = () => pool.close();
      description = `${workers} worker threads`;
    }
    let initial: InitialParametersResult;
    try {
      initial = (await runJob({ type: 'initial' })) as InitialParametersResult;
    } catch (error) {
      await shutdown();
      throw error;
    }
    const queued = options.queue !== undefined;
    if (queued) {
      // every job of a round shares one broadcast vector: its checkpoint is encoded once
      const encoded = new WeakMap<Float32Array, ReturnType<typeof globalModelCheckpoint>>();
      const checkpointOf = (flat: Float32Array) => {
        let files = encoded.get(flat);
        if (!files) encoded.set(flat, (files = globalModelCheckpoint(data.model, initial.layout, initial.shapes, flat)));
        return files;
      };
      onWire = (job) => (job.type === 'initial' || !(job.parameters instanceof Float32Array) ? job : { ...job, parameters: checkpointOf(job.parameters) });
    }
    return new SimulationExecutor(queued ? 0 : workers, description, !queued && workers > 0, runJob, shutdown, initial.layout, initial.parameters);
  }

  /** The model's initial parameters (built from the dataset's model seed). */
  initialParameters(): ParameterSet {
    return viewParameters(this.initialFlat.slice(), this.layout);
  }

  /** Parameters as one vector every job of a round can share (shared memory for worker threads; stored once per round on the queue). */
  broadcast(parameters: ParameterSet): Float32Array {
    return packParameters(parameters, this.sharedBroadcast);
  }

  /** Runs fit jobs concurrently; settles each one (a failed client does not stop the others). */
  fit(jobs: Extract<SimulationJob, { type: 'fit' }>[], onSettled?: () => void): Promise<PromiseSettledResult<FitJobResult>[]> {
    return Promise.allSettled(
      jobs.map((job) =>
        (this.runJob(job) as Promise<FitJobResult>).finally(() => onSettled?.()),
      ),
    );
  }

  /** Evaluates `parameters` (a broadcast vector) on the examples at `indices` of a split, in fixed chunks. */
  async evaluate(split: 'train' | 'evaluation', indices: Int32Array, parameters: Float32Array): Promise<EvaluationSums> {
    const chunks: Int32Array[] = [];
    for (let start = 0; start < indices.length; start += EVALUATION_CHUNK) chunks.push(indices.subarray(start, start + EVALUATION_CHUNK));
    const parts = await Promise.all(
      chunks.map((chunk) => this.runJob({ type: 'evaluate', split, indices: chunk.slice(), parameters }) as Promise<EvaluationSums>),
    );
    return combineEvaluations(parts);
  }

  /** Every example of the evaluation split. */
  evaluationIndices(data: FederatedDataset): Int32Array {
    return Int32Array.from({ length: exampleCount(data.evaluation) }, (_, i) => i);
  }

  async close(): Promise<void> {
    await this.shutdown();
  }
}
