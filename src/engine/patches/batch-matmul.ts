/**
 * wasm BatchMatMul reaches XNNPACK only for one untransposed rank-2 product; every
 * backward matmul (xᵀg, gWᵀ) and every batched product falls to a naive loop that is
 * 10–25x slower. This wrapper rewrites each call into the fast path:
 *  - a transposed operand is transposed explicitly (O(n²), cheap next to O(n³)); a single
 *    product may instead be computed as (op(B)ᵀ·op(A)ᵀ)ᵀ when that moves fewer elements:
 *    the weight gradient xᵀg of a Dense over [B·T, in] then transposes g [B·T, out] and the
 *    small result rather than the large activation x;
 *  - a batch times a shared right matrix becomes one tall product [B·M, K]·[K, N];
 *  - other batches run as one fast product per batch element, when each product is big
 *    enough for XNNPACK's setup cost to pay; small ones keep the original kernel.
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelBackend, TensorInfo, NamedAttrMap } from '@tensorflow/tfjs';
import { allocateWasm, disposeWasm } from '../kernel-io.js';

type KernelArgs = { inputs: Record<string, TensorInfo>; backend: KernelBackend; attrs: NamedAttrMap };
type Kernel = (args: KernelArgs) => TensorInfo;

/** Multiply-adds per batch element below which the original (naive) kernel is used. */
export const SMALL_PRODUCT_MACS = 24_000;

function broadcastShape(x: number[], y: number[]): number[] {
  const rank = Math.max(x.length, y.length);
  const px = [...Array(rank - x.length).fill(1), ...x];
  const py = [...Array(rank - y.length).fill(1), ...y];
  return px.map((d, i) => Math.max(d, py[i]));
}

/** The parts of tfjs's wasm backend that products on views of the heap need. */
interface WasmBackendViews {
  wasm: {
    cwrap(name: string, returns: null, args: string[]): (...args: unknown[]) => void;
    tfjs: { registerTensor(id: number, size: number, memoryOffset: number): void; disposeData(id: number): void };
  };
  dataIdMap: { get(dataId: object): { memoryOffset: number } };
  dataIdNextNumber: number;
}

/** The backend's exported BatchMatMul, per backend instance (a re-created backend has a new module). */
const wasmMatMuls = new WeakMap<object, (...args: unknown[]) => void>();

/**
 * out[i] = a[i]·b[i] for each batch element (a shared when `sharedA`), every operand and
 * result a view into the batched tensors' heap memory: per element, three tensor ids are
 * registered on slices of a, b and out (no allocation, no copy), the backend's own
 * BatchMatMul runs XNNPACK on them, and the ids are released. XNNPACK caches its operator
 * (packed weights) under b's id; releasing that id deletes the operator, so a later view
 * that reuses the memory never meets stale weights. Before, each element allocated and
 * copied two inputs and one output; the operator creation and weight packing per element remain.
 */
function productsInPlace(backend: KernelBackend, a: TensorInfo, b: TensorInfo, out: TensorInfo, sharedA: boolean, batch: number, M: number, K: number, N: number): void {
  const w = backend as unknown as WasmBackendViews;
  let wasmMatMul = wasmMatMuls.get(w.wasm);
  if (!wasmMatMul) {
    wasmMatMul = w.wasm.cwrap('BatchMatMul', null, ['number', 'array', 'number', 'number', 'array', 'number', 'number', 'number', 'number']);
    wasmMatMuls.set(w.wasm, wasmMatMul);
  }
  const aBase = w.dataIdMap.get(a.dataId).memoryOffset;
  const bBase = w.dataIdMap.get(b.dataId).memoryOffset;
  const outBase = w.dataIdMap.get(out.dataId).memoryOffset;
  const aShape = new Uint8Array(new Int32Array([1, M, K]).buffer);
  const bShape = new Uint8Array(new Int32Array([1, K, N]).buffer);
  const { registerTensor, disposeData } = w.wasm.tfjs;
  for (let i = 0; i < batch; i++) {
    const aId = w.dataIdNextNumber++;
    const bId = w.dataIdNextNumber++;
    const outId = w.dataIdNextNumber++;
    registerTensor(aId, M * K, aBase + (sharedA ? 0 : i * M * K * 4));
    registerTensor(bId, K * N, bBase + i * K * N * 4);
    registerTensor(outId, M * N, outBase + i * M * N * 4);
    wasmMatMul(aId, aShape, 3, bId, bShape, 3, false, false, outId);
    disposeData(aId);
    disposeData(bId);
    disposeData(outId);
  }
}

