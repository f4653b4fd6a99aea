import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../../../src/errors.js';
import { rdpByQuadrature } from './rdp-by-quadrature.js';
import {
  DEFAULT_RDP_ORDERS,
  DP_ACCOUNTING_ORDERS,
  OPACUS_ORDERS,
  RdpAccountant,
  TF_PRIVACY_ORDERS,
  deltaFromRdp,
  epsilonFromRdp,
  rdpOfPhases,
  rdpSampledGaussian,
} from '../../../src/privacy/accounting/rdp.js';

function assertRelative(actual: number, expected: number, tolerance: number, what: string): void {
  const err = Math.abs(actual - expected) / Math.abs(expected);
  assert.ok(err <= tolerance, `${what}: got ${actual}, expected ${expected} (relative error ${err.toExponential(2)})`);
}

const rdpOne = (q: number, sigma: number, alpha: number): number => rdpSampledGaussian(q, sigma, [alpha])[0];

test('per-step RDP at q=0.01, σ=1, α=2 is log(1 + q²(e^{1/σ²} − 1)) = 1.7181342207e-4', () => {
  const v = rdpOne(0.01, 1, 2);
  assertRelative(v, 1.7181342207e-4, 1e-9, 'published value');
  assertRelative(v, Math.log1p(1e-4 * Math.expm1(1)), 1e-14, 'closed form at α = 2');
});

test('integer orders agree with a brute-force binomial sum in plain floating point', () => {
  // A_α = Σ_i C(α,i) (1−q)^{α−i} q^i exp((i²−i)/(2σ²)) summed directly, RDP = log(A)/(α−1).
  for (const [q, sigma] of [
    [0.1, 0.8],
    [0.3, 2],
    [0.05, 0.6],
    [0.5, 1.3],
  ]) {
    for (let alpha = 2; alpha <= 8; alpha++) {
      let a = 0;
      let binom = 1;
      for (let i = 0; i <= alpha; i++) {
        a += binom * (1 - q) ** (alpha - i) * q ** i * Math.exp((i * i - i) / (2 * sigma * sigma));
        binom = (binom * (alpha - i)) / (i + 1);
      }
      const brute = Math.log(a) / (alpha - 1);
      // The brute force loses ~1e-16/RDP relative to cancellation in log(A); RDP ≥ 1e-3 here.
      assertRelative(rdpOne(q, sigma, alpha), brute, 1e-11, `q=${q} σ=${sigma} α=${alpha}`);
    }
  }
});

// RDP by direct numerical integration of A_α = ∫ μ0(z) (1 − q + q μ1(z)/μ0(z))^α dz with
// mpmath (40 digits, tanh-sinh quadrature split at 0, 1 and z0): an independent computation.
const QUADRATURE: [number, number, number, number][] = [
  [0.01, 1.0, 2.5, 0.00021757533228188047],
  [0.04, 1.5, 1.1, 0.0004816567400342993],
  [0.04, 1.5, 3.9, 0.0018332021995838587],
  [0.0025, 1.3, 1.25, 3.146676694674613e-6],
  [0.2, 3, 10.5, 0.029646691067616148],
  [0.01, 0.7, 4.75, 0.01014198177410751],
  [0.01, 0.7, 4.4, 0.0045552733011906029],
  [0.01, 0.35, 1.6, 0.043108294503989599],
  [0.1, 0.8, 1.1, 0.015238073389379315],
  [0.25, 2, 7.5, 0.09638847040145976],
  // Slowly converging alternating tails (terms decay only like i^{−α−2}).
  [0.5, 0.5, 1.5, 1.495590849676597],
  // Here the first terms of both series are below e^{−30}: a stopping test on the absolute
  // size of a term ends at i = 0 and returns a negative RDP (−0.68 and −0.63).
  [0.5, 50, 100.5, 0.005075753239450648],
  [0.5, 20, 60.5, 0.01964233112662548],
  [0.9, 30, 40.5, 0.01829660660381822],
  // mpmath, 30 digits (reference/optimal-order.py's quadrature): the issue-19 optimum, a large
  // order, and an order near 1 where direct summation of the tails needs 10^5 terms.
  [0.001, 0.6, 5.2, 0.00098291948504571168126],
  [0.01, 50, 1500.5, 0.000030195597547406420461],
  [0.05, 0.3, 1.05, 0.14678779360137872343],
];

