/**
 * Argument checks shared by the metric functions, so every metric rejects bad input with the
 * same clear message instead of returning a silently wrong number.
 */
import { ConfigError, NonFiniteError, ShapeMismatchError } from '../errors.js';

/** A class label: an intent name, a class index, or 0/1 for binary tasks. */
export type Label = string | number;

export function checkSameLength(what: string, a: ArrayLike<unknown>, aName: string, b: ArrayLike<unknown>, bName: string): void {
  if (a.length !== b.length) {
    throw new ShapeMismatchError(`${what}: ${aName} has ${a.length} entries but ${bName} has ${b.length}; they must be aligned one-to-one`);
  }
}

export function checkNonEmpty(what: string, a: ArrayLike<unknown>, name: string): void {
  if (a.length === 0) throw new ConfigError(`${what}: ${name} is empty; a metric needs at least one example`);
}

export function checkFinite(what: string, values: ArrayLike<number>, name: string): void {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) {
      throw new NonFiniteError(`${what}: ${name}[${i}] is ${values[i]}; every value must be a finite number`);
    }
  }
}

/** Orders labels: numbers ascending, then strings in code-unit order (stable across runs). */
export function compareLabels(a: Label, b: Label): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'number') return -1;
  if (typeof b === 'number') return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The distinct labels of one or more arrays, sorted with compareLabels. */
export function sortedLabels(...arrays: ArrayLike<Label>[]): Label[] {
  const seen = new Set<Label>();
  for (const array of arrays) for (let i = 0; i < array.length; i++) seen.add(array[i]);
  return [...seen].sort(compareLabels);
}

/**
 * Binary labels for score-based metrics: 1/true is the positive class, 0/false the negative.
 * Anything else is an error (the caller maps multi-class labels to 0/1 first).
 */
export function toBinary(what: string, labels: ArrayLike<number | boolean>): Uint8Array {
  const out = new Uint8Array(labels.length);
  for (let i = 0; i < labels.length; i++) {
    const v = labels[i];
    if (v === 1 || v === true) out[i] = 1;
    else if (v === 0 || v === false) out[i] = 0;
    else throw new ConfigError(`${what}: labels[${i}] is ${String(v)}; binary labels must be 0/1 or false/true (1 = positive)`);
  }
  return out;
}
