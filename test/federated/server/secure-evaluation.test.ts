/**
 * Federated evaluation under secure aggregation in the service: with --secagg the evaluation of
 * a round's model has its own SecAgg+ session whose parties are the sampled clients; each masks
 * its moment vector [y, n, y², yn, n²] per metric and the server unmasks only the sums. The
 * estimate and its clustered interval must equal, up to the fixed-point precision, the plain
 * evaluation of the same clients (and the hand-worked numbers); a client that goes silent after
 * advertising its keys is a dropout, as in training rounds, and the estimate is the survivors'.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Client } from '../../../src/federated/client/client.js';
import type { EvaluationSums } from '../../../src/federated/client/local-evaluation.js';
import { RemoteSession } from '../../../src/federated/client/remote-session.js';
import { runRemoteClient } from '../../../src/federated/client/remote-runner.js';
import { answerEvaluation, type LocalEvaluator } from '../../../src/federated/client/remote-evaluation.js';
import { ratioEstimate } from '../../../src/federated/evaluation/index.js';
import { SecAggClient, fromWire, toWire, webSecAggCrypto } from '../../../src/federated/secagg/index.js';
import { startFederationService, type RunningService } from '../../../src/federated/server/index.js';

const P = 4;

function zeroClient(id: string): Client {
  return {
    id,
    fit: async (parameters) => ({ delta: { names: parameters.names, arrays: [new Float32Array(P).fill(0.01)] }, numExamples: 1, metrics: { loss: 1 } }),
    evaluate: async () => ({ loss: 0, numExamples: 1, metrics: {} }),
  };
}

async function service(secure: boolean, clients: number, evaluationClients: number, stageTimeoutMs = 20_000, personalised = false): Promise<RunningService> {
  return startFederationService({
    source: { kind: 'synthetic', parameters: P },
    strategy: 'fedavg',
    enrolment: { mode: 'open' },
    statePath: ':memory:',
    policy: { rounds: 1, targetUpdates: clients, minClients: clients, roundTimeoutMs: 60_000, pollIntervalMs: 100, seed: 3 },
    ...(secure ? { secureAggregation: { range: 1, stageTimeoutMs } } : {}),
    // public scale 20 examples (the test's clients hold at most 15)
    federatedEvaluation: { every: 1, clients: evaluationClients, limits: { maxExamples: 20 }, timeoutMs: 60_000, ...(personalised ? { personalisation: { localEpochs: 1, learningRate: 0.01, optimizer: 'adam' as const, batchSize: 8, maxSteps: 3 } } : {}) },
  });
}

/** (correct, examples, loss sum): the hand-worked case of evaluation-rounds.test.ts. */
const SUMS: EvaluationSums[] = [
  { examples: 10, units: 10, correct: 8, lossSum: 6.5 },
  { examples: 5, units: 5, correct: 3, lossSum: 4.25 },
  { examples: 15, units: 15, correct: 9, lossSum: 9 },
];

/** The fine-tuned models' correct counts on the same examples (personalised evaluation). */
const AFTER = [9, 3, 12];

/** Four clients train round 1 (securely when the service is secure), then the three sampled ones evaluate; the round's metrics. */
async function evaluateThree(secure: boolean, personalised = false): Promise<Record<string, number>> {
  const running = await service(secure, 4, 3, 20_000, personalised);
  try {
    const sessions = Array.from({ length: 4 }, () => new RemoteSession({ server: running.url }));
    await Promise.all(sessions.map((s, k) => s.register(`c${k}`, 8)));
    // whichever three are sampled get the three hand-worked sums (in the order they ask)
    let next = 0;
    const evaluatorFor = (): LocalEvaluator => {
      let mine = -1;
      return {
        evaluate: async () => SUMS[(mine = next++)],
        personalise: async () => ({ after: { ...SUMS[mine], correct: AFTER[mine], lossSum: SUMS[mine].lossSum / 2 }, trainExamples: 8 }),
      };
    };
    const summaries = await Promise.all(sessions.map((s, k) => runRemoteClient({ session: s, client: zeroClient(`c${k}`), longPollMs: 1000, evaluator: evaluatorFor() })));
    assert.ok(summaries.every((s) => s.finished && s.updatesSubmitted === 1), JSON.stringify(summaries));
    assert.equal(summaries.reduce((s, x) => s + x.evaluationsReported, 0), 3);
    await running.coordinator.drain();
    const [round] = running.coordinator.rounds();
    assert.equal(round.status, 'completed');
    if (secure) assert.equal(round.metrics.secureAggregation, 1, 'round 1 trained securely');
    return round.metrics;
  } finally {
    await running.close();
  }
}

