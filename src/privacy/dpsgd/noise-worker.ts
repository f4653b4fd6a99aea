/**
 * Worker-thread entry of PrefetchingNoise: fills the two shared slots with N(0, 1) samples
 * from the CSPRNG, alternately, each time the main thread empties one, and writes their
 * copy scaled by the std the main thread last asked for (see noise-prefetch.ts). After each
 * fill it publishes its fill count and its own CPU time (for the benchmarks).
 */
import { readFileSync } from 'node:fs';
import { workerData } from 'node:worker_threads';
import { CSPRNG } from './random-source.js';
import { samplerFor } from './gaussian-sampler.js';
import { CPU_MS_INDEX, FILLS_INDEX, SCALE_FOR_INDEX, SLOT_EMPTY, SLOT_FULL, STOP_INDEX, scaleInto, slotViews, type NoiseWorkerData } from './noise-prefetch.js';

const { control: controlBuffer, scales: scalesBuffer, data, capacity, secure } = workerData as NoiseWorkerData;
const control = new Int32Array(controlBuffer);
const scales = new Float64Array(scalesBuffer);
const { unit, scaled } = slotViews(data, capacity);
const sampler = samplerFor(secure, CSPRNG);

/** This thread's CPU time in ms (Linux: schedstat's first field, ns on CPU); NaN elsewhere. */
function threadCpuMs(): number {
  try {
    return Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]) / 1e6;
  } catch {
    return NaN;
  }
}

let slot = 0;
for (;;) {
  while (Atomics.load(control, slot) !== SLOT_EMPTY) {
    if (Atomics.load(control, STOP_INDEX) !== 0) process.exit(0);
    Atomics.wait(control, slot, SLOT_FULL, 1000);
  }
  if (Atomics.load(control, STOP_INDEX) !== 0) process.exit(0);
  sampler.fill(unit[slot]);
  const std = scales[SCALE_FOR_INDEX];
  if (std !== 1) scaleInto(unit[slot], std, scaled[slot]);
  scales[slot] = std; // published by the store below
  scales[FILLS_INDEX]++;
  scales[CPU_MS_INDEX] = threadCpuMs();
  Atomics.store(control, slot, SLOT_FULL);
  Atomics.notify(control, slot);
  slot ^= 1;
}
