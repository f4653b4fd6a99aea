/**
 * Float32 tensors whose values a host function writes straight into backend storage.
 * `tf.tensor(values)` copies a host array into the backend, so a value computed on the host
 * (e.g. scaled Gaussian noise plus sparse clipped rows, over every coordinate of a model each
 * DP step) costs one pass to compute and another to copy; writing into the tensor's own
 * storage makes it one pass.
 */
import * as tf from '@tensorflow/tfjs';
import { allocateWasm, heapView, isWasm } from './kernel-io.js';

interface CpuBackendInternals {
  makeTensorInfo(shape: number[], dtype: 'float32', values?: Float32Array): tf.TensorInfo;
}

/**
 * Allocates one float32 tensor per shape, then calls `fill` once with a writable view of
 * each tensor's values (uninitialised: `fill` must write every element). `fill` must not
 * create or dispose tensors: on wasm the views are invalidated when the heap grows.
 * The tensors belong to the current tf.tidy scope, like the result of any op.
 */
export function filledTensors(shapes: number[][], fill: (views: Float32Array[]) => void): tf.Tensor[] {
  const backend = tf.backend();
  let infos: tf.TensorInfo[];
  if (isWasm(backend)) {
    infos = shapes.map((shape) => allocateWasm(backend, shape, 'float32'));
    fill(infos.map((info) => heapView(backend, info) as Float32Array));
  } else {
    const arrays = shapes.map((shape) => new Float32Array(shape.reduce((a, b) => a * b, 1)));
    fill(arrays);
    infos = shapes.map((shape, i) => (backend as unknown as CpuBackendInternals).makeTensorInfo(shape, 'float32', arrays[i]));
  }
  return infos.map((info) => tf.engine().makeTensorFromTensorInfo(info, backend));
}
