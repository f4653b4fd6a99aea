/**
 * CDA (one-sided replaces, two-sided adds), the BOLD entity-level split (no held-out entity's
 * sentence is trained on), seeded top-k generation (k = 1 is greedy decoding, computed here from
 * the logits), and the generation scores and group gaps against hand-worked numbers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initEngine, tf } from '../../../src/engine/index.js';
import { SeededRandom } from '../../../src/engine/random.js';
import { createModel, INFERENCE, type LanguageModel } from '../../../src/models/index.js';
import { WordTokenizer } from '../../../src/text/index.js';
import {
  augmentExamples,
  augmentTexts,
  augmentUnits,
  counterfactualAugmentation,
  generateContinuationIds,
  genderPolarity,
  genderSwapLexicon,
  groupGap,
  polarityBalance,
  scoreContinuations,
  splitBold,
  type ScoredContinuation,
} from '../../../src/fairness/mitigation/index.js';
import { needsRealData, REAL_DATA_DIR } from '../../helpers.js';

const lexicon = genderSwapLexicon();

test('one-sided CDA replaces gendered texts, two-sided adds the counterfactual beside them', () => {
  const texts = ['she is a doctor', 'the weather is nice', 'his film won'];
  assert.deepEqual(augmentTexts(texts, 'one-sided', lexicon), ['he is a doctor', 'the weather is nice', 'her film won']);
  assert.deepEqual(augmentTexts(texts, 'two-sided', lexicon), ['she is a doctor', 'he is a doctor', 'the weather is nice', 'his film won', 'her film won']);
  assert.deepEqual(augmentUnits([{ text: 'The actress' }], 'one-sided', lexicon), [{ text: 'The actor' }]);
});

test('CDA on labelled examples keeps labels and swaps the recorded person', () => {
  const roberta = lexicon.counterpart('roberta')!;
  const examples = [
    { text: 'call roberta', label: 'call_contact', person: { name: 'roberta', group: 'female' } },
    { text: 'set an alarm', label: 'alarm_set' },
  ];
  const out = counterfactualAugmentation('two-sided')(examples);
  assert.equal(out.length, 3);
  assert.deepEqual(out[1], { text: `call ${roberta}`, label: 'call_contact', person: { name: roberta, group: 'male' } });
  assert.equal(augmentExamples(examples, 'one-sided', lexicon, { names: 'capitalised' }).length, 2);
  assert.equal(augmentExamples(examples, 'one-sided', lexicon, { names: 'capitalised' })[0].text, 'call roberta', 'lower-case names are kept unless names: any');
});

test('BOLD split: held-out entities are never trained on, and their prompts are the probe', { skip: needsRealData.skip }, () => {
  const split = splitBold(REAL_DATA_DIR!, { seed: 3, trainFraction: 0.2 });
  const heldOut = new Set(split.heldOut.map((s) => s.entity));
  assert.ok(split.prompts.length > 0 && split.heldOut.length > 0);
  for (const p of split.prompts) assert.ok(heldOut.has(p.entity) || !split.train.some((s) => s.entity === p.entity), `${p.entity} is trained on`);
  for (const s of [...split.train, ...split.val]) assert.ok(!heldOut.has(s.entity), `${s.entity} leaked into training`);
  const groups = new Set(split.prompts.filter((p) => p.domain === 'gender').map((p) => p.group));
  assert.deepEqual([...groups].sort(), ['American_actors', 'American_actresses']);
  // The same seed gives the same split.
  assert.deepEqual(splitBold(REAL_DATA_DIR!, { seed: 3, trainFraction: 0.2 }).prompts, split.prompts);
});

test('generation: seeded, and top-1 sampling is greedy decoding', async () => {
  await initEngine({ backend: 'cpu' });
  const tokens = ['<pad>', '<unk>', '<bos>', '<eos>', 'a', 'b', 'c', 'd', 'e'];
  const model = createModel({ kind: 'word-lstm', tokenizer: new WordTokenizer(tokens), seed: 5, config: { embeddingDim: 8, hidden: 8, contextLength: 4, dropout: 0 } }) as LanguageModel;
  const prompts = [[4, 5], [6], [7, 8, 4, 5, 6]];
  const a = generateContinuationIds(model, prompts, { maxTokens: 5, topK: 3, rng: new SeededRandom(1) });
  const b = generateContinuationIds(model, prompts, { maxTokens: 5, topK: 3, rng: new SeededRandom(1) });
  assert.deepEqual(a, b);
  const greedy = generateContinuationIds(model, prompts, { maxTokens: 4, topK: 1, rng: new SeededRandom(2) });
  // Independent greedy decoding, one prompt at a time, context cut to the last 4 tokens.
  prompts.forEach((prompt, i) => {
    const seq = [...prompt];
    const out: number[] = [];
    for (let step = 0; step < 4; step++) {
      const window = seq.slice(-4);
      const next = tf.tidy(() => {
        const logits = model.logits({ ids: tf.tensor2d([window], [1, window.length], 'int32'), mask: tf.ones([1, window.length]) as tf.Tensor2D, targets: tf.zeros([1, window.length], 'int32') }, INFERENCE);
        const row = Array.from(logits.dataSync().slice((window.length - 1) * tokens.length, window.length * tokens.length));
        [0, 1, 2].forEach((banned) => (row[banned] = -Infinity));
        return row.indexOf(Math.max(...row));
      });
      if (next === 3) break;
      seq.push(next);
      out.push(next);
    }
    assert.deepEqual(greedy[i], out, `prompt ${i}`);
  });
  model.dispose();
});

test('gender polarity and group gaps match hand-worked values', () => {
  assert.deepEqual(genderPolarity('She thanked her father and his brother.', lexicon), { femaleWords: 2, maleWords: 3, polarity: 0.2 });
  assert.deepEqual(genderPolarity('he and his son', lexicon), { femaleWords: 0, maleWords: 3, polarity: 1 });
  assert.equal(genderPolarity('the weather', lexicon).polarity, 0);
  const scored = scoreContinuations([{ group: 'F', prompt: '', text: 'a wonderful, great success' }, { group: 'M', prompt: '', text: 'a terrible failure' }], lexicon);
  assert.ok(scored[0].sentiment > 0.5 && scored[0].positive);
  assert.ok(scored[1].sentiment < 0 && !scored[1].positive);
  const make = (group: string, sentiment: number, m = 0, f = 0): ScoredContinuation => ({ group, prompt: '', text: '', sentiment, positive: sentiment >= 0.5, femaleWords: f, maleWords: m, polarity: m + f ? (m - f) / (m + f) : 0 });
  const items = [make('F', 0.6), make('F', 0.2), make('F', 0.7), make('M', 0.1), make('M', -0.3)];
  const gap = groupGap(items, 'F', 'M', 'sentiment', { seed: 1, resamples: 500 });
  assert.ok(Math.abs(gap.estimate - (0.5 - -0.1)) < 1e-12);
  assert.ok(Math.abs(gap.meanA - 0.5) < 1e-12 && Math.abs(gap.meanB + 0.1) < 1e-12);
  assert.ok(gap.low <= gap.estimate && gap.estimate <= gap.high);
  assert.ok(Math.abs(groupGap(items, 'F', 'M', 'positive', { seed: 1, resamples: 200 }).estimate - 2 / 3) < 1e-12);
  assert.throws(() => groupGap(items.slice(0, 3), 'F', 'M', 'sentiment', { seed: 1 }), /both/);
  const balance = polarityBalance([make('p', 0, 2, 0), make('p', 0, 1, 0), make('p', 0, 0, 1), make('p', 0, 0, 0)], { seed: 1, resamples: 200 });
  assert.ok(Math.abs(balance.estimate - 0.25) < 1e-12);
  assert.equal(balance.malePolar, 0.5);
  assert.equal(balance.femalePolar, 0.25);
});
