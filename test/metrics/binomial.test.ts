import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '../../src/errors.js';
import { clopperPearson } from '../../src/metrics/index.js';

function close(actual: number, expected: number, tolerance: number, what: string): void {
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: got ${actual}, expected ${expected}`);
}

test('Clopper–Pearson with 0 or n successes has the closed form 1 − (α/2)^(1/n)', () => {
  // k = 0: high solves (1 − p)^n = α/2, so high = 1 − (α/2)^(1/n); low = 0.
  for (const n of [1, 5, 10, 100, 5000]) {
    for (const confidence of [0.9, 0.95, 0.99]) {
      const alpha = 1 - confidence;
      const zero = clopperPearson(0, n, confidence);
      assert.equal(zero.low, 0);
      close(zero.high, 1 - (alpha / 2) ** (1 / n), 1e-13, `k=0 n=${n}`);
      // k = n: low solves p^n = α/2.
      const all = clopperPearson(n, n, confidence);
      assert.equal(all.high, 1);
      close(all.low, (alpha / 2) ** (1 / n), 1e-13, `k=n=${n}`);
    }
  }
  // For n = 10 at 95%: 1 − 0.025^0.1 = 0.3084971078187608.
  close(clopperPearson(0, 10).high, 0.3084971078187608, 1e-13, 'k=0, n=10');
});

test('Clopper–Pearson with 1 of 2 has a hand-derivable interval', () => {
  // low: I_p(1, 2) = 1 − (1−p)² = α/2 → p = 1 − √(1 − α/2); high: I_p(2, 1) = p² = 1 − α/2 → p = √(1 − α/2).
  const { low, high, estimate } = clopperPearson(1, 2, 0.95);
  assert.equal(estimate, 0.5);
  close(low, 1 - Math.sqrt(0.975), 1e-14, 'low');
  close(high, Math.sqrt(0.975), 1e-14, 'high');
});

test("Clopper–Pearson matches R's binom.test example and scipy", () => {
  // R: binom.test(682, 925, p = 0.75) → 95 percent confidence interval 0.7076683 0.7654066.
  const mendel = clopperPearson(682, 925);
  close(mendel.low, 0.7076683, 5e-8, 'R low');
  close(mendel.high, 0.7654066, 5e-8, 'R high');
  // scipy.stats.binomtest(k, n).proportion_ci(confidence, 'exact').
  const seven = clopperPearson(7, 20);
  close(seven.low, 0.1539092047845412, 1e-12, '7/20 low');
  close(seven.high, 0.5921885345328283, 1e-12, '7/20 high');
  const rare = clopperPearson(1, 1000, 0.99);
  close(rare.low / 5.0125292607668415e-6, 1, 1e-9, '1/1000 low (relative)');
  close(rare.high, 0.007406286938353162, 1e-12, '1/1000 high');
});

test('Clopper–Pearson rejects impossible counts', () => {
  assert.throws(() => clopperPearson(3, 2), ConfigError);
  assert.throws(() => clopperPearson(-1, 2), ConfigError);
  assert.throws(() => clopperPearson(1.5, 2), ConfigError);
  assert.throws(() => clopperPearson(0, 0), ConfigError);
  assert.throws(() => clopperPearson(1, 2, 1.2), ConfigError);
});
