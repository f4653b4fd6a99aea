import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '../../src/errors.js';
import { averageRanks, inversionCountCdf, kendallTau, kendallTauB, normalQuantile, spearman, spearmanRho } from '../../src/metrics/index.js';

function close(actual: number, expected: number, what: string, relative = 1e-10): void {
  const err = Math.abs(actual - expected) / Math.max(Math.abs(expected), 1e-300);
  assert.ok(err <= relative, `${what}: got ${actual}, expected ${expected}`);
}

// No ties. y is a permutation of 1..10; rank differences d = −1 1 −1 1 −2 1 1 −1 −1 2, Σd² = 16,
// so rho = 1 − 6·16/(10·99) = 0.90303…. Discordant pairs = inversions of y:
// (2,1) (4,3) (7,5) (7,6) (9,8) (10,8) = 6, concordant 39, tau = (39 − 6)/45 = 0.7333….
const x = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
const y = [2, 1, 4, 3, 7, 5, 6, 9, 10, 8];
// With ties (values from scipy.stats.spearmanr / kendalltau on the same data).
const xt = [1, 2, 2, 3, 4, 4, 4, 5, 6, 7];
const yt = [1, 3, 2, 2, 5, 4, 6, 6, 7, 9];

test('average ranks share tied positions', () => {
  assert.deepEqual(Array.from(averageRanks([10, 20, 20, 5, 20])), [2, 4, 4, 1, 4]);
});

test('Spearman rho: hand-worked value without ties, scipy value with ties, two-sided t p-values', () => {
  close(spearmanRho(x, y), 1 - (6 * 16) / (10 * 99), 'rho (no ties)');
  const r = spearman(x, y);
  close(r.estimate, 0.9030303030303028, 'rho');
  close(r.pValue, 0.0003436121977632824, 'p (scipy spearmanr)', 1e-9);
  assert.equal(r.pValueMethod, 'student-t');
  const rt = spearman(xt, yt);
  close(rt.estimate, 0.9505053951109216, 'rho with ties');
  close(rt.pValue, 2.4727410839996323e-5, 'p with ties', 1e-9);
});

test("Spearman's Fisher-z interval uses variance 1.06/(n − 3)", () => {
  const r = spearman(x, y, { confidence: 0.9 });
  const half = normalQuantile(0.95) * Math.sqrt(1.06 / 7);
  close(r.low, Math.tanh(Math.atanh(r.estimate) - half), 'low');
  close(r.high, Math.tanh(Math.atanh(r.estimate) + half), 'high');
  assert.ok(r.low < r.estimate && r.estimate < r.high);
});

test('Kendall tau-b: hand-worked value, exact and normal-approximation p-values match scipy', () => {
  close(kendallTauB(x, y), 33 / 45, 'tau');
  const exact = kendallTau(x, y);
  assert.equal(exact.pValueMethod, 'exact');
  close(exact.pValue, 0.002212852733686067, "p exact (scipy method='exact')", 1e-9);
  const approx = kendallTau(x, y, { pValueMethod: 'normal-approximation' });
  close(approx.pValue, 0.0031612220209069567, "p asymptotic (scipy method='asymptotic')", 1e-9);
  const tied = kendallTau(xt, yt);
  assert.equal(tied.pValueMethod, 'normal-approximation');
  close(tied.estimate, 0.8812021902246507, 'tau-b with ties');
  close(tied.pValue, 0.0006768881399537566, 'p with ties', 1e-9);
  const half = normalQuantile(0.975) * Math.sqrt(0.437 / 6);
  close(tied.low, Math.tanh(Math.atanh(tied.estimate) - half), 'Fisher low');
});

test('the inversion-count distribution is the Mahonian one (n = 4: 1 3 5 6 5 3 1 over 24)', () => {
  const cumulative = [1, 4, 9, 15, 20, 23, 24];
  cumulative.forEach((c, k) => close(inversionCountCdf(4, k), c / 24, `P(K ≤ ${k})`, 1e-14));
});

test('constant or too-short input is refused; perfect correlation gives p = 0 and a degenerate interval', () => {
  assert.throws(() => spearman([1, 1, 1, 1], [1, 2, 3, 4]), ConfigError);
  assert.throws(() => kendallTau([1, 2], [1, 2]), ConfigError);
  assert.throws(() => kendallTau([1, 2, 2], [1, 2, 3], { pValueMethod: 'exact' }), /without ties/);
  assert.ok(Number.isNaN(spearmanRho([2, 2, 2], [1, 2, 3])));
  const perfect = spearman([1, 2, 3, 4, 5], [2, 4, 6, 8, 10]);
  assert.equal(perfect.estimate, 1);
  assert.equal(perfect.pValue, 0);
  assert.deepEqual([perfect.low, perfect.high], [1, 1]);
});
