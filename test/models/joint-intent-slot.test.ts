/**
 * The joint intent + slot-tagging model: exact per-example gradients (the DP-SGD rules against
 * the naive per-example loop), span F1 by hand, and learning: it beats the majority baseline
 * (most frequent intent, 'O' for every token) on a generated set and on real SNIPS.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf, initEngine, type BackendName } from '../../src/engine/index.js';
import { CharComposedEmbedding, JointIntentSlotModel, INFERENCE, toTensorBatch } from '../../src/models/index.js';
import { generateSyntheticSlotDataset } from '../../src/data/index.js';
import { loadIntentDataset } from '../../src/data/registry.js';
import type { IntentDataset } from '../../src/data/types.js';
import { naivePerExampleGradients, perSampleGradients } from '../../src/privacy/dpsgd/index.js';
import { TaggingTask, fitTaggingTokenizer, majorityTaggingBaseline, slotLabelsOf, slotSpans, taggedBatch, taggingMetrics, train } from '../../src/train/index.js';
import { assertClose } from '../helpers.js';
import { REAL_DATA_DIR, needsRealData } from '../helpers.js';

function smallSetup(dropout = 0, charInput = false) {
  const data = generateSyntheticSlotDataset(3, { train: 40, val: 10, test: 10 });
  const tokenizer = fitTaggingTokenizer(data.splits.train);
  const slots = slotLabelsOf([...data.splits.train, ...data.splits.val, ...data.splits.test]);
  const model = new JointIntentSlotModel({ embeddingDim: 6, filters: 5, hidden: 4, kernelSize: 3, dropout, charInput }, tokenizer, data.labels, slots, 1);
  const task = new TaggingTask(data, tokenizer, data.labels, slots, model.maxLength);
  return { data, model, task, slots };
}

for (const [backend, charInput] of [['wasm', false], ['cpu', false], ['wasm', true]] as [BackendName, boolean][]) {
  test(`joint model per-example gradients equal the naive per-example loop (${backend}${charInput ? ', character input' : ''})`, async () => {
    await initEngine({ backend });
    const { model, task } = smallSetup(0, charInput);
    // examples of different lengths, so the batch has padding
    const host = taggedBatch(task.sets.train, [0, 1, 2, 3, 4]);
    assert.ok(host.mask.some((m) => m === 0), 'the batch is padded');
    tf.tidy(() => {
      const batch = toTensorBatch(host, 'tagger');
      const c = Float32Array.from({ length: host.size }, (_, i) => 0.3 + 0.4 * i);
      const naive = naivePerExampleGradients(model, batch, INFERENCE, (i) => c[i]);
      for (const sequencePath of ['ghost', 'instantiate'] as const) {
        const result = perSampleGradients(model, batch, INFERENCE, { sequencePath, embeddingPath: sequencePath === 'ghost' ? 'ghost' : 'segments' });
        assertClose([result.lossSum.dataSync()[0]], [naive.losses.reduce((s, x) => s + x, 0)], 1e-5, 'loss sum');
        const covered = new Set<string>();
        for (const record of result.records) {
          const sums = record.clippedSum(tf.tensor1d(c));
          for (const name of record.parameters) {
            covered.add(name);
            assertClose(record.squaredNorms.get(name)!.dataSync(), naive.squaredNorms.get(name)!, 1e-4, `${sequencePath} ${name} norms`);
            assertClose(sums.get(name)!.dataSync(), naive.weightedSum.get(name)!.dataSync(), 1e-4, `${sequencePath} ${name} weighted sum`);
          }
        }
        assert.deepEqual([...covered].sort(), model.parameters().map((p) => p.name).sort(), 'every parameter is covered');
      }
      for (const t of naive.weightedSum.values()) t.dispose();
    });
    model.dispose();
  });
}

test('character input: a token\'s vector is the mean of its characters\' vectors (by hand), shared across words', async () => {
  await initEngine({ backend: 'wasm' });
  const { model } = smallSetup(0, true);
  const tokenizer = model.tokenizer;
  const chars = model.store.get('char-embedding/embeddings').arraySync() as number[][];
  const layer = (model as unknown as { embedding: CharComposedEmbedding }).embedding;
  const table = model.embeddingTable();
  const rows = table.arraySync() as number[][];
  table.dispose();
  assert.equal(rows.length, tokenizer.vocabSize);
  const word = Array.from({ length: tokenizer.vocabSize }, (_, i) => tokenizer.tokenOf(i)).findIndex((t, i) => i > 1 && t.length >= 3 && !t.startsWith('<'));
  const text = tokenizer.tokenOf(word);
  const expected = Array.from({ length: 6 }, (_, d) => [...text].reduce((sum, ch) => sum + chars[layer.characters.indexOf(ch)][d], 0) / text.length);
  assertClose(rows[word], expected, 1e-6, `"${text}"`);
  // one row per character, not per word
  assert.equal(chars.length, layer.characters.length);
  assert.ok(layer.characters.length < tokenizer.vocabSize, `${layer.characters.length} characters for ${tokenizer.vocabSize} tokens`);
  model.dispose();
});

test('padding does not change an example\'s scores (the embedding is zeroed where mask is 0)', async () => {
  await initEngine({ backend: 'wasm' });
  const { model, task } = smallSetup();
  const alone = taggedBatch(task.sets.train, [0]);
  const padded = taggedBatch(task.sets.train, [0, ...Array.from({ length: 40 }, (_, i) => i)].filter((i, k) => k === 0 || task.sets.train.sequences[i].length > alone.length).slice(0, 2));
  assert.ok(padded.length > alone.length, 'the second batch is longer');
  const [a, b] = [alone, padded].map((host) => tf.tidy(() => {
    const s = model.scores(toTensorBatch(host, 'tagger'), INFERENCE);
    return { intent: Array.from(s.intent.slice([0, 0], [1, -1]).dataSync()), tags: Array.from(s.tags.slice([0, 0, 0], [1, alone.length, -1]).dataSync()) };
  }));
  assertClose(b.intent, a.intent, 1e-5, 'intent scores');
  assertClose(b.tags, a.tags, 1e-5, 'tag scores');
  model.dispose();
});

test('the joint model refuses classifier-shaped targets with one line', async () => {
  await initEngine({ backend: 'wasm' });
  const { model, task } = smallSetup();
  const host = taggedBatch(task.sets.train, [0, 1]);
  assert.throws(() => tf.tidy(() => model.perExampleLoss(toTensorBatch(host, 'classifier'), INFERENCE)), /targets must be \[batch, 1 \+ length\]/);
  model.dispose();
});

test('slot spans and span F1, by hand', () => {
  assert.deepEqual([...slotSpans(['O', 'B-city', 'I-city', 'O', 'B-time'])], ['city:1:3', 'time:4:5']);
  // an I- without its B- opens a span (conlleval); a type change closes one
  assert.deepEqual([...slotSpans(['I-city', 'I-time', 'O'])], ['city:0:1', 'time:1:2']);
  const labels = ['O', 'B-city', 'I-city', 'B-time'];
  const set = { sequences: [[1, 2, 3], [1, 2]], intents: Int32Array.from([0, 1]), tags: [[1, 2, 0], [3, 0]], size: 2 };
  // gold spans: city:0:2, time:0:1; predicted: city:0:1 (wrong end) and time:0:1 (right) → P = 1/2, R = 1/2
  const m = taggingMetrics(set, { intents: [0, 0], tags: [[1, 0, 0], [3, 0]] }, labels);
  assert.equal(m.intentAccuracy, 0.5);
  assert.equal(m.tagAccuracy, 4 / 5);
  assert.equal(m.slotF1, 0.5);
});

async function trainAndCompare(data: IntentDataset, epochs: number, config: Record<string, number>) {
  const tokenizer = fitTaggingTokenizer(data.splits.train);
  const slots = slotLabelsOf([...data.splits.train, ...data.splits.val, ...data.splits.test]);
  const model = new JointIntentSlotModel(config, tokenizer, data.labels, slots, 2);
  const task = new TaggingTask(data, tokenizer, data.labels, slots, model.maxLength);
  const training = await train(model, task, { epochs, batchSize: 32, learningRate: 3e-3, seed: 2, patience: 2 });
  const metrics = task.evaluate(model, 'test');
  const baseline = majorityTaggingBaseline(task.sets.train, task.sets.test, slots);
  model.dispose();
  return { metrics, baseline, training };
}

test('on a generated slot set the joint model beats the majority baseline for intents and slots, and records the epoch it used', async () => {
  await initEngine({ backend: 'wasm' });
  const { metrics, baseline, training } = await trainAndCompare(generateSyntheticSlotDataset(4, { train: 400, val: 80, test: 120 }), 6, { embeddingDim: 16, filters: 24, hidden: 24 });
  assert.ok(metrics.intentAccuracy > baseline.intentAccuracy + 0.3, `intent ${metrics.intentAccuracy} vs majority ${baseline.intentAccuracy}`);
  assert.ok(metrics.tagAccuracy > baseline.tagAccuracy + 0.1, `tags ${metrics.tagAccuracy} vs all-O ${baseline.tagAccuracy}`);
  assert.ok(metrics.slotF1 > 0.5 && baseline.slotF1 === 0, `slot F1 ${metrics.slotF1} vs ${baseline.slotF1}`);
  assert.equal(training.epochUsed, training.bestEpoch);
});

test('on real SNIPS (a 2,000-utterance slice of train, the full test split) the joint model beats the majority baseline', { skip: needsRealData.skip }, async () => {
  await initEngine({ backend: 'wasm' });
  const full = loadIntentDataset('snips', { dataDir: REAL_DATA_DIR });
  const data = { ...full, splits: { ...full.splits, train: full.splits.train.slice(0, 2000), val: full.splits.val.slice(0, 200) } };
  const { metrics, baseline } = await trainAndCompare(data, 3, { embeddingDim: 32, filters: 48, hidden: 48 });
  assert.ok(metrics.intentAccuracy > 0.8 && metrics.intentAccuracy > baseline.intentAccuracy + 0.5, `intent ${metrics.intentAccuracy} vs majority ${baseline.intentAccuracy}`);
  assert.ok(metrics.tagAccuracy > baseline.tagAccuracy + 0.1, `tags ${metrics.tagAccuracy} vs all-O ${baseline.tagAccuracy}`);
  assert.ok(metrics.slotF1 > baseline.slotF1 + 0.2, `slot F1 ${metrics.slotF1} vs ${baseline.slotF1}`);
});
