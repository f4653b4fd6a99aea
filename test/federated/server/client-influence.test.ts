/**
 * The defects of issue 18, each as a test that failed on the service before (weights a client
 * chose at enrolment or changed at check-in, a norm bound of 10,000 that bounded nothing, open
 * unauthenticated enrolment with squattable ids, no request timeouts): with default settings
 * one client among five moves the model by at most 2× the largest honest update, whatever
 * weight it claims or update it sends; nobody enrols without a code; a half-sent body gets 408.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { RemoteSession } from '../../../src/federated/client/remote-session.js';
import { startFederationService, type RunningService, type ServiceOptions } from '../../../src/federated/server/index.js';

const P = 64;

/** An honest update: a shared direction plus client-specific noise, norm about 0.013 (as in the issue). */
function honestDelta(k: number): Float32Array {
  const d = new Float32Array(P);
  for (let j = 0; j < P; j++) d[j] = 0.0015 * Math.sin(j + 1) + 0.0004 * Math.cos(7 * k + 3 * j);
  return d;
}

function attackDelta(norm: number): Float32Array {
  const d = new Float32Array(P).fill(1);
  const scale = norm / Math.sqrt(P);
  return d.map((v) => v * scale);
}

const l2 = (v: Float32Array) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));

/** One round with four honest clients and one attacker that claims `claimed` examples and sends an update of norm `attackNorm`. */
async function roundWithAttacker(extra: Partial<ServiceOptions>, claimed: number, attackNorm: number): Promise<{ movement: number; largestHonest: number; service: RunningService; attacker: RemoteSession }> {
  const service = await startFederationService({
    source: { kind: 'synthetic', parameters: P },
    strategy: 'fedavg',
    statePath: ':memory:',
    policy: { rounds: 2, targetUpdates: 5, minClients: 5, roundTimeoutMs: 60_000 },
    enrolment: { mode: 'open' },
    ...extra,
  });
  const sessions = Array.from({ length: 5 }, () => new RemoteSession({ server: service.url, attempts: 1 }));
  await Promise.all(sessions.map((s, k) => s.register(k === 4 ? 'evil' : `honest-${k}`, k === 4 ? claimed : 100)));
  await Promise.all(sessions.map((s) => s.checkIn()));
  const answers = await Promise.all(sessions.map((s) => s.checkIn()));
  assert.ok(answers.every((a) => a.action === 'train'), JSON.stringify(answers));
  for (let k = 0; k < 5; k++) {
    await sessions[k].submit({ round: 1, modelVersion: 0 }, k === 4 ? attackDelta(attackNorm) : honestDelta(k), k === 4 ? 1 : 100);
  }
  assert.equal(service.coordinator.currentModelVersion, 1);
  const model = Float32Array.from(service.coordinator.parameters.arrays[0]);
  return { movement: l2(model), largestHonest: Math.max(...[0, 1, 2, 3].map((k) => l2(honestDelta(k)))), service, attacker: sessions[4] };
}

test('a weight claimed at enrolment does not steer the model: 1 of 5 claiming 1e9 examples moves it ≤ 2× the largest honest update', async () => {
  const { movement, largestHonest, service } = await roundWithAttacker({}, 1e9, 10);
  try {
    assert.ok(largestHonest > 0.005 && largestHonest < 0.02, `honest norm ${largestHonest}`);
    // before: the attacker's weight was its claim, the model moved by 10.0 (its update)
    assert.ok(movement <= 2 * largestHonest, `moved ${movement} vs largest honest ${largestHonest}`);
    const round = service.coordinator.rounds()[0];
    assert.equal(round.metrics.clippedUpdates, 1, 'the attacker\'s update was clipped to the round\'s bound');
  } finally {
    await service.close();
  }
});

