/**
 * The simulator: learning on the synthetic set, identical results whatever the number of
 * workers, continual-setting bookkeeping, availability/dropout/non-finite failures, and
 * the per-client state store.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRandom } from '../../../src/engine/random.js';
import { continualSplit, storedAt } from '../../../src/data/partition/index.js';
import { flattenParameters } from '../../../src/federated/aggregate/index.js';
import { fedAvg } from '../../../src/federated/strategies/index.js';
import type { Strategy } from '../../../src/federated/strategy.js';
import {
  MemoryClientStateStore,
  prepareFederatedDataset,
  roundsPerPeriod,
  runSimulation,
  SimulationExecutor,
  type FederatedDataset,
} from '../../../src/federated/simulation/index.js';
import { ConfigError } from '../../../src/errors.js';

const SMALL = { embeddingDim: 16, hidden: 16, dropout: 0.1 };

function synthetic(partition: string, numClients: number, seed = 5): FederatedDataset {
  return prepareFederatedDataset({ dataset: 'synthetic', partition, numClients, model: 'embbag', modelConfig: SMALL, seed });
}

const adam = (clientsPerRound: number, extra: Record<string, unknown> = {}) =>
  fedAvg({ clientsPerRound, local: { optimizer: 'adam', learningRate: 0.01, batchSize: 32 }, ...extra });

test('a short IID simulation on 2 workers learns, and 1 worker or none gives bit-identical results', async () => {
  const data = synthetic('iid', 12);
  assert.equal(data.clients.length, 12);
  assert.equal(data.synthetic, true);
  const runs = [];
  for (const workers of [2, 1, 0]) {
    runs.push(await runSimulation({ data, strategy: adam(4), rounds: 3, seed: 5, workers, dropout: 0.2, availability: 0.9 }));
  }
  const [two, one, none] = runs;
  assert.equal(two.curve.length, 4, 'round 0 (initial model) and 3 rounds');
  assert.ok(two.accuracy > two.curve[0].accuracy + 0.2, `accuracy ${two.curve[0].accuracy} → ${two.accuracy} should improve`);
  assert.ok(two.loss < two.curve[0].loss);
  for (const [other, name] of [[one, '1 worker'], [none, 'in process']] as const) {
    assert.deepEqual(other.curve, two.curve, `${name}: same curve`);
    assert.deepEqual(Array.from(flattenParameters(other.parameters)), Array.from(flattenParameters(two.parameters)), `${name}: same parameters`);
    assert.deepEqual(other.history.map((h) => [h.selected, h.aggregated, h.dropped, h.trainLoss]), two.history.map((h) => [h.selected, h.aggregated, h.dropped, h.trainLoss]));
  }
  for (const h of two.history) assert.equal(h.aggregated + h.failures, h.selected);
  // a different seed gives a different run
  const other = await runSimulation({ data, strategy: adam(4), rounds: 1, seed: 6, workers: 0 });
  assert.notDeepEqual(other.curve[1], two.curve[1]);
});

/** Wraps a strategy and records, per round, the clients offered to configureFit. */
function recording(inner: Strategy, log: Map<number, Map<string, number>>): Strategy {
  return {
    name: inner.name,
    get parameters() {
      return inner.parameters;
    },
    initialize: (p) => inner.initialize(p),
    configureFit: (round, clients, rng) => {
      log.set(round, new Map(clients.map((c) => [c.id, c.numExamples])));
      return inner.configureFit(round, clients, rng);
    },
    aggregateFit: (round, results, failures) => inner.aggregateFit(round, results, failures),
    configureEvaluate: (round, clients, rng) => inner.configureEvaluate(round, clients, rng),
    aggregateEvaluate: (round, results, failures) => inner.aggregateEvaluate(round, results, failures),
  };
}

