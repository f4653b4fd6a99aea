/**
 * Named tensors laid end to end in one flat float32 array, so that a SharedArrayBuffer can
 * carry a whole model's parameters (or a gradient of them) between engines without a
 * message copy: the main thread and every worker see the same memory. Moving values between
 * that array and an engine's tensors is one memcpy per tensor: on wasm through a view of the
 * WebAssembly heap (a wasm `dataSync` copies the values out first, which costs ~80x more on
 * a 600k-parameter model), on the cpu backend through its value arrays.
 */
import * as tf from '@tensorflow/tfjs';
import { isWasm, readValues } from '../kernel-io.js';

/** A tensor with a name, as models hold their parameters. */
export interface NamedVariable {
  name: string;
  variable: tf.Variable;
}

/** Where each named tensor sits in the flat array. */
export interface FlatLayout {
  names: string[];
  shapes: number[][];
  offsets: number[];
  sizes: number[];
  /** Number of floats in all. */
  total: number;
}

export function flatLayout(params: readonly NamedVariable[]): FlatLayout {
  const layout: FlatLayout = { names: [], shapes: [], offsets: [], sizes: [], total: 0 };
  for (const p of params) {
    layout.names.push(p.name);
    layout.shapes.push([...p.variable.shape]);
    layout.offsets.push(layout.total);
    layout.sizes.push(p.variable.size);
    layout.total += p.variable.size;
  }
  return layout;
}

/** A float32 array over shared memory when the platform has it (Node, cross-origin-isolated pages). */
export function sharedFloats(length: number): Float32Array {
  const Shared = (globalThis as { SharedArrayBuffer?: SharedArrayBufferConstructor }).SharedArrayBuffer;
  return Shared ? new Float32Array(new Shared(length * 4)) : new Float32Array(length);
}

/** Each named tensor's part of `flat`, by name (views, not copies). */
export function flatViews(layout: FlatLayout, flat: Float32Array): Map<string, Float32Array> {
  return new Map(layout.names.map((name, k) => [name, flat.subarray(layout.offsets[k], layout.offsets[k] + layout.sizes[k])]));
}

function checkLayout(layout: FlatLayout, params: readonly NamedVariable[]): void {
  if (params.length !== layout.names.length || params.some((p, k) => p.name !== layout.names[k] || p.variable.size !== layout.sizes[k])) {
    throw new Error(`the parameters (${params.map((p) => p.name).join(', ')}) do not match the shared layout (${layout.names.join(', ')})`);
  }
}

/** Copies the tensors' values into `flat` (main thread → shared memory). */
export function copyVariablesInto(params: readonly NamedVariable[], layout: FlatLayout, flat: Float32Array): void {
  checkLayout(layout, params);
  const backend = tf.backend();
  params.forEach((p, k) => flat.set(readValues(backend, p.variable) as Float32Array, layout.offsets[k]));
}

/**
 * Writes `flat`'s values into the tensors (shared memory → this engine) as new tensors.
 * Not in place: the wasm backend's XNNPACK matrix products cache their packed copy of a
 * weight by tensor id, so a weight rewritten in place would be multiplied stale (measured:
 * gradients 20% off after one step); a new tensor gets a new id.
 */
export function assignVariablesFrom(params: readonly NamedVariable[], layout: FlatLayout, flat: Float32Array): void {
  checkLayout(layout, params);
  // wasm copies a new tensor's values onto its heap; cpu would keep the shared array itself.
  const copies = isWasm(tf.backend());
  params.forEach((p, k) => {
    const part = flat.subarray(layout.offsets[k], layout.offsets[k] + layout.sizes[k]);
    const values = tf.tensor(copies ? part : part.slice(), p.variable.shape, 'float32');
    p.variable.assign(values);
    values.dispose();
  });
}

/** out += the tensor's values (its storage read in place, no download copy). */
export function addTensorInto(t: tf.Tensor, out: Float32Array): void {
  if (t.size !== out.length) throw new Error(`cannot add a tensor of ${t.size} values into ${out.length}`);
  const values = readValues(tf.backend(), t) as Float32Array;
  for (let i = 0; i < out.length; i++) out[i] += values[i];
}

/** out = the tensor's values. */
export function copyTensorInto(t: tf.Tensor, out: Float32Array): void {
  if (t.size !== out.length) throw new Error(`cannot copy a tensor of ${t.size} values into ${out.length}`);
  out.set(readValues(tf.backend(), t) as Float32Array);
}
