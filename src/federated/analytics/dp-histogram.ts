/**
 * Differentially private histograms over devices, in one secure-aggregation round plus Gaussian
 * noise (user level: add/remove one device), calibrated exactly by the Gaussian privacy profile
 * (gaussian-calibration.ts, one release).
 *
 * - Label counts: each device sends its vector of label counts, scaled down to L2 norm ≤ C
 *   when longer (C = `clipNorm`); sensitivity C, noise N(0, σ²C²) per label. A device with more
 *   than C examples of one label, or √(Σ counts²) > C, is under-counted: `clippedDevices` says
 *   how many were.
 * - A per-device statistic (e.g. its out-of-scope rate): each device puts its value in one of B
 *   equal bins over [low, high] and sends the one-hot vector; sensitivity 1, noise N(0, σ²).
 *   The noisy histogram also gives a mean (bin midpoints weighted by the noisy counts clipped
 *   at 0), which is post-processing.
 * - Distributed noise (`noise: 'distributed'`): no server noise; every device adds a discrete
 *   Gaussian share to its integer vector before the sum (distributed-noise.ts). Label counts
 *   are then clipped as integers (the largest count lowered until the L2 norm is ≤ C), so
 *   ‖Δ‖₂ ≤ √⌊C²⌋ and ‖Δ‖₁ ≤ min(⌊C²⌋, ⌊√B·C⌋); a statistic's one-hot vector has ‖Δ‖₁ = ‖Δ‖₂ = 1.
 */
import { ConfigError } from '../../errors.js';
import { AnalyticsRandom, type NoiseSource } from './analytics-random.js';
import {
  distributedNoiseStd,
  integerClippedCounts,
  integerCountsL1Bound,
  integerCountsL2Bound,
  planNoiseMode,
  sumWithDistributedNoise,
  type DistributedNoisePlan,
  type NoiseMechanism,
  type NoiseMode,
} from './distributed-noise.js';
import { composedGaussianNoiseMultiplier } from './gaussian-calibration.js';
import { sumContributions, type Aggregation, type SparseContribution } from './secure-sum.js';

export interface HistogramPrivacy {
  epsilon: number;
  delta: number;
  aggregation?: Aggregation;
  /** Seed of the noise: reproducible, NOT private. Default: the CSPRNG. */
  noiseSeed?: number;
  /** 'central' (default): the server adds Gaussian noise; 'distributed': every device adds a discrete Gaussian share. */
  noise?: NoiseMode;
  /** distributed: t, the fewest reports for which the sum is revealed (default: every device). */
  minReports?: number;
}

export interface DpHistogramResult {
  /** Bin names (labels, or "[low, high)" ranges). */
  bins: string[];
  /** The true sums (the simulator knows them; a deployment does not). */
  trueCounts: number[];
  noisyCounts: number[];
  /** Noise std per bin (σ × sensitivity). */
  noiseStd: number;
  noiseMultiplier: number;
  sensitivity: number;
  epsilon: number;
  delta: number;
  /** Exact number of devices (simulation diagnostics, like trueCounts: not part of the DP release). */
  devices: number;
  aggregation: Aggregation;
  noise: NoiseSource;
  noiseMechanism: NoiseMechanism;
  /** distributed: each device's share σ_i, t and the accounting (noiseMultiplier is then 0). */
  distributedNoise?: DistributedNoisePlan;
}

/** What the noise choice needs of a histogram's privacy options (one release). */
function noiseRequest(privacy: HistogramPrivacy): { noise?: NoiseMode; minReports?: number; epsilon: number; delta: number; rounds: number } {
  return { noise: privacy.noise, minReports: privacy.minReports, epsilon: privacy.epsilon, delta: privacy.delta, rounds: 1 };
}

