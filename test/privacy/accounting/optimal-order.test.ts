import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DP_ACCOUNTING_ORDERS,
  MAX_RDP_ORDER,
  OPACUS_ORDERS,
  RdpAccountant,
  TF_PRIVACY_ORDERS,
  computeEpsilon,
  epsilonAtOptimalOrder,
  epsilonFromRdp,
  epsilonOfPhases,
  rdpOfPhases,
  type PrivacyPhase,
  type RdpConversion,
} from '../../../src/privacy/accounting/index.js';
import { minimiseOverOrder } from '../../../src/privacy/accounting/order-search.js';
import { ConfigError } from '../../../src/errors.js';
import { rdpByQuadrature } from './rdp-by-quadrature.js';
import { readFileSync } from 'node:fs';

interface ReferenceCase {
  name: string;
  phases: PrivacyPhase[];
  delta: number;
  epsilon: number;
  order: number;
  opacus: { epsilon: number; order: number };
  dpAccounting: { epsilon: number; order: number };
  tfPrivacy: { epsilon: number; order: number };
}
/**
 * Written by reference/optimal-order.py (mpmath, 30 digits; no code shared with src/), read
 * from the source tree (the compiled test sits four levels below the repository root).
 */
const OPTIMAL_ORDER_REFERENCE: ReferenceCase[] = JSON.parse(
  readFileSync(new URL('../../../../test/privacy/accounting/reference/optimal-order.json', import.meta.url), 'utf8'),
).cases;

const GRIDS: [string, readonly number[]][] = [
  ['TF Privacy', TF_PRIVACY_ORDERS],
  ['Opacus', OPACUS_ORDERS],
  ['dp_accounting', DP_ACCOUNTING_ORDERS],
];

function gridEpsilon(phases: readonly PrivacyPhase[], delta: number, orders: readonly number[], conversion: RdpConversion = 'balle2020') {
  return epsilonFromRdp(orders, rdpOfPhases(phases, orders), delta, conversion);
}

/** ε at one order with the RDP integrated numerically (independent of the series in src/). */
function epsilonByQuadrature(phases: readonly PrivacyPhase[], delta: number, alpha: number): number {
  let rdp = 0;
  for (const p of phases) rdp += p.steps * (p.sampleRate === 1 ? alpha / (2 * p.noiseMultiplier ** 2) : rdpByQuadrature(p.sampleRate, p.noiseMultiplier, alpha));
  return rdp + Math.log1p(-1 / alpha) - (Math.log(delta) + Math.log(alpha)) / (alpha - 1);
}

/** Log-uniform draws in [lo, hi] from a seeded linear congruential stream (reproducible settings). */
function seededLogUniform(seed: number): (lo: number, hi: number) => number {
  let state = seed;
  return (lo, hi) => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return lo * (hi / lo) ** (state / 2 ** 32);
  };
}

test('the issue-19 example: q = 0.001, σ = 0.6, 100 steps, δ = 1e-5 → 2.23331 at order 5.205 (TF Privacy grid: 2.2886 at 5)', () => {
  const phases = [{ sampleRate: 0.001, noiseMultiplier: 0.6, steps: 100 }];
  const ours = epsilonAtOptimalOrder(phases, 1e-5);
  assert.ok(Math.abs(ours.epsilon - 2.23331) < 5e-6, `ε = ${ours.epsilon}`);
  assert.ok(Math.abs(ours.order - 5.205) < 1e-3, `order ${ours.order}`);
  const tf = gridEpsilon(phases, 1e-5, TF_PRIVACY_ORDERS);
  assert.equal(tf.order, 5);
  assert.ok(Math.abs(tf.epsilon - 2.2886) < 1e-4 && ours.epsilon < tf.epsilon * (1 - 0.024), `TF grid ${tf.epsilon}`);
  // computeEpsilon (what the CLI and the trainer call) uses the continuous order by default.
  assert.deepEqual(computeEpsilon({ sampleRate: 0.001, noiseMultiplier: 0.6, steps: 100, delta: 1e-5 }), { ...ours, accountant: 'rdp' });
});

