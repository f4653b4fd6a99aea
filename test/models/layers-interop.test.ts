/**
 * The TensorFlow.js Layers format, both ways (Node; Chromium in test/web/layers-export.test.ts):
 *  - every trustnlu architecture exported to a model.json directory loads with plain
 *    tf.loadLayersModel (files read by hand into tf.io.fromMemory, trustnlu/layers imported)
 *    and predicts the same probabilities as softmax(trustnlu's logits), max |Δ| ≤ 1e-5,
 *    on wasm and cpu, including a batch with an empty text (all padding);
 *  - loadAnyModel turns the directory back into a trustnlu model that predicts the same;
 *  - a directory written by tfjs itself (model.save format, group1-shard1of1.bin, the test's
 *    own tokenizer.json) loads, evaluates, predicts and trains through the library;
 *  - runTraining takes a tf.LayersModel (or a function that builds one), privately too, and
 *    saves it in the Layers format that tf.loadLayersModel reads.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tf, initEngine, type BackendName } from '../../src/engine/index.js';
import '../../src/layers/index.js';
import {
  INFERENCE,
  LayersClassifier,
  exportLayersModel,
  isLayersModelPath,
  loadAnyModel,
  loadModel,
  toTensorBatch,
  type AnyModel,
  type HostBatch,
} from '../../src/models/index.js';
import { padSequences, fitWordTokenizer } from '../../src/text/index.js';
import { ClassificationTask, classifierOutputs, predictTexts, runEvaluation, runTraining, type UserModelSpec } from '../../src/train/index.js';
import { loadIntentDataset } from '../../src/data/registry.js';
import { PrivateTraining } from '../../src/privacy/index.js';
import { seededValues } from '../helpers.js';
import { MODEL_KINDS, smallBatch, smallModel } from './fixtures.js';

const BACKENDS: BackendName[] = ['wasm', 'cpu'];

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'trustnlu-layers-'));
}

/** Every parameter moved off its initial value (layer norms start at γ = 1, β = 0), seeded. */
function perturb(model: AnyModel, seed: number): void {
  model.store.assign(model.parameters().map((p, k) => {
    const base = p.variable.dataSync() as Float32Array;
    const noise = seededValues(base.length, seed + k);
    return { name: p.name, shape: p.variable.shape, values: base.map((v, j) => v + 0.3 * noise[j]) };
  }));
}

/** tf.loadLayersModel on the files as written, read by hand (no trustnlu reader involved). */
async function plainLoad(dir: string): Promise<tf.LayersModel> {
  const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
  const weights = readFileSync(join(dir, json.weightsManifest[0].paths[0]));
  return tf.loadLayersModel(tf.io.fromMemory({
    modelTopology: json.modelTopology,
    weightSpecs: json.weightsManifest[0].weights,
    weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength),
  }));
}

/** The batches compared: the fixture's, and one with an empty text for classifiers. */
function batches(model: AnyModel): HostBatch[] {
  const out = [smallBatch(model)];
  if (model.task === 'classifier') {
    const padded = padSequences([[5, 6, 7], [], [8, 9]]);
    out.push({ ...padded, targets: Int32Array.from([0, 1, 2]) });
  }
  return out;
}

