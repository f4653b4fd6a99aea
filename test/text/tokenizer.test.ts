import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  fitWordTokenizer,
  fitCharTokenizer,
  tokenizerFromJSON,
  splitWords,
  buildVocabulary,
  padSequences,
  languageModelWindows,
  PAD_ID,
  UNK_ID,
} from '../../src/text/index.js';
import { ConfigError } from '../../src/errors.js';

test('splitWords: lowercases, keeps inner apostrophes, splits punctuation', () => {
  assert.deepEqual(splitWords("Don't call John's phone, OK?"), ["don't", 'call', "john's", 'phone', ',', 'ok', '?']);
  assert.deepEqual(splitWords('  '), []);
});

test('word vocabulary: specials first, frequency order, min count, max size, OOV → <unk>', () => {
  const texts = ['a b c', 'a b', 'a d'];
  const vocab = buildVocabulary(texts.map(splitWords));
  assert.deepEqual(vocab, ['<pad>', '<unk>', '<bos>', '<eos>', 'a', 'b', 'c', 'd']);
  assert.deepEqual(buildVocabulary(texts.map(splitWords), { minCount: 2 }), ['<pad>', '<unk>', '<bos>', '<eos>', 'a', 'b']);
  assert.deepEqual(buildVocabulary(texts.map(splitWords), { maxSize: 5 }), ['<pad>', '<unk>', '<bos>', '<eos>', 'a']);
  const tok = fitWordTokenizer(texts, { minCount: 2 });
  assert.deepEqual(tok.encode('a zebra b'), [4, UNK_ID, 5]);
  assert.equal(tok.decode([4, UNK_ID, 5, PAD_ID]), 'a <unk> b');
  assert.throws(() => buildVocabulary([], { maxSize: 3 }), ConfigError);
});

test('char tokenizer round-trips text over its alphabet, and JSON round-trips both', () => {
  const tok = fitCharTokenizer(['hello world\n']);
  const ids = tok.encode('hello\nworld');
  assert.equal(tok.decode(ids), 'hello\nworld');
  assert.equal(tok.encode('z')[0], UNK_ID);
  const again = tokenizerFromJSON(JSON.parse(JSON.stringify(tok.toJSON())));
  assert.deepEqual(again.encode('hello'), tok.encode('hello'));
  const word = fitWordTokenizer(['set an alarm']);
  assert.deepEqual(tokenizerFromJSON(word.toJSON()).encode('set alarm'), word.encode('set alarm'));
  assert.throws(() => tokenizerFromJSON({ type: 'bpe', tokens: [] } as never), ConfigError);
});

test('padSequences: pads to the longest, masks real positions, truncates to a length', () => {
  const b = padSequences([[5, 6, 7], [8], []]);
  assert.equal(b.length, 3);
  assert.deepEqual(Array.from(b.ids), [5, 6, 7, 8, 0, 0, 0, 0, 0]);
  assert.deepEqual(Array.from(b.mask), [1, 1, 1, 1, 0, 0, 1, 0, 0]); // empty sequence keeps one position
  const t = padSequences([[1, 2, 3, 4]], 2);
  assert.deepEqual(Array.from(t.ids), [1, 2]);
});

test('languageModelWindows: targets are the inputs shifted by one, tail dropped', () => {
  const w = languageModelWindows([10, 11, 12, 13, 14, 15, 16], 3);
  assert.equal(w.count, 2);
  assert.deepEqual(Array.from(w.inputs), [10, 11, 12, 13, 14, 15]);
  assert.deepEqual(Array.from(w.targets), [11, 12, 13, 14, 15, 16]);
});
