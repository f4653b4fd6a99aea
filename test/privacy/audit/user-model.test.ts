/**
 * Privacy audits on a user's tf.LayersModel (issue 17, part 4):
 *  - the loss attack on the wrapped model (LayersModel + tokenizer) and on a bare scoring
 *    function (texts → probabilities) gives the AUC computed here by hand from model.predict
 *    (cross-entropy per example, then a pairwise AUC loop);
 *  - LiRA's shadow models are clones of the user's architecture: the same topology (layer
 *    classes and configurations) with fresh weights drawn from the job's seed, rebuilt in a
 *    worker thread too;
 *  - white-box measures run the user's model from its embedded tokens: logitsFromEmbeddings
 *    of table[ids] equals log(model.predict(ids)), and a model without an Embedding is refused
 *    by name.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf, initEngine } from '../../../src/engine/index.js';
import type { IntentDataset, TextExample } from '../../../src/data/types.js';
import { ConfigError } from '../../../src/errors.js';
import { INFERENCE, LayersClassifier, wrapLayersModel, type ClassifierModel, type TextClassifier } from '../../../src/models/index.js';
import { fitWordTokenizer, padSequences, type Tokenizer } from '../../../src/text/index.js';
import { auditTrainedModel, buildShadowClassifier, classifierSpecOf, targetMembershipStatistics, trainModels } from '../../../src/privacy/audit/index.js';
import { invertSecret } from '../../../src/privacy/attacks/inversion.js';
import { embeddingClassifier } from '../../../src/fairness/sensitivity/aps.js';
import { assertClose, seededValues } from '../../helpers.js';

const LABELS = ['alarm', 'music', 'weather'];
const WORDS: Record<string, string[]> = {
  alarm: ['wake', 'alarm', 'seven', 'morning'],
  music: ['play', 'song', 'jazz', 'loud'],
  weather: ['rain', 'sunny', 'forecast', 'cold'],
};

/** Distinct texts: example k is label k mod 3 with two of its words and two filler words, all chosen by k's digits. */
function examples(count: number, offset: number): TextExample[] {
  const fillers = ['please', 'now', 'today', 'the', 'me', 'a'];
  return Array.from({ length: count }, (_, j) => {
    const k = j + offset;
    const label = LABELS[k % 3];
    const w = WORDS[label];
    return { text: `${w[Math.floor(k / 3) % 4]} ${fillers[Math.floor(k / 48) % 6]} ${w[Math.floor(k / 12) % 4]} ${fillers[Math.floor(k / 288) % 6]}`, label };
  });
}

function dataset(): IntentDataset {
  return {
    name: 'hand-built',
    task: 'intent',
    labels: LABELS,
    splits: { train: examples(24, 0), val: examples(9, 100), test: examples(24, 200) },
    synthetic: true,
    notes: [],
    licence: 'test',
    source: 'test',
  };
}

const MAX_LENGTH = 6;

function userModel(vocabulary: number): tf.LayersModel {
  return tf.sequential({
    name: 'user_cnn',
    layers: [
      tf.layers.embedding({ inputDim: vocabulary, outputDim: 8, inputLength: MAX_LENGTH }),
      tf.layers.conv1d({ filters: 6, kernelSize: 2, padding: 'same', activation: 'relu' }),
      tf.layers.globalMaxPooling1d(),
      tf.layers.dense({ units: LABELS.length, activation: 'softmax' }),
    ],
  });
}

function ids(tokenizer: Tokenizer, texts: string[]): tf.Tensor2D {
  return tf.tensor2d(padSequences(texts.map((t) => tokenizer.encode(t)), MAX_LENGTH).ids, [texts.length, MAX_LENGTH], 'int32');
}

/** model.predict on the texts, read to the host. */
function predictByHand(model: tf.LayersModel, tokenizer: Tokenizer, texts: string[]): Float32Array {
  return tf.tidy(() => (model.predict(ids(tokenizer, texts)) as tf.Tensor).dataSync() as Float32Array).slice();
}

/** AUC of "member" scores by the pairwise definition (ties count one half). */
function pairwiseAuc(memberScores: number[], nonMemberScores: number[]): number {
  let wins = 0;
  for (const m of memberScores) for (const n of nonMemberScores) wins += m > n ? 1 : m === n ? 0.5 : 0;
  return wins / (memberScores.length * nonMemberScores.length);
}

