/**
 * The queue's protocol, shared by the coordinator and the workers and free of any Redis
 * driver type (so the package's declarations load without the optional bullmq and ioredis):
 * key names, the ids a worker accepts, the records stored, the reconnect delays, and which
 * failures a retry may cure.
 */
import * as errorClasses from '../../errors.js';
import { TrustnluError } from '../../errors.js';
import type { SerializedError } from '../workers/messages.js';

/** Key prefix of everything trustnlu keeps in Redis; BullMQ's own keys are under `trustnlu:jobs:`. */
export const KEY_PREFIX = 'trustnlu';
export const QUEUE_NAME = 'jobs';
export const runKey = (runId: string): string => `${KEY_PREFIX}:run:${runId}`;
/** A run's data from a named dataset (RunDataReference): per run, so one run's end never deletes another's. */
export const runDataKey = (runId: string): string => `${KEY_PREFIX}:run:${runId}:data`;
export const blobKey = (hash: string): string => `${KEY_PREFIX}:blob:${hash}`;
export const resultKey = (jobId: string): string => `${KEY_PREFIX}:result:${jobId}`;
export const jobHashKey = (jobId: string): string => `${KEY_PREFIX}:${QUEUE_NAME}:${jobId}`;

/** Run ids and job ids as the coordinator makes them; anything else read from Redis is refused. */
export const RUN_ID_PATTERN = /^[0-9a-f]{16}$/;
export const JOB_ID_PATTERN = /^[0-9a-f]{16}-\d{1,9}$/;

/** A run's record: what every job of the run shares, written once by the coordinator. */
export interface RunRecord {
  handler: string;
  backend: 'wasm' | 'cpu' | null;
  config: unknown;
  /** Data from a named dataset: merged into `config` by the worker, from its own data directory or from the blob. */
  data?: RunDataReference;
}

/**
 * The run's data when it comes from a named dataset: a worker whose data directory holds the
 * dataset rebuilds it with `loader` (a name from the worker's table, never code) and `params`,
 * and uses it if its contentHash matches; otherwise it reads the run's data key (the same
 * value, serialized), which the coordinator writes once per run.
 */
export interface RunDataReference {
  loader: string;
  dataset: string;
  params: unknown;
  /** contentHash (wire.ts) of the data value. */
  contentHash: string;
  /** SHA-256 of the bytes under runDataKey (checked by the worker). */
  blob: string;
  bytes: number;
}

/** A result as a worker stores it. */
export interface ResultRecord {
  worker: string;
  seconds: number;
  value: unknown;
}

export type QueueEventListener = (name: string, fields: Record<string, unknown>) => void;

export function reconnectDelayMs(attempt: number): number {
  return Math.min(100 * 2 ** Math.max(0, attempt - 1), 5000);
}

/**
 * A failure a retry cannot change: a trustnlu error raised by the job's own computation (a
 * configuration error, a non-finite loss). A crashed or unstartable thread and anything that
 * is not a trustnlu error (a bug, a machine's resource limit) may pass on another worker.
 */
export function isDeterministicFailure(error: unknown): boolean {
  return error instanceof TrustnluError && isDeterministicName(error.name);
}

const RETRIABLE_NAMES = new Set(['WorkerCrashError', 'WorkerInitError', 'QueueJobError', 'QueueConnectionError']);

/** isDeterministicFailure for an error known only by its class name (as read back from Redis). */
export function isDeterministicName(name: string): boolean {
  if (RETRIABLE_NAMES.has(name)) return false;
  const value = (errorClasses as Record<string, unknown>)[name];
  return typeof value === 'function' && (value === TrustnluError || value.prototype instanceof TrustnluError);
}

/** A failure as BullMQ keeps it (its `failedReason`): "Name: message". */
export function failureReason(error: unknown): string {
  const e = error instanceof Error ? error : new Error(String(error));
  return `${e.name}: ${e.message}`;
}

export function parseFailureReason(reason: string): SerializedError {
  const match = /^([A-Za-z][A-Za-z0-9_]{0,60}): ([\s\S]*)$/.exec(reason);
  return match ? { name: match[1], message: match[2] } : { name: 'Error', message: reason };
}
