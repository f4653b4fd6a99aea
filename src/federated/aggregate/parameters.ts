/**
 * Model parameters as the federated layer sees them: named flat Float32Arrays in a stable
 * order. Shapes stay with the model; here only names, order and lengths matter, and two
 * parameter sets are compatible when those agree tensor by tensor.
 */
import { NonFiniteError, ShapeMismatchError } from '../../errors.js';

export interface ParameterSet {
  names: string[];
  arrays: Float32Array[];
}

/** Total number of scalar parameters. */
export function parameterCount(params: ParameterSet): number {
  let total = 0;
  for (const a of params.arrays) total += a.length;
  return total;
}

/** Deep copy (new arrays, same names). */
export function cloneParameters(params: ParameterSet): ParameterSet {
  return { names: params.names.slice(), arrays: params.arrays.map((a) => a.slice()) };
}

/** Same names and lengths, all zeros. */
export function zerosLike(params: ParameterSet): ParameterSet {
  return { names: params.names.slice(), arrays: params.arrays.map((a) => new Float32Array(a.length)) };
}

/** Same names and lengths, every value `value`. */
export function filledLike(params: ParameterSet, value: number): ParameterSet {
  return { names: params.names.slice(), arrays: params.arrays.map((a) => new Float32Array(a.length).fill(value)) };
}

/** All tensors concatenated in order into one new Float32Array. */
export function flattenParameters(params: ParameterSet): Float32Array {
  const out = new Float32Array(parameterCount(params));
  let offset = 0;
  for (const a of params.arrays) {
    out.set(a, offset);
    offset += a.length;
  }
  return out;
}

/**
 * Inverse of `flattenParameters`: cuts `flat` into tensors with the names and lengths of
 * `layout` (values copied, so the result does not alias `flat`).
 */
export function unflattenParameters(flat: ArrayLike<number>, layout: ParameterSet): ParameterSet {
  const expected = parameterCount(layout);
  if (flat.length !== expected) {
    throw new ShapeMismatchError(
      `unflattenParameters: flat vector has ${flat.length} values but the layout (${layout.names.length} tensors) needs ${expected}`,
    );
  }
  const arrays: Float32Array[] = [];
  let offset = 0;
  for (const a of layout.arrays) {
    let part: Float32Array;
    if (flat instanceof Float32Array) part = flat.slice(offset, offset + a.length);
    else {
      part = new Float32Array(a.length);
      for (let j = 0; j < a.length; j++) part[j] = flat[offset + j];
    }
    arrays.push(part);
    offset += a.length;
  }
  return { names: layout.names.slice(), arrays };
}

/** Names and lengths only: what two parameter sets must share to be combined. */
export interface ParameterLayout {
  names: string[];
  lengths: number[];
}

/** Views of a flat vector as a ParameterSet with `layout` (no copy: the arrays alias `flat`). */
export function viewParameters(flat: Float32Array, layout: ParameterLayout): ParameterSet {
  const total = layout.lengths.reduce((a, b) => a + b, 0);
  if (flat.length !== total) {
    throw new ShapeMismatchError(`flat parameter vector has ${flat.length} values but the layout (${layout.names.length} tensors) needs ${total}`);
  }
  const arrays: Float32Array[] = [];
  let offset = 0;
  for (const length of layout.lengths) {
    arrays.push(flat.subarray(offset, offset + length));
    offset += length;
  }
  return { names: layout.names.slice(), arrays };
}

/** The layout of a parameter set (copies names and lengths, holds no array). */
export function layoutOf(params: ParameterSet): ParameterLayout {
  if (params.names.length !== params.arrays.length) {
    throw new ShapeMismatchError(`parameters: ${params.names.length} names but ${params.arrays.length} arrays`);
  }
  return { names: params.names.slice(), lengths: params.arrays.map((a) => a.length) };
}

/**
 * Throws `ShapeMismatchError` naming the first tensor whose name or length differs from
 * `layout` (or a differing tensor count). `what` names the candidate, e.g. "update 3".
 */
