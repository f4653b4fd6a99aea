/**
 * makePrivate and the per-example rules for tfjs layers, against tfjs itself:
 *  - the interpreter's forward pass equals model.predict for every case;
 *  - per-example squared norms of every parameter and a weighted sum Σᵢ cᵢ∇Lᵢ equal those of
 *    tfjs's own forward differentiated one example at a time (tf.variableGrads), relative
 *    error ≤ 1e-4, on wasm and on cpu, for every supported layer and the compositions in
 *    layers-fixtures.ts, and for a layer without a rule (generic loop, with its warning);
 *  - priv.step with σ = 0 equals the hand-computed clipped step w − lr·Σᵢ cᵢ∇Lᵢ/(expected B);
 *  - ε after fit equals the accountant's for the steps run; a target ε calibrates σ;
 *  - BatchNormalization is refused; bad options get one clear error;
 *  - the Done-when models (sequential Embedding → Conv1D → GlobalMaxPooling1D → Dense, and a
 *    functional LSTM) train privately in place: accuracy rises, model.predict and
 *    model.save see the trained weights, and tensors do not leak across steps.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf, initEngine, type BackendName } from '../../../src/engine/index.js';
import { ConfigError } from '../../../src/errors.js';
import { TappedLayersModel, type LayersBatch } from '../../../src/models/index.js';
import { NORM_EPSILON, computeEpsilon, makePrivate, perSampleGradients } from '../../../src/privacy/index.js';
import { assertClose, maxRelativeError, scoped } from '../../helpers.js';
import { GENERIC_CASE, LAYERS_CASES, referenceGradients, seedWeights, type LayersCase } from './layers-fixtures.js';

const BACKENDS: BackendName[] = ['wasm', 'cpu'];
const TOLERANCE = 1e-4;
const B = 6;

/** ‖∇Lᵢ‖² per parameter name (by our names) from the reference, keyed through the variables. */
function referenceByName(tapped: TappedLayersModel, reference: Map<string, Float32Array>[]): Map<string, Float32Array[]> {
  const out = new Map<string, Float32Array[]>();
  for (const p of tapped.parameters()) out.set(p.name, reference.map((r) => r.get(p.variable.name)!));
  return out;
}

const squaredNorm = (x: Float32Array) => x.reduce((s, v) => s + v * v, 0);

function checkCase(c: LayersCase, backend: BackendName, warnings: string[]): void {
  const model = c.build();
  seedWeights(model, 3);
  const inputs = c.inputs(B);
  const targets = c.targets(B);
  const tapped = new TappedLayersModel(model, { loss: 'sparseCategoricalCrossentropy', warn: (m) => warnings.push(m) });
  scoped(() => {
    const ours = tapped.outputs(inputs, { training: false });
    const theirs = model.predict(inputs.length === 1 ? inputs[0] : inputs) as tf.Tensor;
    assert.deepEqual(ours.shape, theirs.shape);
    const diff = tf.max(tf.abs(tf.sub(ours, theirs))).dataSync()[0];
    assert.ok(diff <= 1e-5, `${c.name} on ${backend}: forward differs from model.predict by ${diff}`);
  });
  const reference = referenceByName(tapped, referenceGradients(model, inputs, targets));
  const coefficients = Float32Array.from({ length: B }, (_, i) => 0.3 + 0.25 * i);
  scoped(() => {
    const { records } = perSampleGradients<LayersBatch>(tapped, { inputs, targets }, { training: false });
    const norms = new Map<string, Float64Array>();
    const sums = new Map<string, Float32Array>();
    for (const r of records) {
      for (const [name, n] of r.squaredNorms) norms.set(name, Float64Array.from(n.dataSync()));
      for (const [name, s] of r.clippedSum(tf.tensor1d(coefficients))) sums.set(name, s.dataSync() as Float32Array);
    }
    for (const [name, perExample] of reference) {
      assert.ok(norms.has(name), `${c.name}: no per-example norm for ${name}`);
      assertClose(norms.get(name)!, perExample.map(squaredNorm), TOLERANCE, `${c.name} on ${backend}: ${name} norms`);
      const expected = new Float32Array(perExample[0].length);
      perExample.forEach((g, i) => g.forEach((v, j) => (expected[j] += coefficients[i] * v)));
      assertClose(sums.get(name)!, expected, TOLERANCE, `${c.name} on ${backend}: ${name} weighted sum`);
    }
  });
  tf.dispose([...inputs, targets]);
  model.dispose();
}

