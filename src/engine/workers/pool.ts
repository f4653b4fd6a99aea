/**
 * One worker pool for everything that needs parallel tfjs work (FL simulation clients,
 * LiRA shadow models, studies). wasm is single-threaded in Node, so parallelism comes from
 * worker_threads, each with its own tfjs engine (DESIGN.md §7).
 *
 * A pool runs one job-handler module in every worker: an ES module exporting
 * `init(config, context)` (optional, called once per worker, e.g. to build a model and keep
 * a dataset) and `handle(job)` (called per job). Jobs and results are plain data
 * (structured clone). Typed arrays in results are transferred, not copied; typed arrays in
 * jobs are copied unless listed in `transfer`, or shared when they sit on a
 * SharedArrayBuffer (how to broadcast one large array, e.g. global weights, to every job).
 *
 * Failure model:
 * - a job that throws rejects its promise with the worker's error (same trustnlu error
 *   class when there is one, else WorkerJobError); the worker stays and the pool goes on;
 * - a worker that dies (uncaught exception, process.exit, out of memory) rejects its
 *   current job with WorkerCrashError and is replaced by a fresh worker;
 * - a worker whose handler fails to load or init breaks the pool: every pending and later
 *   job rejects with WorkerInitError (retrying would fail the same way).
 */
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { pathToFileURL } from 'node:url';
import { isAbsolute } from 'node:path';
import { ConfigError } from '../../errors.js';
import { mapJobs, type JobRunner } from '../jobs/job-runner.js';
import {
  deserializeError,
  WorkerCrashError,
  WorkerInitError,
  type JobMessage,
  type WorkerBootData,
  type WorkerMessage,
} from './messages.js';

/** What a job-handler module exports. */
export interface JobHandlerModule<Config = unknown, Job = unknown, Result = unknown> {
  init?(config: Config, context: WorkerContext): void | Promise<void>;
  handle(job: Job): Result | Promise<Result>;
}

export interface WorkerContext {
  /** 0-based index of the worker slot (a replacement keeps its predecessor's index). */
  workerIndex: number;
}

export interface WorkerPoolOptions<Config = unknown> {
  /** The handler module: a file URL (e.g. `new URL('./my-handler.js', import.meta.url)`) or an absolute path. */
  handler: URL | string;
  /** Passed to every worker's `init` once (structured clone). */
  config?: Config;
  /** Number of workers; default os.availableParallelism(). */
  size?: number;
  /** tfjs backend each worker initialises before loading the handler; null for handlers that use no tfjs. Default 'wasm'. */
  backend?: 'wasm' | 'cpu' | null;
  /** Per-worker V8 heap limits (MB), passed to worker_threads. */
  resourceLimits?: { maxOldGenerationSizeMb?: number; maxYoungGenerationSizeMb?: number };
}

export interface RunOptions {
  /** ArrayBuffers moved into the worker (the caller loses them). */
  transfer?: ArrayBuffer[];
}

export interface MapOptions<Result> {
  /** Called as each result arrives (in completion order) with its job's index. */
  onResult?: (result: Result, index: number) => void;
  /** Per-job transfer lists, by index. */
  transfer?: (index: number) => ArrayBuffer[] | undefined;
}

export interface PoolStats {
  size: number;
  /** Workers currently alive. */
  live: number;
  completed: number;
  failed: number;
  /** Workers that died and were replaced. */
  replaced: number;
  queued: number;
  running: number;
}

interface Task {
  id: number;
  job: unknown;
  transfer: ArrayBuffer[];
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

interface Slot {
  index: number;
  worker: Worker;
  ready: boolean;
  current?: Task;
  uncaught?: Error;
  exited: Promise<void>;
}

/**
 * The parent's Node flags minus those that only make sense for a main script (a worker
 * inherits execArgv, and `--input-type` makes a worker refuse to start).
 */
function workerExecArgv(): string[] {
  const out: string[] = [];
  const argv = process.execArgv;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (flag.startsWith('--input-type')) continue;
    if (['-e', '--eval', '-p', '--print'].includes(flag)) {
      i++; // and the script after it
      continue;
    }
    if (/^--(eval|print)=/.test(flag)) continue;
    out.push(flag);
  }
  return out;
}

