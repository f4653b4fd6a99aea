/** Group metrics on a hand-worked table of predictions. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { groupMetrics } from '../../../src/fairness/index.js';

// Group f: one true positive, one false negative, one true negative, one false positive.
// Group m: perfect. Positive label "c".
const yTrue = ['c', 'c', 'x', 'x', 'c', 'c', 'x', 'x'];
const yPred = ['c', 'x', 'x', 'c', 'c', 'c', 'x', 'x'];
const groups = ['f', 'f', 'f', 'f', 'm', 'm', 'm', 'm'];

test('per-group rates and gaps match the hand-worked values', () => {
  const r = groupMetrics({ yTrue, yPred, groups, positive: 'c', bootstrap: false });
  assert.deepEqual(r.groups, ['f', 'm']);
  assert.deepEqual(r.groupSizes, { f: 4, m: 4 });
  assert.equal(r.byGroup.f.accuracy, 0.5);
  assert.equal(r.byGroup.m.accuracy, 1);
  assert.equal(r.byGroup.f.selectionRate, 0.5);
  assert.equal(r.byGroup.m.selectionRate, 0.5);
  assert.equal(r.byGroup.f.truePositiveRate, 0.5);
  assert.equal(r.byGroup.f.falsePositiveRate, 0.5);
  assert.equal(r.byGroup.m.falsePositiveRate, 0);
  assert.equal(r.overall.accuracy, 0.75);
  assert.deepEqual(r.differences, { accuracy: 0.5, errorRate: 0.5, selectionRate: 0, demographicParity: 0, equalOpportunity: 0.5, equalizedOdds: 0.5 });
  assert.equal(r.demographicParityRatio, 1);
  assert.equal(r.ci, undefined);
});

test('bootstrap intervals are seeded, contain the estimates and include equalised odds', () => {
  const a = groupMetrics({ yTrue, yPred, groups, positive: 'c', bootstrap: { resamples: 300, seed: 3 } });
  const b = groupMetrics({ yTrue, yPred, groups, positive: 'c', bootstrap: { resamples: 300, seed: 3 } });
  assert.deepEqual(a, b);
  const ci = a.ci!;
  assert.equal(ci.resamples, 300);
  for (const [name, interval] of Object.entries(ci.differences)) {
    assert.ok(interval.low! <= interval.estimate! && interval.estimate! <= interval.high!, `${name}: ${JSON.stringify(interval)}`);
  }
  assert.equal(ci.differences.equalizedOdds.estimate, 0.5);
  // Group m is perfect in every within-group resample: its accuracy interval is a point.
  assert.deepEqual(ci.byGroup.m.accuracy, { estimate: 1, low: 1, high: 1 });
});
