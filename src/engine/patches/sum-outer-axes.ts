/**
 * wasm's Sum reduces only over the innermost axes; any other axis is first moved there
 * by its internal (slow, element-by-element) transpose: 61 ms to sum a [16384, 256]
 * activation over axis 0, against 2 ms over axis 1. That is the backward of every bias
 * added over a batch (and of every broadcast add), so each Dense-over-sequence layer paid
 * it. When the reduced axes form one block with kept axes after it, this kernel
 * accumulates whole rows instead ([outer, reduced, inner] → [outer, inner]); other cases
 * keep the original kernel.
 */
import * as tf from '@tensorflow/tfjs';
import { allocateWasm, heapView, replaceWasmKernel, type Kernel } from '../kernel-io.js';

/**
 * Views `shape` with reduced `axes` as [outer, reduced, inner] when the reduced axes are
 * one contiguous block (unit axes ignored); undefined otherwise.
 */
export function outerInnerView(shape: number[], axes: number[]): { outer: number; reduced: number; inner: number } | undefined {
  const reducedSet = new Set(axes);
  let outer = 1;
  let reduced = 1;
  let inner = 1;
  let phase = 0; // 0: before the reduced block, 1: inside it, 2: after it
  for (let d = 0; d < shape.length; d++) {
    if (shape[d] === 1) continue;
    const isReduced = reducedSet.has(d);
    if (phase === 0 && isReduced) phase = 1;
    else if (phase === 1 && !isReduced) phase = 2;
    else if (phase === 2 && isReduced) return undefined;
    if (phase === 0) outer *= shape[d];
    else if (phase === 1) reduced *= shape[d];
    else inner *= shape[d];
  }
  return { outer, reduced, inner };
}

/** out[o, i] = Σ_r x[o, r, i], accumulated in float64 one row at a time. */
export function sumOverMiddle(x: ArrayLike<number>, outer: number, reduced: number, inner: number, out: { [i: number]: number }): void {
  const acc = new Float64Array(inner);
  for (let o = 0; o < outer; o++) {
    acc.fill(0);
    let p = o * reduced * inner;
    for (let r = 0; r < reduced; r++) {
      for (let i = 0; i < inner; i++, p++) acc[i] += x[p];
    }
    const base = o * inner;
    for (let i = 0; i < inner; i++) out[base + i] = acc[i];
  }
}

const sumKernel = (original: Kernel): Kernel => (args) => {
  const { x } = args.inputs;
  if (x.dtype !== 'float32' || x.shape.length === 0) return original(args);
  const axes = tf.util.parseAxisParam(args.attrs.axis as number | number[], x.shape);
  const view = outerInnerView(x.shape, axes);
  // inner === 1: the reduction is already innermost, where the original kernel is fast
  if (!view || view.inner === 1 || view.reduced === 1) return original(args);
  const keepDims = Boolean(args.attrs.keepDims);
  const outShape = keepDims ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d)) : x.shape.filter((_, i) => !axes.includes(i));
  const out = allocateWasm(args.backend, outShape, 'float32');
  sumOverMiddle(heapView(args.backend, x), view.outer, view.reduced, view.inner, heapView(args.backend, out));
  return out;
};

export function registerFastOuterSum(): void {
  replaceWasmKernel('Sum', sumKernel);
}
