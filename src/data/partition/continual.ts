/**
 * Continual (streaming) federated data: each client's examples arrive over T periods.
 *
 * `continualSplit(partition, T, order)` orders each client's indices — shuffled by a
 * SeededRandom (a fork per client id, so one client's order does not depend on the others),
 * or kept as given ('given': ascending index, i.e. dataset order, for data whose order is
 * chronological) — and cuts them into T consecutive runs: with m examples, period t
 * (0-based) holds positions ⌊t·m/T⌋ … ⌊(t+1)·m/T⌋ − 1. Run lengths differ by at most one;
 * a client with m < T examples has empty periods (it has nothing new then).
 *
 * `storedAt(split, clientId, t, {window})` is what the client holds at period t under a
 * storage cap of `window` periods: the data of periods max(0, t − window + 1) … t. The
 * default window = 1 keeps period t only (period t − 1 is deleted when t arrives);
 * window = Infinity keeps everything seen so far.
 */
import { ConfigError } from '../../errors.js';
import type { SeededRandom } from '../../engine/random.js';
import type { Partition } from './partition.js';

export interface ContinualClient {
  id: string;
  /** periods[t] = the indices arriving at period t. */
  periods: number[][];
}

export interface ContinualPartition {
  periods: number;
  clients: ContinualClient[];
}

export function continualSplit(partition: Partition, periods: number, order: SeededRandom | 'given'): ContinualPartition {
  if (!partition || !Array.isArray(partition.clients)) throw new ConfigError('continualSplit: expected a partition { clients: [...] }');
  if (!Number.isInteger(periods) || periods < 1) throw new ConfigError(`continualSplit: periods must be an integer ≥ 1, got ${periods}`);
  if (order !== 'given' && (typeof order !== 'object' || typeof order.fork !== 'function')) {
    throw new ConfigError(`continualSplit: order must be a SeededRandom or 'given', got ${String(order)}`);
  }
  return {
    periods,
    clients: partition.clients.map((client) => {
      const sequence =
        order === 'given' ? client.indices.slice().sort((a, b) => a - b) : order.fork(`continual:${client.id}`).shuffle(client.indices.slice());
      const m = sequence.length;
      const runs: number[][] = [];
      for (let t = 0; t < periods; t++) {
        runs.push(sequence.slice(Math.floor((t * m) / periods), Math.floor(((t + 1) * m) / periods)));
      }
      return { id: client.id, periods: runs };
    }),
  };
}

/**
 * Continual periods cut by time (a user's --time-column): the T periods are the T equal-count
 * quantile ranges of all training times, the same boundaries for every client, so what arrives
 * in period t is what was written in that time range (real drift when the data drifts).
 * Examples on a boundary belong to the later period; ties keep dataset order.
 */
export function continualSplitByTime(partition: Partition, periods: number, times: readonly number[]): ContinualPartition {
  if (!partition || !Array.isArray(partition.clients)) throw new ConfigError('continualSplitByTime: expected a partition { clients: [...] }');
  if (!Number.isInteger(periods) || periods < 1) throw new ConfigError(`continualSplitByTime: periods must be an integer ≥ 1, got ${periods}`);
  if (times.some((t) => !Number.isFinite(t))) throw new ConfigError('continualSplitByTime: every time must be a finite number');
  const sorted = [...times].sort((a, b) => a - b);
  // boundaries[t] = the first time of period t (t = 1..T-1)
  const boundaries = Array.from({ length: periods - 1 }, (_, k) => sorted[Math.floor(((k + 1) * sorted.length) / periods)]);
  const periodOf = (time: number): number => {
    let t = 0;
    while (t < boundaries.length && time >= boundaries[t]) t++;
    return t;
  };
  return {
    periods,
    clients: partition.clients.map((client) => {
      const runs: number[][] = Array.from({ length: periods }, () => []);
      const ordered = client.indices.slice().sort((a, b) => times[a] - times[b] || a - b);
      for (const index of ordered) runs[periodOf(times[index])].push(index);
      return { id: client.id, periods: runs };
    }),
  };
}

