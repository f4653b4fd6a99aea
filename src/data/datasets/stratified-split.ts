/**
 * Deterministic stratified hold-out, used where a source has no validation split (val carved
 * from train) or no train split at all (SLURP: train/val carved from devel). Each label keeps
 * the same share in both parts, up to rounding.
 */
import { SeededRandom } from '../../engine/random.js';

export interface StratifiedSplit<T> {
  /** The examples not held out, in their original order. */
  kept: T[];
  /** The held-out examples, in their original order. */
  heldOut: T[];
}

/**
 * Holds out round(fraction · n_label) examples of every label, chosen by a shuffle seeded by
 * (seed, purpose, label): the same inputs always give the same split, and one label's choice
 * does not depend on the others. A label with fewer than 1/(2·fraction) examples keeps them all.
 */
export function stratifiedHoldOut<T extends { label: string }>(
  items: readonly T[],
  fraction: number,
  seed: number,
  purpose: string,
): StratifiedSplit<T> {
  if (!(fraction >= 0 && fraction <= 1)) throw new RangeError(`fraction must be in [0, 1], got ${fraction}`);
  const byLabel = new Map<string, number[]>();
  items.forEach((item, index) => {
    const list = byLabel.get(item.label);
    if (list) list.push(index);
    else byLabel.set(item.label, [index]);
  });
  const held = new Uint8Array(items.length);
  const root = new SeededRandom(seed);
  for (const label of [...byLabel.keys()].sort()) {
    const indices = byLabel.get(label)!;
    const count = Math.round(indices.length * fraction);
    if (count === 0) continue;
    const order = root.fork(`${purpose}:${label}`).permutation(indices.length);
    for (let k = 0; k < count; k++) held[indices[order[k]]] = 1;
  }
  const kept: T[] = [];
  const heldOut: T[] = [];
  items.forEach((item, index) => (held[index] ? heldOut : kept).push(item));
  return { kept, heldOut };
}

/** Contiguous split of an ordered sequence into the first 90%, the next 5% and the last 5%. */
export function contiguousSplit<T>(items: readonly T[], trainShare = 0.9, valShare = 0.05): { train: T[]; val: T[]; test: T[] } {
  const trainEnd = Math.floor(items.length * trainShare);
  const valEnd = Math.floor(items.length * (trainShare + valShare));
  return { train: items.slice(0, trainEnd), val: items.slice(trainEnd, valEnd), test: items.slice(valEnd) };
}

/** Sorted distinct labels over all given example lists. */
export function sortedLabels(...lists: readonly (readonly { label: string }[])[]): string[] {
  const set = new Set<string>();
  for (const list of lists) for (const item of list) set.add(item.label);
  return [...set].sort();
}
