/**
 * What the pool and its workers say to each other, and how values cross the thread
 * boundary: errors as plain {name, message, stack} (rebuilt on the other side as the same
 * trustnlu error class when there is one), typed arrays by transfer when the array owns its
 * whole buffer.
 */
import * as errorClasses from '../../errors.js';
import { TrustnluError } from '../../errors.js';

export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
}

/** Main → worker. */
export interface JobMessage {
  type: 'job';
  id: number;
  job: unknown;
}

/** Worker → main. */
export type WorkerMessage =
  | { type: 'ready' }
  | { type: 'init-error'; error: SerializedError }
  | { type: 'result'; id: number; ok: true; value: unknown }
  | { type: 'result'; id: number; ok: false; error: SerializedError };

/** What `workerData` holds for the bootstrap (see worker-main.ts). */
export interface WorkerBootData {
  handler: string;
  config: unknown;
  backend: 'wasm' | 'cpu' | null;
  workerIndex: number;
}

export function serializeError(error: unknown): SerializedError {
  if (error instanceof Error) return { name: error.name, message: error.message, stack: error.stack };
  return { name: 'Error', message: String(error) };
}

/** A job threw inside a worker and its error is not one of the trustnlu error classes. */
export class WorkerJobError extends TrustnluError {
  constructor(message: string, readonly remoteName: string, readonly workerStack?: string) {
    super(message);
  }
}

/** A worker thread died (uncaught exception, process.exit, out of memory) while running a job. */
export class WorkerCrashError extends TrustnluError {}

/** A worker could not start: the handler module failed to load or its init threw. */
export class WorkerInitError extends TrustnluError {}

type ErrorConstructor = new (message: string) => Error;

const KNOWN: Map<string, ErrorConstructor> = new Map(
  Object.entries(errorClasses)
    .filter(([, value]) => typeof value === 'function' && (value === TrustnluError || value.prototype instanceof TrustnluError))
    .map(([name, value]) => [name, value as unknown as ErrorConstructor]),
);

/**
 * The worker's error rebuilt on the main thread: the same trustnlu class when the name is
 * one (so `instanceof ConfigError` and CLI exit codes survive the thread hop), else a
 * `WorkerJobError`. The worker's stack is kept as `workerStack`.
 */
export function deserializeError(error: SerializedError): Error {
  const Known = KNOWN.get(error.name);
  const rebuilt = Known ? new Known(error.message) : new WorkerJobError(error.message, error.name, error.stack);
  if (Known) Object.defineProperty(rebuilt, 'workerStack', { value: error.stack, enumerable: false });
  return rebuilt;
}

/**
 * ArrayBuffers of the typed arrays inside `value` that can be moved rather than copied:
 * plain (not shared) buffers that the view covers entirely, so nothing else is detached
 * with them (a view into a pooled Buffer or a larger arena is copied instead).
 */
export function transferablesOf(value: unknown, depth = 6): ArrayBuffer[] {
  const found = new Set<ArrayBuffer>();
  const visit = (v: unknown, level: number): void => {
    if (v === null || typeof v !== 'object' || level > depth) return;
    if (ArrayBuffer.isView(v)) {
      const buffer = v.buffer;
      if (buffer instanceof ArrayBuffer && v.byteOffset === 0 && v.byteLength === buffer.byteLength && buffer.byteLength > 0) {
        found.add(buffer);
      }
      return;
    }
    if (v instanceof ArrayBuffer) return; // a bare buffer may be shared by the sender's views: copy it
    if (Array.isArray(v)) {
      for (const item of v) visit(item, level + 1);
      return;
    }
    if (v instanceof Map || v instanceof Set) return;
    for (const item of Object.values(v as Record<string, unknown>)) visit(item, level + 1);
  };
  visit(value, 0);
  return [...found];
}
