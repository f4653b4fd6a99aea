/**
 * The browser client in headless Debian chromium: the bundled page builds the federation's
 * model with tfjs, trains on examples it holds, and submits an update; the server aggregates
 * it (a round completes with the browser's client id) and the page reports "done". The page
 * enrols as the operator intends: with a single-use code bound to a client id of the partition.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadIntentDataset } from '../../src/data/registry.js';
import { startFederationService } from '../../src/federated/server/index.js';
import { collectErrors, launchChromium } from './chromium.js';

test('a browser client trains with tfjs in the page and submits a round', { timeout: 240_000 }, async () => {
  const service = await startFederationService({
    source: { kind: 'dataset', dataset: 'synthetic', partition: 'iid', numClients: 4, model: 'embbag', seed: 0 },
    strategy: 'fedavg',
    statePath: ':memory:',
    policy: { rounds: 1, targetUpdates: 1, minClients: 1, pollIntervalMs: 200 },
    local: { optimizer: 'adam', learningRate: 1e-3, maxSteps: 3, batchSize: 16 },
  });
  const { invites } = await service.coordinator.issueInvites({ clientIds: ['client-1'] });
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    const errors = collectErrors(page);
    await page.goto(`${service.url}/client`);
    await page.waitForFunction(() => 'trustnlu' in window, undefined, { timeout: 60_000 }).catch(() => {
      throw new Error(`the client bundle did not load: ${errors.join('; ') || 'no error reported'}`);
    });
    const examples = loadIntentDataset('synthetic', { seed: 0 }).splits.train.slice(0, 48).map((e) => ({ text: e.text, label: e.label }));
    const summary = (await page.evaluate(
      (ex) => (window as unknown as { trustnlu: { join(o: unknown): Promise<unknown> } }).trustnlu.join({ clientId: 'client-1', examples: ex.examples, enrolmentCode: ex.code }),
      { examples, code: invites[0].code },
    )) as { updatesSubmitted: number; finished: boolean; rounds: number[] };
    assert.equal(summary.updatesSubmitted, 1);
    assert.deepEqual(summary.rounds, [1]);
    assert.equal(summary.finished, true);
    assert.equal(await page.textContent('#phase'), 'done');
    const [round] = service.coordinator.rounds();
    assert.equal(round.status, 'completed');
    assert.deepEqual(round.aggregated, ['client-1']);
    assert.equal(round.metrics.examples, 48);
    assert.ok(Number.isFinite(round.metrics.trainLoss) && round.metrics.trainLoss > 0, `train loss ${round.metrics.trainLoss}`);
    assert.ok(round.metrics.updateNorm > 0, 'the browser\'s update moved the model');
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    await service.close();
  }
});
