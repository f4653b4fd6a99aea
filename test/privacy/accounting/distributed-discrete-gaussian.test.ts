/** Accounting of the distributed discrete Gaussian (Kairouz, Liu & Steinke 2021, Prop. 14): hand-worked values, the Gaussian limit, conversion and calibration. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  discreteGaussianSumTau,
  distributedDiscreteGaussianComposedEpsilon,
  distributedDiscreteGaussianRdp,
  distributedDiscreteGaussianShareSigma,
  gaussianMechanismEpsilon,
} from '../../../src/privacy/accounting/index.js';
import { ConfigError } from '../../../src/errors.js';

const close = (a: number, b: number, tol: number, what: string) => assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);

test('Prop. 14 by hand: σ = 1, n = 3, Δ = (1, 1), d = 2, and the term that wins as d grows', () => {
  // τ = 10·(e^{−2π²·1/2} + e^{−2π²·2/3}) = 10·(5.1773e-5 + 1.9318e-6) = 5.3650e-4
  const tau = 10 * (Math.exp(-(Math.PI ** 2)) + Math.exp((-4 * Math.PI ** 2) / 3));
  close(discreteGaussianSumTau(1, 3), tau, 1e-15, 'τ');
  close(tau, 0.000536503281, 1e-12, 'τ literal');
  // a₂ = √2/√3, a₁ = 2/√3; at α = 2:
  //   first  = a₂² + τ·d                 = 0.6666667 + 0.0010730 = 0.6677397
  //   second = a₂² + 2·a₁·τ + τ²·d       = 0.6666667 + 0.0012390 + 5.76e-7 = 0.6679062
  //   third  = (a₂ + √2·τ)²              = (0.8164966 + 0.0007587)² = 0.6679056
  const release = { shareSigma: 1, shares: 3, l1Sensitivity: 2, l2Sensitivity: Math.SQRT2, dimension: 2 };
  const a2 = Math.SQRT2 / Math.sqrt(3);
  const a1 = 2 / Math.sqrt(3);
  const first = a2 * a2 + tau * 2;
  const second = a2 * a2 + 2 * a1 * tau + tau * tau * 2;
  const third = (a2 + Math.SQRT2 * tau) ** 2;
  close(first, 0.6677397, 1e-7, 'first term literal');
  close(distributedDiscreteGaussianRdp(release, 2), Math.min(first, second, third), 1e-15, 'RDP at α = 2');
  assert.equal(Math.min(first, second, third), first);
  // at a large order the τ·d term (not multiplied by α) makes the first term the smallest; at α = 1 too
  close(distributedDiscreteGaussianRdp(release, 1), Math.min(a2 * a2 / 2 + 2 * tau, (a2 * a2 + 2 * a1 * tau + 2 * tau * tau) / 2, (a2 + Math.SQRT2 * tau) ** 2 / 2), 1e-15, 'α = 1');
  // a long vector (d = 10⁴) at σ = 1/2, n = 100: τ = 9.70, the sum is far from one discrete Gaussian and
  // every term is large (the bound then says little: share σ must grow)
  close(discreteGaussianSumTau(0.5, 100), 9.701158454, 1e-8, 'τ at σ = 1/2');
  assert.ok(distributedDiscreteGaussianRdp({ shareSigma: 0.5, shares: 100, l1Sensitivity: 8, l2Sensitivity: Math.sqrt(8), dimension: 10_000 }, 2) > 1e4);
  assert.throws(() => distributedDiscreteGaussianRdp({ ...release, shareSigma: 0.49 }, 2), ConfigError);
  assert.throws(() => distributedDiscreteGaussianRdp({ ...release, shares: 0 }, 2), ConfigError);
  assert.throws(() => distributedDiscreteGaussianRdp({ ...release, dimension: 0 }, 2), ConfigError);
  assert.throws(() => distributedDiscreteGaussianRdp(release, 0.5), ConfigError);
});

test('Gaussian limit: for large share σ, τ vanishes and D_α = α‖Δ‖₂²/(2nσ²); (ε, δ) lies between the exact Gaussian profile and the zCDP closed form', () => {
  const release = { shareSigma: 5, shares: 10, l1Sensitivity: 8, l2Sensitivity: Math.sqrt(8), dimension: 5000 };
  assert.ok(discreteGaussianSumTau(5, 10) < 1e-100);
  const rho = 8 / (2 * 10 * 25);
  close(distributedDiscreteGaussianRdp(release, 3), 3 * rho, 1e-15, 'D_3 → 3ρ');
  const rounds = 17;
  const delta = 1e-6;
  const composed = distributedDiscreteGaussianComposedEpsilon(release, rounds, delta);
  const totalRho = rounds * rho;
  // exact profile of the same continuous Gaussian (μ = √R·Δ₂/(√n σ)) is tighter; Bun & Steinke's closed form is looser
  const exact = gaussianMechanismEpsilon(delta, Math.sqrt(rounds) * (Math.sqrt(8) / (Math.sqrt(10) * 5)));
  const closedForm = totalRho + 2 * Math.sqrt(totalRho * Math.log(1 / delta));
  assert.ok(exact < composed.epsilon && composed.epsilon < closedForm, `${exact} < ${composed.epsilon} < ${closedForm}`);
  // the order search against a naive dense grid of the same conversion (Balle et al. 2020)
  let best = Infinity;
  for (let alpha = 1.001; alpha < 2000; alpha *= 1.0005) {
    best = Math.min(best, alpha * totalRho + Math.log1p(-1 / alpha) - (Math.log(delta) + Math.log(alpha)) / (alpha - 1));
  }
  assert.ok(composed.epsilon <= best + 1e-12 && composed.epsilon > best - 1e-5, `${composed.epsilon} vs grid ${best}`);
});

test('calibration: the smallest share σ meeting (ε, δ), found by bisection; longer vectors need larger shares', () => {
  const request = { epsilon: 4, delta: 1e-6, rounds: 17, shares: 1200, l1Sensitivity: 8, l2Sensitivity: Math.sqrt(8), dimension: 7168 };
  const sigma = distributedDiscreteGaussianShareSigma(request);
  const at = (s: number, dimension = 7168) => distributedDiscreteGaussianComposedEpsilon({ shareSigma: s, shares: 1200, l1Sensitivity: 8, l2Sensitivity: Math.sqrt(8), dimension }, 17, 1e-6).epsilon;
  assert.ok(at(sigma) <= 4, `ε(σ) = ${at(sigma)}`);
  assert.ok(at(sigma * (1 - 1e-6)) > 4);
  assert.ok(sigma >= 0.5);
  // with many shares, τ·d forces each share to about σ = 1 even though √n·σ is far above what a central Gaussian needs
  assert.ok(sigma > 0.8 && sigma < 1.5, `σ = ${sigma}`);
  const short = distributedDiscreteGaussianShareSigma({ ...request, dimension: 10 });
  assert.ok(short < sigma, `d = 10: σ ${short} < d = 7168: σ ${sigma}`);
  assert.ok(at(sigma, 10) < at(sigma), 'ε grows with d at a fixed σ');
  // a budget met already at σ = 1/2 returns 1/2
  assert.equal(distributedDiscreteGaussianShareSigma({ ...request, epsilon: 1e4, shares: 2, dimension: 1 }), 0.5);
  assert.throws(() => distributedDiscreteGaussianShareSigma({ ...request, epsilon: Infinity }), ConfigError);
});
