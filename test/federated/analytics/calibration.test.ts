/**
 * Noise calibration of the analytics against hand-worked numbers: the Gaussian privacy profile
 * (Balle & Wang 2018) at μ = 1, the exact composition of R full-participation rounds, the zCDP
 * closed form, and the RDP accountant for sampled rounds.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  calibrateRounds,
  composedGaussianEpsilon,
  composedGaussianNoiseMultiplier,
  gaussianMuForBudget,
  zcdpNoiseMultiplier,
} from '../../../src/federated/analytics/index.js';
import { computeEpsilon } from '../../../src/privacy/index.js';

// Hand-worked: μ = 1, ε = 0.5: δ = Φ(−0.5 + 0.5) − e^0.5 Φ(−0.5 − 0.5) = 0.5 − 1.6487213 × 0.1586553 = 0.2384217.
const HAND_DELTA = 0.5 - Math.exp(0.5) * 0.15865525393145705;

test('one Gaussian release: the calibrated μ* reproduces the hand-worked profile point (μ = 1 at ε = 0.5, δ = 0.23842)', () => {
  assert.ok(Math.abs(HAND_DELTA - 0.2384217) < 1e-6);
  assert.ok(Math.abs(gaussianMuForBudget(0.5, HAND_DELTA) - 1) < 1e-6);
  assert.ok(Math.abs(composedGaussianNoiseMultiplier(0.5, HAND_DELTA, 1) - 1) < 1e-6);
  // R rounds at full participation compose to μ = √R/σ: four rounds need σ = 2 for the same budget.
  assert.ok(Math.abs(composedGaussianNoiseMultiplier(0.5, HAND_DELTA, 4) - 2) < 1e-6);
  assert.ok(Math.abs(composedGaussianEpsilon(2, HAND_DELTA, 4) - 0.5) < 1e-6);
});

test('zCDP closed form by hand (ε = 4, δ = 1e-6, 8 rounds → σ = 3.9689), and the exact profile needs less noise', () => {
  // ln(1e6) = 13.815511; √(17.815511) = 4.220843; √13.815511 = 3.716922; ρ = 0.503921² = 0.253936; σ = √(8 / 0.507872) = 3.96890.
  const zcdp = zcdpNoiseMultiplier(4, 1e-6, 8);
  assert.ok(Math.abs(zcdp - 3.9689) < 1e-3, `σ = ${zcdp}`);
  const exact = composedGaussianNoiseMultiplier(4, 1e-6, 8);
  assert.ok(exact < zcdp && exact > 0.7 * zcdp, `exact σ = ${exact}`);
  assert.ok(Math.abs(composedGaussianEpsilon(exact, 1e-6, 8) - 4) < 1e-6);
  // The RDP accountant at q = 1 agrees with both within its looseness: ε(σ_exact) ≥ 4 ≥ ε(σ_zCDP) - slack.
  const rdpAtExact = computeEpsilon({ sampleRate: 1, noiseMultiplier: exact, steps: 8, delta: 1e-6 }).epsilon;
  const rdpAtZcdp = computeEpsilon({ sampleRate: 1, noiseMultiplier: zcdp, steps: 8, delta: 1e-6 }).epsilon;
  assert.ok(rdpAtExact >= 4 - 1e-9, `RDP ε at the exact σ = ${rdpAtExact}`);
  assert.ok(rdpAtZcdp <= 4 + 1e-9, `RDP ε at the zCDP σ = ${rdpAtZcdp}`);
});

test('calibrateRounds: exact at q = 1, the RDP accountant below, no noise at ε = ∞, bad budgets rejected', () => {
  const full = calibrateRounds({ epsilon: 4, delta: 1e-6, rounds: 8 });
  assert.equal(full.accountant, 'exact Gaussian composition');
  assert.equal(full.noiseMultiplier, composedGaussianNoiseMultiplier(4, 1e-6, 8));
  const sampled = calibrateRounds({ epsilon: 4, delta: 1e-6, rounds: 8, sampleRate: 0.1 });
  assert.equal(sampled.accountant, 'RDP of the sampled Gaussian');
  const eps = computeEpsilon({ sampleRate: 0.1, noiseMultiplier: sampled.noiseMultiplier, steps: 8, delta: 1e-6 }).epsilon;
  assert.ok(eps <= 4 && eps > 3.99, `ε = ${eps}`);
  assert.ok(sampled.noiseMultiplier < full.noiseMultiplier);
  assert.equal(calibrateRounds({ epsilon: Infinity, delta: 1e-6, rounds: 8 }).noiseMultiplier, 0);
  assert.throws(() => calibrateRounds({ epsilon: 0, delta: 1e-6, rounds: 8 }), /epsilon must be/);
  assert.throws(() => calibrateRounds({ epsilon: 1, delta: 1, rounds: 8 }), /delta must be in/);
  assert.throws(() => calibrateRounds({ epsilon: 1, delta: 1e-6, rounds: 8, sampleRate: 0 }), /sampling rate/);
});
