/**
 * Secure aggregation over two server processes (two RoundCoordinators on one Redis, as two
 * `--workers` processes have): every client fetches its request from one process and posts its
 * reply to the other, alternating stage by stage, so no process sees all of a stage's replies
 * itself. Each process's replica of the session follows the shared journal, the stages close
 * once, the round closes once, and the model at both processes is the weighted mean of the
 * five updates (to fixed-point precision); the journal holds each reply once (a retried reply
 * at the other process is a duplicate) and one close per stage.
 */
import { after, before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createStrategy } from '../../../src/federated/strategies/index.js';
import { RedisFederationStore } from '../../../src/federated/store/index.js';
import { RoundCoordinator } from '../../../src/federated/server/index.js';
import type { SecureJournalEntry } from '../../../src/federated/server/secure-round.js';
import { SecAggClient, fromWire, toWire, webSecAggCrypto } from '../../../src/federated/secagg/index.js';
import { REDIS_MISSING, redisInstalled, startLocalRedis, type LocalRedis } from '../store/local-redis.js';

const P = 24;
const K = 5;
const examples = (k: number) => 2 + k;
const deltaOf = (k: number) => Float32Array.from({ length: P }, (_, j) => (((k * 13 + j * 7) % 11) - 5) / 100);
let redis: LocalRedis | undefined;

before(async () => {
  if (redisInstalled()) redis = await startLocalRedis();
});
after(async () => {
  await redis?.stop();
});

async function serverProcess(prefix: string) {
  const store = await RedisFederationStore.connect(redis!.url, { prefix });
  const coordinator = await RoundCoordinator.open({
    store,
    strategy: createStrategy('fedavg', { clientsPerRound: K }),
    initialParameters: { names: ['w'], arrays: [new Float32Array(P)] },
    policy: { rounds: 1, targetUpdates: K, minClients: K, minUpdates: 3, roundTimeoutMs: 120_000, availabilityWindowMs: 60_000, maxUpdateNorm: 100 },
    fingerprint: { test: 'secagg-shared' },
    enrolment: { mode: 'open', maxWeight: 100 },
    shared: true,
    secureAggregation: { range: 1, stageTimeoutMs: 60_000 },
  });
  return { store, coordinator };
}

/**
 * Two processes on a new prefix with K registered clients (each known to both by its token, as
 * the HTTP layer reads it through) that checked in at both, so round 1 is open with all K
 * selected; `body` runs, then both processes are drained and closed.
 */
async function twoProcesses(t: TestContext, name: string, body: (sides: RoundCoordinator[], ids: string[], a: { store: RedisFederationStore }) => Promise<void>): Promise<void> {
  if (!redisInstalled()) {
    t.skip(REDIS_MISSING);
    return;
  }
  const prefix = `${name}-${Date.now()}`;
  const a = await serverProcess(prefix);
  const b = await serverProcess(prefix);
  const sides = [a.coordinator, b.coordinator];
  try {
    const ids = Array.from({ length: K }, (_, k) => `${name}${k}`);
    for (let k = 0; k < K; k++) {
      const { token } = await sides[k % 2].register({ clientId: ids[k], numExamples: examples(k) });
      for (const side of sides) assert.equal(await side.authenticate(token), ids[k]);
    }
    for (let k = 0; k < K; k++) await sides[k % 2].checkIn(ids[k]);
    for (let k = 0; k < K; k++) assert.equal((await sides[(k + 1) % 2].checkIn(ids[k])).action, 'train', `client ${k} is selected for round 1`);
    await body(sides, ids, a);
  } finally {
    await a.coordinator.drain();
    await b.coordinator.drain();
    await a.store.close();
    await b.store.close();
  }
}

