/**
 * Distributed noise in the service: each client adds its discrete Gaussian share before masking,
 * the server adds nothing. At ε = ∞ the secure histogram equals the true counts; at finite ε the
 * task carries the server's σ_i (calibrated for t = minClients) and the released counts are
 * integers near the truth. Without secure aggregation the server refuses to start, and a client
 * refuses a task whose share σ is out of range or that asks for distributed noise in the clear.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RemoteSession } from '../../../src/federated/client/remote-session.js';
import { answerAnalyticsRound } from '../../../src/federated/client/analytics-answers.js';
import { integerCountsL1Bound, planDistributedNoise } from '../../../src/federated/analytics/index.js';
import type { AnalyticsResult, AnalyticsTaskResponse } from '../../../src/federated/server/index.js';
import { adminAnalytics, analyticsService, runIdleClients } from './analytics-service.js';
import { ConfigError } from '../../../src/errors.js';

const LABELS: string[][] = [['weather', 'alarm'], ['weather', 'alarm'], ['weather', 'music'], ['alarm', 'chat'], ['weather', 'alarm', 'news'], ['music']];
const BINS = ['alarm', 'chat', 'music', 'news', 'weather'];
const TRUE_COUNTS = [4, 1, 2, 1, 4];

async function runHistogram(epsilon: number): Promise<AnalyticsResult> {
  const running = await analyticsService({ kind: 'histogram', epsilon, delta: 1e-6, labels: BINS, clipNorm: 2, minClients: 6, noise: 'distributed' }, { rounds: 0, targetUpdates: 1 }, true);
  try {
    const summaries = await runIdleClients(running.url, LABELS.map((labels) => ({ texts: labels.map(() => 'x'), labels })));
    assert.ok(summaries.every((s) => s.finished && s.analyticsAnswered >= 1), JSON.stringify(summaries));
    const result = (await (await adminAnalytics(running.url)).json()) as AnalyticsResult;
    assert.equal(result.status, 'done', JSON.stringify(result));
    assert.equal(result.aggregation, 'secure');
    assert.equal(result.noiseMechanism, 'distributed-discrete-gaussian');
    assert.deepEqual(result.rounds.map((r) => r.reports), [6]);
    return result;
  } finally {
    await running.close();
  }
}

test('service histogram with distributed noise at ε = ∞: the masked sums of the clients\' integer counts are exact', { timeout: 120_000 }, async () => {
  const result = await runHistogram(Infinity);
  assert.deepEqual(result.noisyCounts, TRUE_COUNTS);
  assert.equal(result.distributedNoise!.shareSigma, 0);
  assert.equal(result.distributedNoise!.epsilon, null);
});

test('service histogram with distributed noise at ε = 4: the server\'s σ_i for t = 6 clients, integer counts near the truth, no server noise', { timeout: 120_000 }, async () => {
  const result = await runHistogram(4);
  const plan = planDistributedNoise({ epsilon: 4, delta: 1e-6, rounds: 1, minReports: 6, l1Sensitivity: integerCountsL1Bound(2, 5), l2Sensitivity: 2, dimension: 5 });
  assert.equal(result.distributedNoise!.shareSigma, plan.shareSigma);
  assert.equal(result.distributedNoise!.minReports, 6);
  assert.ok(result.distributedNoise!.epsilon! <= 4);
  assert.equal(result.noiseMultiplier, 0);
  const std = result.noiseStd!;
  assert.ok(std > 0 && Math.abs(std - Math.sqrt(6) * plan.shareSigma) < 0.05 * std, `${std}`);
  // the clients' shares are in the sum (all five bins noiseless has probability ~1e-4 at this σ)
  assert.notDeepEqual(result.noisyCounts, TRUE_COUNTS);
  result.noisyCounts!.forEach((c, i) => {
    assert.ok(Number.isInteger(c), `count ${c} is an integer (integers plus integer shares)`);
    assert.ok(Math.abs(c - TRUE_COUNTS[i]) < 7 * std, `${BINS[i]}: ${c} vs ${TRUE_COUNTS[i]} (noise std ${std})`);
  });
});

test('distributed noise needs secure aggregation: the service refuses to start without it', async () => {
  await assert.rejects(analyticsService({ kind: 'histogram', epsilon: 1, delta: 1e-6, labels: BINS, minClients: 2, noise: 'distributed' }, { rounds: 0, targetUpdates: 1 }, false), /distributed analytics noise needs secure aggregation/);
  await assert.rejects(analyticsService({ kind: 'histogram', epsilon: 1, delta: 1e-6, labels: BINS, minClients: 2, noise: 'loud' as never }, { rounds: 0, targetUpdates: 1 }, true), /analytics noise must be one of central, distributed/);
});

test('a client refuses a task whose share σ is out of range, or that asks for distributed noise without secure aggregation', async () => {
  const base: AnalyticsTaskResponse = {
    round: 1,
    kind: 'histogram',
    deadline: Date.now() + 10_000,
    histogram: { labels: BINS, clipNorm: 2 },
    secureAggregation: { range: 1000, encoding: { range: 1000, fractionalBits: 0, maxSummands: 6 } },
    distributedNoise: { shareSigma: 1, minReports: 6 },
  };
  const session = (task: AnalyticsTaskResponse) => ({ analyticsTask: async () => task }) as unknown as RemoteSession;
  const data = { texts: ['x'], labels: ['alarm'] };
  for (const shareSigma of [0.1, -1, Number.NaN, 1e9, '2' as unknown as number]) {
    await assert.rejects(answerAnalyticsRound(session({ ...base, distributedNoise: { shareSigma, minReports: 6 } }), 1, data), (e: unknown) => e instanceof ConfigError && /distributed noise share σ/.test((e as Error).message));
  }
  const { secureAggregation: _s, ...clear } = base;
  await assert.rejects(answerAnalyticsRound(session(clear), 1, data), /without secure aggregation/);
});
