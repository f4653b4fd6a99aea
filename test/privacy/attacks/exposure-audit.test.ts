import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initEngine, SeededRandom } from '../../../src/engine/index.js';
import { loadCorpus } from '../../../src/data/registry.js';
import { fitCharTokenizer } from '../../../src/text/index.js';
import { createModel, type LanguageModel } from '../../../src/models/index.js';
import { train, LanguageModelTask, unitText } from '../../../src/train/index.js';
import { drawCanaries, insertCanariesIntoCorpus, canaryExposures, textLogPerplexities } from '../../../src/privacy/audit/index.js';

test('log-perplexity of texts equals the sum of the per-token losses computed one text at a time', async () => {
  await initEngine({ backend: 'wasm' });
  const tok = fitCharTokenizer(['abc abd\n\n']);
  const model = createModel({ kind: 'char-lstm', tokenizer: tok, seed: 1, config: { hidden: 8, embeddingDim: 4, contextLength: 16 } }) as LanguageModel;
  const together = textLogPerplexities(model, ['abc', 'ab d a', 'b']);
  const alone = ['abc', 'ab d a', 'b'].map((t) => textLogPerplexities(model, [t])[0]);
  for (let i = 0; i < 3; i++) assert.ok(Math.abs(together[i] - alone[i]) < 1e-4, `${together[i]} vs ${alone[i]}`);
  assert.ok(together[1] > together[2], 'a longer text has a larger summed loss');
  model.dispose();
});

test('a canary repeated 20 times is exposed far above a never-inserted one (non-private char-LSTM)', async () => {
  await initEngine({ backend: 'wasm' });
  const rng = new SeededRandom(4);
  const canaries = drawCanaries({ format: 'my pin is {d}{d}{d}{d}', repetitions: [20, 0] }, rng);
  const corpus = insertCanariesIntoCorpus(loadCorpus('synthetic-lm', { seed: 0 }), canaries, rng);
  const tok = fitCharTokenizer([...corpus.splits.train.map(unitText).map((t) => `${t}\n\n`), '0123456789']);
  const model = createModel({ kind: 'char-lstm', tokenizer: tok, seed: 2, config: { hidden: 96, embeddingDim: 24, contextLength: 48 } }) as LanguageModel;
  await train(model, new LanguageModelTask(corpus, tok, 48), { epochs: 3, batchSize: 32, learningRate: 1e-2, seed: 3 });
  const report = canaryExposures(model, canaries);
  const [inserted, reference] = report.canaries;
  assert.equal(inserted.method, 'exact');
  // the target: at least 10 bits above a same-format canary that was never inserted
  assert.ok(inserted.exposure - reference.exposure >= 10, `exposure ${inserted.exposure} vs reference ${reference.exposure}`);
  assert.equal(report.maxExposure, inserted.exposure);
  model.dispose();
});
