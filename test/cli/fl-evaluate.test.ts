/** `trustnlu fl evaluate`: one JSON object, usage errors exit 2 with one line. */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BIN = join(process.cwd(), 'bin', 'trustnlu.js');
const run = (args: string[]) => {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};

let model = '';
before(() => {
  model = join(mkdtempSync(join(tmpdir(), 'fl-evaluate-')), 'model');
  const r = run(['train', '--dataset', 'synthetic', '--model', 'embbag', '--epochs', '1', '--steps-per-epoch', '6', '--seed', '3', '--out', model, '--json']);
  assert.equal(r.code, 0, r.stderr);
});

test('fl evaluate --json prints one object with the estimate, its interval and the central truth', () => {
  const r = run(['fl', 'evaluate', '--model', model, '--dataset', 'synthetic', '--clients', '20', '--evaluation-clients', '8', '--partition', 'dirichlet:0.5', '--seed', '4', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, 1);
  const out = JSON.parse(lines[0]);
  assert.equal(out.clients, 20);
  assert.equal(out.evaluationClients, 8);
  assert.equal(out.reported, 8);
  const a = out.metrics.accuracy;
  assert.ok(a.low <= a.estimate && a.estimate <= a.high);
  assert.equal(typeof out.central.accuracy, 'number');
  assert.equal(out.dataset, 'synthetic');
  assert.equal(out.synthetic, true);
});

test('fl evaluate: usage errors exit 2 with one line naming the fix', () => {
  const cases: [string[], RegExp][] = [
    [['--personal-epochs', '2'], /--personal-epochs needs --personalised/],
    [['--clients', '10', '--evaluation-clients', '20'], /--evaluation-clients 20 is more than --clients 10/],
    [['--evaluation-clients', '1'], /--evaluation-clients must be an integer ≥ 2/],
    [['--partition', 'speaker'], /not available for federated evaluation/],
    [['--partition', 'dirichlet:x'], /ALPHA must be a number > 0/],
    [['--secagg-neighbours', '3'], /--secagg-neighbours needs --secagg/],
    [['--confidence', '1.5'], /--confidence must be in \(0, 1\)/],
    [['--bogus'], /unknown option --bogus/],
  ];
  for (const [extra, message] of cases) {
    const r = run(['fl', 'evaluate', '--model', model, '--dataset', 'synthetic', ...extra]);
    assert.equal(r.code, 2, `${extra.join(' ')}: exit ${r.code}, ${r.stderr}`);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, `${extra.join(' ')}: ${r.stderr}`);
    assert.match(lines[0], message);
  }
  const missing = run(['fl', 'evaluate', '--dataset', 'synthetic']);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /required option --model/);
  const noCheckpoint = run(['fl', 'evaluate', '--model', '/nonexistent/dir', '--dataset', 'synthetic']);
  assert.notEqual(noCheckpoint.code, 0);
  assert.equal(noCheckpoint.stderr.trim().split('\n').length, 1, noCheckpoint.stderr);
});
