/**
 * `--queue` through the real CLI: two `trustnlu worker` processes on a throw-away
 * redis-server, and `fl simulate` / `audit mia --attack lira` giving the same numbers as the
 * local pool, also when one worker is killed with SIGKILL mid-run.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, queueCluster, startCliWorker } from '../../engine/jobs/queue-processes.js';
import { shadowTrainingFixture } from '../../engine/jobs/shadow-fixture.js';
import { trainModels } from '../../../src/privacy/audit/index.js';

const cluster = queueCluster((url) => [startCliWorker(url, 'a'), startCliWorker(url, 'b')]);
const { skip } = cluster;
const dir = mkdtempSync(join(tmpdir(), 'trustnlu-queue-cli-'));

after(() => rmSync(dir, { recursive: true, force: true }));

function cli(args: string[]): { json: Record<string, unknown>; events: Record<string, unknown>[] } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, TRUSTNLU_DATA: '' } });
  assert.equal(r.status, 0, r.stderr.slice(-3000));
  const events = r.stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
  return { json: JSON.parse(r.stdout), events };
}

/** Like cli(), without blocking this process (the test kills a worker while it runs). */
function cliAsync(args: string[]): Promise<{ json: Record<string, unknown>; events: Record<string, unknown>[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, TRUSTNLU_DATA: '' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`exit ${code}: ${stderr.slice(-3000)}`));
      const events = stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
      resolve({ json: JSON.parse(stdout), events });
    });
  });
}

const SIMULATE = ['fl', 'simulate', '--dataset', 'synthetic', '--clients', '8', '--clients-per-round', '4', '--rounds', '3', '--seed', '5', '--json'];

/** What must agree between runs: every number of the curve and of each round's training. */
function outcome(json: Record<string, unknown>) {
  const history = json.history as Record<string, unknown>[] | undefined;
  return {
    accuracy: json.accuracy,
    loss: json.loss,
    curve: json.curve,
    totals: json.totals,
    rounds: history?.map((r) => [r.trainLoss, r.updateNorm, r.aggregated]),
  };
}

test('fl simulate --queue on two worker processes equals the local run, number for number', { skip }, async () => {
  const local = cli([...SIMULATE, '--workers', '1']);
  const queued = cli([...SIMULATE, '--queue', cluster.redis.url]);
  assert.deepEqual(outcome(queued.json), outcome(local.json));
  assert.equal(queued.json.executor, `queue ${cluster.redis.url}/0`);
  const progress = queued.events.filter((e) => e.event === 'queue').at(-1) as { workers: Record<string, { done: number }>; failed: number } | undefined;
  assert.ok(progress, 'progress by worker as JSON lines');
  assert.equal(progress!.failed, 0);
  // (their event lines are read once this process's loop runs again: spawnSync blocked it)
  for (const w of cluster.workers) await w.waitFor((e) => e.event === 'job-done' && e.handler === 'fl-client', 10_000);
});

test('fl simulate --queue with a worker killed (SIGKILL) mid-run completes with the local run\'s numbers', { skip }, async () => {
  const local = cli([...SIMULATE, '--rounds', '4', '--workers', '1']);
  const victim = await startCliWorker(cluster.redis.url, 'victim');
  const seen = victim.events.length;
  const running = cliAsync([...SIMULATE, '--rounds', '4', '--queue', cluster.redis.url]);
  await victim.waitFor((e) => e.event === 'job-started' && victim.events.indexOf(e) >= seen, 60_000);
  await victim.kill('SIGKILL');
  const queued = await running;
  assert.deepEqual(outcome(queued.json), outcome(local.json));
});

test('audit mia --attack lira --queue trains the shadows on the workers with the local run\'s result', { skip, timeout: 300_000 }, async () => {
  const target = join(dir, 'target');
  cli(['train', '--dataset', 'synthetic', '--model', 'embbag', '--epochs', '2', '--seed', '1', '--out', target, '--json']);
  const audit = ['audit', 'mia', '--model', target, '--attack', 'lira', '--shadows', '2', '--shadow-epochs', '1', '--examples', '40', '--json'];
  const local = cli([...audit, '--workers', '1']);
  const queued = cli([...audit, '--queue', cluster.redis.url]);
  assert.deepEqual(queued.json, local.json);
  await Promise.any(cluster.workers.map((w) => w.waitFor((e) => e.event === 'job-done' && e.handler === 'shadow-model', 10_000)));
});

test('shadow models trained on the queue equal the local pool\'s, bit for bit (φ and losses of every example)', { skip, timeout: 300_000 }, async () => {
  const { config, jobs } = shadowTrainingFixture(3);
  const local = await trainModels(config, jobs, { workers: 1 });
  const queued = await trainModels(config, jobs, { queue: { queue: cluster.redis.url } });
  const bytes = (v: Float64Array) => Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  for (let i = 0; i < jobs.length; i++) {
    assert.deepEqual(bytes(queued[i].stats), bytes(local[i].stats), `model ${i}: φ`);
    assert.deepEqual(bytes(queued[i].losses), bytes(local[i].losses), `model ${i}: losses`);
    assert.equal(queued[i].validationAccuracy, local[i].validationAccuracy);
  }
});

test('study fl-nlp --quick --queue gives the local study\'s rows (timings aside)', { skip, timeout: 300_000 }, () => {
  const rows = (json: Record<string, unknown>) => (json.rows as Record<string, unknown>[]).map(({ seconds: _seconds, ...row }) => row);
  const local = cli(['study', 'fl-nlp', '--quick', '--out', join(dir, 'study-local'), '--json']);
  const queued = cli(['study', 'fl-nlp', '--quick', '--out', join(dir, 'study-queued'), '--queue', cluster.redis.url, '--json']);
  assert.ok(rows(local.json).length > 0);
  assert.deepEqual(rows(queued.json), rows(local.json));
});

test('--queue usage errors exit 2 with one line', { skip }, () => {
  for (const [args, message] of [
    [[...SIMULATE, '--queue', 'redis://127.0.0.1'], /no port/],
    [[...SIMULATE, '--queue', cluster.redis?.url ?? 'redis://127.0.0.1:1', '--workers', '2'], /drop --workers/],
    [[...SIMULATE, '--queue-timeout', '5'], /--queue-timeout needs --queue/],
    [['study', 'fairness-metrics', '--quick', '--queue', 'redis://127.0.0.1:1'], /runs no jobs on the queue/],
  ] as const) {
    const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, message);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
});
