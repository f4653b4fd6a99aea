/**
 * Label-skewed partition (Hsu, Qi & Brown 2019; the recipe FedML and FedNLP (Lin et al.
 * 2022) use for text classification): for each label, draw client proportions
 * p ~ Dir(α·1_numClients) and cut that label's shuffled examples at ⌊cumsum(p)·count⌋.
 *
 * Size balancing (default on, as in the common implementation): before each label's split,
 * a client that already holds ≥ n/numClients examples gets proportion 0 and the others are
 * renormalised, so no client grows far beyond its fair share (it can still overshoot within
 * the label being split). That is drawn directly as Dir(α) over the clients below the cap,
 * which has the same distribution (Dirichlet subcomposition) and cannot divide 0 by 0.
 *
 * Minimum size: the whole draw is repeated (up to `maxAttempts`) until every client has at
 * least `minSize` examples, as the common implementation loops until min size ≥ 10. If no
 * attempt succeeds, the attempt with the largest minimum is kept and fixed up by moving
 * random examples from the currently largest client to each client below `minSize`; the
 * number of moves is recorded in `notes` (the moves slightly flatten the label skew).
 */
import { ConfigError } from '../../errors.js';
import type { SeededRandom } from '../../engine/random.js';
import { sampleSymmetricDirichlet } from './dirichlet.js';
import {
  assertClientCount,
  assertConcentration,
  assertLabels,
  clientIds,
  distinctLabels,
  type Label,
  type Partition,
} from './partition.js';

export interface DirichletLabelOptions {
  /** Smallest acceptable client size; default 1 (no empty clients). FedML uses 10. */
  minSize?: number;
  /** Stop assigning to clients that reached n/numClients; default true. */
  balanceSizes?: boolean;
  /** Full redraws before falling back to the fix-up; default 50. */
  maxAttempts?: number;
}

/** Groups example indices by label, labels in `distinctLabels` order. */
export function indicesByLabel(labels: readonly Label[]): number[][] {
  const order = distinctLabels(labels);
  const slot = new Map<Label, number>(order.map((l, i) => [l, i]));
  const groups: number[][] = order.map(() => []);
  labels.forEach((l, i) => groups[slot.get(l)!].push(i));
  return groups;
}

function drawOnce(groups: readonly number[][], n: number, numClients: number, alpha: number, balance: boolean, rng: SeededRandom): number[][] {
  const batches: number[][] = Array.from({ length: numClients }, () => []);
  const cap = n / numClients;
  for (const group of groups) {
    const idx = rng.shuffle(group.slice());
    let p: Float64Array;
    if (balance) {
      // Zeroing the proportions of clients at the cap and renormalising (the common
      // implementation) gives, by the subcomposition property of the Dirichlet, exactly a
      // Dir(α) draw over the clients below the cap; drawing that directly avoids 0/0 when
      // tiny α puts all the mass on capped clients.
      const open: number[] = [];
      for (let j = 0; j < numClients; j++) if (batches[j].length < cap) open.push(j);
      const q = sampleSymmetricDirichlet(alpha, open.length, rng);
      p = new Float64Array(numClients);
      open.forEach((j, r) => (p[j] = q[r]));
    } else p = sampleSymmetricDirichlet(alpha, numClients, rng);
    let start = 0;
    let cumulative = 0;
    for (let j = 0; j < numClients; j++) {
      cumulative += p[j];
      const end = j === numClients - 1 ? idx.length : Math.min(idx.length, Math.floor(cumulative * idx.length));
      for (let r = start; r < end; r++) batches[j].push(idx[r]);
      start = Math.max(start, end);
    }
  }
  return batches;
}

export function dirichletLabelPartition(
  labels: readonly Label[],
  numClients: number,
  alpha: number,
  rng: SeededRandom,
  options: DirichletLabelOptions = {},
): Partition {
  const name = 'dirichletLabelPartition';
  assertLabels(name, labels);
  const n = labels.length;
  assertClientCount(name, numClients, n);
  assertConcentration(name, 'alpha', alpha);
  const minSize = options.minSize ?? 1;
  const balance = options.balanceSizes ?? true;
  const maxAttempts = options.maxAttempts ?? 50;
  if (!Number.isInteger(minSize) || minSize < 0) throw new ConfigError(`${name}: minSize must be an integer ≥ 0, got ${minSize}`);
  if (minSize * numClients > n) {
    throw new ConfigError(`${name}: minSize ${minSize} × ${numClients} clients needs ${minSize * numClients} examples, only ${n} given`);
  }
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) {
    throw new ConfigError(`${name}: maxAttempts must be an integer ≥ 1, got ${maxAttempts}`);
  }
  const groups = indicesByLabel(labels);
  let best: number[][] | undefined;
  let bestMin = -1;
  let attempts = 0;
  while (attempts < maxAttempts) {
    attempts++;
    const batches = drawOnce(groups, n, numClients, alpha, balance, rng);
    const smallest = Math.min(...batches.map((b) => b.length));
    if (smallest > bestMin) {
      best = batches;
      bestMin = smallest;
    }
    if (smallest >= minSize) break;
  }
  const batches = best!;
  const notes: string[] = [];
  if (attempts > 1) notes.push(`${attempts} Dirichlet draws to reach min size ${minSize}${bestMin >= minSize ? '' : ' (not reached)'}`);
  if (bestMin < minSize) {
    let moves = 0;
    for (let j = 0; j < numClients; j++) {
      while (batches[j].length < minSize) {
        let donor = 0;
        for (let d = 1; d < numClients; d++) if (batches[d].length > batches[donor].length) donor = d;
        const pick = rng.int(batches[donor].length);
        const moved = batches[donor][pick];
        batches[donor][pick] = batches[donor][batches[donor].length - 1];
        batches[donor].pop();
        batches[j].push(moved);
        moves++;
      }
    }
    notes.push(`fix-up moved ${moves} examples from the largest clients to clients below min size ${minSize}`);
  }
  const ids = clientIds(numClients);
  return {
    clients: batches.map((b, j) => ({ id: ids[j], indices: b.sort((a, c) => a - c) })),
    ...(notes.length ? { notes } : {}),
  };
}
