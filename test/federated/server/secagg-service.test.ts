/**
 * Secure aggregation over HTTP: five clients run the SecAgg+ stages through the server; the
 * new model is the survivors' example-weighted mean (to fixed-point precision, computed here
 * in the clear), the server stores no individual update and refuses plain ones, and a client
 * that goes silent after advertising its keys is a tolerated dropout (its data is not in the sum).
 * With DP-FedAvg on top, each client clips its update to C less the fixed-point margin and sends
 * it with weight 1: the model moves by Σ clipped updates / K (σ = 0 here, so exactly).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Client } from '../../../src/federated/client/client.js';
import { RemoteServerError, RemoteSession } from '../../../src/federated/client/remote-session.js';
import { runRemoteClient } from '../../../src/federated/client/remote-runner.js';
import { SecAggClient, fromWire, toWire, webSecAggCrypto } from '../../../src/federated/secagg/index.js';
import { startFederationService, type RoundSummary, type RunningService } from '../../../src/federated/server/index.js';

const P = 40;
const examples = (k: number) => 2 + k;
const deltaOf = (k: number) => Float32Array.from({ length: P }, (_, j) => (((k * 13 + j * 7) % 11) - 5) / 100);

function fixedClient(k: number): Client {
  return {
    id: `sa${k}`,
    fit: async (parameters) => ({ delta: { names: parameters.names, arrays: [deltaOf(k)] }, numExamples: examples(k), metrics: { loss: 1 } }),
    evaluate: async () => ({ loss: 0, numExamples: 1, metrics: {} }),
  };
}

async function secureService(stageTimeoutMs: number) {
  return startFederationService({
    source: { kind: 'synthetic', parameters: P },
    strategy: 'fedavg',
    enrolment: { mode: 'open', maxWeight: 1e6 },
    statePath: ':memory:',
    policy: { rounds: 1, targetUpdates: 5, minClients: 5, minUpdates: 3, roundTimeoutMs: 120_000 },
    secureAggregation: { range: 1, stageTimeoutMs },
  });
}

function expectedMean(parties: number[]): number[] {
  const total = parties.reduce((s, k) => s + examples(k), 0);
  return Array.from({ length: P }, (_, j) => parties.reduce((s, k) => s + examples(k) * deltaOf(k)[j], 0) / total);
}

/** Five clients run round 1 through the secure stages: it completes with all five in the sum, and the server stores no individual update. */
async function runFiveSecurely(service: RunningService): Promise<RoundSummary> {
  const sessions = Array.from({ length: 5 }, () => new RemoteSession({ server: service.url }));
  await Promise.all(sessions.map((s, k) => s.register(`sa${k}`, examples(k))));
  const summaries = await Promise.all(sessions.map((s, k) => runRemoteClient({ session: s, client: fixedClient(k), longPollMs: 2000 })));
  assert.ok(summaries.every((s) => s.updatesSubmitted === 1 && s.finished), JSON.stringify(summaries));
  const [round] = service.coordinator.rounds();
  assert.equal(round.status, 'completed');
  assert.equal(round.metrics.secureAggregation, 1);
  assert.equal(round.metrics.secaggSurvivors, 5);
  assert.deepEqual(await service.store.updatesOf(1), [], 'the server stored no individual update');
  return round;
}

test('five clients aggregate securely: the model is their weighted mean and no individual update reaches the server', { timeout: 120_000 }, async () => {
  const service = await secureService(30_000);
  try {
    const round = await runFiveSecurely(service);
    assert.deepEqual([...round.aggregated].sort(), ['sa0', 'sa1', 'sa2', 'sa3', 'sa4']);
    const model = service.coordinator.parameters.arrays[0];
    const expected = expectedMean([0, 1, 2, 3, 4]);
    for (let j = 0; j < P; j++) assert.ok(Math.abs(model[j] - expected[j]) < 1e-6, `coordinate ${j}: ${model[j]} vs ${expected[j]}`);
  } finally {
    await service.close();
  }
});

