/**
 * Nearest-neighbour mixing (NNM; Allouah, Farhadkhani, Guerraoui, Gupta, Pinot & Stephan
 * 2023, "Fixing by Mixing: A Recipe for Optimal Byzantine ML under Heterogeneity", AISTATS).
 *
 * A pre-aggregation step: with n updates of which at most f are Byzantine, each update uᵢ is
 * replaced by the mean of the n − f updates closest to it in Euclidean distance (uᵢ itself
 * included, at distance 0). Honest updates then all sit near the honest mean, so a
 * coordinate-wise rule applied afterwards (median, trimmed mean) no longer pays for the
 * spread of the honest values: the trimmed mean of raw updates, which drops honest values at
 * one end of each coordinate to match the attackers' at the other, loses much less after
 * mixing. Cost: the pairwise distances, O(n²·d), plus n means of n − f updates.
 *
 * Ties in distance go to the lower index, so the result does not depend on sort stability.
 */
import { ConfigError } from '../../errors.js';
import type { ParameterSet } from './parameters.js';
import { pairwiseSquaredDistances } from './krum.js';
import { assertUpdateList } from './update-list.js';
import { plainMean } from './weighted-mean.js';

/** Indices of the k updates nearest to update i (i first), ties to the lower index. */
export function nearestNeighbours(dist: Float64Array, n: number, i: number, k: number): number[] {
  const order = Array.from({ length: n }, (_, j) => j);
  order.sort((a, b) => (a === i ? -1 : b === i ? 1 : dist[i * n + a] - dist[i * n + b] || a - b));
  return order.slice(0, k);
}

/**
 * The mixed updates: update i becomes the plain mean of its n − f nearest updates (itself
 * included). f = 0 returns n copies of the mean of all updates. Requires 0 ≤ f < n.
 */
export function nearestNeighbourMixing(updates: readonly ParameterSet[], f: number): ParameterSet[] {
  assertUpdateList(updates, 'nearest-neighbour mixing');
  const n = updates.length;
  if (!Number.isInteger(f) || f < 0 || f >= n) {
    throw new ConfigError(`nearest-neighbour mixing: f (Byzantine updates tolerated) must be an integer in [0, ${n - 1}] for ${n} updates, got ${f}`);
  }
  const dist = pairwiseSquaredDistances(updates, 'nearest-neighbour mixing');
  return Array.from({ length: n }, (_, i) => plainMean(nearestNeighbours(dist, n, i, n - f).map((j) => updates[j])));
}
