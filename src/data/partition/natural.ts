/**
 * Natural partition: one client per distinct grouping key (speaker, CLINC150 domain,
 * HWU64/SLURP scenario), the non-IID split that exists in the data itself. Groups smaller
 * than `minExamples` are dropped (their examples belong to no client) and counted.
 */
import { ConfigError } from '../../errors.js';
import type { Partition } from './partition.js';

export interface NaturalPartitionOptions {
  /** Drop groups with fewer examples than this; default 1 (keep all). */
  minExamples?: number;
}

export interface NaturalPartition extends Partition {
  droppedClients: number;
  droppedExamples: number;
  /** Keys of the dropped groups, sorted. */
  droppedKeys: string[];
}

export function naturalPartition(keys: readonly string[], options: NaturalPartitionOptions = {}): NaturalPartition {
  if (!Array.isArray(keys) || keys.length === 0) throw new ConfigError('naturalPartition: keys must be a non-empty array of strings');
  const minExamples = options.minExamples ?? 1;
  if (!Number.isInteger(minExamples) || minExamples < 1) {
    throw new ConfigError(`naturalPartition: minExamples must be an integer ≥ 1, got ${minExamples}`);
  }
  const groups = new Map<string, number[]>();
  keys.forEach((key, i) => {
    if (typeof key !== 'string') {
      throw new ConfigError(`naturalPartition: key at index ${i} is ${String(key)}; every example needs a string key (missing speaker/domain field?)`);
    }
    let g = groups.get(key);
    if (!g) groups.set(key, (g = []));
    g.push(i);
  });
  const sorted = [...groups.keys()].sort();
  const clients = [];
  const droppedKeys: string[] = [];
  let droppedExamples = 0;
  for (const key of sorted) {
    const indices = groups.get(key)!;
    if (indices.length < minExamples) {
      droppedKeys.push(key);
      droppedExamples += indices.length;
    } else clients.push({ id: key, indices });
  }
  if (clients.length === 0) {
    throw new ConfigError(`naturalPartition: every one of the ${sorted.length} groups has fewer than minExamples = ${minExamples} examples`);
  }
  const notes = droppedKeys.length
    ? [`dropped ${droppedKeys.length} groups with fewer than ${minExamples} examples (${droppedExamples} examples)`]
    : undefined;
  return { clients, ...(notes ? { notes } : {}), droppedClients: droppedKeys.length, droppedExamples, droppedKeys };
}
