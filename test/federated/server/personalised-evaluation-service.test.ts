/**
 * Personalised evaluation in the service and the strictness of the evaluation routes: the
 * evaluation task carries the server's bounded fine-tuning settings (seeded per client), a
 * sampled client reports its sums before and after fine-tuning, and /v1/rounds holds the
 * before, after, delta and improved-clients estimates with their intervals (hand-worked). Every
 * field is checked: unknown fields are refused by name, sums must be consistent, a client may
 * not count more held-out examples than the server knows it holds, nor fine-tune on more
 * training examples than it enrolled with.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createStrategy } from '../../../src/federated/strategies/index.js';
import { SqliteFederationStore } from '../../../src/federated/store/index.js';
import { createFederationServer, RoundCoordinator, UPDATE_HEADERS } from '../../../src/federated/server/index.js';
import type { EvaluationTaskResponse } from '../../../src/federated/server/evaluation-protocol.js';

const PERSONALISATION = { localEpochs: 2, learningRate: 0.01, optimizer: 'adam' as const, batchSize: 8, maxSteps: 5 };

async function setup(options: { personalised: boolean; evaluation?: boolean; heldOut?: Record<string, number> } = { personalised: true }) {
  const store = new SqliteFederationStore(':memory:');
  const coordinator = await RoundCoordinator.open({
    store,
    strategy: createStrategy('fedavg', { clientsPerRound: 2 }),
    initialParameters: { names: ['w'], arrays: [new Float32Array(4)] },
    policy: { rounds: 1, targetUpdates: 2, minClients: 4, maxUpdateNorm: 10, seed: 3 },
    fingerprint: {},
    enrolment: { mode: 'open', maxWeight: 100 },
    ...(options.evaluation === false
      ? {}
      : {
          federatedEvaluation: {
            every: 1,
            clients: 3,
            ...(options.personalised ? { personalisation: PERSONALISATION } : {}),
            // what a dataset federation knows from its partition: each client's held-out share
            heldOutExamples: new Map(Object.entries(options.heldOut ?? { a: 15, b: 15, c: 15, d: 15 })),
          },
        }),
  });
  const app = await createFederationServer(coordinator, { clientRateLimit: { perSecond: 1000, burst: 1000 }, enrolRateLimit: { perSecond: 1000, burst: 1000 } });
  const tokens = new Map<string, string>();
  for (const id of ['a', 'b', 'c', 'd']) {
    const r = await app.inject({ method: 'POST', url: '/v1/clients', payload: { clientId: id, numExamples: 8 } });
    assert.equal(r.statusCode, 201, r.body);
    tokens.set(id, (r.json() as { token: string }).token);
  }
  const auth = (id: string) => ({ authorization: `Bearer ${tokens.get(id)}` });
  const checkIn = async (id: string) => (await app.inject({ method: 'POST', url: '/v1/checkin', headers: auth(id), payload: {} })).json() as { action: string; round?: number };
  for (const id of tokens.keys()) await checkIn(id);
  const trainers = [];
  for (const id of tokens.keys()) if ((await checkIn(id)).action === 'train') trainers.push(id);
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
  for (const id of tokens.keys()) ((await checkIn(id)).action === 'evaluate' ? evaluators : idle).push(id);
  const report = (id: string, payload: unknown, round = '1') => app.inject({ method: 'POST', url: `/v1/rounds/${round}/evaluation`, headers: auth(id), payload: payload as object });
  const get = (id: string, url: string) => app.inject({ method: 'GET', url, headers: auth(id) });
  const post = (id: string, url: string, payload: unknown) => app.inject({ method: 'POST', url, headers: auth(id), payload: payload as object });
  return { app, store, coordinator, evaluators, idle, report, get, post };
}

test('personalised evaluation: the task carries the server\'s bounded settings; /v1/rounds holds before, after, delta and improved clients with hand-worked intervals', async () => {
  const { app, store, coordinator, evaluators, report, get } = await setup();
  assert.equal(evaluators.length, 3);
  const tasks = await Promise.all(evaluators.map(async (id) => (await get(id, '/v1/rounds/1/evaluation/task')).json() as EvaluationTaskResponse));
  for (const task of tasks) {
    assert.equal(task.modelVersion, 1);
    assert.equal(task.parametersPath, '/v1/models/1');
    assert.deepEqual({ ...task.personalisation, seed: 0 }, { ...PERSONALISATION, seed: 0 });
    assert.ok(Number.isInteger(task.personalisation!.seed));
    assert.equal(task.secureAggregation, undefined);
    assert.equal(task.limits.maxExamples, 15, 'the public scale tightened to the largest held-out share');
    assert.deepEqual(task.metrics, ['accuracy', 'accuracyAll', 'loss', 'before', 'after', 'delta', 'improvedClients']);
  }
  assert.notEqual(tasks[0].personalisation!.seed, tasks[1].personalisation!.seed, 'one fine-tuning seed per client');
  // (examples, correct before, correct after): (10, 8, 9), (5, 3, 3), (15, 9, 12); each tuned on its 8 training examples
  const cases = [[10, 8, 9], [5, 3, 3], [15, 9, 12]];
  for (let i = 0; i < 3; i++) {
    const [examples, before, after] = cases[i];
    const r = await report(evaluators[i], { modelVersion: 1, examples, correct: before, lossSum: examples, personalised: { trainExamples: 8, correct: after, lossSum: examples / 2 } });
    assert.equal(r.statusCode, 200, r.body);
  }
  await coordinator.drain();
  const m = ((await app.inject({ method: 'GET', url: '/v1/rounds' })).json() as { rounds: { metrics: Record<string, number> }[] }).rounds[0].metrics;
  const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) < 1e-6, `${what}: ${a} vs ${b}`);
  // delta pairs (y, n) = (1, 10), (0, 5), (3, 15): R = 4/30; residuals −1/3, −2/3, 1 → s² = 7/9; n̄ = 10; fpc 1 − 3/4:
  // SE = √(¼·(7/9)/300) = 0.0254588, t(0.975, 2)·SE = 0.1095402
  close(m.federatedPersonalisedDelta, 4 / 30, 'delta');
  close(m.federatedPersonalisedDeltaLow, 4 / 30 - 0.1095402, 'delta low');
  close(m.federatedPersonalisedDeltaHigh, 4 / 30 + 0.1095402, 'delta high');
  close(m.federatedPersonalisedBefore, 20 / 30, 'before');
  // after: (9, 10), (3, 5), (12, 15): R = 0.8, residuals 1, −1, 0 → s² = 1, SE = √(¼/300), half 0.1242069
  close(m.federatedPersonalisedAfter, 0.8, 'after');
  close(m.federatedPersonalisedAfterHigh, 0.8 + 0.1242069, 'after high');
  // improved (1, 0, 1) over 1 each: 2/3, s² = 1/3, SE = √(¼·(1/3)/3) = 1/6, half 0.7171088 (clamped to [0, 1])
  close(m.federatedPersonalisedImprovedClients, 2 / 3, 'improved');
  close(m.federatedPersonalisedImprovedClientsLow, 0, 'improved low (clamped)');
  close(m.federatedAccuracy, 20 / 30, 'the plain estimate is still there');
  await app.close();
  await store.close();
});

test('evaluation routes refuse malformed input with a reason: unknown and inconsistent fields, counts over what the client holds, wrong routes', async () => {
  const shares: Record<string, number> = { a: 11, b: 12, c: 13, d: 14 };
  const { app, store, evaluators, idle, report, get, post } = await setup({ personalised: true, heldOut: shares });
  // x holds fewer held-out examples than the public limit (the largest share, 14)
  const [x, y] = [...evaluators].sort((p, q) => shares[p] - shares[q]);
  const good = { modelVersion: 1, examples: 10, correct: 8, lossSum: 6.5, personalised: { trainExamples: 8, correct: 9, lossSum: 5 } };
  const cases: [unknown, number, RegExp][] = [
    [{ ...good, personalised: { ...good.personalised, extra: 1 } }, 400, /unknown field "personalised\.extra"/],
    [{ ...good, personalised: { trainExamples: 8, correct: 9 } }, 400, /lossSum/],
    [{ ...good, personalised: { ...good.personalised, correct: 1.5 } }, 400, /correct/],
    [{ ...good, personalised: undefined }, 400, /is personalised: add personalised/],
    [{ ...good, personalised: { ...good.personalised, correct: 11 } }, 400, /personalised\.correct 11 exceeds examples 10/],
    [{ ...good, personalised: { ...good.personalised, trainExamples: 9 } }, 400, /trainExamples 9 exceeds the 8 training examples client ".+" enrolled with/],
    [{ ...good, personalised: { ...good.personalised, lossSum: 1e5 } }, 400, /personalised\.lossSum .* exceeds examples × 20/],
    [{ ...good, personalised: { ...good.personalised, inScopeCorrect: 1 } }, 400, /personalised\.inScopeCorrect goes with inScope/],
    [{ ...good, inScope: 8, inScopeCorrect: 6 }, 400, /personalised\.inScopeCorrect goes with inScope/],
    [{ ...good, inScope: 8, inScopeCorrect: 6, personalised: { ...good.personalised, inScopeCorrect: 9 } }, 400, /personalised\.inScopeCorrect 9 exceeds inScope 8/],
    [{ ...good, examples: shares[x] + 1 }, 400, new RegExp(`examples ${shares[x] + 1} exceeds the ${shares[x]} held-out examples client "${x}" holds`)],
    [{ ...good, examples: 15 }, 400, /examples 15 exceeds the server's report limit 14/],
    [{ ...good, modelVersion: 2 }, 409, /version 1/],
  ];
  for (const [payload, status, message] of cases) {
    const r = await report(x, payload);
    assert.equal(r.statusCode, status, `${JSON.stringify(payload)}: ${r.body}`);
    assert.match((r.json() as { error: { message: string } }).error.message, message, JSON.stringify(payload));
  }
  // the task route: a sampled client only, a well-written open round only
  assert.equal((await get(idle[0], '/v1/rounds/1/evaluation/task')).statusCode, 403);
  assert.equal((await get(x, '/v1/rounds/01/evaluation/task')).statusCode, 400);
  assert.equal((await get(x, '/v1/rounds/7/evaluation/task')).statusCode, 409);
  assert.equal((await app.inject({ method: 'GET', url: '/v1/rounds/1/evaluation/task' })).statusCode, 401);
  // the secure routes of a plain evaluation: 409 naming the plain route; bodies are validated first
  const notSecure = await get(x, '/v1/rounds/1/evaluation/secagg');
  assert.equal(notSecure.statusCode, 409, notSecure.body);
  assert.match(notSecure.json().error.message, /not aggregated securely; post the sums to \/v1\/rounds\/1\/evaluation/);
  const unknown = await post(x, '/v1/rounds/1/evaluation/secagg/advertise', { index: 0, encryptionPublicKey: { $bytes: '' }, maskingPublicKey: { $bytes: '' }, weight: 3 });
  assert.equal(unknown.statusCode, 400);
  assert.match(unknown.json().error.message, /unknown field "weight"/);
  assert.equal((await get(x, '/v1/rounds/1/evaluation/secagg?waitMs=99999')).statusCode, 400);
  assert.equal((await get(x, '/v1/rounds/1/evaluation/secagg?wait=1')).statusCode, 400);
  // a valid report, its retry, a different one
  assert.equal((await report(x, good)).statusCode, 200);
  assert.equal((await report(x, good)).json().duplicate, true);
  assert.equal((await report(x, { ...good, personalised: { ...good.personalised, correct: 7 } })).statusCode, 409);
  assert.equal((await report(y, { ...good, examples: 11, correct: 11, lossSum: 1, personalised: { trainExamples: 0, correct: 11, lossSum: 1 } })).statusCode, 200, 'a client with no train share reports after = before');
  await app.close();
  await store.close();
});

test('a plain evaluation refuses personalised sums; the held-out cap applies without personalisation too; a federation without evaluation answers 409', async () => {
  const plain = await setup({ personalised: false });
  const [x] = plain.evaluators;
  const r = await plain.report(x, { modelVersion: 1, examples: 10, correct: 8, lossSum: 6.5, personalised: { trainExamples: 1, correct: 1, lossSum: 1 } });
  assert.equal(r.statusCode, 400);
  assert.match(r.json().error.message, /not personalised: drop the field "personalised"/);
  const task = (await plain.get(x, '/v1/rounds/1/evaluation/task')).json() as EvaluationTaskResponse;
  assert.equal(task.personalisation, undefined);
  assert.deepEqual(task.metrics, ['accuracy', 'accuracyAll', 'loss']);
  await plain.app.close();
  await plain.store.close();
  const none = await setup({ personalised: false, evaluation: false });
  const t = await none.get('a', '/v1/rounds/1/evaluation/task');
  assert.equal(t.statusCode, 409);
  assert.match(t.json().error.message, /--evaluate-every/);
  await none.app.close();
  await none.store.close();
});
