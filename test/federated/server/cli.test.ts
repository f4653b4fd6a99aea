/**
 * The service's CLI contract: --help, usage errors exit 2, and `fl loadtest --json` prints
 * the one result object with 0 lost / 0 duplicated (with and without dropout).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { BIN, onlyJson, runCli } from './child-server.js';

function run(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('fl serve/client/loadtest: --help works and bad flags exit 2 with one line', () => {
  for (const command of ['serve', 'client', 'loadtest']) {
    const r = run(['fl', command, '--help']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`Usage: trustnlu fl ${command}`));
  }
  const cases: [string[], RegExp][] = [
    [['fl', 'serve', '--params', '10', '--bogus'], /unknown option --bogus/],
    [['fl', 'serve', '--params', 'ten'], /--params must be an integer/],
    [['fl', 'serve'], /exactly one of --dataset NAME .* and --params N/],
    [['fl', 'client', '--client-id', 'x', '--server', 'ftp://nope'], /--server must be an http:\/\/ or https:\/\/ URL/],
    [['fl', 'loadtest', '--dropout', '1.5'], /--dropout must be in \[0, 1\)/],
  ];
  for (const [args, message] of cases) {
    const r = run([...args, '--json']);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr + r.stdout, message);
    assert.equal(onlyJson(r.stdout).error !== undefined, true);
  }
});

test('fl loadtest --json: 40 clients, 2 rounds, nothing lost or counted twice', { timeout: 120_000 }, async () => {
  const r = await runCli(['fl', 'loadtest', '--clients', '40', '--rounds', '2', '--params', '500', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const result = onlyJson(r.stdout);
  for (const key of ['clients', 'rounds', 'accepted', 'expected', 'lost', 'duplicated', 'p50Ms', 'p99Ms', 'updatesPerSecond']) assert.ok(key in result, `missing ${key}`);
  assert.equal(result.clients, 40);
  assert.equal(result.roundsCompleted, 2);
  assert.equal(result.expected, 80);
  assert.equal(result.accepted, 80);
  assert.equal(result.lost, 0);
  assert.equal(result.duplicated, 0);
  assert.ok((result.modelMaxAbsError as number) < 1e-6, `model differs from the recomputed one by ${result.modelMaxAbsError}`);
  for (const line of r.stderr.trim().split('\n').filter(Boolean)) JSON.parse(line); // progress is JSON lines
});

test('fl loadtest with dropout: rounds close at the deadline with the updates that came, none lost', { timeout: 120_000 }, async () => {
  const r = await runCli(['fl', 'loadtest', '--clients', '20', '--rounds', '2', '--params', '100', '--dropout', '0.3', '--round-timeout', '2', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const result = onlyJson(r.stdout);
  assert.equal(result.roundsCompleted, 2);
  assert.ok((result.expected as number) < 40 && (result.expected as number) > 0, `with 30% dropout fewer than 40 updates arrive, got ${result.expected}`);
  assert.equal(result.accepted, result.expected);
  assert.equal(result.lost, 0);
  assert.equal(result.duplicated, 0);
});
