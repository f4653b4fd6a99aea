/**
 * How much Gaussian noise the analytics add, and the (ε, δ) it buys. Every release here is a
 * sum over users in which one user moves the vector by at most Δ in L2 norm (add/remove one
 * user), plus N(0, σ²Δ²) per coordinate; σ is the noise multiplier.
 *
 * - One release, or R releases with every user taking part (sampling rate 1): R Gaussian
 *   mechanisms with multiplier σ compose exactly into one Gaussian mechanism with
 *   μ = √R / σ (Dong, Roth & Su 2022, Gaussian differential privacy, Cor. 3.3), whose exact
 *   privacy profile is Balle & Wang (2018, Thm. 8):
 *     δ(ε) = Φ(−ε/μ + μ/2) − e^ε Φ(−ε/μ − μ/2).
 *   Calibration: μ* = the largest μ with δ(ε) ≤ δ (bisection; δ(ε) grows with μ), σ = √R / μ*.
 * - R releases on a Poisson sample of rate q < 1 per round: the sampled Gaussian's RDP
 *   (Mironov, Talwar & Zhang 2019) composed over R rounds and converted with Balle et al.
 *   (2020), i.e. the project's accountant (privacy/accounting), σ by its bisection.
 * - zCDP (Bun & Steinke 2016) gives a closed form, kept as a checkable reference: R Gaussian
 *   releases are ρ-zCDP with ρ = R / (2σ²), and ρ-zCDP implies (ρ + 2√(ρ ln(1/δ)), δ)-DP, so
 *   σ = √(R / 2ρ) with √ρ = √(ln(1/δ) + ε) − √(ln(1/δ)). It is looser than the exact profile
 *   (more noise for the same ε), never used to release, only to check the others against.
 */
import { ConfigError } from '../../errors.js';
import { gaussianMechanismDelta, gaussianMechanismEpsilon, noiseMultiplierForEpsilon } from '../../privacy/index.js';

function checkBudget(epsilon: number, delta: number): void {
  if (!(epsilon > 0) || Number.isNaN(epsilon)) throw new ConfigError(`epsilon must be a number > 0 (or Infinity for no noise), got ${epsilon}`);
  if (!(delta > 0 && delta < 1)) throw new ConfigError(`delta must be in (0, 1), got ${delta}`);
}

function checkRounds(rounds: number): void {
  if (!Number.isInteger(rounds) || rounds < 1) throw new ConfigError(`rounds must be an integer ≥ 1, got ${rounds}`);
}

/** μ*: the largest μ = Δ/σ whose single Gaussian release is (ε, δ)-DP (relative precision 1e-10). */
export function gaussianMuForBudget(epsilon: number, delta: number): number {
  checkBudget(epsilon, delta);
  if (!Number.isFinite(epsilon)) return Infinity;
  let lo = 0;
  let hi = 1;
  while (gaussianMechanismDelta(epsilon, hi) <= delta) {
    lo = hi;
    hi *= 2;
    if (hi > 1e6) return hi;
  }
  for (let i = 0; i < 200 && hi - lo > 1e-10 * hi; i++) {
    const mid = 0.5 * (lo + hi);
    if (gaussianMechanismDelta(epsilon, mid) <= delta) lo = mid;
    else hi = mid;
  }
  return lo;
}

/** σ for R full-participation Gaussian releases meeting (ε, δ) exactly: σ = √R / μ*. */
export function composedGaussianNoiseMultiplier(epsilon: number, delta: number, rounds = 1): number {
  checkRounds(rounds);
  const mu = gaussianMuForBudget(epsilon, delta);
  return Number.isFinite(mu) ? Math.sqrt(rounds) / mu : 0;
}

/** The zCDP closed form (a looser reference; see the header). */
export function zcdpNoiseMultiplier(epsilon: number, delta: number, rounds = 1): number {
  checkBudget(epsilon, delta);
  checkRounds(rounds);
  if (!Number.isFinite(epsilon)) return 0;
  const log = Math.log(1 / delta);
  const rho = (Math.sqrt(log + epsilon) - Math.sqrt(log)) ** 2;
  return Math.sqrt(rounds / (2 * rho));
}

/** ε of R full-participation Gaussian releases with multiplier σ at δ (exact profile). */
export function composedGaussianEpsilon(noiseMultiplier: number, delta: number, rounds = 1): number {
  checkRounds(rounds);
  if (!(noiseMultiplier > 0)) return Infinity;
  return gaussianMechanismEpsilon(delta, Math.sqrt(rounds) / noiseMultiplier);
}

export type AnalyticsAccountant = 'none (epsilon = Infinity)' | 'exact Gaussian composition' | 'RDP of the sampled Gaussian' | 'none (distributed noise)';

export interface RoundsPrivacy {
  /** σ: noise std per coordinate in units of the L2 sensitivity Δ. */
  noiseMultiplier: number;
  epsilon: number;
  delta: number;
  rounds: number;
  sampleRate: number;
  accountant: AnalyticsAccountant;
}

/** σ for R rounds of Gaussian releases at sampling rate q meeting (ε, δ); σ = 0 at ε = ∞. */
export function calibrateRounds(request: { epsilon: number; delta: number; rounds: number; sampleRate?: number }): RoundsPrivacy {
  const { epsilon, delta, rounds } = request;
  const sampleRate = request.sampleRate ?? 1;
  checkBudget(epsilon, delta);
  checkRounds(rounds);
  if (!(sampleRate > 0 && sampleRate <= 1)) throw new ConfigError(`sampling rate must be in (0, 1], got ${sampleRate}`);
  const base = { epsilon, delta, rounds, sampleRate };
  if (!Number.isFinite(epsilon)) return { ...base, noiseMultiplier: 0, accountant: 'none (epsilon = Infinity)' };
  if (sampleRate === 1) return { ...base, noiseMultiplier: composedGaussianNoiseMultiplier(epsilon, delta, rounds), accountant: 'exact Gaussian composition' };
  const noiseMultiplier = noiseMultiplierForEpsilon({ epsilon, delta, sampleRate, steps: rounds, accountant: 'rdp' });
  return { ...base, noiseMultiplier, accountant: 'RDP of the sampled Gaussian' };
}
