/**
 * How a strategy combines the round's client deltas into one pseudo-gradient Δ, before the
 * server optimiser steps with it. The mean honours the selection's weights; the robust
 * aggregators (Yin et al. 2018; Blanchard et al. 2017) treat every accepted update alike,
 * because a weight reported by a Byzantine client cannot be trusted either.
 */
import { ConfigError } from '../../errors.js';
import {
  coordinateMedian,
  meanAroundMedian,
  multiKrum,
  nearestNeighbourMixing,
  trimmedMean,
  weightedMean,
  weightedSum,
  type ParameterSet,
} from '../aggregate/index.js';

export interface UpdateAggregator {
  /** e.g. "mean", "median", "trimmed(β=0.1)", "krum(f=1)". */
  readonly name: string;
  /** Fewest updates it can combine; with fewer, the round leaves the model unchanged. */
  minUpdates(): number;
  /**
   * Combines deltas (in a fixed order) with their selection weights. `weightsSumToOne`
   * says whether the weights were meant to sum to one (see selection/sampler.ts).
   */
  combine(deltas: readonly ParameterSet[], weights: readonly number[], weightsSumToOne: boolean): ParameterSet;
  /** True when the selection weights are ignored. */
  readonly ignoresWeights: boolean;
}

/**
 * FedAvg's combination. With weights meant to sum to one, the weighted mean over the
 * updates that arrived (renormalised over the survivors when some clients failed, as Flower
 * does). With importance weights (`weightsSumToOne` false), Σ wᵢΔᵢ with the weights as
 * drawn: renormalising them would break the unbiasedness they were chosen for (a failed
 * client then simply contributes 0).
 */
export function meanAggregator(): UpdateAggregator {
  return {
    name: 'mean',
    ignoresWeights: false,
    minUpdates: () => 1,
    combine: (deltas, weights, sumsToOne) => (sumsToOne ? weightedMean(deltas, weights) : weightedSum(deltas, weights)),
  };
}

/** Coordinate-wise median of the deltas. */
export function medianAggregator(): UpdateAggregator {
  return { name: 'median', ignoresWeights: true, minUpdates: () => 1, combine: (deltas) => coordinateMedian(deltas) };
}

/** Coordinate-wise β-trimmed mean: drops ⌊β·n⌋ values at each end of every coordinate. */
export function trimmedMeanAggregator(beta: number): UpdateAggregator {
  if (typeof beta !== 'number' || !(beta >= 0 && beta < 0.5)) {
    throw new ConfigError(`trimmed mean: beta must be in [0, 0.5), got ${beta} (the fraction trimmed from each end)`);
  }
  return {
    name: `trimmed(β=${beta})`,
    ignoresWeights: true,
    // β < 0.5 leaves n − 2⌊βn⌋ ≥ 1 values per coordinate for every n ≥ 1
    minUpdates: () => 1,
    combine: (deltas) => trimmedMean(deltas, beta),
  };
}

/**
 * Coordinate-wise mean around the median: drops the ⌊β·n⌋ values farthest from each
 * coordinate's median and averages the rest.
 */
export function meanAroundMedianAggregator(beta: number): UpdateAggregator {
  if (typeof beta !== 'number' || !(beta >= 0 && beta < 0.5)) {
    throw new ConfigError(`mean around the median: beta must be in [0, 0.5), got ${beta} (the fraction of values dropped, farthest from the median)`);
  }
  return {
    name: `meamed(β=${beta})`,
    ignoresWeights: true,
    // β < 0.5 keeps n − ⌊βn⌋ ≥ 1 values per coordinate for every n ≥ 1
    minUpdates: () => 1,
    combine: (deltas) => meanAroundMedian(deltas, beta),
  };
}

/**
 * Krum (m = 1) or Multi-Krum (m > 1) tolerating f Byzantine clients; needs n > 2f + 2
 * updates. Multi-Krum averages the m best-scored updates without weights.
 */
export function krumAggregator(f: number, m: number | 'all-but-f' = 1): UpdateAggregator {
  if (!Number.isInteger(f) || f < 0) throw new ConfigError(`krum: f (Byzantine clients tolerated) must be an integer ≥ 0, got ${f}`);
  if (m !== 'all-but-f' && (!Number.isInteger(m) || m < 1)) throw new ConfigError(`krum: m (updates averaged) must be an integer ≥ 1 or "all-but-f", got ${m}`);
  return {
    name: m === 1 ? `krum(f=${f})` : `multi-krum(f=${f}, m=${m === 'all-but-f' ? 'n−f' : m})`,
    ignoresWeights: true,
    minUpdates: () => Math.max(2 * f + 3, m === 'all-but-f' ? 1 : m),
    // all but f: however many updates the round got, the f worst-scored are left out
    combine: (deltas) => multiKrum(deltas, f, m === 'all-but-f' ? deltas.length - f : Math.min(m, deltas.length)),
  };
}

/**
 * Nearest-neighbour mixing before `inner` (Allouah et al. 2023): each round's n deltas are
 * replaced by the means of their n − f nearest deltas, f = ⌊fraction · n⌋, then combined
 * by `inner` (a coordinate-wise rule: median, trimmed mean, mean around the median).
 */
export function mixedAggregator(inner: UpdateAggregator, fraction: number): UpdateAggregator {
  if (typeof fraction !== 'number' || !(fraction >= 0 && fraction < 0.5)) {
    throw new ConfigError(`nearest-neighbour mixing: the Byzantine fraction must be in [0, 0.5), got ${fraction}`);
  }
  return {
    name: `nnm(f=${fraction}·n)+${inner.name}`,
    ignoresWeights: true,
    minUpdates: () => inner.minUpdates(),
    combine: (deltas, weights, sumsToOne) =>
      inner.combine(nearestNeighbourMixing(deltas, Math.floor(fraction * deltas.length)), weights, sumsToOne),
  };
}