/** The distributed release: integer contributions, each device's share added before the (secure) sum. */
async function releaseDistributed(contributions: SparseContribution[], bins: string[], plan: DistributedNoisePlan, valueRange: number, privacy: HistogramPrivacy, random: AnalyticsRandom): Promise<DpHistogramResult> {
  const aggregation = privacy.aggregation ?? 'plain';
  const trueCounts = new Array<number>(bins.length).fill(0);
  for (const c of contributions) c.indices.forEach((index, j) => (trueCounts[index] += c.values?.[j] ?? 1));
  const noisy = await sumWithDistributedNoise(contributions, bins.length, plan, random, { aggregation, valueRange });
  return {
    bins,
    trueCounts,
    noisyCounts: [...noisy],
    noiseStd: distributedNoiseStd(plan, contributions.length),
    noiseMultiplier: 0,
    sensitivity: plan.l2Sensitivity,
    epsilon: privacy.epsilon,
    delta: privacy.delta,
    devices: contributions.length,
    aggregation,
    noise: random.source,
    noiseMechanism: 'distributed-discrete-gaussian',
    distributedNoise: plan,
  };
}

async function release(contributions: SparseContribution[], bins: string[], sensitivity: number, range: number, privacy: HistogramPrivacy): Promise<DpHistogramResult> {
  const aggregation = privacy.aggregation ?? 'plain';
  const noiseMultiplier = composedGaussianNoiseMultiplier(privacy.epsilon, privacy.delta, 1);
  // Integer contributions are summed exactly; scaled (clipped) counts in the finest fixed point that cannot overflow.
  const fractional = contributions.some((c) => (c.values ?? []).some((v) => !Number.isInteger(v)));
  const sums = await sumContributions(contributions, bins.length, { aggregation, range, ...(fractional ? {} : { fractionalBits: 0 }) });
  const random = AnalyticsRandom.from(privacy.noiseSeed);
  const noiseStd = noiseMultiplier * sensitivity;
  const noise = random.gaussian(bins.length, noiseStd);
  return {
    bins,
    trueCounts: [...sums],
    noisyCounts: [...sums].map((s, i) => s + noise[i]),
    noiseStd,
    noiseMultiplier,
    sensitivity,
    epsilon: privacy.epsilon,
    delta: privacy.delta,
    devices: contributions.length,
    aggregation,
    noise: random.source,
    noiseMechanism: 'central-gaussian',
  };
}

export interface LabelHistogramOptions extends HistogramPrivacy {
  /** Each device's labels (one per example). */
  devices: readonly (readonly string[])[];
  /** The public label set (bins); a label outside it is a ConfigError. */
  labels: readonly string[];
  /** C: a device's count vector is scaled to L2 norm ≤ C (default 5). */
  clipNorm?: number;
}

export interface LabelHistogramResult extends DpHistogramResult {
  clipNorm: number;
  clippedDevices: number;
  /** True counts before clipping. */
  unclippedCounts: number[];
}

/**
 * One device's label counts (by index into the public label set) and the factor that scales
 * their vector to L2 norm ≤ C: what a device contributes to a label histogram, in the
 * simulator and in the service alike.
 */
export function labelCountContribution(labels: readonly string[], index: ReadonlyMap<string, number>, clipNorm: number): { counts: Map<number, number>; scale: number } {
  const counts = new Map<number, number>();
  for (const label of labels) {
    const i = index.get(label);
    if (i === undefined) throw new ConfigError(`label "${label}" is not among the histogram's ${index.size} labels`);
    counts.set(i, (counts.get(i) ?? 0) + 1);
  }
  const norm = Math.sqrt([...counts.values()].reduce((s, c) => s + c * c, 0));
  return { counts, scale: norm > clipNorm ? clipNorm / norm : 1 };
}

