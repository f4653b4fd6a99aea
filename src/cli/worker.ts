/**
 * `trustnlu worker --queue redis://…`: a job worker for runs started elsewhere with --queue
 * (fl simulate's clients, audit mia's shadow models, study cells). Runs until interrupted (Ctrl-C or
 * SIGTERM: it finishes the jobs in hand, then exits 0).
 */
import { existsSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { QueueWorker, queueAddressWarning, type QueueAddress } from '../engine/jobs/index.js';
import { JOB_DATA_LOADERS, JOB_HANDLERS } from '../job-handlers.js';
import { dataDirCandidates } from '../data/locate.js';
import { progressFor } from '../train/index.js';
import { parseInteger } from './common.js';
import { addQueueOptions } from './queue-options.js';

interface WorkerFlags {
  queue?: QueueAddress;
  queueTimeout?: number;
  concurrency: number;
  stallSeconds: number;
  name?: string;
  dataDir?: string;
  json?: boolean;
}

/** The worker's data directory (--data-dir, else $TRUSTNLU_DATA), or undefined; one that is not a directory is a usage error. */
function workerDataDir(flag: string | undefined): string | undefined {
  const chosen = dataDirCandidates(flag)[0];
  if (!chosen) return undefined;
  if (!existsSync(chosen.path) || !statSync(chosen.path).isDirectory()) {
    const source = chosen.from === 'flag' ? '--data-dir' : '$TRUSTNLU_DATA';
    throw new UsageError(`${source} ${chosen.path} is not a directory; point it at the directory that holds the datasets (or leave it out: the data then comes with each run)`);
  }
  return chosen.path;
}

export function registerWorker(program: Command): void {
  const command = program
    .command('worker')
    .description('run jobs (simulated FL clients, LiRA shadow models, study cells) for runs started elsewhere with --queue')
    .option('--concurrency <n>', 'jobs at once, one worker thread each (default: one per core)', parseInteger('--concurrency', 1), availableParallelism())
    .option('--stall-seconds <s>', 'a job whose worker stops renewing its lock for this long goes to another worker', parseInteger('--stall-seconds', 1), 30)
    .option('--name <name>', 'how this worker appears in the coordinator\'s progress (default host:pid)')
    .option('--data-dir <dir>', 'this machine\'s data directory (default $TRUSTNLU_DATA): runs on a named dataset read it from here when it matches the coordinator\'s copy, instead of receiving it')
    .option('--json', 'events as JSON lines on stderr', false)
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  trustnlu worker --queue redis://127.0.0.1:6379',
        '  trustnlu worker --queue rediss://:PASSWORD@queue.internal:6380/2 --concurrency 4 --data-dir /srv/trustnlu-data',
      ].join('\n'),
    );
  addQueueOptions(command, 'jobs').action(async (flags: WorkerFlags) => {
    if (!flags.queue) throw new UsageError('trustnlu worker needs --queue redis://host:port[/db] (the Redis that coordinators use)');
    if (flags.queueTimeout !== undefined) throw new UsageError('--queue-timeout is for the command that starts a run; a worker waits for Redis as long as it runs: drop it');
    const dataDir = workerDataDir(flags.dataDir);
    const progress = progressFor({ json: flags.json });
    const warning = queueAddressWarning(flags.queue);
    if (warning) process.stderr.write(`${warning}\n`);
    const worker = await QueueWorker.start({
      queue: flags.queue,
      handlers: { ...JOB_HANDLERS },
      dataLoaders: { ...JOB_DATA_LOADERS },
      ...(dataDir ? { dataDir } : {}),
      concurrency: flags.concurrency,
      stallSeconds: flags.stallSeconds,
      ...(flags.name ? { name: flags.name } : {}),
      onEvent: (name, fields) => progress.event(name, fields),
    });
    progress.event('worker-ready', { worker: worker.name, queue: flags.queue.display, concurrency: worker.concurrency, handlers: Object.keys(JOB_HANDLERS).join(','), dataDir: dataDir ?? null });
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    progress.event('worker-stopping', { worker: worker.name, ...worker.stats() });
    // a second signal stops at once (jobs in hand are retried elsewhere after their lock expires)
    const now = () => process.exit(130);
    process.once('SIGINT', now);
    process.once('SIGTERM', now);
    await worker.close(flags.stallSeconds);
    // BullMQ may keep a reconnect timer alive after a close with Redis gone: the worker's work is done
    setTimeout(() => process.exit(), 2000).unref();
  });
}
