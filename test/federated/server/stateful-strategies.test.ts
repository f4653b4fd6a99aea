/**
 * Strategies with state beyond the model in the service: FedAdam's server moments and DP-FedAvg's
 * adaptive clip norm are saved with every checkpoint, so a server restarted between rounds
 * continues exactly where it stopped. FedAdam: a federation restarted after round 1 ends with
 * bit-for-bit the model of one that ran all three rounds without a restart (with the moments
 * reset to zero it would not). Adaptive clipping: round 2 after the restart uses the clip norm
 * round 1 chose, and the server (not the client) clips.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '../../../src/federated/client/client.js';
import { RemoteSession } from '../../../src/federated/client/remote-session.js';
import { runRemoteClient } from '../../../src/federated/client/remote-runner.js';
import { startFederationService, syntheticDelta, type RunningService, type ServiceOptions, type StatusResponse } from '../../../src/federated/server/index.js';

const P = 50;
const CLIENTS = 4;
const examples = (k: number) => 2 + k;

/** A client whose update is a known function of (client, round), scaled by `scale`. */
function knownClient(k: number, scale = 1): Client {
  return {
    id: `c${k}`,
    fit: async (parameters, config) => ({
      delta: { names: parameters.names, arrays: [syntheticDelta(k, Number(config.round), P).map((v) => v * scale)] },
      numExamples: examples(k),
      metrics: { loss: 1 },
    }),
    evaluate: async () => ({ loss: 0, numExamples: 1, metrics: {} }),
  };
}

/** Runs every client for `updates` rounds (registering them on the first call; later with their tokens). */
async function runClients(service: RunningService, tokens: string[], updates: number, scale = 1): Promise<void> {
  const sessions = Array.from({ length: CLIENTS }, () => new RemoteSession({ server: service.url }));
  if (tokens.length === 0) {
    for (let k = 0; k < CLIENTS; k++) tokens.push((await sessions[k].register(`c${k}`, examples(k))).token);
  } else {
    sessions.forEach((s, k) => s.useToken(`c${k}`, tokens[k]));
  }
  const summaries = await Promise.all(sessions.map((s, k) => runRemoteClient({ session: s, client: knownClient(k, scale), longPollMs: 1000, maxUpdates: updates })));
  assert.ok(summaries.every((s) => s.updatesSubmitted === updates), JSON.stringify(summaries));
}

async function waitForRounds(service: RunningService, completed: number): Promise<void> {
  for (let i = 0; i < 100 && service.coordinator.status().roundsCompleted < completed; i++) await new Promise((r) => setTimeout(r, 50));
  assert.equal(service.coordinator.status().roundsCompleted, completed);
}

test('FedAdam in the service: a restart between rounds keeps the server moments (same model as without a restart)', { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'trustnlu-fedadam-'));
  const options = (statePath: string): ServiceOptions => ({
    source: { kind: 'synthetic', parameters: P },
    strategy: 'fedadam',
    statePath,
    enrolment: { mode: 'open', maxWeight: 1e6 },
    policy: { rounds: 3, targetUpdates: CLIENTS, minClients: CLIENTS },
  });
  try {
    // uninterrupted
    let service = await startFederationService(options(join(dir, 'straight.db')));
    let tokens: string[] = [];
    try {
      await runClients(service, tokens, 3);
      await waitForRounds(service, 3);
    } finally {
      await service.close();
    }
    const straight = await startFederationService(options(join(dir, 'straight.db')));
    const reference = Float32Array.from(straight.coordinator.parameters.arrays[0]);
    await straight.close();

    // restarted after round 1
    const restartedPath = join(dir, 'restarted.db');
    service = await startFederationService(options(restartedPath));
    tokens = [];
    try {
      await runClients(service, tokens, 1);
      await waitForRounds(service, 1);
    } finally {
      await service.close();
    }
    service = await startFederationService(options(restartedPath));
    try {
      await runClients(service, tokens, 2);
      await waitForRounds(service, 3);
      const model = service.coordinator.parameters.arrays[0];
      assert.ok(reference.some((v) => v !== 0), 'the federation must have moved the model');
      assert.deepEqual(Array.from(model), Array.from(reference), 'the restarted federation must end with the uninterrupted model, bit for bit');
    } finally {
      await service.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('adaptive DP clipping in the service: the server clips, and round 2 after a restart uses the clip norm round 1 chose', { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'trustnlu-adaptive-'));
  const options: ServiceOptions = {
    source: { kind: 'synthetic', parameters: P },
    strategy: 'fedavg',
    enrolment: { mode: 'open', maxWeight: 1e6 },
    statePath: join(dir, 'state.db'),
    policy: { rounds: 2, targetUpdates: CLIENTS, minClients: CLIENTS },
    dp: { clip: 'auto', noiseMultiplier: 0.3, delta: 1e-5, population: 40 },
  };
  try {
    let service = await startFederationService(options);
    const tokens: string[] = [];
    let nextClip: number;
    try {
      // updates of norm ≈ 0.6, far over the initial clip 0.1: every one is clipped, so the clip grows
      await runClients(service, tokens, 1, 100);
      await waitForRounds(service, 1);
      const [round1] = service.coordinator.rounds();
      assert.equal(round1.metrics.dpClip, 0.1, 'round 1 uses the initial clip norm');
      nextClip = round1.metrics.dpNextClip;
      assert.ok(nextClip > 0.1, `the clip must grow when every update was clipped (next ${nextClip})`);
      const status = (await (await fetch(`${service.url}/v1/status`)).json()) as StatusResponse;
      assert.equal(status.privacy?.clipNorm, nextClip, 'the status reports the clip norm the next round uses');
    } finally {
      await service.close();
    }
    service = await startFederationService(options);
    try {
      await runClients(service, tokens, 1, 100);
      await waitForRounds(service, 2);
      const round2 = service.coordinator.rounds()[1];
      assert.equal(round2.metrics.dpClip, nextClip, 'round 2 after the restart uses the clip norm round 1 chose');
      assert.ok(round2.metrics.clients === CLIENTS);
    } finally {
      await service.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
