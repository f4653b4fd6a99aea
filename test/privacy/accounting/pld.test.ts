import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../../../src/errors.js';
import {
  PldAccountant,
  composePlds,
  deltaForEpsilon,
  discretiseSubsampledGaussian,
  epsilonForDelta,
  pldDelta,
  pldEpsilon,
} from '../../../src/privacy/accounting/pld.js';
import { gaussianMechanismDelta, gaussianMechanismEpsilon } from '../../../src/privacy/accounting/gaussian-mechanism.js';
import { DP_ACCOUNTING_ORDERS, epsilonFromRdp, rdpOfPhases } from '../../../src/privacy/accounting/rdp.js';

const rdpEpsilon = (q: number, sigma: number, steps: number, delta: number): number =>
  epsilonFromRdp(DP_ACCOUNTING_ORDERS, rdpOfPhases([{ sampleRate: q, noiseMultiplier: sigma, steps }], DP_ACCOUNTING_ORDERS), delta).epsilon;

test('Gaussian mechanism, one step: PLD ε is at or just above the exact ε, never below', () => {
  for (const [sigma, delta] of [
    [1, 1e-5],
    [2, 1e-5],
    [0.8, 1e-7],
    [5, 1e-3],
  ]) {
    const exact = gaussianMechanismEpsilon(delta, 1 / sigma);
    const pld = discretiseSubsampledGaussian(1, sigma, 'remove');
    const eps = epsilonForDelta(pld, delta);
    assert.ok(eps >= exact - 1e-12 && eps - exact < 0.01, `σ=${sigma}: PLD ${eps} vs exact ${exact}`);
    assert.ok(eps - exact < 1e-6, `σ=${sigma}: connect-the-dots should be within 1e-6, got ${eps - exact}`);
  }
});

test('Gaussian mechanism, k steps composed by FFT: within 0.01 of the tight value and never below', () => {
  // μ = √k/σ for k compositions. The steps are composed through composePlds (FFT powers), not
  // collapsed analytically, so this exercises the convolution.
  for (const [sigma, k, delta] of [
    [0.7, 2, 1e-5],
    [2, 10, 1e-6],
    [5, 100, 1e-5],
  ]) {
    const options = { discretisation: 1e-3, tailMass: 1e-17 };
    const step = discretiseSubsampledGaussian(1, sigma, 'remove', options);
    const composed = composePlds([{ pld: step, count: k }], options);
    const eps = epsilonForDelta(composed, delta);
    const exact = gaussianMechanismEpsilon(delta, Math.sqrt(k) / sigma);
    assert.ok(eps >= exact - 1e-12 && eps - exact < 0.01, `σ=${sigma} k=${k}: PLD ${eps} vs exact ${exact}`);
    // δ(ε) of the discrete PLD upper-bounds the exact curve wherever we look.
    for (const e of [0.25 * exact, 0.5 * exact, exact, 1.5 * exact]) {
      assert.ok(deltaForEpsilon(composed, e) >= gaussianMechanismDelta(e, Math.sqrt(k) / sigma) * (1 - 1e-9), `δ(${e})`);
    }
  }
});

test('heterogeneous composition: Gaussians with different σ compose to one with Σ 1/σ²', () => {
  const options = { discretisation: 1e-3, tailMass: 1e-17 };
  const a = discretiseSubsampledGaussian(1, 1, 'remove', options);
  const b = discretiseSubsampledGaussian(1, 2, 'remove', options);
  const composed = composePlds(
    [
      { pld: a, count: 3 },
      { pld: b, count: 5 },
    ],
    options,
  );
  const exact = gaussianMechanismEpsilon(1e-5, Math.sqrt(3 / 1 + 5 / 4));
  const eps = epsilonForDelta(composed, 1e-5);
  assert.ok(eps >= exact - 1e-12 && eps - exact < 1e-4, `PLD ${eps} vs exact ${exact}`);
});

test("dp_accounting PLD values published in TF Privacy's tests are reproduced", () => {
  // tensorflow_privacy compute_dp_sgd_privacy_test.py (PLDAccountant defaults: discretisation
  // 1e-4, pessimistic, add-or-remove adjacency), noise 0.7 (0.35 with microbatching), 1.2 epochs.
  const cases: [number, number, number, number, number, number][] = [
    // q, σ, steps, δ, published ε, tolerance (7 decimals printed, or 3 in the statement)
    [1, 0.7, 2, 1e-5, 10.1224946, 1e-6],
    [1, 0.35, 2, 1e-5, 24.7160779, 1e-6],
    [0.01, 0.7, 120, 1e-5, 2.4612381, 1e-6],
    [64 / 10000, 1.0, 782, 1e-6, 1.199, 5e-4],
    [1, 1.0, 5, 1e-6, 12.595, 5e-4],
  ];
  for (const [q, sigma, steps, delta, published, tolerance] of cases) {
    const { epsilon } = pldEpsilon([{ sampleRate: q, noiseMultiplier: sigma, steps }], delta);
    assert.ok(Math.abs(epsilon - published) < tolerance, `q=${q} σ=${sigma} T=${steps}: ${epsilon} vs ${published}`);
  }
});

