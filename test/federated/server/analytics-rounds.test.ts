/**
 * Private analytics in the service: TrieHH heavy hitters and a label histogram answered by
 * clients over HTTP. At ε = ∞ with every client taking part, the service's answer equals the
 * simulator's exact one on the same data, plain and under secure aggregation; malformed
 * reports are refused with a 400 naming the problem; a client reports once per round.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Client } from '../../../src/federated/client/client.js';
import { RemoteSession } from '../../../src/federated/client/remote-session.js';
import { runRemoteClient } from '../../../src/federated/client/remote-runner.js';
import { calibrateRounds, dpLabelHistogram, trieHeavyHitters, userItemsFromTexts } from '../../../src/federated/analytics/index.js';
import { createStrategy } from '../../../src/federated/strategies/index.js';
import { SqliteFederationStore } from '../../../src/federated/store/index.js';
import { createFederationServer, RoundCoordinator, type AnalyticsResult, type AnalyticsSettings } from '../../../src/federated/server/index.js';
import { ADMIN, adminAnalytics, analyticsService, runIdleClients } from './analytics-service.js';

/** Six users' requests: "weather", "alarm" and "the" are common, "what's" and "set" less so. */
const TEXTS: string[][] = [
  ["What's the weather", 'set an alarm'],
  ['weather today', 'alarm at six'],
  ['the weather in Paris', 'play jazz'],
  ['Set an alarm', "what's up"],
  ['weather', 'alarm please', 'the news'],
  ['play the news'],
];
const LABELS: string[][] = [['weather', 'alarm'], ['weather', 'alarm'], ['weather', 'music'], ['alarm', 'chat'], ['weather', 'alarm', 'news'], ['music']];

async function runService(analytics: AnalyticsSettings, clients: number, secure: boolean): Promise<AnalyticsResult> {
  const service = await analyticsService({ ...analytics, minClients: clients }, { rounds: 0, targetUpdates: 1 }, secure);
  try {
    const summaries = await runIdleClients(service.url, Array.from({ length: clients }, (_, k) => ({ texts: TEXTS[k], labels: LABELS[k] })));
    assert.ok(summaries.every((s) => s.finished && s.analyticsAnswered >= 1), JSON.stringify(summaries));
    const response = await adminAnalytics(service.url);
    assert.equal(response.status, 200);
    const result = (await response.json()) as AnalyticsResult;
    assert.equal(result.status, 'done', JSON.stringify(result));
    assert.equal(result.aggregation, secure ? 'secure' : 'plain');
    assert.ok(result.rounds.every((r) => r.participants === clients && r.reports === clients), JSON.stringify(result.rounds));
    // without the admin token the result is not served
    assert.equal((await fetch(`${service.url}/v1/admin/analytics`)).status, 401);
    return result;
  } finally {
    await service.close();
  }
}

const HEAVY: AnalyticsSettings = { kind: 'heavy-hitters', epsilon: Infinity, delta: 1e-6, k: 3, unit: 'word', maxLength: 8, votesPerDevice: 8 };

async function simulatorTop(k: number) {
  const users = userItemsFromTexts(TEXTS.flatMap((texts, u) => texts.map((text) => ({ user: `u${u}`, text }))), 'word');
  return trieHeavyHitters({ users, k, epsilon: Infinity, delta: 1e-6, maxLength: 8, votesPerDevice: 8 });
}

test('heavy hitters at ε = ∞ with every client: the service returns the simulator\'s exact items and counts', { timeout: 60_000 }, async () => {
  const result = await runService(HEAVY, 6, false);
  const simulated = await simulatorTop(3);
  assert.deepEqual(result.items, simulated.items);
  assert.deepEqual(result.discovered, simulated.discovered);
  // hand count: "alarm" (u0, u1, u3, u4), "the" (u0, u2, u4, u5), "weather" (u0, u1, u2, u4): 4 users each, ties by text
  assert.deepEqual(result.items, [{ item: 'alarm', estimate: 4 }, { item: 'the', estimate: 4 }, { item: 'weather', estimate: 4 }]);
  assert.ok(result.discovered!.some((d) => d.item === "what's" && d.estimate === 2));
  assert.equal(result.rounds.length, simulated.roundsRun);
  assert.equal(result.countNoiseStd, 0);
});

test('heavy hitters under secure aggregation: masked 0/1 vectors, the same exact answer', { timeout: 120_000 }, async () => {
  const result = await runService(HEAVY, 6, true);
  const simulated = await simulatorTop(3);
  assert.deepEqual(result.items, simulated.items);
  assert.deepEqual(result.discovered, simulated.discovered);
});

