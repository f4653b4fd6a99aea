/**
 * Reading and writing raw tensor storage from inside a kernel, for the two backends we
 * patch. wasm tensors live on the WebAssembly heap; a heap view is invalidated when the
 * heap grows, so callers take views only after every allocation of a step is done.
 */
import * as tf from '@tensorflow/tfjs';
import type { TensorInfo, DataType, KernelBackend, NamedAttrMap } from '@tensorflow/tfjs';

export type TypedValues = Float32Array | Int32Array | Uint8Array;

interface WasmBackendInternals {
  makeOutput(shape: number[], dtype: DataType): TensorInfo;
  typedArrayFromHeap(info: TensorInfo): TypedValues;
  disposeData(dataId: object): boolean;
}

interface CpuBackendInternals {
  readSync(dataId: object): unknown;
  makeTensorInfo(shape: number[], dtype: DataType, values?: TypedValues): TensorInfo;
}

export function isWasm(backend: KernelBackend): boolean {
  return typeof (backend as unknown as Partial<WasmBackendInternals>).typedArrayFromHeap === 'function';
}

/** A read-only view (wasm) or the backing array (cpu) of a tensor's values. */
export function readValues(backend: KernelBackend, info: TensorInfo): TypedValues {
  if (isWasm(backend)) return (backend as unknown as WasmBackendInternals).typedArrayFromHeap(info);
  return (backend as unknown as CpuBackendInternals).readSync(info.dataId) as TypedValues;
}

/**
 * Allocates an output tensor, lets `fill` write its values, and returns it.
 * On wasm, `fill` receives a heap view; it must not allocate tensors itself.
 */
export function makeOutput(
  backend: KernelBackend,
  shape: number[],
  dtype: DataType,
  fill: (out: TypedValues) => void,
): TensorInfo {
  if (isWasm(backend)) {
    const wasm = backend as unknown as WasmBackendInternals;
    const out = wasm.makeOutput(shape, dtype);
    fill(wasm.typedArrayFromHeap(out));
    return out;
  }
  const size = shape.reduce((a, b) => a * b, 1);
  const values = dtype === 'int32' ? new Int32Array(size) : new Float32Array(size);
  fill(values);
  return (backend as unknown as CpuBackendInternals).makeTensorInfo(shape, dtype, values);
}

/** wasm only: an uninitialised output tensor (fill it through `heapView` later). */
export function allocateWasm(backend: KernelBackend, shape: number[], dtype: DataType): TensorInfo {
  return (backend as unknown as WasmBackendInternals).makeOutput(shape, dtype);
}

export function heapView(backend: KernelBackend, info: TensorInfo): TypedValues {
  return (backend as unknown as WasmBackendInternals).typedArrayFromHeap(info);
}

export function disposeWasm(backend: KernelBackend, info: TensorInfo): void {
  (backend as unknown as WasmBackendInternals).disposeData(info.dataId);
}

export type KernelArgs = { inputs: Record<string, TensorInfo>; backend: KernelBackend; attrs: NamedAttrMap };
export type Kernel = (args: KernelArgs) => TensorInfo | TensorInfo[];

/**
 * Replaces a wasm kernel by `make(original)` (once: a replaced kernel is marked patched, so
 * re-running the engine setup is a no-op). The original keeps its setupFunc.
 */
export function replaceWasmKernel(name: string, make: (original: Kernel) => Kernel): void {
  const config = tf.getKernel(name, 'wasm');
  if (!config || (config as { patched?: boolean }).patched) return;
  tf.unregisterKernel(name, 'wasm');
  tf.registerKernel({
    kernelName: name,
    backendName: 'wasm',
    setupFunc: config.setupFunc,
    kernelFunc: make(config.kernelFunc as unknown as Kernel) as unknown as tf.KernelFunc,
    patched: true,
  } as tf.KernelConfig);
}
