/**
 * The worker's side of the Redis queue (`trustnlu worker --queue …`): takes jobs from BullMQ
 * and runs them on a local worker_threads pool of `concurrency` threads, one pool per run
 * (built from the run's record: handler, backend, configuration).
 *
 * The jobs run on threads, never on this process's event loop, so the loop stays free to renew
 * BullMQ's job locks: a worker that is busy keeps its jobs, a worker that is killed loses them
 * after `stallSeconds`, when another worker's stalled-job check puts them back in the queue.
 *
 * What a worker trusts: only handler modules from the table it was started with (a job names a
 * handler, it never carries code or a module path), run and job ids of the coordinator's form,
 * blobs whose bytes hash to their name, and records of bounded size.
 *
 * A run whose data comes from a named dataset names it with a content hash: a worker started
 * with a data directory rebuilds the data there (with a loader from its own table) and uses it
 * if the hash matches; otherwise, or without a data directory, it reads the data from Redis
 * (a copy that differs is reported, once per run, as `run-data-differs`).
 */
import { availableParallelism, hostname } from 'node:os';
import type { Redis } from 'ioredis';
import type { Job, Worker } from 'bullmq';
import { ConfigError, QueueJobError } from '../../errors.js';
import { WorkerPool } from '../workers/index.js';
import { asQueueAddress, closeWithin, loadQueueLibraries, queueClient, waitForRedis, type BullMq } from './queue-connection.js';
import {
  blobKey,
  failureReason,
  isDeterministicFailure,
  resultKey,
  runDataKey,
  runKey,
  JOB_ID_PATTERN,
  KEY_PREFIX,
  QUEUE_NAME,
  RUN_ID_PATTERN,
  type QueueEventListener,
  type ResultRecord,
  type RunDataReference,
  type RunRecord,
} from './queue-protocol.js';
import { contentHash, decodeValue, encodeValue, resolveBlobs, sha256Hex } from './wire.js';
import type { QueueAddress } from './queue-address.js';

export interface QueueWorkerOptions {
  queue: string | QueueAddress;
  /** Handler name → module (file URL): the only code this worker runs. */
  handlers: Record<string, URL>;
  /** Jobs at once (= threads of the local pool); default os.availableParallelism(). */
  concurrency?: number;
  /** Shown in the coordinator's progress; default host:pid. */
  name?: string;
  /** A job whose worker stops renewing its lock for this long goes to another worker (default 30). */
  stallSeconds?: number;
  /** Job started/done/failed, reconnects. */
  onEvent?: QueueEventListener;
  /** Largest run record (and run data) accepted (default 512 MB, Redis's string limit). */
  maxRunBytes?: number;
  /** This machine's data directory: runs on a named dataset read it from here when it matches. */
  dataDir?: string;
  /** Data loader name → module (file URL) exporting loadJobData(params, dataDir). */
  dataLoaders?: Record<string, URL>;
}

export interface QueueWorkerStats {
  name: string;
  done: number;
  failed: number;
  running: number;
}

interface RunRuntime {
  runId: string;
  pool: WorkerPool;
  lastUsed: number;
  active: number;
}

/** Pools kept for recent runs; an older idle one is closed when a new run arrives. */
const MAX_RUNS = 2;
const BLOB_CACHE = 4;

export class QueueWorker {
  private readonly runs = new Map<string, Promise<RunRuntime>>();
  private readonly blobCache = new Map<string, Buffer>();
  private counts = { done: 0, failed: 0, running: 0 };
  private idleTimer: NodeJS.Timeout | undefined;
  private markClosing = (): void => undefined;

  private constructor(
    readonly name: string,
    readonly concurrency: number,
    private readonly options: QueueWorkerOptions,
    private readonly redis: Redis,
    private readonly blocking: Redis,
    private readonly bullmq: BullMq,
    private worker: Worker | undefined,
  ) {}

