/**
 * The HTTP layer (Fastify inject, no sockets): tokens (none or wrong → 401), registration,
 * binary tasks and updates, body and media-type limits, rate limits (429 with Retry-After),
 * strict request schemas (unknown fields → 400 naming them), answers that say what really
 * happened (a "__proto__" key, round 0, "01", a resolved ".." path), and the OpenAPI document,
 * generated from the route schemas, listing exactly the routes the server answers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createStrategy } from '../../../src/federated/strategies/index.js';
import { SqliteFederationStore } from '../../../src/federated/store/index.js';
import { createFederationServer, RoundCoordinator, UPDATE_HEADERS } from '../../../src/federated/server/index.js';

async function setup(options: { clientRateLimit?: { perSecond: number; burst: number }; enrolment?: 'open' | 'invite'; adminToken?: string } = {}) {
  const store = new SqliteFederationStore(':memory:');
  const coordinator = await RoundCoordinator.open({
    store,
    strategy: createStrategy('fedavg', { clientsPerRound: 2 }),
    initialParameters: { names: ['w'], arrays: [new Float32Array(4)] },
    policy: { rounds: 3, targetUpdates: 2, minClients: 2, maxUpdateNorm: 10 },
    fingerprint: {},
    enrolment: { mode: options.enrolment ?? 'open' },
  });
  const app = await createFederationServer(coordinator, {
    clientRateLimit: options.clientRateLimit ?? { perSecond: 1000, burst: 1000 },
    enrolRateLimit: { perSecond: 1000, burst: 1000 },
    ...(options.adminToken ? { adminToken: options.adminToken } : {}),
  });
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

test('the OpenAPI document is generated from the route schemas: exactly the routes the server answers, with their statuses', async () => {
  const { app, store } = await setup();
  const r = await app.inject({ method: 'GET', url: '/openapi.json' });
  assert.equal(r.statusCode, 200);
  const doc = r.json() as { openapi: string; paths: Record<string, Record<string, { responses: Record<string, unknown>; requestBody?: { content: Record<string, { schema: { additionalProperties?: boolean } }> } }>> };
  assert.equal(doc.openapi, '3.1.0');
  const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`)).sort();
  // every documented operation is a route, and every route (pages and HEAD aside) is documented
  for (const op of documented) {
    const [method, path] = op.split(' ');
    assert.ok(app.hasRoute({ method: method as 'GET', url: path.replace(/\{(\w+)\}/g, ':$1') }), `documented but not served: ${op}`);
  }
  const expected = [
    'POST /v1/clients', 'POST /v1/admin/invites', 'POST /v1/checkin', 'GET /v1/rounds/{round}/task', 'GET /v1/models/{version}', 'PUT /v1/rounds/{round}/update',
    'GET /v1/rounds/{round}/secagg', 'POST /v1/rounds/{round}/secagg/advertise', 'POST /v1/rounds/{round}/secagg/share', 'POST /v1/rounds/{round}/secagg/masked-input',
    'POST /v1/rounds/{round}/secagg/unmask', 'POST /v1/rounds/{round}/evaluation', 'GET /v1/rounds/{round}/evaluation/task', 'GET /v1/rounds/{round}/evaluation/secagg',
    'POST /v1/rounds/{round}/evaluation/secagg/advertise', 'POST /v1/rounds/{round}/evaluation/secagg/share', 'POST /v1/rounds/{round}/evaluation/secagg/masked-input',
    'POST /v1/rounds/{round}/evaluation/secagg/unmask', 'GET /v1/status', 'GET /v1/rounds', 'GET /v1/federation', 'GET /v1/metrics', 'GET /openapi.json', 'GET /dashboard', 'GET /client',
    // private analytics (analytics-routes.ts)
    'GET /v1/analytics/{round}/task', 'POST /v1/analytics/{round}/report', 'GET /v1/analytics/{round}/secagg', 'POST /v1/analytics/{round}/secagg/advertise',
    'POST /v1/analytics/{round}/secagg/share', 'POST /v1/analytics/{round}/secagg/masked-input', 'POST /v1/analytics/{round}/secagg/unmask', 'GET /v1/admin/analytics',
  ].sort();
  assert.deepEqual(documented, expected);
  const update = doc.paths['/v1/rounds/{round}/update'].put;
  for (const code of ['200', '400', '401', '403', '404', '408', '409', '413', '415', '429']) assert.ok(update.responses[code], `update lacks ${code}`);
  assert.ok(update.requestBody?.content['application/octet-stream'], 'the binary update body is documented');
  for (const path of ['/v1/clients', '/v1/checkin', '/v1/admin/invites', '/v1/rounds/{round}/secagg/advertise', '/v1/rounds/{round}/evaluation', '/v1/rounds/{round}/evaluation/secagg/unmask']) {
    assert.equal(doc.paths[path].post.requestBody?.content['application/json'].schema.additionalProperties, false, `${path} refuses unknown fields`);
  }
  await app.close();
  await store.close();
});

test('unknown JSON fields are refused with 400 naming every one of them; a misspelt field is never silently ignored', async () => {
  const { app, store, register } = await setup();
  const t = await register('strict');
  const reg = await app.inject({ method: 'POST', url: '/v1/clients', payload: { clientId: 'x1', numExamples: 3, role: 'admin' } });
  assert.equal(reg.statusCode, 400, reg.body);
  assert.match(reg.json().error.message, /unknown field "role" in the body; allowed: clientId, numExamples, enrolmentCode/);
  const auth = { authorization: `Bearer ${t}` };
  const two = await app.inject({ method: 'POST', url: '/v1/checkin', headers: auth, payload: { wait_ms: 1000, num_examples: 5 } });
  assert.equal(two.statusCode, 400, two.body);
  assert.match(two.json().error.message, /unknown fields "wait_ms", "num_examples" in the body; allowed: waitMs/);
  const retired = await app.inject({ method: 'POST', url: '/v1/checkin', headers: auth, payload: { numExamples: 1e9 } });
  assert.equal(retired.statusCode, 400, retired.body);
  assert.match(retired.json().error.message, /"numExamples".*fixed at enrolment/);
  const query = await app.inject({ method: 'GET', url: '/v1/rounds/1/secagg?waitMs=10&wait=1', headers: auth });
  assert.equal(query.statusCode, 400, query.body);
  assert.match(query.json().error.message, /unknown field "wait" in the query/);
  const secure = await app.inject({ method: 'POST', url: '/v1/rounds/1/secagg/advertise', headers: auth, payload: { index: 0, encryptionPublicKey: { $bytes: 'AA==' }, maskingPublicKey: { $bytes: 'AA==' }, extra: 1 } });
  assert.equal(secure.statusCode, 400, secure.body);
  assert.match(secure.json().error.message, /unknown field "extra"/);
  const nothing = await app.inject({ method: 'POST', url: '/v1/clients', payload: { numExamples: 3 } });
  assert.equal(nothing.statusCode, 400);
  assert.match(nothing.json().error.message, /lacks the required field "clientId"/);
  assert.equal(store instanceof Object && (await store.listClients()).length, 1, 'nothing refused was registered');
  await app.close();
  await store.close();
});

test('answers say what happened: a "__proto__" key, round 0, a round written "01", a model path resolved by the client', async () => {
  const { app, store, register } = await setup();
  const t = await register('plain');
  const proto = await app.inject({ method: 'POST', url: '/v1/clients', headers: { 'content-type': 'application/json' }, payload: '{"clientId":"p1","__proto__":{"x":1}}' });
  assert.equal(proto.statusCode, 400, proto.body);
  assert.doesNotMatch(proto.json().error.message, /not valid JSON/);
  assert.match(proto.json().error.message, /unknown field "__proto__"/);
  const invalid = await app.inject({ method: 'POST', url: '/v1/clients', headers: { 'content-type': 'application/json' }, payload: '{"clientId":' });
  assert.match(invalid.json().error.message, /not valid JSON/);
  const auth = { authorization: `Bearer ${t}` };
  const zero = await app.inject({ method: 'GET', url: '/v1/rounds/0/task', headers: auth });
  assert.equal(zero.statusCode, 400, zero.body);
  assert.match(zero.json().error.message, /rounds are numbered from 1/);
  assert.doesNotMatch(zero.json().error.message, /closed/);
  const padded = await app.inject({ method: 'GET', url: '/v1/rounds/01/task', headers: auth });
  assert.equal(padded.statusCode, 400, padded.body);
  assert.match(padded.json().error.message, /without leading zeros/);
  const version = await app.inject({ method: 'GET', url: '/v1/models/00', headers: auth });
  assert.equal(version.statusCode, 400, version.body);
  const later = await app.inject({ method: 'GET', url: '/v1/rounds/7/task', headers: auth });
  assert.equal(later.statusCode, 404);
  assert.match(later.json().error.message, /round 7 has not opened/);
  // what a client sends for /v1/models/.. after resolving the ".." itself
  const resolved = await app.inject({ method: 'GET', url: '/v1/', headers: auth });
  assert.equal(resolved.statusCode, 404);
  assert.match(resolved.json().error.message, /only the start of a route.*resolved by the HTTP client/);
  await app.close();
  await store.close();
});

test('invite enrolment: no code → 401, codes from the admin route enrol once, a bound code only its id; the admin route needs the admin token', async () => {
  const adminToken = 'a'.repeat(43);
  const { app, store } = await setup({ enrolment: 'invite', adminToken });
  const bare = await app.inject({ method: 'POST', url: '/v1/clients', payload: { clientId: 'squatter', numExamples: 1e9 } });
  assert.equal(bare.statusCode, 401, bare.body);
  assert.match(bare.json().error.message, /enrols by invitation/);
  for (const authorization of [undefined, 'Bearer wrong-token-wrong-token-wrong-token-1234']) {
    const r = await app.inject({ method: 'POST', url: '/v1/admin/invites', headers: authorization ? { authorization } : {}, payload: { count: 1 } });
    assert.equal(r.statusCode, 401, r.body);
  }
  const issued = await app.inject({ method: 'POST', url: '/v1/admin/invites', headers: { authorization: `Bearer ${adminToken}` }, payload: { count: 1 } });
  assert.equal(issued.statusCode, 201, issued.body);
  const [{ code }] = (issued.json() as { invites: { code: string }[] }).invites;
  const bound = ((await app.inject({ method: 'POST', url: '/v1/admin/invites', headers: { authorization: `Bearer ${adminToken}` }, payload: { clientIds: ['owner'] } })).json() as { invites: { code: string }[] }).invites[0].code;
  const wrong = await app.inject({ method: 'POST', url: '/v1/clients', payload: { clientId: 'fake', enrolmentCode: 'x'.repeat(43) } });
  assert.equal(wrong.statusCode, 401);
  const ok = await app.inject({ method: 'POST', url: '/v1/clients', payload: { clientId: 'first', numExamples: 1e9, enrolmentCode: code } });
  assert.equal(ok.statusCode, 201, ok.body);
  assert.equal((ok.json() as { weight: number }).weight, 1, 'the default weight is 1 whatever the claim');
  const again = await app.inject({ method: 'POST', url: '/v1/clients', payload: { clientId: 'second', enrolmentCode: code } });
  assert.equal(again.statusCode, 401);
  assert.match(again.json().error.message, /already used/);
  const squat = await app.inject({ method: 'POST', url: '/v1/clients', payload: { clientId: 'squatter', enrolmentCode: bound } });
  assert.equal(squat.statusCode, 403);
  assert.match(squat.json().error.message, /for client "owner"/);
  assert.equal((await app.inject({ method: 'POST', url: '/v1/clients', payload: { clientId: 'owner', enrolmentCode: bound } })).statusCode, 201);
  assert.deepEqual((await store.listClients()).map((c) => c.id).sort(), ['first', 'owner']);
  await app.close();
  await store.close();
  const off = await setup({ enrolment: 'invite' });
  const r = await off.app.inject({ method: 'POST', url: '/v1/admin/invites', headers: { authorization: `Bearer ${adminToken}` }, payload: { count: 1 } });
  assert.equal(r.statusCode, 403, 'no admin token configured: the admin route is off');
  await off.app.close();
  await off.store.close();
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