for (const backend of BACKENDS) {
  test(`per-example gradients of tfjs layers equal tfjs's own per-example backprop (${backend})`, async () => {
    await initEngine({ backend });
    for (const c of LAYERS_CASES) {
      const warnings: string[] = [];
      checkCase(c, backend, warnings);
      assert.deepEqual(warnings, [], `${c.name}: every layer has a rule`);
    }
  });

  test(`a weighted layer without a rule takes the generic per-example loop, with a warning (${backend})`, async () => {
    await initEngine({ backend });
    const warnings: string[] = [];
    checkCase(GENERIC_CASE, backend, warnings);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /layer "simple_rnn.*" \(SimpleRNN, \d+ parameters\) has no per-example rule.*one extra forward and backward pass of that layer per example/);
  });

  test(`priv.step with σ = 0 is the hand-computed clipped step, for every case (${backend})`, async () => {
    await initEngine({ backend });
    for (const c of [...LAYERS_CASES, GENERIC_CASE]) {
      const model = c.build();
      seedWeights(model, 5);
      const inputs = c.inputs(B);
      const targets = c.targets(B);
      const reference = referenceGradients(model, inputs, targets, false).map((r) => model.trainableWeights.map((w) => r.get((w.read() as tf.Variable).name)!));
      const norms = reference.map((gs) => Math.sqrt(gs.reduce((s, g) => s + squaredNorm(g), 0)));
      const clip = [...norms].sort((a, b) => a - b)[Math.floor(B / 2)]; // about half the examples are clipped
      const lr = 0.5;
      const expectedBatch = 8;
      const before = model.trainableWeights.map((w) => w.read().dataSync().slice() as Float32Array);
      const expected = before.map((w, k) => {
        const out = Float32Array.from(w);
        reference.forEach((gs, i) => {
          const factor = Math.min(1, clip / (norms[i] + NORM_EPSILON));
          gs[k].forEach((v, j) => (out[j] -= (lr * factor * v) / expectedBatch));
        });
        return out;
      });
      const optimizer = tf.train.sgd(lr);
      // Dropout must be inactive for a deterministic reference: the case with Dropout is checked in inference mode below.
      const hasDropout = model.layers.some((l) => l.getClassName() === 'Dropout');
      const priv = makePrivate(model, { optimizer, loss: 'sparseCategoricalCrossentropy', clip, noiseMultiplier: 0, delta: 1e-5, batchSize: expectedBatch, datasetSize: 100, prefetchNoise: false, warn: () => {} });
      if (hasDropout) model.layers.filter((l) => l.getClassName() === 'Dropout').forEach((l) => ((l as unknown as { rate: number }).rate = 0));
      priv.step(inputs.length === 1 ? inputs[0] : inputs, targets);
      model.trainableWeights.forEach((w, k) => {
        // Relative to the largest entry of the update (the weights themselves are much larger than one step).
        const after = w.read().dataSync();
        const update = Math.max(...expected[k].map((v, j) => Math.abs(v - before[k][j])));
        const off = Math.max(...after.map((v, j) => Math.abs(v - expected[k][j])));
        assert.ok(update > 0 && off / update <= TOLERANCE, `${c.name} on ${backend}: ${w.name} update off by ${(off / update).toExponential(2)} of its size`);
      });
      priv.dispose();
      optimizer.dispose();
      tf.dispose([...inputs, targets]);
      model.dispose();
    }
  });
}

