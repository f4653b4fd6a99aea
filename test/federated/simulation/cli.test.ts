/** `trustnlu fl simulate`: the JSON contract, per-round lines on stderr, and usage errors for bad spec strings. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { main } from '../../../src/cli/main.js';

const BIN = join(process.cwd(), 'bin', 'trustnlu.js');

function run(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, 'fl', 'simulate', ...args], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('fl simulate prints one JSON object with the curve, and per-round JSON lines on stderr', () => {
  const r = run([
    '--dataset', 'synthetic', '--partition', 'dirichlet:0.5', '--clients', '8', '--strategy', 'fedprox:0.01',
    '--selection', 'activity:0.5', '--rounds', '2', '--clients-per-round', '3', '--local-epochs', '1',
    '--model', 'embbag', '--model-config', '{"embeddingDim": 8, "hidden": 8}', '--seed', '1', '--workers', '0', '--json',
  ]);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, 1, `one line on stdout, got:\n${r.stdout}`);
  const out = JSON.parse(lines[0]);
  assert.deepEqual(Object.keys(out).slice(0, 5), ['rounds', 'accuracy', 'loss', 'curve', 'seconds']);
  assert.equal(out.rounds, 2);
  assert.deepEqual(out.curve.map((c: { round: number }) => c.round), [0, 1, 2]);
  assert.ok(out.curve.every((c: Record<string, number>) => Object.keys(c).join() === 'round,accuracy,loss,examples' && c.examples >= 0 && c.accuracy >= 0 && c.accuracy <= 1 && c.loss > 0));
  assert.equal(out.accuracy, out.curve[2].accuracy);
  assert.equal(out.examplesProcessed, out.curve[out.curve.length - 1].examples, 'the summary total is the curve\'s running total');
  assert.equal(out.strategy, 'fedprox(μ=0.01)');
  assert.equal(out.selection, 'activity(τ=0.5)');
  assert.equal(out.partition, 'dirichlet(α=0.5, 8 clients)');
  assert.equal(out.synthetic, true);
  assert.equal(out.partitionSummary.clients, 8, 'the partition summary is printed');
  assert.ok(out.partitionSummary.meanLabelEntropy > 0 && out.partitionSummary.meanLabelEntropy <= out.partitionSummary.maxLabelEntropy);
  const events = r.stderr.trim().split('\n').map((l) => JSON.parse(l));
  const data = events.find((e) => e.event === 'data');
  assert.deepEqual(data.summary, out.partitionSummary, 'the summary is also the first progress line');
  const rounds = events.filter((e) => e.event === 'round');
  assert.deepEqual(rounds.map((e) => e.round), [1, 2]);
  assert.ok(rounds.every((e) => typeof e.accuracy === 'number' && typeof e.selected === 'number'));
});

/** Runs the CLI in this process (usage errors need no child process), capturing stdout and stderr. */
async function runInProcess(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const write = { out: process.stdout.write, err: process.stderr.write };
  process.stdout.write = ((chunk: string) => (out.push(String(chunk)), true)) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string) => (err.push(String(chunk)), true)) as typeof process.stderr.write;
  try {
    const code = await main(['fl', 'simulate', ...args]);
    return { code, stdout: out.join(''), stderr: err.join('') };
  } finally {
    process.stdout.write = write.out;
    process.stderr.write = write.err;
  }
}

test('bad partition, strategy, selection or setting strings exit 2 and list the valid forms', async () => {
  const cases: [string[], RegExp][] = [
    [['--partition', 'dirichlet'], /--partition.*valid forms: speaker \| domain \| scenario \| user \| iid \| dirichlet:ALPHA \| quantity:BETA/],
    [['--strategy', 'fedprox:abc'], /valid forms: fedavg \| fedprox:MU \| fedavgm .*krum:F/],
    [['--selection', 'activity:2'], /valid forms: uniform \| activity\[:TAU\]/],
    [['--setting', 'continual:0'], /valid forms: static \| continual:T/],
  ];
  for (const [args, message] of cases) {
    const r = await runInProcess([...args, '--json']);
    assert.equal(r.code, 2, `${args.join(' ')} exited ${r.code}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    const out = JSON.parse(r.stdout.trim());
    assert.equal(out.error.type, 'UsageError');
  }
  const help = await runInProcess(['--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /dirichlet:ALPHA/);
  assert.match(help.stdout, /continual:T/);
  // a partition the dataset cannot support is a clear configuration error (exit 2), not a crash
  const speaker = await runInProcess(['--dataset', 'synthetic', '--partition', 'speaker', '--workers', '0']);
  assert.equal(speaker.code, 2);
  assert.match(speaker.stderr, /speaker.*use domain, scenario, iid/);
  assert.doesNotMatch(speaker.stderr, /\n\s+at /);
});
