/** The worker pool: ordered results, error propagation, worker replacement, transfers, no leaked threads. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { WorkerPool, WorkerCrashError, WorkerInitError, WorkerJobError, transferablesOf } from '../../../src/engine/workers/index.js';
import { ConfigError } from '../../../src/errors.js';
import type { FixtureJob } from './fixture-handler.js';

const HANDLER = new URL('./fixture-handler.js', import.meta.url);

function pool(size = 2, config: Record<string, unknown> = { factor: 3 }) {
  return new WorkerPool<FixtureJob, any>({ handler: HANDLER, config, size, backend: null });
}

test('map returns results in job order whatever order they finish in; onResult sees each once', async () => {
  const p = pool(2);
  try {
    // the first job is slow and the rest quick, so the other worker finishes jobs 1..7 first
    // (a wide margin: decreasing 5 ms steps could finish in order on a loaded machine)
    const jobs: FixtureJob[] = Array.from({ length: 8 }, (_, i) => ({ op: 'scale', values: Float32Array.from([i, -i]), delayMs: i === 0 ? 500 : 1 }));
    const seen: number[] = [];
    const results = await p.map(jobs, { onResult: (_r, index) => seen.push(index) });
    assert.deepEqual(results.map((r) => Array.from(r.values)), jobs.map((_, i) => [3 * i, -3 * i]));
    assert.deepEqual([...seen].sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7]);
    assert.notDeepEqual(seen, [0, 1, 2, 3, 4, 5, 6, 7], 'completion order differs from job order, so ordering was really needed');
    // both workers took part and each ran init once
    const threads = new Set(results.map((r) => r.threadId));
    assert.equal(threads.size, 2);
    const who = await p.map([{ op: 'whoami', delayMs: 20 }, { op: 'whoami', delayMs: 20 }]);
    assert.ok(who.every((w) => w.initCount === 1));
    assert.ok(results[0].values instanceof Float32Array);
  } finally {
    await p.close();
  }
});

test('a job that throws rejects with the worker message and class; the pool stays usable', async () => {
  const p = pool(1);
  try {
    await assert.rejects(p.run({ op: 'throw', message: 'bad client config "lr=-1"' }), (e: Error) => {
      assert.ok(e instanceof ConfigError, `expected ConfigError, got ${e.name}`);
      assert.equal(e.message, 'bad client config "lr=-1"');
      return true;
    });
    await assert.rejects(p.run({ op: 'throw', message: 'out of range', plain: true }), (e: Error) => {
      assert.ok(e instanceof WorkerJobError);
      assert.equal((e as WorkerJobError).remoteName, 'RangeError');
      assert.equal(e.message, 'out of range');
      return true;
    });
    const r = await p.run({ op: 'scale', values: Float32Array.from([2]) });
    assert.deepEqual(Array.from(r.values), [6]);
    // map rejects with the failure but the other jobs still ran
    await assert.rejects(p.map([{ op: 'scale', values: Float32Array.from([1]) }, { op: 'throw', message: 'second' }]), /second/);
    assert.equal(p.stats().failed, 3);
    assert.equal(p.stats().live, 1);
  } finally {
    await p.close();
  }
});

test('a worker that dies is replaced; its job rejects and the others complete', async () => {
  const p = pool(2);
  try {
    await p.ready();
    const before = new Set(p.threadIds());
    const [crash, ...rest] = await Promise.allSettled([
      p.run({ op: 'exit', code: 7 }),
      ...Array.from({ length: 5 }, (_, i) => p.run({ op: 'scale', values: Float32Array.from([i]), delayMs: 10 })),
    ]);
    assert.equal(crash.status, 'rejected');
    assert.ok((crash as PromiseRejectedResult).reason instanceof WorkerCrashError);
    assert.match((crash as PromiseRejectedResult).reason.message, /exit code 7/);
    assert.deepEqual(rest.map((r) => (r.status === 'fulfilled' ? r.value.values[0] : 'failed')), [0, 3, 6, 9, 12]);
    await p.ready();
    assert.equal(p.stats().replaced, 1);
    assert.equal(p.stats().live, 2);
    const after = new Set(p.threadIds());
    assert.equal([...after].filter((t) => !before.has(t)).length, 1, 'exactly one new thread');
    const who = await p.run({ op: 'whoami' });
    assert.equal(who.initCount, 1, 'the replacement ran init');
  } finally {
    await p.close();
  }
});

test('result arrays are transferred; shared-memory job arrays are shared, not copied', async () => {
  const p = pool(1);
  try {
    const shared = new Float32Array(new SharedArrayBuffer(4 * 4));
    shared.set([1, 2, 3, 4]);
    const r = await p.run({ op: 'read-shared', values: shared });
    assert.deepEqual(r, { sum: 10, shared: true });
    // an explicitly transferred job array is detached on this side
    const moved = Float32Array.from([1, 2]);
    await p.run({ op: 'scale', values: moved }, { transfer: [moved.buffer as ArrayBuffer] });
    assert.equal(moved.length, 0);
  } finally {
    await p.close();
  }
  // only whole, unshared buffers are listed for transfer
  const whole = new Float32Array(4);
  const part = new Float32Array(new ArrayBuffer(64), 16, 2);
  const sab = new Float32Array(new SharedArrayBuffer(8));
  assert.deepEqual(transferablesOf({ a: whole, b: [part, sab, whole], c: 3 }), [whole.buffer]);
});

test('a handler whose init throws breaks the pool with a clear error instead of respawning forever', async () => {
  const p = pool(2, { factor: 1, failInit: true });
  await assert.rejects(p.ready(), (e: Error) => e instanceof WorkerInitError && /failInit was set/.test(e.message));
  await assert.rejects(p.run({ op: 'whoami' }), WorkerInitError);
  await p.close();
  assert.equal(p.stats().live, 0);
  assert.throws(() => new WorkerPool({ handler: 'relative/handler.js' }), ConfigError);
  assert.throws(() => new WorkerPool({ handler: HANDLER, size: 0 }), ConfigError);
});

test('close() drains queued jobs, stops every thread, and refuses new jobs', async () => {
  const p = pool(2);
  const pending = Array.from({ length: 6 }, (_, i) => p.run({ op: 'scale', values: Float32Array.from([i]), delayMs: 5 }));
  await p.close();
  const done = await Promise.all(pending);
  assert.deepEqual(done.map((r) => r.values[0]), [0, 3, 6, 9, 12, 15]);
  assert.equal(p.stats().live, 0);
  await assert.rejects(p.run({ op: 'whoami' }), /closed/);
  await p.close(); // idempotent
});

test('no leaked workers: a process that uses a pool and closes it exits on its own', () => {
  const poolModule = new URL('../../../src/engine/workers/index.js', import.meta.url).href;
  const script = `
    const { WorkerPool } = await import(${JSON.stringify(poolModule)});
    const p = new WorkerPool({ handler: ${JSON.stringify(HANDLER.href)}, config: { factor: 2 }, size: 2, backend: null });
    const r = await p.map([{ op: 'scale', values: Float32Array.from([1]) }, { op: 'exit', code: 1 }].slice(0, 1));
    await p.run({ op: 'exit', code: 3 }).catch(() => {});
    await p.ready();
    await p.close();
    process.stderr.write('closed ' + r[0].values[0] + ' live=' + p.stats().live + '\\n');
  `;
  // if a worker were left running the child would never exit and spawnSync would time out (status null)
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(child.status, 0, `child did not exit cleanly (status ${child.status}, signal ${child.signal}): ${child.stderr}`);
  assert.match(child.stderr, /closed 2 live=0/);
  assert.ok(fileURLToPath(HANDLER).endsWith('fixture-handler.js'));
});