/**
 * Continual periods given per example (real drift by topic): example i arrives in period
 * periodOf[i] (an integer in [0, T)), on whichever client holds it; within a period a client's
 * examples keep ascending index order. The simulator's `drift:T` setting deals the dataset's
 * domains (CLINC150 domains, HWU64/SLURP scenarios) into T groups and passes each example's
 * group here, so new intents appear period by period.
 */
export function continualSplitByPeriod(partition: Partition, periods: number, periodOf: readonly number[]): ContinualPartition {
  if (!partition || !Array.isArray(partition.clients)) throw new ConfigError('continualSplitByPeriod: expected a partition { clients: [...] }');
  if (!Number.isInteger(periods) || periods < 1) throw new ConfigError(`continualSplitByPeriod: periods must be an integer ≥ 1, got ${periods}`);
  return {
    periods,
    clients: partition.clients.map((client) => {
      const runs: number[][] = Array.from({ length: periods }, () => []);
      for (const index of client.indices.slice().sort((a, b) => a - b)) {
        const t = periodOf[index];
        if (!Number.isInteger(t) || t < 0 || t >= periods) {
          throw new ConfigError(`continualSplitByPeriod: example ${index} has period ${t}; periods must be integers in [0, ${periods})`);
        }
        runs[t].push(index);
      }
      return { id: client.id, periods: runs };
    }),
  };
}

/**
 * Deals `domains` (one per example) into `periods` groups: the distinct domains in a seeded
 * order (`order`: a shuffle of the sorted names), domain k of D going to group ⌊k·T/D⌋; returns
 * each example's group. Requires D ≥ T, so that every period brings at least one new domain.
 */
export function domainPeriods(domains: readonly string[], periods: number, order: SeededRandom): { periodOf: number[]; groups: string[][] } {
  const distinct = [...new Set(domains)].sort();
  if (!Number.isInteger(periods) || periods < 1) throw new ConfigError(`domainPeriods: periods must be an integer ≥ 1, got ${periods}`);
  if (distinct.length < periods) {
    throw new ConfigError(`drift over ${periods} periods needs at least ${periods} domains; the data has ${distinct.length} (use fewer periods)`);
  }
  const shuffled = order.shuffle(distinct.slice());
  const groupOf = new Map(shuffled.map((d, k) => [d, Math.floor((k * periods) / shuffled.length)]));
  const groups: string[][] = Array.from({ length: periods }, () => []);
  for (const [d, g] of groupOf) groups[g].push(d);
  return { periodOf: domains.map((d) => groupOf.get(d)!), groups };
}

export interface StorageOptions {
  /** Periods kept, including the current one; default 1 (the current period only). */
  window?: number;
}

/** The indices client `clientId` holds at period t (see the file comment for the exact rule). */
export function storedAt(split: ContinualPartition, clientId: string, t: number, options: StorageOptions = {}): number[] {
  const window = options.window ?? 1;
  if (!(window === Number.POSITIVE_INFINITY || (Number.isInteger(window) && window >= 1))) {
    throw new ConfigError(`storedAt: window must be an integer ≥ 1 or Infinity, got ${window}`);
  }
  if (!Number.isInteger(t) || t < 0 || t >= split.periods) {
    throw new ConfigError(`storedAt: period must be an integer in [0, ${split.periods}), got ${t}`);
  }
  const client = split.clients.find((c) => c.id === clientId);
  if (!client) throw new ConfigError(`storedAt: no client "${clientId}" in the continual partition`);
  const first = window === Number.POSITIVE_INFINITY ? 0 : Math.max(0, t - window + 1);
  return client.periods.slice(first, t + 1).flat();
}

/** Every client's stored data at period t, as an ordinary partition (for one period's rounds). */
export function partitionAt(split: ContinualPartition, t: number, options: StorageOptions = {}): Partition {
  return { clients: split.clients.map((c) => ({ id: c.id, indices: storedAt(split, c.id, t, options).sort((a, b) => a - b) })) };
}