function handlerHref(handler: URL | string): string {
  if (handler instanceof URL) return handler.href;
  if (/^(file|data):/.test(handler)) return handler;
  if (isAbsolute(handler)) return pathToFileURL(handler).href;
  throw new ConfigError(`WorkerPool: handler must be a file URL or an absolute path, got "${handler}" (use new URL('./handler.js', import.meta.url))`);
}

export class WorkerPool<Job = unknown, Result = unknown, Config = unknown> implements JobRunner<Job, Result> {
  readonly size: number;
  private readonly boot: Omit<WorkerBootData, 'workerIndex'>;
  private readonly resourceLimits?: WorkerPoolOptions['resourceLimits'];
  private readonly slots: Slot[] = [];
  private readonly queue: Task[] = [];
  private nextId = 1;
  private closing = false;
  private closed = false;
  private broken: Error | undefined;
  private counts = { completed: 0, failed: 0, replaced: 0 };
  private readyWaiters: { resolve: () => void; reject: (e: Error) => void }[] = [];
  private idleWaiters: (() => void)[] = [];

  constructor(options: WorkerPoolOptions<Config>) {
    const size = options.size ?? availableParallelism();
    if (!Number.isInteger(size) || size < 1) throw new ConfigError(`WorkerPool: size must be an integer ≥ 1, got ${options.size}`);
    const backend = options.backend === undefined ? 'wasm' : options.backend;
    if (backend !== null && backend !== 'wasm' && backend !== 'cpu') {
      throw new ConfigError(`WorkerPool: backend must be 'wasm', 'cpu' or null, got ${String(backend)}`);
    }
    this.size = size;
    this.boot = { handler: handlerHref(options.handler), config: options.config, backend };
    this.resourceLimits = options.resourceLimits;
    for (let i = 0; i < size; i++) this.spawn(i);
  }

  /** Resolves once every worker has initialised; rejects with WorkerInitError if one could not. */
  ready(): Promise<void> {
    if (this.broken) return Promise.reject(this.broken);
    if (this.slots.length === this.size && this.slots.every((s) => s.ready)) return Promise.resolve();
    return new Promise((resolve, reject) => this.readyWaiters.push({ resolve, reject }));
  }

  /** Runs one job on the next free worker. */
  run(job: Job, options: RunOptions = {}): Promise<Result> {
    if (this.broken) return Promise.reject(this.broken);
    if (this.closing || this.closed) return Promise.reject(new ConfigError('WorkerPool: the pool is closed; create a new pool to run more jobs'));
    return new Promise<Result>((resolve, reject) => {
      this.queue.push({ id: this.nextId++, job, transfer: options.transfer ?? [], resolve: resolve as (v: unknown) => void, reject });
      this.dispatch();
    });
  }

  /**
   * Runs every job and resolves with the results in job order (whatever order they finish
   * in). Rejects with the first failure in job order, after every job has settled.
   */
  map(jobs: readonly Job[], options: MapOptions<Result> = {}): Promise<Result[]> {
    return mapJobs(jobs, (job, index) => this.run(job, { transfer: options.transfer?.(index) }), options.onResult);
  }

  stats(): PoolStats {
    return {
      size: this.size,
      live: this.slots.length,
      ...this.counts,
      queued: this.queue.length,
      running: this.slots.filter((s) => s.current).length,
    };
  }

  /** Thread ids of the live workers. */
  threadIds(): number[] {
    return this.slots.map((s) => s.worker.threadId);
  }

  /**
   * Lets queued and running jobs finish, then terminates every worker. No job is accepted
   * after close() is called. Resolves when every worker thread has exited.
   */
  async close(): Promise<void> {
    if (this.closed) {
      await this.allExited();
      return;
    }
    this.closing = true;
    if (!this.broken && (this.queue.length > 0 || this.slots.some((s) => s.current))) {
      await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    }
    await this.terminate();
  }

  /** Terminates every worker now; queued and running jobs reject. */
  async terminate(): Promise<void> {
    this.closing = true;
    this.closed = true;
    const stopped = new ConfigError('WorkerPool: terminated before the job finished');
    for (const task of this.queue.splice(0)) task.reject(stopped);
    for (const waiter of this.readyWaiters.splice(0)) waiter.reject(stopped);
    const slots = this.slots.slice();
    for (const slot of slots) {
      const task = slot.current;
      slot.current = undefined;
      task?.reject(stopped);
    }
    await Promise.all(slots.map((slot) => slot.worker.terminate()));
    await this.allExited();
    this.notifyIdle();
  }

