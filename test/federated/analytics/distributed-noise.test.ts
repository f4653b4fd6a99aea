/**
 * Distributed noise in the simulator: exact at ε = ∞; at finite ε the revealed sums carry the
 * noise of n shares of σ_i² = the t-scaled share (checked against the exact discrete Gaussian
 * variance over many draws); secure aggregation equals the plain sum; integer label clipping;
 * malformed settings are ConfigErrors.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRandom } from '../../../src/engine/random.js';
import {
  AnalyticsRandom,
  dpLabelHistogram,
  dpStatisticHistogram,
  integerClippedCounts,
  integerCountsL1Bound,
  planDistributedNoise,
  simulateHeavyHitters,
  trieHeavyHitters,
} from '../../../src/federated/analytics/index.js';
import { population } from './population.js';
import { discreteGaussianVariance, distributedDiscreteGaussianComposedEpsilon } from '../../../src/privacy/index.js';
import { ConfigError } from '../../../src/errors.js';


const COUNTS = { the: 90, then: 70, them: 55, they: 41, cat: 33, car: 27, care: 20, i: 12, a: 9, zoo: 5 };

test('distributed noise at ε = ∞ is exact: TrieHH finds every item with its exact count, like central', async () => {
  const users = population(COUNTS, 120, 1);
  const central = await trieHeavyHitters({ users, k: 8, epsilon: Infinity, delta: 1e-6, votesPerDevice: 100, noiseSeed: 3 });
  const distributed = await trieHeavyHitters({ users, k: 8, epsilon: Infinity, delta: 1e-6, votesPerDevice: 100, noiseSeed: 3, noise: 'distributed' });
  assert.equal(distributed.noiseMechanism, 'distributed-discrete-gaussian');
  assert.equal(distributed.distributedNoise?.shareSigma, 0);
  assert.equal(distributed.distributedNoise?.minReports, 120);
  assert.deepEqual(new Map(distributed.discovered.map((d) => [d.item, d.estimate])), new Map(Object.entries(COUNTS)));
  assert.deepEqual(distributed.discovered, central.discovered);
});

test('distributed noise at finite ε: the revealed sums carry n·Var(N_Z(0, σ_i²)), with σ_i calibrated for t reports', async () => {
  const values = Array.from({ length: 40 }, (_, i) => (i % 4) / 4 + 0.1);
  const runs = 150;
  for (const minReports of [10, 40]) {
    const errors: number[] = [];
    let last: Awaited<ReturnType<typeof dpStatisticHistogram>> | undefined;
    for (let s = 0; s < runs; s++) {
      last = await dpStatisticHistogram({ values, bins: 4, epsilon: 2, delta: 1e-5, noiseSeed: s, noise: 'distributed', minReports });
      last.noisyCounts.forEach((c, i) => {
        assert.ok(Number.isInteger(c), `noisy count ${c} is an integer`);
        errors.push(c - last!.trueCounts[i]);
      });
    }
    const plan = last!.distributedNoise!;
    assert.equal(plan.minReports, minReports);
    assert.equal(last!.noiseMechanism, 'distributed-discrete-gaussian');
    assert.deepEqual(last!.trueCounts, [10, 10, 10, 10]);
    // the share σ_i meets the budget with t shares and sensitivity 1
    assert.ok(plan.accountedEpsilon <= 2 && plan.accountedEpsilon > 1.99, JSON.stringify(plan));
    assert.equal(plan.dimension, 4, 'd: one count per bin');
    const again = distributedDiscreteGaussianComposedEpsilon({ shareSigma: plan.shareSigma, shares: minReports, l1Sensitivity: 1, l2Sensitivity: 1, dimension: 4 }, 1, 1e-5);
    assert.equal(again.epsilon, plan.accountedEpsilon);
    // 40 devices report: the sum's noise variance is 40·Var(N_Z(0, σ_i²)) = (40/t)·(the variance t shares would have)
    const expected = 40 * discreteGaussianVariance(plan.shareSigma);
    const variance = errors.reduce((s, e) => s + e * e, 0) / errors.length;
    const se = expected * Math.sqrt(2 / errors.length);
    assert.ok(Math.abs(variance - expected) < 5 * se, `t = ${minReports}: variance ${variance} vs ${expected} ± ${se}`);
    assert.ok(Math.abs(last!.noiseStd ** 2 - expected) < 1e-9);
  }
  // fewer guaranteed reports, more noise per device; but with many small shares τ keeps σ_i near
  // 0.66, so t = 40 reveals MORE total noise (40·0.66²) than t = 10 (10·0.74²)
  const t10 = planDistributedNoise({ epsilon: 2, delta: 1e-5, rounds: 1, minReports: 10, l1Sensitivity: 1, l2Sensitivity: 1, dimension: 4 });
  const t40 = planDistributedNoise({ epsilon: 2, delta: 1e-5, rounds: 1, minReports: 40, l1Sensitivity: 1, l2Sensitivity: 1, dimension: 4 });
  assert.ok(t10.shareSigma > t40.shareSigma && 10 * t10.shareSigma ** 2 < 40 * t40.shareSigma ** 2, `${t10.shareSigma} vs ${t40.shareSigma}`);
});

test('distributed noise through the secure-aggregation protocol equals the plain sum of the noisy vectors', async () => {
  const users = population({ ab: 6, ac: 4, b: 3 }, 8, 2);
  const options = { users, k: 3, epsilon: 8, delta: 1e-5, noiseSeed: 7, maxLength: 2, minCount: 1, thresholdSigmas: 0, noise: 'distributed' as const };
  const plain = await trieHeavyHitters(options);
  const secure = await trieHeavyHitters({ ...options, aggregation: 'secure' });
  assert.deepEqual(secure.discovered, plain.discovered);
  assert.ok(plain.distributedNoise!.shareSigma > 0);
  const devices = [['a', 'a', 'b'], ['b'], ['c', 'c', 'c', 'c', 'c', 'c', 'c', 'c', 'c', 'c']];
  const h1 = await dpLabelHistogram({ devices, labels: ['a', 'b', 'c'], epsilon: 4, delta: 1e-5, clipNorm: 5, noiseSeed: 1, noise: 'distributed', minReports: 2 });
  const h2 = await dpLabelHistogram({ devices, labels: ['a', 'b', 'c'], epsilon: 4, delta: 1e-5, clipNorm: 5, noiseSeed: 1, noise: 'distributed', minReports: 2, aggregation: 'secure' });
  assert.deepEqual(h2.noisyCounts, h1.noisyCounts);
  assert.deepEqual(h1.trueCounts, [2, 2, 5]);
  assert.equal(h1.clippedDevices, 1);
  // sensitivities of integer counts with L2 ≤ 5 over 3 labels: ‖Δ‖₂ = 5, ‖Δ‖₁ ≤ min(25, ⌊√3·5⌋ = 8)
  assert.equal(h1.distributedNoise!.l2Sensitivity, 5);
  assert.equal(h1.distributedNoise!.l1Sensitivity, 8);
});

test('integer clipping lowers the largest counts until the L2 norm is ≤ C, and the L1 bound holds', () => {
  const random = AnalyticsRandom.from(3);
  const clipped = integerClippedCounts(new Map([[0, 4], [1, 4], [2, 1]]), 3, random);
  // 16 + 16 + 1 = 33 → lower a 4, then the other 4, … until ≤ 9: (2, 2, 1) has 9
  assert.deepEqual([...clipped.values()].sort(), [1, 2, 2]);
  const many = new Map(Array.from({ length: 30 }, (_, i) => [i, 1] as [number, number]));
  const kept = integerClippedCounts(many, 5, random);
  assert.equal(kept.size, 25);
  for (let trial = 0; trial < 200; trial++) {
    const rng = new SeededRandom(trial);
    const counts = new Map(Array.from({ length: 6 }, (_, i) => [i, rng.int(8)] as [number, number]));
    const c = integerClippedCounts(counts, 2.5, random);
    const l2 = Math.sqrt([...c.values()].reduce((s, v) => s + v * v, 0));
    const l1 = [...c.values()].reduce((s, v) => s + v, 0);
    assert.ok(l2 <= 2.5 && l1 <= integerCountsL1Bound(2.5, 6), `${[...c.values()]}`);
  }
});

test('distributed noise: bad settings are one-line ConfigErrors', async () => {
  const users = population({ ab: 6 }, 8, 2);
  await assert.rejects(trieHeavyHitters({ users, k: 1, epsilon: 4, delta: 1e-5, noise: 'loud' as never }), /noise must be central or distributed/);
  await assert.rejects(trieHeavyHitters({ users, k: 1, epsilon: 4, delta: 1e-5, noise: 'distributed', sampleRate: 0.5 }), /sample rate 1/);
  await assert.rejects(trieHeavyHitters({ users, k: 1, epsilon: 4, delta: 1e-5, noise: 'distributed', minReports: 9 }), /minReports \(t\) must be an integer in \[2, 8\]/);
  await assert.rejects(trieHeavyHitters({ users, k: 1, epsilon: 4, delta: 1e-5, minReports: 3 }), /distributed noise only/);
  await assert.rejects(simulateHeavyHitters({ users, method: 'cms', k: 1, epsilon: 4, delta: 1e-5, noise: 'distributed' }), ConfigError);
  await assert.rejects(dpStatisticHistogram({ values: [0.1, 0.2], epsilon: 1, delta: 1e-5, noise: 'distributed', minReports: 1 }), /minReports/);
  assert.throws(() => planDistributedNoise({ epsilon: 1, delta: 1e-5, rounds: 1, minReports: 1, l1Sensitivity: 1, l2Sensitivity: 1, dimension: 1 }), /t ≥ 2/);
  assert.throws(() => planDistributedNoise({ epsilon: 1, delta: 1e-5, rounds: 1, minReports: 2, l1Sensitivity: 1, l2Sensitivity: 1, dimension: 0 }), /vector length d/);
});