test('fractional orders match numerical integration of A_α (series iterated to convergence)', () => {
  for (const [q, sigma, alpha, ref] of QUADRATURE) {
    // 1e-10: A_α − 1 is as small as 8e-7 here, and log A carries ~1e-16 absolute error.
    assertRelative(rdpOne(q, sigma, alpha), ref, 1e-10, `q=${q} σ=${sigma} α=${alpha}`);
  }
});

test('fractional orders match trapezoidal integration of A_α − 1 over 270 settings (q 1e-4..0.99, σ 0.3..50, α 1.01..700.5)', () => {
  // The series in src/ and the integral share nothing. log A_α carries rounding from the
  // log-binomials, which grow like α log α, so the tolerance is on log A = (α − 1)·RDP.
  for (const q of [1e-4, 0.003, 0.05, 0.3, 0.9, 0.99]) {
    for (const sigma of [0.3, 0.8, 2, 10, 50]) {
      for (const alpha of [1.01, 1.1, 1.5, 2.5, 5.2, 12.7, 63.5, 200.25, 700.5]) {
        const ours = rdpOne(q, sigma, alpha);
        const integral = rdpByQuadrature(q, sigma, alpha);
        const logAError = Math.abs(ours - integral) * (alpha - 1);
        const allowed = 1e-15 * (1 + alpha * Math.log(alpha + 1)) + 1e-13 * integral * (alpha - 1);
        assert.ok(logAError <= allowed, `q=${q} σ=${sigma} α=${alpha}: ${ours} vs ${integral}`);
      }
    }
  }
});

test('RDP is non-decreasing in the order, fractional orders included', () => {
  for (const [q, sigma] of [
    [0.01, 1],
    [0.04, 1.5],
    [0.3, 0.9],
  ]) {
    const [r2, r25, r3] = rdpSampledGaussian(q, sigma, [2, 2.5, 3]);
    assert.ok(r2 < r25 && r25 < r3, `q=${q} σ=${sigma}: ${r2}, ${r25}, ${r3}`);
    const orders = Array.from({ length: 60 }, (_, i) => 1.1 + i * 0.25);
    const rdp = rdpSampledGaussian(q, sigma, orders);
    for (let i = 1; i < rdp.length; i++) assert.ok(rdp[i] >= rdp[i - 1] * (1 - 1e-12), `order ${orders[i]}`);
  }
});

test('special cases: q = 1 is the Gaussian α/(2σ²), q = 0 is 0, σ = 0 is ∞', () => {
  const orders = [1.5, 2, 7.25, 64];
  assert.deepEqual(
    rdpSampledGaussian(1, 1.3, orders),
    orders.map((a) => a / (2 * 1.3 * 1.3)),
  );
  assert.deepEqual(rdpSampledGaussian(0, 1, orders), [0, 0, 0, 0]);
  assert.deepEqual(rdpSampledGaussian(0.1, 0, orders), [Infinity, Infinity, Infinity, Infinity]);
  // Subsampling can only help: per-step RDP below the full Gaussian's.
  const sub = rdpSampledGaussian(0.2, 1.3, orders);
  sub.forEach((v, i) => assert.ok(v < orders[i] / (2 * 1.3 * 1.3)));
});