  static async start(options: QueueWorkerOptions): Promise<QueueWorker> {
    const address = asQueueAddress(options.queue);
    const concurrency = options.concurrency ?? availableParallelism();
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new ConfigError(`--concurrency must be an integer ≥ 1, got ${options.concurrency}`);
    const stallSeconds = options.stallSeconds ?? 30;
    if (!(stallSeconds >= 1)) throw new ConfigError(`--stall-seconds must be ≥ 1, got ${options.stallSeconds}`);
    for (const handler of Object.keys(options.handlers)) {
      if (!/^[a-z][a-z0-9-]{0,40}$/.test(handler)) throw new ConfigError(`queue worker: handler name "${handler}" must be lower-case letters, digits and dashes`);
    }
    const { bullmq, ioredis } = await loadQueueLibraries(`trustnlu worker --queue ${address.display}`);
    let closing = false;
    const onEvent: QueueEventListener = (event, fields) => {
      if (!closing) options.onEvent?.(event, fields);
    };
    const name = (options.name ?? `${hostname()}:${process.pid}`).slice(0, 100);
    const redis = queueClient(ioredis, address, 'worker', onEvent);
    const blocking = queueClient(ioredis, address, 'worker-jobs', onEvent);
    try {
      await waitForRedis(redis, address, 10);
    } catch (error) {
      redis.disconnect();
      blocking.disconnect();
      throw error;
    }
    const self = new QueueWorker(name, concurrency, options, redis, blocking, bullmq, undefined);
    self.markClosing = () => (closing = true);
    self.worker = new bullmq.Worker(QUEUE_NAME, (job) => self.process(job), {
      connection: blocking,
      prefix: KEY_PREFIX,
      concurrency,
      name,
      lockDuration: stallSeconds * 1000,
      stalledInterval: Math.max(500, (stallSeconds * 1000) / 2),
      // one stall (a killed worker) is recovered; a job that kills every worker it meets fails
      maxStalledCount: 2,
      autorun: true,
    });
    self.worker.on('error', (error) => onEvent('queue-worker-error', { worker: name, message: error.message }));
    await self.worker.waitUntilReady();
    // a finished run's pool (its threads and its copy of the data) is let go after a minute idle
    self.idleTimer = setInterval(() => void self.closeIdleRuns(60_000), 10_000);
    self.idleTimer.unref();
    return self;
  }

  stats(): QueueWorkerStats {
    return { name: this.name, ...this.counts };
  }

  /**
   * Stops taking jobs, lets the running ones finish (up to `graceSeconds`; a job cut short is
   * retried elsewhere once its lock expires), closes the pools and connections. Bounded: with
   * Redis gone, BullMQ's graceful close would wait for it forever.
   */
  async close(graceSeconds = 60): Promise<void> {
    clearInterval(this.idleTimer);
    this.markClosing();
    const finished = this.worker ? await closeWithin(this.worker.close(), graceSeconds * 1000) : true;
    if (!finished) {
      this.redis.disconnect();
      this.blocking.disconnect();
      void this.worker?.close(true).catch(() => undefined);
    }
    const runs = await Promise.allSettled([...this.runs.values()]);
    this.runs.clear();
    await Promise.allSettled(runs.map((r) => (r.status === 'fulfilled' ? (finished ? r.value.pool.close() : r.value.pool.terminate()) : undefined)));
    this.redis.disconnect();
    this.blocking.disconnect();
  }

  private async process(job: Job): Promise<null> {
    const started = performance.now();
    const onEvent = this.options.onEvent ?? (() => undefined);
    this.counts.running++;
    let runtime: RunRuntime | undefined;
    try {
      const { runId, payload } = this.validate(job);
      await job.updateProgress({ worker: this.name });
      onEvent('job-started', { worker: this.name, job: job.id, handler: job.name, attempt: job.attemptsMade + 1 });
      runtime = await this.runtime(runId, job.name);
      runtime.active++;
      const input = await resolveBlobs(decodeValue(Buffer.from(payload, 'base64'), `job ${job.id}`), (hash) => this.blob(hash));
      const value = await runtime.pool.run(input);
      const seconds = (performance.now() - started) / 1000;
      const record: ResultRecord = { worker: this.name, seconds, value };
      await this.redis.set(resultKey(job.id!), encodeValue(record), 'EX', 3600);
      this.counts.done++;
      onEvent('job-done', { worker: this.name, job: job.id, handler: job.name, seconds });
      return null;
    } catch (error) {
      this.counts.failed++;
      const deterministic = isDeterministicFailure(error);
      onEvent('job-failed', { worker: this.name, job: job.id, handler: job.name, error: failureReason(error), retry: !deterministic });
      if (runtime && !deterministic && runtime.pool.stats().live === 0) this.runs.delete(runtime.runId);
      throw deterministic ? new this.bullmq.UnrecoverableError(failureReason(error)) : new Error(failureReason(error));
    } finally {
      this.counts.running--;
      if (runtime) {
        runtime.active--;
        runtime.lastUsed = Date.now();
      }
    }
  }

