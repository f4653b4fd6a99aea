/**
 * A run's budget and targets: the client examples processed against a hand count on a tiny
 * federation, rounds and examples to a target on a hand-made curve, the clients' held-out
 * validation parts (disjoint, seeded, never the evaluation split), and the majority line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRandom } from '../../../src/engine/random.js';
import { fedAvg } from '../../../src/federated/strategies/index.js';
import {
  examplesToTarget,
  holdOutClientValidation,
  majorityAccuracy,
  prepareFederatedDataset,
  reachTarget,
  roundsToTarget,
  runFederatedExperiment,
  runSimulation,
  SimulationExecutor,
  type FederatedDataset,
} from '../../../src/federated/simulation/index.js';
import { ConfigError } from '../../../src/errors.js';

const SMALL = { embeddingDim: 8, hidden: 8 };

function tiny(sizes: number[]): FederatedDataset {
  const data = prepareFederatedDataset({ dataset: 'synthetic', partition: 'iid', numClients: 3, model: 'embbag', modelConfig: SMALL, seed: 2 });
  let next = 0;
  return { ...data, clients: sizes.map((n, k) => ({ id: `c${k}`, indices: Array.from({ length: n }, () => next++) })) };
}

test('examplesProcessed: the hand count of a tiny federation (3 clients of 5, 7 and 12 examples; batch 4, 2 local epochs, at most 3 steps)', async () => {
  // Per round, every client trains (3 of 3 selected). Batches of 4 over 2 epochs, stopping after 3 steps:
  //   5 examples: epoch 1 → 4, 1; epoch 2 → 4 (3rd step)         = 9
  //   7 examples: epoch 1 → 4, 3; epoch 2 → 4 (3rd step)         = 11
  //  12 examples: epoch 1 → 4, 4, 4 (3 steps)                     = 12
  // 32 examples per round; uncapped (maxSteps 0) it is 2 × (5 + 7 + 12) = 48.
  const data = tiny([5, 7, 12]);
  const strategy = (maxSteps: number) => fedAvg({ clientsPerRound: 3, local: { optimizer: 'adam', learningRate: 0.01, batchSize: 4, localEpochs: 2, maxSteps } });
  const capped = await runSimulation({ data, strategy: strategy(3), rounds: 3, seed: 1, workers: 0, evaluateEvery: 2 });
  assert.deepEqual(capped.history.map((h) => h.examplesProcessed), [32, 32, 32]);
  assert.equal(capped.examplesProcessed, 96);
  // the curve carries the running total at each evaluated round (round 2 evaluated, round 3 is the last)
  assert.deepEqual(capped.curve.map((p) => [p.round, p.examples]), [[0, 0], [2, 64], [3, 96]]);
  const uncapped = await runSimulation({ data, strategy: strategy(0), rounds: 2, seed: 1, workers: 0 });
  assert.deepEqual(uncapped.history.map((h) => h.examplesProcessed), [48, 48]);
  // a client that drops out processes nothing
  const dropped = await runSimulation({ data, strategy: strategy(0), rounds: 4, seed: 3, workers: 0, dropout: 0.5 });
  for (const h of dropped.history) {
    if (h.dropped === 0) assert.equal(h.examplesProcessed, 48);
    assert.ok(h.examplesProcessed <= 48 - 10 * h.dropped, `round ${h.round}: ${h.dropped} dropped, ${h.examplesProcessed} examples`);
  }
  assert.ok(dropped.history.some((h) => h.dropped > 0), 'some client dropped out');
});

test('roundsToTarget / examplesToTarget: the first evaluated point at or above the target on a hand-made curve, null when never reached', () => {
  const curve = [
    { round: 0, accuracy: 0.1, examples: 0 },
    { round: 5, accuracy: 0.45, examples: 500 },
    { round: 10, accuracy: 0.62, examples: 1000 },
    { round: 15, accuracy: 0.58, examples: 1500 },
    { round: 20, accuracy: 0.7, examples: 2000 },
  ];
  assert.equal(roundsToTarget(curve, 0.6), 10);
  assert.equal(examplesToTarget(curve, 0.6), 1000);
  assert.equal(roundsToTarget(curve, 0.62), 10, 'reaching the target exactly counts');
  assert.equal(roundsToTarget(curve, 0.65), 20, 'a dip below the target does not undo nor fake it');
  assert.equal(roundsToTarget(curve, 0.05), 0, 'the initial model may already be there');
  assert.equal(roundsToTarget(curve, 0.71), null);
  assert.equal(examplesToTarget(curve, 0.71), null);
  assert.equal(reachTarget([], 0.5), null);
  assert.throws(() => roundsToTarget(curve, Number.NaN), ConfigError);
});

test('holdOutClientValidation: ⌊fraction·n⌋ per client, disjoint from what it trains on, seeded, clients too small hold none', () => {
  const clients = [
    { id: 'a', indices: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] },
    { id: 'b', indices: [10, 11, 12] },
    { id: 'c', indices: [13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32] },
  ];
  const split = holdOutClientValidation(clients, 0.2, new SeededRandom(4));
  assert.deepEqual([...split.heldOut.entries()], [['a', 2], ['b', 0], ['c', 4]]);
  assert.equal(split.validation.length, 6);
  split.fit.forEach((client, k) => {
    assert.equal(client.id, clients[k].id);
    assert.equal(client.indices.length + split.heldOut.get(client.id)!, clients[k].indices.length);
    for (const i of client.indices) assert.ok(!split.validation.includes(i), `client ${client.id} trains on validation example ${i}`);
  });
  assert.deepEqual([...split.validation].sort((x, y) => x - y), [...split.validation], 'ascending');
  const again = holdOutClientValidation(clients, 0.2, new SeededRandom(4));
  assert.deepEqual([...again.validation], [...split.validation], 'the same seed holds out the same examples');
  const other = holdOutClientValidation(clients, 0.2, new SeededRandom(5));
  assert.notDeepEqual([...other.validation], [...split.validation]);
  assert.throws(() => holdOutClientValidation(clients, 0, new SeededRandom(1)), /fraction must be in \(0, 1\)/);
  assert.throws(() => holdOutClientValidation([{ id: 'x', indices: [1, 2] }], 0.1, new SeededRandom(1)), /no client has 10 examples/);
});

test('majorityAccuracy: the most frequent target\'s share (out-of-scope examples left out, as in-scope accuracy does)', () => {
  const examples = { task: 'classifier' as const, sequences: [[1], [1], [1], [1], [1], [1]], targets: Int32Array.from([2, 2, 1, 0, 2, 0]) };
  assert.equal(majorityAccuracy(examples, [0, 1, 2, 3, 4, 5]), 3 / 6);
  assert.equal(majorityAccuracy(examples, [2, 3, 5]), 2 / 3);
  assert.equal(majorityAccuracy(examples, [0, 1, 2, 3, 4, 5], 2), 2 / 3, 'class 2 is out of scope: 0 is the majority of the other three');
  const lm = { task: 'lm' as const, inputs: new Int32Array(6), targets: Int32Array.from([5, 5, 6, 7, 7, 7]), count: 2, length: 3 };
  assert.equal(majorityAccuracy(lm, [0]), 2 / 3);
  assert.equal(majorityAccuracy(lm, [0, 1]), 3 / 6);
});

test('a tuning run (clientValidation) evaluates only the clients\' held-out parts of the training split, never the evaluation split', async () => {
  const calls: { split: string; indices: number[] }[] = [];
  const original = SimulationExecutor.prototype.evaluate;
  SimulationExecutor.prototype.evaluate = function (this: SimulationExecutor, split, indices, parameters) {
    calls.push({ split, indices: Array.from(indices) });
    return original.call(this, split, indices, parameters);
  };
  try {
    const options = { dataset: 'synthetic', partition: 'dirichlet:0.5', strategy: 'fedavg', rounds: 2, clientsPerRound: 3, numClients: 6, model: 'embbag', modelConfig: SMALL, workers: 0, seed: 7, maxLocalSteps: 2 };
    const tuned = await runFederatedExperiment({ ...options, clientValidation: 0.2, targetAccuracy: 0.01 });
    assert.equal(tuned.evaluationSplit, 'client-validation');
    assert.ok(calls.length >= 3, 'the initial model and both rounds were evaluated');
    assert.deepEqual(new Set(calls.map((c) => c.split)), new Set(['train']), 'only the training split (its held-out parts) is read');
    const prepared = prepareFederatedDataset({ dataset: 'synthetic', partition: 'dirichlet:0.5', numClients: 6, model: 'embbag', modelConfig: SMALL, seed: 7 });
    const held = holdOutClientValidation(prepared.clients, 0.2, new SeededRandom(7).fork('client-validation'));
    assert.equal(tuned.validationExamples, held.validation.length);
    assert.deepEqual(calls[0].indices, [...held.validation], 'the global model is scored on exactly the held-out examples');
    assert.equal(tuned.target!.rounds, 0, 'a target of 0.01 is met by the initial model');
    assert.equal(tuned.examplesProcessed, tuned.curve[tuned.curve.length - 1].examples);
    assert.ok(tuned.majorityAccuracy > 0 && tuned.majorityAccuracy < 1);
    calls.length = 0;
    const final = await runFederatedExperiment(options);
    assert.equal(final.evaluationSplit, 'test');
    assert.ok(calls.some((c) => c.split === 'evaluation'), 'a final run is scored on the evaluation split');
    assert.equal(final.target, undefined);
  } finally {
    SimulationExecutor.prototype.evaluate = original;
  }
  await assert.rejects(
    runFederatedExperiment({ dataset: 'synthetic', partition: 'iid', strategy: 'fedavg', rounds: 1, clientsPerRound: 2, numClients: 4, model: 'embbag', seed: 1, workers: 0, clientValidation: 0.1, evaluationSplit: 'test' }),
    /drop evaluationSplit "test"/,
  );
});

test('runSimulation refuses validation examples a client also trains on', async () => {
  const data = tiny([5, 7, 12]);
  await assert.rejects(
    runSimulation({ data, strategy: fedAvg({ clientsPerRound: 3, local: { optimizer: 'adam', learningRate: 0.01 } }), rounds: 1, seed: 1, workers: 0, validationIndices: Int32Array.from([3]) }),
    /validation example 3 is also in client c0's training data/,
  );
});
