/**
 * Dirichlet samples by normalising Gamma draws. For concentrations below 1 the Gamma draw
 * G(a) = G(a + 1)·U^{1/a} underflows to 0 for small a (a = 0.01 and U = 0.5 give 2^{−100}·…),
 * and if every component underflows the normalisation divides 0 by 0; so the draws are
 * kept in log space and normalised with log-sum-exp.
 */
import type { SeededRandom } from '../../engine/random.js';

/** log of a Gamma(shape, 1) draw, stable for tiny shapes. */
function logGamma(shape: number, rng: SeededRandom): number {
  if (shape >= 1) return Math.log(rng.gamma(shape));
  const u = rng.next() || Number.MIN_VALUE;
  return Math.log(rng.gamma(shape + 1)) + Math.log(u) / shape;
}

/** One draw from Dir(α₁, …, α_k); the result sums to 1. */
export function sampleDirichlet(alphas: readonly number[], rng: SeededRandom): Float64Array {
  const k = alphas.length;
  const logs = new Float64Array(k);
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < k; i++) {
    logs[i] = logGamma(alphas[i], rng);
    if (logs[i] > max) max = logs[i];
  }
  const out = new Float64Array(k);
  let total = 0;
  for (let i = 0; i < k; i++) {
    out[i] = Math.exp(logs[i] - max);
    total += out[i];
  }
  for (let i = 0; i < k; i++) out[i] /= total;
  return out;
}

/** One draw from the symmetric Dir(α, …, α) over k components. */
export function sampleSymmetricDirichlet(alpha: number, k: number, rng: SeededRandom): Float64Array {
  return sampleDirichlet(new Array<number>(k).fill(alpha), rng);
}
