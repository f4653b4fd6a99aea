/** DP histograms over devices: exact sums, noise of the calibrated size, clipping, secure = plain. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { composedGaussianNoiseMultiplier, dpLabelHistogram, dpStatisticHistogram } from '../../../src/federated/analytics/index.js';

test('label histogram: clipped per-device count vectors, noise σ·C, secure aggregation equals the plain sum', async () => {
  const devices = [['a', 'a', 'b'], ['b'], ['c', 'c', 'c', 'c', 'c', 'c', 'c', 'c', 'c', 'c']];
  const plain = await dpLabelHistogram({ devices, labels: ['a', 'b', 'c'], epsilon: 1, delta: 1e-5, clipNorm: 5, noiseSeed: 1 });
  assert.deepEqual(plain.unclippedCounts, [2, 2, 10]);
  assert.equal(plain.clippedDevices, 1);
  assert.deepEqual(plain.trueCounts, [2, 2, 5]);
  assert.equal(plain.noiseStd, composedGaussianNoiseMultiplier(1, 1e-5) * 5);
  const secure = await dpLabelHistogram({ devices, labels: ['a', 'b', 'c'], epsilon: 1, delta: 1e-5, clipNorm: 5, noiseSeed: 1, aggregation: 'secure' });
  assert.deepEqual(secure.noisyCounts, plain.noisyCounts);
  await assert.rejects(dpLabelHistogram({ devices: [['z']], labels: ['a'], epsilon: 1, delta: 1e-5 }), /label "z" is not among/);
});

test('statistic histogram: one bin per device, the noise has the calibrated standard deviation', async () => {
  const values = Array.from({ length: 200 }, (_, i) => (i % 10) / 10 + 0.05);
  const runs = 300;
  const errors: number[] = [];
  let r;
  for (let s = 0; s < runs; s++) {
    r = await dpStatisticHistogram({ values, bins: 10, epsilon: 2, delta: 1e-5, noiseSeed: s });
    r.noisyCounts.forEach((c, i) => errors.push(c - r!.trueCounts[i]));
  }
  assert.deepEqual(r!.trueCounts, new Array(10).fill(20));
  assert.ok(Math.abs(r!.trueMean - 0.5) < 1e-12);
  const sd = Math.sqrt(errors.reduce((s, e) => s + e * e, 0) / errors.length);
  const expected = composedGaussianNoiseMultiplier(2, 1e-5);
  assert.ok(Math.abs(sd / expected - 1) < 0.05, `noise sd ${sd} vs σ ${expected}`);
  assert.equal(r!.bins[9], '[0.9, 1]');
  await assert.rejects(dpStatisticHistogram({ values: [NaN], epsilon: 1, delta: 1e-5 }), /not a finite number/);
});