test('30-digit reference (mpmath quadrature of A_α, dense grid + golden section): our ε is the optimum, never below it', () => {
  assert.ok(OPTIMAL_ORDER_REFERENCE.length >= 15, `the reference table has ${OPTIMAL_ORDER_REFERENCE.length} cases; run reference/optimal-order.py`);
  for (const ref of OPTIMAL_ORDER_REFERENCE) {
    const ours = epsilonOfPhases({ phases: ref.phases, delta: ref.delta });
    const what = `${ref.name}: ours ${ours.epsilon} at ${ours.order}, optimum ${ref.epsilon} at ${ref.order}`;
    // Never below the exact optimum (beyond the ~1e-11 rounding of log A_α), and equal to it.
    assert.ok(ours.epsilon >= ref.epsilon * (1 - 1e-10), what);
    assert.ok(ours.epsilon <= ref.epsilon * (1 + 1e-9), what);
    // ε is flat at the optimum, so the order is pinned down less sharply than ε.
    assert.ok(Math.abs(ours.order! - ref.order) <= 1e-4 * ref.order, what);
    // And as tight as each published grid, evaluated there with exact RDP.
    for (const grid of [ref.opacus, ref.dpAccounting, ref.tfPrivacy]) assert.ok(ours.epsilon <= grid.epsilon * (1 + 1e-12), `${what}; grid ${grid.epsilon}`);
  }
});

test('never looser than the TF Privacy, Opacus and dp_accounting grids, in a table of cases and 40 random settings', () => {
  const cases: { phases: PrivacyPhase[]; delta: number }[] = OPTIMAL_ORDER_REFERENCE.map((r) => ({ phases: r.phases, delta: r.delta }));
  // A seeded stream of settings: q ∈ [1e-4, 1], σ ∈ [0.3, 30], T ∈ [1, 10^5], δ ∈ [1e-10, 1e-3] (log-uniform).
  const logUniform = seededLogUniform(19);
  for (let k = 0; k < 40; k++) {
    const sampleRate = k % 10 === 9 ? 1 : logUniform(1e-4, 1);
    cases.push({
      phases: [{ sampleRate, noiseMultiplier: logUniform(0.3, 30), steps: Math.round(logUniform(1, 1e5)) }],
      delta: logUniform(1e-10, 1e-3),
    });
  }
  for (const { phases, delta } of cases) {
    for (const conversion of ['balle2020', 'classic'] as const) {
      const ours = epsilonAtOptimalOrder(phases, delta, conversion);
      for (const [name, orders] of GRIDS) {
        const grid = gridEpsilon(phases, delta, orders, conversion);
        assert.ok(
          ours.epsilon <= grid.epsilon * (1 + 1e-12),
          `${JSON.stringify(phases)} δ=${delta} ${conversion}: ours ${ours.epsilon} at ${ours.order}, ${name} ${grid.epsilon} at ${grid.order}`,
        );
      }
    }
  }
});

test('random settings against numerical integration: ε is exact at the order found, and no order on a dense grid does better', () => {
  const logUniform = seededLogUniform(7);
  for (let k = 0; k < 12; k++) {
    const phases = [{ sampleRate: logUniform(1e-3, 0.5), noiseMultiplier: logUniform(0.4, 8), steps: Math.round(logUniform(10, 1e5)) }];
    const delta = logUniform(1e-10, 1e-3);
    const ours = epsilonAtOptimalOrder(phases, delta);
    const what = `${JSON.stringify(phases)} δ=${delta}: ours ${ours.epsilon} at ${ours.order}`;
    // Sound: the RDP at the reported order, integrated independently, gives the same ε.
    const atOrder = epsilonByQuadrature(phases, delta, ours.order);
    assert.ok(Math.abs(ours.epsilon - atOrder) <= 1e-9 * atOrder, `${what}; by quadrature ${atOrder}`);
    // Optimal: 121 orders spread over α − 1 ∈ [(α* − 1)/3, 3(α* − 1)], all integrated.
    for (let j = -60; j <= 60; j++) {
      const alpha = 1 + (ours.order - 1) * 3 ** (j / 60);
      const other = epsilonByQuadrature(phases, delta, alpha);
      assert.ok(ours.epsilon <= other * (1 + 1e-9), `${what}; α = ${alpha} gives ${other}`);
    }
  }
});