async function trainedUserModel(data: IntentDataset): Promise<{ model: tf.LayersModel; tokenizer: Tokenizer }> {
  const tokenizer = fitWordTokenizer(data.splits.train.map((e) => e.text));
  const model = userModel(tokenizer.vocabSize);
  // fixed initial weights: an unseeded initialisation sometimes trained a model so confident that a
  // probability from model.predict fell into float32's subnormal range, where −log of it is no
  // longer an accurate reference for the library's log-softmax loss (the test then failed)
  const initial = model.getWeights().map((w, i) => tf.tensor(Float32Array.from(seededValues(w.size, 101 + i), (v) => v * 0.2), w.shape));
  model.setWeights(initial);
  tf.dispose(initial);
  model.compile({ optimizer: tf.train.adam(0.05), loss: 'sparseCategoricalCrossentropy' });
  const texts = data.splits.train.map((e) => e.text);
  const x = ids(tokenizer, texts);
  const y = tf.tensor1d(data.splits.train.map((e) => LABELS.indexOf(e.label)), 'float32');
  await model.fit(x, y, { epochs: 15, batchSize: 8, verbose: 0, shuffle: false });
  x.dispose();
  y.dispose();
  return { model, tokenizer };
}

test('loss attack on a user tf.LayersModel: the AUC of −loss computed by hand from model.predict, wrapped or as a bare scoring function', async () => {
  await initEngine({ backend: 'wasm' });
  const data = dataset();
  const { model, tokenizer } = await trainedUserModel(data);
  const perSide = data.splits.test.length; // every train and every test example is audited
  // by hand: loss = −log p_y from model.predict; members are the train split
  const lossOf = (split: TextExample[]) => {
    const p = predictByHand(model, tokenizer, split.map((e) => e.text));
    return split.map((e, i) => -Math.log(p[i * LABELS.length + LABELS.indexOf(e.label)]));
  };
  const memberLosses = lossOf(data.splits.train);
  const nonMemberLosses = lossOf(data.splits.test);
  const expected = pairwiseAuc(memberLosses.map((l) => -l), nonMemberLosses.map((l) => -l));
  assert.ok(expected > 0.5 && expected < 1, `the trained model leaks a little (AUC ${expected})`);

  const wrapped = wrapLayersModel(model, { tokenizer, task: 'classifier', labels: LABELS }) as ClassifierModel;
  const statistics = targetMembershipStatistics(wrapped, [...data.splits.train, ...data.splits.test]);
  assertClose(statistics.losses, [...memberLosses, ...nonMemberLosses], 1e-4, 'per-example losses through the library vs model.predict');
  // A member/non-member pair whose losses agree to within the two computations' rounding (the
  // 1e-4 above) may be ordered either way: the AUCs may differ by those pairs, and no more.
  const pairs = perSide * perSide;
  const rounding = 2e-4 * Math.max(...memberLosses, ...nonMemberLosses);
  let ambiguous = 0;
  for (const m of memberLosses) for (const n of nonMemberLosses) if (Math.abs(m - n) <= rounding) ambiguous++;
  const fromModel = await auditTrainedModel({ model: wrapped, dataset: data, attack: 'loss', examplesPerSide: perSide, seed: 3 });
  assert.equal(fromModel.members, perSide);
  assert.ok(Math.abs(fromModel.auc - expected) <= ambiguous / pairs + 1e-12, `wrapped model: AUC ${fromModel.auc} vs by hand ${expected} (${ambiguous} pairs tied to rounding)`);

  const scorer: TextClassifier = { labels: LABELS, probabilities: (texts) => predictByHand(model, tokenizer, texts) };
  const fromScorer = await auditTrainedModel({ model: scorer, dataset: data, attack: 'loss', examplesPerSide: perSide, seed: 3 });
  assert.ok(Math.abs(fromScorer.auc - expected) <= ambiguous / pairs + 1e-12, `scoring function: AUC ${fromScorer.auc} vs by hand ${expected}`);

  await assert.rejects(
    auditTrainedModel({ model: scorer, dataset: data, attack: 'lira', examplesPerSide: perSide, seed: 3, recipe: { epochs: 1, batchSize: 8, learningRate: 0.01, optimizer: 'adam', schedule: 'constant', warmupSteps: 0, patience: null } }),
    (e: Error) => e instanceof ConfigError && /shadow models of the target's architecture: give the model/.test(e.message),
  );
  model.dispose();
});

/** The topology without initialiser seeds and dtypes (modelFromJSON spells out the default float32): the architecture. */
function architecture(model: tf.LayersModel): unknown {
  return JSON.parse(JSON.stringify(model.toJSON(null, false)), (key, value) => (key === 'seed' || key === 'dtype' ? undefined : value));
}

