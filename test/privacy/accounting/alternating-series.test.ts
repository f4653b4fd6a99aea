import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ALTERNATING_TERMS, alternatingMomentSum } from '../../../src/privacy/accounting/alternating-series.js';

const terms = (b: (k: number) => number): number[] => Array.from({ length: ALTERNATING_TERMS }, (_, k) => b(k));

test('alternating sums of moment sequences with known closed forms, to rounding', () => {
  // ∫_0^1 t^k dt = 1/(k+1): Σ (−1)^k/(k+1) = log 2, a series whose direct sum needs 10^16 terms.
  assert.ok(Math.abs(alternatingMomentSum(terms((k) => 1 / (k + 1))) - Math.LN2) < 1e-15);
  // ∫_0^1 t^k dt/(2√t) = 1/(2k+1): Leibniz, π/4.
  assert.ok(Math.abs(alternatingMomentSum(terms((k) => 1 / (2 * k + 1))) - Math.PI / 4) < 1e-15);
  // ∫_0^1 t^k (−log t) dt = 1/(k+1)²: η(2) = π²/12, decaying like k^{−2}.
  assert.ok(Math.abs(alternatingMomentSum(terms((k) => 1 / (k + 1) ** 2)) - (Math.PI * Math.PI) / 12) < 1e-15);
  // A point mass at x: the geometric series 1/(1 + x), also for x close to 1.
  for (const x of [0.1, 0.5, 0.9, 0.999]) {
    const got = alternatingMomentSum(terms((k) => x ** k));
    assert.ok(Math.abs(got - 1 / (1 + x)) < 1e-15, `x = ${x}: ${got}`);
  }
});

test('24 terms: the proven bound 2S/(3 + √8)^24 is below 1e-18 of the sum; later entries are ignored', () => {
  assert.ok(2 / (3 + Math.sqrt(8)) ** ALTERNATING_TERMS < 1e-18);
  const longer = Array.from({ length: 100 }, (_, k) => 1 / (k + 1));
  assert.equal(alternatingMomentSum(longer), alternatingMomentSum(longer.slice(0, ALTERNATING_TERMS)));
});
