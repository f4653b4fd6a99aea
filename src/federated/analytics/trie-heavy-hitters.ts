/**
 * Heavy hitters by an interactive prefix tree (TrieHH, Zhu, Kairouz, McMahan, Sun & Li,
 * AISTATS 2020, "Federated heavy hitters discovery with differential privacy"), with central
 * DP from Gaussian noise on securely aggregated prefix votes instead of TrieHH's own
 * sampling-and-threshold argument.
 *
 * Round r = 1, 2, ..., L + 1 (L = the longest item, in characters): the server holds the
 * surviving prefixes T_{r−1} of length r − 1 (T_0 = {""}) and announces the candidates
 * C_r = { p·a : p ∈ T_{r−1}, a ∈ alphabet ∪ {END} }. Each device sampled this round (Poisson,
 * rate q) looks at its items s·END whose first r − 1 characters are in T_{r−1}, and votes 1 for
 * each distinct candidate they extend to, at most c of them (a uniform subset when it has
 * more). The votes are summed by secure aggregation; the server adds N(0, σ²c) to every
 * candidate's count and keeps those above the threshold τ (at most `maxPrefixesPerRound`, the
 * largest first). A survivor ending in END is a discovered item, with its noisy count; the
 * others are T_r. The protocol stops when nothing survives.
 *
 * Privacy (user level, add/remove one device). In one round a device's vote vector has at most
 * c ones, so its L2 norm is at most √c: the noisy sum is a Gaussian mechanism with noise
 * multiplier σ. The candidate set of a round is a function of earlier releases (adaptive
 * composition), the threshold and the ranking are post-processing. Over the L + 1 planned
 * rounds the whole run is therefore the composition of L + 1 (sampled) Gaussian mechanisms,
 * calibrated by gaussian-calibration.ts; stopping early only releases less.
 *
 * Distributed noise (`noise: 'distributed'`): instead of the server's N(0, σ²c), every device
 * adds its own discrete Gaussian share to every coordinate of its vote vector before masking
 * (distributed-noise.ts); the sum of the t = `minReports` shares meets the budget (Kairouz,
 * Liu & Steinke 2021), with the one-device sensitivities ‖Δ‖₁ = c and ‖Δ‖₂ = √c. Every device
 * takes part every round (sampling is not accounted for in this mode).
 *
 * Utility. The noise on a user count has std σ√c, so c trades noise against devices that hold
 * more than c live prefixes (they under-vote). τ = max(minCount, z·σ√c) with z = 4 by default:
 * a candidate nobody holds passes with probability 3·10⁻⁵.
 */
import { ConfigError } from '../../errors.js';
import { AnalyticsRandom, type NoiseSource } from './analytics-random.js';
import { distributedNoiseStd, noCentralNoise, planNoiseMode, sumWithDistributedNoise, type DistributedNoisePlan, type NoiseMechanism, type NoiseMode } from './distributed-noise.js';
import { calibrateRounds, type RoundsPrivacy } from './gaussian-calibration.js';
import type { UserItems } from './items.js';
import { sumContributions, type Aggregation, type SparseContribution } from './secure-sum.js';
import { maxTrieCandidates, terminatedItems, trieAlphabet, trieCandidates, trieRelease, trieVoteCandidates } from './trie-rounds.js';

export interface TrieHeavyHittersOptions {
  users: readonly UserItems[];
  /** How many items to return (the largest noisy counts among those discovered). */
  k: number;
  /** Privacy budget of the whole run; Infinity runs without noise. */
  epsilon: number;
  delta: number;
  /** q: Poisson sampling rate of devices per round (default 1: every device every round). */
  sampleRate?: number;
  /** L: the longest item in characters that can be discovered (default 16); longer items are skipped. */
  maxLength?: number;
  /** c: most votes a device casts per round (default 8). */
  votesPerDevice?: number;
  /** The public alphabet (default lower-case letters, digits, apostrophe, space); items with other characters are skipped. */
  alphabet?: string;
  /** Most prefixes kept per round, the largest noisy counts first (default max(256, 32k)). */
  maxPrefixesPerRound?: number;
  /** z: the threshold in noise standard deviations (default 4). */
  thresholdSigmas?: number;
  /** Smallest noisy user count that survives (default 1). */
  minCount?: number;
  /** 'secure' runs the secure-aggregation protocol each round (default 'plain': the same sum in the clear). */
  aggregation?: Aggregation;
  /** Seed of sampling, vote choices and noise: reproducible, NOT private. Default: the CSPRNG. */
  noiseSeed?: number;
  /** 'central' (default): the server adds Gaussian noise to the sum; 'distributed': every device adds a discrete Gaussian share. */
  noise?: NoiseMode;
  /** distributed: t, the fewest reports for which a round's sum is revealed (default: every device). */
  minReports?: number;
  /** Called after each round (progress). */
  onRound?: (round: TrieRound) => void;
}

/**
 * One round, for progress and diagnosis. `participants` and `votes` are exact counts the
 * simulator knows; they are NOT part of the DP release (a deployment would not publish them).
 */
export interface TrieRound {
  round: number;
  candidates: number;
  participants: number;
  votes: number;
  survivors: number;
  discovered: number;
  threshold: number;
}

export interface DiscoveredItem {
  item: string;
  /** Noisy user count when the item was discovered (divided by the sampling rate). */
  estimate: number;
}

