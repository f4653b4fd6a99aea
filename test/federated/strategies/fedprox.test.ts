/**
 * FedProx's client side: local training adds μ(w − w_global) to every gradient. Checked
 * against two full-batch SGD steps computed by hand with plain backprop.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initEngine, tf } from '../../../src/engine/index.js';
import { NonFiniteError, ConfigError } from '../../../src/errors.js';
import { toTensorBatch } from '../../../src/models/index.js';
import { standardGradients } from '../../../src/train/index.js';
import {
  batchOf,
  LocalTrainingClient,
  localTrainingConfigFrom,
  readModelParameters,
  trainLocally,
  writeModelParameters,
  type FederatedExamples,
  type LocalTrainingConfig,
} from '../../../src/federated/client/index.js';
import { l2Norm, flattenParameters, type ParameterSet } from '../../../src/federated/aggregate/index.js';
import { smallModel } from '../../models/fixtures.js';
import { assertClose } from '../../helpers.js';

function examples(vocab: number): FederatedExamples {
  const sequences: number[][] = [];
  const targets = new Int32Array(8);
  for (let i = 0; i < 8; i++) {
    sequences.push(Array.from({ length: 3 + (i % 3) }, (_, t) => 4 + ((i * 7 + t * 3) % (vocab - 4))));
    targets[i] = i % 3;
  }
  return { task: 'classifier', sequences, targets };
}

const ALL = [0, 1, 2, 3, 4, 5, 6, 7];

function config(overrides: Partial<LocalTrainingConfig>): LocalTrainingConfig {
  return { localEpochs: 2, batchSize: 8, learningRate: 0.5, optimizer: 'sgd', momentum: 0, maxSteps: 0, proximalMu: 0, seed: 3, ...overrides };
}

/** Two full-batch SGD steps by hand: w ← w − lr·(∇L(w) + μ(w − w_global)). */
function handSteps(model: ReturnType<typeof smallModel>, data: FederatedExamples, global: ParameterSet, lr: number, mu: number): Float32Array {
  writeModelParameters(model, global);
  const params = model.parameters();
  const host = batchOf(data, ALL);
  for (let step = 0; step < 2; step++) {
    tf.tidy(() => {
      const { grads } = standardGradients(model, toTensorBatch(host, 'classifier'), { training: true }, host);
      params.forEach((p, i) => {
        const g = grads.get(p.name)!;
        const pull = tf.mul(tf.sub(p.variable, tf.tensor(global.arrays[i], p.variable.shape)), mu);
        p.variable.assign(tf.sub(p.variable, tf.mul(tf.add(g, pull), lr)));
      });
    });
  }
  const local = flattenParameters(readModelParameters(model));
  const g = flattenParameters(global);
  return local.map((v, j) => v - g[j]);
}

test('local training with the proximal term matches SGD stepped by hand (μ = 0 and μ = 0.7)', async () => {
  await initEngine({ backend: 'wasm' });
  const model = smallModel('embbag', 5);
  const data = examples(model.tokenizer.vocabSize);
  const global = readModelParameters(model);
  const tensorsBefore = tf.memory().numTensors;
  try {
    for (const mu of [0, 0.7]) {
      const fromTrainer = trainLocally(model, data, ALL, global, config({ proximalMu: mu }));
      assert.equal(fromTrainer.metrics.steps, 2);
      assert.equal(fromTrainer.numExamples, 8);
      const byHand = handSteps(model, data, global, 0.5, mu);
      assertClose(fromTrainer.delta, byHand, 1e-5, `delta with μ = ${mu}`);
    }
    // the proximal term is zero at the first step and pulls towards the global model afterwards
    const free = trainLocally(model, data, ALL, global, config({ localEpochs: 6 }));
    const pulled = trainLocally(model, data, ALL, global, config({ localEpochs: 6, proximalMu: 1 }));
    const norm = (d: Float32Array) => l2Norm({ names: ['d'], arrays: [d] });
    assert.ok(norm(pulled.delta) < norm(free.delta), `‖Δ‖ with μ = 1 (${norm(pulled.delta)}) should be below μ = 0 (${norm(free.delta)})`);
    assert.equal(tf.memory().numTensors, tensorsBefore, 'no tensors leak from local training');
  } finally {
    model.dispose();
  }
});

test('local training is reproducible from its seed, stops on a non-finite loss, and validates its config', async () => {
  await initEngine({ backend: 'wasm' });
  const model = smallModel('embbag', 5);
  const data = examples(model.tokenizer.vocabSize);
  const global = readModelParameters(model);
  try {
    const a = trainLocally(model, data, ALL, global, config({ batchSize: 3, seed: 11 }));
    const b = trainLocally(model, data, ALL, global, config({ batchSize: 3, seed: 11 }));
    const c = trainLocally(model, data, ALL, global, config({ batchSize: 3, seed: 12 }));
    assert.deepEqual(Array.from(a.delta), Array.from(b.delta));
    assert.notDeepEqual(Array.from(a.delta), Array.from(c.delta), 'another seed shuffles differently');
    assert.equal(a.metrics.steps, 6); // 2 epochs × ⌈8/3⌉
    assert.equal(trainLocally(model, data, ALL, global, config({ batchSize: 1, maxSteps: 4 })).metrics.steps, 4);
    assert.throws(() => trainLocally(model, data, ALL, global, config({ learningRate: 1e38, localEpochs: 20, batchSize: 2 })), NonFiniteError);
    assert.throws(() => localTrainingConfigFrom({ learningRate: 0.1 }), /seed/);
    assert.throws(() => localTrainingConfigFrom({ learningRate: 0.1, seed: 1, optimizer: 'rmsprop' }), ConfigError);
    assert.throws(() => trainLocally(model, data, [0, 99], global, config({})), /outside/);
    // the in-process client wraps the same function and returns the delta as a ParameterSet in model order
    const client = new LocalTrainingClient('c1', model, data, ALL);
    const fitted = await client.fit(global, { ...config({}) });
    assert.deepEqual(fitted.delta!.names, model.parameters().map((p) => p.name));
    assertClose(flattenParameters(fitted.delta!), trainLocally(model, data, ALL, global, config({})).delta, 0, 'client delta');
    const evaluated = await client.evaluate(global, {});
    assert.equal(evaluated.numExamples, 8);
    assert.ok(evaluated.loss > 0 && evaluated.metrics.accuracy >= 0 && evaluated.metrics.accuracy <= 1);
  } finally {
    model.dispose();
  }
});
