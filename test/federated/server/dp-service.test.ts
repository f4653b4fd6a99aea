/**
 * DP-FedAvg in the service: updates over the clip norm are refused (clients must clip), the
 * model moves by (Σ clipped updates + Gaussian noise) / K, and the ε the status reports equals
 * the accountant's ε for the completed rounds computed here independently, also after a
 * restart on the same state file (ε comes from the durable round count). With secure
 * aggregation on top the server adds the same noise to the unmasked sum.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { computeEpsilon } from '../../../src/privacy/accounting/index.js';
import type { Client } from '../../../src/federated/client/client.js';
import { RemoteSession, RemoteServerError } from '../../../src/federated/client/remote-session.js';
import { runRemoteClient } from '../../../src/federated/client/remote-runner.js';
import { startFederationService, type ServiceOptions, type StatusResponse } from '../../../src/federated/server/index.js';

const P = 2000;

test('DP-FedAvg: clip bound enforced, noise at the server, ε from the accountant survives a restart', { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'trustnlu-dp-'));
  const options: ServiceOptions = {
    source: { kind: 'synthetic', parameters: P },
    strategy: 'fedavg',
    enrolment: { mode: 'open', maxWeight: 1e6 },
    statePath: join(dir, 'state.db'),
    policy: { rounds: 3, targetUpdates: 4, minClients: 4 },
    dp: { clip: 1, noiseMultiplier: 1.2, delta: 1e-5, population: 40 },
  };
  let service = await startFederationService(options);
  try {
    const status0 = (await (await fetch(`${service.url}/v1/status`)).json()) as StatusResponse;
    assert.equal(status0.privacy?.epsilon, 0);
    assert.match(status0.aggregator, /dp-fedavg\(C=1, σ=1\.2\)/);
    const sessions = Array.from({ length: 4 }, () => new RemoteSession({ server: service.url }));
    await Promise.all(sessions.map((s, i) => s.register(`dp${i}`, 10)));
    await Promise.all(sessions.map((s) => s.checkIn()));
    const task = await sessions[0].task(1);
    assert.ok(task.maxUpdateNorm <= 1, 'the task tells clients to clip to C');
    const tooLarge = new Float32Array(P).fill(1); // norm √2000 ≫ C
    await assert.rejects(sessions[0].submit(task, tooLarge, 10), (e: unknown) => e instanceof RemoteServerError && e.statusCode === 400 && /exceeds the server's bound 1/.test(e.message));
    // each client's update has norm 0.5 along its own coordinate block
    for (let i = 0; i < 4; i++) {
      const d = new Float32Array(P);
      for (let j = i * 100; j < i * 100 + 100; j++) d[j] = 0.05;
      await sessions[i].submit(task, d, 10);
    }
    const status1 = (await (await fetch(`${service.url}/v1/status`)).json()) as StatusResponse;
    assert.equal(status1.roundsCompleted, 1);
    const expected = computeEpsilon({ sampleRate: 4 / 40, noiseMultiplier: 1.2, steps: 1, delta: 1e-5 }).epsilon;
    assert.ok(Math.abs(status1.privacy!.epsilon - expected) < 1e-9, `ε ${status1.privacy!.epsilon} vs accountant ${expected}`);
    // model = (Σ Δ + N(0, σ²C²)) / K: the residual after removing Σ Δ / K has std σC/K = 0.3
    const m = service.coordinator.parameters.arrays[0];
    let sum = 0;
    let sumSq = 0;
    for (let j = 0; j < P; j++) {
      const signal = j < 400 ? 0.05 / 4 : 0;
      const r = m[j] - signal;
      sum += r;
      sumSq += r * r;
    }
    const std = Math.sqrt(sumSq / P - (sum / P) ** 2);
    assert.ok(Math.abs(std - 0.3) < 0.03, `noise std ${std}, expected σC/K = 0.3`);
    await service.close();

    service = await startFederationService(options);
    const status2 = (await (await fetch(`${service.url}/v1/status`)).json()) as StatusResponse;
    assert.equal(status2.roundsCompleted, 1);
    assert.equal(status2.privacy!.epsilon, status1.privacy!.epsilon, 'ε after a restart is the ε of the rounds completed before it');
  } finally {
    await service.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('DP-FedAvg with secure aggregation: the noise is added to the unmasked sum (std σC/K), ε as without secagg', { timeout: 120_000 }, async () => {
  const service = await startFederationService({
    source: { kind: 'synthetic', parameters: P },
    strategy: 'fedavg',
    enrolment: { mode: 'open', maxWeight: 1e6 },
    statePath: ':memory:',
    policy: { rounds: 1, targetUpdates: 4, minClients: 4, minUpdates: 2 },
    dp: { clip: 1, noiseMultiplier: 1.2, delta: 1e-5, population: 40 },
    secureAggregation: { stageTimeoutMs: 30_000 },
  });
  try {
    const sessions = Array.from({ length: 4 }, () => new RemoteSession({ server: service.url }));
    await Promise.all(sessions.map((s, i) => s.register(`dp${i}`, 10)));
    const blockClient = (i: number): Client => ({
      id: `dp${i}`,
      fit: async (parameters) => {
        const d = new Float32Array(P);
        for (let j = i * 100; j < i * 100 + 100; j++) d[j] = 0.05; // norm 0.5 < C: not clipped
        return { delta: { names: parameters.names, arrays: [d] }, numExamples: 10, metrics: {} };
      },
      evaluate: async () => ({ loss: 0, numExamples: 1, metrics: {} }),
    });
    const summaries = await Promise.all(sessions.map((s, i) => runRemoteClient({ session: s, client: blockClient(i), longPollMs: 2000 })));
    assert.ok(summaries.every((s) => s.updatesSubmitted === 1), JSON.stringify(summaries));
    const [round] = service.coordinator.rounds();
    assert.equal(round.status, 'completed');
    assert.equal(round.metrics.secaggSurvivors, 4);
    assert.deepEqual(await service.store.updatesOf(1), [], 'the server stored no individual update');
    const status = (await (await fetch(`${service.url}/v1/status`)).json()) as StatusResponse;
    const expected = computeEpsilon({ sampleRate: 4 / 40, noiseMultiplier: 1.2, steps: 1, delta: 1e-5 }).epsilon;
    assert.ok(Math.abs(status.privacy!.epsilon - expected) < 1e-9, `ε ${status.privacy!.epsilon} vs accountant ${expected}`);
    const m = service.coordinator.parameters.arrays[0];
    let sum = 0;
    let sumSq = 0;
    let signalSum = 0;
    for (let j = 0; j < P; j++) {
      const r = m[j] - (j < 400 ? 0.05 / 4 : 0);
      sum += r;
      sumSq += r * r;
      if (j < 400) signalSum += m[j];
    }
    const std = Math.sqrt(sumSq / P - (sum / P) ** 2);
    assert.ok(Math.abs(std - 0.3) < 0.03, `noise std ${std}, expected σC/K = 0.3`);
    // the signal survives the fixed-point sum: mean over the 400 signal coordinates ≈ 0.0125 (± 0.3/√400)
    assert.ok(Math.abs(signalSum / 400 - 0.0125) < 0.06, `signal mean ${signalSum / 400}`);
  } finally {
    await service.close();
  }
});
