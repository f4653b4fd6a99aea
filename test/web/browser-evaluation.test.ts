/**
 * The browser client takes part in federated evaluation, in headless Debian chromium: after a
 * round it trains in, the page is sampled (with one in-process Node client of known sums),
 * evaluates the global model on held-out examples it holds, fine-tunes on its training examples
 * with the server's settings (personalised evaluation) and evaluates again, and sends the sums:
 * plainly, or under --secagg as its masked moment vector through the evaluation's SecAgg+
 * session (the page's WebCrypto X25519). The test recomputes in Node, with the same model,
 * examples and fine-tuning seed, what the page should have counted, and finds it in the
 * federated estimate: accuracy × Σn − the Node client's count = the page's count.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRandom } from '../../src/engine/random.js';
import { loadIntentDataset } from '../../src/data/registry.js';
import { createModel } from '../../src/models/index.js';
import { tokenizerFromJSON, type TokenizerJSON } from '../../src/text/index.js';
import { encodeClassification } from '../../src/train/examples.js';
import { fromEncodedClassification } from '../../src/federated/client/examples.js';
import { evaluateExamples, fineTuneAndEvaluate, writeModelParameters } from '../../src/federated/client/index.js';
import type { Client } from '../../src/federated/client/client.js';
import { RemoteSession } from '../../src/federated/client/remote-session.js';
import { runRemoteClient } from '../../src/federated/client/remote-runner.js';
import { startFederationService } from '../../src/federated/server/index.js';
import { collectErrors, launchChromium } from './chromium.js';

const PERSONALISATION = { localEpochs: 1, learningRate: 0.01, optimizer: 'adam' as const, batchSize: 16, maxSteps: 3 };
const SEED = 0;

function zeroClient(id: string): Client {
  return {
    id,
    fit: async (parameters) => ({ delta: { names: parameters.names, arrays: parameters.arrays.map((a) => new Float32Array(a.length)) }, numExamples: 1, metrics: { loss: 1 } }),
    evaluate: async () => ({ loss: 0, numExamples: 1, metrics: {} }),
  };
}

async function browserEvaluation(secure: boolean): Promise<void> {
  const service = await startFederationService({
    source: { kind: 'dataset', dataset: 'synthetic', partition: 'iid', numClients: 4, model: 'embbag', seed: 0, backend: 'cpu' },
    strategy: 'fedavg',
    statePath: ':memory:',
    policy: { rounds: 1, targetUpdates: 2, minClients: 2, pollIntervalMs: 200, roundTimeoutMs: 120_000, seed: SEED },
    local: { optimizer: 'adam', learningRate: 1e-3, maxSteps: 3, batchSize: 16 },
    ...(secure ? { secureAggregation: { range: 1, stageTimeoutMs: 120_000 } } : {}),
    federatedEvaluation: { every: 1, clients: 2, personalisation: PERSONALISATION, timeoutMs: 120_000 },
  });
  const { invites } = await service.coordinator.issueInvites({ clientIds: ['client-0', 'client-1'] });
  const browser = await launchChromium();
  try {
    // the Node client: known sums (10 examples, 7 right; 8 right after fine-tuning on 5)
    const node = new RemoteSession({ server: service.url });
    await node.register('client-0', undefined, invites[0].code);
    const nodeRun = runRemoteClient({
      session: node,
      client: zeroClient('client-0'),
      longPollMs: 1000,
      evaluator: {
        evaluate: async () => ({ examples: 10, units: 10, correct: 7, lossSum: 5 }),
        personalise: async () => ({ after: { examples: 10, units: 10, correct: 8, lossSum: 4 }, trainExamples: 5 }),
      },
    });
    const dataset = loadIntentDataset('synthetic', { seed: 0 });
    const train = dataset.splits.train.slice(0, 48).map((e) => ({ text: e.text, label: e.label }));
    const held = dataset.splits.test.slice(0, 24).map((e) => ({ text: e.text, label: e.label }));
    const page = await browser.newPage();
    const errors = collectErrors(page);
    await page.goto(`${service.url}/client`);
    await page.waitForFunction(() => 'trustnlu' in window, undefined, { timeout: 60_000 });
    const summary = (await page.evaluate(
      (ex) => (window as unknown as { trustnlu: { join(o: unknown): Promise<unknown> } }).trustnlu.join({ clientId: 'client-1', examples: ex.train, evaluationExamples: ex.held, enrolmentCode: ex.code }),
      { train, held, code: invites[1].code },
    )) as { updatesSubmitted: number; finished: boolean; evaluationsReported: number };
    const nodeSummary = await nodeRun;
    assert.equal(summary.updatesSubmitted, 1);
    assert.equal(summary.evaluationsReported, 1, 'the page reported one evaluation');
    assert.equal(summary.finished, true);
    assert.equal(nodeSummary.evaluationsReported, 1);
    assert.equal(await page.evaluate(() => (window as unknown as { trustnlu: { state: { evaluations: number } } }).trustnlu.state.evaluations), 1);
    await service.coordinator.drain();
    const m = service.coordinator.rounds()[0].metrics;
    assert.equal(m.federatedEvaluationClients, 2, JSON.stringify(m));
    assert.equal(m.federatedEvaluationSecure, secure ? 1 : undefined);
    if (secure) assert.equal(m.secureAggregation, 1, 'the page also trained through SecAgg+');
    assert.equal(m.federatedEvaluationExamples, 34);

    // what the page should have counted: the same model, examples and fine-tuning seed, in Node
    const federation = (await node.federation()) as { model: { kind: string; tokenizer: TokenizerJSON; labels: string[]; config: Record<string, unknown>; seed: number } };
    const spec = federation.model;
    const tokenizer = tokenizerFromJSON(spec.tokenizer);
    const model = createModel({ kind: spec.kind, tokenizer, labels: spec.labels, seed: spec.seed, config: spec.config as never });
    const encode = (xs: typeof train) => fromEncodedClassification(encodeClassification(xs, tokenizer, spec.labels, spec.config.maxLength as number));
    const heldOut = { examples: encode(held), indices: held.map((_, i) => i) };
    const global = service.coordinator.parameters;
    writeModelParameters(model, global);
    const before = evaluateExamples(model, heldOut.examples, heldOut.indices);
    const seed = new SeededRandom(SEED).fork('personalise:1:client-1').seed;
    const after = fineTuneAndEvaluate(model, global, { examples: encode(train), indices: train.map((_, i) => i) }, heldOut, { ...PERSONALISATION, seed }).after;
    const pageCount = (estimate: number, nodeCount: number) => estimate * 34 - nodeCount;
    assert.ok(Math.abs(pageCount(m.federatedAccuracy, 7) - before.correct) < 1e-4, `page's correct: ${pageCount(m.federatedAccuracy, 7)} vs ${before.correct} recomputed`);
    assert.ok(Math.abs(pageCount(m.federatedPersonalisedAfter, 8) - after.correct) < 1e-4, `page's correct after fine-tuning: ${pageCount(m.federatedPersonalisedAfter, 8)} vs ${after.correct}`);
    assert.ok(Math.abs(m.federatedPersonalisedDelta - (after.correct - before.correct + 1) / 34) < 1e-6);
    // under secure aggregation a party learns that a session ended (its round or evaluation closed) from a 409 StaleRound,
    // which chromium logs as a failed resource load; that is the protocol's normal end, anything else is an error
    assert.deepEqual(secure ? errors.filter((e) => !/status of 409 \(Conflict\)/.test(e)) : errors, []);
  } finally {
    await browser.close();
    await service.close();
  }
}

test('a browser client reports a personalised federated evaluation (plain sums)', { timeout: 300_000 }, async () => {
  await browserEvaluation(false);
});

test('a browser client evaluates under secure aggregation: its moments go masked through the evaluation\'s SecAgg+ session', { timeout: 300_000 }, async () => {
  await browserEvaluation(true);
});
