/**
 * The server's default bound on one client's influence: each update of a round is clipped, when
 * the round is aggregated, to `multiple` × the median norm of that round's updates. Honest
 * updates of one round have norms of the same order, so they pass untouched (multiple 3), while
 * one client's update, however large, enters the aggregate with at most that norm. The lower
 * median (the ⌈n/2⌉-th smallest) is used, so that with two updates the larger cannot set the
 * bound. A round where attackers are the majority sets its own median: robust aggregators
 * (median, trimmed mean, Krum) are the defence there. Pure maths on plain arrays.
 */

/** The ⌈n/2⌉-th smallest value (n ≥ 1). */
export function lowerMedian(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('lowerMedian of no values');
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

export function l2NormOf(values: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i] * values[i];
  return Math.sqrt(sum);
}

export interface MedianClip {
  /** The deltas, those above the bound replaced by scaled copies (the inputs are never modified). */
  deltas: Float32Array[];
  /** multiple × lower median of the norms. */
  bound: number;
  /** How many deltas were scaled down. */
  clipped: number;
  norms: number[];
}

/** Clips every delta to `multiple` × the lower median of their norms. */
export function clipToMedianNorm(deltas: readonly Float32Array[], multiple: number): MedianClip {
  if (!(multiple > 0 && Number.isFinite(multiple))) throw new RangeError(`the norm-clip multiple must be a finite number > 0, got ${multiple}`);
  const norms = deltas.map(l2NormOf);
  const bound = multiple * lowerMedian(norms);
  let clipped = 0;
  const out = deltas.map((delta, i) => {
    if (!(norms[i] > bound)) return delta;
    clipped++;
    const scale = bound / norms[i];
    const copy = new Float32Array(delta.length);
    for (let j = 0; j < delta.length; j++) copy[j] = delta[j] * scale;
    return copy;
  });
  return { deltas: out, bound, clipped, norms };
}
