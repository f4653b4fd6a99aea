/**
 * The browser client with the operator's model.json (issue 17, part 5): the service trains a
 * user's tf.layers classifier; the page loads the same files from the URL it is given (here
 * answered by the test from the saved directory), checks them against the federation's digest,
 * trains with tfjs in the page and submits a round. Given another model's files, the page
 * refuses before enrolling.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { loadIntentDataset } from '../../src/data/registry.js';
import { startFederationService } from '../../src/federated/server/index.js';
import { loadLayersModelDir } from '../../src/models/index.js';
import { savedUserModel } from '../user-model-fixture.js';
import { collectErrors, launchChromium } from './chromium.js';

test('a browser client loads the operator\'s model.json, trains it in the page and submits a round', { timeout: 240_000 }, async () => {
  const mine = await savedUserModel(1);
  const other = await savedUserModel(2);
  mine.model.dispose();
  other.model.dispose();
  const loaded = await loadLayersModelDir(mine.dir);
  const service = await startFederationService({
    source: { kind: 'dataset', dataset: 'synthetic', partition: 'iid', numClients: 4, model: 'layers', seed: 0, userModel: { layersModel: loaded.model, tokenizer: loaded.tokenizer, labels: mine.labels } },
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
    // Where the application serves its model: answered from the saved directories.
    for (const [name, dir] of [['mine', mine.dir], ['other', other.dir]] as const) {
      await page.route(`**/models/${name}/**`, (route) => {
        const file = new URL(route.request().url()).pathname.split('/').pop()!;
        return route.fulfill({ status: 200, body: readFileSync(join(dir, file)), contentType: file.endsWith('.json') ? 'application/json' : 'application/octet-stream' });
      });
    }
    await page.goto(`${service.url}/client`);
    await page.waitForFunction(() => 'trustnlu' in window, undefined, { timeout: 60_000 }).catch(() => {
      throw new Error(`the client bundle did not load: ${errors.join('; ') || 'no error reported'}`);
    });
    const examples = loadIntentDataset('synthetic', { seed: 0 }).splits.train.slice(0, 48).map((e) => ({ text: e.text, label: e.label }));
    const join_ = (modelUrl: string | undefined, code: string) =>
      page.evaluate(
        (o) => (window as unknown as { trustnlu: { join(o: unknown): Promise<unknown> } }).trustnlu.join({ clientId: 'client-1', examples: o.examples, enrolmentCode: o.code, modelUrl: o.modelUrl }),
        { examples, code, modelUrl },
      );
    await assert.rejects(join_(undefined, invites[0].code), /trains its operator's model\.json: give modelUrl/);
    await assert.rejects(join_(`${service.url}/models/other/model.json`, invites[0].code), /is not the federation's model/);
    const summary = (await join_(`${service.url}/models/mine/model.json`, invites[0].code)) as { updatesSubmitted: number; finished: boolean; rounds: number[] };
    assert.equal(summary.updatesSubmitted, 1);
    assert.deepEqual(summary.rounds, [1]);
    assert.equal(summary.finished, true);
    const [round] = service.coordinator.rounds();
    assert.equal(round.status, 'completed');
    assert.deepEqual(round.aggregated, ['client-1']);
    assert.equal(round.metrics.examples, 48);
    assert.ok(round.metrics.updateNorm > 0, 'the browser\'s update moved the model');
    // the two refusals are the page's own errors, reported as such; nothing else went wrong
    assert.ok(errors.every((e) => /modelUrl|not the federation's model/.test(e)), errors.join('; '));
  } finally {
    await browser.close();
    await service.close();
    loaded.model.dispose();
    rmSync(dirname(mine.dir), { recursive: true, force: true });
    rmSync(dirname(other.dir), { recursive: true, force: true });
  }
});
