/**
 * The HTTP layer (Fastify inject, no sockets): tokens (none or wrong → 401), registration,
 * binary tasks and updates, body and media-type limits, rate limits (429 with Retry-After),
 * and the OpenAPI document listing every route the server answers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createStrategy } from '../../../src/federated/strategies/index.js';
import { SqliteFederationStore } from '../../../src/federated/store/index.js';
import { createFederationServer, RoundCoordinator, UPDATE_HEADERS } from '../../../src/federated/server/index.js';

async function setup(options: { clientRateLimit?: { perSecond: number; burst: number } } = {}) {
  const store = new SqliteFederationStore(':memory:');
  const coordinator = await RoundCoordinator.open({
    store,
    strategy: createStrategy('fedavg', { clientsPerRound: 2 }),
    initialParameters: { names: ['w'], arrays: [new Float32Array(4)] },
    policy: { rounds: 3, targetUpdates: 2, minClients: 2, maxUpdateNorm: 10 },
    fingerprint: {},
  });
  const app = await createFederationServer(coordinator, { clientRateLimit: options.clientRateLimit ?? { perSecond: 1000, burst: 1000 } });
  const register = async (clientId: string) => {
    const r = await app.inject({ method: 'POST', url: '/v1/clients', payload: { clientId, numExamples: 2 } });
    assert.equal(r.statusCode, 201, r.body);
    return (r.json() as { token: string }).token;
  };
  return { app, coordinator, store, register };
}

const updateHeaders = (token: string, version = 0) => ({
  authorization: `Bearer ${token}`,
  'content-type': 'application/octet-stream',
  [UPDATE_HEADERS.modelVersion]: String(version),
  [UPDATE_HEADERS.numExamples]: '2',
  [UPDATE_HEADERS.metrics]: '{"loss":0.25}',
});

test('register → check in → task → parameters → update over HTTP; the round aggregates', async () => {
  const { app, store, register } = await setup();
  const a = await register('alpha');
  const b = await register('beta');
  const dup = await app.inject({ method: 'POST', url: '/v1/clients', payload: { clientId: 'alpha', numExamples: 2 } });
  assert.equal(dup.statusCode, 409);
  for (const token of [a, b]) {
    const r = await app.inject({ method: 'POST', url: '/v1/checkin', headers: { authorization: `Bearer ${token}` }, payload: {} });
    assert.equal(r.statusCode, 200);
  }
  const checkIn = await app.inject({ method: 'POST', url: '/v1/checkin', headers: { authorization: `Bearer ${a}` }, payload: {} });
  assert.deepEqual((checkIn.json() as { action: string }).action, 'train');
  const task = (await app.inject({ method: 'GET', url: '/v1/rounds/1/task', headers: { authorization: `Bearer ${a}` } })).json() as { parametersPath: string; layout: unknown };
  assert.deepEqual(task.layout, { names: ['w'], lengths: [4] });
  const params = await app.inject({ method: 'GET', url: task.parametersPath, headers: { authorization: `Bearer ${a}` } });
  assert.equal(params.headers['content-type'], 'application/octet-stream');
  assert.equal(params.rawPayload.byteLength, 16);
  for (const [token, values] of [[a, [1, 2, 3, 4]], [b, [3, 2, 1, 0]]] as const) {
    const r = await app.inject({ method: 'PUT', url: '/v1/rounds/1/update', headers: updateHeaders(token), payload: Buffer.from(Float32Array.from(values).buffer) });
    assert.equal(r.statusCode, 200, r.body);
  }
  const status = (await app.inject({ method: 'GET', url: '/v1/status' })).json() as { modelVersion: number; roundsCompleted: number };
  assert.equal(status.modelVersion, 1);
  const model = await app.inject({ method: 'GET', url: '/v1/models/1', headers: { authorization: `Bearer ${a}` } });
  assert.deepEqual(Array.from(new Float32Array(new Uint8Array(model.rawPayload).buffer)), [2, 2, 2, 2]);
  await app.close();
  await store.close();
});

test('no token, a malformed header or a wrong token → 401 with a JSON error; none of them reaches the round', async () => {
  const { app, store, register } = await setup();
  await register('gamma');
  for (const authorization of [undefined, 'Basic abc', 'Bearer ', 'Bearer wrong-token', `Bearer ${'x'.repeat(300)}`]) {
    for (const [method, url] of [['POST', '/v1/checkin'], ['GET', '/v1/rounds/1/task'], ['GET', '/v1/models/0'], ['PUT', '/v1/rounds/1/update']] as const) {
      const r = await app.inject({ method, url, headers: authorization ? { authorization } : {}, ...(method === 'POST' ? { payload: {} } : {}) });
      assert.equal(r.statusCode, 401, `${method} ${url} with ${authorization}: ${r.body}`);
      assert.equal((r.json() as { error: { type: string } }).error.type, 'Unauthorized');
    }
  }
  await app.close();
  await store.close();
});

test('body limits and media types: oversize → 413, wrong content type → 415, bad JSON → 400', async () => {
  const { app, store, register } = await setup();
  const t = await register('delta');
  const big = await app.inject({ method: 'PUT', url: '/v1/rounds/1/update', headers: updateHeaders(t), payload: Buffer.alloc(17) });
  assert.equal(big.statusCode, 413, big.body);
  const text = await app.inject({ method: 'PUT', url: '/v1/rounds/1/update', headers: { ...updateHeaders(t), 'content-type': 'text/plain' }, payload: 'abcd' });
  assert.equal(text.statusCode, 415, text.body);
  const badJson = await app.inject({ method: 'POST', url: '/v1/clients', headers: { 'content-type': 'application/json' }, payload: '{"clientId":' });
  assert.equal(badJson.statusCode, 400, badJson.body);
  const hugeJson = await app.inject({ method: 'POST', url: '/v1/clients', payload: { clientId: 'x', pad: 'y'.repeat(20000) } });
  assert.equal(hugeJson.statusCode, 413, hugeJson.body);
  const unknown = await app.inject({ method: 'GET', url: '/v2/anything' });
  assert.equal(unknown.statusCode, 404);
  await app.close();
  await store.close();
});

test('rate limit: a client over its budget gets 429 with Retry-After', async () => {
  const { app, store, register } = await setup({ clientRateLimit: { perSecond: 1, burst: 3 } });
  const t = await register('eps');
  const codes: number[] = [];
  let retryAfter: string | undefined;
  for (let i = 0; i < 6; i++) {
    const r = await app.inject({ method: 'POST', url: '/v1/checkin', headers: { authorization: `Bearer ${t}` }, payload: {} });
    codes.push(r.statusCode);
    if (r.statusCode === 429) retryAfter = r.headers['retry-after'] as string;
  }
  assert.deepEqual(codes.slice(0, 3), [200, 200, 200]);
  assert.ok(codes.slice(3).every((c) => c === 429), codes.join(','));
  assert.ok(Number(retryAfter) >= 1);
  await app.close();
  await store.close();
});

test('the OpenAPI document is served and documents every route and status the server uses', async () => {
  const { app, store } = await setup();
  const r = await app.inject({ method: 'GET', url: '/openapi.json' });
  assert.equal(r.statusCode, 200);
  const doc = r.json() as { openapi: string; paths: Record<string, Record<string, { responses: Record<string, unknown> }>> };
  assert.equal(doc.openapi, '3.1.0');
  assert.deepEqual(doc, JSON.parse(readFileSync(join(process.cwd(), 'web', 'openapi.json'), 'utf8')));
  for (const path of ['/v1/clients', '/v1/checkin', '/v1/rounds/{round}/task', '/v1/models/{version}', '/v1/rounds/{round}/update', '/v1/status', '/v1/rounds', '/v1/federation', '/v1/rounds/{round}/secagg', '/v1/rounds/{round}/secagg/{stage}']) {
    assert.ok(doc.paths[path], `missing ${path}`);
  }
  const update = doc.paths['/v1/rounds/{round}/update'].put.responses;
  for (const code of ['200', '400', '401', '403', '404', '409', '413', '415', '429']) assert.ok(update[code], `update lacks ${code}`);
  await app.close();
  await store.close();
});

test('long polling: a held check-in answers "train" as soon as the round opens, not after its wait', async () => {
  const { app, store, register } = await setup();
  const a = await register('lp-a');
  const b = await register('lp-b');
  const started = Date.now();
  const held = app.inject({ method: 'POST', url: '/v1/checkin', headers: { authorization: `Bearer ${a}` }, payload: { waitMs: 20_000 } });
  await new Promise((r) => setTimeout(r, 50));
  await app.inject({ method: 'POST', url: '/v1/checkin', headers: { authorization: `Bearer ${b}` }, payload: {} });
  const answer = (await held).json() as { action: string; round: number };
  assert.equal(answer.action, 'train');
  assert.equal(answer.round, 1);
  assert.ok(Date.now() - started < 10_000, 'the held check-in was released by the round opening');
  const bad = await app.inject({ method: 'POST', url: '/v1/checkin', headers: { authorization: `Bearer ${a}` }, payload: { waitMs: 10 ** 9 } });
  assert.equal(bad.statusCode, 400);
  await app.close();
  await store.close();
});
