/**
 * Heavy hitters: TrieHH exact at ε = ∞ with every device, secure aggregation equal to the plain
 * sum, noisy runs find clear heavy hitters; items, ground truth and the tie-aware recall.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  heavyHitterQuality,
  itemsOfText,
  simulateHeavyHitters,
  sumContributions,
  trieHeavyHitters,
  userCounts,
  userItemsFromTexts,
  type UserItems,
} from '../../../src/federated/analytics/index.js';
import { population } from './population.js';

const COUNTS = { the: 90, then: 70, them: 55, they: 41, cat: 33, car: 27, care: 20, i: 12, a: 9, zoo: 5, "what's": 3, x: 1 };

test('items: words and utterances are normalised the same on every device', () => {
  assert.deepEqual(itemsOfText('What’s the WEATHER, today?', 'word'), ["what's", 'the', 'weather', 'today']);
  assert.deepEqual(itemsOfText('What’s the WEATHER, today?', 'utterance'), ["what's the weather today"]);
  assert.deepEqual(itemsOfText('?!', 'utterance'), []);
  const users = userItemsFromTexts([{ user: 'a', text: 'the the cat' }, { user: 'a', text: 'the dog' }, { user: 'b', text: 'The' }], 'word');
  assert.deepEqual(users, [{ user: 'a', items: ['the', 'cat', 'dog'] }, { user: 'b', items: ['the'] }]);
  assert.deepEqual([...userCounts(users)], [['the', 2], ['cat', 1], ['dog', 1]]);
});

test('recall and precision against the true top k treat ties at the k-th count alike', () => {
  const truth = new Map([['a', 10], ['b', 8], ['c', 5], ['d', 5], ['e', 1]]);
  const q = heavyHitterQuality(['a', 'd', 'e'], truth, 3);
  assert.deepEqual(q.trueTopK.map((r) => r.item), ['a', 'b', 'c']);
  assert.equal(q.kthCount, 5);
  assert.equal(q.recall, 2 / 3); // a and d (tied with c)
  assert.equal(q.precision, 2 / 3);
  assert.equal(heavyHitterQuality([], truth, 3).precision, 0);
});

test('TrieHH at ε = ∞ with every device is exact: the true top k with their exact user counts', async () => {
  const users = population(COUNTS, 120, 1);
  const result = await trieHeavyHitters({ users, k: 8, epsilon: Infinity, delta: 1e-6, votesPerDevice: 100, noiseSeed: 3 });
  assert.equal(result.privacy.noiseMultiplier, 0);
  assert.deepEqual(
    result.items.map((i) => [i.item, i.estimate]),
    [['the', 90], ['then', 70], ['them', 55], ['they', 41], ['cat', 33], ['car', 27], ['care', 20], ['i', 12]],
  );
  // Every item held by at least one user is discovered, with its exact count.
  assert.deepEqual(new Map(result.discovered.map((d) => [d.item, d.estimate])), new Map(Object.entries(COUNTS)));
  const sim = await simulateHeavyHitters({ users, method: 'triehh', k: 8, epsilon: Infinity, delta: 1e-6, votesPerDevice: 100, noiseSeed: 3 });
  assert.equal(sim.recall, 1);
  assert.equal(sim.precision, 1);
});

test('TrieHH through the secure-aggregation protocol gives the same result as the plain sum', async () => {
  const users = population({ ab: 6, ac: 4, b: 3 }, 8, 2);
  const plain = await trieHeavyHitters({ users, k: 3, epsilon: 8, delta: 1e-5, noiseSeed: 7, maxLength: 2, minCount: 1, thresholdSigmas: 0 });
  const secure = await trieHeavyHitters({ users, k: 3, epsilon: 8, delta: 1e-5, noiseSeed: 7, maxLength: 2, minCount: 1, thresholdSigmas: 0, aggregation: 'secure' });
  assert.equal(secure.aggregation, 'secure');
  assert.deepEqual(secure.discovered, plain.discovered);
  const votes = [{ indices: [0, 3] }, { indices: [3] }, { indices: [] }, { indices: [1, 2, 3] }];
  assert.deepEqual([...(await sumContributions(votes, 5, { aggregation: 'secure', fractionalBits: 0 }))], [1, 1, 1, 3, 0]);
  assert.deepEqual([...(await sumContributions(votes, 5, { aggregation: 'plain', fractionalBits: 0 }))], [1, 1, 1, 3, 0]);
});

test('TrieHH with noise (ε = 4) still finds heavy hitters far above the noise, and a vote cap bounds each device', async () => {
  const users = population({ alpha: 400, beta: 300, gamma: 250, delta: 40, eps: 2 }, 600, 4);
  let recall = 0;
  for (let seed = 0; seed < 5; seed++) {
    const r = await simulateHeavyHitters({ users, method: 'triehh', k: 3, epsilon: 4, delta: 1e-6, noiseSeed: seed });
    recall += r.recall / 5;
    assert.ok(r.items.every((i) => Math.abs(i.estimate - i.trueCount) < 6 * (r.details as { countNoiseStd: number }).countNoiseStd), JSON.stringify(r.items));
  }
  assert.equal(recall, 1);
  const capped = await trieHeavyHitters({ users, k: 3, epsilon: Infinity, delta: 1e-6, votesPerDevice: 1, noiseSeed: 1 });
  for (const round of capped.rounds) assert.ok(round.votes <= round.participants, JSON.stringify(round));
});

test('TrieHH skips items it cannot spell or that are too long, and reports how many', async () => {
  const users: UserItems[] = [{ user: 'a', items: ['café', 'ok', 'muchtoolongword'] }, { user: 'b', items: ['ok'] }];
  const r = await trieHeavyHitters({ users, k: 2, epsilon: Infinity, delta: 1e-6, maxLength: 8 });
  assert.equal(r.skippedItems, 2);
  assert.deepEqual(r.items, [{ item: 'ok', estimate: 2 }]);
});