  private async allExited(): Promise<void> {
    await Promise.all(this.slots.map((slot) => slot.exited));
  }

  private spawn(index: number): void {
    const worker = new Worker(new URL('./worker-main.js', import.meta.url), {
      workerData: { ...this.boot, workerIndex: index } satisfies WorkerBootData,
      resourceLimits: this.resourceLimits,
      execArgv: workerExecArgv(),
      // A worker's console output goes to the parent's stderr: stdout carries a command's one result.
      stdout: true,
    });
    // Forwarded chunk by chunk: a pipe per worker would add listeners to stderr and warn past ten workers.
    worker.stdout.on('data', (chunk: Buffer) => process.stderr.write(chunk));
    let markExited!: () => void;
    const slot: Slot = { index, worker, ready: false, exited: new Promise<void>((r) => (markExited = r)) };
    this.slots.push(slot);
    worker.on('message', (message: WorkerMessage) => this.onMessage(slot, message));
    worker.on('error', (error) => {
      slot.uncaught = error;
    });
    worker.on('exit', (code) => {
      markExited();
      this.onExit(slot, code);
    });
  }

  private onMessage(slot: Slot, message: WorkerMessage): void {
    if (message.type === 'ready') {
      slot.ready = true;
      if (this.slots.length === this.size && this.slots.every((s) => s.ready)) {
        for (const waiter of this.readyWaiters.splice(0)) waiter.resolve();
      }
      this.dispatch();
      return;
    }
    if (message.type === 'init-error') {
      this.breakPool(new WorkerInitError(`worker ${slot.index} could not start the job handler ${this.boot.handler}: ${message.error.message}`));
      return;
    }
    const task = slot.current;
    if (!task || task.id !== message.id) return; // a result for a job already rejected (terminate)
    slot.current = undefined;
    if (message.ok) {
      this.counts.completed++;
      task.resolve(message.value);
    } else {
      this.counts.failed++;
      task.reject(deserializeError(message.error));
    }
    this.dispatch();
  }

  private onExit(slot: Slot, code: number): void {
    const at = this.slots.indexOf(slot);
    if (at >= 0) this.slots.splice(at, 1);
    if (this.closed) return;
    const reason = slot.uncaught ? `: ${slot.uncaught.message}` : '';
    if (!slot.ready) {
      this.breakPool(new WorkerInitError(`worker ${slot.index} exited with code ${code} while starting the job handler ${this.boot.handler}${reason}`));
      return;
    }
    const task = slot.current;
    if (task) {
      this.counts.failed++;
      task.reject(new WorkerCrashError(`worker ${slot.index} (thread ${slot.worker.threadId}) died with exit code ${code} while running a job${reason}; it was replaced`));
    }
    if (!this.broken) {
      this.counts.replaced++;
      this.spawn(slot.index);
    }
    this.dispatch();
  }

  private breakPool(error: Error): void {
    if (this.broken) return;
    this.broken = error;
    for (const task of this.queue.splice(0)) task.reject(error);
    for (const slot of this.slots) {
      const task = slot.current;
      slot.current = undefined;
      task?.reject(error);
    }
    for (const waiter of this.readyWaiters.splice(0)) waiter.reject(error);
    this.closing = true;
    this.closed = true;
    for (const slot of this.slots.slice()) void slot.worker.terminate();
    this.notifyIdle();
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (this.queue.length === 0) break;
      if (!slot.ready || slot.current) continue;
      const task = this.queue.shift()!;
      slot.current = task;
      const message: JobMessage = { type: 'job', id: task.id, job: task.job };
      try {
        slot.worker.postMessage(message, task.transfer);
      } catch (error) {
        slot.current = undefined;
        this.counts.failed++;
        task.reject(new ConfigError(`WorkerPool: the job cannot be sent to a worker (${(error as Error).message}); jobs must be plain data`));
      }
    }
    if (this.queue.length === 0 && !this.slots.some((s) => s.current)) this.notifyIdle();
  }

  private notifyIdle(): void {
    for (const waiter of this.idleWaiters.splice(0)) waiter();
  }
}
