/**
 * One job interface for the heavy, independent units of work (a simulated client's local
 * training, a shadow model, a study cell): `run(job)` returns the result, `close()` releases
 * the workers. Two backends share it: the local worker_threads pool (the default, nothing to
 * install) and the Redis queue (`--queue redis://…`, workers on any machine). Jobs, the
 * handler's configuration and results are plain data, so the same handler module answers both,
 * and a job's answer does not depend on where it ran.
 */
import type { QueueAddress } from './queue-address.js';
import type { QueueProgress } from './queue-progress.js';
import type { QueueEventListener } from './queue-protocol.js';

export interface JobRunner<Job = unknown, Result = unknown> {
  run(job: Job): Promise<Result>;
  /** Every job's result in job order; rejects with the first failure in job order once all have settled. */
  map(jobs: readonly Job[], options?: { onResult?: (result: Result, index: number) => void }): Promise<Result[]>;
  /** Lets running jobs finish, then releases the workers (threads, or the run's state in Redis). */
  close(): Promise<void>;
}

/**
 * `JobRunner.map` for any backend: runs every job through `run`, calls `onResult` as each one
 * finishes, and resolves with the results in job order; rejects with the first failure in job
 * order once every job has settled (so no job is left running behind a rejection).
 */
export async function mapJobs<Job, Result>(
  jobs: readonly Job[],
  run: (job: Job, index: number) => Promise<Result>,
  onResult?: (result: Result, index: number) => void,
): Promise<Result[]> {
  const settled = await Promise.allSettled(
    jobs.map((job, index) =>
      run(job, index).then((result) => {
        onResult?.(result, index);
        return result;
      }),
    ),
  );
  const failure = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failure) throw failure.reason;
  return settled.map((s) => (s as PromiseFulfilledResult<Result>).value);
}

/** Options a command passes to run its jobs on the Redis queue instead of the local pool. */
export interface QueueRunOptions {
  /** redis://host:port[/db] (or rediss:// for TLS), or a parsed address. */
  queue: string | QueueAddress;
  /** Attempts per job before the run fails (default 3). */
  attempts?: number;
  /** Give up when Redis has been unreachable this long (default 120 s). */
  connectionTimeoutSeconds?: number;
  /** Counts by worker (jobs done, running, failed), every couple of seconds. */
  onProgress?: (progress: QueueProgress) => void;
  /** Reconnects, stalled jobs, resubmissions, warnings. */
  onEvent?: QueueEventListener;
  /** How often pending jobs are checked directly, besides BullMQ's event stream (default 5000 ms). */
  reconcileEveryMs?: number;
}
