import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../../../src/errors.js';
import { availability, clientDropout, keyedUniform, type ClientInfo, type Selection } from '../../../src/federated/selection/index.js';

const IDS = Array.from({ length: 200 }, (_, i) => `client-${i}`);
const CLIENTS: ClientInfo[] = IDS.map((id) => ({ id, numExamples: 10 }));

test('availability: deterministic per (seed, client, round), independent of query order', () => {
  const model = availability({ rate: 0.3, seed: 12 });
  const forward = IDS.map((id) => model.isOnline(id, 4));
  const backward = IDS.slice().reverse().map((id) => model.isOnline(id, 4)).reverse();
  assert.deepEqual(forward, backward);
  assert.deepEqual(forward, IDS.map((id) => availability({ rate: 0.3, seed: 12 }).isOnline(id, 4)));
  assert.notDeepEqual(forward, IDS.map((id) => availability({ rate: 0.3, seed: 13 }).isOnline(id, 4)));
  assert.notDeepEqual(forward, IDS.map((id) => model.isOnline(id, 5)));
  assert.deepEqual(model.online(CLIENTS, 4).map((c) => c.id), IDS.filter((_, i) => forward[i]));
});

test('availability: online fraction matches the rate and rounds are independent', () => {
  const rate = 0.3;
  const model = availability({ rate, seed: 1 });
  let online = 0;
  let both = 0;
  const rounds = 50;
  for (const id of IDS) {
    for (let r = 0; r < rounds; r++) {
      const now = model.isOnline(id, r);
      if (now) online++;
      if (now && model.isOnline(id, r + 1)) both++;
    }
  }
  const trials = IDS.length * rounds; // 10,000: binomial se ≈ 0.0046 for the rate, 0.003 for rate²
  assert.ok(Math.abs(online / trials - rate) < 0.02, `online fraction ${online / trials}`);
  assert.ok(Math.abs(both / trials - rate * rate) < 0.015, `consecutive-round fraction ${both / trials}`);
  assert.equal(availability({ rate: 0, seed: 1 }).online(CLIENTS, 0).length, 0);
  assert.equal(availability({ rate: 1, seed: 1 }).online(CLIENTS, 0).length, 200);
});

test('availability: per-client rates', () => {
  const model = availability({ rate: (id) => (id.endsWith('7') ? 1 : 0), seed: 3 });
  assert.deepEqual(model.online(CLIENTS, 9).map((c) => c.id), IDS.filter((id) => id.endsWith('7')));
  assert.throws(() => availability({ rate: () => 2, seed: 3 }).isOnline('x', 0), /rate for client "x" must be in \[0, 1\]/);
  assert.throws(() => availability({ rate: -0.1, seed: 3 }), ConfigError);
  assert.throws(() => availability({ rate: 0.5, seed: 3 }).isOnline('x', 1.5), /round/);
});

test('keyedUniform is roughly uniform (10 bins over 20,000 keys)', () => {
  const bins = new Array(10).fill(0);
  for (let i = 0; i < 20000; i++) bins[Math.floor(keyedUniform(5, 'test', `c${i % 400}`, Math.floor(i / 400)) * 10)]++;
  // expected 2000 per bin, se ≈ 42
  for (const b of bins) assert.ok(Math.abs(b - 2000) < 200, `bins ${bins}`);
});

test('dropout: survivors, shared fate for repeated draws, and the three reweightings', () => {
  const selection: Selection = {
    clients: ['client-1', 'client-2', 'client-1', 'client-3'],
    aggregationWeights: [0.25, 0.25, 0.25, 0.25],
    weightsSumToOne: true,
  };
  assert.deepEqual(clientDropout({ probability: 0, seed: 1 }).apply(selection, 0), { selection, dropped: [] });
  const all = clientDropout({ probability: 1, seed: 1 }).apply(selection, 0);
  assert.deepEqual(all.selection.clients, []);
  assert.deepEqual(all.dropped.sort(), ['client-1', 'client-2', 'client-3']);
  // find a seed/round where exactly some clients drop, and check the weights
  const model = clientDropout({ probability: 0.5, seed: 9 });
  let round = 0;
  while (!(selection.clients.some((id) => model.reports(id, round)) && selection.clients.some((id) => !model.reports(id, round)))) round++;
  const survivors = selection.clients.filter((id) => model.reports(id, round));
  const renorm = model.apply(selection, round);
  assert.deepEqual(renorm.selection.clients, survivors);
  assert.ok(Math.abs(renorm.selection.aggregationWeights.reduce((s, w) => s + w, 0) - 1) < 1e-12);
  assert.ok(renorm.selection.weightsSumToOne);
  // client-1's two draws share one fate
  assert.ok(survivors.filter((id) => id === 'client-1').length % 2 === 0);
  const ipw = clientDropout({ probability: 0.5, seed: 9, reweight: 'inverse-probability' }).apply(selection, round);
  assert.deepEqual(ipw.selection.aggregationWeights, survivors.map(() => 0.5));
  assert.equal(ipw.selection.weightsSumToOne, false);
  const keep = clientDropout({ probability: 0.5, seed: 9, reweight: 'keep' }).apply(selection, round);
  assert.deepEqual(keep.selection.aggregationWeights, survivors.map(() => 0.25));
  assert.throws(() => clientDropout({ probability: 1, seed: 1, reweight: 'inverse-probability' }), ConfigError);
});

test('dropout: inverse-probability weights keep the expected total weight (Monte Carlo)', () => {
  const p = 0.3;
  const model = clientDropout({ probability: p, seed: 4, reweight: 'inverse-probability' });
  const selection: Selection = { clients: IDS.slice(0, 10), aggregationWeights: IDS.slice(0, 10).map(() => 0.1), weightsSumToOne: true };
  let total = 0;
  const rounds = 2000;
  for (let r = 0; r < rounds; r++) total += model.apply(selection, r).selection.aggregationWeights.reduce((s, w) => s + w, 0);
  // E = 1; per-round sd = √(10·0.3·0.7)·0.1/0.7 ≈ 0.207, se over 2000 rounds ≈ 0.0046
  assert.ok(Math.abs(total / rounds - 1) < 0.02, `mean total weight ${total / rounds}`);
});