  private validate(job: Job): { runId: string; payload: string } {
    const data = job.data as { run?: unknown; payload?: unknown } | null;
    if (!job.id || !JOB_ID_PATTERN.test(job.id)) throw new QueueJobError(`queue worker: job id "${String(job.id).slice(0, 40)}" is not one a trustnlu coordinator makes`);
    if (!this.options.handlers[job.name]) {
      throw new ConfigError(`queue worker: no handler "${job.name.slice(0, 40)}" here (this worker runs ${Object.keys(this.options.handlers).join(', ')}); are coordinator and worker the same trustnlu version?`);
    }
    if (typeof data?.run !== 'string' || !RUN_ID_PATTERN.test(data.run) || typeof data.payload !== 'string') {
      throw new ConfigError(`queue worker: job ${job.id} is not a trustnlu job (expected {run, payload})`);
    }
    return { runId: data.run, payload: data.payload };
  }

  private runtime(runId: string, handler: string): Promise<RunRuntime> {
    let runtime = this.runs.get(runId);
    if (!runtime) {
      runtime = this.openRun(runId, handler);
      this.runs.set(runId, runtime);
      runtime.catch(() => this.runs.delete(runId));
      void this.evictIdleRuns(runId);
    }
    return runtime;
  }

  private async openRun(runId: string, handler: string): Promise<RunRuntime> {
    const bytes = await this.redis.getBuffer(runKey(runId));
    if (!bytes) throw new ConfigError(`queue worker: run ${runId} is over or unknown (no record in Redis); its leftover job is dropped`);
    const limit = this.options.maxRunBytes ?? 512 * 2 ** 20;
    if (bytes.byteLength > limit) throw new ConfigError(`queue worker: run ${runId}'s record is ${bytes.byteLength} bytes, over this worker's limit of ${limit}`);
    const record = decodeValue(bytes, `run ${runId}'s record`) as RunRecord;
    if (record?.handler !== handler) throw new ConfigError(`queue worker: job for handler "${handler}" belongs to run ${runId} of handler "${String(record?.handler)}"`);
    if (record.backend !== null && record.backend !== 'wasm' && record.backend !== 'cpu') throw new ConfigError(`queue worker: run ${runId} asks for an unknown backend`);
    let config = record.config;
    if (record.data !== undefined) {
      if (config === null || typeof config !== 'object' || Array.isArray(config)) throw new ConfigError(`queue worker: run ${runId}'s configuration is not an object, so its data cannot be merged in`);
      config = { ...(config as Record<string, unknown>), ...(await this.runData(runId, record.data)) };
    }
    const pool = new WorkerPool({ handler: this.options.handlers[handler], config, size: this.concurrency, backend: record.backend });
    try {
      await pool.ready();
    } catch (error) {
      await pool.terminate();
      throw error;
    }
    this.options.onEvent?.('run-opened', { worker: this.name, run: runId, handler, threads: this.concurrency, backend: record.backend });
    return { runId, pool, lastUsed: Date.now(), active: 0 };
  }

  private async evictIdleRuns(keep: string): Promise<void> {
    if (this.runs.size <= MAX_RUNS) return;
    const settled = await Promise.all(
      [...this.runs.entries()].filter(([id]) => id !== keep).map(async ([id, p]) => ({ id, runtime: await p.catch(() => undefined) })),
    );
    const idle = settled.filter((s) => s.runtime && s.runtime.active === 0).sort((a, b) => a.runtime!.lastUsed - b.runtime!.lastUsed);
    for (const { id, runtime } of idle.slice(0, this.runs.size - MAX_RUNS)) {
      this.runs.delete(id);
      await runtime!.pool.close();
    }
  }

