/**
 * Plain vocabulary files as tokenizers (`--vocab FILE` for a model.json trained elsewhere): line
 * k is the token of id k, id 0 pads, a line <unk> or [UNK] is the id of unknown words; Keras's
 * TextVectorization vocabulary ("" then "[UNK]") fits as it is. Checked by hand-worked ids; a
 * trustnlu tokenizer written one token per line gives the same ids; bad files name the line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fitWordTokenizer, plainVocabularyTokenizer, tokenizerFromJSON } from '../../src/text/index.js';
import { readTokenizerFile } from '../../src/models/index.js';
import { CheckpointError, ConfigError } from '../../src/errors.js';

test('a Keras-style vocabulary: ids by line, unknown words to [UNK], padding dropped when decoding', () => {
  const tokenizer = plainVocabularyTokenizer(['', '[UNK]', 'play', 'some', 'jazz', '?'].join('\n') + '\n');
  assert.equal(tokenizer.vocabSize, 6);
  assert.equal(tokenizer.unknownId, 1);
  assert.deepEqual(tokenizer.encode('Play some JAZZ music?'), [2, 3, 4, 1, 5]);
  assert.equal(tokenizer.decode([2, 4, 0, 0]), 'play jazz');
  assert.equal(tokenizer.decode([1]), '[UNK]');
  // JSON round trip keeps the unknown id (no trustnlu special tokens)
  const again = tokenizerFromJSON(tokenizer.toJSON());
  assert.deepEqual(again.encode('play the jazz'), [2, 1, 4]);
  assert.equal(tokenizer.toJSON().unknownId, 1);
});

test('a trustnlu tokenizer written one token per line reads back with the same ids', () => {
  const fitted = fitWordTokenizer(['set an alarm for seven', 'play some jazz please', 'what is the weather']);
  const plain = plainVocabularyTokenizer(fitted.toJSON().tokens.join('\n'));
  for (const text of ['set an alarm please', 'play the weather', 'unknown words here']) assert.deepEqual(plain.encode(text), fitted.encode(text));
});

test('bad vocabulary files name the problem and the line', () => {
  assert.throws(() => plainVocabularyTokenizer('\nplay\njazz\n', 'v.txt'), (e: Error) => e instanceof ConfigError && /v\.txt: no line reads <unk> or \[UNK\]/.test(e.message));
  assert.throws(() => plainVocabularyTokenizer('[UNK]\nplay\n', 'v.txt'), (e: Error) => e instanceof ConfigError && /line 1 is the padding token/.test(e.message));
  assert.throws(() => plainVocabularyTokenizer('\n[UNK]\nplay\njazz\nplay\n', 'v.txt'), (e: Error) => e instanceof ConfigError && /lines 3 and 5 both read "play"/.test(e.message));
  const dir = mkdtempSync(join(tmpdir(), 'vocab-'));
  writeFileSync(join(dir, 'broken.json'), '{ "type": "word", ');
  assert.throws(() => readTokenizerFile(join(dir, 'broken.json')), (e: Error) => e instanceof CheckpointError && /starts like a tokenizer JSON but is not valid JSON/.test(e.message));
  assert.throws(() => readTokenizerFile(join(dir, 'missing.txt')), (e: Error) => e instanceof CheckpointError && /no such vocabulary or tokenizer file/.test(e.message));
  writeFileSync(join(dir, 'vocab.txt'), '<pad>\n<unk>\nplay\n');
  assert.deepEqual(readTokenizerFile(join(dir, 'vocab.txt')).encode('play it'), [2, 1]);
});
