/**
 * Exact privacy profile of the (non-subsampled) Gaussian mechanism, Balle & Wang (2018),
 * "Improving the Gaussian Mechanism for Differential Privacy", Theorem 8:
 *   δ(ε) = Φ(−ε/μ + μ/2) − e^ε Φ(−ε/μ − μ/2),   μ = sensitivity / σ.
 * k compositions of a Gaussian with noise multiplier σ are one Gaussian with μ = √k / σ.
 * Used as the tight reference for the PLD accountant.
 */
import { ConfigError } from '../../errors.js';
import { logNormalCdf, normalCdf } from './special-functions.js';

function checkMu(mu: number): void {
  if (!(mu > 0) || !Number.isFinite(mu)) {
    throw new ConfigError(`mu (sensitivity / noise) must be a finite number > 0; got ${mu}.`);
  }
}

/** δ(ε) of the Gaussian mechanism with μ = sensitivity/σ (tight, both adjacency directions). */
export function gaussianMechanismDelta(epsilon: number, mu: number): number {
  checkMu(mu);
  if (Number.isNaN(epsilon)) throw new ConfigError('epsilon must be a number; got NaN.');
  const a = -epsilon / mu + mu / 2;
  const b = -epsilon / mu - mu / 2;
  const delta = normalCdf(a) - Math.exp(epsilon + logNormalCdf(b));
  return Math.max(0, delta);
}

/** The smallest ε with δ(ε) ≤ delta for the Gaussian mechanism, by bisection. */
export function gaussianMechanismEpsilon(delta: number, mu: number): number {
  checkMu(mu);
  if (!(delta > 0 && delta < 1)) throw new ConfigError(`delta must be in (0, 1); got ${delta}.`);
  if (gaussianMechanismDelta(0, mu) <= delta) return 0;
  let lo = 0;
  let hi = 1;
  while (gaussianMechanismDelta(hi, mu) > delta) {
    lo = hi;
    hi *= 2;
  }
  for (let i = 0; i < 200 && hi - lo > 1e-15 * hi; i++) {
    const mid = 0.5 * (lo + hi);
    if (gaussianMechanismDelta(mid, mu) > delta) lo = mid;
    else hi = mid;
  }
  return hi;
}
