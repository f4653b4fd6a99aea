/** IID partition: a random permutation cut into numClients runs whose sizes differ by at most one. */
import type { SeededRandom } from '../../engine/random.js';
import { assertClientCount, assertExampleCount, clientIds, splitEvenly, type Partition } from './partition.js';

export function iidPartition(n: number, numClients: number, rng: SeededRandom): Partition {
  assertExampleCount('iidPartition', n);
  assertClientCount('iidPartition', numClients, n);
  const ids = clientIds(numClients);
  const runs = splitEvenly(rng.permutation(n), numClients);
  return { clients: runs.map((indices, i) => ({ id: ids[i], indices: indices.sort((a, b) => a - b) })) };
}
