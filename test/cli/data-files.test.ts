/**
 * The user's own data files through every command that reads a dataset: train, eval, predict,
 * audit mia, fairness groups, fl simulate and report, on the synthetic set exported to files
 * with other column names (so the same data can be checked against `--dataset synthetic`).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BIN = join(process.cwd(), 'bin', 'trustnlu.js');
const dir = mkdtempSync(join(tmpdir(), 'trustnlu-data-files-'));
const at = (name: string) => join(dir, name);

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: dir, env: { ...process.env, TRUSTNLU_DATA: '' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

function json(r: { code: number | null; stdout: string; stderr: string }): Record<string, any> {
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, 1, `one JSON object on stdout, got:\n${r.stdout}`);
  return JSON.parse(lines[0]);
}

const COLUMNS = ['--text-column', 'utterance', '--label-column', 'intent'];
const FILES = ['--data', at('train.csv'), '--val-data', at('val.jsonl'), '--test-data', at('test.tsv'), ...COLUMNS];

test('data export writes the synthetic splits with other column names, in three formats', async () => {
  for (const [split, file] of [['train', 'train.csv'], ['val', 'val.jsonl'], ['test', 'test.tsv']]) {
    const r = json(await run(['data', 'export', '--dataset', 'synthetic', '--split', split, '--out', at(file), ...COLUMNS, '--json']));
    assert.equal(r.split, split);
    assert.deepEqual(r.columns.slice(0, 2), ['utterance', 'intent']);
  }
  assert.match(readFileSync(at('train.csv'), 'utf8').split('\n')[0], /^utterance,intent,group,domain$/);
});

test('train on the files equals train on --dataset synthetic; eval reloads the files from the checkpoint', async () => {
  const fromFiles = json(await run(['train', ...FILES, '--group-column', 'group', '--model', 'embbag', '--epochs', '2', '--out', at('model'), '--json']));
  const named = json(await run(['train', '--dataset', 'synthetic', '--model', 'embbag', '--epochs', '2', '--json']));
  assert.equal(fromFiles.dataset, 'train.csv');
  assert.equal(fromFiles.accuracy, named.accuracy, 'same examples, same seed: same model');
  assert.ok(fromFiles.accuracy > 0.5, `accuracy ${fromFiles.accuracy}`);
  const evaluated = json(await run(['eval', '--model', at('model'), '--json']));
  assert.equal(evaluated.dataset, 'train.csv');
  assert.equal(evaluated.accuracy, fromFiles.accuracy);
  // A single file: val and test carved off, stratified.
  const single = json(await run(['train', '--data', at('train.csv'), ...COLUMNS, '--model', 'embbag', '--epochs', '1', '--json']));
  assert.ok(single.accuracy > 0.2);
});

test('a malformed file, a missing column or a missing file exits 2 with one line naming it', async () => {
  writeFileSync(at('bad.csv'), 'utterance,intent\nhello there,greet\n"unclosed,greet\n');
  writeFileSync(at('ragged.csv'), 'utterance,intent\nhello there,greet\nhi, you,greet\n');
  const cases: [string[], RegExp][] = [
    [['train', '--data', at('bad.csv'), ...COLUMNS, '--model', 'embbag'], /bad\.csv:3: .*never closed/],
    [['train', '--data', at('ragged.csv'), ...COLUMNS, '--model', 'embbag'], /ragged\.csv:3: expected 2/],
    [['train', '--data', at('train.csv'), '--model', 'embbag'], /train\.csv: no column "text".*--text-column/],
    [['train', '--data', at('nope.csv'), '--model', 'embbag'], /nope\.csv does not exist/],
    [['train', '--dataset', 'synthetic', '--data', at('train.csv'), '--model', 'embbag'], /--dataset and --data/],
    [['train', '--dataset', 'synthetic', '--text-column', 'x', '--model', 'embbag'], /--text-column describes your own files: add --data/],
  ];
  const results = await Promise.all(cases.map(([args]) => run(args)));
  results.forEach((r, i) => {
    assert.equal(r.code, 2, `${cases[i][0].join(' ')}: exit ${r.code}\n${r.stderr}`);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, `one line, got:\n${r.stderr}`);
    assert.match(lines[0], cases[i][1]);
  });
});

test('predict --data --out, then fairness groups on the predictions file and on the data', async () => {
  const predicted = json(await run(['predict', '--model', at('model'), '--data', at('test.tsv'), '--text-column', 'utterance', '--out', at('predictions.csv'), '--json']));
  assert.equal(predicted.rows, 360);
  const header = readFileSync(at('predictions.csv'), 'utf8').split('\n')[0];
  assert.equal(header, 'utterance,intent,group,domain,predicted,probability');
  const gaps = json(await run(['fairness', 'groups', '--predictions', at('predictions.csv'), '--y-true', 'intent', '--y-pred', 'predicted', '--group-column', 'group', '--resamples', '100', '--json']));
  assert.deepEqual(gaps.groups, ['female', 'male']);
  assert.equal(gaps.positiveChoice, 'most frequent true label');
  // The same model measured on the data's test split by the group column gives the same gaps.
  const onData = json(await run(['fairness', 'groups', '--model', at('model'), ...FILES, '--group-column', 'group', '--resamples', '100', '--json']));
  assert.equal(onData.examples, gaps.examples);
  assert.equal(onData.differences.accuracy, gaps.differences.accuracy);
  const noGroup = await run(['fairness', 'groups', '--predictions', at('predictions.csv'), '--y-true', 'intent', '--y-pred', 'predicted']);
  assert.equal(noGroup.code, 2);
  assert.match(noGroup.stderr, /--group-column/);
});

test('audit mia reads the data its checkpoint records', async () => {
  const r = json(await run(['audit', 'mia', '--model', at('model'), '--attack', 'loss', '--examples', '100', '--json']));
  assert.equal(r.members, 100);
  assert.ok(r.auc >= 0 && r.auc <= 1);
});

test('fl simulate partitions by the user column and cuts continual periods by the time column', async () => {
  // users = domains; time = row order (so each period holds a contiguous third of the file)
  const lines = readFileSync(at('train.csv'), 'utf8').trim().split('\n');
  writeFileSync(at('timed.csv'), [`${lines[0]},written`, ...lines.slice(1).map((l, i) => `${l},${new Date(Date.UTC(2024, 0, 1) + i * 60_000).toISOString()}`)].join('\n'));
  const r = json(await run(['fl', 'simulate', '--data', at('timed.csv'), ...COLUMNS, '--user-column', 'domain', '--time-column', 'written', '--partition', 'user', '--setting', 'continual:2', '--rounds', '2', '--clients-per-round', '3', '--workers', '0', '--json']));
  assert.equal(r.partition, 'natural(user)');
  assert.equal(r.rounds, 2);
  const missing = await run(['fl', 'simulate', '--data', at('train.csv'), ...COLUMNS, '--partition', 'user', '--rounds', '1', '--workers', '0']);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /--user-column/);
});

test('report --data writes the trust report for the user\'s data, with group gaps from the group column', async () => {
  const out = at('report');
  const r = json(await run(['report', ...FILES, '--group-column', 'group', '--epochs', '1', '--private-epochs', '2', '--shadows', '2', '--audit-examples', '60', '--out', out, '--json']));
  assert.equal(r.dataset, 'train.csv');
  assert.equal(r.synthetic, false);
  const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
  assert.equal(report.models[0].fairness.source, 'data');
  assert.deepEqual(report.models[0].fairness.accuracyByGroup.map((g: { group: string }) => g.group), ['female', 'male']);
  assert.ok(existsSync(join(out, 'index.html')));
});
