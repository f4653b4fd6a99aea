/**
 * The coordinator's side of the Redis queue: a JobRunner whose jobs are run by
 * `trustnlu worker` processes on any machine that reaches the same Redis.
 *
 * A run writes its record (handler name, tfjs backend, the handler's configuration: the model
 * spec and the data) once, then adds one BullMQ job per `run(job)`. Data from a named dataset
 * (`sharedData`) is written once beside the record and named in it by its content hash, so a
 * worker holding the dataset in its own data directory builds it there instead of reading it.
 * A worker stores the result
 * under the job's id; the coordinator learns of it from BullMQ's event stream and, as a safety
 * net for events lost in a Redis restart, by checking its pending jobs every few seconds (a
 * job whose result is there is done; a job Redis has forgotten is added again).
 *
 * Failures: an attempt that throws a deterministic trustnlu error fails at once (a retry would
 * fail the same way) and rejects with that error's class, exactly as the local pool would;
 * any other failure, and a worker that dies mid-job (its lock expires, BullMQ's stalled-job
 * check hands the job to another worker), is retried, up to `attempts` in all; then the run's
 * promise rejects with QueueJobError carrying the job's last error. Redis unreachable for
 * longer than `connectionTimeoutSeconds` rejects every pending job with QueueConnectionError.
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Queue, QueueEvents } from 'bullmq';
import { QueueConnectionError, QueueJobError } from '../../errors.js';
import { deserializeError } from '../workers/messages.js';
import { mapJobs, type JobRunner, type QueueRunOptions } from './job-runner.js';
import { asQueueAddress, closeWithin, loadQueueLibraries, queueClient, waitForRedis } from './queue-connection.js';
import {
  jobHashKey,
  runDataKey,
  isDeterministicName,
  parseFailureReason,
  resultKey,
  runKey,
  KEY_PREFIX,
  QUEUE_NAME,
  type QueueEventListener,
  type ResultRecord,
  type RunDataReference,
  type RunRecord,
} from './queue-protocol.js';
import { contentHash, decodeValue, encodeValue, sha256Hex } from './wire.js';
import { RunBlobs } from './run-blobs.js';
import { QueueTally, type QueueProgress } from './queue-progress.js';
import type { QueueAddress } from './queue-address.js';

export interface QueueRunnerOptions extends QueueRunOptions {
  /** A handler name the workers know (see src/job-handlers.ts). */
  handler: string;
  /** The handler's init(config): sent once per run, through Redis. */
  config: unknown;
  backend: 'wasm' | 'cpu' | null;
  /** Warn when no worker has taken a job for this long (default 15 s). */
  idleWarningSeconds?: number;
  /** How often `onProgress` is called at most (default 2000 ms). */
  progressEveryMs?: number;
  /**
   * Part of the handler's configuration that comes from a named dataset: `value` (merged into
   * `config` on the worker) is what a worker's `loader` rebuilds from `params` in its own data
   * directory; a worker without it (or with another version) reads `value` from Redis.
   */
  sharedData?: SharedRunData;
}

export interface SharedRunData {
  /** A data loader name the workers know (see src/job-handlers.ts). */
  loader: string;
  /** The dataset's registry name (shown in the workers' events). */
  dataset: string;
  params: unknown;
  value: Record<string, unknown>;
}

interface Pending {
  id: string;
  data: { run: string; payload: string };
  blobs: string[];
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  worker?: string;
  /** Attempts started (retries and restarts after a lost worker included). */
  starts: number;
  /** Attempts seen to end without a result (stalled or failed and delayed for a retry). */
  lost: number;
  submittedAt: number;
}

const RUN_TTL_SECONDS = 3600;

/** The run's record (handler, backend, configuration) and its data: written at the start, and again if Redis lost them. */
async function writeRunRecord(redis: Redis, runId: string, options: QueueRunnerOptions, shared: EncodedSharedData | undefined): Promise<void> {
  const record: RunRecord = { handler: options.handler, backend: options.backend, config: options.config, ...(shared ? { data: shared.reference } : {}) };
  // the data first: a worker that sees the record finds its data
  if (shared) await redis.set(runDataKey(runId), shared.bytes, 'EX', RUN_TTL_SECONDS);
  await redis.set(runKey(runId), encodeValue(record), 'EX', RUN_TTL_SECONDS);
}

interface EncodedSharedData {
  reference: RunDataReference;
  bytes: Buffer;
}

/** The shared data's blob and the record's reference to it. */
function encodeSharedData(shared: SharedRunData): EncodedSharedData {
  const bytes = encodeValue(shared.value);
  const blob = sha256Hex(bytes);
  return {
    bytes,
    reference: { loader: shared.loader, dataset: shared.dataset, params: shared.params, contentHash: contentHash(shared.value), blob, bytes: bytes.byteLength },
  };
}