for (const backend of BACKENDS) {
  for (const kind of MODEL_KINDS) {
    test(`export: ${kind} loads with plain tf.loadLayersModel and predicts the same probabilities (${backend})`, async () => {
      await initEngine({ backend });
      const model = smallModel(kind);
      perturb(model, 7);
      const dir = tempDir();
      try {
        exportLayersModel(dir, model);
        assert.ok(existsSync(join(dir, 'tokenizer.json')) && isLayersModelPath(dir));
        const plain = await plainLoad(dir);
        const reloaded = await loadAnyModel(dir);
        for (const host of batches(model)) {
          const [expected, got, again] = tf.tidy(() => {
            const batch = toTensorBatch(host, model.task);
            const probabilities = tf.softmax(model.logits(batch, INFERENCE) as tf.Tensor);
            const predicted = plain.predict(batch.ids) as tf.Tensor;
            const viaLibrary = tf.softmax(reloaded.model.logits(batch, INFERENCE) as tf.Tensor);
            return [probabilities.dataSync(), predicted.dataSync(), viaLibrary.dataSync()];
          });
          assert.equal(got.length, expected.length);
          const diff = Math.max(...Array.from(got, (v, i) => Math.abs(v - expected[i])));
          assert.ok(diff <= 1e-5, `${kind} on ${backend}: tf.loadLayersModel predicts within ${diff} of trustnlu`);
          const diffLibrary = Math.max(...Array.from(again, (v, i) => Math.abs(v - expected[i])));
          assert.ok(diffLibrary <= 1e-5, `${kind} on ${backend}: loadAnyModel predicts within ${diffLibrary}`);
        }
        assert.equal(reloaded.model.task, model.task);
        if (model.task === 'classifier' && reloaded.model.task === 'classifier') assert.deepEqual(reloaded.model.labels, model.labels);
        assert.throws(() => loadModel(dir), /TensorFlow.js Layers model.*loadAnyModel/);
        plain.dispose();
        reloaded.model.dispose();
      } finally {
        model.dispose();
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
}

/** A user's classifier built with tf.layers, as the docs show. */
function userClassifier({ vocabularySize, labels, maxLength }: UserModelSpec): tf.LayersModel {
  return tf.sequential({
    layers: [
      tf.layers.embedding({ inputDim: vocabularySize, outputDim: 16, inputLength: maxLength }),
      tf.layers.conv1d({ filters: 16, kernelSize: 3, padding: 'same', activation: 'relu' }),
      tf.layers.globalMaxPooling1d(),
      tf.layers.dense({ units: labels!.length, activation: 'softmax' }),
    ],
  });
}

test('a directory written by tfjs itself loads, predicts, evaluates and trains through the library', async () => {
  await initEngine({ backend: 'wasm' });
  const dataset = loadIntentDataset('synthetic', { seed: 0 });
  const tokenizer = fitWordTokenizer(dataset.splits.train.map((e) => e.text));
  const model = userClassifier({ task: 'classifier', vocabularySize: tokenizer.vocabSize, labels: dataset.labels, maxLength: 24 });
  const dir = tempDir();
  try {
    // The format of tfjs's own model.save (browser downloads and tfjs-node write the same).
    await model.save(tf.io.withSaveHandler(async (artifacts) => {
      writeFileSync(join(dir, 'group1-shard1of1.bin'), Buffer.from(artifacts.weightData as ArrayBuffer));
      writeFileSync(join(dir, 'model.json'), JSON.stringify({
        modelTopology: artifacts.modelTopology,
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: null,
        weightsManifest: [{ paths: ['group1-shard1of1.bin'], weights: artifacts.weightSpecs }],
      }));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }));
    writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(tokenizer.toJSON()));
    const { model: loaded } = await loadAnyModel(join(dir, 'model.json'), { labels: dataset.labels });
    assert.ok(loaded instanceof LayersClassifier);
    assert.equal(loaded.maxLength, 24, 'the fixed input length of the model');
    const task = new ClassificationTask(dataset, tokenizer, loaded.labels, loaded.maxLength);
    const before = task.evaluate(loaded, 'test');
    const probabilities = classifierOutputs(loaded, task.sets.test).probabilities;
    const direct = tf.tidy(() => {
      const ids = tf.tensor2d(padSequences(task.sets.test.sequences.slice(0, 5), 24).ids, [5, 24], 'int32');
      return (model.predict(ids) as tf.Tensor).dataSync();
    });
    const diff = Math.max(...Array.from(direct, (v, i) => Math.abs(v - probabilities[i])));
    assert.ok(diff <= 1e-5, `the library predicts what tfjs predicts (${diff})`);
    assert.equal(predictTexts(loaded, ['set an alarm']).length, 1);
    const evaluated = runEvaluation({ modelDir: dir, loaded: { model: loaded, meta: {} }, dataset: 'synthetic' }) as { accuracy: number; model: string };
    assert.equal(evaluated.model, 'layers');
    assert.ok(Math.abs(evaluated.accuracy - before.accuracy) < 0.05, `runEvaluation ${evaluated.accuracy} vs ${before.accuracy}`);
    // Train it further through the library (the dataset's labels in the model's order).
    const out = tempDir();
    const { result, model: trained } = await runTraining({ model: loaded, dataset, epochs: 2, seed: 1, out, learningRate: 5e-3 });
    assert.ok((result as { accuracy: number }).accuracy > before.accuracy, `accuracy ${before.accuracy} → ${(result as { accuracy: number }).accuracy}`);
    assert.ok(isLayersModelPath(out), 'the best checkpoint is a Layers model directory');
    const saved = await plainLoad(out);
    const check = tf.tidy(() => {
      const ids = tf.tensor2d(padSequences(task.sets.test.sequences.slice(0, 5), 24).ids, [5, 24], 'int32');
      return tf.max(tf.abs(tf.sub(saved.predict(ids) as tf.Tensor, (trained as LayersClassifier).layersModel.predict(ids) as tf.Tensor))).dataSync()[0];
    });
    assert.ok(check <= 1e-6, 'the saved model is the trained one');
    saved.dispose();
    trained.dispose();
    rmSync(out, { recursive: true, force: true });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('runTraining takes a function that builds a tf.LayersModel, and trains it privately', async () => {
  await initEngine({ backend: 'wasm' });
  const out = tempDir();
  try {
    let privacy: PrivateTraining | undefined;
    let built: tf.LayersModel | undefined;
    let initial: Float32Array[] = [];
    const { training, model } = await runTraining({
      model: (spec) => {
        built = userClassifier(spec);
        initial = built.getWeights().map((w) => w.dataSync() as Float32Array);
        return built;
      },
      dataset: 'synthetic',
      epochs: 2,
      seed: 3,
      out,
      batchSize: 180,
      learningRate: 1e-2,
      configureTraining: (setup) => {
        privacy = new PrivateTraining({ epsilon: 8, delta: 1e-5, clip: 1, prefetchNoise: false });
        const plan = privacy.configure(setup);
        return { gradientStep: plan.gradientStep, batchPlan: plan.batchPlan, meta: plan.meta };
      },
    });
    assert.equal(model.kind, 'layers');
    assert.ok(model instanceof LayersClassifier && model.layersModel === built, 'the wrapped model is the one the function built');
    assert.equal(privacy!.plan!.gradientStep.state.steps, training.steps, 'every step was a DP step');
    const report = privacy!.report(training.steps);
    assert.ok(report.epsilon <= 8 && report.epsilon > 0, `ε ${report.epsilon}`);
    const moved = built!.getWeights().map((w, k) => Math.max(...Array.from(w.dataSync(), (v, j) => Math.abs(v - initial[k][j]))));
    assert.ok(moved.every((m) => m > 0), 'every weight of the user model was trained in place');
    const reloaded = await loadAnyModel(out);
    assert.equal((reloaded.meta.dp as { noiseMultiplier: number }).noiseMultiplier, report.noiseMultiplier, 'the privacy mechanism is recorded with the model');
    privacy!.dispose();
    reloaded.model.dispose();
    model.dispose();
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('runTraining refuses a model whose Embedding is smaller than the vocabulary, naming the fix', async () => {
  await initEngine({ backend: 'cpu' });
  const small = tf.sequential({ layers: [tf.layers.embedding({ inputDim: 5, outputDim: 4, inputLength: 8 }), tf.layers.flatten(), tf.layers.dense({ units: 3, activation: 'softmax' })] });
  await assert.rejects(runTraining({ model: small, dataset: 'synthetic', epochs: 1, seed: 0 }), /Embedding takes 5 ids but the tokenizer has \d+ tokens.*inputDim ≥/);
});
