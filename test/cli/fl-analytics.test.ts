/**
 * `trustnlu fl analytics heavy-hitters | histogram`: one JSON object with items, recall and
 * precision; exact at ε = inf on a file with real user ids; usage errors exit 2 with one line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { needsRealData } from '../helpers.js';

const BIN = join(process.cwd(), 'bin', 'trustnlu.js');

function run(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, 'fl', 'analytics', ...args], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function onlyJson(stdout: string): Record<string, any> {
  const lines = stdout.trim().split('\n');
  assert.equal(lines.length, 1, `expected exactly one line on stdout, got:\n${stdout}`);
  return JSON.parse(lines[0]);
}

/** 30 users; "weather" said by 20 of them, "alarm" by 12, "music" by 6, one-offs otherwise. */
function requestsFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'trustnlu-analytics-'));
  const rows = ['device,utterance,intent'];
  for (let u = 0; u < 30; u++) {
    if (u < 20) rows.push(`d${u},"What's the weather?",weather`);
    if (u >= 18) rows.push(`d${u},set an alarm,alarm`);
    if (u % 5 === 0) rows.push(`d${u},play music,music`);
    rows.push(`d${u},tell me about thing${u},oos`);
  }
  const path = join(dir, 'requests.csv');
  writeFileSync(path, rows.join('\n') + '\n');
  return path;
}

