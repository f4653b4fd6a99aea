import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, ShapeMismatchError } from '../../src/errors.js';
import {
  accuracy,
  balancedAccuracy,
  confusionMatrix,
  fbetaScore,
  macroF1,
  perClassMetrics,
  precisionScore,
  recallScore,
} from '../../src/metrics/index.js';

function close(actual: number, expected: number, what: string, tolerance = 1e-12): void {
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: got ${actual}, expected ${expected}`);
}

// Hand-worked three-class table.
//   yTrue a a a b b c
//   yPred a a b b c c
// Confusion (rows true, columns predicted, order a b c):
//   a: 2 1 0      b: 0 1 1      c: 0 0 1
// accuracy 4/6. Per class: a P=2/2 R=2/3 F1=0.8; b P=1/2 R=1/2 F1=0.5; c P=1/2 R=1 F1=2/3.
// macro-F1 = (0.8 + 0.5 + 2/3)/3 = 0.6555…; balanced accuracy = (2/3 + 1/2 + 1)/3 = 0.7222…
const yTrue = ['a', 'a', 'a', 'b', 'b', 'c'];
const yPred = ['a', 'a', 'b', 'b', 'c', 'c'];

test('accuracy and confusion matrix on a hand-worked table', () => {
  close(accuracy(yTrue, yPred), 4 / 6, 'accuracy');
  const cm = confusionMatrix(yTrue, yPred);
  assert.deepEqual(cm.labels, ['a', 'b', 'c']);
  assert.deepEqual(cm.matrix, [
    [2, 1, 0],
    [0, 1, 1],
    [0, 0, 1],
  ]);
});

test('per-class precision, recall, F1 and macro-F1 on the hand-worked table', () => {
  const rows = perClassMetrics(yTrue, yPred);
  const expected = [
    { label: 'a', precision: 1, recall: 2 / 3, f1: 0.8, support: 3 },
    { label: 'b', precision: 0.5, recall: 0.5, f1: 0.5, support: 2 },
    { label: 'c', precision: 0.5, recall: 1, f1: 2 / 3, support: 1 },
  ];
  rows.forEach((row, i) => {
    assert.equal(row.label, expected[i].label);
    assert.equal(row.support, expected[i].support);
    close(row.precision, expected[i].precision, `precision ${row.label}`);
    close(row.recall, expected[i].recall, `recall ${row.label}`);
    close(row.f1, expected[i].f1, `f1 ${row.label}`);
  });
  close(macroF1(yTrue, yPred), (0.8 + 0.5 + 2 / 3) / 3, 'macro-F1');
  close(balancedAccuracy(yTrue, yPred), (2 / 3 + 1 / 2 + 1) / 3, 'balanced accuracy');
});

test('a class that is never predicted has precision 0 (no division by zero), and given labels add rows', () => {
  const rows = perClassMetrics([0, 1, 2], [0, 0, 0], [0, 1, 2, 3]);
  assert.deepEqual(
    rows.map((r) => [r.label, r.precision, r.recall, r.f1, r.support]),
    [
      [0, 1 / 3, 1, 0.5, 1],
      [1, 0, 0, 0, 1],
      [2, 0, 0, 0, 1],
      [3, 0, 0, 0, 0],
    ],
  );
});

test('binary precision, recall and F-beta for a named positive label', () => {
  // tp = 2 (i=0,1), fp = 1 (i=3), fn = 1 (i=2): P = 2/3, R = 2/3, F1 = 2/3;
  // F2 = 5·P·R/(4P + R) = 5·(4/9)/(10/3) = 2/3 as P = R.
  const t = ['yes', 'yes', 'yes', 'no', 'no'];
  const p = ['yes', 'yes', 'no', 'yes', 'no'];
  close(precisionScore(t, p, { positive: 'yes' }), 2 / 3, 'precision');
  close(recallScore(t, p, { positive: 'yes' }), 2 / 3, 'recall');
  close(fbetaScore(t, p, { positive: 'yes', beta: 2 }), 2 / 3, 'F2');
  // Positive "no": tp = 1, fp = 1, fn = 1 → P = R = 1/2.
  close(fbetaScore(t, p, { positive: 'no' }), 0.5, 'F1 of "no"');
});

test('bad input is rejected with a clear error', () => {
  assert.throws(() => accuracy([1, 2], [1]), ShapeMismatchError);
  assert.throws(() => accuracy([], []), ConfigError);
  assert.throws(() => confusionMatrix(['a', 'z'], ['a', 'a'], ['a']), /label "z" at position 1 is not in the given labels/);
  assert.throws(() => fbetaScore([1], [1], { positive: 1, beta: 0 }), ConfigError);
});
