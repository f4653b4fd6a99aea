/**
 * Several server processes behind one address (`fl serve --store redis://... --workers N`):
 * node:cluster forks N workers that run the same command and share the listening port (the
 * primary accepts connections and hands them to the workers in turn). The primary holds no
 * federation state: it starts the workers (the first alone, so that it initialises a new
 * federation before the others join), restarts one that dies (kill -9, crash), stops them on
 * SIGINT/SIGTERM, and reports for them (one "listening" event, one result). All round state
 * is in the shared store (RoundCoordinator `shared`).
 *
 * A first worker that exits before it ever listened (bad settings, unreachable store) is not
 * restarted: the primary stops the others and exits with that worker's code, so a mistake is
 * reported once instead of in a restart loop; replacements are retried with backoff, up to
 * five failures in a row. A worker whose IPC channel closes (the primary
 * died) shuts down.
 */
import cluster, { type Worker } from 'node:cluster';

/** Replacements in a row that die before listening before the primary gives up. */
const MAX_FAILED_RESTARTS = 5;

/** What a worker tells the primary. */
export type WorkerMessage = { kind: 'listening'; url: string } | { kind: 'result'; result: unknown } | { kind: 'finished' };

export interface ClusterOptions {
  workers: number;
  onEvent?: (event: string, data: Record<string, unknown>) => void;
  /** A restarted worker waits this long first, doubling while restarts keep failing (default 200 ms). */
  restartDelayMs?: number;
}

export interface ClusterOutcome {
  /** The process exit code (0, or the code of a worker that failed at startup). */
  exitCode: number;
  /** The last result a worker reported (what `fl serve` prints). */
  result?: unknown;
  url?: string;
  restarts: number;
}

export function isClusterWorker(): boolean {
  return cluster.isWorker;
}

/** In a worker: tell the primary (resolves once the message is sent). */
export function notifyPrimary(message: WorkerMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!cluster.isWorker || !process.send || !process.connected) return resolve();
    process.send(message, undefined, {}, () => resolve());
  });
}

/** In a worker: closes the channel to the primary so that the process can exit. */
export function leaveCluster(): void {
  if (cluster.isWorker && process.connected) process.disconnect();
}

/** In a worker: resolves when the primary is gone (the IPC channel closed). */
export function primaryGone(): Promise<void> {
  return new Promise((resolve) => process.once('disconnect', () => resolve()));
}

/** In the primary: runs the workers until they are all done or a signal stops them. */
export function superviseWorkers(options: ClusterOptions): Promise<ClusterOutcome> {
  const emit = options.onEvent ?? (() => undefined);
  const baseDelay = options.restartDelayMs ?? 200;
  const live = new Map<number, { worker: Worker; listened: boolean; finished: boolean }>();
  let stopping = false;
  let restarts = 0;
  let failedRestarts = 0;
  let result: unknown;
  let url: string | undefined;
  let exitCode = 0;

  return new Promise((resolve) => {
    const maybeDone = () => {
      if (live.size === 0) {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        resolve({ exitCode, result, url, restarts });
      }
    };
    const stop = () => {
      if (stopping) return;
      stopping = true;
      emit('stopping', { workers: live.size });
      for (const { worker } of live.values()) worker.process.kill('SIGTERM');
      maybeDone();
    };
    const fork = (replacement = false): Worker => {
      const worker = cluster.fork();
      const entry = { worker, listened: false, finished: false, replacement };
      live.set(worker.id, entry);
      worker.on('message', (message: WorkerMessage) => {
        if (message.kind === 'listening') {
          entry.listened = true;
          failedRestarts = 0;
          if (url === undefined) {
            url = message.url;
            emit('listening', { url, workers: options.workers });
            // the first worker has initialised (or resumed) the federation: start the others
            for (let i = 1; i < options.workers && !stopping; i++) fork();
          }
          emit('worker-listening', { worker: worker.id, pid: worker.process.pid });
        } else if (message.kind === 'result') result = message.result;
        else if (message.kind === 'finished') entry.finished = true;
      });
      worker.on('exit', (code, signal) => {
        live.delete(worker.id);
        emit('worker-exited', { worker: worker.id, pid: worker.process.pid, code, signal });
        if (stopping) return maybeDone();
        if (!entry.listened && (!entry.replacement || failedRestarts >= MAX_FAILED_RESTARTS)) {
          // it never served: its settings or the store are wrong, and a restart would fail the same way
          exitCode = code && code !== 0 ? code : 1;
          stop();
          return;
        }
        if (code === 0 && entry.finished) {
          // done (--exit-when-done): the others finish too
          return maybeDone();
        }
        restarts++;
        const delay = Math.min(baseDelay * 2 ** failedRestarts, 5000);
        failedRestarts++;
        emit('worker-restarting', { after: worker.id, delayMs: delay, restarts });
        setTimeout(() => {
          if (!stopping) fork(true);
        }, delay);
      });
      return worker;
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    fork();
  });
}