test('LiRA shadows of a user tf.LayersModel are clones of its architecture with fresh seeded weights, in this thread and in a worker', async () => {
  await initEngine({ backend: 'wasm' });
  const data = dataset();
  const { model, tokenizer } = await trainedUserModel(data);
  const wrapped = wrapLayersModel(model, { tokenizer, task: 'classifier', labels: LABELS }) as LayersClassifier;
  const spec = classifierSpecOf(wrapped);
  assert.equal(spec.kind, 'layers');
  const a = (await buildShadowClassifier(spec, tokenizer, 1)) as LayersClassifier;
  const b = (await buildShadowClassifier(spec, tokenizer, 2)) as LayersClassifier;
  const a2 = (await buildShadowClassifier(spec, tokenizer, 1)) as LayersClassifier;
  assert.deepEqual(architecture(a.layersModel), architecture(model), 'same layer classes and configurations');
  assert.deepEqual(a.layersModel.layers.map((l) => l.getClassName()), ['Embedding', 'Conv1D', 'GlobalMaxPooling1D', 'Dense']);
  const values = (m: LayersClassifier) => m.layersModel.getWeights().map((w) => Array.from(w.dataSync()));
  const target = values(wrapped);
  const [va, vb, va2] = [values(a), values(b), values(a2)];
  va.forEach((w, k) => {
    assert.equal(w.length, target[k].length, `weight ${k} has the target's shape`);
    if (new Set(w).size > 1) assert.notDeepEqual(w, target[k], `weight ${k} is fresh, not the target's`);
  });
  assert.notDeepEqual(va[0], vb[0], 'another seed draws other weights');
  assert.deepEqual(va, va2, 'the same seed draws the same weights');
  [a, b, a2].forEach((m) => m.dispose());

  // The worker path: shadows rebuilt from the topology in a worker thread, trained and scored.
  const recipe = { epochs: 2, batchSize: 8, learningRate: 0.02, optimizer: 'adam' as const, schedule: 'constant' as const, warmupSteps: 0, patience: null };
  const results = await trainModels(
    { model: spec, recipe, examples: data.splits.train, validation: data.splits.val },
    [{ trainIndices: Int32Array.from({ length: 12 }, (_, i) => i), seed: 5 }],
    { workers: 1 },
  );
  assert.equal(results.length, 1);
  assert.equal(results[0].stats.length, data.splits.train.length);
  assert.ok(results[0].stats.every(Number.isFinite), 'φ of every example from the worker-trained clone');

  // LiRA end to end in this thread: two shadows of the user's architecture.
  const lira = await auditTrainedModel({ model: wrapped, dataset: data, attack: 'lira', shadows: 2, mode: 'offline', recipe, examplesPerSide: 12, seed: 1, workers: 0 });
  assert.equal(lira.shadows, 2);
  assert.ok(lira.auc >= 0 && lira.auc <= 1);
  model.dispose();
});

test('white-box measures on a user model: logits from embedded tokens equal model.predict; a model without an Embedding is refused by name', async () => {
  await initEngine({ backend: 'wasm' });
  const data = dataset();
  const { model, tokenizer } = await trainedUserModel(data);
  const wrapped = wrapLayersModel(model, { tokenizer, task: 'classifier', labels: LABELS }) as LayersClassifier;
  const texts = data.splits.test.slice(0, 5).map((e) => e.text);
  const expected = predictByHand(model, tokenizer, texts);
  const classifier = embeddingClassifier(wrapped);
  const fromEmbeddings = tf.tidy(() => {
    const x = ids(tokenizer, texts);
    const table = classifier.embeddingTable();
    const embedded = tf.gather(table, x) as unknown as tf.Tensor3D;
    const mask = tf.cast(tf.greater(x, 0), 'float32') as tf.Tensor2D;
    return tf.softmax(classifier.logitsFromEmbeddings(embedded, mask, INFERENCE)).dataSync() as Float32Array;
  });
  const diff = Math.max(...Array.from(expected, (v, i) => Math.abs(v - fromEmbeddings[i])));
  assert.ok(diff <= 1e-5, `softmax(logitsFromEmbeddings(table[ids])) vs model.predict: ${diff}`);

  // canary extraction runs on it (the relaxed input lives in its embedding space)
  const inversion = invertSecret(wrapped, { prefix: tokenizer.encode('wake please'), label: 0, unknown: 1 }, { steps: 5, restarts: 1, seed: 0 });
  assert.equal(inversion.tokens.length, 1);

  const dense = tf.sequential({ name: 'no_embedding', layers: [tf.layers.dense({ units: 3, activation: 'softmax', inputShape: [MAX_LENGTH] })] });
  const noEmbedding = wrapLayersModel(dense, { tokenizer, task: 'classifier', labels: LABELS }) as ClassifierModel;
  assert.throws(() => embeddingClassifier(noEmbedding), (e: Error) => e instanceof ConfigError && /no_embedding.*not an Embedding/.test(e.message));
  noEmbedding.dispose();
  model.dispose();
});
