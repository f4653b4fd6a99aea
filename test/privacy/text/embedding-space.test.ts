/**
 * Exact nearest-neighbour search against a naive float64 loop (nearest word to noisy points,
 * k-nearest lists, the vocabulary's distance range); malformed embeddings and vocabularies
 * fail with one clear error; rewriting texts never handles an out-of-vocabulary word silently.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initEngine, SeededRandom } from '../../../src/engine/index.js';
import { DatasetFormatError, DatasetNotFoundError } from '../../../src/errors.js';
import { EmbeddingSpace, MadlibMechanism, OutOfVocabularyError, loadEmbeddingSpace, rewriteTexts } from '../../../src/privacy/index.js';
import { randomVocabulary } from './helpers.js';

before(async () => {
  await initEngine();
});

function naiveDistance(space: EmbeddingSpace, point: ArrayLike<number>, id: number): number {
  let s = 0;
  for (let j = 0; j < space.dim; j++) s += (point[j] - space.vectors[id * space.dim + j]) ** 2;
  return Math.sqrt(s);
}

test('nearest word to arbitrary points equals a naive float64 search', () => {
  const space = randomVocabulary(3000, 24, 1);
  const rng = new SeededRandom(2);
  const count = 2500;
  space.blockFloats = 700 * space.size; // blocks of 700 queries: the last one is partial
  const points = new Float32Array(count * space.dim);
  for (let i = 0; i < points.length; i++) points[i] = rng.normal() * 1.2;
  const found = space.nearest(points);
  let exact = 0;
  for (let q = 0; q < count; q++) {
    const point = points.subarray(q * space.dim, (q + 1) * space.dim);
    let best = Infinity;
    let bestId = -1;
    for (let id = 0; id < space.size; id++) {
      const d = naiveDistance(space, point, id);
      if (d < best) {
        best = d;
        bestId = id;
      }
    }
    if (found[q] === bestId) exact++;
    else assert.ok(naiveDistance(space, point, found[q]) - best < 1e-5 * best, `query ${q}: found ${found[q]} at ${naiveDistance(space, point, found[q])}, nearest ${bestId} at ${best}`);
  }
  assert.ok(exact >= count - 2, `${count - exact} float32 near-ties`);
});

test('k-nearest lists and the distance range equal naive computations', () => {
  const space = randomVocabulary(600, 8, 3);
  const ids = [0, 5, 77, 599];
  const k = 10;
  const lists = space.neighbours(ids, k);
  ids.forEach((id, r) => {
    const naive = Array.from({ length: space.size }, (_, j) => ({ j, d: space.distance(id, j) }))
      .filter((x) => x.j !== id)
      .sort((a, b) => a.d - b.d)
      .slice(0, k);
    assert.deepEqual(Array.from(lists.ids.subarray(r * k, (r + 1) * k)), naive.map((x) => x.j));
    naive.forEach((x, c) => assert.ok(Math.abs(lists.distances[r * k + c] - x.d) < 1e-12));
  });
  let min = Infinity;
  let max = 0;
  for (let i = 0; i < space.size; i++) {
    for (let j = i + 1; j < space.size; j++) {
      const d = space.distance(i, j);
      if (d > 0) min = Math.min(min, d);
      max = Math.max(max, d);
    }
  }
  const range = space.distanceRange();
  assert.ok(Math.abs(range.min - min) < 1e-12 && Math.abs(range.max - max) < 1e-12, `range ${JSON.stringify(range)} vs naive [${min}, ${max}]`);
  assert.throws(() => space.neighbours([0], 600), /k must be an integer in \[1, 599\]/);
  // Several blocks give the same lists.
  space.blockFloats = 2 * space.size;
  assert.deepEqual(space.neighbours(ids, k).ids, lists.ids);
  space.dispose();
  assert.deepEqual(space.neighbours(ids, k).ids, lists.ids, 'rebuilt after dispose');
});

test('malformed embeddings: one clear error naming the file and the problem', () => {
  const dir = mkdtempSync(join(tmpdir(), 'trustnlu-emb-'));
  const write = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  const cases: [string, string, RegExp][] = [
    ['header.txt', 'hello world\n', /bad word2vec header/],
    ['count.txt', '3 2\na 1 2\nb 3 4\n', /header says 3 words but the file has 2/],
    ['values.txt', '2 2\na 1 2\nb 3\n', /word "b" has 1 values, expected 2/],
    ['number.txt', '2 2\na 1 2\nb 3 x\n', /value 2 of word "b" is "x", not a finite number/],
    ['duplicate.txt', '2 2\na 1 2\na 3 4\n', /word "a" appears again/],
    ['one.txt', '1 2\na 1 2\n', /at least 2 words/],
  ];
  for (const [name, text, pattern] of cases) {
    const path = write(name, text);
    assert.throws(() => loadEmbeddingSpace({ path }), (e: Error) => e instanceof DatasetFormatError && pattern.test(e.message) && e.message.includes(path), name);
  }
  assert.throws(() => loadEmbeddingSpace({ path: join(dir, 'missing.txt') }), /cannot read word vector file/);
  assert.throws(() => new EmbeddingSpace(['a', 'b'], Float32Array.from([1, Number.NaN, 0, 0]), 2), /not a finite number/);
  assert.throws(() => new EmbeddingSpace(['a', 'a'], new Float32Array(4), 2), /appears twice/);
  assert.throws(() => new EmbeddingSpace(['a', 'b'], new Float32Array(4), 2).distanceRange(), /no positive inter-word distance/);
  const saved = process.env.TRUSTNLU_DATA;
  try {
    process.env.TRUSTNLU_DATA = dir; // exists, but holds no GloVe subset
    assert.throws(() => loadEmbeddingSpace(), (e: Error) => e instanceof DatasetNotFoundError && /--embeddings FILE/.test(e.message));
  } finally {
    if (saved === undefined) delete process.env.TRUSTNLU_DATA;
    else process.env.TRUSTNLU_DATA = saved;
  }
});

test('rewriting texts: out-of-vocabulary words are refused by default, kept or dropped only when asked', () => {
  const space = new EmbeddingSpace(['play', 'some', 'music', 'jazz'], Float32Array.from([0, 0, 1, 0, 0, 1, 1, 1]), 2);
  const mechanism = new MadlibMechanism(space, { epsilon: Infinity });
  const texts = ['Play some MUSIC', 'play jazz by Miles!'];
  assert.throws(() => rewriteTexts(mechanism, texts), (e: Error) => e instanceof OutOfVocabularyError && /text 2 has "by".*--oov keep\|drop/.test(e.message));
  const kept = rewriteTexts(mechanism, texts, { outOfVocabulary: 'keep' });
  assert.deepEqual(kept.texts, ['play some music', 'play jazz by miles !']);
  assert.equal(kept.outOfVocabularyKept, 3);
  assert.deepEqual(kept.outOfVocabularyExamples, ['by', 'miles', '!']);
  const dropped = rewriteTexts(mechanism, texts, { outOfVocabulary: 'drop' });
  assert.deepEqual(dropped.texts, ['play some music', 'play jazz']);
  assert.equal(dropped.outOfVocabularyDropped, 3);
  assert.equal(dropped.privatized, 5);
  assert.equal(dropped.changed, 0);
  // With noise, words change and the count says how many.
  const noisy = rewriteTexts(new MadlibMechanism(space, { epsilon: 0.5, seed: 1 }), Array(50).fill('play some music'), { outOfVocabulary: 'error' });
  assert.ok(noisy.changed > 20 && noisy.changed < 150, `changed ${noisy.changed} of 150`);
  assert.ok(noisy.texts.every((t) => t.split(' ').length === 3 && t.split(' ').every((w) => space.idOf(w) !== undefined)));
  assert.throws(() => rewriteTexts(mechanism, texts, { outOfVocabulary: 'skip' as never }), /outOfVocabulary must be one of keep, drop, error/);
});
