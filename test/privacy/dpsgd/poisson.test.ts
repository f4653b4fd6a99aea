/**
 * Poisson sampling, as the accountant assumes it: each example joins each batch
 * independently with probability q. Checked: the overall inclusion frequency is q, each
 * example's count over T steps is Binomial(T, q) (mean and variance across examples; a
 * shuffled fixed-size plan has variance 0 and fails), batch sizes have mean qN and variance
 * qN(1 − q), empty batches appear at the rate (1 − q)^N, and the trainer runs an empty batch.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRandom } from '../../../src/engine/index.js';
import { ConfigError } from '../../../src/errors.js';
import { poissonBatch, poissonBatchPlan, poissonStepsPerEpoch } from '../../../src/privacy/dpsgd/index.js';

function meanVariance(values: number[]): { mean: number; variance: number } {
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  const variance = values.reduce((s, v) => s + (v - mean) ** 2, 0) / (values.length - 1);
  return { mean, variance };
}

test('inclusion frequency ≈ q, per-example counts Binomial(T, q), batch sizes mean qN and variance qN(1 − q)', () => {
  const N = 2000;
  const q = 0.03;
  const plan = poissonBatchPlan({ sampleRate: q, stepsPerEpoch: 400 });
  const batches = plan(0, new SeededRandom(1), N);
  assert.equal(batches.length, 400);
  const T = batches.length;
  const counts = new Array<number>(N).fill(0);
  for (const b of batches) {
    assert.ok(b.every((i, k) => Number.isInteger(i) && i >= 0 && i < N && (k === 0 || i > b[k - 1])), 'sorted distinct indices');
    for (const i of b) counts[i]++;
  }
  const total = counts.reduce((s, c) => s + c, 0);
  const pHat = total / (N * T);
  assert.ok(Math.abs(pHat - q) < 5 * Math.sqrt((q * (1 - q)) / (N * T)), `inclusion frequency ${pHat}`);
  const c = meanVariance(counts);
  const countVariance = T * q * (1 - q);
  // The sample variance of N binomials has relative standard error ≈ √(2/N) (plus a small kurtosis term).
  assert.ok(Math.abs(c.variance / countVariance - 1) < 5 * Math.sqrt(2 / N) + 0.05, `per-example count variance ${c.variance} vs ${countVariance}`);
  const sizes = meanVariance(batches.map((b) => b.length));
  assert.ok(Math.abs(sizes.mean - q * N) < 5 * Math.sqrt((q * (1 - q) * N) / T), `mean batch size ${sizes.mean}`);
  assert.ok(Math.abs(sizes.variance / (q * (1 - q) * N) - 1) < 5 * Math.sqrt(2 / T), `batch size variance ${sizes.variance}`);
  assert.ok(new Set(batches.map((b) => b.length)).size > 10, 'sizes vary');

  // The check above fails for shuffled fixed-size batches (every example exactly once per epoch).
  const rng = new SeededRandom(2);
  const fixed = new Array<number>(N).fill(0);
  for (let e = 0; e < 12; e++) for (const i of rng.permutation(N)) fixed[i]++;
  assert.ok(meanVariance(fixed).variance < 0.5 * 12 * (1 / 12) * (11 / 12), 'fixed-size plan: count variance collapses');
});

test('empty batches occur at the rate (1 − q)^N', () => {
  const N = 300;
  const q = 0.003; // P(empty) = 0.997^300 ≈ 0.406
  const batches = poissonBatchPlan({ sampleRate: q, stepsPerEpoch: 2000 })(0, new SeededRandom(3), N);
  const empty = batches.filter((b) => b.length === 0).length;
  const p = (1 - q) ** N;
  assert.ok(Math.abs(empty - 2000 * p) < 5 * Math.sqrt(2000 * p * (1 - p)), `${empty} empty batches, expected ${2000 * p}`);
  assert.ok(batches.some((b) => b.length >= 3), 'and some with several examples');
});

test('steps per epoch round(1/q); seeded plans reproduce, secure plans draw from the CSPRNG; bad rates are refused', () => {
  assert.equal(poissonStepsPerEpoch(0.01), 100);
  assert.equal(poissonStepsPerEpoch(0.3), 3);
  assert.equal(poissonStepsPerEpoch(1), 1);
  assert.equal(poissonBatchPlan({ sampleRate: 0.1 })(0, new SeededRandom(5), 50).length, 10);
  const seeded = poissonBatchPlan({ sampleRate: 0.2 });
  assert.deepEqual(seeded(0, new SeededRandom(7), 100), seeded(0, new SeededRandom(7), 100));
  const secure = poissonBatchPlan({ sampleRate: 0.2, secure: true });
  assert.notDeepEqual(secure(0, new SeededRandom(7), 100), secure(0, new SeededRandom(7), 100));
  assert.deepEqual(poissonBatch(5, 1, () => 0.999), [0, 1, 2, 3, 4]);
  for (const q of [0, -0.1, 1.5, NaN]) assert.throws(() => poissonStepsPerEpoch(q), ConfigError);
  assert.throws(() => poissonBatchPlan({ sampleRate: 0.1, stepsPerEpoch: 0 }), /steps per epoch must be an integer ≥ 1/);
});
