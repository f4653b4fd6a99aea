/**
 * wasm's Identity and its same-dtype Cast copy the tensor's values; the cpu backend shares
 * them (reference count + 1). The copy matters because the gradient tape saves every input a
 * backward needs through Identity (Engine.saveTensorsForBackwardMode): the char transformer
 * LM's training step made ~230 such copies at batch 256 (~60 MB, ~60 ms on an idle core).
 * tfjs tensors are immutable (a kernel always writes a fresh output, a variable's assign
 * swaps its data id), so sharing is what cpu does and is safe; the backend frees the data
 * when the last reference goes, exactly as for Reshape.
 */
import type { TensorInfo, KernelBackend } from '@tensorflow/tfjs';
import { replaceWasmKernel } from '../kernel-io.js';

function share(backend: KernelBackend, x: TensorInfo): TensorInfo {
  (backend as unknown as { incRef(dataId: object): void }).incRef(x.dataId);
  return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
}

export function registerSharedIdentity(): void {
  replaceWasmKernel('Identity', (original) => (args) => {
    const x = args.inputs.x;
    if (x.dtype === 'string') return original(args);
    return share(args.backend, x);
  });
  replaceWasmKernel('Cast', (original) => (args) => {
    const x = args.inputs.x;
    if (x.dtype !== args.attrs.dtype || x.dtype === 'string') return original(args);
    return share(args.backend, x);
  });
}