export interface TrieHeavyHittersResult {
  method: 'triehh';
  items: DiscoveredItem[];
  /** Every discovered item, largest estimate first (items is its first k). */
  discovered: DiscoveredItem[];
  /** Central noise: the Gaussian's calibration (distributed: σ = 0 here, see `distributedNoise`). */
  privacy: RoundsPrivacy;
  noiseMechanism: NoiseMechanism;
  /** distributed: each device's share σ_i, t, and the accounting. */
  distributedNoise?: DistributedNoisePlan;
  /** Noise std on a user count: σ√c (distributed: of the sum of every device's share). */
  countNoiseStd: number;
  threshold: number;
  votesPerDevice: number;
  roundsRun: number;
  rounds: TrieRound[];
  /** Items no device could vote for: longer than L or with characters outside the alphabet. */
  skippedItems: number;
  aggregation: Aggregation;
  noise: NoiseSource;
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new ConfigError(`${name} must be an integer ≥ 1, got ${value}`);
  return value;
}

/** Runs TrieHH over the devices' items and returns the k items with the largest noisy counts. */
export async function trieHeavyHitters(options: TrieHeavyHittersOptions): Promise<TrieHeavyHittersResult> {
  const k = positiveInteger('k', options.k);
  const maxLength = positiveInteger('maxLength', options.maxLength ?? 16);
  const votesPerDevice = positiveInteger('votesPerDevice', options.votesPerDevice ?? 8);
  const maxPrefixes = positiveInteger('maxPrefixesPerRound', options.maxPrefixesPerRound ?? Math.max(256, 32 * k));
  const z = options.thresholdSigmas ?? 4;
  if (!(z >= 0) || !Number.isFinite(z)) throw new ConfigError(`thresholdSigmas must be a finite number ≥ 0, got ${z}`);
  const minCount = options.minCount ?? 1;
  if (!(minCount > 0) || !Number.isFinite(minCount)) throw new ConfigError(`minCount must be a finite number > 0, got ${minCount}`);
  const alphabet = trieAlphabet(options.alphabet);
  if (!Array.isArray(options.users) || options.users.length === 0) throw new ConfigError('heavy hitters need at least one user');
  const aggregation = options.aggregation ?? 'plain';
  const sampleRate = options.sampleRate ?? 1;
  const rounds = maxLength + 1;
  if (options.noise === 'distributed' && sampleRate !== 1) throw new ConfigError('distributed noise runs every device every round (sample rate 1): amplification by sampling is not accounted for the distributed discrete Gaussian here');
  const distributed = planNoiseMode({
    noise: options.noise,
    minReports: options.minReports,
    devices: options.users.length,
    epsilon: options.epsilon,
    delta: options.delta,
    rounds,
    l1Sensitivity: votesPerDevice,
    l2Sensitivity: Math.sqrt(votesPerDevice),
    dimension: maxTrieCandidates(alphabet.length, maxPrefixes),
  });
  const privacy: RoundsPrivacy = distributed ? noCentralNoise(distributed) : calibrateRounds({ epsilon: options.epsilon, delta: options.delta, rounds, sampleRate });
  const countNoiseStd = distributed ? distributedNoiseStd(distributed, options.users.length) : privacy.noiseMultiplier * Math.sqrt(votesPerDevice);
  const threshold = Math.max(minCount, z * countNoiseStd);
  const random = AnalyticsRandom.from(options.noiseSeed);

  // Each device's items, terminated, restricted to what the public alphabet can spell.
  let skippedItems = 0;
  const devices = options.users.map((u) => {
    const { items, skipped } = terminatedItems(u.items, alphabet, maxLength);
    skippedItems += skipped;
    return items;
  });

  let prefixes: string[] = [''];
  const discovered: DiscoveredItem[] = [];
  const log: TrieRound[] = [];
  for (let r = 1; r <= rounds && prefixes.length > 0; r++) {
    const names = trieCandidates(prefixes, alphabet);
    const candidates = new Map(names.map((name, i) => [name, i]));
    const live = new Set(prefixes);
    const contributions: SparseContribution[] = [];
    let votes = 0;
    for (const items of devices) {
      if (sampleRate < 1 && !random.bernoulli(sampleRate)) continue;
      const chosen = random.subset(trieVoteCandidates(items, r, live, candidates), votesPerDevice);
      votes += chosen.length;
      contributions.push({ indices: chosen });
    }
    let sums: Float64Array;
    let noise: Float64Array;
    if (distributed) {
      sums = await sumWithDistributedNoise(contributions, names.length, distributed, random, { aggregation, valueRange: 1 });
      noise = new Float64Array(names.length);
    } else {
      sums = contributions.length > 0 ? await sumContributions(contributions, names.length, { aggregation }) : new Float64Array(names.length);
      noise = random.gaussian(names.length, countNoiseStd);
    }
    const release = trieRelease(names, sums, noise, threshold, maxPrefixes);
    for (const d of release.discovered) discovered.push({ item: d.item, estimate: d.estimate / sampleRate });
    prefixes = release.prefixes;
    const round: TrieRound = { round: r, candidates: names.length, participants: contributions.length, votes, survivors: release.survivors, discovered: release.discovered.length, threshold };
    log.push(round);
    options.onRound?.(round);
  }
  discovered.sort((a, b) => b.estimate - a.estimate || (a.item < b.item ? -1 : 1));
  return {
    method: 'triehh',
    items: discovered.slice(0, k),
    discovered,
    privacy,
    noiseMechanism: distributed ? 'distributed-discrete-gaussian' : 'central-gaussian',
    ...(distributed ? { distributedNoise: distributed } : {}),
    countNoiseStd,
    threshold,
    votesPerDevice,
    roundsRun: log.length,
    rounds: log,
    skippedItems,
    aggregation,
    noise: random.source,
  };
}
