/**
 * Privacy of the distributed discrete Gaussian: n devices each add an independent N_Z(0, σ²)
 * share to every coordinate of an integer vector of length d, and only the sum is revealed
 * (secure aggregation). The sum of discrete Gaussians is not a discrete Gaussian; Kairouz, Liu
 * & Steinke ("The Distributed Discrete Gaussian Mechanism for Federated Learning with Secure
 * Aggregation", ICML 2021, arXiv 2102.06387, Proposition 14) bound its Rényi divergence: for
 * σ ≥ 1/2, sensitivities ‖Δ‖₁, ‖Δ‖₂ and every order α ≥ 1, with a₂ = ‖Δ‖₂/(√n σ),
 * a₁ = ‖Δ‖₁/(√n σ) and τ = 10 · Σ_{k=1}^{n−1} exp(−2π²σ²·k/(k+1)),
 *   D_α ≤ min( α/2·a₂² + τ·d,  α/2·(a₂² + 2·a₁·τ + τ²·d),  α/2·(a₂ + √d·τ)² ).
 * The statement as used here is the three-term form of the authors' own accountant
 * (google-research/federated, distributed_dp, compute_rdp_dgaussian, which cites Prop. 14);
 * see docs/federated-open-problems.md. τ measures how far the sum of n discrete Gaussians is
 * from one discrete Gaussian of variance nσ²; it vanishes quickly as σ grows (exp(−2π²σ²) ≈
 * 2.7·10⁻⁹ at σ = 1), and then D_α → α·a₂²/2: the continuous Gaussian's ρ = Δ²/(2nσ²). The τ·d
 * terms grow with the vector's length d, so long vectors need larger shares.
 *
 * R releases compose by adding their RDP curves; the curve is converted to (ε, δ) by the
 * accountant's conversion (Balle et al. 2020, Thm. 21, rdp.ts) at the best order.
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
  /** d: the length of the summed vector (the largest any release of the task has). */
  dimension: number;
}

function check(release: DistributedDiscreteGaussianRelease): void {
  const { shareSigma, shares, l1Sensitivity, l2Sensitivity, dimension } = release;
  if (!Number.isInteger(dimension) || dimension < 1) throw new ConfigError(`distributed discrete Gaussian: the vector length must be an integer ≥ 1, got ${dimension}`);
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

/** Proposition 14's bound on the Rényi divergence of order α ≥ 1 of one release. */
export function distributedDiscreteGaussianRdp(release: DistributedDiscreteGaussianRelease, alpha: number): number {
  check(release);
  if (!(alpha >= 1)) throw new ConfigError(`the Rényi order must be ≥ 1, got ${alpha}`);
  const { shareSigma, shares, l1Sensitivity, l2Sensitivity, dimension } = release;
  const tau = discreteGaussianSumTau(shareSigma, shares);
  const scale = Math.sqrt(shares) * shareSigma;
  const a2 = l2Sensitivity / scale;
  const a1 = l1Sensitivity / scale;
  const first = (alpha / 2) * a2 * a2 + tau * dimension;
  const second = (alpha / 2) * (a2 * a2 + 2 * a1 * tau + tau * tau * dimension);
  const third = (alpha / 2) * (a2 + Math.sqrt(dimension) * tau) ** 2;
  return Math.min(first, second, third);
}

/** (ε, δ) of `rounds` such releases (their RDP curves add up), by the RDP accountant's conversion at the best order. */
export function distributedDiscreteGaussianComposedEpsilon(release: DistributedDiscreteGaussianRelease, rounds: number, delta: number): { epsilon: number; order: number } {
  if (!Number.isInteger(rounds) || rounds < 1) throw new ConfigError(`rounds must be an integer ≥ 1, got ${rounds}`);
  check(release);
  return epsilonFromRdpCurve((alpha) => rounds * distributedDiscreteGaussianRdp(release, alpha), delta);
}

/**
 * The smallest share σ (≥ 1/2) for which `rounds` releases meet (ε, δ), by bisection on σ
 * (ε falls as σ grows) to a relative precision of 1e-9; the answer always meets the budget.
 */
export function distributedDiscreteGaussianShareSigma(request: { epsilon: number; delta: number; rounds: number; shares: number; l1Sensitivity: number; l2Sensitivity: number; dimension: number }): number {
  const { epsilon, delta, rounds, shares, l1Sensitivity, l2Sensitivity, dimension } = request;
  if (!(epsilon > 0) || !Number.isFinite(epsilon)) throw new ConfigError(`epsilon must be a finite number > 0, got ${epsilon}`);
  const epsilonAt = (shareSigma: number) => distributedDiscreteGaussianComposedEpsilon({ shareSigma, shares, l1Sensitivity, l2Sensitivity, dimension }, rounds, delta).epsilon;
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
