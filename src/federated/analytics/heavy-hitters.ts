/**
 * Heavy hitters in simulation: run a method over the devices' items and score what it returns
 * against the truth only a simulator knows (recall and precision of the true top k, items.ts).
 * `triehh` is central DP through secure aggregation (trie-heavy-hitters.ts); `cms` is the
 * local-DP baseline (count-mean-sketch.ts).
 */
import { ConfigError } from '../../errors.js';
import { cmsHeavyHitters, type CmsHeavyHittersResult } from './count-mean-sketch.js';
import { heavyHitterQuality, userCounts, type RankedItem, type UserItems } from './items.js';
import type { NoiseMode } from './distributed-noise.js';
import type { Aggregation } from './secure-sum.js';
import { trieHeavyHitters, type TrieHeavyHittersResult, type TrieRound } from './trie-heavy-hitters.js';

export type HeavyHitterMethod = 'triehh' | 'cms';
export const HEAVY_HITTER_METHODS: readonly HeavyHitterMethod[] = ['triehh', 'cms'];

export interface HeavyHittersSimulationOptions {
  users: readonly UserItems[];
  method: HeavyHitterMethod;
  k: number;
  epsilon: number;
  /** δ of the central method (CMS is pure ε-LDP and ignores it). */
  delta: number;
  noiseSeed?: number;
  /** triehh */
  sampleRate?: number;
  maxLength?: number;
  votesPerDevice?: number;
  maxPrefixesPerRound?: number;
  aggregation?: Aggregation;
  /** triehh: 'central' (the server adds Gaussian noise) or 'distributed' (each device adds a discrete Gaussian share). */
  noise?: NoiseMode;
  /** triehh, distributed: t, the fewest reports for which a sum is revealed (default: every device). */
  minReports?: number;
  onRound?: (round: TrieRound) => void;
  /** cms */
  sketchWidth?: number;
  hashCount?: number;
  dictionary?: readonly string[];
}

export interface HeavyHittersSimulation {
  method: HeavyHitterMethod;
  /** What the method returned, with the true user count of each (simulation only). */
  items: { item: string; estimate: number; trueCount: number }[];
  recall: number;
  precision: number;
  k: number;
  epsilon: number;
  delta: number | null;
  users: number;
  distinctItems: number;
  trueTopK: RankedItem[];
  /** Users holding the k-th most common item. */
  kthCount: number;
  details: Omit<TrieHeavyHittersResult, 'items' | 'discovered' | 'method'> | Omit<CmsHeavyHittersResult, 'items' | 'method'>;
}

export async function simulateHeavyHitters(options: HeavyHittersSimulationOptions): Promise<HeavyHittersSimulation> {
  const { users, method, k } = options;
  if (!HEAVY_HITTER_METHODS.includes(method)) throw new ConfigError(`method must be one of ${HEAVY_HITTER_METHODS.join(', ')}, got "${String(method)}"`);
  const truth = userCounts(users);
  let items: { item: string; estimate: number }[];
  let details: HeavyHittersSimulation['details'];
  if (method === 'triehh') {
    const { items: found, discovered: _discovered, method: _m, ...rest } = await trieHeavyHitters({
      users,
      k,
      epsilon: options.epsilon,
      delta: options.delta,
      sampleRate: options.sampleRate,
      maxLength: options.maxLength,
      votesPerDevice: options.votesPerDevice,
      maxPrefixesPerRound: options.maxPrefixesPerRound,
      aggregation: options.aggregation,
      noiseSeed: options.noiseSeed,
      noise: options.noise,
      minReports: options.minReports,
      onRound: options.onRound,
    });
    items = found;
    details = rest;
  } else {
    if ((options.noise ?? 'central') !== 'central' || options.minReports !== undefined) throw new ConfigError('cms is local DP: every device randomises its own report, there is no central or distributed noise to choose');
    const { items: found, method: _m, ...rest } = cmsHeavyHitters({
      users,
      k,
      epsilon: options.epsilon,
      width: options.sketchWidth,
      hashCount: options.hashCount,
      dictionary: options.dictionary,
      noiseSeed: options.noiseSeed,
    });
    items = found;
    details = rest;
  }
  const quality = heavyHitterQuality(items.map((i) => i.item), truth, k);
  return {
    method,
    items: items.map((i) => ({ ...i, trueCount: truth.get(i.item) ?? 0 })),
    recall: quality.recall,
    precision: quality.precision,
    k,
    epsilon: options.epsilon,
    delta: method === 'cms' ? null : options.delta,
    users: users.length,
    distinctItems: truth.size,
    trueTopK: quality.trueTopK,
    kthCount: quality.kthCount,
    details,
  };
}