test('label histogram at ε = ∞: the service\'s counts equal the simulator\'s, plain and secure (clip C = 1.5 scales some clients)', { timeout: 120_000 }, async () => {
  const labels = ['alarm', 'chat', 'music', 'news', 'weather'];
  const simulated = await dpLabelHistogram({ devices: LABELS, labels, clipNorm: 1.5, epsilon: Infinity, delta: 1e-6 });
  assert.ok(simulated.clippedDevices > 0);
  for (const secure of [false, true]) {
    const result = await runService({ kind: 'histogram', epsilon: Infinity, delta: 1e-6, labels, clipNorm: 1.5 }, 6, secure);
    assert.deepEqual(result.bins, labels);
    result.noisyCounts!.forEach((c, i) => assert.ok(Math.abs(c - simulated.trueCounts[i]) < 1e-6, `${secure} ${labels[i]}: ${c} vs ${simulated.trueCounts[i]}`));
  }
});

async function injectSetup(analytics: AnalyticsSettings) {
  const store = new SqliteFederationStore(':memory:');
  const coordinator = await RoundCoordinator.open({
    store,
    strategy: createStrategy('fedavg', { clientsPerRound: 1 }),
    initialParameters: { names: ['w'], arrays: [new Float32Array(2)] },
    policy: { rounds: 0, targetUpdates: 1, minClients: 2, seed: 1 },
    fingerprint: {},
    enrolment: { mode: 'open' },
    analytics: { ...analytics, minClients: 3 },
  });
  const app = await createFederationServer(coordinator, { adminToken: ADMIN, tickMs: 60_000, clientRateLimit: { perSecond: 1000, burst: 1000 }, enrolRateLimit: { perSecond: 1000, burst: 1000 } });
  const tokens = new Map<string, string>();
  for (const id of ['a', 'b', 'c', 'd']) {
    const r = await app.inject({ method: 'POST', url: '/v1/clients', payload: { clientId: id } });
    tokens.set(id, (r.json() as { token: string }).token);
  }
  const auth = (id: string) => ({ authorization: `Bearer ${tokens.get(id)}` });
  const checkIn = async (id: string) => (await app.inject({ method: 'POST', url: '/v1/checkin', headers: auth(id), payload: {} })).json() as { action: string; round?: number };
  for (const id of ['a', 'b', 'c']) await checkIn(id);
  await coordinator.tick();
  const report = (id: string, payload: unknown, round = '1') => app.inject({ method: 'POST', url: `/v1/analytics/${round}/report`, headers: auth(id), payload: payload as object });
  const message = (r: { json: () => unknown }) => (r.json() as { error: { message: string } }).error.message;
  return { app, coordinator, checkIn, report, auth, message };
}

test('heavy-hitter reports: unknown fields, candidates not offered, repeated votes, too many votes, counts, a second report are refused, naming the problem', async () => {
  const { app, checkIn, report, auth, message } = await injectSetup({ ...HEAVY, votesPerDevice: 2 });
  const told = await checkIn('a');
  assert.equal(told.action, 'analytics');
  assert.equal(told.round, 1);
  assert.equal((await checkIn('d')).action, 'wait', 'a client not available when the round opened is not a participant; it waits while the task runs');
  const task = await app.inject({ method: 'GET', url: '/v1/analytics/1/task', headers: auth('a') });
  assert.equal(task.statusCode, 200, task.body);
  const hh = (task.json() as { heavyHitters: { level: number; prefixes: string[]; candidates: number; alphabet: string } }).heavyHitters;
  assert.equal(hh.level, 1);
  assert.deepEqual(hh.prefixes, ['']);
  assert.equal(hh.candidates, hh.alphabet.length + 1);
  const cases: [unknown, number, RegExp][] = [
    [{ votes: ['w'], extra: 1 }, 400, /unknown field "extra"/],
    [{ votes: ['wh'] }, 400, /candidate "wh" has 2 characters; the candidates of analytics round 1 have 1/],
    [{ votes: ['\u00e9'] }, 400, /candidate "\u00e9" was not offered/],
    [{ votes: ['!'] }, 400, /candidate "!" was not offered/],
    [{ votes: ['w', 'w'] }, 400, /two votes for candidate "w"/],
    [{ votes: ['w', 'a', 't'] }, 400, /3 votes, but a client votes for at most 2/],
    [{ counts: [1] }, 400, /heavy-hitters round: send "votes"/],
    [{}, 400, /needs "votes"/],
    [{ votes: [1] }, 400, /votes\.0 in the body must be string/],
    [{ votes: 'w' }, 400, /votes in the body must be array/],
  ];
  for (const [payload, status, pattern] of cases) {
    const r = await report('a', payload);
    assert.equal(r.statusCode, status, `${JSON.stringify(payload)}: ${r.body}`);
    assert.match(message(r), pattern, JSON.stringify(payload));
  }
  assert.equal((await report('d', { votes: ['w'] })).statusCode, 403, 'not a participant');
  assert.equal((await report('a', { votes: ['w'] }, '2')).statusCode, 409, 'no such round open');
  assert.equal((await report('a', { votes: ['w'] }, '01')).statusCode, 400);
  const first = await report('a', { votes: ['w', 'a'] });
  assert.equal(first.statusCode, 200, first.body);
  assert.deepEqual(first.json(), { accepted: true, round: 1, duplicate: false });
  assert.deepEqual((await report('a', { votes: ['w', 'a'] })).json(), { accepted: true, round: 1, duplicate: true }, 'an identical retry is a duplicate');
  const second = await report('a', { votes: ['t'] });
  assert.equal(second.statusCode, 409);
  assert.match(message(second), /already reported/);
  assert.equal((await checkIn('a')).action, 'wait', 'a client that reported is not asked again');
  // the admin route needs the admin token; the round is still open, nothing released
  assert.equal((await app.inject({ method: 'GET', url: '/v1/admin/analytics' })).statusCode, 401);
  const result = (await app.inject({ method: 'GET', url: '/v1/admin/analytics', headers: { authorization: `Bearer ${ADMIN}` } })).json() as AnalyticsResult;
  assert.equal(result.status, 'running');
  assert.deepEqual(result.rounds, []);
  await app.close();
});

