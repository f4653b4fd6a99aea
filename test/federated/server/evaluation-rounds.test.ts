/**
 * Federated evaluation in the service: after a completed round the server samples clients,
 * tells them to evaluate at check-in, takes their sums at POST /v1/rounds/{r}/evaluation
 * (strict schema, consistency checks, one report per client) and writes the estimate with its
 * interval into the round's metrics (/v1/rounds). Hand-worked aggregate; malformed reports.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createStrategy } from '../../../src/federated/strategies/index.js';
import { SqliteFederationStore } from '../../../src/federated/store/index.js';
import { createFederationServer, RoundCoordinator, UPDATE_HEADERS } from '../../../src/federated/server/index.js';

async function setup() {
  const store = new SqliteFederationStore(':memory:');
  const coordinator = await RoundCoordinator.open({
    store,
    strategy: createStrategy('fedavg', { clientsPerRound: 2 }),
    initialParameters: { names: ['w'], arrays: [new Float32Array(4)] },
    policy: { rounds: 1, targetUpdates: 2, minClients: 4, maxUpdateNorm: 10, seed: 3 },
    fingerprint: {},
    enrolment: { mode: 'open' },
    federatedEvaluation: { every: 1, clients: 3 },
  });
  const app = await createFederationServer(coordinator, { clientRateLimit: { perSecond: 1000, burst: 1000 }, enrolRateLimit: { perSecond: 1000, burst: 1000 } });
  const tokens = new Map<string, string>();
  for (const id of ['a', 'b', 'c', 'd']) {
    const r = await app.inject({ method: 'POST', url: '/v1/clients', payload: { clientId: id } });
    assert.equal(r.statusCode, 201, r.body);
    tokens.set(id, (r.json() as { token: string }).token);
  }
  const auth = (id: string) => ({ authorization: `Bearer ${tokens.get(id)}` });
  const checkIn = async (id: string) => (await app.inject({ method: 'POST', url: '/v1/checkin', headers: auth(id), payload: {} })).json() as { action: string; round?: number; modelVersion?: number };
  for (const id of tokens.keys()) await checkIn(id);
  // round 1: the two clients told to train submit; the round closes and the evaluation of model 1 opens
  const trainers = [];
  for (const id of tokens.keys()) if ((await checkIn(id)).action === 'train') trainers.push(id);
  assert.equal(trainers.length, 2);
  for (const id of trainers) {
    const r = await app.inject({
      method: 'PUT',
      url: '/v1/rounds/1/update',
      headers: { ...auth(id), 'content-type': 'application/octet-stream', [UPDATE_HEADERS.modelVersion]: '0', [UPDATE_HEADERS.numExamples]: '2' },
      payload: Buffer.from(new Float32Array([1, 1, 1, 1]).buffer),
    });
    assert.equal(r.statusCode, 200, r.body);
  }
  const evaluators: string[] = [];
  const idle: string[] = [];
  for (const id of tokens.keys()) {
    const answer = await checkIn(id);
    if (answer.action === 'evaluate') {
      assert.equal(answer.round, 1);
      assert.equal(answer.modelVersion, 1);
      evaluators.push(id);
    } else {
      assert.equal(answer.action, 'done');
      idle.push(id);
    }
  }
  const report = (id: string, payload: unknown, round = '1') => app.inject({ method: 'POST', url: `/v1/rounds/${round}/evaluation`, headers: auth(id), payload: payload as object });
  return { app, store, coordinator, evaluators, idle, report, checkIn };
}

test('three sampled clients report sums; /v1/rounds holds the hand-worked estimate and interval', async () => {
  const { app, store, coordinator, evaluators, idle, report, checkIn } = await setup();
  assert.equal(evaluators.length, 3, 'K = 3 of the 4 available clients');
  assert.equal(idle.length, 1);
  // (correct, examples, loss sum) = (8, 10, 6.5), (3, 5, 4.25), (9, 15, 9): accuracy 20/30 = 2/3, loss 19.75/30.
  // Residuals 4/3, −1/3, −1 → s² = 13/9; n̄ = 10; frame N = 4 available clients, K = 3 → fpc 1/4:
  // SE = √(¼ · (13/9)/(3·100)) = 0.0346944; t(0.975, 2) = 4.3026527 → 2/3 ± 0.149278.
  const sums = [
    { examples: 10, correct: 8, lossSum: 6.5 },
    { examples: 5, correct: 3, lossSum: 4.25 },
    { examples: 15, correct: 9, lossSum: 9 },
  ];
  for (let i = 0; i < 3; i++) {
    const r = await report(evaluators[i], { modelVersion: 1, ...sums[i] });
    assert.equal(r.statusCode, 200, r.body);
    assert.deepEqual(r.json(), { accepted: true, round: 1, duplicate: false });
    if (i < 2) assert.equal((await checkIn(evaluators[i])).action, 'done', 'a client that reported is not asked again');
  }
  await coordinator.drain(); // the evaluation's write
  const rounds = (await app.inject({ method: 'GET', url: '/v1/rounds' })).json() as { rounds: { round: number; metrics: Record<string, number> }[] };
  const m = rounds.rounds[0].metrics;
  const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) < 1e-6, `${what}: ${a} vs ${b}`);
  close(m.federatedAccuracy, 2 / 3, 'federatedAccuracy');
  close(m.federatedAccuracyLow, 2 / 3 - 0.149278, 'low');
  close(m.federatedAccuracyHigh, 2 / 3 + 0.149278, 'high');
  close(m.federatedLoss, 19.75 / 30, 'federatedLoss');
  assert.equal(m.federatedEvaluationClients, 3);
  assert.equal(m.federatedEvaluationExamples, 30);
  // durable: the store holds the same metrics
  const stored = (await store.listRounds())[0].metrics;
  close(stored.federatedAccuracy, 2 / 3, 'stored federatedAccuracy');
  await app.close();
  await store.close();
});

test('malformed or inconsistent evaluation reports are refused with a reason; one report per client', async () => {
  const { app, store, evaluators, idle, report } = await setup();
  const [x, y] = evaluators;
  const good = { modelVersion: 1, examples: 10, correct: 8, lossSum: 6.5 };
  const cases: [unknown, number, RegExp][] = [
    [{ ...good, extra: 1 }, 400, /extra/],
    [{ ...good, examples: '10' }, 400, /examples/],
    [{ ...good, correct: 2.5 }, 400, /correct/],
    [{ ...good, lossSum: -1 }, 400, /lossSum/],
    [{ modelVersion: 1, examples: 10, correct: 8 }, 400, /lossSum/],
    [{ ...good, correct: 11 }, 400, /correct 11 exceeds examples 10/],
    [{ ...good, inScope: 5 }, 400, /inScope and inScopeCorrect go together/],
    [{ ...good, inScope: 5, inScopeCorrect: 6 }, 400, /inScopeCorrect 6 exceeds inScope 5/],
    [{ ...good, lossSum: 1e6 }, 400, /lossSum .* exceeds examples × 20/],
    [{ ...good, examples: 5000, correct: 1 }, 400, /report limit 1000/],
    [{ ...good, modelVersion: 0 }, 409, /version 1/],
    [[1, 2], 400, /./],
    ['text', 415, /application\/json/],
  ];
  for (const [payload, status, message] of cases) {
    const r = await report(x, payload);
    assert.equal(r.statusCode, status, `${JSON.stringify(payload)}: ${r.body}`);
    assert.match((r.json() as { error: { message: string } }).error.message, message, JSON.stringify(payload));
  }
  assert.equal((await report(x, good, '01')).statusCode, 400);
  assert.equal((await report(x, good, '7')).statusCode, 409);
  assert.equal((await report(idle[0], good)).statusCode, 403, 'a client that was not sampled');
  assert.equal((await app.inject({ method: 'POST', url: '/v1/rounds/1/evaluation', payload: good })).statusCode, 401);
  assert.equal((await report(x, good)).statusCode, 200);
  assert.equal((await report(x, good)).json().duplicate, true, 'an identical retry');
  assert.equal((await report(x, { ...good, correct: 7 })).statusCode, 409, 'a different second report');
  assert.equal((await report(y, { ...good, examples: 4, correct: 4, lossSum: 1 })).statusCode, 200);
  // the OpenAPI document describes the route with its strict body
  const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json() as { paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: { additionalProperties?: boolean } }> } }>> };
  assert.equal(doc.paths['/v1/rounds/{round}/evaluation'].post.requestBody!.content['application/json'].schema.additionalProperties, false);
  await app.close();
  await store.close();
});

test('a federation without --evaluate-every refuses evaluation reports (409)', async () => {
  const store = new SqliteFederationStore(':memory:');
  const coordinator = await RoundCoordinator.open({
    store,
    strategy: createStrategy('fedavg', { clientsPerRound: 2 }),
    initialParameters: { names: ['w'], arrays: [new Float32Array(4)] },
    policy: { rounds: 1, targetUpdates: 2, minClients: 2 },
    fingerprint: {},
    enrolment: { mode: 'open' },
  });
  const app = await createFederationServer(coordinator, {});
  const token = ((await app.inject({ method: 'POST', url: '/v1/clients', payload: { clientId: 'a' } })).json() as { token: string }).token;
  const r = await app.inject({ method: 'POST', url: '/v1/rounds/1/evaluation', headers: { authorization: `Bearer ${token}` }, payload: { modelVersion: 0, examples: 1, correct: 1, lossSum: 0 } });
  assert.equal(r.statusCode, 409);
  assert.match(r.body, /--evaluate-every/);
  await app.close();
  await store.close();
});
