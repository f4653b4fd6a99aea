/** Preparing datasets for federated runs: natural partitions, LM windows per client, spec strings. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../../../src/errors.js';
import { tokenizerFromJSON } from '../../../src/text/index.js';
import {
  parsePartitionSpec,
  parseSelectionSpec,
  parseSettingSpec,
  prepareFederatedDataset,
  PARTITION_FORMS,
} from '../../../src/federated/simulation/index.js';
import { needsRealData } from '../../helpers.js';

test('spec strings: valid forms parse, bad ones name the valid forms', () => {
  assert.deepEqual(parsePartitionSpec('dirichlet:0.1'), { kind: 'dirichlet', alpha: 0.1 });
  assert.deepEqual(parsePartitionSpec('quantity:2'), { kind: 'quantity', beta: 2 });
  assert.deepEqual(parsePartitionSpec('Speaker'), { kind: 'speaker' });
  assert.deepEqual(parseSelectionSpec('activity'), { kind: 'activity', tau: 1 });
  assert.deepEqual(parseSelectionSpec('activity:0.5'), { kind: 'activity', tau: 0.5 });
  assert.deepEqual(parseSettingSpec('continual:4'), { kind: 'continual', periods: 4, window: 1 });
  assert.deepEqual(parseSettingSpec('continual:4:2'), { kind: 'continual', periods: 4, window: 2 });
  assert.deepEqual(parseSettingSpec('drift:5'), { kind: 'continual', periods: 5, window: 1, drift: 'domain' });
  assert.deepEqual(parseSettingSpec('drift:5:2'), { kind: 'continual', periods: 5, window: 2, drift: 'domain' });
  for (const bad of ['dirichlet', 'dirichlet:0', 'quantity:-1', 'iid:3', 'natural']) {
    assert.throws(() => parsePartitionSpec(bad), (e: Error) => e instanceof ConfigError && e.message.includes(PARTITION_FORMS.join(' | ')), bad);
  }
  for (const bad of ['activity:1.5', 'random', 'uniform:1']) assert.throws(() => parseSelectionSpec(bad), ConfigError, bad);
  for (const bad of ['continual', 'continual:0', 'continual:2:0', 'dynamic', 'drift', 'drift:0', 'drift:2:1:1']) assert.throws(() => parseSettingSpec(bad), ConfigError, bad);
});

test('synthetic set: every partition covers the training examples once; mismatched model or partition is a clear error', () => {
  for (const partition of ['iid', 'dirichlet:0.5', 'quantity:1', 'domain']) {
    const data = prepareFederatedDataset({ dataset: 'synthetic', partition, numClients: 10, model: 'embbag', seed: 2 });
    const all = data.clients.flatMap((c) => c.indices).sort((a, b) => a - b);
    assert.deepEqual(all, Array.from({ length: data.train.task === 'classifier' ? data.train.targets.length : 0 }, (_, i) => i), partition);
    if (partition === 'domain') assert.ok(data.clients.length > 3 && data.clients.every((c) => !c.id.startsWith('client-')));
    else assert.equal(data.clients.length, 10);
  }
  assert.throws(() => prepareFederatedDataset({ dataset: 'synthetic', partition: 'speaker', model: 'embbag', seed: 0 }), /speaker/);
  assert.throws(() => prepareFederatedDataset({ dataset: 'synthetic', partition: 'iid', model: 'char-lstm', seed: 0 }), /classifier model/);
  assert.throws(() => prepareFederatedDataset({ dataset: 'synthetic-lm', partition: 'domain', model: 'char-lstm', seed: 0 }), /labelled intent data/);
  // a corpus: each client's windows come from its own units only
  const lm = prepareFederatedDataset({ dataset: 'synthetic-lm', partition: 'iid', numClients: 5, model: 'char-lstm', modelConfig: { contextLength: 16 }, seed: 2 });
  assert.equal(lm.task, 'lm');
  const counts = lm.clients.map((c) => c.indices.length);
  assert.equal(counts.reduce((a, b) => a + b, 0), lm.train.task === 'lm' ? lm.train.count : -1);
  assert.ok(lm.clients.every((c) => c.indices.every((v, j) => j === 0 || v === c.indices[j - 1] + 1)), 'contiguous windows per client');
});

test('real data: Tiny Shakespeare by speaker and CLINC150 by domain', needsRealData, () => {
  const shakespeare = prepareFederatedDataset({ dataset: 'tinyshakespeare', partition: 'speaker', model: 'char-lstm', modelConfig: { contextLength: 64 }, seed: 0 });
  assert.ok(shakespeare.clients.length > 200, `${shakespeare.clients.length} speakers with at least one window`);
  assert.equal(shakespeare.synthetic, false);
  const tokenizer = tokenizerFromJSON(shakespeare.model.tokenizer!);
  const first = shakespeare.clients[0];
  assert.ok(shakespeare.train.task === 'lm');
  if (shakespeare.train.task === 'lm') {
    const text = tokenizer.decode(shakespeare.train.inputs.subarray(first.indices[0] * 64, first.indices[0] * 64 + 64));
    assert.ok(text.startsWith(`${first.id}:\n`), `a client's first window starts with its speaker line, got ${JSON.stringify(text.slice(0, 30))}`);
  }
  const clinc = prepareFederatedDataset({ dataset: 'clinc150', partition: 'domain', model: 'embbag', seed: 0 });
  assert.equal(clinc.clients.length, 11, '10 domains and out-of-scope');
  assert.equal(clinc.clients.find((c) => c.id === 'banking')?.indices.length, 1500);
  assert.ok(clinc.outOfScopeIndex !== undefined);
});

test('each prepared dataset carries the summary of its partition (sizes and label entropy, checked by a naive loop)', () => {
  const data = prepareFederatedDataset({ dataset: 'synthetic', partition: 'dirichlet:0.3', numClients: 6, model: 'embbag', seed: 4 });
  assert.equal(data.summary.clients, 6);
  const targets = data.train.task === 'classifier' ? data.train.targets : new Int32Array();
  assert.equal(data.summary.examples, targets.length);
  let entropy = 0;
  for (const client of data.clients) {
    const counts: Record<number, number> = {};
    for (const i of client.indices) counts[targets[i]] = (counts[targets[i]] ?? 0) + 1;
    for (const c of Object.values(counts)) entropy -= (c / client.indices.length) * Math.log2(c / client.indices.length);
  }
  assert.ok(Math.abs(data.summary.meanLabelEntropy! - entropy / data.clients.length) < 1e-9);
  const sizes = data.clients.map((c) => c.indices.length).sort((a, b) => a - b);
  assert.equal(data.summary.sizeQuantiles.min, sizes[0]);
  assert.equal(data.summary.sizeQuantiles.max, sizes[sizes.length - 1]);
  // language models: sizes count windows, and there are no labels
  const lm = prepareFederatedDataset({ dataset: 'synthetic-lm', partition: 'quantity:0.5', numClients: 5, model: 'char-lstm', modelConfig: { contextLength: 16 }, seed: 2 });
  assert.equal(lm.summary.meanLabelEntropy, null);
  assert.equal(lm.summary.examples, lm.train.task === 'lm' ? lm.train.count : -1);
});

test('real data: HWU64 and SLURP by scenario give one client per scenario', needsRealData, () => {
  for (const dataset of ['hwu64', 'slurp']) {
    const data = prepareFederatedDataset({ dataset, partition: 'scenario', model: 'embbag', seed: 0 });
    assert.equal(data.clients.length, 18, `${dataset}: ${data.clients.map((c) => c.id).join(', ')}`);
    assert.ok(data.clients.some((c) => c.id === 'alarm'), `${dataset} has an alarm scenario`);
    assert.equal(data.summary.clients, 18);
  }
});
