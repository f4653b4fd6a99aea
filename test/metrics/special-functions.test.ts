import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  inverseRegularizedIncompleteBeta,
  logGamma,
  normalCdf,
  normalQuantile,
  normalSurvival,
  regularizedGammaP,
  regularizedIncompleteBeta,
  studentTTwoSidedPValue,
} from '../../src/metrics/index.js';

function close(actual: number, expected: number, relative: number, what: string): void {
  const err = Math.abs(actual - expected) / Math.max(Math.abs(expected), 1e-300);
  assert.ok(err <= relative, `${what}: got ${actual}, expected ${expected} (relative error ${err.toExponential(2)})`);
}

test('logGamma matches factorials, Γ(1/2) = √π and scipy.special.gammaln', () => {
  let factorial = 1;
  for (let n = 1; n <= 20; n++) {
    close(logGamma(n + 1), Math.log((factorial *= n)), 1e-13, `ln ${n}!`);
  }
  close(logGamma(0.5), 0.5 * Math.log(Math.PI), 1e-13, 'ln Γ(1/2)');
  close(logGamma(0.1), 2.252712651734206, 1e-13, 'gammaln(0.1)');
  close(logGamma(10.5), 13.940625219403763, 1e-13, 'gammaln(10.5)');
  close(logGamma(100), 359.1342053695754, 1e-13, 'gammaln(100)');
});

test('incomplete beta matches closed forms: I_x(a,1) = x^a, I_x(1,b) = 1-(1-x)^b, I_x(½,½) = (2/π)asin√x', () => {
  for (const x of [0.001, 0.1, 0.37, 0.5, 0.9, 0.999]) {
    for (const a of [0.5, 1, 3, 12.5]) close(regularizedIncompleteBeta(x, a, 1), x ** a, 1e-12, `I_${x}(${a},1)`);
    for (const b of [0.5, 2, 7]) close(regularizedIncompleteBeta(x, 1, b), 1 - (1 - x) ** b, 1e-12, `I_${x}(1,${b})`);
    close(regularizedIncompleteBeta(x, 0.5, 0.5), (2 / Math.PI) * Math.asin(Math.sqrt(x)), 1e-12, `I_${x}(½,½)`);
    // Symmetry I_x(a, b) = 1 − I_{1−x}(b, a) (absolute tolerance: 1 − I cancels for small values).
    const symmetric = 1 - regularizedIncompleteBeta(1 - x, 4.5, 2.5);
    assert.ok(Math.abs(regularizedIncompleteBeta(x, 2.5, 4.5) - symmetric) < 1e-15, `symmetry at ${x}`);
  }
  // scipy.special.betainc values.
  close(regularizedIncompleteBeta(0.3, 2.5, 4.5), 0.40653901668245934, 1e-12, 'betainc(2.5,4.5,0.3)');
  close(regularizedIncompleteBeta(0.45, 50, 60), 0.4642352914306031, 1e-11, 'betainc(50,60,0.45)');
  assert.equal(regularizedIncompleteBeta(0, 2, 3), 0);
  assert.equal(regularizedIncompleteBeta(1, 2, 3), 1);
});

test('inverse incomplete beta round-trips, including far tails', () => {
  for (const [a, b] of [[1, 1], [0.5, 3], [7, 14], [1, 999], [300, 2]] as const) {
    for (const p of [1e-8, 0.001, 0.025, 0.5, 0.975, 0.999999]) {
      const x = inverseRegularizedIncompleteBeta(p, a, b);
      close(regularizedIncompleteBeta(x, a, b), p, 1e-10, `I(B⁻¹(${p}; ${a}, ${b}))`);
    }
  }
  // I_x(a, 1) = x^a inverts to p^(1/a).
  close(inverseRegularizedIncompleteBeta(0.3, 4, 1), 0.3 ** 0.25, 1e-13, 'B⁻¹(0.3; 4, 1)');
});

test('normal CDF, survival and quantile match scipy.stats.norm, with tail precision', () => {
  close(normalCdf(-1.96), 0.024997895148220435, 1e-13, 'Φ(-1.96)');
  close(normalCdf(0.5), 0.6914624612740131, 1e-14, 'Φ(0.5)');
  close(normalSurvival(8), 6.22096057427174e-16, 1e-11, '1-Φ(8)');
  assert.equal(normalCdf(0), 0.5);
  close(normalQuantile(0.975), 1.959963984540054, 1e-14, 'Φ⁻¹(0.975)');
  close(normalQuantile(1e-10), -6.361340902404056, 1e-13, 'Φ⁻¹(1e-10)');
  close(normalQuantile(0.3), -0.5244005127080409, 1e-13, 'Φ⁻¹(0.3)');
  for (const p of [1e-300, 1e-20, 0.01, 0.4, 0.6, 0.99]) close(normalCdf(normalQuantile(p)), p, 1e-12, `Φ(Φ⁻¹(${p}))`);
  // erf(1) = 0.8427007929497149: Φ(√2) − Φ(−√2) = erf(1).
  close(normalCdf(Math.SQRT2) - normalCdf(-Math.SQRT2), 0.8427007929497149, 1e-14, 'erf(1)');
  // P(1/2, x) = erf(√x).
  close(regularizedGammaP(0.5, 1), 0.8427007929497149, 1e-14, 'P(½, 1)');
});

test("Student t two-sided tail matches closed forms for 1 and 2 df and scipy for others", () => {
  for (const t of [0.1, 1, 2.5, 10]) {
    // Cauchy: P(|T| > t) = 1 − (2/π)·atan t.   df = 2: P(|T| > t) = 1 − t/√(2 + t²).
    close(studentTTwoSidedPValue(t, 1), 1 - (2 / Math.PI) * Math.atan(t), 1e-12, `df=1, t=${t}`);
    close(studentTTwoSidedPValue(t, 2), 1 - t / Math.sqrt(2 + t * t), 1e-12, `df=2, t=${t}`);
  }
  close(studentTTwoSidedPValue(2.1, 5), 0.08975324988459879, 1e-12, '2·t.sf(2.1, 5)');
  close(studentTTwoSidedPValue(-0.7, 30), 0.48932044349967163, 1e-12, '2·t.sf(0.7, 30)');
});
