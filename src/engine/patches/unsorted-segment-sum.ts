/**
 * UnsortedSegmentSum is the backward pass of `gather`, i.e. of every embedding lookup.
 * tfjs 4.22 has no wasm kernel for it, and the cpu kernel builds a one-hot
 * [numSegments, N] mask (O(vocab·N·D) work and memory: tens of GB at vocab 20k).
 * This kernel is a plain scatter-add, O(N·D), for both backends.
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelBackend, TensorInfo } from '@tensorflow/tfjs';
import { makeOutput, readValues } from '../kernel-io.js';

interface Args {
  inputs: { x: TensorInfo; segmentIds: TensorInfo };
  backend: KernelBackend;
  attrs: { numSegments: number };
}

/** out[s, :] = Σ_{i : ids[i] = s} x[i, :]; ids outside [0, numSegments) are dropped, as in TensorFlow. */
export function scatterAdd(
  x: ArrayLike<number>,
  ids: ArrayLike<number>,
  rowSize: number,
  out: { [i: number]: number },
  numSegments: number,
): void {
  for (let i = 0; i < ids.length; i++) {
    const s = ids[i];
    if (s < 0 || s >= numSegments) continue;
    const src = i * rowSize;
    const dst = s * rowSize;
    for (let j = 0; j < rowSize; j++) out[dst + j] += x[src + j];
  }
}

function unsortedSegmentSum({ inputs, backend, attrs }: Args): TensorInfo {
  const { x, segmentIds } = inputs;
  const { numSegments } = attrs;
  const idRank = segmentIds.shape.length;
  for (let d = 0; d < idRank; d++) {
    if (segmentIds.shape[d] !== x.shape[d]) {
      throw new Error(
        `UnsortedSegmentSum: segmentIds shape [${segmentIds.shape}] must be a prefix of x shape [${x.shape}]`,
      );
    }
  }
  const rowShape = x.shape.slice(idRank);
  const rowSize = rowShape.reduce((a, b) => a * b, 1);
  const outShape = [numSegments, ...rowShape];
  // Allocate first: on wasm, allocation may grow the heap and invalidate earlier views.
  return makeOutput(backend, outShape, x.dtype, (out) => {
    out.fill(0);
    scatterAdd(readValues(backend, x), readValues(backend, segmentIds), rowSize, out, numSegments);
  });
}

export function registerUnsortedSegmentSum(backendName: 'wasm' | 'cpu'): void {
  if (tf.getKernel('UnsortedSegmentSum', backendName)) tf.unregisterKernel('UnsortedSegmentSum', backendName);
  tf.registerKernel({
    kernelName: 'UnsortedSegmentSum',
    backendName,
    kernelFunc: unsortedSegmentSum as unknown as tf.KernelFunc,
  });
}
