/** The CLI contract: exit codes, one JSON object on stdout, --help everywhere, train → eval → predict. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BIN = join(process.cwd(), 'bin', 'trustnlu.js');

function run(args: string[], input?: string, env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', input, env: { ...process.env, ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function onlyJson(stdout: string): Record<string, unknown> {
  const lines = stdout.trim().split('\n');
  assert.equal(lines.length, 1, `expected exactly one line on stdout, got:\n${stdout}`);
  return JSON.parse(lines[0]) as Record<string, unknown>;
}

test('--help works on every command and exits 0', () => {
  for (const args of [['--help'], ['data', 'list', '--help'], ['train', '--help'], ['eval', '--help'], ['predict', '--help'], ['demo', '--help']]) {
    const r = run(args);
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stdout, /Usage: trustnlu/);
  }
  assert.match(run(['train', '--help']).stdout, /char-lstm/); // the model list is in the help
});

test('unknown flags, bad values and unknown commands exit 2 with a one-line reason', () => {
  const cases: [string[], RegExp][] = [
    [['train', '--model', 'embbag', '--bogus'], /unknown option --bogus/],
    [['train', '--model', 'nope'], /--model must be one of/],
    [['train', '--model', 'embbag', '--epochs', 'two'], /--epochs must be an integer/],
    [['train', '--model', 'embbag', '--lr', '-1'], /--lr must be a number > 0/],
    [['train', '--model', 'embbag', '--engines', '0'], /--engines must be an integer ≥ 1 or "cores"/],
    [['eval', '--model', 'x', '--split', 'dev'], /--split must be one of/],
    [['frobnicate'], /unknown command/],
  ];
  for (const [args, message] of cases) {
    const r = run(args);
    assert.equal(r.code, 2, `${args.join(' ')} exited ${r.code}`);
    assert.match(r.stderr, message);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  }
  const j = run(['train', '--model', 'embbag', '--bogus', '--json']);
  assert.equal(j.code, 2);
  assert.match(String((onlyJson(j.stdout).error as { message: string }).message), /--bogus/);
});

test('a missing checkpoint or a malformed dataset file is a clear error, not a stack trace', () => {
  const r = run(['eval', '--model', '/nonexistent/dir', '--json']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /model\.json not found/);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
  assert.ok(onlyJson(r.stdout).error);
  const dataDir = mkdtempSync(join(tmpdir(), 'bad-data-'));
  mkdirSync(join(dataDir, 'clinc150'));
  writeFileSync(join(dataDir, 'clinc150', 'domains.json'), '{"small_talk": ["greet"]}');
  writeFileSync(join(dataDir, 'clinc150', 'data_full.json'), '{"train": [["hi", "greet"],\n  ["oops"');
  const bad = run(['train', '--dataset', 'clinc150', '--model', 'embbag', '--data-dir', dataDir]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /data_full\.json/);
  assert.doesNotMatch(bad.stderr, /\n\s+at /);
});

test('train → eval → predict on the synthetic set, each printing one JSON object', () => {
  const out = mkdtempSync(join(tmpdir(), 'cli-model-'));
  const t = run(['train', '--dataset', 'synthetic', '--model', 'embbag', '--epochs', '2', '--seed', '1', '--out', out, '--json']);
  assert.equal(t.code, 0, t.stderr);
  const trained = onlyJson(t.stdout);
  assert.deepEqual(Object.keys(trained).slice(0, 5), ['dataset', 'model', 'epochs', 'seconds', 'accuracy']);
  assert.equal(trained.dataset, 'synthetic');
  assert.equal(trained.synthetic, true);
  assert.ok((trained.accuracy as number) > 0.5);
  // progress went to stderr as JSON lines
  assert.ok(t.stderr.trim().split('\n').every((l) => JSON.parse(l).event));
  const e = run(['eval', '--model', out, '--json']);
  assert.equal(e.code, 0, e.stderr);
  assert.equal(onlyJson(e.stdout).accuracy, trained.accuracy);
  const p = run(['predict', '--model', out, '--json'], 'wake me up at 7 am\nplay some music by adele\n');
  assert.equal(p.code, 0, p.stderr);
  const predictions = onlyJson(p.stdout).predictions as { label: string; probability: number }[];
  assert.equal(predictions.length, 2);
  assert.ok(predictions.every((x) => x.probability > 0 && x.probability <= 1));
});

test('train --engines 2 (data-parallel) prints one JSON object and learns', () => {
  const t = run(['train', '--dataset', 'synthetic', '--model', 'embbag', '--epochs', '2', '--seed', '1', '--engines', '2', '--json']);
  assert.equal(t.code, 0, t.stderr);
  const trained = onlyJson(t.stdout);
  assert.equal(trained.synthetic, true);
  assert.ok((trained.accuracy as number) > 0.5, `accuracy ${trained.accuracy}`);
  assert.ok(t.stderr.trim().split('\n').every((l) => JSON.parse(l).event));
});

test('language model training prints the LM contract fields', () => {
  const out = mkdtempSync(join(tmpdir(), 'cli-lm-'));
  const r = run(['train', '--dataset', 'synthetic-lm', '--model', 'word-lstm', '--epochs', '1', '--steps-per-epoch', '5', '--out', out, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const j = onlyJson(r.stdout);
  assert.deepEqual(Object.keys(j).slice(0, 5), ['dataset', 'model', 'seconds', 'valLoss', 'perplexity']);
  assert.ok(Math.abs(Math.exp(j.valLoss as number) - (j.perplexity as number)) < 1e-6 * (j.perplexity as number));
});
