/**
 * A partition assigns example indices to federated clients. Every partitioner here returns
 * each client's indices sorted ascending, uses every index at most once, and names clients
 * `client-000`, `client-001`, ... (zero-padded so ids sort in client order), except the
 * natural partition, whose ids are the grouping keys.
 */
import { ConfigError } from '../../errors.js';

export interface PartitionClient {
  id: string;
  indices: number[];
}

export interface Partition {
  clients: PartitionClient[];
  /** What the partitioner had to do beyond the plain recipe (retries, fix-ups, drops). */
  notes?: string[];
}

/** Label values a partitioner accepts: intent names or class indices. */
export type Label = string | number;

/** Ids `client-0..`, zero-padded to the width of the largest index. */
export function clientIds(count: number): string[] {
  const width = String(Math.max(0, count - 1)).length;
  return Array.from({ length: count }, (_, i) => `client-${String(i).padStart(width, '0')}`);
}

/** Throws `ConfigError` unless `n` is an integer ≥ 1. */
export function assertExampleCount(partitioner: string, n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new ConfigError(`${partitioner}: number of examples must be an integer ≥ 1, got ${n}`);
}

/** Throws `ConfigError` unless 1 ≤ numClients ≤ n (an integer). */
export function assertClientCount(partitioner: string, numClients: number, n: number): void {
  if (!Number.isInteger(numClients) || numClients < 1) {
    throw new ConfigError(`${partitioner}: numClients must be an integer ≥ 1, got ${numClients}`);
  }
  if (numClients > n) {
    throw new ConfigError(`${partitioner}: numClients = ${numClients} exceeds the ${n} examples (each client needs at least one)`);
  }
}

/** Throws `ConfigError` unless the concentration is finite and > 0. */
export function assertConcentration(partitioner: string, field: string, value: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new ConfigError(
      `${partitioner}: ${field} must be finite and > 0, got ${value} (small values such as 0.1 are very skewed, large ones such as 100 near-uniform)`,
    );
  }
}

/** Throws `ConfigError` unless `labels` is a non-empty array of strings or finite numbers. */
export function assertLabels(partitioner: string, labels: readonly Label[]): void {
  if (!Array.isArray(labels) || labels.length === 0) {
    throw new ConfigError(`${partitioner}: labels must be a non-empty array, got ${Array.isArray(labels) ? 'an empty array' : typeof labels}`);
  }
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i];
    if (!(typeof l === 'string' || (typeof l === 'number' && Number.isFinite(l)))) {
      throw new ConfigError(`${partitioner}: label at index ${i} is ${String(l)}; labels must be strings or finite numbers`);
    }
  }
}

/** Distinct labels in a fixed order (numbers ascending, then strings in code-unit order). */
export function distinctLabels(labels: readonly Label[]): Label[] {
  const distinct = [...new Set(labels)];
  return distinct.sort((a, b) => {
    if (typeof a !== typeof b) return typeof a === 'number' ? -1 : 1;
    if (typeof a === 'number') return a - (b as number);
    return a < b ? -1 : a > b ? 1 : 0;
  });
}

/**
 * Throws `ConfigError` unless every index is an integer in [0, n) used at most once and
 * client ids are unique. Returns how many indices the partition covers.
 */
export function assertValidPartition(partition: Partition, n: number): number {
  if (!partition || !Array.isArray(partition.clients)) throw new ConfigError('partition: expected { clients: [...] }');
  const used = new Uint8Array(n);
  const ids = new Set<string>();
  let covered = 0;
  for (const client of partition.clients) {
    if (ids.has(client.id)) throw new ConfigError(`partition: client id "${client.id}" appears twice`);
    ids.add(client.id);
    for (const i of client.indices) {
      if (!Number.isInteger(i) || i < 0 || i >= n) {
        throw new ConfigError(`partition: client "${client.id}" has index ${i}, outside [0, ${n})`);
      }
      if (used[i]) throw new ConfigError(`partition: index ${i} is assigned twice (second time to client "${client.id}")`);
      used[i] = 1;
      covered++;
    }
  }
  return covered;
}

/** Splits `items` into `count` consecutive runs whose lengths differ by at most one (longer runs first). */
export function splitEvenly<T>(items: readonly T[], count: number): T[][] {
  const base = Math.floor(items.length / count);
  const extra = items.length % count;
  const out: T[][] = [];
  let offset = 0;
  for (let i = 0; i < count; i++) {
    const size = base + (i < extra ? 1 : 0);
    out.push(items.slice(offset, offset + size));
    offset += size;
  }
  return out;
}

/**
 * Integer sizes summing to `total` in proportion to `proportions` (largest-remainder
 * rounding, ties to the lower index).
 */
export function largestRemainder(proportions: ArrayLike<number>, total: number): number[] {
  const k = proportions.length;
  let sum = 0;
  for (let i = 0; i < k; i++) sum += proportions[i];
  const sizes: number[] = [];
  const remainders: { i: number; r: number }[] = [];
  let assigned = 0;
  for (let i = 0; i < k; i++) {
    const exact = (proportions[i] / sum) * total;
    const floor = Math.floor(exact);
    sizes.push(floor);
    remainders.push({ i, r: exact - floor });
    assigned += floor;
  }
  remainders.sort((a, b) => b.r - a.r || a.i - b.i);
  for (let j = 0; j < total - assigned; j++) sizes[remainders[j % k].i]++;
  return sizes;
}
