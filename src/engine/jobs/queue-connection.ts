/**
 * The Redis side of the queue, shared by the coordinator and the workers: the optional packages
 * (bullmq and its driver ioredis, loaded on first use so a user who never passes --queue installs
 * neither) and the clients (reconnect policy, reporting). Internal: its types name the drivers,
 * so nothing public re-exports it (queue-protocol.ts holds the driver-free part).
 *
 * Reconnecting: ioredis retries a lost connection forever; the delay doubles from 100 ms up
 * to 5 s, and every attempt and every recovery is reported (`onEvent`), so a Redis restart
 * shows up in the progress lines instead of as a silent stall. The coordinator gives up after
 * its own limit (QueueConnectionError); a worker waits for as long as it runs.
 */
import type { Redis, RedisOptions } from 'ioredis';
import { importOptional, MissingDependencyError, OPTIONAL_DEPENDENCIES } from '../../optional-dependency.js';
import { QueueConnectionError } from '../../errors.js';
import { parseQueueAddress, type QueueAddress } from './queue-address.js';
import { reconnectDelayMs, type QueueEventListener } from './queue-protocol.js';

export type BullMq = typeof import('bullmq');
type IoRedis = typeof import('ioredis');

/** bullmq and its Redis driver, or one line naming every missing package and the install command. */
export async function loadQueueLibraries(forWhat: string): Promise<{ bullmq: BullMq; ioredis: IoRedis }> {
  const [bullmq, ioredis] = await Promise.allSettled([importOptional<BullMq>('bullmq', forWhat), importOptional<IoRedis>('ioredis', forWhat)]);
  const missing = (['bullmq', 'ioredis'] as const).filter((_, i) => {
    const r = [bullmq, ioredis][i];
    return r.status === 'rejected' && r.reason instanceof MissingDependencyError;
  });
  if (missing.length > 0) {
    const install = missing.map((name) => `${name}@${OPTIONAL_DEPENDENCIES[name]}`).join(' ');
    throw new MissingDependencyError(`${forWhat} needs the optional ${missing.length > 1 ? 'packages' : 'package'} ${missing.join(' and ')}: npm install ${install}`);
  }
  for (const r of [bullmq, ioredis]) if (r.status === 'rejected') throw r.reason;
  return { bullmq: (bullmq as PromiseFulfilledResult<BullMq>).value, ioredis: (ioredis as PromiseFulfilledResult<IoRedis>).value };
}

/**
 * A Redis client for the queue: commands wait while the connection is down (BullMQ needs
 * maxRetriesPerRequest null), reconnection is reported through `onEvent` with the address
 * (never the password).
 */
export function queueClient(ioredis: IoRedis, address: QueueAddress, role: string, onEvent: QueueEventListener): Redis {
  // BullMQ duplicates a client for its blocking reads, options (this retryStrategy) included: one report per attempt
  let lastReport = { attempt: 0, at: 0 };
  const options: RedisOptions = {
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
    connectionName: `trustnlu-${role}`,
    retryStrategy: (attempt) => {
      const delayMs = reconnectDelayMs(attempt);
      if (attempt !== lastReport.attempt || Date.now() - lastReport.at > 1000) onEvent('queue-reconnecting', { role, queue: address.display, attempt, delayMs });
      lastReport = { attempt, at: Date.now() };
      return delayMs;
    },
  };
  const client = new ioredis.Redis(address.url, options);
  let lostAt: number | undefined;
  client.on('close', () => {
    if (lostAt === undefined) {
      lostAt = Date.now();
      onEvent('queue-connection-lost', { role, queue: address.display });
    }
  });
  client.on('ready', () => {
    if (lostAt !== undefined) {
      onEvent('queue-reconnected', { role, queue: address.display, downSeconds: (Date.now() - lostAt) / 1000 });
      lostAt = undefined;
    }
  });
  // errors while reconnecting are reported by the events above; without a listener ioredis prints them
  client.on('error', () => undefined);
  return client;
}

/** Resolves once the client answers PING, or throws QueueConnectionError after `seconds`. */
export async function waitForRedis(client: Redis, address: QueueAddress, seconds: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      client.ping(),
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new QueueConnectionError(`cannot reach the queue ${address.display} within ${seconds} s: is redis-server running there, and are the address, port and password right?`)),
          seconds * 1000,
        );
      }),
    ]);
  } catch (error) {
    if (error instanceof QueueConnectionError) throw error;
    // e.g. NOAUTH / WRONGPASS: ioredis reports them as replies, not connection failures
    throw new QueueConnectionError(`the queue ${address.display} refused the connection: ${(error as Error).message}`);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Waits for `closing` (a rejection counts as closed) at most `ms`: true if it settled in time.
 * BullMQ's graceful closes send QUIT and can wait forever on a connection that is gone.
 */
export async function closeWithin(closing: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const settled = await Promise.race([closing.then(() => true, () => true), new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)))]);
  clearTimeout(timer);
  return settled;
}

export function asQueueAddress(queue: string | QueueAddress): QueueAddress {
  return typeof queue === 'string' ? parseQueueAddress(queue) : queue;
}

