import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../../../src/errors.js';
import {
  DP_ACCOUNTING_ORDERS,
  OPACUS_ORDERS,
  PrivacyBudgetError,
  TF_PRIVACY_ORDERS,
  computeEpsilon,
  epsilonOfPhases,
  noiseMultiplierForEpsilon,
} from '../../../src/privacy/accounting/index.js';

test('RDP calibration round trip: ε of the returned noise meets the target from below', () => {
  for (const [epsilon, delta, sampleRate, steps] of [
    [8, 1e-5, 0.04, 2250],
    [1, 1e-6, 0.01, 5000],
    [3, 1e-5, 0.256, 100],
  ]) {
    const sigma = noiseMultiplierForEpsilon({ epsilon, delta, sampleRate, steps });
    const got = computeEpsilon({ sampleRate, noiseMultiplier: sigma, steps, delta }).epsilon;
    assert.ok(got <= epsilon && got > epsilon * (1 - 2e-3), `target ${epsilon}: σ=${sigma} gives ${got}`);
    // A slightly smaller noise misses the target: σ is (nearly) the smallest that works.
    const below = computeEpsilon({ sampleRate, noiseMultiplier: sigma * (1 - 1e-3), steps, delta }).epsilon;
    assert.ok(below > epsilon, `σ·(1 − 1e-3) gives ${below}`);
  }
});

test("Opacus get_noise_multiplier test: ε=8, δ=1e-5, q=0.04, 2000 steps → σ ≈ 1.3562", () => {
  const sigma = noiseMultiplierForEpsilon({ epsilon: 8, delta: 1e-5, sampleRate: 0.04, steps: 2000, orders: OPACUS_ORDERS });
  assert.ok(Math.abs(sigma - 1.3562) < 5e-5, `σ = ${sigma}`);
});

test('with the continuous order, calibration needs no more noise than with any published grid', () => {
  // The issue-19 example: at q = 0.001, 100 steps, δ = 1e-5, σ = 0.6 spends ε = 2.23331 at
  // order 5.205 (between the TF Privacy orders 5 and 6, where that grid gives 2.2886).
  const request = { epsilon: 2.24, delta: 1e-5, sampleRate: 0.001, steps: 100 };
  const continuous = noiseMultiplierForEpsilon(request);
  assert.ok(continuous < 0.6, `σ = ${continuous}`);
  for (const orders of [TF_PRIVACY_ORDERS, OPACUS_ORDERS, DP_ACCOUNTING_ORDERS]) {
    const grid = noiseMultiplierForEpsilon({ ...request, orders });
    // Both are the upper end of a bisection bracket of relative width 1e-4.
    assert.ok(continuous <= grid * (1 + 1e-4), `continuous σ ${continuous} vs grid σ ${grid}`);
  }
  assert.ok(noiseMultiplierForEpsilon({ ...request, orders: TF_PRIVACY_ORDERS }) > 0.6);
  for (const [epsilon, delta, sampleRate, steps] of [[8, 1e-5, 0.04, 2250], [1, 1e-6, 0.01, 5000], [50, 1e-5, 0.05, 1000]]) {
    const continuousSigma = noiseMultiplierForEpsilon({ epsilon, delta, sampleRate, steps });
    for (const orders of [TF_PRIVACY_ORDERS, OPACUS_ORDERS, DP_ACCOUNTING_ORDERS]) {
      const grid = noiseMultiplierForEpsilon({ epsilon, delta, sampleRate, steps, orders });
      assert.ok(continuousSigma <= grid * (1 + 1e-4), `ε = ${epsilon}: ${continuousSigma} vs ${grid}`);
    }
  }
});

test('PLD calibration round trip, and it needs less noise than RDP', () => {
  const request = { epsilon: 2, delta: 1e-5, sampleRate: 0.01, steps: 1000 };
  const pld = { discretisation: 1e-3 };
  const sigmaPld = noiseMultiplierForEpsilon({ ...request, accountant: 'pld', pld });
  const got = computeEpsilon({ ...request, noiseMultiplier: sigmaPld, accountant: 'pld', pld }).epsilon;
  assert.ok(got <= 2 && got > 1.99, `σ=${sigmaPld} gives ε=${got}`);
  const sigmaRdp = noiseMultiplierForEpsilon(request);
  assert.ok(sigmaPld < sigmaRdp, `PLD σ ${sigmaPld} vs RDP σ ${sigmaRdp}`);
});

