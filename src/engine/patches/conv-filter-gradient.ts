/**
 * tfjs 4.22 has no wasm kernel for Conv2DBackpropFilter, so the filter gradient of
 * conv1d/conv2d fails on wasm. This kernel unfolds the input (im2col, transposed) and
 * takes one matmul through the (patched, XNNPACK) BatchMatMul kernel:
 *   dW[kh·kw·c, o] = Σ_{b,oh,ow} x[b, oh·s+kh−pt, ow·s+kw−pl, c] · dy[b, oh, ow, o].
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelBackend, TensorInfo, NamedAttrMap } from '@tensorflow/tfjs';
import { allocateWasm, disposeWasm, heapView } from '../kernel-io.js';

type KernelArgs = { inputs: Record<string, TensorInfo>; backend: KernelBackend; attrs: NamedAttrMap };

/**
 * Writes the transposed im2col matrix of an NHWC input: rows are (kh, kw, c), columns
 * are (b, oh, ow); positions in the padding read as zero.
 */
export function unfoldTransposed(
  x: Float32Array,
  [batch, inH, inW, inC]: number[],
  [kH, kW]: number[],
  [strideH, strideW]: number[],
  [outH, outW]: number[],
  [padTop, padLeft]: number[],
  out: Float32Array,
): void {
  const cols = batch * outH * outW;
  for (let kh = 0; kh < kH; kh++) {
    for (let kw = 0; kw < kW; kw++) {
      for (let c = 0; c < inC; c++) {
        const row = ((kh * kW + kw) * inC + c) * cols;
        let col = 0;
        for (let b = 0; b < batch; b++) {
          for (let oh = 0; oh < outH; oh++) {
            const ih = oh * strideH + kh - padTop;
            for (let ow = 0; ow < outW; ow++, col++) {
              const iw = ow * strideW + kw - padLeft;
              out[row + col] =
                ih < 0 || ih >= inH || iw < 0 || iw >= inW ? 0 : x[((b * inH + ih) * inW + iw) * inC + c];
            }
          }
        }
      }
    }
  }
}

function conv2dBackpropFilter({ inputs, backend, attrs }: KernelArgs): TensorInfo {
  const { x, dy } = inputs;
  const filterShape = attrs.filterShape as [number, number, number, number];
  if (attrs.dataFormat && attrs.dataFormat !== 'NHWC') {
    throw new Error(`Conv2DBackpropFilter on wasm supports NHWC only, got ${attrs.dataFormat}`);
  }
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape,
    attrs.strides as [number, number] | number,
    1,
    attrs.pad as 'valid' | 'same' | number,
    attrs.dimRoundingMode as 'floor' | 'round' | 'ceil' | undefined,
    false,
    'channelsLast',
  );
  const [kH, kW, inC, outC] = filterShape;
  const cols = info.batchSize * info.outHeight * info.outWidth;
  const unfolded = allocateWasm(backend, [kH * kW * inC, cols], 'float32');
  unfoldTransposed(
    heapView(backend, x) as Float32Array,
    x.shape,
    [kH, kW],
    [info.strideHeight, info.strideWidth],
    [info.outHeight, info.outWidth],
    [info.padInfo.top, info.padInfo.left],
    heapView(backend, unfolded) as Float32Array,
  );
  const matMul = tf.getKernel('BatchMatMul', 'wasm')!.kernelFunc as unknown as (a: KernelArgs) => TensorInfo;
  const dy2d: TensorInfo = { dataId: dy.dataId, dtype: dy.dtype, shape: [cols, outC] };
  const product = matMul({
    inputs: { a: unfolded, b: dy2d },
    backend,
    attrs: { transposeA: false, transposeB: false },
  });
  disposeWasm(backend, unfolded);
  return { dataId: product.dataId, dtype: 'float32', shape: [kH, kW, inC, outC] };
}

export function registerConvFilterGradient(): void {
  if (tf.getKernel('Conv2DBackpropFilter', 'wasm')) return;
  tf.registerKernel({
    kernelName: 'Conv2DBackpropFilter',
    backendName: 'wasm',
    kernelFunc: conv2dBackpropFilter as unknown as tf.KernelFunc,
  });
}
