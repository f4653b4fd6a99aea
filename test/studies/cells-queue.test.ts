/**
 * Study cells on the Redis queue: a throw-away redis-server, two `trustnlu worker` processes
 * (the real CLI with its registered "study-cell" handler), fl-nlp --quick coordinated from this
 * process. Its rows equal the local serial run's, and both workers ran cells.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initEngine } from '../../src/engine/index.js';
import { runStudy } from '../../src/studies/index.js';
import { flNlpStudy } from '../../src/studies/fl-nlp.js';
import { SILENT } from '../../src/train/index.js';
import { queueCluster, startCliWorker } from '../engine/jobs/queue-processes.js';
import { withoutSeconds } from './study-rows.js';

const cluster = queueCluster((url) => [startCliWorker(url, 'cells-w1'), startCliWorker(url, 'cells-w2')]);

test('fl-nlp --quick with its cells on two queue workers gives the local run\'s rows', { skip: cluster.skip, timeout: 300_000 }, async () => {
  await initEngine({ backend: 'wasm' });
  const ctx = { seed: 2, quick: true, progress: SILENT };
  const local = await runStudy(flNlpStudy, ctx, { out: mkdtempSync(join(tmpdir(), 'cells-local-')), command: 'local' });
  const queued = await runStudy(flNlpStudy, { ...ctx, queue: { queue: cluster.redis.url, reconcileEveryMs: 500 } }, { out: mkdtempSync(join(tmpdir(), 'cells-queued-')), command: 'queued' });
  assert.equal(queued.cells!.ran, 52, '26 tuning cells, then 26 final cells');
  assert.match(queued.cells!.where, /^queue redis:\/\/127\.0\.0\.1:\d+/);
  assert.deepEqual(withoutSeconds(queued.rows), withoutSeconds(local.rows));
  for (const worker of cluster.workers) {
    const done = worker.events.filter((e) => e.event === 'job-done' && e.handler === 'study-cell').length;
    assert.ok(done > 0, `worker ${worker.name} ran no cell`);
  }
  const total = cluster.workers.reduce((n, w) => n + w.events.filter((e) => e.event === 'job-done' && e.handler === 'study-cell').length, 0);
  assert.equal(total, 52);
});
