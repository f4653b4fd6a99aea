/**
 * `--queue redis://host:port[/db]`: the flag that sends a command's jobs (simulated clients,
 * shadow models) to `trustnlu worker` processes through Redis instead of local threads.
 * Progress by worker and the queue's connection events go to the command's progress stream
 * (JSON lines with --json).
 */
import { InvalidArgumentError, type Command } from 'commander';
import { TrustnluError, UsageError } from '../errors.js';
import { parseQueueAddress, queueAddressWarning, QUEUE_ADDRESS_FORM, type QueueAddress, type QueueRunOptions } from '../engine/jobs/index.js';
import type { ProgressReporter } from '../train/progress.js';

export interface QueueFlags {
  queue?: QueueAddress;
  queueTimeout?: number;
  workers?: number;
}

function parseQueueFlag(value: string): QueueAddress {
  try {
    return parseQueueAddress(value);
  } catch (error) {
    if (error instanceof TrustnluError) throw new InvalidArgumentError(error.message);
    throw error;
  }
}

export function addQueueOptions(command: Command, what: string): Command {
  return command
    .option('--queue <url>', `run the ${what} on trustnlu worker processes through Redis (${QUEUE_ADDRESS_FORM}); see docs/scale-out.md`, parseQueueFlag)
    .option('--queue-timeout <seconds>', 'with --queue: stop the run when Redis has been unreachable this long (default 120)', (v) => {
      const n = Number(v);
      if (!Number.isFinite(n) || n < 1) throw new InvalidArgumentError(`--queue-timeout must be a number of seconds ≥ 1, got "${v}"`);
      return n;
    });
}

/** The queue options for the library, or undefined without --queue; a usage error for flags that contradict it. */
export function queueRunOptions(flags: QueueFlags, progress: ProgressReporter, workersFlagGiven: boolean): QueueRunOptions | undefined {
  if (!flags.queue) {
    if (flags.queueTimeout !== undefined) throw new UsageError('--queue-timeout needs --queue redis://host:port');
    return undefined;
  }
  if (workersFlagGiven) throw new UsageError('--workers sets local threads; with --queue the jobs run on trustnlu worker processes (set their --concurrency): drop --workers');
  const warning = queueAddressWarning(flags.queue);
  if (warning) process.stderr.write(`${warning}\n`);
  return {
    queue: flags.queue,
    ...(flags.queueTimeout !== undefined ? { connectionTimeoutSeconds: flags.queueTimeout } : {}),
    onProgress: (p) => progress.event('queue', { ...p }),
    onEvent: (name, fields) => progress.event(name, fields),
  };
}
