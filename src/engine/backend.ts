/**
 * Backend selection and the kernel patches. `initEngine` is idempotent and must run
 * before any tensor is made; every entry point (CLI, worker, test) calls it once.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { registerUnsortedSegmentSum } from './patches/unsorted-segment-sum.js';
import { registerFastBatchMatMul } from './patches/batch-matmul.js';
import { registerConvFilterGradient } from './patches/conv-filter-gradient.js';
import { registerFastBroadcasts } from './patches/broadcast-binary.js';
import { registerFastMemoryMovement } from './patches/memory-movement.js';
import { registerFastTranspose } from './patches/transpose.js';
import { registerFastOuterSum } from './patches/sum-outer-axes.js';
import { registerMaxPoolGradient } from './patches/max-pool-grad.js';

export type BackendName = 'wasm' | 'cpu';
export const BACKENDS: readonly BackendName[] = ['wasm', 'cpu'];

let patched = false;

function applyPatches(): void {
  if (patched) return;
  // Kernels registered before a backend initialises get their setup run with it;
  // the wasm wrappers need the original kernels, registered when the package loads.
  registerUnsortedSegmentSum('cpu');
  registerUnsortedSegmentSum('wasm');
  registerFastTranspose(); // before BatchMatMul, whose wrapper calls the registered Transpose
  registerFastBatchMatMul();
  registerConvFilterGradient();
  registerFastBroadcasts();
  registerFastMemoryMovement();
  registerFastOuterSum();
  registerMaxPoolGradient();
  patched = true;
}

export interface EngineOptions {
  /** 'wasm' (default: XNNPACK, ~20x the cpu backend) or 'cpu' (pure JS, the reference). */
  backend?: BackendName;
}

/** Selects the backend (default wasm), applies the kernel patches and waits until ready. */
export async function initEngine(options: EngineOptions = {}): Promise<BackendName> {
  const backend = options.backend ?? 'wasm';
  if (!BACKENDS.includes(backend)) {
    throw new Error(`unknown backend "${backend}": use one of ${BACKENDS.join(', ')}`);
  }
  applyPatches();
  if (tf.getBackend() !== backend) {
    const ok = await tf.setBackend(backend);
    if (!ok) throw new Error(`the ${backend} backend failed to initialise`);
  }
  await tf.ready();
  if (backend === 'cpu') {
    // The cpu backend prints a banner recommending tfjs-node on first use; we choose cpu on purpose.
    (tf.backend() as unknown as { firstUse: boolean }).firstUse = false;
  }
  return backend;
}

export function currentBackend(): BackendName {
  return tf.getBackend() as BackendName;
}
