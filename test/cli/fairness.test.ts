/**
 * The `trustnlu fairness` contract: one JSON object on stdout, exit 2 for bad flags, weat on a
 * generated word2vec file (checked against an independent computation) and on WEFE's fixture,
 * groups and aps on a quickly trained synthetic model, the VADER reference and the probe list.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PERSON_NAME_GROUPS } from '../../src/data/datasets/synthetic.js';
import { vaderClassifier } from '../../src/fairness/extrinsic/predictor.js';
import { buildProbeSet } from '../../src/fairness/probes/index.js';
import { needsRealData, REAL_DATA_DIR } from '../helpers.js';

const BIN = join(process.cwd(), 'bin', 'trustnlu.js');

function run(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function onlyJson(stdout: string): any {
  const lines = stdout.trim().split('\n');
  assert.equal(lines.length, 1, `expected exactly one line on stdout, got:\n${stdout}`);
  return JSON.parse(lines[0]);
}

/** Six 2-d vectors and four sets; the expected WEAT numbers are computed below without the library. */
function tinyFixture(dir: string) {
  const vectors: Record<string, [number, number]> = {
    x1: [1, 0.2], x2: [0.9, 0.5], x3: [0.7, 0.1],
    y1: [0.1, 1], y2: [0.3, 0.8], y3: [-0.2, 0.9],
    a1: [1, 0], a2: [0.8, -0.1], b1: [0, 1], b2: [0.1, 0.7],
  };
  const lines = Object.entries(vectors).map(([w, v]) => `${w} ${v.join(' ')}`);
  writeFileSync(join(dir, 'tiny.txt'), `${lines.length} 2\n${lines.join('\n')}\n`);
  writeFileSync(join(dir, 'sets.json'), JSON.stringify({ X: ['x1', 'x2', 'x3'], Y: ['y1', 'y2', 'y3', 'zz'], A: ['a1', 'a2'], B: ['b1', 'b2'] }));
  const cos = (u: number[], v: number[]) => (u[0] * v[0] + u[1] * v[1]) / (Math.hypot(...u) * Math.hypot(...v));
  const s = (w: string) => (cos(vectors[w], vectors.a1) + cos(vectors[w], vectors.a2)) / 2 - (cos(vectors[w], vectors.b1) + cos(vectors[w], vectors.b2)) / 2;
  const targets = ['x1', 'x2', 'x3', 'y1', 'y2', 'y3'];
  const values = targets.map(s);
  const mean = values.reduce((a, b) => a + b, 0) / 6;
  const sd = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / 5);
  const sumX = values[0] + values[1] + values[2];
  const sumY = values[3] + values[4] + values[5];
  // Exact p-value: all C(6,3) = 20 ways to choose X_i; count statistics strictly above the observed.
  let above = 0;
  for (let i = 0; i < 6; i++) for (let j = i + 1; j < 6; j++) for (let k = j + 1; k < 6; k++) {
    const sub = values[i] + values[j] + values[k];
    if (2 * sub - (sumX + sumY) > sumX - sumY + 1e-12) above++;
  }
  return { effectSize: (sumX / 3 - sumY / 3) / sd, statistic: sumX - sumY, pValue: above / 20 };
}

test('fairness weat on a generated word2vec file matches an independent computation', () => {
  const dir = mkdtempSync(join(tmpdir(), 'weat-'));
  const expected = tinyFixture(dir);
  const args = ['fairness', 'weat', '--embeddings', join(dir, 'tiny.txt'), '--word-sets', join(dir, 'sets.json'), '--targets', 'X,Y', '--attributes', 'A,B', '--max-missing', '0.3', '--json'];
  const r = run(args);
  assert.equal(r.code, 0, r.stderr);
  const out = onlyJson(r.stdout);
  assert.deepEqual(Object.keys(out).slice(0, 6), ['effectSize', 'statistic', 'pValue', 'exact', 'permutations', 'missing']);
  assert.ok(Math.abs(out.effectSize - expected.effectSize) < 1e-6, `${out.effectSize} vs ${expected.effectSize}`);
  assert.ok(Math.abs(out.statistic - expected.statistic) < 1e-6);
  assert.equal(out.pValue, expected.pValue);
  assert.equal(out.exact, true);
  assert.equal(out.permutations, 20);
  assert.deepEqual(out.missing, ['zz']);
  // Y loses 1 of 4 words (25%): over the default 20% limit, a clear error (exit 2).
  const strict = run(args.filter((a, i) => a !== '--max-missing' && args[i - 1] !== '--max-missing'));
  assert.equal(strict.code, 2);
  assert.match(strict.stderr, /zz/);
  assert.ok(onlyJson(strict.stdout).error);
  const unknownSet = run([...args.slice(0, 7), 'X,Nope', '--attributes', 'A,B', '--json']);
  assert.equal(unknownSet.code, 2);
  assert.match(unknownSet.stderr, /no word set named "Nope"/);
});

