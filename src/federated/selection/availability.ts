/**
 * Device availability and dropout, as pure functions of (seed, client id, round): the same
 * question always gets the same answer, whatever order the simulator asks in, so runs are
 * reproducible and a client's fate in round t does not depend on who else was asked.
 *
 * - `availability({rate, seed})`: client c is online in round t with probability rate
 *   (a number, or a function of the client id for heterogeneous devices), independently
 *   across clients and rounds. The sampler then draws from the online clients only, so any
 *   unbiasedness it has is with respect to the clients online that round.
 * - `clientDropout({probability, seed})`: a selected client fails to report with probability p,
 *   independently. A client drawn several times (sampling with replacement) trains once, so
 *   all its draws share one fate.
 */
import { ConfigError } from '../../errors.js';
import { fmix32, hashString } from '../../engine/random.js';
import type { ClientInfo, Selection } from './sampler.js';

/** A uniform number in [0, 1) determined by (seed, purpose, client id, round). */
export function keyedUniform(seed: number, purpose: string, clientId: string, round: number): number {
  let h = fmix32((seed >>> 0) ^ 0x9e3779b9);
  h = fmix32(h ^ (Math.floor(seed / 4294967296) >>> 0));
  h = fmix32(h ^ hashString(purpose));
  h = fmix32(h ^ hashString(clientId));
  h = fmix32(h ^ (round >>> 0));
  h = fmix32(h ^ (Math.floor(round / 4294967296) >>> 0));
  return h / 4294967296;
}

function assertRound(model: string, round: number): void {
  if (!Number.isInteger(round) || round < 0) throw new ConfigError(`${model}: round must be an integer ≥ 0, got ${round}`);
}

function assertProbability(model: string, field: string, p: number, id?: string): void {
  if (typeof p !== 'number' || !(p >= 0 && p <= 1)) {
    throw new ConfigError(`${model}: ${field}${id === undefined ? '' : ` for client "${id}"`} must be in [0, 1], got ${p}`);
  }
}

function assertSeed(model: string, seed: number): void {
  if (typeof seed !== 'number' || !Number.isFinite(seed)) throw new ConfigError(`${model}: seed must be a finite number, got ${seed}`);
}

export interface AvailabilityOptions {
  /** Probability that a client is online in a round, or a per-client function of its id. */
  rate: number | ((clientId: string) => number);
  seed: number;
}

export interface AvailabilityModel {
  isOnline(clientId: string, round: number): boolean;
  /** The clients online in `round`, in the given order. */
  online(clients: readonly ClientInfo[], round: number): ClientInfo[];
}

export function availability(options: AvailabilityOptions): AvailabilityModel {
  const { rate, seed } = options;
  assertSeed('availability', seed);
  if (typeof rate !== 'function') assertProbability('availability', 'rate', rate);
  const rateOf = (id: string): number => {
    if (typeof rate !== 'function') return rate;
    const r = rate(id);
    assertProbability('availability', 'rate', r, id);
    return r;
  };
  const isOnline = (clientId: string, round: number): boolean => {
    assertRound('availability', round);
    return keyedUniform(seed, 'online', clientId, round) < rateOf(clientId);
  };
  return {
    isOnline,
    online: (clients, round) => clients.filter((c) => isOnline(c.id, round)),
  };
}

/**
 * How the survivors' weights are set after dropout:
 * - 'renormalize' (default, what Flower does when it aggregates the results that arrived):
 *   the surviving weights divided by their sum, so they sum to 1 again.
 * - 'inverse-probability': each surviving weight divided by (1 − p). If dropout is
 *   independent of the updates, E[1{survived}·w/(1 − p)] = w, so an unbiased estimator stays
 *   unbiased; the weights then sum to 1 only in expectation.
 * - 'keep': the original weights of the survivors, unchanged.
 */
export type DropoutReweighting = 'renormalize' | 'inverse-probability' | 'keep';

export interface DropoutOptions {
  probability: number;
  seed: number;
  reweight?: DropoutReweighting;
}

export interface DropoutResult {
  /** The surviving draws with their reweighted weights (possibly empty). */
  selection: Selection;
  /** Distinct ids of the clients that failed to report. */
  dropped: string[];
}

export interface DropoutModel {
  reports(clientId: string, round: number): boolean;
  apply(selection: Selection, round: number): DropoutResult;
}

export function clientDropout(options: DropoutOptions): DropoutModel {
  const { probability, seed } = options;
  const reweight = options.reweight ?? 'renormalize';
  assertSeed('dropout', seed);
  assertProbability('dropout', 'probability', probability);
  if (!['renormalize', 'inverse-probability', 'keep'].includes(reweight)) {
    throw new ConfigError(`dropout: reweight must be renormalize, inverse-probability or keep, got ${reweight}`);
  }
  if (reweight === 'inverse-probability' && probability === 1) {
    throw new ConfigError('dropout: inverse-probability reweighting needs probability < 1');
  }
  const reports = (clientId: string, round: number): boolean => {
    assertRound('dropout', round);
    return keyedUniform(seed, 'dropout', clientId, round) >= probability;
  };
  return {
    reports,
    apply(selection: Selection, round: number): DropoutResult {
      if (selection.clients.length !== selection.aggregationWeights.length) {
        throw new ConfigError(
          `dropout: selection has ${selection.clients.length} clients but ${selection.aggregationWeights.length} weights`,
        );
      }
      const clients: string[] = [];
      const weights: number[] = [];
      const dropped = new Set<string>();
      selection.clients.forEach((id, i) => {
        if (reports(id, round)) {
          clients.push(id);
          weights.push(selection.aggregationWeights[i]);
        } else dropped.add(id);
      });
      let sumsToOne = selection.weightsSumToOne;
      let finalWeights = weights;
      if (reweight === 'renormalize') {
        const total = weights.reduce((s, w) => s + w, 0);
        finalWeights = total > 0 ? weights.map((w) => w / total) : weights;
        sumsToOne = total > 0;
      } else if (reweight === 'inverse-probability') {
        finalWeights = weights.map((w) => w / (1 - probability));
        sumsToOne = probability === 0 && selection.weightsSumToOne;
      } else {
        sumsToOne = dropped.size === 0 && selection.weightsSumToOne;
      }
      return {
        selection: { clients, aggregationWeights: finalWeights, weightsSumToOne: sumsToOne },
        dropped: [...dropped],
      };
    },
  };
}