test('continual setting: rounds per period, each client holds storedAt(t), the model carries over, per-period evaluation', async () => {
  assert.deepEqual(roundsPerPeriod(5, 3), [2, 2, 1]);
  assert.throws(() => roundsPerPeriod(2, 3), ConfigError);
  const data = synthetic('dirichlet:1', 8, 9);
  const executor = await SimulationExecutor.create(data, { workers: 0 });
  try {
    for (const window of [1, 2]) {
      const log = new Map<number, Map<string, number>>();
      const result = await runSimulation({ data, strategy: recording(adam(3), log), rounds: 5, seed: 9, executor, setting: `continual:3:${window}` });
      // the same split the simulator makes (continualSplit with the seed's "continual" stream)
      const split = continualSplit({ clients: data.clients }, 3, new SeededRandom(9).fork('continual'));
      const periodOfRound = [0, 0, 0, 1, 1, 2];
      for (let round = 1; round <= 5; round++) {
        const offered = log.get(round)!;
        const t = periodOfRound[round];
        for (const c of data.clients) {
          const expected = storedAt(split, c.id, t, { window }).length;
          assert.equal(offered.get(c.id) ?? 0, expected, `window ${window}, round ${round}, client ${c.id}`);
        }
      }
      assert.equal(result.history.length, 5);
      assert.deepEqual(result.history.map((h) => h.period), [0, 0, 1, 1, 2]);
      assert.deepEqual(result.periods!.map((p) => [p.firstRound, p.lastRound, p.seen.length]), [[1, 2, 1], [3, 4, 2], [5, 5, 3]]);
      assert.ok(result.history.filter((h) => h.round === 2 || h.round === 4 || h.round === 5).every((h) => h.accuracy !== undefined), 'last round of each period evaluated');
      const final = result.periods![2].seen.map((s) => s.accuracy);
      assert.ok(Math.abs(result.continual!.averageAccuracy - final.reduce((a, b) => a + b, 0) / 3) < 1e-12);
      // forgetting of period 0: best accuracy on its data before the end, minus the final one (averaged over periods 0 and 1)
      const best0 = Math.max(result.periods![0].seen[0].accuracy, result.periods![1].seen[0].accuracy);
      const best1 = result.periods![1].seen[1].accuracy;
      assert.ok(Math.abs(result.continual!.forgetting - ((best0 - final[0]) + (best1 - final[1])) / 2) < 1e-12);
      // warm start: the model keeps learning across periods
      assert.ok(result.accuracy > result.curve[0].accuracy + 0.05, `accuracy ${result.curve[0].accuracy} → ${result.accuracy}`);
      assert.equal(result.setting, `continual(T=3, window=${window})`);
    }
  } finally {
    await executor.close();
  }
});

test('availability, dropout and diverging clients are counted as failures; the round survives them', async () => {
  const data = synthetic('iid', 10, 4);
  const executor = await SimulationExecutor.create(data, { workers: 0 });
  try {
    const flaky = await runSimulation({ data, strategy: adam(5), rounds: 4, seed: 4, executor, availability: 0.6, dropout: 0.4 });
    assert.ok(flaky.history.some((h) => h.available < 10), 'some clients were offline');
    assert.ok(flaky.totals.dropped > 0, 'some selected clients dropped out');
    for (const h of flaky.history) {
      assert.equal(h.failures, h.dropped);
      assert.equal(h.failuresByReason.dropout ?? 0, h.dropped);
      assert.equal(h.aggregated + h.failures, h.selected);
      assert.ok(h.selected <= Math.min(5, h.available));
    }
    // a client learning rate that makes every local loss non-finite: every client fails, no round moves the model
    const diverging = fedAvg({ clientsPerRound: 3, local: { optimizer: 'sgd', learningRate: 1e38, batchSize: 2, localEpochs: 3 } });
    const broken = await runSimulation({ data, strategy: diverging, rounds: 2, seed: 4, executor });
    assert.equal(broken.totals.nonFiniteClients, 6);
    assert.equal(broken.totals.skippedRounds, 2);
    assert.deepEqual(broken.curve.map((c) => c.accuracy), [broken.curve[0].accuracy, broken.curve[0].accuracy, broken.curve[0].accuracy]);
    // with a client-state store each client's optimiser state is kept between rounds
    const store = new MemoryClientStateStore();
    await runSimulation({ data, strategy: adam(3), rounds: 2, seed: 4, executor, stateStore: store });
    assert.ok(store.size >= 3 && store.size <= 6);
    const someState = store.get(data.clients.map((c) => c.id).find((id) => store.get(id))!)!;
    assert.ok(someState.steps > 0 && someState.slots.length > 0);
    await assert.rejects(runSimulation({ data, strategy: adam(3), rounds: 0, seed: 4, executor }), ConfigError);
  } finally {
    await executor.close();
  }
});
