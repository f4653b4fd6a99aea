/**
 * A queue worker's own copy of a simulation's data (job-data.ts): the recipe a named dataset
 * carries rebuilds exactly the coordinator's encoded examples (same content hash), a different
 * evaluation split or maxLength does not, and a recipe read from Redis that names anything but a registry dataset, or
 * has a malformed field, is refused with one line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { contentHash } from '../../../src/engine/jobs/index.js';
import { ConfigError } from '../../../src/errors.js';
import { prepareFederatedDataset } from '../../../src/federated/simulation/index.js';
import { loadJobData } from '../../../src/federated/simulation/job-data.js';

test('a named dataset\'s recipe rebuilds the coordinator\'s examples bit for bit, another recipe does not; a forged recipe is refused', () => {
  const data = prepareFederatedDataset({ dataset: 'synthetic', partition: 'dirichlet:0.5', numClients: 5, model: 'embbag', modelConfig: { maxLength: 20 }, seed: 9, evaluationSplit: 'val' });
  assert.ok(data.localSource);
  assert.equal(data.localSource!.partition, 'dirichlet:0.5');
  const rebuilt = loadJobData(data.localSource, '/nonexistent-data-dir');
  assert.equal(contentHash(rebuilt), contentHash({ train: data.train, evaluation: data.evaluation }));
  assert.notEqual(contentHash(loadJobData({ ...data.localSource!, evaluationSplit: 'test' }, '/nonexistent-data-dir')), contentHash({ train: data.train, evaluation: data.evaluation }));
  assert.notEqual(contentHash(loadJobData({ ...data.localSource!, modelConfig: { maxLength: 5 } }, '/nonexistent-data-dir')), contentHash({ train: data.train, evaluation: data.evaluation }));

  for (const [field, value] of [
    ['dataset', '/etc/passwd'],
    ['dataset', { kind: 'files', files: { train: '/etc/passwd' } }],
    ['numClients', 0],
    ['seed', 'x'],
    ['evaluationSplit', 'train'],
    ['modelConfig', [1]],
  ] as const) {
    assert.throws(
      () => loadJobData({ ...data.localSource!, [field]: value }, '/nonexistent-data-dir'),
      (e: Error) => e instanceof ConfigError && e.message === `queue worker: the run's data recipe has an invalid "${field}"`,
      field,
    );
  }
});
