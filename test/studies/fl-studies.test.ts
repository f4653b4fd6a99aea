/**
 * The federated studies in their quick form (synthetic data, tiny models, in process): the
 * runner writes results, the rows cover the whole grid, and the derived columns (gain vs
 * uniform, gap to centralised) are the differences of the rows they name.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initEngine } from '../../src/engine/index.js';
import { runStudy, type StudyRow } from '../../src/studies/index.js';
import { flSelectionStudy, selectionStudyPlan } from '../../src/studies/fl-selection.js';
import { flNlpStudy, nlpStudyPlan } from '../../src/studies/fl-nlp.js';
import { STUDIES } from '../../src/cli/study.js';
import { SILENT } from '../../src/train/index.js';

const ctx = { seed: 3, quick: true, progress: SILENT };

test('both federated studies are registered with the study command', () => {
  const names = STUDIES.map((s) => s.name);
  assert.ok(names.includes('fl-selection') && names.includes('fl-nlp'), names.join(', '));
});

test('the real plans are the grids the issue asks for', () => {
  const selection = selectionStudyPlan(false, 0);
  assert.deepEqual(selection.cases.map((c) => [c.base.dataset, c.base.partition]), [
    ['tinyshakespeare', 'speaker'],
    ['clinc150', 'dirichlet:0.1'],
    ['clinc150', 'quantity:1'],
  ]);
  assert.deepEqual(selection.selections, ['uniform', 'activity']);
  assert.ok(selection.settings.includes('static') && selection.settings.some((s) => s.startsWith('continual:')));
  const nlp = nlpStudyPlan(false, 0);
  assert.deepEqual(nlp.datasets, ['clinc150', 'banking77']);
  assert.deepEqual(nlp.partitions, ['iid', 'dirichlet:1', 'dirichlet:0.1', 'quantity:1']);
  assert.deepEqual(nlp.strategies, ['fedavg', 'fedprox:0.01', 'fedadam']);
});

test('fl-selection --quick: every case × setting × selection, gains against the uniform row, continual metrics', async () => {
  await initEngine({ backend: 'wasm' });
  const out = mkdtempSync(join(tmpdir(), 'fl-selection-'));
  const result = await runStudy(flSelectionStudy, ctx, { out, command: 'trustnlu study fl-selection --quick' });
  const plan = selectionStudyPlan(true, ctx.seed);
  const rows = result.rows;
  assert.equal(rows.length, plan.cases.length * plan.settings.length * plan.selections.length);
  for (const row of rows) {
    assert.ok((row.accuracy as number) >= 0 && (row.accuracy as number) <= 1, `accuracy ${row.accuracy}`);
    assert.equal(row.synthetic, true);
    const continual = String(row.setting).startsWith('continual');
    assert.equal(typeof row.averageAccuracy === 'number', continual, `${row.case} ${row.setting}: averageAccuracy only in the continual setting`);
    const uniform = rows.find((r) => r.case === row.case && r.setting === row.setting && r.selectionKind === 'uniform')!;
    if (row.selectionKind === 'uniform') assert.equal(row.gain, null);
    else assert.equal(row.gain, (row.accuracy as number) - (uniform.accuracy as number));
    const curve = JSON.parse(String(row.curve)) as { round: number }[];
    assert.equal(curve[0].round, 0);
    assert.equal(curve[curve.length - 1].round, row.rounds);
  }
  assert.ok(rows.some((r) => r.selection === 'activity(τ=1)'));
  for (const file of ['results.json', 'README.md', 'accuracy-by-selection.svg', 'curves-1.svg']) assert.ok(existsSync(join(out, file)), file);
  assert.match(readFileSync(join(out, 'README.md'), 'utf8'), /\| synthetic-lm quantity:0\.5 \| static \| uniform \|/);
});

test('fl-nlp --quick: a centralised row per dataset, every partition × strategy, gaps to centralised', async () => {
  await initEngine({ backend: 'wasm' });
  const out = mkdtempSync(join(tmpdir(), 'fl-nlp-'));
  const result = await runStudy(flNlpStudy, ctx, { out, command: 'trustnlu study fl-nlp --quick' });
  const plan = nlpStudyPlan(true, ctx.seed);
  const rows: StudyRow[] = result.rows;
  assert.equal(rows.length, plan.datasets.length * (1 + plan.partitions.length * plan.strategies.length));
  const central = rows.filter((r) => r.method === 'centralised');
  assert.equal(central.length, plan.datasets.length);
  for (const row of rows) {
    const c = central.find((r) => r.dataset === row.dataset)!;
    assert.equal(row.gap, (row.accuracy as number) - (c.accuracy as number));
  }
  // the centralised run is one client holding all the training data
  assert.equal(central[0].sizes, '1800');
  // label skew shows in the partition summary: α = 0.1 has lower mean label entropy than IID
  const entropy = (kind: string) => rows.find((r) => r.partitionKind === kind)!.labelEntropy as number;
  assert.ok(entropy('dirichlet:0.1') < entropy('dirichlet:1') && entropy('dirichlet:1') < entropy('iid'));
  assert.deepEqual(new Set(rows.filter((r) => r.method !== 'centralised').map((r) => r.method)), new Set(['fedavg', 'fedprox(μ=0.01)', 'fedadam(η=0.1)']));
  assert.ok(existsSync(join(out, 'accuracy-1.svg')));
});
