/**
 * Power-of-Choice (Cho, Wang & Joshi 2020/2022, "Client selection in federated learning:
 * convergence analysis and power-of-choice selection strategies", AISTATS 2022): draw a
 * candidate set of d clients without replacement with probability ∝ nₖ, then keep the k
 * candidates with the highest current local loss; their updates are averaged with equal
 * weights 1/k (the paper's update rule, since data size already entered the candidate draw).
 *
 * It deliberately biases selection towards high-loss clients: faster early convergence in
 * the paper's experiments, at the price of an aggregate that is NOT an unbiased estimate of
 * the full-participation update (the bias grows with d/k; d = k is plain ∝ nₖ sampling
 * without replacement). Clients whose `lastLoss` is unknown rank first (+∞), so every
 * client is tried before the losses steer; ties keep candidate draw order.
 */
import { ConfigError } from '../../errors.js';
import type { SeededRandom } from '../../engine/random.js';
import { canonicalClients, type ClientInfo, type ClientSampler, type Selection } from './sampler.js';
import { drawWithoutReplacement } from './weighted-draws.js';

export interface PowerOfChoiceOptions {
  /** d, the candidate-set size (k ≤ d ≤ available); clamped to the number available. */
  candidates: number;
}

export function powerOfChoiceSampler(options: PowerOfChoiceOptions): ClientSampler {
  const d = options?.candidates;
  if (!Number.isInteger(d) || d < 1) {
    throw new ConfigError(`powerOfChoiceSampler: candidates (d) must be an integer ≥ 1, got ${d}`);
  }
  return {
    name: `power-of-choice(d=${d})`,
    sample(round: number, available: readonly ClientInfo[], k: number, rng: SeededRandom): Selection {
      const clients = canonicalClients('powerOfChoiceSampler', round, available, k, false);
      if (d < k) {
        throw new ConfigError(`powerOfChoiceSampler: candidates d = ${d} is smaller than k = ${k}; need k ≤ d`);
      }
      const dEff = Math.min(d, clients.length);
      const candidates = drawWithoutReplacement(
        clients.map((c) => c.numExamples),
        dEff,
        rng,
      );
      const ranked = candidates
        .map((i, order) => ({ i, order, loss: clients[i].lastLoss ?? Number.POSITIVE_INFINITY }))
        .sort((a, b) => (b.loss === a.loss ? a.order - b.order : b.loss - a.loss));
      const picked = ranked.slice(0, k).map((r) => clients[r.i]);
      return {
        clients: picked.map((c) => c.id),
        aggregationWeights: picked.map(() => 1 / k),
        weightsSumToOne: true,
      };
    },
  };
}
