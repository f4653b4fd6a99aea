/**
 * The Redis queue end to end: a throw-away redis-server on a free loopback port, two worker
 * processes (the fixture handler of the pool tests: plain JS, no tfjs, so each test takes
 * seconds), and the coordinator in this process. Same answers as the local pool, failures
 * that fail the run with the job's error, a worker killed with SIGKILL mid-job, Redis killed
 * and restarted mid-run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { QueueJobRunner, type QueueProgress } from '../../../src/engine/jobs/index.js';
import { WorkerPool } from '../../../src/engine/workers/index.js';
import { ConfigError, QueueConnectionError, QueueJobError } from '../../../src/errors.js';
import { seededValues } from '../../helpers.js';
import { FIXTURE_HANDLER, queueCluster, startFixtureWorker } from './queue-processes.js';
import type { FixtureJob } from '../workers/fixture-handler.js';

const cluster = queueCluster((url) => [startFixtureWorker(url, 'w1'), startFixtureWorker(url, 'w2')]);
const { skip } = cluster;
/** A typed array's own bytes (a decoded array may be a view into a larger buffer). */
const bytes = (view: ArrayBufferView) => Buffer.from(view.buffer, view.byteOffset, view.byteLength);

function open(options: { onEvent?: (name: string, fields: Record<string, unknown>) => void; onProgress?: (p: QueueProgress) => void; connectionTimeoutSeconds?: number } = {}) {
  return QueueJobRunner.open<FixtureJob, { values: Float32Array }>({
    queue: cluster.redis.url,
    handler: 'fixture',
    config: { factor: 3 },
    backend: null,
    reconcileEveryMs: 500,
    progressEveryMs: 0,
    ...options,
  });
}

test('jobs on two worker processes give the local pool\'s answers, bit for bit, and progress names both workers', { skip }, async () => {
  // 300,000 floats (1.2 MB) per job: the shared array travels once as a blob, the small ones inline
  const shared = seededValues(300_000, 7);
  const jobs: FixtureJob[] = Array.from({ length: 16 }, (_, i) => ({ op: 'scale', values: i % 2 ? shared : seededValues(100 + i, i), delayMs: 50 }));
  const pool = new WorkerPool<FixtureJob, { values: Float32Array }>({ handler: FIXTURE_HANDLER, config: { factor: 3 }, size: 2, backend: null });
  const local = await pool.map(jobs.map((j) => ({ ...j, values: (j as { values: Float32Array }).values.slice() }) as FixtureJob));
  await pool.close();
  let last: QueueProgress | undefined;
  const runner = await open({ onProgress: (p) => (last = p) });
  try {
    const queued = await runner.map(jobs);
    assert.equal(queued.length, local.length);
    for (let i = 0; i < jobs.length; i++) assert.deepEqual(bytes(queued[i].values), bytes(local[i].values), `job ${i}`);
    const progress = runner.progress();
    assert.equal(progress.done, 16);
    assert.equal(progress.failed, 0);
    assert.equal(progress.running, 0);
    assert.deepEqual(Object.keys(progress.workers).sort(), ['w1', 'w2'], 'both worker processes took jobs');
    assert.equal(progress.workers.w1.done + progress.workers.w2.done, 16);
    assert.ok(last && last.submitted === 16);
  } finally {
    await runner.close();
  }
});

test('a job that fails every attempt fails the run with its error after 3 attempts; a deterministic error fails at once', { skip }, async () => {
  const runner = await open();
  try {
    const started = Date.now();
    await assert.rejects(runner.run({ op: 'throw', message: 'disk on fire', plain: true }), (error: Error) => {
      assert.ok(error instanceof QueueJobError, `${error.name}: ${error.message}`);
      assert.match(error.message, /failed 3 times/);
      assert.match(error.message, /disk on fire/);
      return true;
    });
    assert.ok(Date.now() - started < 30_000);
    // counted from the workers' progress events: each attempt reports its start before it runs
    assert.equal(runner.progress().retried, 2, 'two attempts retried before the third failed for good');
    // a trustnlu error from the job's own computation: same class as the local pool gives, no retry
    await assert.rejects(runner.run({ op: 'throw', message: 'bad factor' }), (error: Error) => error instanceof ConfigError && error.message === 'bad factor');
    assert.equal(runner.progress().retried, 2);
    // the runner goes on after failures
    const ok = await runner.run({ op: 'scale', values: new Float32Array([1, 2]) });
    assert.deepEqual([...ok.values], [3, 6]);
  } finally {
    await runner.close();
  }
});

