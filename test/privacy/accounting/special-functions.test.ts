import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  erfc,
  log1pExp,
  logAbsGamma,
  logAddExp,
  logErfc,
  logExpm1,
  logGamma,
  logNormalCdf,
  logSubExp,
  normalCdf,
  normalSf,
} from '../../../src/privacy/accounting/special-functions.js';

function assertRelative(actual: number, expected: number, tolerance: number, what: string): void {
  const err = Math.abs(actual - expected) / Math.abs(expected);
  assert.ok(err <= tolerance, `${what}: got ${actual}, expected ${expected} (relative error ${err.toExponential(2)})`);
}

// References computed with mpmath at 30 significant digits.
const ERFC: [number, number][] = [
  [-2, 1.9953222650189527342],
  [-0.5, 1.5204998778130465377],
  [0.1, 0.8875370839817151078],
  [0.5, 0.47950012218695346232],
  [1, 0.15729920705028513066],
  [1.4, 0.047714880237351189484],
  [1.6, 0.023651616655355992226],
  [2, 0.0046777349810472658379],
  [3, 0.000022090496998585441373],
  [5, 1.5374597944280348502e-12],
  [10, 2.088487583762544757e-45],
  [26, 5.6631924088561428465e-296],
];

test('erfc matches 30-digit references to 5e-15 relative on both sides of the series/fraction switch', () => {
  // 1 − erf(x) below x = 1.5 loses up to ~1.5 digits to cancellation; the fraction above does not.
  for (const [x, ref] of ERFC) assertRelative(erfc(x), ref, 5e-15, `erfc(${x})`);
  assert.equal(erfc(0), 1);
  assert.equal(erfc(Infinity), 0);
  assert.equal(erfc(-Infinity), 2);
});

test('logErfc stays finite and accurate where erfc underflows', () => {
  assertRelative(logErfc(30), -903.97411711064387808, 1e-15, 'logErfc(30)');
  assertRelative(logErfc(100), -10005.177585122664333, 1e-15, 'logErfc(100)');
  assertRelative(logErfc(1000), -1000007.4801207219062, 1e-15, 'logErfc(1000)');
  for (const [x, ref] of ERFC) assertRelative(logErfc(x), Math.log(ref), 5e-15, `logErfc(${x})`);
  assertRelative(logNormalCdf(-40), -804.60844201375378817, 1e-15, 'log Φ(-40)');
});

test('normal CDF and survival function are complementary and symmetric', () => {
  for (const x of [-3, -0.7, 0, 0.2, 1.9, 4]) {
    assert.ok(Math.abs(normalCdf(x) + normalSf(x) - 1) < 1e-15);
    assert.ok(Math.abs(normalCdf(-x) - normalSf(x)) < 1e-16);
  }
  assert.equal(normalCdf(0), 0.5);
});

test('logGamma matches exact factorials and 30-digit references', () => {
  let factorial = 1;
  for (let n = 1; n <= 25; n++) {
    factorial *= n;
    assert.ok(Math.abs(logGamma(n + 1) - Math.log(factorial)) < 1e-13, `log ${n}!`);
  }
  const refs: [number, number][] = [
    [0.5, 0.57236494292470008707],
    [2.5, 0.28468287047291915963],
    [7.25, 7.0521854507385394449],
    [14.5, 23.862765841689084906],
    [100.5, 361.43554046777762156],
    [1000.25, 5906.947268271117177],
  ];
  // What the accountants need is absolute accuracy of the log (it is an exponent).
  for (const [x, ref] of refs) {
    const err = Math.abs(logGamma(x) - ref);
    assert.ok(err <= 3e-15 * Math.max(1, Math.abs(ref)), `logGamma(${x}): error ${err.toExponential(2)}`);
  }
  assertRelative(logAbsGamma(-2.5), -0.056243716497674050673, 1e-13, 'log|Γ(-2.5)|');
  assert.equal(logAbsGamma(-3), Infinity);
});

test('log-space helpers are exact at their edges', () => {
  assert.equal(logAddExp(-Infinity, 2), 2);
  assert.ok(Math.abs(logAddExp(Math.log(3), Math.log(5)) - Math.log(8)) < 1e-15);
  assert.ok(Math.abs(logAddExp(1000, 1000) - (1000 + Math.LN2)) < 1e-12);
  assert.ok(Math.abs(logSubExp(Math.log(5), Math.log(3)) - Math.log(2)) < 1e-15);
  assert.equal(logSubExp(1, 1), -Infinity);
  assert.ok(Math.abs(logExpm1(1e-10) - Math.log(1e-10 + 5e-21)) < 1e-15);
  assert.ok(Math.abs(logExpm1(800) - 800) < 1e-12);
  assert.ok(Math.abs(log1pExp(800) - 800) < 1e-12);
  assert.ok(Math.abs(log1pExp(-50) - Math.exp(-50)) < 1e-30);
});