test('PLD ε is below RDP ε in several DP-SGD settings', () => {
  for (const [q, sigma, steps, delta] of [
    [0.01, 1.0, 1000, 1e-5],
    [0.04, 1.5, 500, 1e-5],
    [0.1, 2.0, 100, 1e-6],
    [0.005, 0.8, 2000, 1e-5],
  ]) {
    const pld = pldEpsilon([{ sampleRate: q, noiseMultiplier: sigma, steps }], delta, { discretisation: 1e-3 }).epsilon;
    const rdp = rdpEpsilon(q, sigma, steps, delta);
    assert.ok(pld > 0 && pld < rdp, `q=${q} σ=${sigma} T=${steps}: PLD ${pld} vs RDP ${rdp}`);
  }
});

test('one discretised step is a valid, dominating pair: masses sum to 1, Q-mass ≤ 1', () => {
  for (const direction of ['remove', 'add'] as const) {
    for (const rounding of ['connect-dots', 'round-up'] as const) {
      const pld = discretiseSubsampledGaussian(0.05, 0.9, direction, { discretisation: 1e-3, rounding });
      let p = pld.infinityMass;
      let qMass = 0;
      pld.masses.forEach((m, i) => {
        assert.ok(m >= 0);
        p += m;
        qMass += m * Math.exp(-(pld.offset + i) * pld.discretisation);
      });
      assert.ok(Math.abs(p - 1) < 1e-12, `${direction}/${rounding}: total ${p}`);
      // Connect-the-dots keeps the Q-mass exactly; rounding up only loses some.
      assert.ok(qMass <= 1 + 1e-12, `${direction}/${rounding}: Q-mass ${qMass}`);
      if (rounding === 'connect-dots') assert.ok(qMass > 1 - 1e-12, `${direction}: Q-mass ${qMass}`);
    }
  }
});

test('rounding up is more pessimistic than connect-the-dots, and both bound the exact curve', () => {
  const phases = [{ sampleRate: 1, noiseMultiplier: 3, steps: 1 }];
  const dots = pldEpsilon(phases, 1e-5, { discretisation: 1e-2 }).epsilon;
  const up = pldEpsilon(phases, 1e-5, { discretisation: 1e-2, rounding: 'round-up' }).epsilon;
  const exact = gaussianMechanismEpsilon(1e-5, 1 / 3);
  assert.ok(exact <= dots + 1e-12 && dots <= up, `exact ${exact}, dots ${dots}, up ${up}`);
});

test('δ(ε) and ε(δ) are inverse, and the accountant equals the functional form', () => {
  const phases = [
    { sampleRate: 0.02, noiseMultiplier: 1.1, steps: 300 },
    { sampleRate: 0.05, noiseMultiplier: 2.0, steps: 100 },
  ];
  const options = { discretisation: 1e-3 };
  const { epsilon } = pldEpsilon(phases, 1e-6, options);
  const delta = pldDelta(phases, epsilon, options);
  assert.ok(Math.abs(delta - 1e-6) < 1e-9, `δ(ε(1e-6)) = ${delta}`);
  // Each phase alone is more private than both together.
  for (const p of phases) assert.ok(pldEpsilon([p], 1e-6, options).epsilon < epsilon);

  const accountant = new PldAccountant(options);
  for (let i = 0; i < 300; i++) accountant.step(1.1, 0.02);
  accountant.step(2.0, 0.05, 100);
  assert.equal(accountant.getEpsilon(1e-6).epsilon, epsilon);
  assert.ok(Math.abs(accountant.getDelta(epsilon) - delta) < 1e-15);
});

test('no-noise and no-sampling edge cases', () => {
  assert.equal(pldEpsilon([{ sampleRate: 0.1, noiseMultiplier: 0, steps: 5 }], 1e-5).epsilon, Infinity);
  assert.equal(pldDelta([{ sampleRate: 0.1, noiseMultiplier: 0, steps: 5 }], 3), 1);
  assert.equal(pldEpsilon([{ sampleRate: 0, noiseMultiplier: 1, steps: 5 }], 1e-5).epsilon, 0);
  assert.equal(pldEpsilon([], 1e-5).epsilon, 0);
  // A δ below the mass at +∞ cannot be met at any finite ε.
  const pld = { discretisation: 0.1, offset: 0, masses: new Float64Array([0.9]), infinityMass: 0.1 };
  assert.equal(epsilonForDelta(pld, 0.05), Infinity);
  assert.equal(epsilonForDelta(pld, 0.2), 0);
});

test('bad options raise ConfigError', () => {
  const phases = [{ sampleRate: 0.01, noiseMultiplier: 1, steps: 10 }];
  assert.throws(() => pldEpsilon(phases, 1e-5, { discretisation: 0 }), (e: unknown) => e instanceof ConfigError && /discretisation/.test(e.message));
  assert.throws(() => pldEpsilon(phases, 1e-5, { rounding: 'down' as never }), ConfigError);
  assert.throws(() => pldEpsilon(phases, 1e-5, { tailMass: 0.5 }), ConfigError);
  assert.throws(() => pldEpsilon(phases, 2), ConfigError);
  assert.throws(() => pldDelta(phases, -1), ConfigError);
  assert.throws(() => pldEpsilon([{ sampleRate: 0.01, noiseMultiplier: 1, steps: 1e6 }], 1e-5, { maxFftSize: 1024 }), (e: unknown) => e instanceof ConfigError && /discretisation/.test(e.message));
});
