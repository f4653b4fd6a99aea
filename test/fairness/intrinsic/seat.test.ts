import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, ShapeMismatchError } from '../../../src/errors.js';
import { fillTemplates, seat, weat, type Vector } from '../../../src/fairness/intrinsic/index.js';

// A fake sentence encoder: the mean of the vectors of the known tokens (punctuation stripped).
const table: Record<string, number[]> = {
  rose: [1, 0.1, 0],
  tulip: [0.9, 0.2, 0.1],
  ant: [0.1, 1, 0],
  wasp: [0.2, 0.9, 0.1],
  love: [1, 0, 0.2],
  peace: [0.8, 0.1, 0.3],
  filth: [0, 1, 0.2],
  grief: [0.1, 0.8, 0.3],
  this: [0.3, 0.3, 1],
  is: [0.2, 0.2, 0.9],
  here: [0.25, 0.3, 0.8],
};
function meanEncoder(sentences: string[]): Vector[] {
  return sentences.map((s) => {
    const tokens = s.toLowerCase().replace(/[.,]/g, '').split(/\s+/).filter((t) => t in table);
    const out = new Float32Array(3);
    for (const t of tokens) table[t].forEach((v, j) => (out[j] += v / tokens.length));
    return out;
  });
}
const sets = { X: ['rose', 'tulip'], Y: ['ant', 'wasp'], A: ['love', 'peace'], B: ['filth', 'grief'] };

test('SEAT with the bare "{word}" template equals WEAT on the word vectors', async () => {
  const s = await seat(sets, meanEncoder, { templates: ['{word}'] });
  const w = weat(sets, (word) => table[word]);
  assert.ok(Math.abs(s.effectSize - w.effectSize) < 1e-6, `${s.effectSize} vs ${w.effectSize}`);
  assert.equal(s.pValue, w.pValue);
  assert.deepEqual(s.sentences.X, ['rose', 'tulip']);
});

test('SEAT fills bleached templates, encodes every sentence once, and accepts async encoders', async () => {
  assert.deepEqual(fillTemplates(['rose'], ['This is {word}.', '{word} is here.']), ['This is rose.', 'rose is here.']);
  let calls = 0;
  const asyncEncoder = async (sentences: string[]) => {
    calls++;
    return meanEncoder(sentences);
  };
  const r = await seat(sets, asyncEncoder, { templates: ['This is {word}.', '{word} is here.', 'Here is {word}.'] });
  assert.equal(calls, 1);
  assert.deepEqual(r.sizes, { X: 6, Y: 6, A: 6, B: 6 });
  assert.equal(r.sentences.Y[0], 'This is ant.');
  assert.equal(r.exact, true); // C(12, 6) = 924
  assert.ok(r.effectSize > 1, `flowers are built closer to pleasant words: ${r.effectSize}`);
  // Default templates: 6 per word.
  const d = await seat(sets, meanEncoder);
  assert.equal(d.sizes.X, 12);
});

test('SEAT refuses encoders that return the wrong number of vectors and templates without {word}', async () => {
  await assert.rejects(seat(sets, (s) => meanEncoder(s).slice(1)), ShapeMismatchError);
  await assert.rejects(seat(sets, meanEncoder, { templates: ['This is X.'] }), ConfigError);
});
