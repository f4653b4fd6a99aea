import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, NonFiniteError, ShapeMismatchError } from '../../../src/errors.js';
import { SeededRandom } from '../../../src/engine/random.js';
import { WeightedSumAccumulator, weightedMean, weightedSum, type ParameterSet } from '../../../src/federated/aggregate/index.js';

function vec(values: number[]): ParameterSet {
  return { names: ['w'], arrays: [Float32Array.from(values)] };
}

// Three updates of four coordinates, worked by hand in every aggregator test.
const U0 = [1, 2, 3, 4];
const U1 = [2, 0, 3, 8];
const U2 = [6, 1, 0, 2];

test('weightedMean: three updates, weights 1, 2, 1, by hand', () => {
  // coordinate 0: (1·1 + 2·2 + 1·6) / 4 = 11/4; 1: (2 + 0 + 1)/4; 2: (3 + 6 + 0)/4; 3: (4 + 16 + 2)/4
  const mean = weightedMean([vec(U0), vec(U1), vec(U2)], [1, 2, 1]);
  assert.deepEqual(Array.from(mean.arrays[0]), [2.75, 0.75, 2.25, 5.5]);
  // weightedSum does not divide: 4× the mean here
  assert.deepEqual(Array.from(weightedSum([vec(U0), vec(U1), vec(U2)], [1, 2, 1]).arrays[0]), [11, 3, 9, 22]);
});

test('weightedMean: weight-0 updates are skipped, even if non-finite', () => {
  const mean = weightedMean([vec(U0), vec([Number.NaN, 0, 0, 0]), vec(U2)], [1, 0, 1]);
  assert.deepEqual(Array.from(mean.arrays[0]), [3.5, 1.5, 1.5, 3]);
});

test('weightedMean: bad weights and layouts are ConfigError / ShapeMismatchError', () => {
  const us = [vec(U0), vec(U1)];
  assert.throws(() => weightedMean(us, [1]), ConfigError);
  assert.throws(() => weightedMean(us, [1, -1]), /weight 1 is -1/);
  assert.throws(() => weightedMean(us, [0, 0]), /sum to 0/);
  assert.throws(() => weightedMean(us, [1, Number.NaN]), ConfigError);
  assert.throws(() => weightedMean([], []), ConfigError);
  assert.throws(() => weightedMean([vec(U0), vec([1, 2, 3])], [1, 1]), (e: Error) => e instanceof ShapeMismatchError && /update 1/.test(e.message));
});

test('weightedMean: a NaN update is reported by update, tensor and index', () => {
  assert.throws(
    () => weightedMean([vec(U0), vec(U1), vec([6, 1, Number.POSITIVE_INFINITY, 2])], [1, 1, 1]),
    (e: Error) => e instanceof NonFiniteError && /update 2, tensor "w" has Infinity at index 2/.test(e.message),
  );
});

test('weightedMean: matches an exact rational computation on random data (multi-tensor, 4-way unrolled path)', () => {
  const rng = new SeededRandom(11);
  const n = 9; // 2 groups of 4 plus a remainder of 1
  const updates: ParameterSet[] = [];
  const weights: number[] = [];
  for (let i = 0; i < n; i++) {
    updates.push({ names: ['a', 'b'], arrays: [rng.normalArray(37), rng.normalArray(5)] });
    weights.push(1 + rng.int(100));
  }
  const got = weightedMean(updates, weights);
  const total = weights.reduce((s, w) => s + w, 0);
  for (let t = 0; t < 2; t++) {
    for (let j = 0; j < got.arrays[t].length; j++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += weights[i] * updates[i].arrays[t][j];
      assert.equal(got.arrays[t][j], Math.fround(s / total));
    }
  }
});

test('WeightedSumAccumulator streams to the same mean and stays clean after a rejected update', () => {
  const acc = new WeightedSumAccumulator(vec(U0));
  acc.add(vec(U0), 1);
  acc.add(vec(U1), 2);
  assert.throws(() => acc.add(vec([0, Number.NaN, 0, 0]), 5), /update 2, tensor "w" has NaN at index 1/);
  assert.throws(() => acc.add(vec([1, 2]), 1), ShapeMismatchError);
  assert.throws(() => acc.add(vec(U2), -1), ConfigError);
  acc.add(vec(U2), 1);
  assert.equal(acc.count, 3);
  assert.equal(acc.totalWeight, 4);
  assert.deepEqual(Array.from(acc.mean().arrays[0]), [2.75, 0.75, 2.25, 5.5]);
  assert.deepEqual(Array.from(acc.sum().arrays[0]), [11, 3, 9, 22]);
  assert.throws(() => new WeightedSumAccumulator(vec(U0)).mean(), /total weight is 0/);
});

test('weightedMean: float64 accumulation survives cancellation that a float32 sum would not', () => {
  // 1e8, then 1000 ones, then −1e8: the exact sum is 1000. A float32 running sum loses every
  // 1 (ulp(1e8) = 8) and returns 0; the mean over 1002 updates is 1000/1002.
  const updates = [vec([1e8]), ...Array.from({ length: 1000 }, () => vec([1])), vec([-1e8])];
  const weights = updates.map(() => 1);
  assert.equal(weightedMean(updates, weights).arrays[0][0], Math.fround(1000 / 1002));
  const acc = new WeightedSumAccumulator(updates[0]);
  for (const u of updates) acc.add(u, 1);
  assert.equal(acc.mean().arrays[0][0], Math.fround(1000 / 1002));
});