test('a check-in cannot change the weight: numExamples at check-in is refused and the enrolled weight stays', async () => {
  const { movement, largestHonest, service, attacker } = await roundWithAttacker({ policy: { rounds: 2, targetUpdates: 5, minClients: 5, roundTimeoutMs: 60_000 } }, 100, 10);
  try {
    assert.ok(movement <= 2 * largestHonest, `moved ${movement}`);
    const r = await fetch(`${service.url}/v1/checkin`, {
      method: 'POST',
      headers: { authorization: `Bearer ${attacker.credentials!.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ numExamples: 1e9 }),
    });
    // before: 200, and the coordinator overwrote the weight with the new claim
    assert.equal(r.status, 400);
    assert.match(((await r.json()) as { error: { message: string } }).error.message, /numExamples.*fixed at enrolment/);
    const stored = (await service.store.listClients()).find((c) => c.id === 'evil')!;
    assert.equal(stored.weight, 1);
  } finally {
    await service.close();
  }
});

test('the default norm bound means something: an equal-weight update of norm 9,999 moves the model ≤ 2× the largest honest update', async () => {
  const { movement, largestHonest, service } = await roundWithAttacker({}, 100, 9_999);
  try {
    // before: the bound was 10,000 and the model moved by 2,000 (69,000× an honest update)
    assert.ok(movement <= 2 * largestHonest, `moved ${movement} vs largest honest ${largestHonest}`);
  } finally {
    await service.close();
  }
});

test('enrolment is closed by default: no code → 401; a dataset federation refuses ids outside its partition and squatting a partition id needs its code', async () => {
  const service = await startFederationService({
    source: { kind: 'dataset', dataset: 'synthetic', partition: 'iid', numClients: 4, model: 'embbag', seed: 0 },
    strategy: 'fedavg',
    statePath: ':memory:',
    policy: { rounds: 1, targetUpdates: 2, minClients: 2 },
  });
  try {
    const post = (body: unknown) => fetch(`${service.url}/v1/clients`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    // before: 201, and the outsider's 1e9 examples weighted it; the owner then got 409
    const squat = await post({ clientId: 'client-0', numExamples: 1e9 });
    assert.equal(squat.status, 401);
    const { invites } = await service.coordinator.issueInvites({ clientIds: ['client-0'], count: 1 });
    const outside = await service.coordinator.issueInvites({ count: 1 });
    const stranger = await post({ clientId: 'not-in-partition', enrolmentCode: outside.invites[0].code });
    assert.equal(stranger.status, 403);
    assert.match(((await stranger.json()) as { error: { message: string } }).error.message, /not in the federation's partition/);
    const owner = await post({ clientId: 'client-0', numExamples: 1e9, enrolmentCode: invites[0].code });
    assert.equal(owner.status, 201);
    const partitionExamples = (service.coordinator.federation().clients as { id: string; examples: number }[]).find((c) => c.id === 'client-0')!.examples;
    const stored = (await service.store.listClients())[0];
    assert.equal(stored.numExamples, partitionExamples, 'the partition\'s count, not the claim');
    assert.equal(stored.weight, 1);
  } finally {
    await service.close();
  }
});

test('registrations from one address are rate limited by default (2,000 at once no longer get through)', async () => {
  const service = await startFederationService({ source: { kind: 'synthetic', parameters: 4 }, strategy: 'fedavg', statePath: ':memory:', policy: { rounds: 1, targetUpdates: 1 }, enrolment: { mode: 'open' } });
  try {
    const codes: number[] = [];
    for (let batch = 0; batch < 4; batch++) {
      codes.push(
        ...(await Promise.all(
          Array.from({ length: 50 }, (_, i) => fetch(`${service.url}/v1/clients`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ clientId: `burst-${batch}-${i}` }) }).then((r) => r.status)),
        )),
      );
    }
    const created = codes.filter((c) => c === 201).length;
    assert.ok(created >= 20 && created <= 25, `${created} of 200 registrations got through (burst 20 at 2/s)`);
    assert.equal(codes.filter((c) => c === 429).length, 200 - created);
  } finally {
    await service.close();
  }
});

/** Opens a raw connection and writes `text`; resolves with what the server answered and whether it closed the socket within `ms`. */
function rawExchange(port: number, text: string, ms: number): Promise<{ response: string; closed: boolean; socket: Socket }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1' });
    let response = '';
    let closed = false;
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => (response += d));
    socket.on('error', () => undefined);
    socket.on('close', () => (closed = true));
    socket.once('connect', () => socket.write(text));
    socket.once('error', reject);
    setTimeout(() => resolve({ response, closed, socket }), ms);
  });
}

test('slow requests: a half-sent body or half-sent headers get 408 and the socket is closed; idle keep-alive connections close; one address holds a bounded number of connections', { timeout: 60_000 }, async () => {
  const service = await startFederationService({
    source: { kind: 'synthetic', parameters: 16 },
    strategy: 'fedavg',
    statePath: ':memory:',
    policy: { rounds: 1, targetUpdates: 2, minClients: 2 },
    enrolment: { mode: 'open' },
    http: { connections: { headersTimeoutMs: 1000, requestTimeoutMs: 1500, keepAliveTimeoutMs: 1000, maxConnectionsPerAddress: 30 } },
  });
  try {
    const port = Number(new URL(service.url).port);
    const session = new RemoteSession({ server: service.url });
    const { token } = await session.register('slow');
    const started = Date.now();
    // 20 uploads that declare 64 bytes and send 10 (before: all still open and unanswered after 140 s)
    const slowBodies = await Promise.all(
      Array.from({ length: 20 }, () =>
        rawExchange(
          port,
          `PUT /v1/rounds/1/update HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/octet-stream\r\nx-trustnlu-model-version: 0\r\nx-trustnlu-num-examples: 1\r\nContent-Length: 64\r\n\r\n0123456789`,
          4000,
        ),
      ),
    );
    for (const r of slowBodies) {
      assert.match(r.response, /^HTTP\/1\.1 408/, r.response || '(no answer)');
      assert.ok(r.closed, 'the socket was closed');
    }
    const slowHeaders = await rawExchange(port, 'GET /v1/status HTTP/1.1\r\nHost: x\r\n', 3000);
    assert.match(slowHeaders.response, /^HTTP\/1\.1 408/, slowHeaders.response || '(no answer)');
    assert.ok(slowHeaders.closed);
    assert.ok(Date.now() - started < 15_000);
    // an idle keep-alive connection after a complete request is closed by the server
    const idle = await rawExchange(port, 'GET /v1/status HTTP/1.1\r\nHost: x\r\n\r\n', 2500);
    assert.match(idle.response, /^HTTP\/1\.1 200/);
    assert.ok(idle.closed, 'idle keep-alive closed after its timeout');
    // the per-address cap: 30 connections held open, the 31st is refused at once
    const held = await Promise.all(Array.from({ length: 30 }, () => rawExchange(port, '', 200)));
    const extra = await rawExchange(port, '', 500);
    assert.match(extra.response, /^HTTP\/1\.1 429/);
    assert.match(extra.response, /too many open connections/);
    for (const h of held) h.socket.destroy();
    await new Promise((r) => setTimeout(r, 200));
    const after = await rawExchange(port, 'GET /v1/status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', 500);
    assert.match(after.response, /^HTTP\/1\.1 200/, 'connections count down when they close');
  } finally {
    await service.close();
  }
});
