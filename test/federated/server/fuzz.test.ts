/**
 * Fuzz: 1,200 malformed requests over real sockets (wrong shapes, NaN/±Infinity, norms over
 * the bound, truncated bodies, wrong or missing tokens, stale and unknown rounds, stale model
 * versions, bad headers and JSON, wrong media types, oversize bodies, clients that were not
 * selected). Every one must get a 4xx; afterwards the server still answers, the model and
 * the round are untouched, and a valid update is still accepted.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { SeededRandom } from '../../../src/engine/random.js';
import { RemoteSession } from '../../../src/federated/client/remote-session.js';
import { startFederationService, UPDATE_HEADERS, type StatusResponse } from '../../../src/federated/server/index.js';

const P = 32;

interface Attempt {
  kind: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
  /** Send only this many bytes of the body, then half-close the socket. */
  truncateAt?: number;
}

function rawRequest(port: number, a: Attempt): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    let response = '';
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => (response += d));
    socket.on('error', reject);
    socket.on('close', () => {
      const m = /^HTTP\/1\.1 (\d{3})/.exec(response);
      m ? resolve(Number(m[1])) : reject(new Error(`${a.kind}: no HTTP response`));
    });
    const body = a.body ?? Buffer.alloc(0);
    const head = [`${a.method} ${a.path} HTTP/1.1`, 'Host: 127.0.0.1', 'Connection: close', `Content-Length: ${body.length}`, ...Object.entries(a.headers).map(([k, v]) => `${k}: ${v}`)].join('\r\n');
    socket.write(`${head}\r\n\r\n`);
    socket.write(a.truncateAt === undefined ? body : body.subarray(0, a.truncateAt));
    socket.end();
  });
}