test('secure evaluation: the service learns only the sums, and the estimate and interval equal the plain ones and the hand-worked numbers', { timeout: 120_000 }, async () => {
  const plain = await evaluateThree(false);
  const secure = await evaluateThree(true);
  assert.equal(plain.federatedEvaluationSecure, undefined);
  assert.equal(secure.federatedEvaluationSecure, 1);
  assert.equal(secure.federatedEvaluationClients, 3);
  assert.equal(secure.federatedEvaluationExamples, 30);
  // hand-worked (frame N = 4 available, K = 3): 2/3 ± t(0.975, 2)·√(¼·(13/9)/(3·100)) = 2/3 ± 0.149278
  const close = (a: number, b: number, tolerance: number, what: string) => assert.ok(Math.abs(a - b) <= tolerance, `${what}: ${a} vs ${b}`);
  for (const m of [plain, secure]) {
    close(m.federatedAccuracy, 2 / 3, 1e-6, 'accuracy');
    close(m.federatedAccuracyLow, 2 / 3 - 0.149278, 1e-6, 'low');
    close(m.federatedAccuracyHigh, 2 / 3 + 0.149278, 1e-6, 'high');
    close(m.federatedLoss, 19.75 / 30, 1e-6, 'loss');
  }
  // the secure sums are the plain ones to fixed-point precision (2^-29 per value at K = 3, scaled by ≤ 20² for the squares)
  for (const key of ['federatedAccuracy', 'federatedAccuracyLow', 'federatedAccuracyHigh', 'federatedAccuracyAll', 'federatedLoss', 'federatedLossLow', 'federatedLossHigh']) {
    assert.ok(Number.isFinite(secure[key]), `${key} in the secure metrics`);
    close(secure[key], plain[key], 1e-6, key);
  }
});

