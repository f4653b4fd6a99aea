/**
 * Privacy of the distributed discrete Gaussian: n devices each add an independent N_Z(0, σ²)
 * share to every coordinate of an integer vector, and only the sum is revealed (secure
 * aggregation). The sum of discrete Gaussians is not a discrete Gaussian; Kairouz, Liu &
 * Steinke ("The Distributed Discrete Gaussian Mechanism for Federated Learning with Secure
 * Aggregation", ICML 2021, arXiv 2102.06387, Proposition 14) bound it: for σ ≥ 1/2 and any
 * sensitivity vector Δ ∈ Z^d, the sum is ½ε²-concentrated DP (Rényi divergence of order α at
 * most α·ε²/2 for every α ≥ 1) with
 *   ε = min( √(‖Δ‖₂²/(nσ²) + ½·τ·‖Δ‖₁),  ‖Δ‖₂/(√n·σ) + τ·‖Δ‖₁ ),
 *   τ = 10 · Σ_{k=1}^{n−1} exp(−2π²σ²·k/(k+1)).
 * (The statement as used here; see docs/federated-open-problems.md for which text it was
 * checked against.) τ measures how far the sum of n discrete Gaussians is from one discrete
 * Gaussian of variance nσ²; it vanishes quickly as σ grows (exp(−2π²σ²) ≈ 2.7·10⁻⁹ at σ = 1)
 * and then ε → ‖Δ‖₂/(√n σ): the continuous Gaussian's ρ = Δ²/(2nσ²).
 *
 * R releases compose by adding ρ (zCDP composition, Bun & Steinke 2016, adaptive); ρ-zCDP is
 * RDP α ↦ αρ, converted to (ε, δ) by the accountant's conversion (Balle et al. 2020, Thm. 21,
 * rdp.ts) at the best order.
 */
import { ConfigError } from '../../errors.js';
import { epsilonFromRdpCurve } from './rdp.js';

export interface DistributedDiscreteGaussianRelease {
  /** σ of each device's share (≥ 1/2). */
  shareSigma: number;
  /** n: the number of shares in the revealed sum (use the fewest the protocol ever reveals). */
  shares: number;
  /** ‖Δ‖₁ and ‖Δ‖₂ of one device's contribution (integers: ‖Δ‖₁ ≥ ‖Δ‖₂ when both are whole vectors). */
  l1Sensitivity: number;
  l2Sensitivity: number;
}

function check(release: DistributedDiscreteGaussianRelease): void {
  const { shareSigma, shares, l1Sensitivity, l2Sensitivity } = release;
  if (!(shareSigma >= 0.5) || !Number.isFinite(shareSigma)) throw new ConfigError(`distributed discrete Gaussian: each share's σ must be a finite number ≥ 1/2 (Kairouz, Liu & Steinke's bound needs it), got ${shareSigma}`);
  if (!Number.isInteger(shares) || shares < 1) throw new ConfigError(`distributed discrete Gaussian: the number of shares must be an integer ≥ 1, got ${shares}`);
  if (!(l1Sensitivity >= 0) || !Number.isFinite(l1Sensitivity) || !(l2Sensitivity >= 0) || !Number.isFinite(l2Sensitivity)) {
    throw new ConfigError(`distributed discrete Gaussian: sensitivities must be finite numbers ≥ 0, got L1 ${l1Sensitivity}, L2 ${l2Sensitivity}`);
  }
}

/** τ = 10 · Σ_{k=1}^{n−1} exp(−2π²σ²·k/(k+1)). */
export function discreteGaussianSumTau(shareSigma: number, shares: number): number {
  let sum = 0;
  const c = 2 * Math.PI * Math.PI * shareSigma * shareSigma;
  for (let k = 1; k < shares; k++) sum += Math.exp((-c * k) / (k + 1));
  return 10 * sum;
}

/** The ε of Proposition 14: the sum is ½ε²-zCDP. */
export function distributedDiscreteGaussianEpsilon(release: DistributedDiscreteGaussianRelease): number {
  check(release);
  const { shareSigma, shares, l1Sensitivity, l2Sensitivity } = release;
  const tau = discreteGaussianSumTau(shareSigma, shares);
  const variance = shares * shareSigma * shareSigma;
  const first = Math.sqrt((l2Sensitivity * l2Sensitivity) / variance + 0.5 * tau * l1Sensitivity);
  const second = l2Sensitivity / Math.sqrt(variance) + tau * l1Sensitivity;
  return Math.min(first, second);
}

/** ρ of one release: ½ε². */
export function distributedDiscreteGaussianRho(release: DistributedDiscreteGaussianRelease): number {
  return 0.5 * distributedDiscreteGaussianEpsilon(release) ** 2;
}

/** (ε, δ) of `rounds` such releases (ρ adds up), by the RDP accountant's conversion. */
export function distributedDiscreteGaussianComposedEpsilon(release: DistributedDiscreteGaussianRelease, rounds: number, delta: number): { epsilon: number; rho: number; order: number } {
  if (!Number.isInteger(rounds) || rounds < 1) throw new ConfigError(`rounds must be an integer ≥ 1, got ${rounds}`);
  const rho = rounds * distributedDiscreteGaussianRho(release);
  const { epsilon, order } = epsilonFromRdpCurve((alpha) => alpha * rho, delta);
  return { epsilon, rho, order };
}

/**
 * The smallest share σ (≥ 1/2) for which `rounds` releases meet (ε, δ), by bisection on σ
 * (ε falls as σ grows) to a relative precision of 1e-9; the answer always meets the budget.
 */
export function distributedDiscreteGaussianShareSigma(request: { epsilon: number; delta: number; rounds: number; shares: number; l1Sensitivity: number; l2Sensitivity: number }): number {
  const { epsilon, delta, rounds, shares, l1Sensitivity, l2Sensitivity } = request;
  if (!(epsilon > 0) || !Number.isFinite(epsilon)) throw new ConfigError(`epsilon must be a finite number > 0, got ${epsilon}`);
  const epsilonAt = (shareSigma: number) => distributedDiscreteGaussianComposedEpsilon({ shareSigma, shares, l1Sensitivity, l2Sensitivity }, rounds, delta).epsilon;
  let lo = 0.5;
  if (epsilonAt(lo) <= epsilon) return lo;
  let hi = 1;
  while (epsilonAt(hi) > epsilon) {
    lo = hi;
    hi *= 2;
    if (hi > 1e9) throw new ConfigError(`no share σ up to 1e9 reaches ε = ${epsilon} at δ = ${delta}; raise the budget`);
  }
  for (let i = 0; i < 200 && hi - lo > 1e-9 * hi; i++) {
    const mid = 0.5 * (lo + hi);
    if (epsilonAt(mid) <= epsilon) hi = mid;
    else lo = mid;
  }
  return hi;
}