export function registerFastBatchMatMul(): void {
  const original = tf.getKernel('BatchMatMul', 'wasm');
  const transposeKernel = tf.getKernel('Transpose', 'wasm');
  if (!original || !transposeKernel) throw new Error('wasm backend kernels are not registered');
  if ((original as { patched?: boolean }).patched) return;
  const naive = original.kernelFunc as unknown as Kernel;
  const transpose = transposeKernel.kernelFunc as unknown as Kernel;

  const fast = ({ inputs, backend, attrs }: KernelArgs, mayFlip = true): TensorInfo => {
    const { a, b } = inputs as { a: TensorInfo; b: TensorInfo };
    const transposeA = Boolean(attrs.transposeA);
    const transposeB = Boolean(attrs.transposeB);
    if (a.dtype !== 'float32' || b.dtype !== 'float32') return naive({ inputs, backend, attrs });
    const aRank = a.shape.length;
    const bRank = b.shape.length;
    const batchA = a.shape.slice(0, -2).reduce((x, y) => x * y, 1);
    const batchB = b.shape.slice(0, -2).reduce((x, y) => x * y, 1);
    const M = transposeA ? a.shape[aRank - 1] : a.shape[aRank - 2];
    const K = transposeA ? a.shape[aRank - 2] : a.shape[aRank - 1];
    const Kb = transposeB ? b.shape[bRank - 1] : b.shape[bRank - 2];
    const N = transposeB ? b.shape[bRank - 2] : b.shape[bRank - 1];
    const batch = Math.max(batchA, batchB);
    const sameBatch = batchA === batchB || batchA === 1 || batchB === 1;
    if (K !== Kb || !sameBatch) return naive({ inputs, backend, attrs }); // let it raise its error
    if (batch > 1 && batchB !== 1 && M * K * N < SMALL_PRODUCT_MACS) return naive({ inputs, backend, attrs });

    const outBatchShape = broadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
    if (mayFlip && batch === 1) {
      // elements transposed: directly op(A)·op(B), or flipped (op(B)ᵀ·op(A)ᵀ)ᵀ
      const direct = (transposeA ? M * K : 0) + (transposeB ? K * N : 0);
      const flipped = (transposeB ? 0 : K * N) + (transposeA ? 0 : M * K) + M * N;
      if (flipped < direct) {
        const a2: TensorInfo = { dataId: a.dataId, dtype: 'float32', shape: a.shape.slice(-2) };
        const b2: TensorInfo = { dataId: b.dataId, dtype: 'float32', shape: b.shape.slice(-2) };
        const attrs2 = { transposeA: !transposeB, transposeB: !transposeA };
        const nm = fast({ inputs: { a: b2, b: a2 }, backend, attrs: attrs2 }, false);
        const out = transpose({ inputs: { x: nm }, backend, attrs: { perm: [1, 0] } });
        disposeWasm(backend, nm);
        return { dataId: out.dataId, dtype: 'float32', shape: [...outBatchShape, M, N] };
      }
    }
    const temps: TensorInfo[] = [];
    const as3d = (x: TensorInfo, bt: number, transposed: boolean, rows: number, cols: number): TensorInfo => {
      const view: TensorInfo = { dataId: x.dataId, dtype: x.dtype, shape: transposed ? [bt, cols, rows] : [bt, rows, cols] };
      if (!transposed) return view;
      const t = transpose({ inputs: { x: view }, backend, attrs: { perm: [0, 2, 1] } });
      temps.push(t);
      return t;
    };
    const a3 = as3d(a, batchA, transposeA, M, K);
    const b3 = as3d(b, batchB, transposeB, K, N);
    const noTranspose = { transposeA: false, transposeB: false };

    let out: TensorInfo;
    if (batchB === 1) {
      // [B, M, K]·[K, N] is one tall product [B·M, K]·[K, N].
      const a2: TensorInfo = { dataId: a3.dataId, dtype: 'float32', shape: [batchA * M, K] };
      const b2: TensorInfo = { dataId: b3.dataId, dtype: 'float32', shape: [K, N] };
      out = naive({ inputs: { a: a2, b: b2 }, backend, attrs: noTranspose });
    } else {
      out = allocateWasm(backend, [batch, M, N], 'float32');
      productsInPlace(backend, a3, b3, out, batchA === 1, batch, M, K, N);
    }
    for (const t of temps) disposeWasm(backend, t);
    return { dataId: out.dataId, dtype: 'float32', shape: [...outBatchShape, M, N] };
  };

  tf.unregisterKernel('BatchMatMul', 'wasm');
  tf.registerKernel({
    kernelName: 'BatchMatMul',
    backendName: 'wasm',
    setupFunc: original.setupFunc,
    kernelFunc: ((args: KernelArgs) => fast(args)) as unknown as tf.KernelFunc,
    patched: true,
  } as tf.KernelConfig);
}