export function assertMatchesLayout(layout: ParameterLayout, candidate: ParameterSet, what = 'parameters'): void {
  if (candidate.names.length !== candidate.arrays.length) {
    throw new ShapeMismatchError(`${what}: ${candidate.names.length} names but ${candidate.arrays.length} arrays`);
  }
  const n = Math.min(layout.names.length, candidate.names.length);
  for (let i = 0; i < n; i++) {
    if (layout.names[i] !== candidate.names[i]) {
      throw new ShapeMismatchError(
        `${what}: tensor ${i} is named "${candidate.names[i]}" but the reference has "${layout.names[i]}" (tensors must come in the same order)`,
      );
    }
    if (layout.lengths[i] !== candidate.arrays[i].length) {
      throw new ShapeMismatchError(
        `${what}: tensor "${layout.names[i]}" has ${candidate.arrays[i].length} values, expected ${layout.lengths[i]}`,
      );
    }
  }
  if (layout.names.length !== candidate.names.length) {
    const extra =
      candidate.names.length > layout.names.length
        ? `extra tensor "${candidate.names[n]}"`
        : `missing tensor "${layout.names[n]}"`;
    throw new ShapeMismatchError(`${what}: has ${candidate.names.length} tensors, expected ${layout.names.length} (${extra})`);
  }
}

/**
 * Throws `ShapeMismatchError` naming the first tensor whose name or length differs between
 * `reference` and `candidate` (or a differing tensor count). `what` names the candidate in
 * the message, e.g. "update 3".
 */
export function assertSameLayout(reference: ParameterSet, candidate: ParameterSet, what = 'parameters'): void {
  assertMatchesLayout(layoutOf(reference), candidate, what);
}

/** Where the first NaN or ±Infinity sits, or undefined when every value is finite. */
export function firstNonFinite(params: ParameterSet): { tensor: string; index: number; value: number } | undefined {
  for (let t = 0; t < params.arrays.length; t++) {
    const a = params.arrays[t];
    for (let j = 0; j < a.length; j++) {
      const v = a[j];
      // v - v is 0 for finite v and NaN for NaN/±Infinity: one comparison per value.
      if (v - v !== 0) return { tensor: params.names[t], index: j, value: v };
    }
  }
  return undefined;
}

/** Throws `NonFiniteError` naming the tensor and flat index of the first NaN/±Infinity. */
export function assertFinite(params: ParameterSet, what = 'parameters'): void {
  const bad = firstNonFinite(params);
  if (bad) {
    throw new NonFiniteError(`${what}: tensor "${bad.tensor}" has ${bad.value} at index ${bad.index}`);
  }
}

/** target += scale · other, in place (axpy). Returns target. */
export function addInPlace(target: ParameterSet, other: ParameterSet, scale = 1): ParameterSet {
  assertSameLayout(target, other, 'addInPlace operand');
  for (let t = 0; t < target.arrays.length; t++) {
    const a = target.arrays[t];
    const b = other.arrays[t];
    for (let j = 0; j < a.length; j++) a[j] += scale * b[j];
  }
  return target;
}

/** target -= other, in place. Returns target. */
export function subInPlace(target: ParameterSet, other: ParameterSet): ParameterSet {
  assertSameLayout(target, other, 'subInPlace operand');
  for (let t = 0; t < target.arrays.length; t++) {
    const a = target.arrays[t];
    const b = other.arrays[t];
    for (let j = 0; j < a.length; j++) a[j] -= b[j];
  }
  return target;
}

/** target *= factor, in place. Returns target. */
export function scaleInPlace(target: ParameterSet, factor: number): ParameterSet {
  for (const a of target.arrays) {
    for (let j = 0; j < a.length; j++) a[j] *= factor;
  }
  return target;
}

/** a − b as a new parameter set (e.g. a client delta: local − global). */
export function subtractParameters(a: ParameterSet, b: ParameterSet): ParameterSet {
  return subInPlace(cloneParameters(a), b);
}

/** Euclidean norm over all tensors, accumulated in double precision. */
export function l2Norm(params: ParameterSet): number {
  let sum = 0;
  for (const a of params.arrays) {
    for (let j = 0; j < a.length; j++) sum += a[j] * a[j];
  }
  return Math.sqrt(sum);
}

/** Squared Euclidean distance ‖a − b‖², accumulated in double precision. */
export function squaredDistance(a: ParameterSet, b: ParameterSet): number {
  assertSameLayout(a, b, 'squaredDistance operand');
  let sum = 0;
  for (let t = 0; t < a.arrays.length; t++) {
    const x = a.arrays[t];
    const y = b.arrays[t];
    for (let j = 0; j < x.length; j++) {
      const d = x[j] - y[j];
      sum += d * d;
    }
  }
  return sum;
}
