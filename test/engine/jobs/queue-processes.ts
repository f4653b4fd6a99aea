/**
 * Worker processes for the queue tests: started on a Redis address, their JSON-line events
 * collected, waited on, and killed (SIGTERM for a clean stop, SIGKILL for a crash).
 */
import { after, before } from 'node:test';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { redisInstalled, REDIS_MISSING, startLocalRedis, type LocalRedis } from '../../federated/store/local-redis.js';

export interface WorkerProcess {
  name: string;
  child: ChildProcess;
  events: Record<string, unknown>[];
  /** Resolves with the first event that matches. */
  waitFor(match: (event: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/** `command` is the argv after node: the fixture worker script, or the CLI's `worker` command. */
export function startProcess(name: string, args: string[], readyEvent: string): Promise<WorkerProcess> {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env } });
  live.add(child);
  child.once('exit', () => live.delete(child));
  const events: Record<string, unknown>[] = [];
  const waiters: { match: (e: Record<string, unknown>) => boolean; resolve: (e: Record<string, unknown>) => void }[] = [];
  let buffered = '';
  let stderr = '';
  const onLine = (line: string) => {
    if (!line.startsWith('{')) return;
    let event: Record<string, unknown>;
    try {
      event = JSON.parse(line);
    } catch {
      return;
    }
    events.push(event);
    for (const w of waiters.slice()) {
      if (w.match(event)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(event);
      }
    }
  };
  const onData = (chunk: Buffer) => {
    buffered += chunk.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    lines.forEach(onLine);
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    onData(chunk);
  });
  const worker: WorkerProcess = {
    name,
    child,
    events,
    waitFor(match, timeoutMs = 60_000) {
      const found = events.find(match);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`worker ${name}: no matching event within ${timeoutMs} ms; stderr:\n${stderr.slice(-2000)}`)), timeoutMs);
        waiters.push({ match, resolve: (e) => (clearTimeout(timer), resolve(e)) });
        child.once('exit', (code) => {
          clearTimeout(timer);
          reject(new Error(`worker ${name} exited (${code}) before a matching event; stderr:\n${stderr.slice(-2000)}`));
        });
      });
    },
    kill(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
      return new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.kill(signal);
      });
    },
  };
  return worker.waitFor((e) => e.event === readyEvent).then(() => worker);
}

export const FIXTURE_WORKER = fileURLToPath(new URL('./fixture-worker.js', import.meta.url));
export const FIXTURE_HANDLER = new URL('../workers/fixture-handler.js', import.meta.url);
export const BIN = fileURLToPath(new URL('../../../../bin/trustnlu.js', import.meta.url));

export function startFixtureWorker(url: string, name: string, options: { stallSeconds?: number; concurrency?: number } = {}): Promise<WorkerProcess> {
  return startProcess(name, [FIXTURE_WORKER, url, name, String(options.stallSeconds ?? 2), String(options.concurrency ?? 2)], 'ready');
}

/** The real CLI: `trustnlu worker --queue URL --json` (events as JSON lines on stderr). */
export function startCliWorker(url: string, name: string, options: { stallSeconds?: number; concurrency?: number } = {}): Promise<WorkerProcess> {
  return startProcess(
    name,
    [BIN, 'worker', '--queue', url, '--name', name, '--concurrency', String(options.concurrency ?? 1), '--stall-seconds', String(options.stallSeconds ?? 2), '--json'],
    'worker-ready',
  );
}

export interface QueueCluster {
  /** The reason to skip the file's tests (redis-server missing), or false. */
  skip: string | false;
  /** Set by the file's `before` hook (undefined when skipped). */
  redis: LocalRedis;
  /** The worker processes started on it. */
  workers: WorkerProcess[];
}

/**
 * A throw-away redis-server and the worker processes `startWorkers` starts on it, for a whole
 * test file: registers the file's before (start) and after (SIGKILL the workers, stop Redis) hooks.
 */
export function queueCluster(startWorkers: (url: string) => Promise<WorkerProcess>[]): QueueCluster {
  const cluster: QueueCluster = { skip: redisInstalled() ? false : REDIS_MISSING, redis: undefined as unknown as LocalRedis, workers: [] };
  before(async () => {
    if (cluster.skip) return;
    cluster.redis = await startLocalRedis();
    cluster.workers = await Promise.all(startWorkers(cluster.redis.url));
  });
  after(async () => {
    await Promise.all(cluster.workers.map((w) => w.kill('SIGKILL')));
    await cluster.redis?.stop();
  });
  return cluster;
}
