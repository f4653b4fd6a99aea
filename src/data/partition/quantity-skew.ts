/**
 * Quantity skew (Li et al. 2022, "Federated learning on non-IID data silos: an experimental
 * study", NIID-Bench): client sizes follow q ~ Dir(β), labels stay IID. Every client gets
 * one example first, and the remaining n − numClients are shared in proportion to q
 * (largest-remainder rounding, so sizes sum to n exactly); then a random permutation is cut
 * into runs of those sizes.
 */
import type { SeededRandom } from '../../engine/random.js';
import { sampleSymmetricDirichlet } from './dirichlet.js';
import {
  assertClientCount,
  assertConcentration,
  assertExampleCount,
  clientIds,
  largestRemainder,
  type Partition,
} from './partition.js';

export function quantitySkewPartition(n: number, numClients: number, beta: number, rng: SeededRandom): Partition {
  assertExampleCount('quantitySkewPartition', n);
  assertClientCount('quantitySkewPartition', numClients, n);
  assertConcentration('quantitySkewPartition', 'beta', beta);
  const q = sampleSymmetricDirichlet(beta, numClients, rng);
  const sizes = largestRemainder(q, n - numClients).map((s) => s + 1);
  const order = rng.permutation(n);
  const ids = clientIds(numClients);
  let offset = 0;
  return {
    clients: sizes.map((size, i) => {
      const indices = order.slice(offset, offset + size).sort((a, b) => a - b);
      offset += size;
      return { id: ids[i], indices };
    }),
  };
}
