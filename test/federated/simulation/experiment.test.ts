/**
 * runFederatedExperiment: the continual setting's "all data at once" baseline is exactly the
 * static run with the same rounds and seed; activity selection runs end to end; and 10,000
 * registered clients stay cheap because clients are stateless (ids, counts, index arrays).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRandom } from '../../../src/engine/random.js';
import { fedAvg } from '../../../src/federated/strategies/index.js';
import { ClientRegistry, prepareFederatedDataset, runFederatedExperiment, runSimulation } from '../../../src/federated/simulation/index.js';

const TINY = { embeddingDim: 8, hidden: 8 };
const base = {
  dataset: 'synthetic',
  partition: 'quantity:0.5',
  strategy: 'fedavg',
  rounds: 4,
  clientsPerRound: 3,
  numClients: 10,
  model: 'embbag',
  modelConfig: TINY,
  seed: 7,
  workers: 0,
  maxLocalSteps: 3,
};

test('continual with --baseline: per-period records, and the baseline equals the static run with the same rounds and seed', async () => {
  const continual = await runFederatedExperiment({ ...base, setting: 'continual:2', baseline: true });
  assert.equal(continual.setting, 'continual(T=2, window=1)');
  assert.equal(continual.periods!.length, 2);
  assert.deepEqual(continual.periods!.map((p) => [p.firstRound, p.lastRound]), [[1, 2], [3, 4]]);
  assert.ok(continual.continual && Number.isFinite(continual.continual.averageAccuracy) && Number.isFinite(continual.continual.forgetting));
  const staticRun = await runFederatedExperiment({ ...base, setting: 'static' });
  assert.equal(continual.baseline!.setting, 'static');
  assert.deepEqual(continual.baseline!.curve, staticRun.curve, 'same rounds, same seed, all data: the static run');
  assert.notDeepEqual(continual.curve, staticRun.curve, 'the continual run itself differs (it sees one period at a time)');
});

test('activity selection on a quantity-skewed partition runs end to end and reports its sampler', async () => {
  const r = await runFederatedExperiment({ ...base, selection: 'activity:0.5' });
  assert.equal(r.selection, 'activity(τ=0.5)');
  assert.equal(r.curve.length, 5);
  assert.equal(r.partitionSummary.clients, 10);
  assert.ok(r.partitionSummary.sizeQuantiles.max > 3 * r.partitionSummary.sizeQuantiles.min, 'quantity skew gives unequal sizes');
});

test('10,000 registered clients: a registry of index arrays only, and a round over them runs', async () => {
  const data = prepareFederatedDataset({ dataset: 'synthetic', partition: 'iid', numClients: 10, model: 'embbag', modelConfig: TINY, seed: 0 });
  const n = data.train.task === 'classifier' ? data.train.targets.length : 0;
  const rng = new SeededRandom(1);
  // 10,000 clients of 20 examples each (overlapping draws: the registry does not need a partition)
  data.clients = Array.from({ length: 10_000 }, (_, i) => ({ id: `client-${String(i).padStart(5, '0')}`, indices: Array.from({ length: 20 }, () => rng.int(n)) }));
  const before = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
  const registry = new ClientRegistry(data.clients);
  const after = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
  assert.equal(registry.size, 10_000);
  assert.equal(registry.totalExamples(), 200_000);
  // 800 KB of indices plus small objects; a per-client model copy would be 10,000 × parameters
  assert.ok(after - before < 64 * 2 ** 20, `registry grew memory by ${((after - before) / 2 ** 20).toFixed(1)} MB`);
  const result = await runSimulation({ data, strategy: fedAvg({ clientsPerRound: 5, local: { optimizer: 'adam', learningRate: 0.01, batchSize: 32, maxSteps: 1 } }), rounds: 2, seed: 0, workers: 0, evaluateEvery: 2 });
  assert.equal(result.clients, 10_000);
  assert.deepEqual(result.history.map((h) => h.aggregated), [5, 5]);
});

test('drift:3: the synthetic set\'s 9 domains arrive three per period; the run reports them and the per-period records', async () => {
  const run = await runFederatedExperiment({ ...base, rounds: 3, setting: 'drift:3' });
  assert.equal(run.setting, 'continual(T=3, window=1, drift by domain)');
  assert.equal(run.driftDomains!.length, 3);
  assert.deepEqual(run.driftDomains!.map((g) => g.length), [3, 3, 3]);
  assert.equal(new Set(run.driftDomains!.flat()).size, 9);
  assert.equal(run.periods!.length, 3);
  assert.deepEqual(run.periods!.map((p) => p.seen.length), [1, 2, 3]);
  await assert.rejects(runFederatedExperiment({ ...base, rounds: 10, setting: 'drift:10' }), /needs at least 10 domains; the data has 9/);
});
