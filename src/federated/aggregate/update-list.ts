/**
 * Checks shared by every aggregator: a non-empty list of updates with one layout, and
 * weights that are finite, non-negative and not all zero.
 */
import { ConfigError, NonFiniteError } from '../../errors.js';
import { assertMatchesLayout, layoutOf, type ParameterSet } from './parameters.js';

/** Throws unless `updates` is non-empty and every update has the layout of the first. */
export function assertUpdateList(updates: readonly ParameterSet[], aggregator: string): void {
  if (!Array.isArray(updates) || updates.length === 0) {
    throw new ConfigError(`${aggregator}: needs at least one update, got ${Array.isArray(updates) ? 0 : typeof updates}`);
  }
  const layout = layoutOf(updates[0]);
  for (let i = 1; i < updates.length; i++) {
    assertMatchesLayout(layout, updates[i], `${aggregator}: update ${i}`);
  }
}

/** Throws `ConfigError` unless the weights match the updates, are finite, ≥ 0 and sum > 0. */
export function assertAggregationWeights(weights: readonly number[], count: number, aggregator: string): number {
  if (!Array.isArray(weights) || weights.length !== count) {
    throw new ConfigError(
      `${aggregator}: got ${Array.isArray(weights) ? weights.length : typeof weights} weights for ${count} updates (give one weight per update, e.g. its number of examples)`,
    );
  }
  let total = 0;
  for (let i = 0; i < weights.length; i++) {
    const w = weights[i];
    if (typeof w !== 'number' || !Number.isFinite(w) || w < 0) {
      throw new ConfigError(`${aggregator}: weight ${i} is ${w}; weights must be finite and ≥ 0`);
    }
    total += w;
  }
  if (!(total > 0)) {
    throw new ConfigError(`${aggregator}: weights sum to ${total}; at least one weight must be > 0`);
  }
  return total;
}

/** Throws `NonFiniteError` naming the update, tensor and index of the first NaN/±Infinity. */
export function throwNonFinite(aggregator: string, updateIndex: number, tensor: string, index: number, value: number): never {
  throw new NonFiniteError(
    `${aggregator}: update ${updateIndex}, tensor "${tensor}" has ${value} at index ${index} (drop non-finite client updates before aggregating; see firstNonFinite)`,
  );
}