test('invalid inputs raise ConfigError naming the field', () => {
  assert.throws(() => rdpSampledGaussian(-0.1, 1, [2]), (e: unknown) => e instanceof ConfigError && /sampling rate/.test(e.message));
  assert.throws(() => rdpSampledGaussian(1.5, 1, [2]), ConfigError);
  assert.throws(() => rdpSampledGaussian(NaN, 1, [2]), ConfigError);
  assert.throws(() => rdpSampledGaussian(0.1, -1, [2]), (e: unknown) => e instanceof ConfigError && /noise multiplier/.test(e.message));
  assert.throws(() => rdpSampledGaussian(0.1, Infinity, [2]), ConfigError);
  assert.throws(() => rdpSampledGaussian(0.1, 1, [1]), (e: unknown) => e instanceof ConfigError && /order/.test(e.message));
  assert.throws(() => rdpSampledGaussian(0.1, 1, [0.5]), ConfigError);
  assert.throws(() => rdpSampledGaussian(0.1, 1, [Infinity]), ConfigError);
  assert.throws(() => rdpSampledGaussian(0.1, 1, []), ConfigError);
  assert.throws(() => rdpOfPhases([{ sampleRate: 0.1, noiseMultiplier: 1, steps: 2.5 }]), (e: unknown) => e instanceof ConfigError && /phases\[0\]\.steps/.test(e.message));
  assert.throws(() => epsilonFromRdp([2], [0.1], 0), (e: unknown) => e instanceof ConfigError && /delta/.test(e.message));
  assert.throws(() => epsilonFromRdp([2], [0.1], 1), ConfigError);
  assert.throws(() => epsilonFromRdp([2, 3], [0.1], 1e-5), ConfigError);
});

test('Opacus test value: q=0.04, σ=1.5, 2250 steps, δ=1e-5 → ε = 7.32911117143 (DEFAULT_ALPHAS, Balle et al.)', () => {
  // opacus/tests/accountants_test.py::test_rdp_accountant, assertAlmostEqual to 7 places.
  const rdp = rdpOfPhases([{ sampleRate: 0.04, noiseMultiplier: 1.5, steps: 2250 }], OPACUS_ORDERS);
  const improved = epsilonFromRdp(OPACUS_ORDERS, rdp, 1e-5);
  assert.ok(Math.abs(improved.epsilon - 7.32911117143) < 5e-8, `got ${improved.epsilon}`);
  assert.equal(improved.order, 3.9);
  // The classic conversion (Mironov 2017) is looser on the same RDP curve.
  const classic = epsilonFromRdp(OPACUS_ORDERS, rdp, 1e-5, 'classic');
  assert.ok(Math.abs(classic.epsilon - 8.073848277) < 1e-8, `classic ${classic.epsilon}`);
  assert.ok(improved.epsilon <= classic.epsilon);
  // With our default (TF Privacy) orders the improved conversion is still below the classic.
  const ours = rdpOfPhases([{ sampleRate: 0.04, noiseMultiplier: 1.5, steps: 2250 }]);
  assert.ok(epsilonFromRdp(DEFAULT_RDP_ORDERS, ours, 1e-5).epsilon <= epsilonFromRdp(DEFAULT_RDP_ORDERS, ours, 1e-5, 'classic').epsilon);
});

test('TF Privacy compute_dp_sgd_privacy test values (its orders, Balle et al. conversion)', () => {
  // tensorflow_privacy/privacy/analysis/compute_dp_sgd_privacy_test.py: (n, batch, σ, epochs,
  // δ) → (ε, order), steps = ceil(epochs·n/batch), q = batch/n.
  const cases: [number, number, number, number, number, number, number][] = [
    [60000, 150, 1.3, 15, 1e-5, 0.7242234026109595, 19],
    [100000, 100, 1.0, 30, 1e-7, 1.4154988495444842, 13],
    [100000000, 1024, 0.1, 10, 1e-7, 5907982.3113978775, 1.25],
  ];
  for (const [n, batch, sigma, epochs, delta, eps, order] of cases) {
    const steps = Math.ceil((epochs * n) / batch);
    const rdp = rdpOfPhases([{ sampleRate: batch / n, noiseMultiplier: sigma, steps }], TF_PRIVACY_ORDERS);
    const got = epsilonFromRdp(TF_PRIVACY_ORDERS, rdp, delta);
    assertRelative(got.epsilon, eps, 1e-10, `n=${n} batch=${batch}`);
    assert.equal(got.order, order);
  }
});

