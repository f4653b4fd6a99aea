/**
 * The FL dashboard in headless Debian chromium against a running server: no console errors,
 * every number shown equals the server's /v1/status and /v1/rounds (rounds, clients, the
 * accuracy curve, dropped clients), and it updates live when another round completes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStrategy } from '../../src/federated/strategies/index.js';
import { SqliteFederationStore } from '../../src/federated/store/index.js';
import { createFederationServer, RoundCoordinator, type StatusResponse } from '../../src/federated/server/index.js';
import { collectErrors, launchChromium } from './chromium.js';

const P = 8;

test('the dashboard shows the server\'s rounds, clients, accuracy curve and dropped clients, live', { timeout: 180_000 }, async () => {
  const store = new SqliteFederationStore(':memory:');
  const coordinator = await RoundCoordinator.open({
    store,
    // three selected, two complete a round: one straggler is dropped every round
    strategy: createStrategy('fedavg', { clientsPerRound: 3 }),
    initialParameters: { names: ['w'], arrays: [new Float32Array(P)] },
    policy: { rounds: 3, targetUpdates: 2, minClients: 3 },
    fingerprint: {},
    enrolment: { mode: 'open' },
    federation: { name: 'dashboard test' },
    evaluate: async (round) => ({ loss: 2 / round, metrics: { accuracy: 0.4 + 0.1 * round } }),
  });
  const app = await createFederationServer(coordinator);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address() as { port: number };
  const url = `http://127.0.0.1:${address.port}`;
  const ids = ['ana', 'bo', 'cy'];
  for (const id of ids) await coordinator.register({ clientId: id, numExamples: 4 });
  const playRound = async (round: number) => {
    for (const id of ids) await coordinator.checkIn(id);
    const selected = coordinator.status().currentRound!.selected;
    for (const id of selected.slice(0, 2)) await coordinator.submit(id, String(round), { modelVersion: round - 1, numExamples: 4, metrics: { loss: 1 / round } }, new Uint8Array(new Float32Array(P).fill(0.01 * round).buffer));
    await coordinator.drain();
  };
  await playRound(1);
  await playRound(2);

  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    const errors = collectErrors(page);
    await page.goto(`${url}/dashboard`);
    await page.waitForFunction(() => document.querySelector('[data-field="roundsCompleted"]')?.textContent === '2', undefined, { timeout: 60_000 });
    const status = (await (await fetch(`${url}/v1/status`)).json()) as StatusResponse;
    const text = async (field: string) => (await page.textContent(`[data-field="${field}"]`))?.trim();
    assert.equal(await text('federation'), 'dashboard test');
    assert.equal(await text('strategy'), status.strategy);
    assert.equal(await text('roundsCompleted'), String(status.roundsCompleted));
    assert.equal(await text('roundsTarget'), String(status.roundsTarget));
    assert.equal(await text('modelVersion'), String(status.modelVersion));
    assert.equal(await text('registeredClients'), '3');
    assert.equal(await text('latestAccuracy'), (0.4 + 0.1 * 2).toFixed(4));
    assert.equal(await text('privacy'), 'not private');
    // the rounds table: one row per round, dropped clients named
    const rows = await page.$$eval('#rounds tr', (trs) => trs.map((tr) => Array.from(tr.querySelectorAll('td')).map((td) => td.textContent)));
    const rounds = coordinator.rounds();
    assert.equal(rows.length, rounds.length);
    for (const r of rounds) {
      const row = rows.find((cells) => cells[0] === String(r.round))!;
      assert.equal(row[1], r.status);
      assert.equal(row[4], String(r.aggregated.length));
      assert.equal(row[5], String(r.dropped.length));
      assert.equal(row[8], r.dropped.join(', '));
      if (r.status === 'completed') assert.equal(row[6], (r.metrics.accuracy as number).toFixed(4));
    }
    assert.ok(rounds.filter((r) => r.status === 'completed').every((r) => r.dropped.length === 1), 'each completed round dropped its straggler');
    // the accuracy curve: one point per evaluated round, at the server's values
    const points = await page.$$eval('#curve circle', (cs) => cs.map((c) => [Number(c.getAttribute('data-round')), Number(c.getAttribute('data-accuracy'))]));
    assert.deepEqual(points, status.curve.map((p) => [p.round, p.accuracy]));
    await page.screenshot({ path: join(tmpdir(), 'trustnlu-fl-dashboard.png'), fullPage: true });

    // live: another round completes and the page follows without a reload
    await playRound(3);
    await page.waitForFunction(() => document.querySelector('[data-field="roundsCompleted"]')?.textContent === '3', undefined, { timeout: 30_000 });
    assert.equal(await page.$$eval('#curve circle', (cs) => cs.length), 3);
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    await app.close();
    await store.close();
  }
});
