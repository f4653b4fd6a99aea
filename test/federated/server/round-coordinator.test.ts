/**
 * The round logic without HTTP: rounds close at their target or deadline, stragglers are
 * dropped, bad updates are refused with 4xx and leave the model alone, the new model is the
 * example-weighted mean of the accepted deltas (computed here by hand), and a coordinator
 * reopened on the same state file after a "crash" counts every accepted update exactly once.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStrategy } from '../../../src/federated/strategies/index.js';
import { SqliteFederationStore } from '../../../src/federated/store/index.js';
import { FederationRequestError, RoundCoordinator, type RoundPolicy } from '../../../src/federated/server/index.js';

const INITIAL = { names: ['a', 'b'], arrays: [Float32Array.from([1, 2]), Float32Array.from([3])] };

function bytes(values: number[]): Uint8Array {
  return new Uint8Array(Float32Array.from(values).buffer);
}

async function makeCoordinator(path: string, select: number, policy: Partial<RoundPolicy>, clock: () => number) {
  const store = new SqliteFederationStore(path);
  const coordinator = await RoundCoordinator.open({
    store,
    strategy: createStrategy('fedavg', { clientsPerRound: select }),
    initialParameters: INITIAL,
    policy: { rounds: 5, targetUpdates: 2, minClients: 2, roundTimeoutMs: 1000, availabilityWindowMs: 10_000, recoveryGraceMs: 500, maxUpdateNorm: 100, ...policy },
    fingerprint: { test: 'coordinator', select },
    // weights by example count (capped at 100), open enrolment: the weighted-mean arithmetic below
    enrolment: { mode: 'open', maxWeight: 100 },
    clock,
  });
  return { store, coordinator };
}

function meta(version: number, numExamples: number) {
  return { modelVersion: version, numExamples, metrics: { loss: 1 } };
}

async function expectRefusal(promise: Promise<unknown>, status: number, pattern: RegExp) {
  await assert.rejects(promise, (e: unknown) => {
    assert.ok(e instanceof FederationRequestError, `expected a FederationRequestError, got ${String(e)}`);
    assert.equal(e.statusCode, status, e.message);
    assert.match(e.message, pattern);
    return true;
  });
}

function withTempDir(fn: (dir: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'trustnlu-coord-'));
    try {
      await fn(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

test('a round opens with enough clients, closes at its target, and the model moves by the weighted mean of the deltas', withTempDir(async (dir) => {
  let now = 1000;
  const { coordinator, store } = await makeCoordinator(join(dir, 's.db'), 2, {}, () => now);
  await coordinator.register({ clientId: 'c1', numExamples: 1 });
  await coordinator.register({ clientId: 'c2', numExamples: 3 });
  assert.equal((await coordinator.checkIn('c1')).action, 'wait', 'one client is below minClients');
  const answer = await coordinator.checkIn('c2');
  assert.equal(answer.action, 'train');
  assert.equal((await coordinator.checkIn('c1')).action, 'train');
  const task = await coordinator.task('c1', '1');
  assert.deepEqual(task.layout, { names: ['a', 'b'], lengths: [2, 1] });
  assert.equal(task.modelVersion, 0);
  now += 10;
  assert.equal((await coordinator.submit('c1', '1', meta(0, 1), bytes([1, 0, -1]))).duplicate, false);
  assert.equal((await coordinator.submit('c1', '1', meta(0, 1), bytes([1, 0, -1]))).duplicate, true, 'an identical retry is acknowledged, not counted');
  await coordinator.submit('c2', '1', meta(0, 3), bytes([0, 4, 1]));
  // FedAvg weights are the registered example counts: (1·Δ1 + 3·Δ2) / 4
  const expected = [1 + (1 * 1 + 3 * 0) / 4, 2 + (1 * 0 + 3 * 4) / 4, 3 + (1 * -1 + 3 * 1) / 4];
  assert.deepEqual(Array.from(coordinator.parameters.arrays[0]).concat(Array.from(coordinator.parameters.arrays[1])), expected);
  assert.equal(coordinator.currentModelVersion, 1);
  const rounds = coordinator.rounds();
  assert.equal(rounds[0].status, 'completed');
  assert.deepEqual([...rounds[0].aggregated].sort(), ['c1', 'c2']);
  assert.deepEqual(Array.from(new Float32Array((await coordinator.model('1')).slice().buffer)), expected, 'the served model is the checkpoint');
  await store.close();
}));

test('over-selection: the round closes at its target and the straggler is dropped with 409', withTempDir(async (dir) => {
  let now = 1000;
  const { coordinator, store } = await makeCoordinator(join(dir, 's.db'), 3, { minClients: 3 }, () => now);
  for (const id of ['x', 'y', 'z']) await coordinator.register({ clientId: id, numExamples: 2 });
  for (const id of ['x', 'y', 'z']) await coordinator.checkIn(id);
  for (const id of ['x', 'y', 'z']) assert.equal((await coordinator.checkIn(id)).action, 'train');
  await coordinator.submit('x', '1', meta(0, 2), bytes([1, 1, 1]));
  await coordinator.submit('z', '1', meta(0, 2), bytes([3, 3, 3]));
  await expectRefusal(coordinator.submit('y', '1', meta(0, 2), bytes([2, 2, 2])), 409, /round 1 is closed/);
  const [round] = coordinator.rounds();
  assert.deepEqual(round.dropped, ['y']);
  assert.equal(round.metrics.dropped, 1);
  assert.deepEqual(Array.from(coordinator.parameters.arrays[0]), [3, 4]);
  await store.close();
}));

test('deadline: too few updates fail the round and keep the model; enough updates aggregate what arrived', withTempDir(async (dir) => {
  let now = 1000;
  const { coordinator, store } = await makeCoordinator(join(dir, 's.db'), 3, { targetUpdates: 3, minClients: 3, minUpdates: 2 }, () => now);
  for (const id of ['p', 'q', 'r']) await coordinator.register({ clientId: id, numExamples: 1 });
  for (const id of ['p', 'q', 'r']) await coordinator.checkIn(id);
  await coordinator.submit('p', '1', meta(0, 1), bytes([5, 5, 5]));
  now += 2000;
  await coordinator.tick();
  assert.equal(coordinator.rounds()[0].status, 'failed');
  assert.deepEqual(Array.from(coordinator.parameters.arrays[0]), [1, 2], 'a failed round leaves the model unchanged');
  await expectRefusal(coordinator.submit('q', '1', meta(0, 1), bytes([1, 1, 1])), 409, /closed/);
  for (const id of ['p', 'q', 'r']) await coordinator.checkIn(id);
  assert.equal(coordinator.rounds()[1].status, 'open');
  await coordinator.submit('p', '2', meta(0, 1), bytes([2, 0, 0]));
  await coordinator.submit('q', '2', meta(0, 1), bytes([4, 0, 0]));
  now += 2000;
  await coordinator.tick();
  const second = coordinator.rounds()[1];
  assert.equal(second.status, 'completed');
  assert.deepEqual(second.dropped, ['r']);
  assert.deepEqual(Array.from(coordinator.parameters.arrays[0]), [4, 2]);
  await store.close();
}));

test('invalid updates are refused with 4xx and never change the model', withTempDir(async (dir) => {
  const { coordinator, store } = await makeCoordinator(join(dir, 's.db'), 2, {}, () => 1000);
  await coordinator.register({ clientId: 'u', numExamples: 1 });
  await coordinator.register({ clientId: 'v', numExamples: 1 });
  await coordinator.register({ clientId: 'w', numExamples: 1 });
  await coordinator.checkIn('u');
  await coordinator.checkIn('v');
  const selected = coordinator.rounds()[0].selected;
  const outsider = ['u', 'v', 'w'].find((id) => !selected.includes(id))!;
  const id = selected[0];
  await expectRefusal(coordinator.submit(id, '1', meta(0, 1), bytes([NaN, 0, 0])), 400, /must be finite/);
  await expectRefusal(coordinator.submit(id, '1', meta(0, 1), bytes([Infinity, 0, 0])), 400, /must be finite/);
  await expectRefusal(coordinator.submit(id, '1', meta(0, 1), bytes([1, 0])), 400, /8 bytes but the model has 3/);
  await expectRefusal(coordinator.submit(id, '1', meta(0, 1), bytes([100, 100, 0])), 400, /exceeds the server's bound 100/);
  await expectRefusal(coordinator.submit(id, '1', meta(7, 1), bytes([1, 0, 0])), 409, /model version 7/);
  await expectRefusal(coordinator.submit(id, '9', meta(0, 1), bytes([1, 0, 0])), 404, /has not opened/);
  await expectRefusal(coordinator.submit(id, 'x1', meta(0, 1), bytes([1, 0, 0])), 400, /positive integer/);
  await expectRefusal(coordinator.submit(outsider, '1', meta(0, 1), bytes([1, 0, 0])), 403, /not selected/);
  assert.equal(coordinator.rounds()[0].status, 'open');
  assert.equal(coordinator.currentModelVersion, 0);
  assert.deepEqual(Array.from(coordinator.parameters.arrays[0]), [1, 2]);
  await expectRefusal(coordinator.register({ clientId: 'u', numExamples: 1 }), 409, /already registered/);
  await expectRefusal(coordinator.register({ clientId: 'bad id!', numExamples: 1 }), 400, /clientId/);
  await expectRefusal(coordinator.register({ clientId: 'ok', numExamples: 0 }), 400, /numExamples/);
  await expectRefusal(coordinator.submit(id, '0', meta(0, 1), bytes([1, 0, 0])), 400, /rounds are numbered from 1/);
  await expectRefusal(coordinator.submit(id, '01', meta(0, 1), bytes([1, 0, 0])), 400, /without leading zeros/);
  await expectRefusal(coordinator.model('00'), 400, /without leading zeros/);
  await store.close();
}));

test('recovery: a coordinator reopened on the state file after a crash counts each accepted update once', withTempDir(async (dir) => {
  const path = join(dir, 's.db');
  let now = 1000;
  const first = await makeCoordinator(path, 3, { targetUpdates: 3, minClients: 3 }, () => now);
  const tokens: Record<string, string> = {};
  for (const id of ['k1', 'k2', 'k3']) tokens[id] = (await first.coordinator.register({ clientId: id, numExamples: 2 })).token;
  for (const id of ['k1', 'k2', 'k3']) await first.coordinator.checkIn(id);
  await first.coordinator.submit('k1', '1', meta(0, 2), bytes([1, 2, 3]));
  await first.coordinator.submit('k2', '1', meta(0, 2), bytes([4, 5, 6]));
  // crash: the first coordinator is abandoned without closing anything
  now += 5000; // past the deadline: recovery must give the round a grace period, not fail it
  const second = await makeCoordinator(path, 3, { targetUpdates: 3, minClients: 3 }, () => now);
  assert.equal(await second.coordinator.authenticate(tokens.k3), 'k3', 'tokens survive the restart');
  const [round] = second.coordinator.rounds();
  assert.equal(round.status, 'open');
  assert.equal(second.coordinator.status().currentRound?.accepted, 2);
  // k2 never saw its acknowledgement and retries; k3 submits for the first time
  assert.equal((await second.coordinator.submit('k2', '1', meta(0, 2), bytes([4, 5, 6]))).duplicate, true);
  await second.coordinator.submit('k3', '1', meta(0, 2), bytes([7, 8, 9]));
  assert.equal(second.coordinator.rounds()[0].status, 'completed');
  assert.deepEqual(Array.from(second.coordinator.parameters.arrays[0]), [1 + 4, 2 + 5]);
  assert.deepEqual(Array.from(second.coordinator.parameters.arrays[1]), [3 + 6]);
  await first.store.close();
  await second.store.close();
  // a third start sees the completed round and the new checkpoint
  const third = await makeCoordinator(path, 3, { targetUpdates: 3, minClients: 3 }, () => now);
  assert.equal(third.coordinator.currentModelVersion, 1);
  assert.deepEqual(Array.from(third.coordinator.parameters.arrays[0]), [5, 7]);
  await third.store.close();
  // other settings on the same file are refused
  await assert.rejects(makeCoordinator(path, 4, { targetUpdates: 3, minClients: 3 }, () => now), /different settings/);
}));
