/** Canary extraction (ModIvA) from a CNN intent classifier trained with repeated 4-digit canaries. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initEngine, tf } from '../../../src/engine/index.js';
import { createModel, type ClassifierModel } from '../../../src/models/index.js';
import { fitWordTokenizer } from '../../../src/text/index.js';
import { secretRank, invertSecret } from '../../../src/privacy/attacks/index.js';
import { canaryExtraction, trainWithCanaries } from '../../../src/privacy/audit/index.js';

test('secretRank counts secrets the attack believes more (ties half), by hand', () => {
  // 2 positions over candidates [5, 6, 7]; beliefs favour 6 then 5 at position 0, 7 at position 1
  const logBeliefs = Float32Array.from([Math.log(0.3), Math.log(0.6), Math.log(0.1), Math.log(0.2), Math.log(0.2), Math.log(0.6)]);
  const result = { tokens: [6, 7], logBeliefs, candidates: [5, 6, 7], loss: 0 };
  const space = [5, 6, 7].flatMap((a) => [5, 6, 7].map((b) => [a, b]));
  assert.deepEqual(secretRank(result, [6, 7], space), { rank: 1, size: 9 });
  // [5, 7] scores 0.3·0.6 = 0.18; above it only [6, 7] (0.36); [6, 5] and [6, 6] score 0.12
  assert.equal(secretRank(result, [5, 7], space).rank, 2);
  // [6, 5] ties with [6, 6] (half a place) and is below [6, 7] and [5, 7] (0.18)
  assert.equal(secretRank(result, [6, 5], space).rank, 3.5);
  // a token outside the candidates scores −∞
  assert.equal(secretRank(result, [6, 7], [[6, 7], [6, 9]]).rank, 1);
});

test('inversion leaves no tensors behind and rejects bad targets', async () => {
  await initEngine({ backend: 'wasm' });
  const tok = fitWordTokenizer(['my pin is 1 2 3', 'turn on the lights']);
  const model = createModel({ kind: 'cnn', tokenizer: tok, labels: ['a', 'b'], seed: 1, config: { embeddingDim: 8, filters: 4 } }) as ClassifierModel;
  const before = tf.memory().numTensors;
  const r = invertSecret(model, { prefix: tok.encode('my pin is'), unknown: 2, label: 1 }, { seed: 1, steps: 5, restarts: 2 });
  assert.equal(r.tokens.length, 2);
  assert.equal(r.logBeliefs.length, 2 * tok.vocabSize);
  assert.equal(tf.memory().numTensors, before);
  assert.throws(() => invertSecret(model, { prefix: [], unknown: 0, label: 1 }, { seed: 1 }), /at least one unknown position/);
  assert.throws(() => invertSecret(model, { prefix: [], unknown: 1, label: 5 }, { seed: 1 }), /label index 5/);
  model.dispose();
});

test('a 4-digit canary repeated 10 times is extracted far above chance from a non-private CNN; never-inserted ones are not', async () => {
  await initEngine({ backend: 'wasm' });
  const trained = await trainWithCanaries({
    dataset: 'synthetic',
    model: 'cnn',
    canaries: { format: 'my pin code is {d} {d} {d} {d}', repetitions: [10, 10, 10, 10, 0, 0] },
    epochs: 8,
    seed: 1,
    trainSubset: 600,
    learningRate: 3e-3,
    config: { embeddingDim: 32, filters: 48, dropout: 0 },
  });
  const report = canaryExtraction(trained.model as ClassifierModel, trained.canaries, { seed: 1, steps: 150, restarts: 3 });
  trained.model.dispose();
  assert.equal(report.trials, 4);
  assert.equal(report.chance.exactRate, 1e-4);
  assert.equal(report.chance.tokenAccuracy, 0.1);
  // far above chance (1 in 10,000 exact, 10% per digit, mean rank 5000.5)
  assert.ok(report.exactRate >= 0.25, `exact rate ${report.exactRate}: ${JSON.stringify(report.canaries)}`);
  assert.ok(report.tokenAccuracy >= 0.5, `token accuracy ${report.tokenAccuracy}`);
  assert.ok(report.meanRank! < 500, `mean rank ${report.meanRank}`);
  // the control: the same attack on never-inserted canaries of the format recovers nothing
  assert.equal(report.references!.exactRate, 0);
  assert.ok(report.references!.meanRank! > 500, `reference mean rank ${report.references!.meanRank}`);
});
