import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tf, initEngine, loadCheckpoint } from '../../src/engine/index.js';
import { loadIntentDataset, loadCorpus } from '../../src/data/registry.js';
import { fitWordTokenizer, fitCharTokenizer } from '../../src/text/index.js';
import { createModel, type ClassifierModel, type LanguageModel } from '../../src/models/index.js';
import { train, ClassificationTask, LanguageModelTask, runTraining, learningRateAt, type ProgressReporter, type TrainerOptions } from '../../src/train/index.js';
import { NonFiniteError, ConfigError } from '../../src/errors.js';
import { needsRealData } from '../helpers.js';

const dataset = loadIntentDataset('synthetic', { seed: 0 });
const tokenizer = fitWordTokenizer(dataset.splits.train.map((e) => e.text));

function setup(seed = 3) {
  const model = createModel({ kind: 'embbag', tokenizer, labels: dataset.labels, seed, config: { embeddingDim: 16, hidden: 16 } }) as ClassifierModel;
  const task = new ClassificationTask(dataset, tokenizer, dataset.labels, 24);
  return { model, task };
}

const weightsOf = (m: ClassifierModel) => m.parameters().map((p) => Array.from(p.variable.dataSync()));

test('training is reproducible from its seed and different for another seed', async () => {
  await initEngine({ backend: 'wasm' });
  const options: TrainerOptions = { epochs: 2, batchSize: 32, learningRate: 3e-3, seed: 5 };
  const a = setup();
  await train(a.model, a.task, options);
  const b = setup();
  await train(b.model, b.task, options);
  assert.deepEqual(weightsOf(a.model), weightsOf(b.model));
  const c = setup();
  await train(c.model, c.task, { ...options, seed: 6 });
  assert.notDeepEqual(weightsOf(a.model), weightsOf(c.model));
  for (const m of [a, b, c]) m.model.dispose();
});

test('resume from <out>/last continues exactly where an interrupted run stopped', async () => {
  await initEngine({ backend: 'wasm' });
  const options = { batchSize: 32, learningRate: 3e-3, seed: 5, optimizer: { name: 'adamw' as const } };
  const straightDir = mkdtempSync(join(tmpdir(), 'straight-'));
  const s = setup();
  await train(s.model, s.task, { ...options, epochs: 3, outDir: straightDir });
  const resumedDir = mkdtempSync(join(tmpdir(), 'resumed-'));
  const r1 = setup();
  await train(r1.model, r1.task, { ...options, epochs: 1, outDir: resumedDir }); // "crash" after epoch 1
  const r2 = setup(99); // a fresh process: different init, must be overwritten by the resume
  const result = await train(r2.model, r2.task, { ...options, epochs: 3, outDir: resumedDir, resume: true });
  assert.equal(result.history.length, 3);
  const straight = loadCheckpoint(join(straightDir, 'last', 'model')).weights;
  const resumed = loadCheckpoint(join(resumedDir, 'last', 'model')).weights;
  assert.deepEqual(resumed.map((w) => Array.from(w.values)), straight.map((w) => Array.from(w.values)));
  for (const m of [s, r1, r2]) m.model.dispose();
});

test('the number of live tensors stays flat across training steps', async () => {
  await initEngine({ backend: 'wasm' });
  const { model, task } = setup();
  const counts: number[] = [];
  const progress: ProgressReporter = { start() {}, stop() {}, event() {}, update: () => void counts.push(tf.memory().numTensors) };
  await train(model, task, { epochs: 2, batchSize: 16, learningRate: 1e-3, seed: 1, progress, optimizer: { name: 'adam' } });
  assert.ok(counts.length > 100);
  // after the first step creates the optimiser's slots, nothing may accumulate
  assert.deepEqual(new Set(counts.slice(1)).size, 1, `tensor counts vary: ${[...new Set(counts)].join(', ')}`);
  model.dispose();
});

