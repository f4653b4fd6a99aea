/**
 * The seed-paired comparison rows of the federated studies against a naive percentile
 * bootstrap written out here (the same seeded stream, a plain loop, type-7 quantiles), on
 * hand-made per-seed rows; the chance marking and the verdicts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRandom } from '../../src/engine/random.js';
import { pairRow, seedMeanInterval } from '../../src/studies/fl-pairs.js';
import type { StudyRow } from '../../src/studies/index.js';

const run = (seed: number, accuracy: number, majorityAccuracy = 0.1): StudyRow => ({ kind: 'run', seed, accuracy, majorityAccuracy });

/** A plain percentile bootstrap of the mean: n draws with replacement per replicate, sorted, interpolated quantiles. */
function naiveInterval(values: number[], rng: SeededRandom, resamples: number): [number, number] {
  const replicates: number[] = [];
  for (let r = 0; r < resamples; r++) {
    let sum = 0;
    for (let i = 0; i < values.length; i++) sum += values[rng.int(values.length)];
    replicates.push(sum / values.length);
  }
  replicates.sort((a, b) => a - b);
  const quantile = (q: number) => {
    const h = (replicates.length - 1) * q;
    const lo = Math.floor(h);
    return replicates[lo] + (replicates[Math.min(lo + 1, replicates.length - 1)] - replicates[lo]) * (h - lo);
  };
  return [quantile(0.025), quantile(0.975)];
}

test('pairRow: mean of per-seed differences and the paired bootstrap interval equal a naive bootstrap over the same seeded draws', () => {
  // arm b lists its seeds in another order and has a seed arm a lacks: pairing is by seed
  const a = [run(1, 0.71), run(2, 0.64), run(3, 0.69), run(4, 0.75), run(5, 0.66)];
  const b = [run(5, 0.61), run(3, 0.7), run(1, 0.62), run(2, 0.6), run(4, 0.68), run(6, 0.99)];
  const differences = [0.71 - 0.62, 0.64 - 0.6, 0.69 - 0.7, 0.75 - 0.68, 0.66 - 0.61];
  const row = pairRow({ name: 'fedadam', rows: a }, { name: 'fedavg', rows: b }, { seed: 9, chanceMargin: 0.02, resamples: 3000 }, { dataset: 'd', partitionKind: 'iid' });
  assert.equal(row.kind, 'pair');
  assert.equal(row.pair, 'fedadam − fedavg');
  assert.equal(row.seeds, '1,2,3,4,5');
  assert.ok(Math.abs((row.meanDifference as number) - differences.reduce((s, d) => s + d, 0) / 5) < 1e-12);
  const rng = new SeededRandom(9).fork(`pair:fedadam − fedavg:${JSON.stringify({ dataset: 'd', partitionKind: 'iid' })}`);
  const [low, high] = naiveInterval(differences, rng, 3000);
  assert.ok(Math.abs((row.intervalLow as number) - low) < 1e-12, `${row.intervalLow} vs ${low}`);
  assert.ok(Math.abs((row.intervalHigh as number) - high) < 1e-12, `${row.intervalHigh} vs ${high}`);
  assert.equal(row.interval, `[${low.toFixed(4)}, ${high.toFixed(4)}]`);
  // four of five differences are positive, one is −0.01: with these values the interval stays above 0
  assert.ok(low > 0);
  assert.equal(row.established, true);
  assert.equal(row.bothAtChance, false);
  assert.equal(row.verdict, 'fedadam better');
  // the same inputs give the same interval (seeded)
  assert.deepEqual(pairRow({ name: 'fedadam', rows: a }, { name: 'fedavg', rows: b }, { seed: 9, chanceMargin: 0.02, resamples: 3000 }, { dataset: 'd', partitionKind: 'iid' }), row);
});

test('pairRow: an interval across zero is not established; two arms at chance are marked so and never a win', () => {
  const mixed = pairRow({ name: 'a', rows: [run(1, 0.5), run(2, 0.6), run(3, 0.55)] }, { name: 'b', rows: [run(1, 0.55), run(2, 0.5), run(3, 0.56)] }, { seed: 1, chanceMargin: 0.02 });
  assert.ok((mixed.intervalLow as number) < 0 && (mixed.intervalHigh as number) > 0);
  assert.equal(mixed.established, false);
  assert.equal(mixed.verdict, 'not established');
  // CLINC150-like: majority class 1/150; both arms within 0.02 of it, although one is always a bit higher
  const chance = 1 / 150;
  const atChance = pairRow(
    { name: 'activity', rows: [1, 2, 3, 4, 5].map((s) => run(s, chance + 0.015, chance)) },
    { name: 'uniform', rows: [1, 2, 3, 4, 5].map((s) => run(s, chance + 0.002 * s, chance)) },
    { seed: 1, chanceMargin: 0.02 },
  );
  assert.equal(atChance.bothAtChance, true);
  assert.equal(atChance.verdict, 'both at chance');
  // one arm clear of chance: not marked
  const clear = pairRow({ name: 'a', rows: [run(1, 0.3, chance)] }, { name: 'b', rows: [run(1, chance, chance)] }, { seed: 1, chanceMargin: 0.02 });
  assert.equal(clear.bothAtChance, false);
  assert.equal(clear.intervalLow, null, 'one seed: no interval');
  assert.equal(clear.established, false);
});

test('seedMeanInterval: the mean, and the naive bootstrap interval over seeds', () => {
  const values = [0.8, 0.82, 0.79, 0.85, 0.81];
  const got = seedMeanInterval(values, new SeededRandom(3), 1000);
  const [low, high] = naiveInterval(values, new SeededRandom(3), 1000);
  assert.ok(Math.abs(got.mean - 0.814) < 1e-12);
  assert.ok(Math.abs(got.low! - low) < 1e-12 && Math.abs(got.high! - high) < 1e-12);
});
