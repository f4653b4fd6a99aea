import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initEngine } from '../../src/engine/index.js';
import { fitWordTokenizer } from '../../src/text/index.js';
import { createModel, MODEL_KINDS } from '../../src/models/index.js';
import { ConfigError } from '../../src/errors.js';
import { smallModel } from './fixtures.js';

await initEngine({ backend: 'cpu' });
const tokenizer = fitWordTokenizer(['set an alarm', 'play some jazz']);
const labels = ['a', 'b'];

test('architecture overrides: every kind builds with its own small config', () => {
  for (const kind of MODEL_KINDS) smallModel(kind).dispose();
});

test('architecture overrides: an unknown hyper-parameter or a value of the wrong type is a ConfigError naming it', () => {
  assert.throws(
    () => createModel({ kind: 'embbag', tokenizer, labels, seed: 0, config: { hiden: 0 } as never }),
    (e: Error) => e instanceof ConfigError && /no hyper-parameter "hiden"/.test(e.message) && /hidden/.test(e.message),
  );
  assert.throws(
    () => createModel({ kind: 'embbag', tokenizer, labels, seed: 0, config: { hidden: '0' } as never }),
    (e: Error) => e instanceof ConfigError && /"hidden" must be a finite number/.test(e.message),
  );
  assert.throws(
    () => createModel({ kind: 'cnn', tokenizer, labels, seed: 0, config: { kernelSizes: 3 } as never }),
    (e: Error) => e instanceof ConfigError && /"kernelSizes" must be an array/.test(e.message),
  );
  assert.throws(() => createModel({ kind: 'embbag', tokenizer, labels, seed: 0, config: { dropout: Number.NaN } }), ConfigError);
  const model = createModel({ kind: 'embbag', tokenizer, labels, seed: 0, config: { hidden: 0, dropout: 0 } });
  assert.equal((model.config as { hidden: number }).hidden, 0);
  assert.equal(model.parameters().some((p) => p.name.startsWith('hidden')), false);
  model.dispose();
});
