/**
 * Adaptive clipping (Andrew et al. 2021) together with secure aggregation in the service. The
 * clients clip to the round's clip norm C and append one coordinate, C if their update was
 * within it and 0 if not, so the server learns only the count of unclipped updates, from the
 * masked sum. With σ = 0 (no count noise either) everything is exact and checked here against
 * an independent computation: the count decides C ← C·exp(−η(b̄ − γ)) with b̄ the fraction of
 * UNCLIPPED updates (3 of 5 here: C shrinks; counting the clipped ones would make it grow), the
 * next round's task carries the new C, and the model moves by Σ clip_C(Δₖ)/K in each round.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Client } from '../../../src/federated/client/client.js';
import { RemoteSession } from '../../../src/federated/client/remote-session.js';
import { runRemoteClient, secureInput } from '../../../src/federated/client/remote-runner.js';
import { startFederationService, type TaskResponse } from '../../../src/federated/server/index.js';
import { ConfigError } from '../../../src/errors.js';

const P = 40;
const K = 5;
/** Update norms: three under the strategy's starting clip of 0.1, two over it. */
const NORMS = [0.03, 0.06, 0.09, 0.2, 0.4];
const direction = (k: number) => Float32Array.from({ length: P }, (_, j) => (((k * 13 + j * 7) % 11) - 5) / 100);
function deltaOf(k: number): Float32Array {
  const d = direction(k);
  const norm = Math.hypot(...d);
  return d.map((v) => (v * NORMS[k]) / norm);
}

function fixedClient(k: number): Client {
  return {
    id: `ad${k}`,
    fit: async (parameters) => ({ delta: { names: parameters.names, arrays: [deltaOf(k)] }, numExamples: 10, metrics: { loss: 1 } }),
    evaluate: async () => ({ loss: 0, numExamples: 1, metrics: {} }),
  };
}

test('adaptive clipping with secure aggregation: the unclipped count comes from the masked sum and moves C the right way', { timeout: 120_000 }, async () => {
  const service = await startFederationService({
    source: { kind: 'synthetic', parameters: P },
    strategy: 'fedavg',
    enrolment: { mode: 'open', maxWeight: 1e6 },
    statePath: ':memory:',
    policy: { rounds: 2, targetUpdates: K, minClients: K, minUpdates: 3, roundTimeoutMs: 120_000 },
    secureAggregation: { stageTimeoutMs: 30_000 },
    dp: { clip: 'auto', noiseMultiplier: 0, delta: 1e-5, population: 50 },
  });
  try {
    assert.match(service.coordinator.status().aggregator, /^secagg\+\(dp-fedavg\(C=auto, σ=0\), R=C\)$/);
    const sessions = Array.from({ length: K }, () => new RemoteSession({ server: service.url }));
    await Promise.all(sessions.map((s, k) => s.register(`ad${k}`, 10)));
    const summaries = await Promise.all(sessions.map((s, k) => runRemoteClient({ session: s, client: fixedClient(k), longPollMs: 2000 })));
    assert.ok(summaries.every((s) => s.updatesSubmitted === 2 && s.finished), JSON.stringify(summaries));
    const rounds = service.coordinator.rounds();
    assert.deepEqual(rounds.map((r) => r.status), ['completed', 'completed']);
    assert.deepEqual(await service.store.updatesOf(1), [], 'the server stored no individual update');

    // C follows the fraction of unclipped updates: 3 of 5 in both rounds (0.09 < C₁ ≈ 0.098)
    const eta = 0.2;
    const gamma = 0.5;
    const clips = [0.1];
    clips.push(clips[0] * Math.exp(-eta * (3 / K - gamma)));
    clips.push(clips[1] * Math.exp(-eta * (3 / K - gamma)));
    rounds.forEach((r, i) => {
      assert.ok(Math.abs(r.metrics.dpClip - clips[i]) < 1e-9, `round ${i + 1} clip ${r.metrics.dpClip} vs ${clips[i]}`);
      assert.ok(Math.abs(r.metrics.dpUnclippedFraction - 3 / K) < 1e-9, `round ${i + 1} unclipped fraction ${r.metrics.dpUnclippedFraction}`);
      assert.ok(Math.abs(r.metrics.dpNextClip - clips[i + 1]) < 1e-9, `round ${i + 1} next clip ${r.metrics.dpNextClip} vs ${clips[i + 1]}`);
    });

    // the model moved by Σ clip_C(Δₖ)/K in each round, with that round's C (clipping round 2
    // to round 1's C would be off by ~1e-5 here)
    const expected = new Float64Array(P);
    for (const clip of clips.slice(0, 2)) {
      for (let k = 0; k < K; k++) {
        const d = deltaOf(k);
        const scale = NORMS[k] > clip ? clip / NORMS[k] : 1;
        for (let j = 0; j < P; j++) expected[j] += (d[j] * scale) / K;
      }
    }
    const model = service.coordinator.parameters.arrays[0];
    for (let j = 0; j < P; j++) assert.ok(Math.abs(model[j] - expected[j]) < 1e-6, `coordinate ${j}: ${model[j]} vs ${expected[j]}`);
  } finally {
    await service.close();
  }
});

test('the secure input under adaptive clipping: the update, then C for an unclipped update and 0 for a clipped one', () => {
  const task = {
    secureAggregation: { weight: 1, range: 0.5, encoding: { range: 0.5, fractionalBits: 16, maxSummands: 5 }, clipNorm: 0.5, countUnclipped: true },
  } as TaskResponse;
  const delta = Float32Array.from([0.1, -0.2]);
  assert.deepEqual([...secureInput(task, delta, true)].map((v) => Number(v.toFixed(6))), [0.1, -0.2, 0.5]);
  assert.deepEqual([...secureInput(task, delta, false)].map((v) => Number(v.toFixed(6))), [0.1, -0.2, 0]);
  const plain = { secureAggregation: { ...task.secureAggregation!, countUnclipped: undefined, clipNorm: undefined, weight: 2 } } as TaskResponse;
  assert.deepEqual([...secureInput(plain, delta, true)].map((v) => Number(v.toFixed(6))), [0.2, -0.4]);
  const broken = { secureAggregation: { ...task.secureAggregation!, clipNorm: undefined } } as TaskResponse;
  assert.throws(() => secureInput(broken, delta, true), (e: unknown) => e instanceof ConfigError && /no clip norm/.test((e as Error).message));
});

test('adaptive clipping with secure aggregation refuses a fixed --secagg-range', async () => {
  await assert.rejects(
    startFederationService({
      source: { kind: 'synthetic', parameters: P },
      strategy: 'fedavg',
      enrolment: { mode: 'open', maxWeight: 1e6 },
      statePath: ':memory:',
      policy: { rounds: 1, targetUpdates: K, minClients: K },
      secureAggregation: { range: 2, stageTimeoutMs: 30_000 },
      dp: { clip: 'auto', noiseMultiplier: 0, delta: 1e-5, population: 50 },
    }),
    (e: unknown) => e instanceof ConfigError && /range follows the clip norm/.test((e as Error).message),
  );
});