test('histogram reports: wrong length, negative, huge or over-the-clip counts are refused; the privacy parameters are the calibrated ones', async () => {
  const { app, coordinator, report, message } = await injectSetup({ kind: 'histogram', epsilon: 2, delta: 1e-6, labels: ['x', 'y', 'z'], clipNorm: 2 });
  const cases: [unknown, RegExp][] = [
    [{ counts: [1, 1] }, /counts has 2 values, the task has 3 labels/],
    [{ counts: [1, -1, 0] }, /counts\.1 in the body must be >= 0/],
    [{ counts: [1, 1e12, 0] }, /counts\.1 in the body must be <= 1000000000/],
    [{ counts: [2, 1, 0] }, /L2 norm 2\.23607 exceeds the clip norm 2/],
    [{ votes: ['x'] }, /histogram round: send "counts"/],
    [{ counts: [1, 0, 0], more: true }, /unknown field "more"/],
  ];
  for (const [payload, pattern] of cases) {
    const r = await report('b', payload);
    assert.equal(r.statusCode, 400, `${JSON.stringify(payload)}: ${r.body}`);
    assert.match(message(r), pattern, JSON.stringify(payload));
  }
  for (const id of ['a', 'b', 'c']) assert.equal((await report(id, { counts: [1, 1, 1] })).statusCode, 200);
  const result = coordinator.analyticsTask().result();
  assert.equal(result.status, 'done');
  const sigma = calibrateRounds({ epsilon: 2, delta: 1e-6, rounds: 1 }).noiseMultiplier;
  assert.ok(sigma > 1);
  assert.equal(result.noiseMultiplier, sigma);
  assert.equal(result.noiseStd, sigma * 2);
  assert.equal(result.noisyCounts!.length, 3);
  assert.ok(result.noisyCounts!.some((c) => c !== 3), 'noise was added');
  await app.close();
});

test('the OpenAPI document lists the analytics routes with strict bodies', async () => {
  const { app } = await injectSetup(HEAVY);
  const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json() as { paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: { additionalProperties?: boolean } }> } }>> };
  for (const path of ['/v1/analytics/{round}/task', '/v1/analytics/{round}/report', '/v1/analytics/{round}/secagg', '/v1/analytics/{round}/secagg/masked-input', '/v1/admin/analytics']) assert.ok(doc.paths[path], path);
  assert.equal(doc.paths['/v1/analytics/{round}/report'].post.requestBody!.content['application/json'].schema.additionalProperties, false);
  await app.close();
});

test('analytics beside training: clients train first, answer analytics rounds when idle, and are told done only when both are over', { timeout: 60_000 }, async () => {
  const service = await analyticsService({ ...HEAVY, minClients: 3 }, { rounds: 2, targetUpdates: 3, minClients: 3 }, false);
  try {
    const trainer = (k: number): Client => ({
      id: `u${k}`,
      fit: async (parameters) => ({ delta: { names: parameters.names, arrays: [Float32Array.from([0.01 * (k + 1), 0, 0, 0])] }, numExamples: 1, metrics: { loss: 1 } }),
      evaluate: async () => ({ loss: 0, numExamples: 0, metrics: {} }),
    });
    const summaries = await Promise.all(
      [0, 1, 2].map(async (k) => {
        const session = new RemoteSession({ server: service.url });
        await session.register(`u${k}`);
        return runRemoteClient({ session, client: trainer(k), analyticsData: { texts: TEXTS[k] }, longPollMs: 1000, timeLimitMs: 50_000 });
      }),
    );
    assert.ok(summaries.every((s) => s.finished && s.updatesSubmitted === 2 && s.analyticsAnswered >= 1), JSON.stringify(summaries));
    assert.equal(service.coordinator.rounds().filter((r) => r.status === 'completed').length, 2);
    const result = service.coordinator.analyticsTask().result();
    assert.equal(result.status, 'done');
    const users = userItemsFromTexts(TEXTS.slice(0, 3).flatMap((texts, u) => texts.map((text) => ({ user: `u${u}`, text }))), 'word');
    const simulated = await trieHeavyHitters({ users, k: 3, epsilon: Infinity, delta: 1e-6, maxLength: 8, votesPerDevice: 8 });
    assert.deepEqual(result.items, simulated.items);
  } finally {
    await service.close();
  }
});