test('1,200 malformed requests are all refused with 4xx; the server stays up and the model is unchanged', { timeout: 180_000 }, async () => {
  const service = await startFederationService({
    source: { kind: 'synthetic', parameters: P },
    strategy: 'fedavg',
    enrolment: { mode: 'open', maxWeight: 1e6 },
    statePath: ':memory:',
    policy: { rounds: 2, targetUpdates: 2, minClients: 2, maxUpdateNorm: 5, roundTimeoutMs: 600_000 },
    http: { clientRateLimit: { perSecond: 1e6, burst: 1e6 }, addressRateLimit: { perSecond: 1e6, burst: 1e6 } },
  });
  try {
    const port = Number(new URL(service.url).port);
    const sessions = ['s1', 's2', 's3'].map(() => new RemoteSession({ server: service.url }));
    await Promise.all(sessions.map((s, i) => s.register(`fz${i}`, 3)));
    await sessions[0].checkIn();
    await sessions[1].checkIn();
    const round = (await service.coordinator.status()).currentRound!;
    const selected = sessions.filter((s) => round.selected.includes(s.clientId!));
    const outsider = sessions.find((s) => !round.selected.includes(s.clientId!))!;
    const token = selected[0].credentials!.token;
    const modelBefore = Buffer.from(await service.coordinator.model('0')).toString('hex');

    const rng = new SeededRandom(2024);
    const floats = (n: number, fill?: (i: number) => number) => {
      const a = new Float32Array(n);
      for (let i = 0; i < n; i++) a[i] = fill ? fill(i) : (rng.next() - 0.5) * 0.1;
      return Buffer.from(a.buffer);
    };
    const good = () => ({
      authorization: `Bearer ${token}`,
      'content-type': 'application/octet-stream',
      [UPDATE_HEADERS.modelVersion]: '0',
      [UPDATE_HEADERS.numExamples]: '3',
    });
    const update = `/v1/rounds/${round.round}/update`;
    const junk = () => Array.from({ length: 1 + rng.int(40) }, () => String.fromCharCode(33 + rng.int(90))).join('').replace(/[\s:]/g, 'x');
    const makers: (() => Attempt)[] = [
      () => ({ kind: 'wrong shape', method: 'PUT', path: update, headers: good(), body: floats([0, 1, P - 1, P + 1, 2 * P, 7][rng.int(6)]) }),
      () => ({ kind: 'odd byte count', method: 'PUT', path: update, headers: good(), body: Buffer.concat([floats(P - 1), Buffer.alloc(1 + rng.int(3))]) }),
      () => {
        const bad = [NaN, Infinity, -Infinity][rng.int(3)];
        const at = rng.int(P);
        return { kind: 'non-finite', method: 'PUT', path: update, headers: good(), body: floats(P, (i) => (i === at ? bad : 0.01)) };
      },
      () => ({ kind: 'norm over bound', method: 'PUT', path: update, headers: good(), body: floats(P, () => 1 + rng.next() * 100) }),
      () => ({ kind: 'truncated body', method: 'PUT', path: update, headers: good(), body: floats(P), truncateAt: rng.int(P * 4) }),
      () => ({ kind: 'wrong token', method: 'PUT', path: update, headers: { ...good(), authorization: `Bearer ${junk()}` }, body: floats(P) }),
      () => ({ kind: 'missing token', method: ['PUT', 'POST', 'GET'][rng.int(3)], path: [update, '/v1/checkin', `/v1/rounds/${round.round}/task`, '/v1/models/0'][rng.int(4)], headers: { 'content-type': 'application/json' } }),
      () => ({ kind: 'stale or unknown round', method: 'PUT', path: `/v1/rounds/${[0, 2, 3, 99, 123456789][rng.int(5)]}/update`, headers: good(), body: floats(P) }),
      () => ({ kind: 'non-numeric round', method: 'PUT', path: `/v1/rounds/${encodeURIComponent(junk())}/update`, headers: good(), body: floats(P) }),
      () => ({ kind: 'stale model version', method: 'PUT', path: update, headers: { ...good(), [UPDATE_HEADERS.modelVersion]: String(1 + rng.int(50)) }, body: floats(P) }),
      () => ({ kind: 'bad model version header', method: 'PUT', path: update, headers: { ...good(), [UPDATE_HEADERS.modelVersion]: ['-1', 'abc', '1.5', '', '9'.repeat(30)][rng.int(5)] }, body: floats(P) }),
      () => ({ kind: 'bad example count', method: 'PUT', path: update, headers: { ...good(), [UPDATE_HEADERS.numExamples]: ['0', '-3', 'many', '1e12', '99999999999', '2.5'][rng.int(6)] }, body: floats(P) }),
      () => ({ kind: 'bad metrics', method: 'PUT', path: update, headers: { ...good(), [UPDATE_HEADERS.metrics]: ['{', '[1,2]', '{"loss":"x"}', '{"loss":null}', JSON.stringify(Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`m${i}`, i]))), '{"bad key":1}', '"str"'][rng.int(7)] }, body: floats(P) }),
      () => ({ kind: 'bad dtype', method: 'PUT', path: update, headers: { ...good(), [UPDATE_HEADERS.dtype]: ['float64', 'int8', 'bfloat16', junk()][rng.int(4)] }, body: floats(P) }),
      () => ({ kind: 'wrong media type', method: 'PUT', path: update, headers: { ...good(), 'content-type': ['application/json', 'text/plain', 'multipart/form-data; boundary=x'][rng.int(3)] }, body: floats(P) }),
      () => ({ kind: 'oversize', method: 'PUT', path: update, headers: good(), body: floats(P * (2 + rng.int(100))) }),
      () => ({ kind: 'not selected', method: 'PUT', path: update, headers: { ...good(), authorization: `Bearer ${outsider.credentials!.token}` }, body: floats(P) }),
      () => ({ kind: 'bad registration', method: 'POST', path: '/v1/clients', headers: { 'content-type': 'application/json' }, body: Buffer.from([`{"clientId":`, '[]', '"x"', '{"clientId":"ok","role":"admin"}', '{"clientId":"bad id","numExamples":3}', '{"clientId":"fz0","numExamples":3}', '{"clientId":"n","numExamples":-1}', `{"clientId":"${'y'.repeat(300)}","numExamples":1}`][rng.int(8)]) }),
      () => ({ kind: 'bad check-in', method: 'POST', path: '/v1/checkin', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: Buffer.from(['{"numExamples":"x"}', '{"numExamples":-5}', '{', '[]', '{"numExamples":1.5}'][rng.int(5)]) }),
      () => ({ kind: 'bad model request', method: 'GET', path: `/v1/models/${['999', 'abc', '-1', '1.0'][rng.int(4)]}`, headers: { authorization: `Bearer ${token}` } }),
      () => ({ kind: 'unknown route', method: ['GET', 'POST', 'DELETE', 'PATCH'][rng.int(4)], path: `/${junk()}`, headers: {} }),
    ];
    const counts = new Map<string, number>();
    const failures: string[] = [];
    const TOTAL = 1200;
    for (let batch = 0; batch < TOTAL; batch += 40) {
      const attempts = Array.from({ length: 40 }, (_, i) => makers[(batch + i) % makers.length]());
      const codes = await Promise.all(attempts.map((a) => rawRequest(port, a)));
      codes.forEach((code, i) => {
        counts.set(attempts[i].kind, (counts.get(attempts[i].kind) ?? 0) + 1);
        if (code < 400 || code >= 500) failures.push(`${attempts[i].kind} ${attempts[i].method} ${attempts[i].path} → ${code}`);
      });
    }
    assert.deepEqual(failures, [], `requests not refused with 4xx:\n${failures.slice(0, 20).join('\n')}`);
    assert.equal([...counts.values()].reduce((a, b) => a + b, 0), TOTAL);
    assert.equal(counts.size, makers.length, 'every kind of malformed request was sent');

    const status = (await (await fetch(`${service.url}/v1/status`)).json()) as StatusResponse;
    assert.equal(status.modelVersion, 0);
    assert.equal(status.currentRound?.accepted, 0, 'no malformed update was accepted');
    assert.equal(Buffer.from(await service.coordinator.model('0')).toString('hex'), modelBefore, 'the model is unchanged');
    // and the server still works: the two selected clients complete the round
    for (const s of selected) await s.submit({ round: round.round, modelVersion: 0 }, new Float32Array(P).fill(0.01), 3);
    assert.equal(service.coordinator.currentModelVersion, 1);
  } finally {
    await service.close();
  }
});
