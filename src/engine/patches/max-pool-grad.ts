/**
 * MaxPoolGrad, the backward pass of max pooling (tf.layers.maxPooling1d/2d, tf.maxPool):
 * tfjs 4.22's wasm kernel returns wrong gradients (measured: up to 0.9 off against the cpu
 * kernel for a [2, 6, 3] MaxPooling1D). The built-in models pool with tf.max over an axis,
 * but a user's own tf.LayersModel may use the pooling layers, so this replaces the wasm
 * kernel with the cpu kernel's rule: each output's gradient goes to the first strict
 * maximum of its window (windows clipped to the input under 'same' padding).
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelBackend, TensorInfo } from '@tensorflow/tfjs';
import { makeOutput, readValues } from '../kernel-io.js';

interface Args {
  inputs: { dy: TensorInfo; input: TensorInfo; output: TensorInfo };
  backend: KernelBackend;
  attrs: { filterSize: number | [number, number]; strides: number | [number, number]; pad: 'valid' | 'same' | number; dimRoundingMode?: 'floor' | 'round' | 'ceil' };
}

/** dx for NHWC x (values), dy of the pooled shape, with the window geometry of computePool2DInfo. */
export function maxPoolBackward(
  x: ArrayLike<number>,
  dy: ArrayLike<number>,
  dx: { [i: number]: number },
  info: { batchSize: number; inHeight: number; inWidth: number; inChannels: number; outHeight: number; outWidth: number; strideHeight: number; strideWidth: number; filterHeight: number; filterWidth: number; padTop: number; padLeft: number },
): void {
  const { batchSize, inHeight, inWidth, inChannels: C, outHeight, outWidth } = info;
  for (let b = 0; b < batchSize; b++) {
    for (let yR = 0; yR < outHeight; yR++) {
      const r0 = yR * info.strideHeight - info.padTop;
      const rMin = Math.max(0, r0);
      const rMax = Math.min(inHeight, r0 + info.filterHeight);
      for (let yC = 0; yC < outWidth; yC++) {
        const c0 = yC * info.strideWidth - info.padLeft;
        const cMin = Math.max(0, c0);
        const cMax = Math.min(inWidth, c0 + info.filterWidth);
        for (let d = 0; d < C; d++) {
          let best = -1;
          let bestValue = Number.NEGATIVE_INFINITY;
          for (let r = rMin; r < rMax; r++) {
            for (let c = cMin; c < cMax; c++) {
              const k = ((b * inHeight + r) * inWidth + c) * C + d;
              if (x[k] > bestValue) {
                bestValue = x[k];
                best = k;
              }
            }
          }
          if (best >= 0) dx[best] += dy[((b * outHeight + yR) * outWidth + yC) * C + d];
        }
      }
    }
  }
}

function maxPoolGrad({ inputs, backend, attrs }: Args): TensorInfo {
  const { dy, input } = inputs;
  const info = tf.backend_util.computePool2DInfo(input.shape as [number, number, number, number], attrs.filterSize, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode);
  return makeOutput(backend, input.shape, 'float32', (out) => {
    out.fill(0);
    maxPoolBackward(readValues(backend, input), readValues(backend, dy), out, {
      batchSize: info.batchSize,
      inHeight: info.inHeight,
      inWidth: info.inWidth,
      inChannels: info.inChannels,
      outHeight: info.outHeight,
      outWidth: info.outWidth,
      strideHeight: info.strideHeight,
      strideWidth: info.strideWidth,
      filterHeight: info.effectiveFilterHeight,
      filterWidth: info.effectiveFilterWidth,
      padTop: info.padInfo.top,
      padLeft: info.padInfo.left,
    });
  });
}

export function registerMaxPoolGradient(): void {
  const existing = tf.getKernel('MaxPoolGrad', 'wasm') as (tf.KernelConfig & { patched?: boolean }) | undefined;
  if (existing?.patched) return;
  if (existing) tf.unregisterKernel('MaxPoolGrad', 'wasm');
  tf.registerKernel({ kernelName: 'MaxPoolGrad', backendName: 'wasm', kernelFunc: maxPoolGrad as unknown as tf.KernelFunc, patched: true } as tf.KernelConfig);
}
