/**
 * Backend selection and the kernel patches. `initEngine` is idempotent. In Node the engine
 * starts itself when this module is first imported (the wasm backend, or $TRUSTNLU_BACKEND),
 * so a library call works without calling initEngine first; call it to choose another
 * backend. In a browser nothing starts by itself: call initEngine (wasm needs its .wasm files
 * served, see docs/engine.md). trustnlu shares the user's @tensorflow/tfjs (a peer
 * dependency), so the backend and the kernel patches apply to the user's tensors too.
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
import { registerSharedIdentity } from './patches/shared-identity.js';

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
  registerSharedIdentity();
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

/**
 * Node: start the engine on import. A backend someone already chose (the user's own tfjs code
 * ran first) is kept, with the patches applied; an explicit $TRUSTNLU_BACKEND wins; wasm that
 * cannot start (no WebAssembly) falls back to cpu with one line on stderr.
 */
async function startOnImport(): Promise<void> {
  const inNode = typeof process !== 'undefined' && typeof process.versions?.node === 'string';
  if (!inNode) return;
  const chosen = (tf.engine() as unknown as { backendName: string | null }).backendName;
  if (chosen) {
    applyPatches();
    return;
  }
  const wanted = process.env.TRUSTNLU_BACKEND;
  if (wanted !== undefined && wanted !== '' && !BACKENDS.includes(wanted as BackendName)) {
    throw new Error(`TRUSTNLU_BACKEND="${wanted}" is not a backend: use one of ${BACKENDS.join(', ')}`);
  }
  const backend = (wanted || 'wasm') as BackendName;
  try {
    await initEngine({ backend });
  } catch (error) {
    if (backend !== 'wasm') throw error;
    process.stderr.write(`trustnlu: the wasm backend did not start (${(error as Error).message}); using the slower cpu backend\n`);
    await initEngine({ backend: 'cpu' });
  }
}

await startOnImport();