test('an unreachable target raises PrivacyBudgetError with what to change', () => {
  // With orders up to 512, RDP cannot certify ε below ~(log(1/δ) − log 512)/511 ≈ 0.0104.
  assert.throws(
    () => noiseMultiplierForEpsilon({ epsilon: 0.005, delta: 1e-5, sampleRate: 0.01, steps: 1000, orders: TF_PRIVACY_ORDERS }),
    (e: unknown) => e instanceof PrivacyBudgetError && /cannot be met/.test(e.message) && /'pld'/.test(e.message),
  );
  // The continuous order reaches it (orders up to MAX_RDP_ORDER = 10,000) ...
  const sigma = noiseMultiplierForEpsilon({ epsilon: 0.005, delta: 1e-5, sampleRate: 0.01, steps: 1000 });
  const spent = computeEpsilon({ sampleRate: 0.01, noiseMultiplier: sigma, steps: 1000, delta: 1e-5 });
  assert.ok(spent.epsilon <= 0.005 && spent.epsilon > 0.00499 && spent.order! > 512, `σ = ${sigma}: ${JSON.stringify(spent)}`);
  // ... but not below (log(1/δ) − log α)/(α − 1) + log(1 − 1/α) at α = 10,000, about 1.3e-4.
  assert.throws(
    () => noiseMultiplierForEpsilon({ epsilon: 1e-4, delta: 1e-5, sampleRate: 0.01, steps: 1000 }),
    (e: unknown) => e instanceof PrivacyBudgetError && /largest order/.test(e.message),
  );
  assert.throws(
    () => noiseMultiplierForEpsilon({ epsilon: 1, delta: 1e-5, sampleRate: 0.5, steps: 100_000, maxNoiseMultiplier: 2 }),
    PrivacyBudgetError,
  );
});

test('trivial and invalid calibration requests', () => {
  assert.equal(noiseMultiplierForEpsilon({ epsilon: 1, delta: 1e-5, sampleRate: 0, steps: 100 }), 0);
  assert.equal(noiseMultiplierForEpsilon({ epsilon: 1, delta: 1e-5, sampleRate: 0.1, steps: 0 }), 0);
  assert.throws(() => noiseMultiplierForEpsilon({ epsilon: 0, delta: 1e-5, sampleRate: 0.1, steps: 10 }), (e: unknown) => e instanceof ConfigError && /epsilon/.test(e.message));
  assert.throws(() => noiseMultiplierForEpsilon({ epsilon: 1, delta: 0, sampleRate: 0.1, steps: 10 }), ConfigError);
  assert.throws(() => noiseMultiplierForEpsilon({ epsilon: 1, delta: 1e-5, sampleRate: 0.1, steps: 10, accountant: 'gdp' as never }), (e: unknown) => e instanceof ConfigError && /accountant/.test(e.message));
  assert.throws(() => computeEpsilon({ sampleRate: 2, noiseMultiplier: 1, steps: 10, delta: 1e-5 }), ConfigError);
});

test('computeEpsilon returns the shape the CLI prints', () => {
  const rdp = computeEpsilon({ sampleRate: 0.01, noiseMultiplier: 1, steps: 1000, delta: 1e-5 });
  assert.deepEqual(Object.keys(rdp).sort(), ['accountant', 'epsilon', 'order']);
  assert.equal(rdp.accountant, 'rdp');
  assert.ok(rdp.epsilon > 0 && Number.isFinite(rdp.order));
  const pld = computeEpsilon({ sampleRate: 0.01, noiseMultiplier: 1, steps: 1000, delta: 1e-5, accountant: 'pld', pld: { discretisation: 1e-3 } });
  assert.deepEqual(Object.keys(pld).sort(), ['accountant', 'epsilon']);
  assert.ok(pld.epsilon < rdp.epsilon);
  assert.deepEqual(
    JSON.parse(JSON.stringify(computeEpsilon({ sampleRate: 0.1, noiseMultiplier: 0, steps: 3, delta: 1e-5 }))),
    { epsilon: null, accountant: 'rdp' },
  );
  // Phases compose: two halves equal the whole.
  const whole = epsilonOfPhases({ phases: [{ sampleRate: 0.01, noiseMultiplier: 1, steps: 1000 }], delta: 1e-5 });
  const halves = epsilonOfPhases({
    phases: [
      { sampleRate: 0.01, noiseMultiplier: 1, steps: 400 },
      { sampleRate: 0.01, noiseMultiplier: 1, steps: 600 },
    ],
    delta: 1e-5,
  });
  assert.ok(Math.abs(whole.epsilon - halves.epsilon) < 1e-12);
});
