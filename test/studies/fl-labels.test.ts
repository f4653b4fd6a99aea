/** The fl-labels study in its quick form: every condition, the seed-model lower bound, ratios to supervised FL. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initEngine } from '../../src/engine/index.js';
import { runStudy } from '../../src/studies/index.js';
import { flLabelsStudy, labelStudyPlan, meanWithInterval } from '../../src/studies/fl-labels.js';
import { STUDIES } from '../../src/cli/study.js';
import { SILENT } from '../../src/train/index.js';

test('fl-labels is registered, and its real plan covers both datasets, noise 0 and 0.3, two feedback rates, server fine-tuning and semi', () => {
  assert.ok(STUDIES.some((s) => s.name === 'fl-labels'));
  const plan = labelStudyPlan(false, 0);
  assert.deepEqual(plan.datasets, ['clinc150', 'banking77']);
  assert.deepEqual(labelStudyPlan(false, 0, 'banking77').datasets, ['banking77']);
  const labels = plan.conditions.map((c) => `${c.labels}@${c.feedbackRate ?? ''}${c.serverEpochs ? '+server' : ''}`);
  assert.deepEqual(labels, ['gold@', 'feedback:0@1', 'feedback:0.3@1', 'feedback:0.3@0.5', 'feedback:0.3@1+server', 'semi:0.05@']);
  assert.ok(plan.seeds.length >= 2);
});

test('mean with a Student-t interval: hand-worked for two and three values', () => {
  // n = 2: sd = |a − b|/√2, half = t(0.975, 1)·sd/√2 = 12.7062·0.05 = 0.635310
  const two = meanWithInterval([0.5, 0.6]);
  assert.ok(Math.abs(two.mean - 0.55) < 1e-12 && Math.abs(two.half! - 0.63531) < 1e-4, JSON.stringify(two));
  // n = 3 of 1, 2, 3: sd = 1, half = t(0.975, 2)/√3 = 4.302653/1.732051 = 2.484138
  const three = meanWithInterval([1, 2, 3]);
  assert.ok(Math.abs(three.half! - 2.484138) < 1e-4, JSON.stringify(three));
  assert.equal(meanWithInterval([0.7]).half, null);
});

test('fl-labels --quick: a lower-bound row and one row per condition, ratios to the supervised row', async () => {
  await initEngine({ backend: 'wasm' });
  const out = mkdtempSync(join(tmpdir(), 'fl-labels-'));
  const result = await runStudy(flLabelsStudy, { seed: 1, quick: true, progress: SILENT }, { out, command: 'trustnlu study fl-labels --quick' });
  const rows = result.rows;
  assert.equal(rows.length, 1 + labelStudyPlan(true, 1).conditions.length);
  assert.equal(rows[0].labels, 'seed-only');
  const supervised = rows.find((r) => r.labels === 'gold')!;
  assert.ok(Math.abs((supervised.ofSupervised as number) - 1) < 1e-12);
  for (const row of rows) {
    assert.ok((row.accuracy as number) >= 0 && (row.accuracy as number) <= 1);
    assert.ok(Math.abs((row.ofSupervised as number) - (row.accuracy as number) / (supervised.accuracy as number)) < 1e-12);
  }
  const noiseless = rows.find((r) => r.labels === 'feedback:0')!;
  assert.equal(noiseless.wrongShare, 0, 'noiseless feedback has no wrong target');
  assert.ok(existsSync(join(out, 'results.json')) && existsSync(join(out, 'README.md')));
});
