/**
 * What the coordinator reports of a queue run (`onProgress`, `progress()`): jobs submitted,
 * done, failed for good and retried, and each worker's counts, tallied from BullMQ's events.
 */

export interface WorkerCounts {
  done: number;
  running: number;
  /** Attempts that failed on this worker (thrown errors, and jobs lost when it died). */
  failed: number;
}

export interface QueueProgress {
  queue: string;
  submitted: number;
  done: number;
  running: number;
  /** Jobs that failed for good. */
  failed: number;
  /** Attempts retried (failed or lost attempts). */
  retried: number;
  waiting: number;
  workers: Record<string, WorkerCounts>;
}

export class QueueTally {
  submitted = 0;
  done = 0;
  failed = 0;
  retried = 0;
  private readonly byWorker = new Map<string, WorkerCounts>();

  /** An attempt started on `worker`. */
  started(worker: string): void {
    this.counts(worker).running++;
  }

  /** The attempt on `worker` is over: done (counted by `finished`) or failed. */
  ended(worker: string, failed: boolean): void {
    const counts = this.counts(worker);
    counts.running--;
    if (failed) counts.failed++;
  }

  /** A job's result came in, from `worker`. */
  finished(worker: string): void {
    this.counts(worker).done++;
    this.done++;
  }

  anyRunning(): boolean {
    return [...this.byWorker.values()].some((c) => c.running > 0);
  }

  /** `pending`: jobs submitted and not settled yet (running or waiting). */
  snapshot(queue: string, pending: number): QueueProgress {
    const workers: Record<string, WorkerCounts> = {};
    for (const [name, counts] of [...this.byWorker].sort(([a], [b]) => a.localeCompare(b))) workers[name] = { ...counts };
    const running = Object.values(workers).reduce((s, w) => s + w.running, 0);
    return { queue, submitted: this.submitted, done: this.done, running, failed: this.failed, retried: this.retried, waiting: pending - running, workers };
  }

  private counts(worker: string): WorkerCounts {
    let counts = this.byWorker.get(worker);
    if (!counts) this.byWorker.set(worker, (counts = { done: 0, running: 0, failed: 0 }));
    return counts;
  }
}