test('heavy-hitters --epsilon inf on a file with real users (a vote cap above the 3 items a device holds): the exact top 3 utterances, recall and precision 1', () => {
  const path = requestsFile();
  const r = run(['heavy-hitters', '--data', path, '--text-column', 'utterance', '--user-column', 'device', '--unit', 'utterance', '--votes-per-device', '4', '--epsilon', 'inf', '--delta', '1e-6', '--k', '3', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const out = onlyJson(r.stdout);
  assert.deepEqual(out.items.map((i: { item: string; estimate: number }) => [i.item, i.estimate]), [["what's the weather", 20], ['set an alarm', 12], ['play music', 6]]);
  assert.equal(out.recall, 1);
  assert.equal(out.precision, 1);
  assert.equal(out.epsilon, null); // JSON has no Infinity
  assert.equal(out.users, 30);
  assert.equal(out.details.privacy.accountant, 'none (epsilon = Infinity)');
});

test('heavy-hitters --noise distributed: exact at --epsilon inf, and at ε = 8 the JSON names the mechanism, each device\'s share σ_i and t', () => {
  const path = requestsFile();
  const args = ['heavy-hitters', '--data', path, '--text-column', 'utterance', '--user-column', 'device', '--unit', 'utterance', '--votes-per-device', '4', '--delta', '1e-6', '--k', '3', '--noise', 'distributed', '--json'];
  const exact = onlyJson(run([...args, '--epsilon', 'inf']).stdout);
  assert.deepEqual(exact.items.map((i: { item: string; estimate: number }) => [i.item, i.estimate]), [["what's the weather", 20], ['set an alarm', 12], ['play music', 6]]);
  assert.equal(exact.noiseMechanism, 'distributed-discrete-gaussian');
  assert.equal(exact.distributedNoise.shareSigma, 0);
  const r = run([...args, '--epsilon', '8', '--min-reports', '20', '--noise-seed', '2']);
  assert.equal(r.code, 0, r.stderr);
  const noisy = onlyJson(r.stdout);
  assert.equal(noisy.distributedNoise.minReports, 20);
  assert.ok(noisy.distributedNoise.shareSigma >= 0.5);
  assert.ok(noisy.distributedNoise.epsilon <= 8 && noisy.distributedNoise.epsilon > 7.99);
  assert.equal(noisy.distributedNoise.delta, 1e-6);
  assert.equal(noisy.details.privacy.noiseMultiplier, 0);
  const central = onlyJson(run(['heavy-hitters', '--data', path, '--text-column', 'utterance', '--user-column', 'device', '--epsilon', '8', '--delta', '1e-6', '--json']).stdout);
  assert.equal(central.noiseMechanism, 'central-gaussian');
  assert.equal(central.distributedNoise, undefined);
});

test('heavy-hitters --method cms and --label filter; histogram of labels over the file\'s devices', () => {
  const path = requestsFile();
  const cms = run(['heavy-hitters', '--data', path, '--text-column', 'utterance', '--user-column', 'device', '--method', 'cms', '--epsilon', '8', '--k', '2', '--noise-seed', '1', '--json']);
  assert.equal(cms.code, 0, cms.stderr);
  const out = onlyJson(cms.stdout);
  assert.equal(out.method, 'cms');
  assert.equal(out.delta, null);
  assert.equal(out.details.noise, 'seeded (not private)');
  assert.ok(out.recall >= 0 && out.recall <= 1);
  const oos = run(['heavy-hitters', '--data', path, '--text-column', 'utterance', '--user-column', 'device', '--label-column', 'intent', '--label', 'oos', '--epsilon', 'inf', '--delta', '1e-6', '--k', '2', '--json']);
  assert.equal(oos.code, 0, oos.stderr);
  const words = onlyJson(oos.stdout).items.map((i: { item: string }) => i.item);
  assert.deepEqual(words, ['about', 'me']); // 30 users each; ties broken by text
  const hist = run(['histogram', '--data', path, '--text-column', 'utterance', '--user-column', 'device', '--label-column', 'intent', '--epsilon', '1', '--delta', '1e-6', '--json']);
  assert.equal(hist.code, 0, hist.stderr);
  const h = onlyJson(hist.stdout);
  assert.deepEqual(h.bins, ['alarm', 'music', 'oos', 'weather']);
  assert.deepEqual(h.trueCounts, [12, 6, 30, 20]);
  assert.equal(h.devices, 30);
  const rate = run(['histogram', '--data', path, '--text-column', 'utterance', '--user-column', 'device', '--label-column', 'intent', '--statistic', 'oos-rate', '--oos-label', 'oos', '--bins', '4', '--epsilon', '1', '--delta', '1e-6', '--json']);
  assert.equal(rate.code, 0, rate.stderr);
  assert.equal(onlyJson(rate.stdout).trueCounts.reduce((s: number, c: number) => s + c, 0), 30);
});

test('fl analytics: usage errors exit 2 with one line naming the problem', () => {
  const path = requestsFile();
  const file = ['--data', path, '--text-column', 'utterance'];
  const cases: [string[], RegExp][] = [
    [['heavy-hitters', '--epsilon', '1', '--delta', '1e-6'], /--dataset NAME .* or --data FILE/],
    [['heavy-hitters', ...file, '--epsilon', '1', '--delta', '1e-6'], /--user-column C .* or --users N/],
    [['heavy-hitters', ...file, '--user-column', 'who', '--epsilon', '1', '--delta', '1e-6'], /no column "who"/],
    [['heavy-hitters', ...file, '--user-column', 'device', '--epsilon', '1'], /needs --delta/],
    [['heavy-hitters', ...file, '--user-column', 'device', '--delta', '1e-6'], /--epsilon/],
    [['heavy-hitters', ...file, '--user-column', 'device', '--epsilon', '-1', '--delta', '1e-6'], /--epsilon must be a number > 0/],
    [['heavy-hitters', ...file, '--user-column', 'device', '--epsilon', 'inf', '--method', 'cms'], /must be finite/],
    [['heavy-hitters', ...file, '--user-column', 'device', '--epsilon', '1', '--delta', '2'], /--delta must be a number in \(0, 1\)/],
    [['heavy-hitters', ...file, '--user-column', 'device', '--epsilon', '1', '--delta', '1e-6', '--unit', 'sentence'], /--unit must be one of word, utterance/],
    [['heavy-hitters', '--dataset', 'synthetic', '--user-column', 'x', '--epsilon', '1', '--delta', '1e-6'], /describe your own file/],
    [['heavy-hitters', ...file, '--user-column', 'device', '--label-column', 'intent', '--label', 'nope', '--epsilon', '1', '--delta', '1e-6'], /no row .* has that label/],
    [['histogram', ...file, '--user-column', 'device', '--label-column', 'intent', '--statistic', 'oos-rate', '--epsilon', '1', '--delta', '1e-6'], /needs --oos-label/],
    [['heavy-hitters', ...file, '--user-column', 'device', '--epsilon', '1', '--delta', '1e-6', '--noise', 'loud'], /--noise must be one of central, distributed/],
    [['heavy-hitters', ...file, '--user-column', 'device', '--epsilon', '1', '--delta', '1e-6', '--min-reports', '5'], /--min-reports applies to --noise distributed/],
    [['heavy-hitters', ...file, '--user-column', 'device', '--epsilon', '1', '--delta', '1e-6', '--noise', 'distributed', '--min-reports', '1'], /--min-reports must be/],
    [['heavy-hitters', ...file, '--user-column', 'device', '--epsilon', '1', '--method', 'cms', '--noise', 'distributed'], /cms is local DP/],
    [['heavy-hitters', ...file, '--user-column', 'device', '--epsilon', '1', '--delta', '1e-6', '--noise', 'distributed', '--sample-rate', '0.5'], /needs --sample-rate 1/],
  ];
  for (const [args, message] of cases) {
    const r = run(args);
    assert.equal(r.code, 2, `${args.join(' ')}: exit ${r.code}\n${r.stderr}`);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, `${args.join(' ')}: one line expected, got\n${r.stderr}`);
    assert.match(lines[0], message, args.join(' '));
  }
});

test('heavy-hitters on CLINC150 out-of-scope requests (one simulated user per request) at ε = 4', needsRealData, () => {
  const r = run(['heavy-hitters', '--dataset', 'clinc150', '--label', 'oos', '--epsilon', '4', '--delta', '1e-6', '--k', '10', '--noise-seed', '3', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const out = onlyJson(r.stdout);
  assert.equal(out.users, 1200);
  assert.equal(out.items.length, 10);
  assert.equal(out.trueTopK[0].item, 'the');
  assert.ok(out.recall >= 0.7, `recall ${out.recall}`);
});
