import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SeededRandom } from '../../src/engine/random.js';
import { ConfigError, NonFiniteError } from '../../src/errors.js';
import { bestBalancedAccuracy, mannWhitneyAuc, rocAuc, rocCurve, rocPointAtFpr, tprAtFpr } from '../../src/metrics/index.js';

function close(actual: number, expected: number, what: string, tolerance = 1e-12): void {
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: got ${actual}, expected ${expected}`);
}

// Hand-worked: scores 0.9 0.8 0.8 0.7 0.6 0.5 with labels 1 1 0 1 0 0 (3 positives, 3 negatives).
// Thresholds (predict positive when score ≥ t) and (FPR, TPR):
//   +∞ → (0, 0); 0.9 → (0, 1/3); 0.8 → (1/3, 2/3) [the tie moves both]; 0.7 → (1/3, 1);
//   0.6 → (2/3, 1); 0.5 → (1, 1).
// AUC by trapezoids: 0 + (1/3)(1/3 + 2/3)/2 + 0 + (1/3)(1) + (1/3)(1) = 1/6 + 2/3 = 5/6.
// Mann–Whitney: positive 0.9 beats 3 negatives; 0.8 ties one (½) and beats 2; 0.7 beats 2
//   → (3 + 2.5 + 2)/9 = 5/6.
const scores = [0.9, 0.8, 0.8, 0.7, 0.6, 0.5];
const labels = [1, 1, 0, 1, 0, 0];

test('ROC curve of the hand-worked example, with the tie as one diagonal step', () => {
  const curve = rocCurve(scores, labels);
  const expected = [
    [0, 0, Infinity],
    [0, 1 / 3, 0.9],
    [1 / 3, 2 / 3, 0.8],
    [1 / 3, 1, 0.7],
    [2 / 3, 1, 0.6],
    [1, 1, 0.5],
  ];
  assert.equal(curve.length, expected.length);
  curve.forEach((p, i) => {
    close(p.fpr, expected[i][0], `fpr ${i}`);
    close(p.tpr, expected[i][1], `tpr ${i}`);
    assert.equal(p.threshold, expected[i][2]);
  });
});

test('AUC is 5/6 by both the curve and the Mann–Whitney ranks', () => {
  close(rocAuc(scores, labels), 5 / 6, 'rocAuc');
  close(mannWhitneyAuc(scores, labels), 5 / 6, 'mannWhitneyAuc');
  // Labels as booleans give the same.
  close(rocAuc(scores, labels.map((l) => l === 1)), 5 / 6, 'boolean labels');
});

test('AUC equals the brute-force pairwise Mann–Whitney estimate on heavily tied random scores', () => {
  const rng = new SeededRandom(7);
  for (let trial = 0; trial < 5; trial++) {
    const n = 200;
    const s = Array.from({ length: n }, () => rng.int(12) / 4); // many ties
    const y = Array.from({ length: n }, () => (rng.next() < 0.4 ? 1 : 0));
    let wins = 0;
    let pairs = 0;
    for (let i = 0; i < n; i++) {
      if (y[i] !== 1) continue;
      for (let j = 0; j < n; j++) {
        if (y[j] !== 0) continue;
        pairs++;
        wins += s[i] > s[j] ? 1 : s[i] === s[j] ? 0.5 : 0;
      }
    }
    close(rocAuc(s, y), wins / pairs, `trial ${trial} rocAuc`);
    close(mannWhitneyAuc(s, y), wins / pairs, `trial ${trial} mannWhitneyAuc`);
  }
});

test('TPR at FPR reads the best curve point at or below the target, without interpolation', () => {
  close(tprAtFpr(scores, labels, 0), 1 / 3, 'FPR 0');
  close(tprAtFpr(scores, labels, 0.3), 1 / 3, 'FPR 0.3 (1/3 is above)');
  close(tprAtFpr(scores, labels, 1 / 3), 1, 'FPR exactly 1/3');
  close(tprAtFpr(scores, labels, 1), 1, 'FPR 1');
  assert.equal(rocPointAtFpr(scores, labels, 1 / 3).threshold, 0.7);
  // 10 negatives, target 0.1: exactly one false positive allowed despite 0.1·10 rounding.
  const s = [10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0, -1];
  const y = [1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0];
  close(tprAtFpr(s, y, 0.1), 1, 'one FP of ten at target 0.1');
});

test('best balanced accuracy picks the threshold maximising (TPR + TNR)/2', () => {
  // At threshold 0.7: TPR 1, FPR 1/3 → (1 + 2/3)/2 = 5/6; no other point is higher.
  const best = bestBalancedAccuracy(scores, labels);
  close(best.balancedAccuracy, 5 / 6, 'balanced accuracy');
  assert.equal(best.threshold, 0.7);
});

test('ROC metrics refuse one-class labels, non-finite scores and non-binary labels', () => {
  assert.throws(() => rocAuc([0.1, 0.2], [1, 1]), ConfigError);
  assert.throws(() => rocAuc([0.1, Number.NaN], [1, 0]), NonFiniteError);
  assert.throws(() => rocAuc([0.1, 0.2], [1, 2]), /binary labels must be 0\/1/);
  assert.throws(() => tprAtFpr([0.1, 0.2], [1, 0], 1.5), ConfigError);
});
