/**
 * `trustnlu worker --queue redis://…`: a job worker for runs started elsewhere with --queue
 * (fl simulate's clients, audit mia's shadow models, study cells). Runs until interrupted (Ctrl-C or
 * SIGTERM: it finishes the jobs in hand, then exits 0).
 */
import { availableParallelism } from 'node:os';
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { QueueWorker, queueAddressWarning, type QueueAddress } from '../engine/jobs/index.js';
import { JOB_HANDLERS } from '../job-handlers.js';
import { progressFor } from '../train/index.js';
import { parseInteger } from './common.js';
import { addQueueOptions } from './queue-options.js';

interface WorkerFlags {
  queue?: QueueAddress;
  queueTimeout?: number;
  concurrency: number;
  stallSeconds: number;
  name?: string;
  json?: boolean;
}

export function registerWorker(program: Command): void {
  const command = program
    .command('worker')
    .description('run jobs (simulated FL clients, LiRA shadow models, study cells) for runs started elsewhere with --queue')
    .option('--concurrency <n>', 'jobs at once, one worker thread each (default: one per core)', parseInteger('--concurrency', 1), availableParallelism())
    .option('--stall-seconds <s>', 'a job whose worker stops renewing its lock for this long goes to another worker', parseInteger('--stall-seconds', 1), 30)
    .option('--name <name>', 'how this worker appears in the coordinator\'s progress (default host:pid)')
    .option('--json', 'events as JSON lines on stderr', false)
    .addHelpText(
      'after',
      ['', 'Examples:', '  trustnlu worker --queue redis://127.0.0.1:6379', '  trustnlu worker --queue rediss://:PASSWORD@queue.internal:6380/2 --concurrency 4'].join('\n'),
    );
  addQueueOptions(command, 'jobs').action(async (flags: WorkerFlags) => {
    if (!flags.queue) throw new UsageError('trustnlu worker needs --queue redis://host:port[/db] (the Redis that coordinators use)');
    if (flags.queueTimeout !== undefined) throw new UsageError('--queue-timeout is for the command that starts a run; a worker waits for Redis as long as it runs: drop it');
    const progress = progressFor({ json: flags.json });
    const warning = queueAddressWarning(flags.queue);
    if (warning) process.stderr.write(`${warning}\n`);
    const worker = await QueueWorker.start({
      queue: flags.queue,
      handlers: { ...JOB_HANDLERS },
      concurrency: flags.concurrency,
      stallSeconds: flags.stallSeconds,
      ...(flags.name ? { name: flags.name } : {}),
      onEvent: (name, fields) => progress.event(name, fields),
    });
    progress.event('worker-ready', { worker: worker.name, queue: flags.queue.display, concurrency: worker.concurrency, handlers: Object.keys(JOB_HANDLERS).join(',') });
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