test('bad fairness flags exit 2 with a one-line reason', () => {
  const cases: [string[], RegExp][] = [
    [['fairness', 'weat', '--embeddings', 'x', '--targets', 'X', '--attributes', 'A,B'], /--targets must be two set names/],
    [['fairness', 'weat', '--embeddings', 'x', '--targets', 'X,Y', '--attributes', 'A,B', '--max-missing', '2'], /--max-missing must be a number between 0 and 1/],
    [['fairness', 'weat', '--embeddings', 'x', '--targets', 'X,Y', '--attributes', 'A,B', '--permutations', '0'], /--permutations must be an integer/],
    [['fairness', 'groups', '--model', 'x', '--probe', 'nope'], /--probe must be one of/],
    [['fairness', 'groups', '--model', 'x', '--probe', 'intent-synthetic', '--groups', 'religion'], /--groups must be one of/],
    [['fairness', 'aps', '--model', 'x', '--probe', 'intent-synthetic', '--class-weighting', 'max'], /--class-weighting must be one of/],
    [['fairness', 'aps', '--model', 'x', '--probe', 'intent-synthetic', '--l2', '0'], /--l2 must be a number > 0/],
    [['fairness', 'groups', '--probe', 'sentiment-eec'], /exactly one of --model DIR or --reference vader/],
  ];
  for (const [args, message] of cases) {
    const r = run(args);
    assert.equal(r.code, 2, `${args.join(' ')} exited ${r.code}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  }
  for (const sub of ['weat', 'groups', 'aps', 'probes']) assert.equal(run(['fairness', sub, '--help']).code, 0);
});

test('fairness probes lists every probe family with sizes per group scheme', () => {
  const r = run(['fairness', 'probes', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const { probes } = onlyJson(r.stdout);
  assert.deepEqual(probes.map((p: { name: string }) => p.name), ['intent-synthetic', 'intent-clinc150', 'sentiment-eec']);
  for (const p of probes) {
    assert.deepEqual(p.schemes.map((s: { scheme: string }) => s.scheme), ['gender', 'gender-names', 'gender-terms', 'race']);
    for (const s of p.schemes) assert.equal(Object.values(s.groups as Record<string, number>).reduce((a, b) => a + b, 0), s.size);
  }
});

test('the VADER reference on the race probe: only the one EEC name in its lexicon ("tia") moves it', () => {
  const r = run(['fairness', 'groups', '--reference', 'vader', '--probe', 'sentiment-eec', '--groups', 'race', '--resamples', '50', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const out = onlyJson(r.stdout);
  assert.equal(out.model, 'vader');
  // Independently: every example whose name or counterpart name is Tia, classified by VADER itself.
  const probe = buildProbeSet('sentiment-eec', 'race');
  const vader = vaderClassifier();
  const positive = (text: string) => vader.probabilities([text])[1] > 0.5;
  let flips = 0;
  for (const e of probe.examples) {
    const involvesTia = /\btia\b/i.test(e.text) || e.counterfactuals.some((c) => /\btia\b/i.test(c.text));
    const flipped = e.counterfactuals.some((c) => positive(c.text) !== positive(e.text));
    if (!involvesTia) assert.equal(flipped, false, `VADER flipped on ${e.text}`);
    if (flipped) flips++;
  }
  assert.ok(flips > 0, 'Tia is in the VADER lexicon, so some swap must flip');
  assert.equal(out.counterfactual.flipRate, flips / probe.examples.length);
  assert.ok(out.groupMetrics.differences.demographicParity > 0);
  assert.ok(out.groupMetrics.overall.accuracy > 0.5);
});

test('groups, aps and weat on a quickly trained synthetic model', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fair-model-'));
  const model = join(dir, 'model');
  const t = run(['train', '--dataset', 'synthetic', '--model', 'embbag', '--epochs', '2', '--seed', '1', '--out', model, '--json']);
  assert.equal(t.code, 0, t.stderr);

  const g = run(['fairness', 'groups', '--model', model, '--probe', 'intent-synthetic', '--groups', 'gender', '--resamples', '100', '--json']);
  assert.equal(g.code, 0, g.stderr);
  const groups = onlyJson(g.stdout);
  assert.equal(groups.probe, 'intent-synthetic/gender');
  assert.deepEqual(groups.groups, ['female', 'male']);
  assert.equal(groups.positive, 'call_contact');
  for (const key of ['demographicParity', 'equalOpportunity', 'equalizedOdds', 'accuracy']) assert.equal(typeof groups.groupMetrics.differences[key], 'number', key);
  const dp = groups.groupMetrics.ci.differences.demographicParity;
  assert.ok(dp.low <= dp.estimate && dp.estimate <= dp.high);
  assert.ok(groups.counterfactual.meanAbsoluteChange >= 0 && groups.counterfactual.flipRate >= 0);
  assert.ok(groups.counterfactual.ci.flipRate.high >= groups.counterfactual.flipRate);
  // The synthetic vocabulary has the seen names but not "she" or "my mother".
  assert.ok(groups.coverage.female.known >= 12 && groups.coverage.female.unknownValues.includes('she'));

  const wrongProbe = run(['fairness', 'groups', '--model', model, '--probe', 'intent-clinc150', '--json']);
  assert.equal(wrongProbe.code, 2);
  assert.match(wrongProbe.stderr, /does not have/);

  const a = run(['fairness', 'aps', '--model', model, '--probe', 'intent-synthetic', '--groups', 'gender-names', '--resamples', '100', '--json']);
  assert.equal(a.code, 0, a.stderr);
  const aps = onlyJson(a.stdout);
  assert.ok(aps.aps > 0 && Number.isFinite(aps.aps));
  assert.ok(aps.ci.low <= aps.aps && aps.aps <= aps.ci.high);
  assert.deepEqual(Object.keys(aps.byGroup), ['female', 'male']);
  assert.equal(aps.form, 'elementwise');
  assert.equal(aps.classWeighting, 'probability');
  assert.equal(aps.protectedModel.source, 'identity');
  const rho = aps.correlationWithCounterfactual.spearman;
  assert.ok(rho === null || (rho.low <= rho.estimate && rho.estimate <= rho.high));

  const fromData = run(['fairness', 'aps', '--model', model, '--probe', 'intent-synthetic', '--protected-data', 'dataset', '--resamples', '50', '--json']);
  assert.equal(fromData.code, 0, fromData.stderr);
  assert.equal(onlyJson(fromData.stdout).protectedModel.source, 'dataset');

  const sets = join(dir, 'sets.json');
  writeFileSync(sets, JSON.stringify({ female: PERSON_NAME_GROUPS.female.seen, male: PERSON_NAME_GROUPS.male.seen, calling: ['call', 'ring', 'phone', 'dial'], messaging: ['text', 'message', 'tell', 'saying'] }));
  const w = run(['fairness', 'weat', '--embeddings', model, '--word-sets', sets, '--targets', 'female,male', '--attributes', 'calling,messaging', '--permutations', '2000', '--json']);
  assert.equal(w.code, 0, w.stderr);
  const weat = onlyJson(w.stdout);
  assert.ok(Number.isFinite(weat.effectSize) && Math.abs(weat.effectSize) <= 2);
  assert.equal(weat.exact, false);
  assert.equal(weat.permutations, 2000);
  assert.deepEqual(weat.missing, []);
});

test('fairness weat on WEFE\'s word2vec fixture reproduces Caliskan et al. (career/family: 1.89)', needsRealData, () => {
  const r = run(['fairness', 'weat', '--embeddings', join(REAL_DATA_DIR!, 'wefe-weat', 'weat_w2v____old.txt'), '--targets', 'male_names,female_names', '--attributes', 'career,family', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const out = onlyJson(r.stdout);
  assert.equal(Math.round(out.effectSize * 100) / 100, 1.89);
  assert.equal(out.exact, true);
  assert.equal(out.permutations, 12870);
  assert.equal(out.pValue, 0);
  assert.deepEqual(out.missing, []);
});