test('secure evaluation with a dropout: a party silent after advertising is dropped; the estimate is the survivors\' (K = 4 of 5 sampled)', { timeout: 120_000 }, async () => {
  const running = await service(true, 6, 5, 1500);
  try {
    const sessions = Array.from({ length: 6 }, () => new RemoteSession({ server: running.url }));
    await Promise.all(sessions.map((s, k) => s.register(`c${k}`)));
    // round 1 trains securely; every client stops after its update
    const trained = await Promise.all(sessions.map((s, k) => runRemoteClient({ session: s, client: zeroClient(`c${k}`), longPollMs: 1000, maxUpdates: 1 })));
    assert.ok(trained.every((s) => s.updatesSubmitted === 1));
    const answers = await Promise.all(sessions.map((s) => s.checkIn()));
    const sampled = sessions.filter((_, k) => answers[k].action === 'evaluate');
    assert.equal(sampled.length, 5, JSON.stringify(answers));
    const [silent, ...others] = sampled;
    // the silent party advertises its keys, then never answers again
    const request = await silent.evaluationSecureRequest(1);
    assert.equal(request.stage, 'advertise');
    await silent.evaluationSecureReply(1, 'advertise', toWire(await new SecAggClient(webSecAggCrypto()).advertiseKeys(fromWire(request.request) as never)));
    assert.equal((await silent.checkIn()).action, 'done', 'a party that joined the session is not asked to evaluate again');
    // what a secure evaluation refuses: plain sums, a reply for another stage, another party's index, a malformed body
    const first = others[0];
    const call = (method: string, path: string, body?: unknown) =>
      fetch(`${running.url}${path}`, { method, headers: { authorization: `Bearer ${first.credentials!.token}`, 'content-type': 'application/json' }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    const plainReport = await call('POST', '/v1/rounds/1/evaluation', { modelVersion: 1, examples: 4, correct: 2, lossSum: 1 });
    assert.equal(plainReport.status, 409);
    assert.match(((await plainReport.json()) as { error: { message: string } }).error.message, /aggregated securely: send the masked moments through \/v1\/rounds\/1\/evaluation\/secagg/);
    const mine = await first.evaluationSecureRequest(1);
    const advert = toWire(await new SecAggClient(webSecAggCrypto()).advertiseKeys(fromWire(mine.request) as never)) as { index: number };
    assert.equal((await call('POST', '/v1/rounds/1/evaluation/secagg/share', { index: advert.index, shares: [] })).status, 409, 'another stage');
    assert.equal((await call('POST', '/v1/rounds/1/evaluation/secagg/advertise', { ...advert, index: (advert.index + 1) % 5 })).status, 400, 'another party\'s index');
    assert.equal((await call('POST', '/v1/rounds/1/evaluation/secagg/advertise', { ...advert, extra: 1 })).status, 400, 'an unknown field');
    assert.equal((await call('GET', '/v1/rounds/1/evaluation/secagg?waitMs=40000')).status, 400);
    assert.equal((await call('GET', '/v1/rounds/2/evaluation/secagg')).status, 409, 'no evaluation of round 2');
    const sums = new Map<string, EvaluationSums>(others.map((s, i) => [s.clientId!, { examples: 4 + 3 * i, units: 4 + 3 * i, correct: 2 + 2 * i + (i % 2), lossSum: 1 + i }]));
    const outcomes = await Promise.all(others.map((s) => answerEvaluation(s, 1, { evaluate: async () => sums.get(s.clientId!)! }, { crypto: webSecAggCrypto(), longPollMs: 1000 })));
    assert.ok(outcomes.every((o) => o.reported && o.secure), JSON.stringify(outcomes));
    await running.coordinator.drain();
    const m = running.coordinator.rounds()[0].metrics;
    assert.equal(m.federatedEvaluationClients, 4, 'the survivors');
    assert.equal(m.federatedEvaluationSelected, 5);
    // the plain estimator over the survivors' pairs, with the frame of 6 available clients
    const pairs = [...sums.values()];
    const expected = ratioEstimate(pairs.map((p) => p.correct), pairs.map((p) => p.units), { populationClients: 6, bounds: [0, 1] });
    for (const [key, value] of [['federatedAccuracy', expected.estimate], ['federatedAccuracyLow', expected.low], ['federatedAccuracyHigh', expected.high]] as const) {
      assert.ok(Math.abs(m[key] - value) < 1e-6, `${key}: ${m[key]} vs ${value}`);
    }
    assert.ok(expected.high - expected.low > 0.01, 'a real interval');
  } finally {
    await running.close();
  }
});

test('secure personalised evaluation: before, after, delta and improved clients from the masked sums equal the plain ones (hand-worked delta)', { timeout: 120_000 }, async () => {
  const plain = await evaluateThree(false, true);
  const secure = await evaluateThree(true, true);
  assert.equal(secure.federatedEvaluationSecure, 1);
  const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) <= 1e-6, `${what}: ${a} vs ${b}`);
  // delta pairs (1, 10), (0, 5), (3, 15): 4/30 ± 0.1095402 (see personalised-evaluation-service.test.ts)
  close(plain.federatedPersonalisedDelta, 4 / 30, 'plain delta');
  close(plain.federatedPersonalisedDeltaHigh, 4 / 30 + 0.1095402, 'plain delta high');
  for (const key of ['Before', 'After', 'Delta', 'ImprovedClients']) {
    for (const suffix of ['', 'Low', 'High']) {
      const name = `federatedPersonalised${key}${suffix}`;
      assert.ok(Number.isFinite(secure[name]), `${name} in the secure metrics`);
      close(secure[name], plain[name], name);
    }
  }
});
