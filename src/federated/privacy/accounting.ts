/**
 * User-level privacy accounting for DP-FedAvg with the project's accountant
 * (privacy/accounting): each round is a subsampled Gaussian mechanism on the clipped sum,
 * with sampling rate q = clients per round / population and noise multiplier σ (noise std
 * σC for sensitivity C), composed over the rounds, as in McMahan et al. (2018) §3.
 *
 * The accountant assumes each user joins a round independently with probability q (Poisson
 * sampling). The simulator draws exactly K clients without replacement; reporting the
 * Poisson ε for it is the usual approximation (McMahan et al. use it too) and is stated in
 * every report. Under adaptive clipping σ is the *total* noise multiplier of the two
 * queries (update sum and unclipped count; Andrew et al. 2021), see private-aggregation-strategy.ts.
 */
import { ConfigError } from '../../errors.js';
import { computeEpsilon, noiseMultiplierForEpsilon, type AccountantName } from '../../privacy/accounting/index.js';

export interface UserLevelAccountingRequest {
  clientsPerRound: number;
  population: number;
  rounds: number;
  delta: number;
  accountant?: AccountantName;
}

export function userSamplingRate(clientsPerRound: number, population: number): number {
  if (!Number.isInteger(population) || population < 1) throw new ConfigError(`DP-FedAvg: the population (number of clients) must be an integer ≥ 1, got ${population}`);
  if (!Number.isInteger(clientsPerRound) || clientsPerRound < 1) throw new ConfigError(`DP-FedAvg: clients per round must be an integer ≥ 1, got ${clientsPerRound}`);
  if (clientsPerRound > population) {
    throw new ConfigError(`DP-FedAvg: ${clientsPerRound} clients per round exceeds the population of ${population}; lower --clients-per-round`);
  }
  return clientsPerRound / population;
}

/** ε spent after `rounds` rounds of DP-FedAvg with noise multiplier σ. */
export function userLevelEpsilon(request: UserLevelAccountingRequest & { noiseMultiplier: number }): number {
  if (request.noiseMultiplier === 0) return Infinity;
  return computeEpsilon({
    sampleRate: userSamplingRate(request.clientsPerRound, request.population),
    noiseMultiplier: request.noiseMultiplier,
    steps: request.rounds,
    delta: request.delta,
    accountant: request.accountant,
  }).epsilon;
}

/** The smallest σ whose ε after `rounds` rounds is at most `epsilon`. */
export function userLevelNoiseMultiplier(request: UserLevelAccountingRequest & { epsilon: number }): number {
  return noiseMultiplierForEpsilon({
    epsilon: request.epsilon,
    delta: request.delta,
    sampleRate: userSamplingRate(request.clientsPerRound, request.population),
    steps: request.rounds,
    accountant: request.accountant,
  });
}