test('a client that goes silent after advertising keys is dropped; a plain update is refused in a secure round', { timeout: 120_000 }, async () => {
  const service = await secureService(1500);
  try {
    const sessions = Array.from({ length: 5 }, () => new RemoteSession({ server: service.url }));
    await Promise.all(sessions.map((s, k) => s.register(`sa${k}`, examples(k))));
    await Promise.all(sessions.map((s) => s.checkIn()));
    const task = await sessions[4].task(1);
    assert.ok(task.secureAggregation, 'the task announces secure aggregation');
    await assert.rejects(sessions[4].submit(task, deltaOf(4), examples(4)), (e: unknown) => e instanceof RemoteServerError && e.statusCode === 409 && /secure aggregation/.test(e.message));
    // client 4 advertises its keys, then disappears
    const silent = new SecAggClient(webSecAggCrypto());
    const first = await sessions[4].secureRequest(1);
    assert.equal(first.stage, 'advertise');
    await sessions[4].secureReply(1, 'advertise', toWire(await silent.advertiseKeys(fromWire(first.request) as never)));
    const summaries = await Promise.all(sessions.slice(0, 4).map((s, k) => runRemoteClient({ session: s, client: fixedClient(k), longPollMs: 1000 })));
    assert.ok(summaries.every((s) => s.updatesSubmitted === 1), JSON.stringify(summaries));
    const [round] = service.coordinator.rounds();
    assert.equal(round.status, 'completed');
    assert.equal(round.metrics.secaggSurvivors, 4);
    assert.deepEqual(round.dropped, ['sa4']);
    const model = service.coordinator.parameters.arrays[0];
    const expected = expectedMean([0, 1, 2, 3]);
    for (let j = 0; j < P; j++) assert.ok(Math.abs(model[j] - expected[j]) < 1e-6, `coordinate ${j}: ${model[j]} vs ${expected[j]}`);
  } finally {
    await service.close();
  }
});

test('DP-FedAvg with secure aggregation: clients clip to C and send weight 1, the model moves by their clipped sum / K', { timeout: 120_000 }, async () => {
  const clip = 0.1;
  const service = await startFederationService({
    source: { kind: 'synthetic', parameters: P },
    strategy: 'fedavg',
    enrolment: { mode: 'open', maxWeight: 1e6 },
    statePath: ':memory:',
    policy: { rounds: 1, targetUpdates: 5, minClients: 5, minUpdates: 3, roundTimeoutMs: 120_000 },
    secureAggregation: { stageTimeoutMs: 30_000 },
    dp: { clip, noiseMultiplier: 0, delta: 1e-5, population: 50 },
  });
  try {
    const round = await runFiveSecurely(service);
    assert.equal(round.metrics.dpClip, clip);
    const status = service.coordinator.status();
    assert.match(status.aggregator, /^secagg\+\(dp-fedavg\(C=0\.1, σ=0\), R=0\.1\)$/);
    // every Δ here has norm > C, so each is scaled to the client's bound C − √m·2^−(f+1)
    const expected = new Float64Array(P);
    for (let k = 0; k < 5; k++) {
      const d = deltaOf(k);
      const norm = Math.hypot(...d);
      assert.ok(norm > clip, `client ${k}'s update must need clipping (norm ${norm})`);
      for (let j = 0; j < P; j++) expected[j] += (d[j] * clip) / norm / 5;
    }
    const model = service.coordinator.parameters.arrays[0];
    for (let j = 0; j < P; j++) assert.ok(Math.abs(model[j] - expected[j]) < 1e-5, `coordinate ${j}: ${model[j]} vs ${expected[j]}`);
    // and not the example-weighted mean of the unclipped updates
    const unclipped = expectedMean([0, 1, 2, 3, 4]);
    assert.ok(unclipped.some((v, j) => Math.abs(v - model[j]) > 1e-3));
  } finally {
    await service.close();
  }
});