test('kill -9 of a worker mid-job: the job is retried on the other worker and gives the same answer', { skip }, async () => {
  const victim = await startFixtureWorker(cluster.redis.url, 'victim', { concurrency: 1 });
  // the fixed workers are busy with long jobs first, so the victim takes the job that matters
  const events: string[] = [];
  const runner = await open({ onEvent: (name) => events.push(name) });
  try {
    const blockers = [1, 2, 3, 4, 5, 6].map(() => runner.run({ op: 'scale', values: new Float32Array([0]), delayMs: 1500 }));
    const values = seededValues(1000, 3);
    const target = runner.run({ op: 'scale', values, delayMs: 4000 });
    await victim.waitFor((e) => e.event === 'job-started', 20_000);
    await victim.kill('SIGKILL');
    const result = await target;
    await Promise.all(blockers);
    const expected = Float32Array.from(values, (v) => Math.fround(v * 3));
    assert.deepEqual(bytes(result.values), bytes(expected));
    const progress = runner.progress();
    assert.ok(progress.retried >= 1, 'the lost attempt counts as retried');
    assert.equal(progress.workers.victim?.done ?? 0, 0);
    assert.ok(events.includes('queue-job-stalled'), `events: ${events.join(', ')}`);
  } finally {
    await runner.close();
    await victim.kill('SIGKILL');
  }
});

test('Redis killed and restarted mid-run: reconnection is reported and the run completes with the same answers', { skip }, async () => {
  const events: string[] = [];
  const runner = await open({ onEvent: (name) => events.push(name) });
  try {
    // Enough work to outlast the outage on an idle machine too (8 jobs once finished before Redis went down).
    const jobs = Array.from({ length: 24 }, (_, i) => ({ op: 'scale' as const, values: seededValues(50, i), delayMs: 600 }));
    const running = runner.map(jobs);
    await new Promise((r) => setTimeout(r, 1500));
    await cluster.redis.crash();
    await new Promise((r) => setTimeout(r, 1000));
    await cluster.redis.restart();
    const results = await running;
    for (let i = 0; i < jobs.length; i++) {
      assert.deepEqual([...results[i].values], [...Float32Array.from(jobs[i].values, (v) => Math.fround(v * 3))], `job ${i}`);
    }
    // The run's last results can arrive before every connection has reported its reconnection.
    for (let waited = 0; !events.includes('queue-reconnected') && waited < 10_000; waited += 100) await new Promise((r) => setTimeout(r, 100));
    assert.ok(events.includes('queue-connection-lost'), `events: ${events.join(', ')}`);
    assert.ok(events.includes('queue-reconnecting'), `events: ${events.join(', ')}`);
    assert.ok(events.includes('queue-reconnected'), `events: ${events.join(', ')}`);
  } finally {
    await runner.close();
  }
});

test('Redis gone for longer than the limit: the run stops with QueueConnectionError, not a hang', { skip }, async () => {
  const runner = await open({ connectionTimeoutSeconds: 2 });
  try {
    const job = runner.run({ op: 'scale', values: new Float32Array([1]), delayMs: 3000 });
    await new Promise((r) => setTimeout(r, 300));
    await cluster.redis.crash();
    await assert.rejects(job, (error: Error) => error instanceof QueueConnectionError && /more than 2 s/.test(error.message));
  } finally {
    await cluster.redis.restart();
    await runner.close();
  }
});

test('an unreachable address fails in seconds with one line', { skip }, async () => {
  const started = Date.now();
  await assert.rejects(
    QueueJobRunner.open({ queue: 'redis://127.0.0.1:1/0', handler: 'fixture', config: {}, backend: null }),
    (error: Error) => error instanceof QueueConnectionError && /cannot reach the queue redis:\/\/127\.0\.0\.1:1\/0/.test(error.message) && !error.message.includes('\n'),
  );
  assert.ok(Date.now() - started < 15_000);
});
