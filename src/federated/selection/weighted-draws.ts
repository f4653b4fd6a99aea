/**
 * Weighted draws of client indices, the two primitives the samplers share.
 */
import type { SeededRandom } from '../../engine/random.js';

/**
 * Draws `count` indices with replacement from the categorical distribution ∝ `mass`
 * (inverse CDF by binary search on the cumulative sums).
 */
export function drawWithReplacement(mass: readonly number[], count: number, rng: SeededRandom): number[] {
  const cumulative = new Float64Array(mass.length);
  let total = 0;
  for (let i = 0; i < mass.length; i++) {
    total += mass[i];
    cumulative[i] = total;
  }
  const out: number[] = [];
  for (let draw = 0; draw < count; draw++) {
    const u = rng.next() * total;
    let lo = 0;
    let hi = mass.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cumulative[mid] > u) hi = mid;
      else lo = mid + 1;
    }
    out.push(lo);
  }
  return out;
}

/**
 * Draws `count` distinct indices, successively ∝ `mass` among those not yet drawn (what
 * numpy's `choice(replace=False, p=...)` does), via Efraimidis–Spirakis keys log(u)/massᵢ:
 * the `count` largest keys, in decreasing key order, are a successive draw.
 */
export function drawWithoutReplacement(mass: readonly number[], count: number, rng: SeededRandom): number[] {
  const keys = mass.map((m, i) => ({ i, key: Math.log(rng.next() || Number.MIN_VALUE) / m }));
  keys.sort((a, b) => b.key - a.key || a.i - b.i);
  return keys.slice(0, count).map((k) => k.i);
}
