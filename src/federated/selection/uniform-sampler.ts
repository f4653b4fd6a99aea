/**
 * Uniform sampling without replacement, FedAvg's default (McMahan et al. 2017): each round
 * k distinct clients are drawn uniformly, and their updates are averaged with weights
 * nₖ / Σ_{selected} n (renormalised over the selected clients).
 *
 * This is a ratio estimator of the full-participation update Σₖ (nₖ/N)·Δₖ: unbiased when all
 * clients hold the same number of examples, biased when sizes vary (the denominator is
 * random and correlated with which clients were drawn). The bias shrinks as k grows and
 * vanishes at k = M. Use `activitySampler(1)` for an unbiased alternative.
 */
import type { SeededRandom } from '../../engine/random.js';
import { canonicalClients, type ClientInfo, type ClientSampler, type Selection } from './sampler.js';

export function uniformSampler(): ClientSampler {
  return {
    name: 'uniform',
    sample(round: number, available: readonly ClientInfo[], k: number, rng: SeededRandom): Selection {
      const clients = canonicalClients('uniformSampler', round, available, k, false);
      // partial Fisher–Yates: the first k slots become a uniform k-subset, in draw order
      const order = clients.map((_, i) => i);
      for (let i = 0; i < k; i++) {
        const j = i + rng.int(order.length - i);
        const tmp = order[i];
        order[i] = order[j];
        order[j] = tmp;
      }
      const picked = order.slice(0, k).map((i) => clients[i]);
      const total = picked.reduce((s, c) => s + c.numExamples, 0);
      return {
        clients: picked.map((c) => c.id),
        aggregationWeights: picked.map((c) => c.numExamples / total),
        weightsSumToOne: true,
      };
    },
  };
}