  private async closeIdleRuns(idleMs: number): Promise<void> {
    for (const [id, pending] of [...this.runs]) {
      const runtime = await pending.catch(() => undefined);
      if (runtime && runtime.active === 0 && Date.now() - runtime.lastUsed > idleMs && this.runs.get(id) === pending) {
        this.runs.delete(id);
        await runtime.pool.close();
        this.options.onEvent?.('run-closed', { worker: this.name, run: id, note: 'idle' });
      }
    }
  }

  /** The run's data: built from this machine's data directory when it matches the coordinator's, else read from Redis. */
  private async runData(runId: string, ref: RunDataReference): Promise<Record<string, unknown>> {
    const hex = /^[0-9a-f]{64}$/;
    if (typeof ref?.loader !== 'string' || typeof ref.dataset !== 'string' || ref.dataset.length > 100 || !hex.test(String(ref.contentHash)) || !hex.test(String(ref.blob))) {
      throw new ConfigError(`queue worker: run ${runId}'s data reference is malformed`);
    }
    const onEvent = this.options.onEvent ?? (() => undefined);
    const fields = { worker: this.name, run: runId, dataset: ref.dataset };
    const loader = this.options.dataLoaders?.[ref.loader];
    const dir = this.options.dataDir;
    if (dir && loader) {
      let local: unknown;
      try {
        const module = (await import(loader.href)) as { loadJobData(params: unknown, dataDir: string): unknown };
        local = await module.loadJobData(ref.params, dir);
      } catch (error) {
        onEvent('run-data-shipped', { ...fields, note: `"${ref.dataset}" could not be read from ${dir} (${(error as Error).message.split('\n')[0]}): using the data sent with the run` });
      }
      if (local !== undefined) {
        const hash = contentHash(local);
        if (hash === ref.contentHash && local !== null && typeof local === 'object') {
          onEvent('run-data-local', { ...fields, dataDir: dir, contentHash: hash.slice(0, 12) });
          return local as Record<string, unknown>;
        }
        onEvent('run-data-differs', {
          ...fields,
          warning: `the copy of "${ref.dataset}" in ${dir} differs from the coordinator's (content ${hash.slice(0, 12)}… ≠ ${ref.contentHash.slice(0, 12)}…): using the data sent with the run`,
        });
      }
    } else {
      onEvent('run-data-shipped', { ...fields, note: dir ? `no loader "${ref.loader.slice(0, 40)}" on this worker` : 'no data directory on this worker (--data-dir or TRUSTNLU_DATA)' });
    }
    const limit = this.options.maxRunBytes ?? 512 * 2 ** 20;
    if (!(Number.isInteger(ref.bytes) && ref.bytes <= limit)) throw new ConfigError(`queue worker: run ${runId}'s data is ${ref.bytes} bytes, over this worker's limit of ${limit}`);
    const bytes = await this.redis.getBuffer(runDataKey(runId));
    if (!bytes) throw new QueueJobError(`queue worker: run ${runId}'s data is missing from Redis (expired, or lost in a restart)`);
    if (bytes.byteLength > limit) throw new ConfigError(`queue worker: run ${runId}'s data is ${bytes.byteLength} bytes, over this worker's limit of ${limit}`);
    if (sha256Hex(bytes) !== ref.blob) throw new QueueJobError(`queue worker: run ${runId}'s data does not match its hash (damaged or forged entry in Redis)`);
    const value = decodeValue(bytes, `run ${runId}'s data`);
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new ConfigError(`queue worker: run ${runId}'s data is not an object`);
    return value as Record<string, unknown>;
  }

  private async blob(hash: string): Promise<Buffer> {
    const cached = this.blobCache.get(hash);
    if (cached) return cached;
    const bytes = await this.redis.getBuffer(blobKey(hash));
    if (!bytes) throw new QueueJobError(`queue worker: blob ${hash.slice(0, 12)}… is missing from Redis (expired, or lost in a restart)`);
    this.blobCache.set(hash, bytes);
    while (this.blobCache.size > BLOB_CACHE) this.blobCache.delete(this.blobCache.keys().next().value!);
    return bytes;
  }
}
