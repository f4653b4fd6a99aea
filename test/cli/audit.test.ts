/** `trustnlu audit`: help, usage errors (exit 2), and each sub-command's one JSON object on small synthetic models. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BIN = join(process.cwd(), 'bin', 'trustnlu.js');

function run(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function onlyJson(r: { code: number | null; stdout: string; stderr: string }): Record<string, any> {
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, 1, `expected exactly one line on stdout, got:\n${r.stdout}`);
  // progress, if any, is JSON lines on stderr
  for (const line of r.stderr.trim().split('\n').filter(Boolean)) assert.ok(JSON.parse(line).event, line);
  return JSON.parse(lines[0]);
}

test('audit --help and every sub-command --help exit 0', () => {
  for (const sub of [[], ['mia'], ['exposure'], ['extract'], ['train-canaries']]) {
    const r = run(['audit', ...sub, '--help']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Usage: trustnlu audit/);
  }
  assert.match(run(['audit', 'mia', '--help']).stdout, /--shadows/);
});

test('audit usage errors exit 2 with a one-line reason, no stack trace', () => {
  const cases: [string[], RegExp][] = [
    [['audit', 'mia', '--model', 'x', '--attack', 'shadow'], /--attack must be one of loss, lira/],
    [['audit', 'mia', '--model', 'x', '--shadows', '0'], /--shadows must be an integer ≥ 1/],
    [['audit', 'mia', '--model', 'x', '--bogus'], /unknown option --bogus/],
    [['audit', 'extract', '--model', 'x', '--vocabulary', 'all'], /--vocabulary must be one of format, full/],
    [['audit', 'train-canaries', '--dataset', 'synthetic', '--model', 'cnn', '--out', '/tmp/x', '--repetitions', '10,a'], /--repetitions must be a comma-separated list/],
    [['audit', 'train-canaries', '--dataset', 'synthetic', '--model', 'cnn', '--out', '/tmp/x', '--config', '{nope'], /--config must be a JSON object/],
  ];
  for (const [args, message] of cases) {
    const r = run(args);
    assert.equal(r.code, 2, `${args.join(' ')} exited ${r.code}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  }
  const missing = run(['audit', 'exposure', '--model', '/nonexistent/model', '--json']);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /model\.json not found/);
});

test('train-canaries → exposure (char LM) and → extract (CNN); mia loss and LiRA on a trained classifier', () => {
  const dir = mkdtempSync(join(tmpdir(), 'audit-cli-'));
  const lm = onlyJson(run(['audit', 'train-canaries', '--dataset', 'synthetic-lm', '--model', 'char-lstm', '--canary-format', 'my pin is {d}{d}{d}',
    '--repetitions', '20,0', '--epochs', '2', '--train-subset', '400', '--config', '{"hidden":48,"embeddingDim":16,"contextLength":32}', '--out', join(dir, 'lm'), '--json']));
  assert.equal(lm.synthetic, true);
  assert.deepEqual(lm.canaries.map((c: { repetitions: number }) => c.repetitions), [20, 0]);
  const exposure = onlyJson(run(['audit', 'exposure', '--model', join(dir, 'lm'), '--json']));
  assert.deepEqual(Object.keys(exposure), ['canaries', 'maxExposure']);
  assert.deepEqual(Object.keys(exposure.canaries[0]), ['text', 'repetitions', 'exposure']);
  assert.equal(exposure.maxExposure, exposure.canaries[0].exposure);
  for (const c of exposure.canaries) assert.ok(c.exposure >= 0 && c.exposure <= Math.log2(1000) + 1e-9);
  // a classifier is refused by exposure, a language model by extract
  assert.equal(run(['audit', 'extract', '--model', join(dir, 'lm')]).code, 2);

  onlyJson(run(['audit', 'train-canaries', '--dataset', 'synthetic', '--model', 'cnn', '--epochs', '3', '--train-subset', '300', '--repetitions', '10,0',
    '--config', '{"embeddingDim":16,"filters":16}', '--out', join(dir, 'cnn'), '--json']));
  const extraction = onlyJson(run(['audit', 'extract', '--model', join(dir, 'cnn'), '--steps', '20', '--restarts', '2', '--json']));
  assert.deepEqual(Object.keys(extraction), ['trials', 'exactRate', 'tokenAccuracy', 'meanRank']);
  assert.equal(extraction.trials, 1);
  assert.ok(extraction.meanRank >= 1 && extraction.meanRank <= 10000);

  onlyJson(run(['train', '--dataset', 'synthetic', '--model', 'embbag', '--epochs', '2', '--seed', '1', '--out', join(dir, 'target'), '--json']));
  const keys = ['attack', 'auc', 'balancedAccuracy', 'tprAtFpr001', 'tprAtFpr01', 'epsilonLowerBound', 'members', 'nonMembers'];
  const loss = onlyJson(run(['audit', 'mia', '--model', join(dir, 'target'), '--attack', 'loss', '--examples', '100', '--json']));
  assert.deepEqual(Object.keys(loss), keys);
  assert.equal(loss.attack, 'loss');
  assert.equal(loss.members, 100);
  assert.equal(loss.nonMembers, 100);
  assert.ok(loss.auc >= 0 && loss.auc <= 1 && loss.epsilonLowerBound >= 0);
  const lira = onlyJson(run(['audit', 'mia', '--model', join(dir, 'target'), '--attack', 'lira', '--shadows', '2', '--shadow-epochs', '1', '--examples', '60', '--workers', '1', '--json']));
  assert.deepEqual(Object.keys(lira), keys);
  assert.equal(lira.attack, 'lira');
  assert.equal(lira.members, 60);
});