test('dp_accounting RdpAccountant values (TF Privacy example-privacy tests, default orders)', () => {
  // Gaussian without subsampling: integer and fractional orders of α/(2σ²) are exact.
  const gauss = (sigma: number, steps: number, delta: number): number =>
    epsilonFromRdp(DP_ACCOUNTING_ORDERS, rdpOfPhases([{ sampleRate: 1, noiseMultiplier: sigma, steps }], DP_ACCOUNTING_ORDERS), delta).epsilon;
  assert.ok(Math.abs(gauss(0.7, 2, 1e-5) - 10.8602036) < 1e-7);
  assert.ok(Math.abs(gauss(0.35, 2, 1e-5) - 26.2880374) < 1e-7);
  assert.equal(gauss(1.0, 5, 1e-6).toFixed(3), '13.376');
  // Poisson-subsampled: dp_accounting adds |binomial terms| for fractional orders (an upper
  // bound), we sum them with their signs; our exact value is lower, and the per-order value
  // at the optimum matches numerical integration (see the quadrature test: α = 4.4 and 1.6).
  const sub = (sigma: number, delta: number, q: number, steps: number): number =>
    epsilonFromRdp(DP_ACCOUNTING_ORDERS, rdpOfPhases([{ sampleRate: q, noiseMultiplier: sigma, steps }], DP_ACCOUNTING_ORDERS), delta).epsilon;
  const e1 = sub(0.7, 1e-5, 0.01, 120);
  assert.ok(e1 <= 3.2392676 && e1 > 3.2392676 - 1e-3, `σ=0.7: ${e1}`);
  const e2 = sub(0.35, 1e-5, 0.01, 120);
  assert.ok(e2 <= 22.6248601 && e2 > 22.6248601 - 0.05, `σ=0.35: ${e2}`);
  assert.equal(sub(1.0, 1e-6, 64 / 10000, 782).toFixed(3), '1.616');
});

test('composition adds RDP per order; the accountant merges steps and caches per (q, σ)', () => {
  const orders = [1.5, 2, 4, 16];
  const a = rdpSampledGaussian(0.01, 1.1, orders);
  const b = rdpSampledGaussian(0.05, 2, orders);
  const total = rdpOfPhases(
    [
      { sampleRate: 0.01, noiseMultiplier: 1.1, steps: 300 },
      { sampleRate: 0.05, noiseMultiplier: 2, steps: 50 },
    ],
    orders,
  );
  total.forEach((v, i) => assertRelative(v, 300 * a[i] + 50 * b[i], 1e-14, `order ${orders[i]}`));

  const accountant = new RdpAccountant(orders);
  for (let i = 0; i < 10_000; i++) accountant.step(1.1, 0.01);
  accountant.step(2, 0.05, 50);
  assert.equal(accountant.phases.length, 2);
  const expected = rdpOfPhases(
    [
      { sampleRate: 0.01, noiseMultiplier: 1.1, steps: 10_000 },
      { sampleRate: 0.05, noiseMultiplier: 2, steps: 50 },
    ],
    orders,
  );
  accountant.rdp().forEach((v, i) => assertRelative(v, expected[i], 1e-14, 'accountant'));
  assert.deepEqual(accountant.getEpsilon(1e-5), epsilonFromRdp(orders, expected, 1e-5));
});

test('deltaFromRdp inverts epsilonFromRdp for both conversions', () => {
  const rdp = rdpOfPhases([{ sampleRate: 0.02, noiseMultiplier: 1.2, steps: 1000 }]);
  for (const conversion of ['balle2020', 'classic'] as const) {
    const { epsilon } = epsilonFromRdp(DEFAULT_RDP_ORDERS, rdp, 1e-6, conversion);
    const { delta } = deltaFromRdp(DEFAULT_RDP_ORDERS, rdp, epsilon, conversion);
    assertRelative(delta, 1e-6, 1e-9, conversion);
  }
  // No privacy at all: ε is infinite and reported without an order.
  const none = epsilonFromRdp([2, 3], [Infinity, Infinity], 1e-5);
  assert.equal(none.epsilon, Infinity);
  assert.ok(Number.isNaN(none.order));
});