export class QueueJobRunner<Job = unknown, Result = unknown> implements JobRunner<Job, Result> {
  readonly description: string;
  private readonly pending = new Map<string, Pending>();
  private readonly blobs = new RunBlobs();
  private readonly tally = new QueueTally();
  private nextJob = 1;
  private broken: Error | undefined;
  private closed = false;
  private lostSince: number | undefined;
  private lastStarted = Date.now();
  private lastProgress = 0;
  private idleWarned = false;
  private timers: NodeJS.Timeout[] = [];

  private constructor(
    private readonly options: QueueRunnerOptions,
    private readonly address: QueueAddress,
    private readonly runId: string,
    private readonly redis: Redis,
    private readonly queue: Queue,
    private readonly events: QueueEvents,
    private readonly eventsClient: Redis,
    private readonly shared: EncodedSharedData | undefined,
  ) {
    this.description = `queue ${address.display}`;
  }

  static async open<Job, Result>(options: QueueRunnerOptions): Promise<QueueJobRunner<Job, Result>> {
    const address = asQueueAddress(options.queue);
    const { bullmq, ioredis } = await loadQueueLibraries(`--queue ${address.display}`);
    const onEvent = options.onEvent ?? (() => undefined);
    let runner: QueueJobRunner<Job, Result> | undefined;
    const report: QueueEventListener = (name, fields) => {
      if (runner?.closed) return; // closing drops the connections: not news
      runner?.onConnectionEvent(name);
      onEvent(name, fields);
    };
    const redis = queueClient(ioredis, address, 'coordinator', report);
    const eventsClient = queueClient(ioredis, address, 'coordinator-events', report);
    try {
      await waitForRedis(redis, address, 10);
      await waitForRedis(eventsClient, address, 10);
    } catch (error) {
      redis.disconnect();
      eventsClient.disconnect();
      throw error;
    }
    const runId = randomBytes(8).toString('hex');
    // always written (once per run), so a worker without the dataset never waits for it
    const shared = options.sharedData ? encodeSharedData(options.sharedData) : undefined;
    try {
      await writeRunRecord(redis, runId, options, shared);
    } catch (error) {
      redis.disconnect();
      eventsClient.disconnect();
      throw error;
    }
    const queue = new bullmq.Queue(QUEUE_NAME, { connection: redis, prefix: KEY_PREFIX });
    // connection errors are reported by queueClient's events; unheard, BullMQ would print each one
    queue.on('error', () => undefined);
    const events = new bullmq.QueueEvents(QUEUE_NAME, { connection: eventsClient, prefix: KEY_PREFIX });
    await events.waitUntilReady();
    runner = new QueueJobRunner<Job, Result>(options, address, runId, redis, queue, events, eventsClient, shared);
    runner.listen();
    return runner;
  }

  run(job: Job): Promise<Result> {
    if (this.broken) return Promise.reject(this.broken);
    if (this.closed) return Promise.reject(new QueueJobError('the queue runner is closed; open a new one to run more jobs'));
    const id = `${this.runId}-${this.nextJob++}`;
    const { payload, hashes } = this.blobs.encode(job);
    return new Promise<Result>((resolve, reject) => {
      const entry: Pending = {
        id,
        data: { run: this.runId, payload: payload.toString('base64') },
        blobs: hashes,
        resolve: resolve as (value: unknown) => void,
        reject,
        starts: 0,
        lost: 0,
        submittedAt: Date.now(),
      };
      this.pending.set(id, entry);
      this.tally.submitted++;
      this.submit(entry).catch((error) => this.settle(id, error as Error));
    });
  }

  /** Every job's result in job order; rejects with the first failure in job order once all have settled. */
  map(jobs: readonly Job[], options: { onResult?: (result: Result, index: number) => void } = {}): Promise<Result[]> {
    return mapJobs(jobs, (job) => this.run(job), options.onResult);
  }

  progress(): QueueProgress {
    return this.tally.snapshot(this.address.display, this.pending.size);
  }

