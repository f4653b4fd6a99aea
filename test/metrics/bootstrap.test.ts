import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SeededRandom } from '../../src/engine/random.js';
import { ConfigError, NonFiniteError } from '../../src/errors.js';
import { accuracy, bootstrapCI, bootstrapSampleCI, quantileSorted, stratifiedBootstrapCI } from '../../src/metrics/index.js';

test('quantiles interpolate linearly between order statistics (numpy default)', () => {
  // [1, 2, 3, 4]: position (n−1)q = 0.75 for q = 0.25 → 1 + 0.75·(2 − 1) = 1.75.
  assert.equal(quantileSorted([1, 2, 3, 4], 0.25), 1.75);
  assert.equal(quantileSorted([1, 2, 3, 4], 0.5), 2.5);
  assert.equal(quantileSorted([1, 2, 3, 4], 1), 4);
  assert.equal(quantileSorted([5], 0.3), 5);
});

test('bootstrap CI of a mean agrees with the normal-theory interval and is reproducible from its seed', () => {
  const rng = new SeededRandom(11);
  const data = Array.from({ length: 400 }, () => rng.normal() * 2 + 5);
  const mean = data.reduce((a, b) => a + b, 0) / data.length;
  const sd = Math.sqrt(data.reduce((a, b) => a + (b - mean) ** 2, 0) / data.length);
  const ci = bootstrapSampleCI((s) => s.reduce((a, b) => a + b, 0) / s.length, data, { resamples: 2000, rng: new SeededRandom(3) });
  assert.equal(ci.estimate, mean);
  assert.equal(ci.invalidResamples, 0);
  assert.equal(ci.resamples, 2000);
  // Normal theory: half-width 1.96·sd/√n ≈ 0.196 for sd ≈ 2; the percentile bootstrap should
  // agree within Monte Carlo error (here within 10% on each side).
  const half = (1.959964 * sd) / Math.sqrt(data.length);
  assert.ok(Math.abs(mean - ci.low - half) < 0.1 * half, `low ${ci.low} vs ${mean - half}`);
  assert.ok(Math.abs(ci.high - mean - half) < 0.1 * half, `high ${ci.high} vs ${mean + half}`);
  const again = bootstrapSampleCI((s) => s.reduce((a, b) => a + b, 0) / s.length, data, { resamples: 2000, rng: new SeededRandom(3) });
  assert.deepEqual(again, ci);
});

test('bootstrapCI passes aligned indices so paired metrics (accuracy) can be resampled', () => {
  const yTrue = [1, 1, 1, 1, 0, 0, 0, 0, 1, 0];
  const yPred = [1, 1, 1, 0, 0, 0, 0, 1, 1, 0];
  const ci = bootstrapCI((idx) => accuracy(Array.from(idx, (i) => yTrue[i]), Array.from(idx, (i) => yPred[i])), 10, {
    rng: new SeededRandom(1),
    resamples: 500,
    confidence: 0.9,
  });
  assert.equal(ci.estimate, 0.8);
  assert.equal(ci.confidence, 0.9);
  assert.ok(ci.low < 0.8 && ci.high > 0.8 - 1e-12 && ci.high <= 1, JSON.stringify(ci));
});

test('a constant statistic gives a zero-width interval', () => {
  const ci = bootstrapCI(() => 3, 10, { rng: new SeededRandom(0), resamples: 50 });
  assert.deepEqual([ci.estimate, ci.low, ci.high], [3, 3, 3]);
});

test('stratified bootstrap keeps stratum sizes fixed in every replicate', () => {
  const strata = ['a', 'b', 'b', 'a', 'b', 'b', 'b', 'c'];
  // The number of positions of stratum "a" drawn is 2 in every stratified replicate.
  const countA = (idx: Int32Array) => Array.from(idx).filter((i) => strata[i] === 'a').length;
  const ci = stratifiedBootstrapCI(countA, strata, { rng: new SeededRandom(5), resamples: 200 });
  assert.deepEqual([ci.estimate, ci.low, ci.high], [2, 2, 2]);
  // Without stratification it varies.
  const loose = bootstrapCI(countA, strata.length, { rng: new SeededRandom(5), resamples: 200 });
  assert.ok(loose.low < 2 && loose.high > 2, JSON.stringify(loose));
});

test('non-finite replicates are counted and left out; all non-finite is an error', () => {
  // NaN unless position 0 is drawn: P(not drawn in 5 draws) = (4/5)^5 ≈ 0.33.
  const stat = (idx: Int32Array) => (Array.from(idx).includes(0) ? 1 : Number.NaN);
  const ci = bootstrapCI(stat, 5, { rng: new SeededRandom(2), resamples: 300 });
  assert.ok(ci.invalidResamples > 50 && ci.invalidResamples < 150, `invalid ${ci.invalidResamples}`);
  assert.deepEqual([ci.low, ci.high], [1, 1]);
  assert.throws(() => bootstrapCI(() => Number.NaN, 5, { rng: new SeededRandom(2), resamples: 10 }), NonFiniteError);
});

test('bootstrap options are checked', () => {
  const rng = new SeededRandom(0);
  assert.throws(() => bootstrapCI(() => 1, 5, { rng, resamples: 0 }), ConfigError);
  assert.throws(() => bootstrapCI(() => 1, 5, { rng, confidence: 1 }), ConfigError);
  assert.throws(() => bootstrapCI(() => 1, 0, { rng }), ConfigError);
});
