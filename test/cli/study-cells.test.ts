/**
 * `trustnlu study` with cells, as a user runs it: killed (SIGKILL) after a few cells, the same
 * command resumes, says how many cells it skipped, and writes the results.json rows of an
 * uninterrupted run; bad flags are one line and exit 2.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withoutSeconds } from '../studies/study-rows.js';

const BIN = join(process.cwd(), 'bin', 'trustnlu.js');

function run(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const rowsOf = (out: string) => withoutSeconds(JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')).rows);

test('bad study flags: one line naming the problem, exit 2', () => {
  const cases: [string[], RegExp][] = [
    [['study', 'no-such-study'], /unknown study "no-such-study"; studies: .*fl-nlp/],
    [['study', 'fl-nlp', '--quick', '--parallel', '0'], /--parallel must be an integer ≥ 1, got "0"/],
    [['study', 'fl-nlp', '--quick', '--parallel', 'two'], /--parallel must be an integer ≥ 1/],
    [['study', 'fairness-metrics', '--quick', '--parallel', '2'], /study "fairness-metrics" runs as one piece .*drop --parallel/],
    [['study', 'fairness-metrics', '--quick', '--fresh'], /study "fairness-metrics" runs as one piece .*drop --fresh/],
    [['study', 'fl-nlp', '--quick', '--parallel', '2', '--queue', 'redis://127.0.0.1:9'], /with --queue the cells run on trustnlu worker processes.*drop --parallel/],
    [['study', 'fairness-metrics', '--quick', '--queue', 'redis://127.0.0.1:9'], /runs no jobs on the queue/],
  ];
  for (const [args, message] of cases) {
    const r = run(args);
    assert.equal(r.code, 2, `${args.join(' ')} exited ${r.code}: ${r.stderr}`);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, `${args.join(' ')}: one line, got:\n${r.stderr}`);
    assert.match(lines[0], message);
  }
});

test('a cell that fails on a worker thread stops the study with its error class and message (exit 2), one line after the progress', () => {
  const out = mkdtempSync(join(tmpdir(), 'study-failing-'));
  const r = run(['study', 'dp-utility', '--quick', '--dataset', 'no-such-set', '--parallel', '2', '--out', out]);
  assert.equal(r.code, 2, r.stderr);
  const lines = r.stderr.trim().split('\n');
  assert.match(lines[lines.length - 1], /^trustnlu: unknown dataset "no-such-set"; valid names: .*synthetic/);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  const failed = lines.filter((l) => l.startsWith('cell-failed:'));
  assert.ok(failed.length >= 1 && failed.length <= 2, `at most the two cells running at once fail, then none starts:\n${r.stderr}`);
});

test('study fl-nlp --quick killed after three cells resumes and writes the uninterrupted run\'s rows', { timeout: 300_000 }, async () => {
  const whole = mkdtempSync(join(tmpdir(), 'study-whole-'));
  const uninterrupted = run(['study', 'fl-nlp', '--quick', '--seed', '6', '--out', whole, '--json']);
  assert.equal(uninterrupted.code, 0, uninterrupted.stderr.slice(-2000));

  const out = mkdtempSync(join(tmpdir(), 'study-killed-'));
  const child = spawn(process.execPath, [BIN, 'study', 'fl-nlp', '--quick', '--seed', '6', '--out', out, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let done = 0;
  let buffered = '';
  await new Promise<void>((resolve, reject) => {
    child.stderr.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      done += lines.filter((l) => l.startsWith('{"event":"cell-done"')).length;
      if (done >= 3 && child.exitCode === null && !child.killed) child.kill('SIGKILL');
    });
    child.once('exit', (code, signal) => (signal === 'SIGKILL' ? resolve() : reject(new Error(`the study ended (${code}) before it was killed`))));
  });
  const saved = readdirSync(join(out, '.cache', 'cells')).filter((f) => f.endsWith('.json')).length;
  // killed among the 26 tuning cells (the 26 final cells follow from their rows)
  assert.ok(saved >= 3 && saved < 26, `${saved} cells saved before the kill`);

  const resumed = run(['study', 'fl-nlp', '--quick', '--seed', '6', '--out', out, '--json']);
  assert.equal(resumed.code, 0, resumed.stderr.slice(-2000));
  const [start, finals] = resumed.stderr.split('\n').filter((l) => l.startsWith('{"event":"cells"')).map((l) => JSON.parse(l));
  assert.equal(start.resumed, saved, 'the progress says how many cells were skipped');
  assert.equal(start.toRun, 26 - saved);
  assert.deepEqual([finals.total, finals.resumed], [26, 0], 'then the final cells, chosen from the tuning rows');
  const result = JSON.parse(resumed.stdout);
  assert.deepEqual(result.cells, { total: 52, resumed: saved, ran: 52 - saved, where: 'in process' });
  assert.deepEqual(rowsOf(out), rowsOf(whole));
});
