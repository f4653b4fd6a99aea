/**
 * Activity-weighted sampling with replacement: each of the K draws picks client k with
 * probability pₖ = nₖ^τ / Σⱼ nⱼ^τ, τ ∈ [0, 1] (τ = 0 uniform, τ = 1 proportional to data).
 *
 * Weights are importance weights that keep the aggregate unbiased for the full-participation
 * update Σₖ (nₖ/N)·Δₖ (N = Σ nₖ over the available clients): a draw of client k gets
 *   w = (nₖ/N) / (K·pₖ),
 * so E[Σᵢ w_{cᵢ}·Δ_{cᵢ}] = K · Σₖ pₖ · (nₖ/N)/(K·pₖ) · Δₖ = Σₖ (nₖ/N)·Δₖ.
 * For τ = 1, pₖ = nₖ/N and every weight is 1/K: the plain average of scheme I of Li et al.
 * (ICLR 2020, "On the convergence of FedAvg on non-IID data"). For τ < 1 the weights sum to 1
 * only in expectation (`weightsSumToOne: false`): aggregate deltas with `weightedSum`.
 * With `normalize: true` the weights are divided by their sum instead: the aggregate is then
 * a weighted mean (always a convex combination) but only asymptotically unbiased.
 */
import { ConfigError } from '../../errors.js';
import type { SeededRandom } from '../../engine/random.js';
import { canonicalClients, type ClientInfo, type ClientSampler, type Selection } from './sampler.js';
import { drawWithReplacement } from './weighted-draws.js';

export interface ActivitySamplerOptions {
  /** Divide the importance weights by their sum (self-normalised, biased); default false. */
  normalize?: boolean;
}

/** Selection probabilities pₖ ∝ nₖ^τ for the clients in the given order. */
export function activityProbabilities(clients: readonly ClientInfo[], tau: number): number[] {
  const mass = clients.map((c) => Math.pow(c.numExamples, tau));
  const total = mass.reduce((s, m) => s + m, 0);
  return mass.map((m) => m / total);
}

export function activitySampler(tau: number, options: ActivitySamplerOptions = {}): ClientSampler {
  if (typeof tau !== 'number' || !(tau >= 0 && tau <= 1)) {
    throw new ConfigError(`activitySampler: tau must be in [0, 1], got ${tau} (0 = uniform, 1 = proportional to examples)`);
  }
  const normalize = options.normalize ?? false;
  return {
    name: `activity(τ=${tau}${normalize ? ', normalised' : ''})`,
    sample(round: number, available: readonly ClientInfo[], k: number, rng: SeededRandom): Selection {
      const clients = canonicalClients('activitySampler', round, available, k, true);
      const p = activityProbabilities(clients, tau);
      const totalExamples = clients.reduce((s, c) => s + c.numExamples, 0);
      const draws = drawWithReplacement(p, k, rng);
      let weights = draws.map((i) => (tau === 1 ? 1 / k : clients[i].numExamples / totalExamples / (k * p[i])));
      let sumsToOne = tau === 1;
      if (normalize && !sumsToOne) {
        const s = weights.reduce((a, w) => a + w, 0);
        weights = weights.map((w) => w / s);
        sumsToOne = true;
      }
      return { clients: draws.map((i) => clients[i].id), aggregationWeights: weights, weightsSumToOne: sumsToOne };
    },
  };
}