test('secure aggregation across two server processes: replies split between them, one sum, one close', { timeout: 120_000 }, (t: TestContext) =>
  twoProcesses(t, 'sx', async (sides, ids, a) => {
    const inputs = await Promise.all(
      ids.map(async (id, k) => {
        const task = await sides[k % 2].task(id, '1');
        assert.ok(task.secureAggregation, 'the task announces secure aggregation');
        return Float64Array.from(deltaOf(k), (v) => v * task.secureAggregation!.weight);
      }),
    );
    const clients = ids.map(() => new SecAggClient(webSecAggCrypto()));
    const stages = ['advertise', 'share', 'masked-input', 'unmask'] as const;
    for (const [s, stage] of stages.entries()) {
      // client k asks process (k + s) mod 2 and answers to the other one
      const requests = await Promise.all(ids.map((id, k) => sides[(k + s) % 2].secureRequest(id, '1')));
      for (const [k, answer] of requests.entries()) {
        assert.equal(answer.stage, stage, `client ${k} sees stage ${stage} at process ${(k + s) % 2}`);
        assert.ok(answer.request !== undefined, `client ${k} has a request in stage ${stage}`);
      }
      const replies = await Promise.all(
        requests.map(async (answer, k) => {
          const request = fromWire(answer.request) as never;
          if (stage === 'advertise') return toWire(await clients[k].advertiseKeys(request));
          if (stage === 'share') return toWire(await clients[k].shareKeys(request));
          if (stage === 'masked-input') return toWire(await clients[k].maskedInput(request, inputs[k]));
          return toWire(await clients[k].unmask(request));
        }),
      );
      // the last reply of each stage goes in after the others, and its retry at the other process is a duplicate
      await Promise.all(replies.slice(0, K - 1).map((reply, k) => sides[(k + s + 1) % 2].secureReply(ids[k], '1', stage, reply)));
      if (stage !== 'unmask') {
        assert.deepEqual(await sides[(K - 1 + s + 1) % 2].secureReply(ids[K - 1], '1', stage, replies[K - 1]), { accepted: true, stage });
        assert.deepEqual(await sides[(K - 1 + s) % 2].secureReply(ids[K - 1], '1', stage, replies[K - 1]), { accepted: true, stage, duplicate: true });
      } else {
        await sides[(K - 1 + s + 1) % 2].secureReply(ids[K - 1], '1', stage, replies[K - 1]);
      }
    }
    // the session is over: until the round closes, neither process sends a party to train for it again
    for (const side of sides) for (const id of ids) assert.notEqual((await side.checkIn(id)).action, 'train', `${id} must not be asked to train for a finished session`);
    // the round closes under the round lease at whichever process ticks first; the other adopts the model
    for (let i = 0; i < 50 && sides.some((c) => c.status().roundsCompleted < 1); i++) {
      await Promise.all(sides.map((c) => c.tick()));
      await Promise.all(sides.map((c) => c.refresh()));
    }
    const total = ids.reduce((sum, _, k) => sum + examples(k), 0);
    const expected = Array.from({ length: P }, (_, j) => ids.reduce((sum, _, k) => sum + examples(k) * deltaOf(k)[j], 0) / total);
    for (const [i, side] of sides.entries()) {
      const status = side.status();
      assert.equal(status.roundsCompleted, 1, `process ${i} sees round 1 completed`);
      const [round] = side.rounds();
      assert.equal(round.status, 'completed');
      assert.equal(round.metrics.secaggSurvivors, K);
      assert.deepEqual([...round.aggregated].sort(), ids, 'every party aggregated once');
      const model = side.parameters.arrays[0];
      for (let j = 0; j < P; j++) assert.ok(Math.abs(model[j] - expected[j]) < 1e-6, `process ${i}, coordinate ${j}: ${model[j]} vs ${expected[j]}`);
    }
    assert.deepEqual(await a.store.updatesOf(1), [], 'no individual update was stored');
  }),
);

test('the shared journal is one total order: each reply once, one close per stage', { timeout: 120_000 }, (t: TestContext) =>
  twoProcesses(t, 'sj', async (sides, ids, a) => {
    const clients = ids.map(() => new SecAggClient(webSecAggCrypto()));
    // both processes take replies at the same time, and every reply is also retried at the other one
    const requests = await Promise.all(ids.map((id, k) => sides[k % 2].secureRequest(id, '1')));
    const replies = await Promise.all(requests.map(async (answer, k) => toWire(await clients[k].advertiseKeys(fromWire(answer.request) as never))));
    const outcomes = await Promise.all(replies.flatMap((reply, k) => [sides[0].secureReply(ids[k], '1', 'advertise', reply), sides[1].secureReply(ids[k], '1', 'advertise', reply)]));
    assert.equal(outcomes.filter((o) => o.duplicate).length, K, 'one of each pair is the duplicate');
    const journal = (await a.store.secureEntries(1)).map((e) => JSON.parse(e) as SecureJournalEntry);
    assert.deepEqual(journal.map((e) => e.kind), ['session', ...ids.map(() => 'reply'), 'close']);
    assert.deepEqual(journal.filter((e) => e.kind === 'reply').map((e) => (e as { index: number }).index).sort(), [0, 1, 2, 3, 4]);
    // both replicas moved on to the next stage
    for (const [k, id] of ids.entries()) assert.equal((await sides[(k + 1) % 2].secureRequest(id, '1')).stage, 'share');
  }),
);
