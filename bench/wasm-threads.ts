/**
 * Does tfjs-backend-wasm 4.22.0 offer its multi-threaded XNNPACK build under Node (issue 19,
 * part 2)? The package ships tfjs-backend-wasm-threaded-simd.wasm, but its feature flag
 * WASM_HAS_MULTITHREAD_SUPPORT returns false whenever IS_NODE (tfjs issue #3830). This
 * script forces the flag, asks for N threads, and reports what happens: the backend's
 * initialisation error, or, if it starts, the threads in use and a 2048×512·512×512 matmul's
 * median ms (no single-threaded run to compare with: run that apart). Run it in its own process
 * (a failed wasm initialisation leaves tfjs without that backend):
 *
 *   node dist/bench/wasm-threads.js [--threads 2]
 *
 * Prints one JSON object.
 */
import * as tf from '@tensorflow/tfjs';
import * as wasm from '@tensorflow/tfjs-backend-wasm';

const at = process.argv.indexOf('--threads');
const threads = at >= 0 ? Number(process.argv[at + 1]) : 2;

function matmulMs(): number {
  const a = tf.randomNormal([2048, 512]);
  const b = tf.randomNormal([512, 512]);
  const times: number[] = [];
  for (let i = 0; i < 6; i++) {
    const t0 = performance.now();
    const c = tf.matMul(a, b);
    c.dataSync();
    c.dispose();
    times.push(performance.now() - t0);
  }
  times.sort((x, y) => x - y);
  return Number(times[3].toFixed(1));
}

const flagDefault = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
wasm.setThreadsCount(threads);
const errors: string[] = [];
const originalError = console.error;
const originalWarn = console.warn;
console.error = (...args: unknown[]) => errors.push(args.map(String).join(' ').split('\n')[0]);
console.warn = console.error;
let started = false;
try {
  started = await tf.setBackend('wasm');
} catch (error) {
  errors.push((error as Error).message.split('\n')[0]);
}
console.error = originalError;
console.warn = originalWarn;

const result: Record<string, unknown> = {
  tfjs: tf.version.tfjs,
  node: process.version,
  flagDefaultInNode: flagDefault,
  requestedThreads: threads,
  started,
  errors: [...new Set(errors)],
};
if (started) {
  result.threadsInUse = wasm.getThreadsCount();
  result.matmulMs = matmulMs();
}
process.stdout.write(`${JSON.stringify(result)}\n`);
process.exit(0);
