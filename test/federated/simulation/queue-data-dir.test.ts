/**
 * Queue workers that read a named dataset from their own data directory (`trustnlu worker
 * --data-dir DIR`): the coordinator sends the dataset's name and content hash; a worker whose
 * copy matches builds the data itself, one without it or with an altered copy uses the data
 * sent with the run (the altered one says so), and every run gives the local run's numbers.
 * A tiny CLINC150 in the upstream file format is written for the test (no real data needed).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, queueCluster, startProcess, type WorkerProcess } from '../../engine/jobs/queue-processes.js';

// every process of this file (coordinator and workers) sees only the data directories named here
process.env.TRUSTNLU_DATA = '';

const cluster = queueCluster(() => []);
const { skip } = cluster;
const root = mkdtempSync(join(tmpdir(), 'trustnlu-queue-data-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** A small CLINC150 in clinc/oos-eval's format: 3 domains × 2 intents, 12 training examples each. */
function writeTinyClinc(dir: string): void {
  const domains: Record<string, string[]> = { banking: ['balance', 'transfer'], travel: ['book_flight', 'weather'], home: ['lights_on', 'play_music'] };
  const words: Record<string, string[]> = {
    balance: ['how much money', 'is in my account', 'show balance'],
    transfer: ['send money to', 'move funds', 'transfer cash'],
    book_flight: ['book a flight', 'get me a plane ticket', 'fly to paris'],
    weather: ['will it rain', 'what is the forecast', 'is it sunny'],
    lights_on: ['turn on the lights', 'switch the lamp on', 'lights please'],
    play_music: ['play some jazz', 'put on music', 'start my playlist'],
  };
  const split = (n: number, offset: number) =>
    Object.keys(words).flatMap((intent) => Array.from({ length: n }, (_, i) => [`${words[intent][(i + offset) % 3]} ${['now', 'today', 'please', 'for me'][(i + offset) % 4]} ${i + offset}`, intent]));
  const oos = (n: number, offset: number) => Array.from({ length: n }, (_, i) => [`tell me a riddle ${i + offset}`, 'oos']);
  mkdirSync(join(dir, 'clinc150'), { recursive: true });
  writeFileSync(join(dir, 'clinc150', 'domains.json'), JSON.stringify(domains));
  writeFileSync(
    join(dir, 'clinc150', 'data_full.json'),
    JSON.stringify({ train: split(12, 0), val: split(3, 100), test: split(4, 200), oos_train: oos(4, 0), oos_val: oos(2, 100), oos_test: oos(2, 200) }),
  );
}

const same = join(root, 'same');
const altered = join(root, 'altered');
writeTinyClinc(same);
cpSync(same, altered, { recursive: true });
{
  const file = join(altered, 'clinc150', 'data_full.json');
  const data = JSON.parse(readFileSync(file, 'utf8'));
  data.train[0][0] = 'a sentence the coordinator never saw';
  writeFileSync(file, JSON.stringify(data));
}

const SIMULATE = ['fl', 'simulate', '--dataset', 'clinc150', '--data-dir', same, '--partition', 'iid', '--clients', '6', '--clients-per-round', '3', '--rounds', '2', '--seed', '4', '--json'];

function cli(args: string[]): Record<string, unknown> {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr.slice(-3000));
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

function outcome(json: Record<string, unknown>) {
  const history = json.history as Record<string, unknown>[] | undefined;
  return { accuracy: json.accuracy, loss: json.loss, curve: json.curve, totals: json.totals, rounds: history?.map((r) => [r.trainLoss, r.updateNorm, r.aggregated]) };
}

/** One `trustnlu worker` (the only one on the queue while `fn` runs), stopped afterwards. */
async function withWorker<T>(name: string, dataDir: string | undefined, fn: (worker: WorkerProcess) => Promise<T>): Promise<T> {
  const args = [BIN, 'worker', '--queue', cluster.redis.url, '--name', name, '--concurrency', '1', '--stall-seconds', '5', '--json', ...(dataDir ? ['--data-dir', dataDir] : [])];
  const worker = await startProcess(name, args, 'worker-ready');
  try {
    return await fn(worker);
  } finally {
    await worker.kill('SIGTERM');
  }
}

let local: Record<string, unknown> | undefined;
const localRun = () => (local ??= cli([...SIMULATE, '--workers', '1']));

test('a worker with the dataset in its --data-dir builds the data itself and gives the same numbers as the local run and as a worker without one', { skip, timeout: 300_000 }, async () => {
  const reference = outcome(localRun());
  await withWorker('with-data', same, async (worker) => {
    const queued = cli([...SIMULATE, '--queue', cluster.redis.url]);
    assert.deepEqual(outcome(queued), reference);
    const event = await worker.waitFor((e) => e.event === 'run-data-local' || e.event === 'run-data-differs' || e.event === 'run-data-shipped', 10_000);
    assert.equal(event.event, 'run-data-local', JSON.stringify(event));
    assert.equal(event.dataset, 'clinc150');
  });
  await withWorker('without-data', undefined, async (worker) => {
    const queued = cli([...SIMULATE, '--queue', cluster.redis.url]);
    assert.deepEqual(outcome(queued), reference);
    const event = await worker.waitFor((e) => typeof e.event === 'string' && e.event.startsWith('run-data-'), 10_000);
    assert.equal(event.event, 'run-data-shipped', JSON.stringify(event));
    assert.match(String(event.note), /no data directory/);
  });
});

test('a worker whose copy of the dataset differs says so in one line and uses the data sent with the run, with the same numbers', { skip, timeout: 300_000 }, async () => {
  const reference = outcome(localRun());
  await withWorker('altered-data', altered, async (worker) => {
    const queued = cli([...SIMULATE, '--queue', cluster.redis.url]);
    assert.deepEqual(outcome(queued), reference);
    const event = await worker.waitFor((e) => typeof e.event === 'string' && e.event.startsWith('run-data-'), 10_000);
    assert.equal(event.event, 'run-data-differs', JSON.stringify(event));
    assert.match(String(event.warning), /copy of "clinc150" in .*altered differs from the coordinator's .*using the data sent with the run/);
    assert.ok(!String(event.warning).includes('\n'));
  });
});

test('trustnlu worker --data-dir that is not a directory: one line, exit 2, before connecting', () => {
  for (const [args, env] of [
    [['--data-dir', join(root, 'missing')], {}],
    [[], { TRUSTNLU_DATA: join(root, 'missing-too') }],
  ] as const) {
    const r = spawnSync(process.execPath, [BIN, 'worker', '--queue', 'redis://127.0.0.1:1', ...args], { encoding: 'utf8', env: { ...process.env, ...env } });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /(--data-dir|\$TRUSTNLU_DATA) .*missing.* is not a directory/);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
});
