/**
 * Feedback labels in the networked service: three clients without gold labels (simulated users
 * react to the global model's predictions; the device trains with NCE+RCE and complementary
 * labels) improve the federation's model over its starting point, and the server's round record
 * and stored updates hold no feedback, no label counts and no utterance: only the update and
 * the training loss, as for gold labels. Recorded feedback (a file's positive/negative/none and
 * predicted intent) becomes pseudo-labels and complementary labels.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initEngine } from '../../../src/engine/index.js';
import { createModel } from '../../../src/models/index.js';
import { tokenizerFromJSON } from '../../../src/text/index.js';
import { encodeComplementary } from '../../../src/train/index.js';
import { prepareFederatedDataset } from '../../../src/federated/simulation/federated-dataset.js';
import { evaluateExamples, evaluationMetrics, viewParameters, modelLayout, writeModelParameters } from '../../../src/federated/client/index.js';
import { RemoteSession } from '../../../src/federated/client/remote-session.js';
import { runRemoteClient } from '../../../src/federated/client/remote-runner.js';
import { SimulatedFeedbackClient, RecordedFeedbackClient, recordedFeedbackTargets } from '../../../src/federated/labels/index.js';
import { startFederationService } from '../../../src/federated/server/index.js';

const MODEL_CONFIG = { embeddingDim: 16, hidden: 16 };
const SOURCE = { kind: 'dataset' as const, dataset: 'synthetic', partition: 'iid', numClients: 3, model: 'embbag', modelConfig: MODEL_CONFIG, seed: 0, backend: 'wasm' as const };

test('three feedback clients (10% noisy users) improve the served model; the server never sees feedback or utterances', { timeout: 300_000 }, async () => {
  await initEngine({ backend: 'wasm' });
  const service = await startFederationService({
    source: SOURCE,
    strategy: 'fedavg',
    enrolment: { mode: 'open' },
    statePath: ':memory:',
    policy: { rounds: 3, targetUpdates: 3, minClients: 3, roundTimeoutMs: 120_000, pollIntervalMs: 50, seed: 0 },
    local: { localEpochs: 5, batchSize: 16, optimizer: 'adam', learningRate: 0.02, maxSteps: 0 },
    http: { clientRateLimit: { perSecond: 1000, burst: 1000 }, enrolRateLimit: { perSecond: 1000, burst: 1000 } },
  });
  try {
    const data = prepareFederatedDataset({ dataset: SOURCE.dataset, partition: SOURCE.partition, numClients: SOURCE.numClients, model: SOURCE.model, modelConfig: MODEL_CONFIG, seed: SOURCE.seed });
    const model = createModel({ kind: data.model.kind, tokenizer: tokenizerFromJSON(data.model.tokenizer!), labels: data.model.labels, seed: data.model.seed, config: data.model.config as never });
    const layout = modelLayout(model);
    // the starting model, as the server serves it (version 0), on the server's evaluation split
    const session0 = new RemoteSession({ server: service.url });
    await session0.register('client-0');
    const initial = await session0.modelParameters(0);
    writeModelParameters(model, viewParameters(initial, layout));
    const all = Int32Array.from({ length: data.evaluation.task === 'classifier' ? data.evaluation.sequences.length : 0 }, (_, i) => i);
    const startAccuracy = evaluationMetrics(evaluateExamples(model, data.evaluation, all)).accuracy;

    const sessions = [session0, new RemoteSession({ server: service.url }), new RemoteSession({ server: service.url })];
    await sessions[1].register('client-1');
    await sessions[2].register('client-2');
    const summaries = await Promise.all(
      data.clients.map((c, k) =>
        runRemoteClient({ session: sessions[k], client: new SimulatedFeedbackClient(c.id, model, data.train, c.indices, { rate: 1, noise: 0.1, seed: 7 }), longPollMs: 1000, timeLimitMs: 240_000 }),
      ),
    );
    assert.ok(summaries.every((s) => s.finished && s.updatesSubmitted === 3), JSON.stringify(summaries));
    await service.coordinator.drain();
    const rounds = service.coordinator.rounds();
    assert.equal(rounds.filter((r) => r.status === 'completed').length, 3);
    const final = rounds[2].metrics.accuracy;
    if (process.env.FEEDBACK_TEST_VERBOSE) console.error({ startAccuracy, curve: rounds.map((r) => r.metrics.accuracy) });
    assert.ok(final > startAccuracy + 0.1, `the federation improved: ${startAccuracy.toFixed(3)} → ${final.toFixed(3)}`);
    // what the server holds: no label counts, no feedback, no utterance
    const stored = [];
    for (let r = 1; r <= 3; r++) stored.push(...(await service.store.updatesOf(r)));
    const record = JSON.stringify({ rounds, stored: stored.map((u) => ({ ...u, delta: undefined })), status: service.coordinator.status() });
    assert.doesNotMatch(record, /label|positive|negative|feedback|complementary/i, record.slice(0, 400));
    const texts = new Set(data.clients.flatMap((c) => Array.from(c.indices).slice(0, 20).map((i) => (data.train.task === 'classifier' ? data.train.sequences[i].join(' ') : ''))));
    for (const t of texts) assert.ok(!record.includes(t), 'no encoded utterance in the record');
    for (const u of stored) assert.deepEqual(Object.keys(u.metrics).sort(), ['loss', 'seconds', 'steps', 'updateNorm']);
  } finally {
    await service.close();
  }
});

test('recorded feedback: positive → the predicted intent, negative → "not the predicted intent", none → not trained on; bad rows are named', async () => {
  const labels = ['alarm', 'music', 'weather'];
  const rows = [
    { text: 'wake me at six', predicted: 'alarm', feedback: 'positive' as const },
    { text: 'play jazz', predicted: 'weather', feedback: 'negative' as const },
    { text: 'hello', predicted: 'music', feedback: 'none' as const },
  ];
  assert.deepEqual(recordedFeedbackTargets(rows, labels), { rows: [0, 1], targets: [0, encodeComplementary(2)] });
  assert.equal(encodeComplementary(2), -3);
  assert.throws(() => recordedFeedbackTargets([{ text: 'x', predicted: 'cooking', feedback: 'positive', where: 'f.csv:4' }], labels), /f\.csv:4: predicted intent "cooking" is not one of the model's 3 labels/);
  assert.throws(() => recordedFeedbackTargets([{ text: 'x', predicted: 'alarm', feedback: 'maybe' as never, where: 'f.csv:5' }], labels), /f\.csv:5: feedback "maybe" is not one of positive, negative, none/);
  await initEngine({ backend: 'cpu' });
  const data = prepareFederatedDataset({ dataset: 'synthetic', partition: 'iid', numClients: 3, model: 'embbag', seed: 0 });
  const model = createModel({ kind: data.model.kind, tokenizer: tokenizerFromJSON(data.model.tokenizer!), labels: data.model.labels, seed: 0, config: data.model.config as never });
  assert.throws(() => new RecordedFeedbackClient('r', model, [{ text: 'hello', predicted: data.model.labels![0], feedback: 'none' }], tokenizerFromJSON(data.model.tokenizer!), 32), /none of its 1 utterances has positive or negative feedback/);
});