test('ε(α) is unimodal along a dense grid (the quasi-convexity the search relies on)', () => {
  for (const [q, sigma, steps, delta] of [
    [0.001, 0.6, 100, 1e-5],
    [0.05, 0.3, 1000, 1e-5],
    [0.01, 50, 1000, 1e-5],
    [0.9, 2, 50, 1e-8],
  ]) {
    const phases = [{ sampleRate: q, noiseMultiplier: sigma, steps }];
    const orders = Array.from({ length: 400 }, (_, j) => 1 + 10 ** (-3 + (j * 7) / 399));
    const values = epsilonFromRdpValues(phases, delta, orders);
    let turned = false;
    for (let j = 1; j < values.length; j++) {
      if (values[j] > values[j - 1] * (1 + 1e-13)) turned = true;
      else if (turned) assert.ok(values[j] >= values[j - 1] * (1 - 1e-13), `q=${q} σ=${sigma}: falls again at α = ${orders[j]}`);
    }
    assert.ok(turned, 'the grid passes the minimum');
  }
});

/** ε at each order separately (no minimum). */
function epsilonFromRdpValues(phases: readonly PrivacyPhase[], delta: number, orders: number[]): number[] {
  const rdp = rdpOfPhases(phases, orders);
  return orders.map((alpha, i) => epsilonFromRdp([alpha], [rdp[i]], delta).epsilon);
}

test('order search on known functions: exact at a reference order, near α = 1, at the cap, and in the thousands', () => {
  const references = [...new Set([...TF_PRIVACY_ORDERS, ...OPACUS_ORDERS, ...DP_ACCOUNTING_ORDERS])].sort((a, b) => a - b);
  const search = (f: (a: number) => number) => minimiseOverOrder(f, { maxOrder: MAX_RDP_ORDER, referenceOrders: references });
  // Minimum exactly on a grid point (5.2): the result is not merely close, it is no worse.
  const onGrid = search((a) => (a - 5.2) ** 2 + 1);
  assert.ok(onGrid.value <= 1, `${onGrid.value} at ${onGrid.order}`);
  assert.ok(onGrid.evaluations < 40, `${onGrid.evaluations} evaluations`);
  // Near 1: 1/(α − 1) + 10^4 (α − 1) is least at α = 1.01.
  const nearOne = search((a) => 1 / (a - 1) + 1e4 * (a - 1));
  assert.ok(Math.abs(nearOne.order - 1.01) < 1e-8 && Math.abs(nearOne.value - 200) < 1e-9, JSON.stringify(nearOne));
  // Least at 3000: 63 integer orders to 64, 30 steps of 12.5 %, then about 10 Brent steps.
  const large = search((a) => 3000 / a + a / 3000);
  assert.ok(Math.abs(large.order - 3000) < 3e-3 && large.evaluations < 120, JSON.stringify(large));
  // Still falling at the cap: the cap.
  const falling = search((a) => 1 / a);
  assert.equal(falling.order, MAX_RDP_ORDER);
  // NaN counts as +∞; infinite everywhere gives +∞.
  assert.equal(search(() => NaN).value, Infinity);
});

