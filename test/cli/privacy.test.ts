/**
 * The privacy CLI contract: `privacy epsilon` / `privacy noise` (published values, the two
 * commands invert each other), `train --dp` end to end on the synthetic set (reported ε ≤
 * target, and the ε it reports is what `privacy epsilon` says for its q, σ and steps), and
 * bad combinations exit 2 (usage) or 1 (a clear configuration error), never with a stack trace;
 * the dp-utility study in quick mode.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { privateTrainingFrom, type DpFlags } from '../../src/cli/train.js';
import { UsageError } from '../../src/errors.js';

const BIN = join(process.cwd(), 'bin', 'trustnlu.js');

function run(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function onlyJson(stdout: string): Record<string, unknown> {
  const lines = stdout.trim().split('\n');
  assert.equal(lines.length, 1, `expected exactly one line on stdout, got:\n${stdout}`);
  return JSON.parse(lines[0]) as Record<string, unknown>;
}

test('privacy epsilon: Opacus\'s published case (q = 0.04, σ = 1.5, 2250 steps, δ = 1e-5 → RDP ε ≈ 7.3291), PLD tighter', () => {
  const base = ['privacy', 'epsilon', '--sample-rate', '0.04', '--noise-multiplier', '1.5', '--steps', '2250', '--delta', '1e-5', '--json'];
  const rdp = onlyJson(run(base).stdout);
  assert.deepEqual(Object.keys(rdp).sort(), ['accountant', 'epsilon', 'order']);
  assert.equal(rdp.accountant, 'rdp');
  assert.ok(Math.abs((rdp.epsilon as number) - 7.3291) < 0.01, `ε = ${rdp.epsilon}`);
  assert.ok(Number.isFinite(rdp.order as number));
  const pld = onlyJson(run([...base, '--accountant', 'pld']).stdout);
  assert.deepEqual(Object.keys(pld).sort(), ['accountant', 'epsilon']);
  assert.ok((pld.epsilon as number) < (rdp.epsilon as number) && (pld.epsilon as number) > 5, `pld ε = ${pld.epsilon}`);
  // TF Privacy's published case: N = 60000, batch 150, σ = 1.3, 6000 steps → 0.7242 (their orders; ours are finer, so ≤).
  const tf = onlyJson(run(['privacy', 'epsilon', '--sample-rate', String(150 / 60000), '--noise-multiplier', '1.3', '--steps', '6000', '--delta', '1e-5', '--json']).stdout);
  assert.ok((tf.epsilon as number) <= 0.7242 + 1e-4 && (tf.epsilon as number) > 0.65, `ε = ${tf.epsilon}`);
});

test('privacy noise inverts privacy epsilon', () => {
  for (const accountant of ['rdp']) {
    const common = ['--sample-rate', '0.01', '--steps', '1000', '--delta', '1e-5', '--accountant', accountant, '--json'];
    const noise = run(['privacy', 'noise', '--epsilon', '3', ...common]);
    assert.equal(noise.code, 0, noise.stderr);
    const { noiseMultiplier } = onlyJson(noise.stdout) as { noiseMultiplier: number };
    assert.ok(noiseMultiplier > 0.5 && noiseMultiplier < 3, `σ = ${noiseMultiplier}`);
    const back = onlyJson(run(['privacy', 'epsilon', '--noise-multiplier', String(noiseMultiplier), ...common]).stdout);
    assert.ok((back.epsilon as number) <= 3 + 1e-9 && (back.epsilon as number) > 2.95, `${accountant}: ε(σ) = ${back.epsilon}`);
  }
});

test('privacy commands: --help, bad values exit 2, an unreachable target exits 1 with the reason', () => {
  for (const args of [['privacy', 'noise', '--help']]) {
    const r = run(args);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Usage: trustnlu privacy/);
  }
  const cases: [string[], RegExp][] = [
    [['privacy', 'epsilon', '--sample-rate', '2', '--noise-multiplier', '1', '--steps', '10', '--delta', '1e-5'], /--sample-rate must be a number in \(0, 1\]/],
    [['privacy', 'noise', '--epsilon', '1', '--sample-rate', '0.1', '--steps', '10', '--delta', '1e-5', '--accountant', 'gdp'], /--accountant must be one of rdp, pld/],
  ];
  for (const [args, message] of cases) {
    const r = run(args);
    assert.equal(r.code, 2, `${args.join(' ')} exited ${r.code}`);
    assert.match(r.stderr, message);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  }
  const impossible = run(['privacy', 'noise', '--epsilon', '0.01', '--sample-rate', '0.5', '--steps', '3000', '--delta', '1e-5', '--json']);
  assert.equal(impossible.code, 1);
  assert.equal((onlyJson(impossible.stdout).error as { type: string }).type, 'PrivacyBudgetError');
  assert.doesNotMatch(impossible.stderr, /\n\s+at /);
});

test('train --dp on the synthetic set: the train JSON plus the privacy fields, ε ≤ target, ε agrees with privacy epsilon', () => {
  const r = run(['train', '--dataset', 'synthetic', '--model', 'embbag', '--epochs', '2', '--steps-per-epoch', '8', '--batch', '64', '--seed', '2',
    '--dp', '--epsilon', '2', '--delta', '1e-5', '--clip', '0.5', '--physical-batch', '40', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const j = onlyJson(r.stdout);
  assert.deepEqual(Object.keys(j).slice(0, 5), ['dataset', 'model', 'epochs', 'seconds', 'accuracy']);
  for (const key of ['epsilon', 'delta', 'noiseMultiplier', 'sampleRate', 'steps', 'clip']) assert.equal(typeof j[key], 'number', key);
  assert.ok((j.epsilon as number) <= 2 && (j.epsilon as number) > 1.5, `ε = ${j.epsilon}`);
  assert.equal(j.delta, 1e-5);
  assert.equal(j.clip, 0.5);
  assert.equal(j.steps, 16);
  assert.equal(j.sampleRate, 64 / 1800); // 1800 synthetic training examples
  assert.equal(j.targetEpsilon, 2);
  assert.ok(typeof j.validationAccuracy === 'number' && j.validationAccuracy >= 0 && j.validationAccuracy <= 1, `validationAccuracy ${j.validationAccuracy}`);
  const check = onlyJson(run(['privacy', 'epsilon', '--sample-rate', String(j.sampleRate), '--noise-multiplier', String(j.noiseMultiplier), '--steps', String(j.steps), '--delta', '1e-5', '--json']).stdout);
  assert.ok(Math.abs((check.epsilon as number) - (j.epsilon as number)) < 1e-9, `${check.epsilon} vs ${j.epsilon}`);
  // With σ given instead of a target, ε is computed; adaptive clipping reports its final clip.
  const s = run(['train', '--dataset', 'synthetic', '--model', 'embbag', '--epochs', '1', '--steps-per-epoch', '4', '--batch', '64', '--dp', '--noise-multiplier', '1.2', '--delta', '1e-5', '--clip', 'auto', '--json']);
  assert.equal(s.code, 0, s.stderr);
  const sj = onlyJson(s.stdout);
  assert.equal(sj.noiseMultiplier, 1.2);
  assert.equal(sj.adaptiveClipping, true);
  assert.ok((sj.clip as number) > 0 && sj.clip !== 1, `final clip ${sj.clip}`);
  assert.equal(sj.targetEpsilon, undefined);
});

test('train: DP flags without --dp, --dp without a target or δ, and δ ≥ 1/N are refused clearly', () => {
  // The combination rules, in process (each case would otherwise cost a CLI start-up).
  const usage: [DpFlags, RegExp][] = [
    [{ epsilon: 3 }, /^--epsilon needs --dp$/],
    [{ clip: 1, secureNoise: true }, /^--clip, --secure-noise need --dp$/],
    [{ dp: true, delta: 1e-5 }, /exactly one of --epsilon .* or --noise-multiplier/],
    [{ dp: true, epsilon: 1, noiseMultiplier: 1, delta: 1e-5 }, /exactly one of --epsilon/],
    [{ dp: true, epsilon: 3 }, /--dp needs --delta/],
    [{ dp: true, epsilon: 3, delta: 1e-5, clip: 'auto', clipping: 'per-layer' }, /--clip auto works with flat clipping only/],
  ];
  for (const [flags, message] of usage) {
    assert.throws(() => privateTrainingFrom(flags), (e: unknown) => e instanceof UsageError && e.exitCode === 2 && message.test((e as Error).message), JSON.stringify(flags));
  }
  assert.equal(privateTrainingFrom({}), undefined);
  // End to end: a combination error and a malformed value exit 2 with one line, no stack trace.
  for (const [args, message] of [
    [['train', '--model', 'embbag', '--epsilon', '3'], /--epsilon needs --dp/],
    [['train', '--model', 'embbag', '--dp', '--epsilon', '3', '--delta', '1e-5', '--clip', 'big'], /--clip must be a number > 0 or "auto"/],
  ] as [string[], RegExp][]) {
    const r = run(args);
    assert.equal(r.code, 2, `${args.join(' ')} exited ${r.code}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  }
  // --model-config: malformed JSON is a usage error; a hyper-parameter the model lacks, a ConfigError naming it
  const notJson = run(['train', '--model', 'embbag', '--model-config', '{hidden: 0}']);
  assert.equal(notJson.code, 2);
  assert.match(notJson.stderr, /--model-config must be a JSON object/);
  const unknownKey = run(['train', '--dataset', 'synthetic', '--model', 'embbag', '--model-config', '{"hiden": 0}', '--json']);
  assert.equal(unknownKey.code, 2);
  assert.match(unknownKey.stderr, /model "embbag" has no hyper-parameter "hiden"/);
  const bigDelta = run(['train', '--dataset', 'synthetic', '--model', 'embbag', '--dp', '--epsilon', '3', '--delta', '0.01', '--json']);
  assert.equal(bigDelta.code, 2);
  assert.match(bigDelta.stderr, /delta = 0\.01 is not below 1\/N = 0\.000556 for 1800 training examples/);
  assert.equal((onlyJson(bigDelta.stdout).error as { type: string }).type, 'ConfigError');
});

test('study dp-utility --quick: four rows (ε = 1, 3, 8, ∞), spent ε ≤ target, more noise for smaller ε, table and charts written', () => {
  const out = mkdtempSync(join(tmpdir(), 'dp-utility-'));
  const r = run(['study', 'dp-utility', '--dataset', 'synthetic', '--quick', '--out', out, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const j = onlyJson(r.stdout) as { rows: Record<string, number | string | boolean | null>[]; files: string[] };
  assert.deepEqual(j.rows.map((row) => row.epsilon), ['1', '3', '8', '∞']);
  for (const row of j.rows.slice(0, 3)) assert.ok((row.spentEpsilon as number) <= (row.targetEpsilon as number), `ε ${row.spentEpsilon} > ${row.targetEpsilon}`);
  const sigmas = j.rows.map((row) => row.noiseMultiplier as number);
  assert.ok(sigmas[0] > sigmas[1] && sigmas[1] > sigmas[2] && sigmas[3] === 0, `σ ${sigmas}`);
  assert.equal(j.rows[3].gapPoints, 0);
  assert.ok(j.rows.every((row) => row.synthetic === true && (row.secondsPerEpoch as number) > 0));
  for (const name of ['results.json', 'README.md', 'accuracy-vs-epsilon.svg', 'seconds-per-epoch.svg']) {
    assert.ok(existsSync(join(out, name)), name);
  }
  assert.match(readFileSync(join(out, 'README.md'), 'utf8'), /\| target ε \| spent ε \|/);
  assert.match(readFileSync(join(out, 'README.md'), 'utf8'), /trustnlu study dp-utility --dataset synthetic --quick/);
  const other = run(['study', 'fairness-metrics', '--dataset', 'clinc150']);
  assert.equal(other.code, 2);
  assert.match(other.stderr, /takes no --dataset/);
  // --parts: only for studies with parts, only names they know, one line each
  const noParts = run(['study', 'exposure', '--parts', 'dp-8']);
  assert.equal(noParts.code, 2);
  assert.match(noParts.stderr, /has no parts to choose from: drop --parts/);
  const unknown = run(['study', 'leakage', '--parts', 'dp-8,dp-9']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /unknown parts \(dp-9\).*dp-8, matched-accuracy/);
  const alone = run(['study', 'leakage', '--quick', '--parts', 'matched-accuracy']);
  assert.equal(alone.code, 2);
  assert.match(alone.stderr, /run it with dp-8/);
  for (const r of [noParts, unknown, alone]) assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
});
