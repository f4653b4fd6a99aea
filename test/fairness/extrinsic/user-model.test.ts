/**
 * Group gaps and counterfactual token fairness on a user's tf.LayersModel (issue 17, part 4):
 * the model wrapped with its tokenizer, and the same model as a bare scoring function built
 * here from model.predict, give the group metrics computed from predictions made by hand,
 * and the same counterfactual changes on a probe set.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf, initEngine } from '../../../src/engine/index.js';
import { loadIntentDataset } from '../../../src/data/registry.js';
import { auditGroups, dataGroupGaps, exampleGroup, predictionGroupGaps } from '../../../src/fairness/index.js';
import { wrapLayersModel, type ClassifierModel, type TextClassifier } from '../../../src/models/index.js';
import { fitWordTokenizer, padSequences, type Tokenizer } from '../../../src/text/index.js';

const MAX_LENGTH = 16;

function predictByHand(model: tf.LayersModel, tokenizer: Tokenizer, texts: string[]): Float32Array {
  return tf.tidy(() => {
    const ids = tf.tensor2d(padSequences(texts.map((t) => tokenizer.encode(t)), MAX_LENGTH).ids, [texts.length, MAX_LENGTH], 'int32');
    return (model.predict(ids) as tf.Tensor).dataSync() as Float32Array;
  }).slice();
}

test('group gaps and counterfactual fairness of a user tf.LayersModel: wrapped, as a scoring function, and from predictions by hand agree', async () => {
  await initEngine({ backend: 'wasm' });
  const data = loadIntentDataset('synthetic', { seed: 0 });
  const tokenizer = fitWordTokenizer(data.splits.train.map((e) => e.text));
  const labels = data.labels;
  const model = tf.sequential({
    layers: [
      tf.layers.embedding({ inputDim: tokenizer.vocabSize, outputDim: 16, inputLength: MAX_LENGTH }),
      tf.layers.globalAveragePooling1d(),
      tf.layers.dense({ units: labels.length, activation: 'softmax' }),
    ],
  });
  model.compile({ optimizer: tf.train.adam(0.02), loss: 'sparseCategoricalCrossentropy' });
  const train = data.splits.train;
  const x = tf.tensor2d(padSequences(train.map((e) => tokenizer.encode(e.text)), MAX_LENGTH).ids, [train.length, MAX_LENGTH], 'int32');
  const y = tf.tensor1d(train.map((e) => labels.indexOf(e.label)), 'float32');
  await model.fit(x, y, { epochs: 3, batchSize: 64, verbose: 0 });
  x.dispose();
  y.dispose();

  const wrapped = wrapLayersModel(model, { tokenizer, task: 'classifier', labels }) as ClassifierModel;
  const scorer: TextClassifier = { labels, probabilities: (texts) => predictByHand(model, tokenizer, texts) };

  // Group gaps on the test split's examples that carry a group.
  const test = data.splits.test.filter((e) => exampleGroup(e) !== undefined);
  const p = predictByHand(model, tokenizer, test.map((e) => e.text));
  const yPred = test.map((_, i) => {
    let best = 0;
    for (let c = 1; c < labels.length; c++) if (p[i * labels.length + c] > p[i * labels.length + best]) best = c;
    return labels[best];
  });
  const options = { resamples: 100, seed: 4, positive: labels[0] };
  const byHand = predictionGroupGaps(test.map((e) => e.label), yPred, test.map((e) => exampleGroup(e)!), options);
  const fromModel = dataGroupGaps(wrapped, test, options);
  const fromScorer = dataGroupGaps(scorer, test, options);
  assert.ok((byHand.overall.accuracy ?? 0) > 1 / labels.length, `the model learned something (accuracy ${byHand.overall.accuracy})`);
  assert.deepEqual(fromModel, byHand, 'wrapped model = predictions by hand');
  assert.deepEqual(fromScorer, byHand, 'scoring function = predictions by hand');

  // Counterfactual token fairness on the probe set: the wrapped model and the scorer see the same texts.
  const probeOptions = { probe: 'intent-synthetic' as const, resamples: 50, seed: 1 };
  const audited = auditGroups(wrapped, probeOptions).audit;
  const scored = auditGroups(scorer, probeOptions).audit;
  assert.ok(audited.counterfactual.examples > 100);
  assert.ok(Math.abs(audited.counterfactual.meanAbsoluteChange - scored.counterfactual.meanAbsoluteChange) < 1e-6);
  assert.equal(audited.counterfactual.flipRate, scored.counterfactual.flipRate);
  assert.deepEqual(audited.groupMetrics.byGroup, scored.groupMetrics.byGroup);
  assert.ok(audited.coverage, 'a model with a tokenizer reports which identity words it knows');
  model.dispose();
});
