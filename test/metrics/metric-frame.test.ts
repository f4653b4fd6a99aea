import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SeededRandom } from '../../src/engine/random.js';
import { ConfigError, ShapeMismatchError } from '../../src/errors.js';
import {
  accuracy,
  demographicParityDifference,
  demographicParityRatio,
  equalizedOddsDifference,
  equalizedOddsRatio,
  equalOpportunityDifference,
  equalOpportunityRatio,
  fbetaScore,
  groupFairnessReport,
  metricFrame,
  type Label,
} from '../../src/metrics/index.js';

function close(actual: number, expected: number, what: string, tolerance = 1e-12): void {
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: got ${actual}, expected ${expected}`);
}

// The data of fairlearn's "Advanced usage of MetricFrame" user guide (v0.10), whose documented
// output for fbeta_score(beta=0.6) is overall 0.56983…, a 0.365591, b 0.850000, c 0.468966.
const yTrue = [0, 1, 1, 1, 1, 0, 1, 0, 1, 0, 0, 0, 1, 1, 1, 1, 1, 1];
const yPred = [0, 0, 1, 0, 1, 1, 1, 0, 0, 1, 1, 1, 1, 0, 0, 1, 1, 0];
const sf = ['b', 'b', 'a', 'b', 'b', 'c', 'c', 'c', 'a', 'a', 'c', 'a', 'b', 'c', 'c', 'b', 'c', 'c'];
// Worked by hand per group (positive label 1):
//   a = positions 2 8 9 11: true 1 1 0 0, pred 1 0 1 1 → TP 1 FP 2 FN 1 TN 0
//   b = positions 0 1 3 4 12 15: true 0 1 1 1 1 1, pred 0 0 0 1 1 1 → TP 3 FP 0 FN 2 TN 1
//   c = positions 5 6 7 10 13 14 16 17: true 0 1 0 0 1 1 1 1, pred 1 1 0 1 0 0 1 0 → TP 2 FP 2 FN 3 TN 1
//   selection rate a 3/4, b 3/6, c 4/8    → DP difference 0.25, ratio 0.5/0.75 = 2/3
//   TPR a 1/2, b 3/5, c 2/5               → equal opportunity difference 0.2, ratio 2/3
//   FPR a 2/2, b 0/1, c 2/3               → FPR difference 1; equalised odds difference max(0.2, 1) = 1,
//                                            ratio min(2/3, 0/1) = 0
//   accuracy a 1/4, b 4/6, c 3/8, overall 8/18
const fbeta06 = (t: Label[], p: Label[]) => fbetaScore(t, p, { positive: 1, beta: 0.6 });

test("metricFrame reproduces fairlearn's documented fbeta(0.6) by group", () => {
  const frame = metricFrame({ metrics: { fbeta: fbeta06, accuracy }, yTrue, yPred, sensitive: sf });
  assert.deepEqual(frame.groups, ['a', 'b', 'c']);
  assert.deepEqual(frame.groupSizes, { a: 4, b: 6, c: 8 });
  close(frame.overall.fbeta, 0.56983, 'overall', 5e-6);
  close(frame.byGroup.a.fbeta, 0.365591, 'a', 5e-7);
  close(frame.byGroup.b.fbeta, 0.85, 'b', 5e-7);
  close(frame.byGroup.c.fbeta, 0.468966, 'c', 5e-7);
  close(frame.overall.accuracy, 8 / 18, 'overall accuracy');
  close(frame.byGroup.a.accuracy, 1 / 4, 'accuracy a');
  close(frame.byGroup.b.accuracy, 4 / 6, 'accuracy b');
  close(frame.byGroup.c.accuracy, 3 / 8, 'accuracy c');
  close(frame.difference().accuracy, 4 / 6 - 1 / 4, 'accuracy difference');
  close(frame.ratio().accuracy, 1 / 4 / (4 / 6), 'accuracy ratio');
  close(frame.groupMin().fbeta, frame.byGroup.a.fbeta, 'min');
  close(frame.groupMax().fbeta, 0.85, 'max', 1e-12);
});

test('group fairness metrics match the hand-worked table', () => {
  const input = { yTrue, yPred, sensitive: sf, positive: 1 };
  close(demographicParityDifference(input), 0.25, 'DP difference');
  close(demographicParityRatio(input), 2 / 3, 'DP ratio');
  close(equalOpportunityDifference(input), 0.2, 'EOpp difference');
  close(equalOpportunityRatio(input), 2 / 3, 'EOpp ratio');
  close(equalizedOddsDifference(input), 1, 'EOdds difference');
  close(equalizedOddsRatio(input), 0, 'EOdds ratio');
  const report = groupFairnessReport(input);
  close(report.frame.byGroup.c.falsePositiveRate, 2 / 3, 'FPR c');
  close(report.frame.byGroup.b.falseNegativeRate, 2 / 5, 'FNR b');
  close(report.frame.byGroup.a.errorRate, 3 / 4, 'error rate a');
  close(report.demographicParityDifference, 0.25, 'report DP');
  close(report.equalizedOddsDifference, 1, 'report EOdds');
});

test('multi-class labels: the caller names the positive label', () => {
  // Positive "book_flight"; everything else is negative. Group g1: selection 2/3, g2: 0/2.
  const t = ['book_flight', 'weather', 'book_flight', 'book_flight', 'weather'];
  const p = ['book_flight', 'book_flight', 'weather', 'weather', 'alarm'];
  const s = ['g1', 'g1', 'g1', 'g2', 'g2'];
  close(demographicParityDifference({ yTrue: t, yPred: p, sensitive: s, positive: 'book_flight' }), 2 / 3, 'DP');
  // TPR g1 = 1/2 (positions 0, 2), g2 = 0/1 → 1/2.
  close(equalOpportunityDifference({ yTrue: t, yPred: p, sensitive: s, positive: 'book_flight' }), 0.5, 'EOpp');
});

test('a group without positives has an undefined TPR, and the gap is NaN rather than silently ignoring it', () => {
  const report = groupFairnessReport({ yTrue: [1, 0, 0, 0], yPred: [1, 0, 1, 0], sensitive: ['x', 'x', 'y', 'y'], positive: 1 });
  assert.ok(Number.isNaN(report.frame.byGroup.y.truePositiveRate));
  assert.ok(Number.isNaN(report.equalOpportunityDifference));
  // FPR is defined for both (x: 0/1, y: 1/2).
  close(report.frame.difference().falsePositiveRate, 0.5, 'FPR gap');
});

test('ratio is 1 when all groups are equal, including all zero', () => {
  const frame = metricFrame({ metrics: { zero: () => 0 }, yTrue: [1, 0], yPred: [1, 0], sensitive: ['a', 'b'] });
  assert.equal(frame.ratio().zero, 1);
  assert.equal(frame.difference().zero, 0);
});

test('bootstrap intervals: seeded, stratified by group, covering overall, groups, difference and ratio', () => {
  const options = {
    metrics: { accuracy, size: (t: Label[]) => t.length },
    yTrue,
    yPred,
    sensitive: sf,
    bootstrap: { rng: new SeededRandom(42), resamples: 400 },
  };
  const frame = metricFrame(options);
  const ci = frame.ci!;
  assert.equal(ci.stratified, true);
  assert.equal(ci.resamples, 400);
  // Stratified: every replicate keeps the group sizes, so "size" has zero-width intervals.
  for (const g of frame.groups) assert.deepEqual([ci.byGroup[g].size.low, ci.byGroup[g].size.high], [frame.groupSizes[g], frame.groupSizes[g]]);
  assert.deepEqual([ci.difference.size.low, ci.difference.size.high], [4, 4]);
  const acc = ci.difference.accuracy;
  assert.equal(acc.estimate, frame.difference().accuracy);
  assert.ok(acc.low <= acc.estimate && acc.estimate <= acc.high && acc.low >= -1 && acc.high <= 1, JSON.stringify(acc));
  for (const g of frame.groups) {
    const a = ci.byGroup[g].accuracy;
    assert.ok(a.low <= frame.byGroup[g].accuracy && frame.byGroup[g].accuracy <= a.high, `${g}: ${JSON.stringify(a)}`);
  }
  // Same seed, same intervals.
  const again = metricFrame({ ...options, bootstrap: { rng: new SeededRandom(42), resamples: 400 } });
  assert.deepEqual(again.ci, ci);
  // Unstratified resampling lets group sizes vary.
  const loose = metricFrame({ ...options, bootstrap: { rng: new SeededRandom(42), resamples: 400, stratified: false } });
  assert.ok(loose.ci!.byGroup.c.size.high > 8 && loose.ci!.byGroup.c.size.low < 8);
});

test('difference intervals are oriented: two equal groups give an interval around 0, not above it', () => {
  // Two groups with the same accuracy (3/4 each): max − min re-taken per replicate is ≥ 0 and
  // almost always > 0, so its percentile interval would exclude the observed gap of 0.
  const t = [1, 1, 1, 1, 1, 1, 1, 1];
  const p = [1, 1, 1, 0, 1, 1, 1, 0];
  const s = ['a', 'a', 'a', 'a', 'b', 'b', 'b', 'b'];
  const frame = metricFrame({ metrics: { accuracy }, yTrue: t, yPred: p, sensitive: s, bootstrap: { rng: new SeededRandom(3), resamples: 500 } });
  const d = frame.ci!.difference.accuracy;
  assert.equal(d.estimate, 0);
  assert.ok(d.low < 0 && d.high > 0, JSON.stringify(d));
  // Symmetric groups: the interval is close to symmetric around 0.
  assert.ok(Math.abs(d.low + d.high) <= 0.25, JSON.stringify(d));
  const r = frame.ci!.ratio.accuracy;
  assert.ok(r.low <= 1 && r.high >= 1, JSON.stringify(r));
});

test('metricFrame checks its input', () => {
  assert.throws(() => metricFrame({ metrics: { accuracy }, yTrue: [1, 0], yPred: [1], sensitive: ['a', 'b'] }), ShapeMismatchError);
  assert.throws(() => metricFrame({ metrics: { accuracy }, yTrue: [1, 0], yPred: [1, 0], sensitive: ['a'] }), ShapeMismatchError);
  assert.throws(() => metricFrame({ metrics: {}, yTrue: [1], yPred: [1], sensitive: ['a'] }), ConfigError);
  assert.throws(() => metricFrame({ metrics: { accuracy }, yTrue: [1, 0], yPred: [1, 0], sensitive: [1, '1'] }), /same name/);
});
