/**
 * Geometric median, argmin_z Σᵢ αᵢ‖z − uᵢ‖, by the smoothed Weiszfeld iteration used in
 * RFA (Pillutla, Kakade & Harchaoui 2022, "Robust aggregation for federated learning",
 * IEEE TSP): z ← Σ βᵢuᵢ / Σ βᵢ with βᵢ = αᵢ / max(ν, ‖z − uᵢ‖). The smoothing ν keeps the
 * step defined when z lands on an update. Each iteration is one weighted mean plus n
 * distances, O(n·d); memory is the current estimate only.
 */
import { ConfigError } from '../../errors.js';
import type { ParameterSet } from './parameters.js';
import { squaredDistance } from './parameters.js';
import { assertAggregationWeights, assertUpdateList } from './update-list.js';
import { weightedMean } from './weighted-mean.js';

export interface GeometricMedianOptions {
  /** αᵢ, default all 1. */
  weights?: readonly number[];
  /** Iteration cap, default 100. */
  maxIterations?: number;
  /** Stop when the objective improves by less than tolerance × objective; default 1e-6. */
  tolerance?: number;
  /** ν, the smallest distance used in a weight; default 1e-6. */
  smoothing?: number;
}

export interface GeometricMedianResult {
  median: ParameterSet;
  /** Weiszfeld steps taken. */
  iterations: number;
  /** Σ αᵢ‖median − uᵢ‖ at the returned point. */
  objective: number;
  /** Whether the relative improvement fell below the tolerance before the cap. */
  converged: boolean;
}

function objectiveAt(z: ParameterSet, updates: readonly ParameterSet[], alpha: readonly number[], distances: Float64Array): number {
  let total = 0;
  for (let i = 0; i < updates.length; i++) {
    distances[i] = Math.sqrt(squaredDistance(z, updates[i]));
    total += alpha[i] * distances[i];
  }
  return total;
}

/** Weiszfeld iterations with their diagnostics; see `geometricMedian` for the plain result. */
export function weiszfeld(updates: readonly ParameterSet[], options: GeometricMedianOptions = {}): GeometricMedianResult {
  assertUpdateList(updates, 'geometricMedian');
  const n = updates.length;
  const alpha = options.weights ?? updates.map(() => 1);
  assertAggregationWeights(alpha, n, 'geometricMedian');
  const maxIterations = options.maxIterations ?? 100;
  const tolerance = options.tolerance ?? 1e-6;
  const smoothing = options.smoothing ?? 1e-6;
  if (!Number.isInteger(maxIterations) || maxIterations < 1) {
    throw new ConfigError(`geometricMedian: maxIterations must be a positive integer, got ${maxIterations}`);
  }
  if (!(tolerance >= 0) || !Number.isFinite(tolerance)) {
    throw new ConfigError(`geometricMedian: tolerance must be finite and ≥ 0, got ${tolerance}`);
  }
  if (!(smoothing > 0) || !Number.isFinite(smoothing)) {
    throw new ConfigError(`geometricMedian: smoothing must be finite and > 0, got ${smoothing}`);
  }
  // the weighted mean also rejects non-finite updates with a message naming the update
  let z = weightedMean(updates, alpha);
  const distances = new Float64Array(n);
  let objective = objectiveAt(z, updates, alpha, distances);
  let iterations = 0;
  let converged = false;
  while (iterations < maxIterations) {
    const beta = alpha.map((a, i) => a / Math.max(smoothing, distances[i]));
    const next = weightedMean(updates, beta);
    const nextObjective = objectiveAt(next, updates, alpha, distances);
    iterations++;
    const improvement = objective - nextObjective;
    z = next;
    objective = nextObjective;
    if (improvement <= tolerance * nextObjective) {
      converged = true;
      break;
    }
  }
  return { median: z, iterations, objective, converged };
}

/** Geometric median of the updates (smoothed Weiszfeld, see `weiszfeld` for diagnostics). */
export function geometricMedian(updates: readonly ParameterSet[], options: GeometricMedianOptions = {}): ParameterSet {
  return weiszfeld(updates, options).median;
}