test('BatchNormalization is refused, with the reason and the fix', async () => {
  await initEngine({ backend: 'cpu' });
  const model = tf.sequential({ layers: [tf.layers.dense({ units: 4, inputShape: [3] }), tf.layers.batchNormalization(), tf.layers.dense({ units: 2, activation: 'softmax' })] });
  assert.throws(
    () => makePrivate(model, { optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy', clip: 1, noiseMultiplier: 1, delta: 1e-5, batchSize: 10, datasetSize: 100 }),
    (e: Error) => e instanceof ConfigError && /BatchNormalization/.test(e.message) && /LayerNormalization/.test(e.message),
  );
  model.dispose();
});

test('bad options get one clear error each', async () => {
  await initEngine({ backend: 'cpu' });
  const model = LAYERS_CASES[0].build();
  const base = { optimizer: 'sgd' as const, loss: 'sparseCategoricalCrossentropy' as const, clip: 1, delta: 1e-5, batchSize: 10, datasetSize: 100 };
  assert.throws(() => makePrivate(model, base), /exactly one of noiseMultiplier and targetEpsilon/);
  assert.throws(() => makePrivate(model, { ...base, targetEpsilon: 1 }), /targetEpsilon needs epochs/);
  assert.throws(() => makePrivate(model, { ...base, noiseMultiplier: 1, delta: 0.02 }), /not below 1\/N/);
  assert.throws(() => makePrivate(model, { ...base, noiseMultiplier: 1, batchSize: 200 }), /exceeds the 100 training examples/);
  assert.throws(() => makePrivate(model, { ...base, noiseMultiplier: 1, loss: 'hinge' as never }), /unknown loss "hinge"/);
  assert.throws(() => makePrivate({} as tf.LayersModel, { ...base, noiseMultiplier: 1 }), /same @tensorflow\/tfjs/);
  model.dispose();
});

/** Sequences whose class is which of two marker tokens they contain (learnable in a few epochs). */
function markerData(N: number, seed: number): { x: tf.Tensor2D; y: tf.Tensor1D } {
  const ids = new Int32Array(N * 7);
  const labels = new Int32Array(N);
  let s = seed;
  const next = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  for (let i = 0; i < N; i++) {
    labels[i] = next() < 0.5 ? 0 : 1;
    for (let t = 0; t < 7; t++) ids[i * 7 + t] = 3 + Math.floor(next() * 10);
    ids[i * 7 + Math.floor(next() * 7)] = labels[i] + 1;
  }
  return { x: tf.tensor2d(ids, [N, 7], 'int32'), y: tf.tensor1d(labels, 'int32') };
}

const DONE_WHEN: { name: string; build: () => tf.LayersModel }[] = [
  {
    name: 'sequential Embedding → Conv1D → GlobalMaxPooling1D → Dense',
    build: () => tf.sequential({
      layers: [
        tf.layers.embedding({ inputDim: 13, outputDim: 8, inputLength: 7 }),
        tf.layers.conv1d({ filters: 8, kernelSize: 3, padding: 'same', activation: 'relu' }),
        tf.layers.globalMaxPooling1d(),
        tf.layers.dense({ units: 2, activation: 'softmax' }),
      ],
    }),
  },
  {
    name: 'functional Embedding → LSTM → Dense',
    build: () => {
      const input = tf.input({ shape: [7], dtype: 'int32' });
      const embedded = tf.layers.embedding({ inputDim: 13, outputDim: 8 }).apply(input) as tf.SymbolicTensor;
      const state = tf.layers.lstm({ units: 8 }).apply(embedded) as tf.SymbolicTensor;
      return tf.model({ inputs: input, outputs: tf.layers.dense({ units: 2, activation: 'softmax' }).apply(state) as tf.SymbolicTensor });
    },
  },
];

for (const { name, build } of DONE_WHEN) {
  test(`${name} trains privately in place, with ε reported`, async () => {
    await initEngine({ backend: 'wasm' });
    const N = 400;
    const { x, y } = markerData(N, 11);
    const val = markerData(200, 12);
    const model = build();
    const before = (model.predict(val.x) as tf.Tensor).dataSync().slice();
    const epochsSeen: number[] = [];
    const priv = makePrivate(model, { optimizer: 'adam', learningRate: 0.02, loss: 'sparseCategoricalCrossentropy', clip: 1, targetEpsilon: 8, epochs: 6, delta: 1e-3, batchSize: 40, datasetSize: N, samplingSeed: 1 });
    const history = await priv.fit(x, y, { epochs: 6, validationData: [val.x, val.y], callbacks: { onEpochEnd: async (epoch: number) => void epochsSeen.push(epoch) } });
    assert.deepEqual(epochsSeen, [0, 1, 2, 3, 4, 5]);
    const epsilon = priv.epsilon();
    assert.ok(epsilon > 0 && epsilon <= 8 + 1e-9, `ε = ${epsilon} within the target 8`);
    assert.equal(priv.steps, 6 * 10);
    assert.equal(history.history.epsilon.at(-1), epsilon);
    const accuracy = history.history.val_acc.at(-1)!;
    assert.ok(accuracy >= 0.75, `${name}: validation accuracy ${accuracy} after private training (chance 0.5)`);
    // The user's own model object holds the trained weights.
    const after = (model.predict(val.x) as tf.Tensor).dataSync();
    assert.ok(maxRelativeError(after, before) > 1e-3, 'model.predict sees the trained weights');
    let saved: tf.io.ModelArtifacts | undefined;
    await model.save(tf.io.withSaveHandler(async (artifacts) => {
      saved = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }));
    const reloaded = await tf.loadLayersModel(tf.io.fromMemory(saved!));
    const again = (reloaded.predict(val.x) as tf.Tensor).dataSync();
    assert.ok(maxRelativeError(again, after) <= 1e-6, 'model.save holds the trained weights');
    await assert.rejects(priv.fit(x, y, { epochs: 1 }), /6 epochs σ was calibrated for/);
    // No tensor leaks across steps.
    const xb = tf.slice(x, [0, 0], [40, 7]);
    const yb = tf.slice(y, [0], [40]);
    priv.step(xb, yb);
    const count = tf.memory().numTensors;
    priv.step(xb, yb);
    priv.step(xb, yb);
    assert.equal(tf.memory().numTensors, count, 'tensor count is flat across steps');
    priv.dispose();
    reloaded.dispose();
    model.dispose();
    tf.dispose([x, y, val.x, val.y, xb, yb]);
  });
}

test('ε reported is the accountant\'s for the steps run (rdp and pld)', async () => {
  await initEngine({ backend: 'cpu' });
  const N = 120;
  const x = tf.tensor2d(Array.from({ length: N * 5 }, (_, i) => Math.sin(i)), [N, 5]);
  const y = tf.tensor1d(Array.from({ length: N }, (_, i) => i % 3), 'int32');
  for (const accountant of ['rdp', 'pld'] as const) {
    const model = LAYERS_CASES[0].build();
    const priv = makePrivate(model, { optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy', clip: 1, noiseMultiplier: 1.1, delta: 1e-3, batchSize: 12, datasetSize: N, accountant, prefetchNoise: false });
    assert.equal(priv.epsilon(), 0);
    await priv.fit(x, y, { epochs: 2 });
    assert.equal(priv.steps, 20);
    const expected = computeEpsilon({ sampleRate: 12 / N, noiseMultiplier: 1.1, steps: 20, delta: 1e-3, accountant }).epsilon;
    assert.equal(priv.epsilon(), expected);
    const report = priv.privacyReport();
    assert.equal(report.accountant, accountant);
    assert.equal(report.noiseMultiplier, 1.1);
    priv.dispose();
    model.dispose();
  }
  // A target ε: σ is calibrated so that the planned epochs spend at most it.
  const model = LAYERS_CASES[0].build();
  const priv = makePrivate(model, { optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy', clip: 'auto', targetEpsilon: 3, epochs: 2, delta: 1e-3, batchSize: 12, datasetSize: N, prefetchNoise: false });
  await priv.fit(x, y, { epochs: 2 });
  const spent = priv.epsilon();
  assert.ok(spent <= 3 && spent > 2.9, `ε ${spent} spends the target 3`);
  assert.equal(spent, computeEpsilon({ sampleRate: 0.1, noiseMultiplier: priv.noiseMultiplier, steps: 20, delta: 1e-3 }).epsilon);
  assert.ok(priv.clip !== 1, 'adaptive clipping moved the clip norm');
  priv.dispose();
  model.dispose();
  tf.dispose([x, y]);
});

test('dilated Conv1D (which tfjs cannot differentiate) against an undilated twin with zeros between its taps', async () => {
  for (const backend of BACKENDS) {
    await initEngine({ backend });
    const dilated = tf.sequential({ layers: [tf.layers.conv1d({ filters: 3, kernelSize: 2, dilationRate: 2, inputShape: [8, 3] }), tf.layers.flatten(), tf.layers.dense({ units: 3, activation: 'softmax' })] });
    const twin = tf.sequential({ layers: [tf.layers.conv1d({ filters: 3, kernelSize: 3, inputShape: [8, 3] }), tf.layers.flatten(), tf.layers.dense({ units: 3, activation: 'softmax' })] });
    seedWeights(dilated, 9);
    const [kernel, bias, dense, denseBias] = dilated.getWeights();
    const [tap0, tap1] = tf.split(kernel, 2, 0);
    twin.setWeights([tf.concat([tap0, tf.zerosLike(tap0), tap1], 0), bias, dense, denseBias]);
    const x = tf.tensor3d(Array.from({ length: B * 24 }, (_, i) => Math.sin(0.37 * i)), [B, 8, 3]);
    const y = tf.tensor1d(Array.from({ length: B }, (_, i) => i % 3), 'int32');
    const forward = tf.max(tf.abs(tf.sub(dilated.predict(x) as tf.Tensor, twin.predict(x) as tf.Tensor))).dataSync()[0];
    assert.ok(forward <= 1e-6, `the twin computes the dilated model (${forward})`);
    const reference = referenceGradients(twin, [x], y);
    const tapped = new TappedLayersModel(dilated, { loss: 'sparseCategoricalCrossentropy' });
    const kernelName = tapped.parameters()[0].name;
    const twinKernel = (twin.trainableWeights[0].read() as tf.Variable).name;
    scoped(() => {
      const { records } = perSampleGradients<LayersBatch>(tapped, { inputs: [x], targets: y }, { training: false });
      const norms = records[0].squaredNorms.get(kernelName)!.dataSync();
      const expected = reference.map((r) => {
        const g = r.get(twinKernel)!; // [3, 3, 3]: taps 0 and 2 are the dilated kernel's
        return squaredNorm(g.subarray(0, 9)) + squaredNorm(g.subarray(18, 27));
      });
      assertClose(norms, expected, TOLERANCE, `dilated conv kernel norms on ${backend}`);
    });
    tf.dispose([x, y]);
    dilated.dispose();
    twin.dispose();
  }
});
