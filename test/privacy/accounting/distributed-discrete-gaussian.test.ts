/** Accounting of the distributed discrete Gaussian (Kairouz, Liu & Steinke 2021, Prop. 14): hand-worked values, the Gaussian limit, conversion and calibration. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  discreteGaussianSumTau,
  distributedDiscreteGaussianComposedEpsilon,
  distributedDiscreteGaussianEpsilon,
  distributedDiscreteGaussianShareSigma,
  gaussianMechanismEpsilon,
} from '../../../src/privacy/accounting/index.js';
import { ConfigError } from '../../../src/errors.js';

const close = (a: number, b: number, tol: number, what: string) => assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);

test('Prop. 14 by hand: σ = 1, n = 3, Δ = (1, 1) (the first branch), and n = 100, Δ = 1 (the second)', () => {
  // τ = 10·(e^{−2π²·1/2} + e^{−2π²·2/3}) = 10·(5.1773e-5 + 1.9318e-6) = 5.3650e-4
  const tau = 10 * (Math.exp(-(Math.PI ** 2)) + Math.exp((-4 * Math.PI ** 2) / 3));
  close(discreteGaussianSumTau(1, 3), tau, 1e-15, 'τ');
  close(tau, 0.000536503281, 1e-12, 'τ literal');
  // first: √(2/3 + ½·τ·2) = √0.6672032 = 0.8168251; second: √2/√3 + 2τ = 0.8164966 + 0.0010730 = 0.8175696
  const e = distributedDiscreteGaussianEpsilon({ shareSigma: 1, shares: 3, l1Sensitivity: 2, l2Sensitivity: Math.SQRT2 });
  close(e, 0.8168250547, 1e-9, 'ε (first branch)');
  // σ = 1, n = 100, Δ₁ = Δ₂ = 1: a = 1/√100 = 0.1, τ ≈ 10·Σ e^{−2π² k/(k+1)} (about 3e-6); the second branch a + τ wins
  const tau100 = discreteGaussianSumTau(1, 100);
  let naive = 0;
  for (let k = 1; k <= 99; k++) naive += Math.exp((-2 * Math.PI ** 2 * k) / (k + 1));
  close(tau100, 10 * naive, 1e-18, 'τ (n = 100)');
  const e100 = distributedDiscreteGaussianEpsilon({ shareSigma: 1, shares: 100, l1Sensitivity: 1, l2Sensitivity: 1 });
  close(e100, 0.1 + tau100, 1e-15, 'ε (second branch)');
  assert.ok(e100 < Math.sqrt(0.01 + 0.5 * tau100));
  // small σ with many shares: τ explodes (σ = 1/2, n = 100: τ = 9.70), the sum is far from one discrete Gaussian
  close(discreteGaussianSumTau(0.5, 100), 9.701158454, 1e-8, 'τ at σ = 1/2');
  close(distributedDiscreteGaussianEpsilon({ shareSigma: 0.5, shares: 100, l1Sensitivity: 8, l2Sensitivity: Math.sqrt(8) }), 6.254968730, 1e-8, 'ε at σ = 1/2');
  assert.throws(() => distributedDiscreteGaussianEpsilon({ shareSigma: 0.49, shares: 3, l1Sensitivity: 1, l2Sensitivity: 1 }), ConfigError);
  assert.throws(() => distributedDiscreteGaussianEpsilon({ shareSigma: 1, shares: 0, l1Sensitivity: 1, l2Sensitivity: 1 }), ConfigError);
});

test('Gaussian limit: for large share σ, τ vanishes and ρ = ‖Δ‖₂²/(2nσ²); (ε, δ) lies between the exact Gaussian profile and the zCDP closed form', () => {
  const release = { shareSigma: 5, shares: 10, l1Sensitivity: 8, l2Sensitivity: Math.sqrt(8) };
  assert.ok(discreteGaussianSumTau(5, 10) < 1e-100);
  close(distributedDiscreteGaussianEpsilon(release), Math.sqrt(8) / (Math.sqrt(10) * 5), 1e-15, 'ε → Δ₂/(√n σ)');
  const rounds = 17;
  const delta = 1e-6;
  const composed = distributedDiscreteGaussianComposedEpsilon(release, rounds, delta);
  const rho = (rounds * 8) / (2 * 10 * 25);
  close(composed.rho, rho, 1e-14, 'ρ');
  // exact profile of the same continuous Gaussian (μ = √R·Δ₂/(√n σ)) is tighter; Bun & Steinke's closed form is looser
  const exact = gaussianMechanismEpsilon(delta, Math.sqrt(rounds) * (Math.sqrt(8) / (Math.sqrt(10) * 5)));
  const closedForm = rho + 2 * Math.sqrt(rho * Math.log(1 / delta));
  assert.ok(exact < composed.epsilon && composed.epsilon < closedForm, `${exact} < ${composed.epsilon} < ${closedForm}`);
  // the order search against a naive dense grid of the same conversion (Balle et al. 2020)
  let best = Infinity;
  for (let alpha = 1.001; alpha < 2000; alpha *= 1.0005) {
    best = Math.min(best, alpha * rho + Math.log1p(-1 / alpha) - (Math.log(delta) + Math.log(alpha)) / (alpha - 1));
  }
  assert.ok(composed.epsilon <= best + 1e-12 && composed.epsilon > best - 1e-5, `${composed.epsilon} vs grid ${best}`);
});

test('calibration: the smallest share σ meeting (ε, δ), found by bisection', () => {
  const request = { epsilon: 4, delta: 1e-6, rounds: 17, shares: 1200, l1Sensitivity: 8, l2Sensitivity: Math.sqrt(8) };
  const sigma = distributedDiscreteGaussianShareSigma(request);
  const at = (s: number) => distributedDiscreteGaussianComposedEpsilon({ shareSigma: s, shares: 1200, l1Sensitivity: 8, l2Sensitivity: Math.sqrt(8) }, 17, 1e-6).epsilon;
  assert.ok(at(sigma) <= 4, `ε(σ) = ${at(sigma)}`);
  assert.ok(at(sigma * (1 - 1e-6)) > 4);
  assert.ok(sigma >= 0.5);
  // with many shares, τ forces each share near σ = 1 even though √n·σ is far above what a central Gaussian needs
  assert.ok(sigma > 0.6 && sigma < 1.5, `σ = ${sigma}`);
  // a budget met already at σ = 1/2 returns 1/2
  assert.equal(distributedDiscreteGaussianShareSigma({ ...request, epsilon: 1e4, shares: 2 }), 0.5);
  assert.throws(() => distributedDiscreteGaussianShareSigma({ ...request, epsilon: Infinity }), ConfigError);
});