test('fixed orders still work; the accountant and computeEpsilon default to the continuous order', () => {
  const phases = [{ sampleRate: 0.04, noiseMultiplier: 1.5, steps: 2250 }];
  // With explicit orders, the published Opacus value (test_rdp_accountant) is unchanged.
  const opacus = computeEpsilon({ sampleRate: 0.04, noiseMultiplier: 1.5, steps: 2250, delta: 1e-5, orders: OPACUS_ORDERS });
  assert.ok(Math.abs(opacus.epsilon - 7.32911117143) < 5e-8 && opacus.order === 3.9, JSON.stringify(opacus));
  const continuous = computeEpsilon({ sampleRate: 0.04, noiseMultiplier: 1.5, steps: 2250, delta: 1e-5 });
  assert.ok(continuous.epsilon < opacus.epsilon && continuous.order! > 3.9 && continuous.order! < 4, JSON.stringify(continuous));

  const fixed = new RdpAccountant(OPACUS_ORDERS).step(1.5, 0.04, 2250);
  assert.equal(fixed.continuousOrder, false);
  assert.deepEqual(fixed.getEpsilon(1e-5), gridEpsilon(phases, 1e-5, OPACUS_ORDERS));
  const accountant = new RdpAccountant();
  for (let i = 0; i < 2250; i++) accountant.step(1.5, 0.04);
  assert.equal(accountant.continuousOrder, true);
  assert.deepEqual(accountant.orders, TF_PRIVACY_ORDERS);
  assert.deepEqual(accountant.getEpsilon(1e-5), epsilonAtOptimalOrder(phases, 1e-5));
  assert.deepEqual(accountant.getEpsilon(1e-5, 'classic'), epsilonAtOptimalOrder(phases, 1e-5, 'classic'));

  // Phases compose: two halves equal the whole; a second phase with other (q, σ) adds RDP.
  const halves = epsilonAtOptimalOrder([{ sampleRate: 0.04, noiseMultiplier: 1.5, steps: 1000 }, { sampleRate: 0.04, noiseMultiplier: 1.5, steps: 1250 }], 1e-5);
  assert.ok(Math.abs(halves.epsilon - continuous.epsilon) < 1e-12);
  const two = [{ sampleRate: 0.01, noiseMultiplier: 1.2, steps: 500 }, { sampleRate: 0.05, noiseMultiplier: 2, steps: 200 }];
  const both = epsilonAtOptimalOrder(two, 1e-5);
  for (const [, orders] of GRIDS) assert.ok(both.epsilon <= gridEpsilon(two, 1e-5, orders).epsilon);
  assert.ok(both.epsilon > epsilonAtOptimalOrder(two.slice(0, 1), 1e-5).epsilon);
});

test('a history alternating between two settings gives the ε of its two settings, each with its total steps', () => {
  const accountant = new RdpAccountant();
  for (let i = 0; i < 2000; i++) accountant.step(1.0, 0.01).step(1.2, 0.01);
  assert.equal(accountant.phases.length, 4000);
  const merged = [{ sampleRate: 0.01, noiseMultiplier: 1.0, steps: 2000 }, { sampleRate: 0.01, noiseMultiplier: 1.2, steps: 2000 }];
  assert.deepEqual(accountant.getEpsilon(1e-5), epsilonAtOptimalOrder(merged, 1e-5));
});

test('edge cases: nothing sampled is ε = 0 without an order, no noise is ε = ∞, bad input is a ConfigError', () => {
  assert.deepEqual(epsilonAtOptimalOrder([], 1e-5), { epsilon: 0, order: NaN });
  assert.deepEqual(epsilonAtOptimalOrder([{ sampleRate: 0, noiseMultiplier: 1, steps: 10 }], 1e-5), { epsilon: 0, order: NaN });
  assert.deepEqual(computeEpsilon({ sampleRate: 0.1, noiseMultiplier: 1, steps: 0, delta: 1e-5 }), { epsilon: 0, accountant: 'rdp' });
  assert.deepEqual(epsilonAtOptimalOrder([{ sampleRate: 0.1, noiseMultiplier: 0, steps: 3 }], 1e-5), { epsilon: Infinity, order: NaN });
  assert.throws(() => epsilonAtOptimalOrder([{ sampleRate: 0.1, noiseMultiplier: 1, steps: 3 }], 0), (e: unknown) => e instanceof ConfigError && /delta/.test(e.message));
  assert.throws(
    () => epsilonAtOptimalOrder([{ sampleRate: 0.1, noiseMultiplier: -1, steps: 3 }], 1e-5),
    (e: unknown) => e instanceof ConfigError && /phases\[0\]\.noiseMultiplier/.test(e.message),
  );
  assert.throws(() => epsilonAtOptimalOrder([{ sampleRate: 0.1, noiseMultiplier: 1, steps: 3 }], 1e-5, 'renyi' as never), (e: unknown) => e instanceof ConfigError && /conversion/.test(e.message));
  assert.throws(() => epsilonAtOptimalOrder({} as never, 1e-5), (e: unknown) => e instanceof ConfigError && /phases must be an array/.test(e.message));
});
