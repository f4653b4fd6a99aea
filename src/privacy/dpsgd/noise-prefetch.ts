/**
 * Noise generated one step ahead in a worker thread. The main thread is busy with the
 * (single-threaded) wasm backend during a step; a second core can fill the next step's
 * noise meanwhile. Two slots in a SharedArrayBuffer alternate: the worker fills the empty
 * one, the step copies the full one out and hands it back (Atomics.wait/notify, so no event
 * loop turn is needed between steps). The first request of a given size is generated
 * inline while the worker starts.
 *
 * The worker also scales: each request for N(0, std²) tells it the std to use for the next
 * fill (a DP step's std is the same every step unless the clip adapts), and it writes
 * unit·std into a second buffer of the slot, so the main thread does not loop over every
 * coordinate. A slot records the std it was scaled by; when a request's std differs (under
 * adaptive clipping), the main thread scales that slot's unit samples itself. Either way each
 * value is the float32 rounding of one unit sample times std, computed once, exactly as
 * `standardNormals(size)[j] * std` would be.
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
/** Index, in the shared float64 array, of the std the worker scales its next fill by (0 and 1: the std each slot holds). */
export const SCALE_FOR_INDEX = 2;
/** Indices, in the shared float64 array, of the worker's fill count and its thread's CPU milliseconds so far. */
export const FILLS_INDEX = 3;
export const CPU_MS_INDEX = 4;

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
  /** float64 [std slot 0 was scaled by, std slot 1 was scaled by, std for the next fill, fills, worker CPU ms]. */
  scales: SharedArrayBuffer;
  /** Four float32 blocks of `capacity`: unit samples of slots 0 and 1, then their scaled copies. */
  data: SharedArrayBuffer;
  capacity: number;
  secure: boolean;
}

/** The unit and scaled buffers of the two slots in a worker's data block. */
export function slotViews(data: SharedArrayBuffer, capacity: number): { unit: Float32Array[]; scaled: Float32Array[] } {
  const block = (k: number) => new Float32Array(data, k * capacity * 4, capacity);
  return { unit: [block(0), block(1)], scaled: [block(2), block(3)] };
}

/** out[j] = unit[j] · std, rounded to float32 (the one multiplication every scaled sample gets). */
export function scaleInto(unit: Float32Array, std: number, out: Float32Array): void {
  const n = unit.length;
  for (let j = 0; j < n; j++) out[j] = unit[j] * std;
}

export class PrefetchingNoise implements GaussianNoise {
  readonly cryptographic = true;
  readonly hardened: boolean;
  private readonly inline: GaussianSampler;
  private worker?: WorkerLike;
  private control?: Int32Array;
  private scales?: Float64Array;
  private unit: Float32Array[] = [];
  private scaled: Float32Array[] = [];
  private capacity = 0;
  private next = 0;
  /** The slot handed out by the last call, released at the next one. */
  private lent?: number;
  private out = new Float32Array(0);
  private failed?: Error;
  /** Steps served from the worker vs. generated inline (for benchmarks); `scaledHere`: prefetched slots the main thread had to scale. */
  readonly served = { prefetched: 0, inline: 0, scaledHere: 0 };

  constructor(secure: boolean) {
    this.hardened = secure;
    this.inline = samplerFor(secure, CSPRNG);
  }

  private start(capacity: number, std: number): void {
    this.stop();
    const Worker = workerConstructor();
    if (!Worker) return;
    const control = new SharedArrayBuffer(4 * 4);
    const scales = new SharedArrayBuffer(5 * 8);
    const data = new SharedArrayBuffer(4 * capacity * 4);
    this.control = new Int32Array(control);
    this.scales = new Float64Array(scales);
    this.scales[SCALE_FOR_INDEX] = std;
    ({ unit: this.unit, scaled: this.scaled } = slotViews(data, capacity));
    this.capacity = capacity;
    this.next = 0;
    this.lent = undefined;
    const workerData: NoiseWorkerData = { control, scales, data, capacity, secure: this.hardened };
    const worker = new Worker(new URL('./noise-worker.js', import.meta.url), { workerData });
    worker.on('error', (error) => {
      this.failed = error;
    });
    worker.unref(); // never keeps the process alive
    this.worker = worker;
  }

  /** A view on a shared slot, valid until the next call (which hands the slot back for refilling). */
  standardNormals(size: number): Float32Array {
    return this.normals(size, 1);
  }

  /** N(0, std²) samples: a view on a shared slot, valid until the next call. */
  normals(size: number, std: number): Float32Array {
    if (this.failed) throw new ConfigError(`the noise worker failed: ${this.failed.message}`);
    if (!this.worker || size > this.capacity) {
      this.start(size, std);
      if (this.out.length !== size) this.out = new Float32Array(size);
      this.inline.fill(this.out);
      if (std !== 1) scaleInto(this.out, std, this.out);
      this.served.inline++;
      return this.out;
    }
    const control = this.control!;
    const scales = this.scales!;
    // The worker scales the slot it refills next by this std (read when it finishes the fill).
    scales[SCALE_FOR_INDEX] = std;
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
    const view = (a: Float32Array) => (size === this.capacity ? a : a.subarray(0, size));
    if (std === 1) return view(this.unit[slot]);
    if (scales[slot] !== std) {
      // Scaled for another std (the clip adapted): scale the unit samples here.
      scaleInto(view(this.unit[slot]), std, view(this.scaled[slot]));
      this.served.scaledHere++;
    }
    return view(this.scaled[slot]);
  }

  /**
   * The worker's fills so far and its thread's CPU milliseconds (Linux; NaN elsewhere), or
   * undefined before it starts: the cost of the noise off the main thread.
   */
  workerCpu(): { fills: number; cpuMs: number } | undefined {
    if (!this.scales) return undefined;
    return { fills: this.scales[FILLS_INDEX], cpuMs: this.scales[CPU_MS_INDEX] };
  }

  private stop(): void {
    if (!this.worker || !this.control) return;
    Atomics.store(this.control, STOP_INDEX, 1);
    Atomics.notify(this.control, 0);
    Atomics.notify(this.control, 1);
    void this.worker.terminate();
    this.worker = undefined;
    this.control = undefined;
    this.scales = undefined;
    this.lent = undefined;
    this.capacity = 0;
  }

  dispose(): void {
    this.stop();
  }
}
