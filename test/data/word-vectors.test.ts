import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { DatasetFormatError } from '../../src/errors.js';
import {
  embeddingLookup,
  parseWord2VecText,
  parseWordSets,
  readWord2VecText,
  readWordSets,
  wordVector,
} from '../../src/data/word-vectors.js';
import { needsRealData, REAL_DATA_DIR } from '../helpers.js';

const small = '3 2\nthe 0.5 -1\nEinstein 2 3.25\ncat 1e-3 0\n';

test('parses word2vec text into row-major vectors with an index', () => {
  const wv = parseWord2VecText(small, 'small.txt');
  assert.equal(wv.dim, 2);
  assert.deepEqual(wv.words, ['the', 'Einstein', 'cat']);
  assert.equal(wv.index.get('cat'), 2);
  assert.deepEqual(wv.vectors, Float32Array.from([0.5, -1, 2, 3.25, 0.001, 0]));
  assert.deepEqual(Array.from(wordVector(wv, 'Einstein')!), [2, 3.25]);
  assert.equal(wordVector(wv, 'dog'), undefined);
});

test('tolerates CRLF, tabs, repeated spaces and trailing blank lines; honours limit', () => {
  const wv = parseWord2VecText('2 2\r\na  1\t2 \r\nb 3 4\r\n\r\n', 'crlf.txt');
  assert.deepEqual(Array.from(wv.vectors), [1, 2, 3, 4]);
  const first = parseWord2VecText(small, 'small.txt', { limit: 1 });
  assert.deepEqual(first.words, ['the']);
  assert.equal(first.vectors.length, 2);
});

test('lookups are exact unless lower-case fallback is asked for', () => {
  const wv = parseWord2VecText('1 2\neinstein 1 2\n', 'lower.txt');
  assert.equal(embeddingLookup(wv)('Einstein'), undefined);
  assert.deepEqual(Array.from(embeddingLookup(wv, { lowercaseFallback: true })('Einstein')!), [1, 2]);
});

test('format errors name the file, the line and the problem', () => {
  assert.throws(() => parseWord2VecText('three 2\na 1 2\n', 'f.txt'), (e: Error) => e instanceof DatasetFormatError && /f\.txt:1: bad word2vec header/.test(e.message));
  assert.throws(() => parseWord2VecText('2 2\na 1 2\nb 1\n', 'f.txt'), /f\.txt:3: word "b" has 1 values, expected 2/);
  assert.throws(() => parseWord2VecText('2 2\na 1 2\nb 1 x\n', 'f.txt'), /f\.txt:3: value 2 of word "b" is "x", not a finite number/);
  assert.throws(() => parseWord2VecText('2 2\na 1 NaN\nb 1 2\n', 'f.txt'), /f\.txt:2: value 2 of word "a" is "NaN"/);
  assert.throws(() => parseWord2VecText('3 2\na 1 2\nb 1 2\n', 'f.txt'), /header says 3 words but the file has 2/);
  assert.throws(() => parseWord2VecText('2 2\na 1 2\na 3 4\n', 'f.txt'), /f\.txt:3: word "a" appears again \(first on line 2\)/);
  assert.throws(() => parseWord2VecText('2 2\na 1 2\n\nb 1 2\n', 'f.txt'), DatasetFormatError);
  assert.throws(() => readWord2VecText('/nonexistent/vectors.txt'), /cannot read word vector file \/nonexistent\/vectors\.txt/);
});

test('word sets must be an object of non-empty string arrays', () => {
  assert.deepEqual(parseWordSets({ a: ['x', 'y'] }, 's.json'), { a: ['x', 'y'] });
  assert.throws(() => parseWordSets([], 's.json'), /s\.json: expected a JSON object/);
  assert.throws(() => parseWordSets({ a: ['x', 3] }, 's.json'), /set "a" must be an array of non-empty strings/);
  assert.throws(() => parseWordSets({ a: [] }, 's.json'), /set "a" is empty/);
});

test('reads the real GloVe subset (13975 × 100) and the WEFE fixture (347 × 300) with WEAT.json', needsRealData, () => {
  const dir = REAL_DATA_DIR!;
  const glove = readWord2VecText(join(dir, 'glove-6b-100d-subset', 'vectors.txt'));
  assert.equal(glove.dim, 100);
  assert.equal(glove.words.length, 13975);
  assert.equal(glove.vectors.length, 13975 * 100);
  assert.equal(glove.words[0], 'the');
  assert.ok(Math.abs(glove.vectors[0] - -0.03819) < 1e-7);
  const w2v = readWord2VecText(join(dir, 'wefe-weat', 'weat_w2v____old.txt'));
  assert.equal(w2v.dim, 300);
  assert.equal(w2v.words.length, 347);
  const sets = readWordSets(join(dir, 'wefe-weat', 'WEAT.json'));
  assert.equal(Object.keys(sets).length, 31);
  assert.equal(sets.flowers.length, 25);
});
