/**
 * Worker-thread entry of PrefetchingNoise: fills the two shared slots with N(0, 1) samples
 * from the CSPRNG, alternately, each time the main thread empties one.
 */
import { workerData } from 'node:worker_threads';
import { CSPRNG } from './random-source.js';
import { samplerFor } from './gaussian-sampler.js';
import { SLOT_EMPTY, SLOT_FULL, STOP_INDEX, type NoiseWorkerData } from './noise-prefetch.js';

const { control: controlBuffer, data, capacity, secure } = workerData as NoiseWorkerData;
const control = new Int32Array(controlBuffer);
const slots = [new Float32Array(data, 0, capacity), new Float32Array(data, capacity * 4, capacity)];
const sampler = samplerFor(secure, CSPRNG);

let slot = 0;
for (;;) {
  while (Atomics.load(control, slot) !== SLOT_EMPTY) {
    if (Atomics.load(control, STOP_INDEX) !== 0) process.exit(0);
    Atomics.wait(control, slot, SLOT_FULL, 1000);
  }
  if (Atomics.load(control, STOP_INDEX) !== 0) process.exit(0);
  sampler.fill(slots[slot]);
  Atomics.store(control, slot, SLOT_FULL);
  Atomics.notify(control, slot);
  slot ^= 1;
}
