/**
 * Noise generated one step ahead in a worker thread. The main thread is busy with the
 * (single-threaded) wasm backend during a step; a second core can fill the next step's
 * noise meanwhile. Two slots in a SharedArrayBuffer alternate: the worker fills the empty
 * one, the step copies the full one out and hands it back (Atomics.wait/notify, so no event
 * loop turn is needed between steps). The first request of a given size is generated
 * inline while the worker starts.
 *
 * Needs Node's worker_threads (looked up at run time, so this module loads in a browser);
 * without them it falls back to inline generation.
 */
import { ConfigError } from '../../errors.js';
import { CSPRNG } from './random-source.js';
import { samplerFor, type GaussianSampler } from './gaussian-sampler.js';
import type { GaussianNoise } from './noise.js';

/** Slot states in the control array. */
export const SLOT_EMPTY = 0;
export const SLOT_FULL = 1;
/** Index of the stop flag in the control array (slots are 0 and 1). */
export const STOP_INDEX = 2;

interface WorkerLike {
  unref(): void;
  terminate(): Promise<number>;
  on(event: 'error', listener: (error: Error) => void): void;
}
type WorkerConstructor = new (url: URL, options: { workerData: unknown }) => WorkerLike;

function workerConstructor(): WorkerConstructor | undefined {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const module = proc?.getBuiltinModule?.('node:worker_threads') as { Worker?: WorkerConstructor } | undefined;
  return module?.Worker;
}

export interface NoiseWorkerData {
  control: SharedArrayBuffer;
  data: SharedArrayBuffer;
  capacity: number;
  secure: boolean;
}

export class PrefetchingNoise implements GaussianNoise {
  readonly cryptographic = true;
  readonly hardened: boolean;
  private readonly inline: GaussianSampler;
  private worker?: WorkerLike;
  private control?: Int32Array;
  private slots: Float32Array[] = [];
  private capacity = 0;
  private next = 0;
  /** The slot handed out by the last call, released at the next one. */
  private lent?: number;
  private out = new Float32Array(0);
  private failed?: Error;
  /** Steps served from the worker vs. generated inline (for benchmarks). */
  readonly served = { prefetched: 0, inline: 0 };

  constructor(secure: boolean) {
    this.hardened = secure;
    this.inline = samplerFor(secure, CSPRNG);
  }

  private start(capacity: number): void {
    this.stop();
    const Worker = workerConstructor();
    if (!Worker) return;
    const control = new SharedArrayBuffer(4 * 4);
    const data = new SharedArrayBuffer(2 * capacity * 4);
    this.control = new Int32Array(control);
    this.slots = [new Float32Array(data, 0, capacity), new Float32Array(data, capacity * 4, capacity)];
    this.capacity = capacity;
    this.next = 0;
    this.lent = undefined;
    const workerData: NoiseWorkerData = { control, data, capacity, secure: this.hardened };
    const worker = new Worker(new URL('./noise-worker.js', import.meta.url), { workerData });
    worker.on('error', (error) => {
      this.failed = error;
    });
    worker.unref(); // never keeps the process alive
    this.worker = worker;
  }

  /** A view on a shared slot, valid until the next call (which hands the slot back for refilling). */
  standardNormals(size: number): Float32Array {
    if (this.failed) throw new ConfigError(`the noise worker failed: ${this.failed.message}`);
    if (!this.worker || size > this.capacity) {
      this.start(size);
      if (this.out.length !== size) this.out = new Float32Array(size);
      this.inline.fill(this.out);
      this.served.inline++;
      return this.out;
    }
    const control = this.control!;
    if (this.lent !== undefined) {
      // Every sample is used once: the slot is refilled with fresh values before it is served again.
      Atomics.store(control, this.lent, SLOT_EMPTY);
      Atomics.notify(control, this.lent);
      this.lent = undefined;
    }
    const slot = this.next;
    while (Atomics.load(control, slot) !== SLOT_FULL) {
      if (this.failed) throw new ConfigError(`the noise worker failed: ${(this.failed as Error).message}`);
      Atomics.wait(control, slot, SLOT_EMPTY, 1000);
    }
    this.lent = slot;
    this.next = slot ^ 1;
    this.served.prefetched++;
    return size === this.capacity ? this.slots[slot] : this.slots[slot].subarray(0, size);
  }

  private stop(): void {
    if (!this.worker || !this.control) return;
    Atomics.store(this.control, STOP_INDEX, 1);
    Atomics.notify(this.control, 0);
    Atomics.notify(this.control, 1);
    void this.worker.terminate();
    this.worker = undefined;
    this.control = undefined;
    this.lent = undefined;
    this.capacity = 0;
  }

  dispose(): void {
    this.stop();
  }
}