  /** Removes this run's jobs still waiting, its record and blobs; rejects what is still pending. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const timer of this.timers) clearInterval(timer);
    const leftover = [...this.pending.values()];
    const stopped = new QueueJobError('the queue runner was closed before the job finished');
    for (const entry of leftover) this.settle(entry.id, stopped);
    try {
      if (!this.broken || !(this.broken instanceof QueueConnectionError)) {
        // best effort: a job already locked by a worker cannot be removed; its run record is gone, so the worker drops it
        await Promise.allSettled(leftover.map((entry) => this.queue.remove(entry.id)));
        await this.redis.del(runKey(this.runId), runDataKey(this.runId), ...this.blobs.writtenKeys());
      }
    } finally {
      // BullMQ's graceful close (QUIT) can wait forever on a connection that was lost: a broken
      // run drops its connections first, and every close is bounded
      if (this.broken) {
        this.redis.disconnect();
        this.eventsClient.disconnect();
      }
      await closeWithin(this.events.close(), 3000);
      await closeWithin(this.queue.close(), 3000);
      this.redis.disconnect();
      this.eventsClient.disconnect();
    }
  }

  private async submit(entry: Pending): Promise<void> {
    await this.blobs.write(this.redis, entry.blobs);
    await this.queue.add(this.options.handler, entry.data, {
      jobId: entry.id,
      attempts: this.options.attempts ?? 3,
      backoff: { type: 'exponential', delay: 500 },
      removeOnComplete: true,
      removeOnFail: { age: 24 * 3600 },
    });
  }

  private listen(): void {
    const events = this.events;
    events.on('progress', ({ jobId, data }) => {
      const entry = this.pending.get(jobId);
      const worker = typeof data === 'object' && data !== null ? (data as { worker?: unknown }).worker : undefined;
      if (!entry || typeof worker !== 'string') return;
      // a new attempt: the previous one, if its end was not seen, was lost with its worker
      if (entry.worker) this.release(entry, true);
      entry.starts++;
      if (entry.starts > 1) this.tally.retried++;
      entry.worker = worker.slice(0, 200);
      this.tally.started(entry.worker);
      this.lastStarted = Date.now();
      this.idleWarned = false;
      this.emitProgress();
    });
    events.on('completed', ({ jobId }) => void this.collect(jobId));
    events.on('failed', ({ jobId, failedReason }) => void this.fail(jobId, failedReason));
    // a failed attempt waits out its backoff (delayed); a lost one (its worker died) is stalled
    events.on('delayed', ({ jobId }) => {
      const entry = this.pending.get(jobId);
      if (!entry) return;
      entry.lost++;
      if (entry.worker) this.release(entry, true);
    });
    events.on('stalled', ({ jobId }) => {
      const entry = this.pending.get(jobId);
      if (!entry) return;
      entry.lost++;
      this.options.onEvent?.('queue-job-stalled', { jobId, worker: entry.worker ?? null, note: 'its worker stopped renewing the lock (killed or hung); the job goes to another worker' });
      if (entry.worker) this.release(entry, true);
    });
    events.on('error', () => undefined);
    const every = this.options.reconcileEveryMs ?? 5000;
    this.timers.push(setInterval(() => void this.reconcile().catch(() => undefined), every));
    this.timers.push(setInterval(() => this.watch(), 1000));
  }

  /** The attempt on entry.worker is over: done (counted by the caller) or failed. */
  private release(entry: Pending, failed: boolean): void {
    if (!entry.worker) return;
    this.tally.ended(entry.worker, failed);
    entry.worker = undefined;
    this.emitProgress();
  }

  private async collect(jobId: string): Promise<void> {
    if (!this.pending.has(jobId)) return;
    const bytes = await this.redis.getBuffer(resultKey(jobId));
    if (!bytes) return; // the reconcile pass decides (its result may have been lost with a Redis restart)
    const entry = this.pending.get(jobId);
    if (!entry) return;
    try {
      const record = decodeValue(bytes, `the result of job ${jobId}`) as ResultRecord;
      const worker = typeof record?.worker === 'string' ? record.worker.slice(0, 200) : entry.worker ?? 'unknown';
      this.release(entry, false);
      // every lost attempt was followed by another: count those whose start event was not seen
      // (an event stream read from '$' can miss a start, and a killed worker's can race its end)
      const unseen = entry.lost + 1 - Math.max(1, entry.starts);
      if (unseen > 0) this.tally.retried += unseen;
      this.tally.finished(worker);
      this.settle(jobId, undefined, record.value);
    } catch (error) {
      this.settle(jobId, error as Error);
    }
    void this.redis.del(resultKey(jobId)).catch(() => undefined);
    this.emitProgress();
  }