export async function dpLabelHistogram(options: LabelHistogramOptions): Promise<LabelHistogramResult> {
  const clipNorm = options.clipNorm ?? 5;
  if (!(clipNorm > 0) || !Number.isFinite(clipNorm)) throw new ConfigError(`clipNorm must be a finite number > 0, got ${clipNorm}`);
  if (options.labels.length === 0) throw new ConfigError('a label histogram needs at least one label');
  if (options.devices.length === 0) throw new ConfigError('a histogram needs at least one device');
  const index = new Map(options.labels.map((l, i) => [l, i]));
  const unclipped = new Array<number>(options.labels.length).fill(0);
  let clippedDevices = 0;
  const plan = planNoiseMode({
    ...noiseRequest(options),
    devices: options.devices.length,
    l1Sensitivity: integerCountsL1Bound(clipNorm, options.labels.length),
    l2Sensitivity: integerCountsL2Bound(clipNorm),
    dimension: options.labels.length,
  });
  if (plan) {
    // integers only: counts lowered one at a time until the L2 norm is ≤ C (distributed-noise.ts)
    const random = AnalyticsRandom.from(options.noiseSeed);
    const contributions = options.devices.map((labels) => {
      const { counts } = labelCountContribution(labels, index, Infinity);
      for (const [i, c] of counts) unclipped[i] += c;
      const clipped = integerClippedCounts(counts, clipNorm, random);
      if ([...clipped.values()].reduce((s, c) => s + c, 0) < labels.length) clippedDevices++;
      return { indices: [...clipped.keys()], values: [...clipped.values()] };
    });
    const result = await releaseDistributed(contributions, [...options.labels], plan, Math.floor(clipNorm + 1e-9), options, random);
    return { ...result, clipNorm, clippedDevices, unclippedCounts: unclipped };
  }
  const contributions = options.devices.map((labels) => {
    const { counts, scale } = labelCountContribution(labels, index, clipNorm);
    for (const [i, c] of counts) unclipped[i] += c;
    if (scale < 1) clippedDevices++;
    return { indices: [...counts.keys()], values: [...counts.values()].map((c) => c * scale) };
  });
  const result = await release(contributions, [...options.labels], clipNorm, clipNorm, options);
  return { ...result, clipNorm, clippedDevices, unclippedCounts: unclipped };
}

export interface StatisticHistogramOptions extends HistogramPrivacy {
  /** One value per device (e.g. its out-of-scope rate). */
  values: readonly number[];
  /** B: number of equal bins (default 10). */
  bins?: number;
  /** [low, high]: the public range; values outside are clamped into the end bins (default [0, 1]). */
  range?: [number, number];
}

export interface StatisticHistogramResult extends DpHistogramResult {
  edges: number[];
  /** The true mean of the devices' values. */
  trueMean: number;
  /** The mean read off the noisy histogram (bin midpoints). */
  noisyMean: number;
}

export async function dpStatisticHistogram(options: StatisticHistogramOptions): Promise<StatisticHistogramResult> {
  const bins = options.bins ?? 10;
  if (!Number.isInteger(bins) || bins < 1) throw new ConfigError(`bins must be an integer ≥ 1, got ${bins}`);
  const [low, high] = options.range ?? [0, 1];
  if (!(Number.isFinite(low) && Number.isFinite(high) && high > low)) throw new ConfigError(`range must be two finite numbers low < high, got [${low}, ${high}]`);
  if (options.values.length === 0) throw new ConfigError('a histogram needs at least one device');
  const width = (high - low) / bins;
  const edges = Array.from({ length: bins + 1 }, (_, i) => low + i * width);
  const contributions = options.values.map((v, d) => {
    if (!Number.isFinite(v)) throw new ConfigError(`device ${d}: statistic ${v} is not a finite number`);
    return { indices: [Math.min(bins - 1, Math.max(0, Math.floor((v - low) / width)))] };
  });
  const names = edges.slice(0, -1).map((e, i) => `[${+e.toFixed(6)}, ${+edges[i + 1].toFixed(6)}${i === bins - 1 ? ']' : ')'}`);
  const plan = planNoiseMode({ ...noiseRequest(options), devices: contributions.length, l1Sensitivity: 1, l2Sensitivity: 1, dimension: bins });
  const result = plan ? await releaseDistributed(contributions, names, plan, 1, options, AnalyticsRandom.from(options.noiseSeed)) : await release(contributions, names, 1, 1, options);
  const mid = edges.slice(0, -1).map((e) => e + width / 2);
  const positive = result.noisyCounts.map((c) => Math.max(0, c));
  const total = positive.reduce((s, c) => s + c, 0);
  return {
    ...result,
    edges,
    trueMean: options.values.reduce((s, v) => s + v, 0) / options.values.length,
    noisyMean: total > 0 ? positive.reduce((s, c, i) => s + c * mid[i], 0) / total : NaN,
  };
}
