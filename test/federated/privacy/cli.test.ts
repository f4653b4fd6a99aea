/** `trustnlu fl simulate` with DP-FedAvg and secure aggregation: ε in the JSON, per-round privacy metrics, usage errors. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { main } from '../../../src/cli/main.js';
import { computeEpsilon } from '../../../src/privacy/index.js';

const BIN = join(process.cwd(), 'bin', 'trustnlu.js');

test('fl simulate --dp-clip auto --dp-epsilon 8 --secagg reports ε from the accountant and exact secure sums', () => {
  const r = spawnSync(
    process.execPath,
    [
      BIN, 'fl', 'simulate', '--dataset', 'synthetic', '--clients', '100', '--clients-per-round', '20', '--rounds', '2',
      '--model', 'embbag', '--model-config', '{"embeddingDim": 8, "hidden": 8}', '--max-local-steps', '2', '--workers', '0',
      '--dp-clip', 'auto', '--dp-epsilon', '8', '--dp-delta', '1e-4', '--secagg', '--json',
    ],
    { encoding: 'utf8' },
  );
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  const dp = out.privacy.dp;
  assert.equal(dp.clipping, 'adaptive');
  assert.equal(dp.rounds, 2);
  assert.equal(dp.sampleRate, 0.2);
  assert.equal(dp.noise, 'CSPRNG');
  assert.ok(dp.epsilon <= 8 && dp.epsilon > 7, `ε = ${dp.epsilon}`);
  assert.equal(dp.epsilon, computeEpsilon({ sampleRate: 0.2, noiseMultiplier: dp.noiseMultiplier, steps: 2, delta: 1e-4 }).epsilon);
  assert.equal(out.privacy.secureAggregation.rounds, 2);
  assert.equal(out.privacy.secureAggregation.mismatches, 0);
  assert.match(out.strategy, /^fedavg\+dp\(C=adaptive, σ=[0-9.]+\)\+secagg$/);
  const rounds = r.stderr.trim().split('\n').map((l) => JSON.parse(l)).filter((e) => e.event === 'round');
  assert.equal(rounds.length, 2);
  for (const e of rounds) {
    assert.equal(e.privacy.secaggMatchesPlain, 1);
    assert.ok(e.privacy.dpClip > 0 && e.privacy.dpNextClip > 0);
  }
  // round 2 clips with the norm round 1 moved to
  assert.equal(rounds[1].privacy.dpClip, rounds[0].privacy.dpNextClip);
});

async function runInProcess(args: string[]) {
  const err: string[] = [];
  const write = { out: process.stdout.write, err: process.stderr.write };
  process.stdout.write = (() => true) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string) => (err.push(String(chunk)), true)) as typeof process.stderr.write;
  try {
    const code = await main(['fl', 'simulate', '--dataset', 'synthetic', ...args]);
    return { code, stderr: err.join('') };
  } finally {
    process.stdout.write = write.out;
    process.stderr.write = write.err;
  }
}

test('inconsistent or bad DP / secure-aggregation flags exit 2 with the reason and no stack trace', async () => {
  const cases: [string[], RegExp][] = [
    [['--dp-noise', '1'], /--dp-noise\/--dp-epsilon need --dp-clip/],
    [['--dp-clip', '1'], /--dp-clip needs --dp-noise S or --dp-epsilon E/],
    [['--dp-clip', '1', '--dp-noise', '1', '--dp-epsilon', '2'], /either --dp-noise or --dp-epsilon, not both/],
    [['--dp-clip', 'abc', '--dp-noise', '1'], /--dp-clip must be a number > 0 or "auto"/],
    [['--dp-clip', '1', '--dp-noise', '-1'], /--dp-noise/],
    [['--dp-clip', '1', '--dp-epsilon', '1', '--dp-delta', '2'], /--dp-delta/],
    [['--secagg-range', '2'], /need --secagg/],
  ];
  for (const [args, pattern] of cases) {
    const r = await runInProcess(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, pattern);
    assert.match(r.stderr.split('\n')[0], pattern, 'the reason is on the first line');
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  }
});

test('a robust strategy with secure aggregation is a configuration error, not a stack trace', async () => {
  const r = await runInProcess(['--strategy', 'median', '--secagg', '--clients', '10', '--clients-per-round', '3', '--rounds', '1', '--workers', '0']);
  assert.equal(r.code, 2, 'a configuration error exits 2, like every usage error');
  assert.match(r.stderr, /median aggregator needs every individual update/);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
});