  private async fail(jobId: string, failedReason: string): Promise<void> {
    if (!this.pending.has(jobId)) return;
    // BullMQ's own count of attempts (the progress events of a fast-failing attempt may not all have been seen)
    const made = Number(await this.redis.hget(jobHashKey(jobId), 'atm').catch(() => null));
    const entry = this.pending.get(jobId);
    if (!entry) return;
    const attempts = Number.isInteger(made) && made > 0 ? made : entry.starts;
    if (attempts > entry.starts) this.tally.retried += attempts - Math.max(1, entry.starts);
    const reason = parseFailureReason(String(failedReason ?? 'unknown failure'));
    const lastWorker = entry.worker;
    this.release(entry, true);
    this.tally.failed++;
    const error = isDeterministicName(reason.name)
      ? deserializeError(reason)
      : new QueueJobError(
          `job ${this.options.handler} ${jobId} failed ${attempts} ${attempts === 1 ? 'time' : 'times'}${lastWorker ? ` (last on worker ${lastWorker})` : ''}: ${reason.name}: ${reason.message}`,
        );
    this.settle(jobId, error);
    this.emitProgress();
  }

  private settle(jobId: string, error: Error | undefined, value?: unknown): void {
    const entry = this.pending.get(jobId);
    if (!entry) return;
    this.pending.delete(jobId);
    this.blobs.release(entry.blobs);
    if (error) entry.reject(error);
    else entry.resolve(value);
  }

  /** Checks pending jobs directly: results whose event was missed, failures, jobs Redis forgot. */
  private async reconcile(): Promise<void> {
    if (this.closed || this.lostSince !== undefined) return;
    const entries = [...this.pending.values()].filter((e) => Date.now() - e.submittedAt > 1000);
    if (entries.length === 0) return;
    const pipeline = this.redis.pipeline();
    for (const entry of entries) {
      pipeline.exists(resultKey(entry.id));
      pipeline.hmget(jobHashKey(entry.id), 'finishedOn', 'failedReason', 'name');
    }
    pipeline.expire(runKey(this.runId), RUN_TTL_SECONDS);
    pipeline.expire(runDataKey(this.runId), RUN_TTL_SECONDS);
    this.blobs.refresh(pipeline);
    const replies = (await pipeline.exec()) ?? [];
    const runAlive = replies[entries.length * 2]?.[1] === 1 && (!this.shared || replies[entries.length * 2 + 1]?.[1] === 1);
    // Redis lost the run record or its data (a restart without persistence): write them again
    if (!runAlive) await writeRunRecord(this.redis, this.runId, this.options, this.shared);
    const blobsAlive = replies.slice(entries.length * 2 + 2).every((r) => r?.[1] === 1);
    if (!blobsAlive) this.blobs.forgetWritten();
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i];
      if (!this.pending.has(entry.id)) continue;
      const hasResult = replies[2 * i]?.[1] === 1;
      const [finishedOn, failedReason, name] = (replies[2 * i + 1]?.[1] ?? [null, null, null]) as (string | null)[];
      if (hasResult) await this.collect(entry.id);
      else if (finishedOn && failedReason) await this.fail(entry.id, failedReason);
      else if (!name) {
        // neither the job nor its result: Redis lost it (restarted from an older state); add it again
        this.options.onEvent?.('queue-job-resubmitted', { jobId: entry.id, note: 'Redis no longer held the job or its result' });
        this.release(entry, true);
        entry.submittedAt = Date.now();
        await this.submit(entry);
      }
    }
  }

  private onConnectionEvent(name: string): void {
    if (name === 'queue-connection-lost' && this.lostSince === undefined) this.lostSince = Date.now();
    if (name === 'queue-reconnected') {
      this.lostSince = undefined;
      // Redis may have come back without what we wrote: check everything now
      void this.reconcile().catch(() => undefined);
    }
  }

  private watch(): void {
    const limit = this.options.connectionTimeoutSeconds ?? 120;
    if (this.lostSince !== undefined && !this.broken && Date.now() - this.lostSince > limit * 1000) {
      this.broken = new QueueConnectionError(`lost the queue ${this.address.display} for more than ${limit} s; the run stops (restart Redis, or raise the limit)`);
      for (const entry of [...this.pending.values()]) this.settle(entry.id, this.broken);
    }
    const idleLimit = (this.options.idleWarningSeconds ?? 15) * 1000;
    if (this.pending.size > 0 && !this.tally.anyRunning() && !this.idleWarned && Date.now() - this.lastStarted > idleLimit) {
      this.idleWarned = true;
      this.options.onEvent?.('queue-idle', { waiting: this.pending.size, note: `no worker has started a job for ${idleLimit / 1000} s: start one with trustnlu worker --queue ${this.address.display}` });
    }
    this.emitProgress();
  }

  private emitProgress(): void {
    const every = this.options.progressEveryMs ?? 2000;
    if (!this.options.onProgress || Date.now() - this.lastProgress < every) return;
    this.lastProgress = Date.now();
    this.options.onProgress(this.progress());
  }
}