test('a non-finite loss stops training with a clear error; bad options are refused', async () => {
  await initEngine({ backend: 'wasm' });
  const { model, task } = setup();
  await assert.rejects(
    train(model, task, { epochs: 1, batchSize: 16, learningRate: 1e-3, seed: 1, gradientStep: () => ({ loss: tf.scalar(NaN), grads: new Map() }) }),
    (e: Error) => e instanceof NonFiniteError && /lower the learning rate/.test(e.message),
  );
  await assert.rejects(train(model, task, { epochs: 0, batchSize: 16, learningRate: 1e-3, seed: 1 }), ConfigError);
  await assert.rejects(train(model, task, { epochs: 1, batchSize: 16, learningRate: -1, seed: 1 }), ConfigError);
  model.dispose();
});

test('early stopping ends training when validation stops improving', async () => {
  await initEngine({ backend: 'wasm' });
  const { model, task } = setup();
  const frozen = () => ({ loss: tf.scalar(1), grads: new Map<string, tf.Tensor>() }); // the model never changes
  const r = await train(model, task, { epochs: 10, batchSize: 64, learningRate: 1e-3, seed: 1, patience: 2, gradientStep: frozen });
  assert.equal(r.stoppedBy, 'early-stopping');
  assert.equal(r.history.length, 3);
  assert.equal(r.bestEpoch, 1);
  model.dispose();
});

test('without an output directory the best epoch\'s weights are handed back, not the last epoch\'s', async () => {
  await initEngine({ backend: 'wasm' });
  const { model, task } = setup();
  // Validation scores 0.5, 0.9, 0.1: epoch 2 is the best; record the weights each validation saw.
  const scores = [0.5, 0.9, 0.1];
  const seen: number[][][] = [];
  const scripted = Object.create(task) as typeof task;
  scripted.validate = (m) => {
    seen.push(weightsOf(m as ClassifierModel));
    return { score: scores[seen.length - 1], metrics: { accuracy: scores[seen.length - 1] } };
  };
  const r = await train(model, scripted, { epochs: 3, batchSize: 32, learningRate: 1e-2, seed: 2 });
  assert.equal(r.bestEpoch, 2);
  assert.notDeepEqual(seen[1], seen[2], 'training changed the weights after the best epoch');
  assert.deepEqual(weightsOf(model), seen[1]);
  model.dispose();
});

test('learning-rate schedules: warm-up, linear and cosine decay', () => {
  assert.equal(learningRateAt('constant', 1, 50, 100, 10), 1);
  assert.equal(learningRateAt('constant', 1, 4, 100, 10), 0.5);
  assert.ok(Math.abs(learningRateAt('linear', 1, 55, 100, 10) - 0.5) < 1e-12);
  assert.ok(Math.abs(learningRateAt('cosine', 1, 55, 100, 10) - 0.5) < 1e-12);
  assert.equal(learningRateAt('cosine', 1, 100, 100, 10), 0);
});

test('a language model learns: char-LSTM validation loss falls well below the uniform log|V|', async () => {
  await initEngine({ backend: 'wasm' });
  const corpus = loadCorpus('synthetic-lm', { seed: 0 });
  const tok = fitCharTokenizer(corpus.splits.train.map((u) => `${u.text}\n\n`));
  const model = createModel({ kind: 'char-lstm', tokenizer: tok, seed: 1, config: { hidden: 64, embeddingDim: 16, contextLength: 32 } }) as LanguageModel;
  const task = new LanguageModelTask(corpus, tok, 32);
  const r = await train(model, task, { epochs: 3, batchSize: 32, learningRate: 1e-2, seed: 1, maxStepsPerEpoch: 60 });
  const valLoss = -r.bestScore;
  assert.ok(valLoss < 0.6 * Math.log(tok.vocabSize), `val loss ${valLoss} vs log|V| ${Math.log(tok.vocabSize)}`);
  model.dispose();
});

test('real data: 2 epochs of the embedding-bag classifier on CLINC150 small exceed 0.6 in-scope accuracy', needsRealData, async () => {
  await initEngine({ backend: 'wasm' });
  const { result, model } = await runTraining({ dataset: 'clinc150-small', model: 'embbag', epochs: 2, seed: 1 });
  model.dispose();
  assert.ok('accuracy' in result);
  assert.ok(result.accuracy > 0.6, `accuracy ${result.accuracy}`);
  assert.ok(result.oosRecall !== undefined);
});
