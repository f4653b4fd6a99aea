import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../../../src/errors.js';
import { SeededRandom } from '../../../src/engine/random.js';
import {
  continualSplit,
  continualSplitByPeriod,
  domainPeriods,
  formatPartitionSummary,
  iidPartition,
  partitionAt,
  quantile,
  storedAt,
  summarizePartition,
  type Partition,
} from '../../../src/data/partition/index.js';

const TWO: Partition = {
  clients: [
    { id: 'a', indices: [0, 1, 2, 3, 4, 5, 6] },
    { id: 'b', indices: [7, 8] },
  ],
};

test('continualSplit in given order: period t holds positions ⌊t·m/T⌋ … ⌊(t+1)·m/T⌋ − 1 (by hand)', () => {
  const split = continualSplit(TWO, 3, 'given');
  // m = 7, T = 3: cuts at ⌊7/3⌋ = 2 and ⌊14/3⌋ = 4
  assert.deepEqual(split.clients[0].periods, [[0, 1], [2, 3], [4, 5, 6]]);
  // m = 2 < T: cuts at 0 and 1 → period 0 empty
  assert.deepEqual(split.clients[1].periods, [[], [7], [8]]);
  assert.deepEqual(storedAt(split, 'a', 1), [2, 3], 'window 1: period t only');
  assert.deepEqual(storedAt(split, 'a', 2, { window: 2 }), [2, 3, 4, 5, 6], 'window 2: periods t−1 and t');
  assert.deepEqual(storedAt(split, 'a', 2, { window: Infinity }), [0, 1, 2, 3, 4, 5, 6]);
  assert.deepEqual(storedAt(split, 'a', 0, { window: 5 }), [0, 1]);
  assert.deepEqual(partitionAt(split, 1).clients, [
    { id: 'a', indices: [2, 3] },
    { id: 'b', indices: [7] },
  ]);
  assert.throws(() => storedAt(split, 'a', 3), /period must be an integer in \[0, 3\)/);
  assert.throws(() => storedAt(split, 'nobody', 0), /no client "nobody"/);
  assert.throws(() => storedAt(split, 'a', 0, { window: 0 }), ConfigError);
  assert.throws(() => continualSplit(TWO, 0, 'given'), ConfigError);
});

test('continualSplit with an RNG: periods are a per-client permutation, deterministic, and disjoint', () => {
  const p = iidPartition(500, 5, new SeededRandom(1));
  const split = continualSplit(p, 4, new SeededRandom(2));
  assert.deepEqual(continualSplit(p, 4, new SeededRandom(2)), split);
  split.clients.forEach((c, i) => {
    const all = c.periods.flat();
    assert.deepEqual(all.slice().sort((a, b) => a - b), p.clients[i].indices);
    assert.deepEqual(c.periods.map((r) => r.length), [25, 25, 25, 25]);
  });
  assert.notDeepEqual(split.clients[0].periods[0], p.clients[0].indices.slice(0, 25), 'shuffled, not dataset order');
});

test('summarizePartition: sizes, quantiles and label entropy by hand; one-line text', () => {
  const labels = ['a', 'a', 'b', 'b', 'a', 'c', 'c', 'c', 'a', 'b'];
  const p: Partition = {
    clients: [
      { id: 'c0', indices: [0, 1] }, // {a, a}: H = 0
      { id: 'c1', indices: [2, 3, 4, 8] }, // {b, b, a, a}: H = 1
      { id: 'c2', indices: [5, 6, 7, 9] }, // {c, c, c, b}: H = −¾log₂¾ − ¼log₂¼ = 0.811278
      { id: 'c3', indices: [] },
    ],
  };
  const s = summarizePartition(p, labels);
  assert.equal(s.clients, 4);
  assert.equal(s.examples, 10);
  assert.equal(s.emptyClients, 1);
  // sorted sizes 0, 2, 4, 4: p10 at h = 0.3 → 0.6; p50 at h = 1.5 → 3; p90 at h = 2.7 → 4
  assert.deepEqual(s.sizeQuantiles, { min: 0, p10: 0.6000000000000001, p50: 3, p90: 4, max: 4 });
  const h2 = -(0.75 * Math.log2(0.75) + 0.25 * Math.log2(0.25));
  assert.ok(Math.abs(s.meanLabelEntropy! - (0 + 1 + h2) / 3) < 1e-12);
  assert.ok(Math.abs(s.maxLabelEntropy! - Math.log2(3)) < 1e-12);
  assert.equal(
    formatPartitionSummary(s),
    '4 clients, 10 examples; size min 0 p10 0.6 p50 3 p90 4 max 4; label entropy 0.60 of 1.58 bits; 1 empty',
  );
  assert.equal(summarizePartition(p).meanLabelEntropy, null);
  assert.match(formatPartitionSummary(summarizePartition(p)), /no labels/);
  assert.throws(() => summarizePartition({ clients: [{ id: 'x', indices: [0, 0] }] }, ['a']), /index 0 is assigned twice/);
  assert.throws(() => summarizePartition(p, ['a']), /only 1 labels/);
});

test('quantile matches numpy linear interpolation on a hand example', () => {
  // numpy.quantile([1, 2, 4, 8, 16], [0.1, 0.5, 0.9]) = [1.4, 4, 12.8]
  const xs = [1, 2, 4, 8, 16];
  assert.ok(Math.abs(quantile(xs, 0.1) - 1.4) < 1e-12);
  assert.equal(quantile(xs, 0.5), 4);
  assert.ok(Math.abs(quantile(xs, 0.9) - 12.8) < 1e-12);
});

test('continualSplitByPeriod and domainPeriods: examples arrive in their domain group\'s period', () => {
  // 9 examples, 4 domains; the order is a shuffle of the sorted names, domain k of 4 → group ⌊k·2/4⌋
  const domains = ['b', 'a', 'c', 'd', 'a', 'b', 'c', 'd', 'a'];
  const { periodOf, groups } = domainPeriods(domains, 2, new SeededRandom(3));
  assert.equal(groups.length, 2);
  assert.deepEqual(groups.flat().sort(), ['a', 'b', 'c', 'd']);
  assert.deepEqual(groups.map((g) => g.length), [2, 2]);
  domains.forEach((d, i) => assert.equal(periodOf[i], groups[0].includes(d) ? 0 : 1, `example ${i} (${d})`));
  const split = continualSplitByPeriod({ clients: [{ id: 'x', indices: [8, 0, 3, 5] }, { id: 'y', indices: [1, 2, 4, 6, 7] }] }, 2, periodOf);
  for (const client of split.clients) {
    client.periods.forEach((run, t) => {
      assert.deepEqual(run, run.slice().sort((a, b) => a - b), 'ascending within a period');
      for (const i of run) assert.equal(periodOf[i], t);
    });
  }
  assert.deepEqual(split.clients[0].periods.flat().sort((a, b) => a - b), [0, 3, 5, 8]);
  // the same seed deals the same way; a different seed may not
  assert.deepEqual(domainPeriods(domains, 2, new SeededRandom(3)).groups, groups);
  assert.throws(() => domainPeriods(domains, 5, new SeededRandom(3)), /drift over 5 periods needs at least 5 domains; the data has 4/);
  assert.throws(() => continualSplitByPeriod({ clients: [{ id: 'x', indices: [0] }] }, 2, [2]), /example 0 has period 2/);
});
