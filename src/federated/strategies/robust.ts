/**
 * Byzantine-robust strategies: FedAvg with the weighted mean replaced by a robust
 * aggregator of the client deltas, then x ← x + Δ. Coordinate-wise median and β-trimmed
 * mean (Yin et al. 2018), mean around the median (Xie, Koyejo & Gupta 2018), Krum and Multi-Krum (Blanchard et al. 2017),
 * and any coordinate-wise rule after nearest-neighbour mixing (Allouah et al. 2023). The selection weights
 * are ignored (a Byzantine client could inflate them); Krum needs more than 2f + 2 updates
 * per round, checked against clientsPerRound up front and per round (a round with fewer
 * surviving updates leaves the model unchanged and reports skipped = 1).
 */
import {
  krumAggregator,
  meanAroundMedianAggregator,
  medianAggregator,
  mixedAggregator,
  trimmedMeanAggregator,
  type UpdateAggregator,
} from './update-aggregators.js';
import { ServerStrategy, type StrategyOptions } from './server-strategy.js';

const PLAIN_STEP = { kind: 'fedavg', hyper: { eta: 1 } } as const;

export function fedMedian(options: StrategyOptions): ServerStrategy {
  return new ServerStrategy({ name: 'median', aggregator: medianAggregator(), serverOptimizer: PLAIN_STEP }, options);
}

export interface TrimmedMeanOptions extends StrategyOptions {
  /** Fraction trimmed from each end, β ∈ [0, 0.5). */
  beta: number;
}

export function fedTrimmedMean(options: TrimmedMeanOptions): ServerStrategy {
  return new ServerStrategy(
    { name: `trimmed(β=${options.beta})`, aggregator: trimmedMeanAggregator(options.beta), serverOptimizer: PLAIN_STEP },
    options,
  );
}

export interface MeanAroundMedianOptions extends StrategyOptions {
  /** Fraction of the values dropped at each coordinate (those farthest from its median), β ∈ [0, 0.5). */
  beta: number;
}

export function fedMeanAroundMedian(options: MeanAroundMedianOptions): ServerStrategy {
  const aggregator = meanAroundMedianAggregator(options.beta);
  return new ServerStrategy({ name: aggregator.name, aggregator, serverOptimizer: PLAIN_STEP }, options);
}

export interface KrumOptions extends StrategyOptions {
  /** Byzantine clients tolerated. */
  f: number;
  /** Updates averaged (Multi-Krum); default 1 (Krum); 'all-but-f': n − f of each round's n updates. */
  m?: number | 'all-but-f';
}

export function fedKrum(options: KrumOptions): ServerStrategy {
  const aggregator = krumAggregator(options.f, options.m ?? 1);
  return new ServerStrategy({ name: aggregator.name, aggregator, serverOptimizer: PLAIN_STEP }, options);
}

export interface MixedOptions extends StrategyOptions {
  /** f = ⌊byzantineFraction · n⌋ of each round's n updates, in [0, 0.5). */
  byzantineFraction: number;
  /** The coordinate-wise rule applied to the mixed updates. */
  inner: { kind: 'median' } | { kind: 'trimmed' | 'meamed'; beta: number };
}

/** Nearest-neighbour mixing, then the median, trimmed mean or mean around the median. */
export function fedMixed(options: MixedOptions): ServerStrategy {
  const inner: UpdateAggregator =
    options.inner.kind === 'median'
      ? medianAggregator()
      : options.inner.kind === 'trimmed'
        ? trimmedMeanAggregator(options.inner.beta)
        : meanAroundMedianAggregator(options.inner.beta);
  const aggregator = mixedAggregator(inner, options.byzantineFraction);
  return new ServerStrategy({ name: aggregator.name, aggregator, serverOptimizer: PLAIN_STEP }, options);
}
