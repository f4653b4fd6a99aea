/**
 * The dashboard shows federated evaluation: after a round's sampled clients report, the rounds
 * table has the estimate with its interval and client count, and the accuracy chart has one
 * orange mark at the estimate, all equal to /v1/rounds; no console errors.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createStrategy } from '../../src/federated/strategies/index.js';
import { SqliteFederationStore } from '../../src/federated/store/index.js';
import { createFederationServer, RoundCoordinator } from '../../src/federated/server/index.js';
import { collectErrors, launchChromium } from './chromium.js';

test('the dashboard shows the federated estimate and its interval for an evaluated round', { timeout: 180_000 }, async () => {
  const store = new SqliteFederationStore(':memory:');
  const coordinator = await RoundCoordinator.open({
    store,
    strategy: createStrategy('fedavg', { clientsPerRound: 2 }),
    initialParameters: { names: ['w'], arrays: [new Float32Array(4)] },
    policy: { rounds: 1, targetUpdates: 2, minClients: 3 },
    fingerprint: {},
    enrolment: { mode: 'open' },
    federatedEvaluation: { every: 1, clients: 3 },
  });
  const app = await createFederationServer(coordinator);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  const ids = ['ana', 'bo', 'cy'];
  for (const id of ids) await coordinator.register({ clientId: id });
  for (const id of ids) await coordinator.checkIn(id);
  for (const id of coordinator.status().currentRound!.selected) {
    await coordinator.submit(id, '1', { modelVersion: 0, numExamples: 1, metrics: {} }, new Uint8Array(new Float32Array(4).fill(0.1).buffer));
  }
  const sums = [
    { examples: 10, correct: 8, lossSum: 6.5 },
    { examples: 5, correct: 3, lossSum: 4.25 },
    { examples: 15, correct: 9, lossSum: 9 },
  ];
  for (let i = 0; i < 3; i++) {
    assert.equal((await coordinator.checkIn(ids[i])).action, 'evaluate');
    await coordinator.evaluationReport(ids[i], '1', { modelVersion: 1, ...sums[i] });
  }
  await coordinator.drain();
  const m = ((await (await fetch(`${url}/v1/rounds`)).json()) as { rounds: { metrics: Record<string, number> }[] }).rounds[0].metrics;
  assert.ok(Math.abs(m.federatedAccuracy - 2 / 3) < 1e-12);
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    const errors = collectErrors(page);
    await page.goto(`${url}/dashboard`);
    await page.waitForSelector('#curve rect[data-federated-accuracy]', { timeout: 60_000 });
    const cells = await page.$$eval('#rounds tr[data-round="1"] td', (tds) => tds.map((td) => td.textContent));
    assert.equal(cells[9], `${m.federatedAccuracy.toFixed(4)} [${m.federatedAccuracyLow.toFixed(4)}, ${m.federatedAccuracyHigh.toFixed(4)}] (3 clients)`);
    const mark = await page.$eval('#curve rect[data-federated-accuracy]', (r) => [Number(r.getAttribute('data-round')), Number(r.getAttribute('data-federated-accuracy'))]);
    assert.deepEqual(mark, [1, m.federatedAccuracy]);
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    await app.close();
    await store.close();
  }
});

test('the dashboard marks a secure evaluation and shows the personalisation change with its interval', { timeout: 180_000 }, async () => {
  const store = new SqliteFederationStore(':memory:');
  const coordinator = await RoundCoordinator.open({
    store,
    strategy: createStrategy('fedavg', { clientsPerRound: 2 }),
    initialParameters: { names: ['w'], arrays: [new Float32Array(4)] },
    policy: { rounds: 1, targetUpdates: 2, minClients: 3 },
    fingerprint: {},
    enrolment: { mode: 'open', maxWeight: 100 },
    federatedEvaluation: { every: 1, clients: 3, personalisation: { localEpochs: 1, learningRate: 0.01, optimizer: 'adam', batchSize: 8, maxSteps: 3 } },
  });
  const app = await createFederationServer(coordinator);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  const ids = ['ana', 'bo', 'cy'];
  for (const id of ids) await coordinator.register({ clientId: id, numExamples: 8 });
  for (const id of ids) await coordinator.checkIn(id);
  for (const id of coordinator.status().currentRound!.selected) {
    await coordinator.submit(id, '1', { modelVersion: 0, numExamples: 1, metrics: {} }, new Uint8Array(new Float32Array(4).fill(0.1).buffer));
  }
  const cases = [[10, 8, 9], [5, 3, 3], [15, 9, 12]];
  for (let i = 0; i < 3; i++) {
    const [examples, before, after] = cases[i];
    assert.equal((await coordinator.checkIn(ids[i])).action, 'evaluate');
    await coordinator.evaluationReport(ids[i], '1', { modelVersion: 1, examples, correct: before, lossSum: 1, personalised: { trainExamples: 8, correct: after, lossSum: 1 } });
  }
  await coordinator.drain();
  // the marker a secure evaluation writes with its estimates (that path: secure-evaluation.test.ts), written the same way here
  await (coordinator as unknown as { recordRoundMetrics(round: number, metrics: Record<string, number>): Promise<void> }).recordRoundMetrics(1, { federatedEvaluationSecure: 1 });
  const m = ((await (await fetch(`${url}/v1/rounds`)).json()) as { rounds: { metrics: Record<string, number> }[] }).rounds[0].metrics;
  assert.equal(m.federatedEvaluationSecure, 1);
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    const errors = collectErrors(page);
    await page.goto(`${url}/dashboard`);
    await page.waitForSelector('#rounds tr[data-round="1"]', { timeout: 60_000 });
    const cells = await page.$$eval('#rounds tr[data-round="1"] td', (tds) => tds.map((td) => td.textContent));
    const f = (x: number) => x.toFixed(4);
    assert.ok(Math.abs(m.federatedPersonalisedDelta - 4 / 30) < 1e-12);
    assert.equal(
      cells[9],
      `${f(m.federatedAccuracy)} [${f(m.federatedAccuracyLow)}, ${f(m.federatedAccuracyHigh)}] (3 clients, secure)` +
        `; personalised change ${f(m.federatedPersonalisedDelta)} [${f(m.federatedPersonalisedDeltaLow)}, ${f(m.federatedPersonalisedDeltaHigh)}]`,
    );
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    await app.close();
    await store.close();
  }
});
