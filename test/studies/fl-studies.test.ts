/**
 * The federated studies in their quick form (synthetic data, tiny models, in process): the
 * runner writes results, the rows cover the whole grid (tuning, final runs, means, pairs), the
 * derived columns (gain vs uniform, gap to centralised, pair differences, rounds to target)
 * follow from the rows they name, and tuning never reads the test split.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initEngine } from '../../src/engine/index.js';
import { runStudy, type StudyRow } from '../../src/studies/index.js';
import { CATCH_UP_MARGIN, caseSettings, flSelectionStudy, selectionStudyPlan } from '../../src/studies/fl-selection.js';
import { flNlpStudy, nlpFinalCells, nlpStudyPlan, nlpTuningCells, runNlpCell } from '../../src/studies/fl-nlp.js';
import { SimulationExecutor } from '../../src/federated/simulation/index.js';
import { STUDIES } from '../../src/cli/study.js';
import { SILENT } from '../../src/train/index.js';

const ctx = { seed: 3, quick: true, progress: SILENT };

test('both federated studies are registered with the study command', () => {
  const names = STUDIES.map((s) => s.name);
  assert.ok(names.includes('fl-selection') && names.includes('fl-nlp'), names.join(', '));
});

test('the real plans are the grids the issue asks for', () => {
  const selection = selectionStudyPlan(false, 0);
  assert.deepEqual(selection.cases.map((c) => [c.base.dataset, c.base.partition, caseSettings(selection, c)]), [
    ['clinc150', 'quantity:1', ['static', 'drift:3']],
    ['tinyshakespeare', 'speaker', ['static', 'continual:3']],
  ]);
  assert.deepEqual(selection.selections, ['uniform', 'activity', 'activity:0.5', 'power-of-choice:20']);
  assert.equal(selection.seeds.length, 5);
  for (const c of selection.cases) assert.equal(c.base.evaluateEvery, 1, `${c.name}: evaluated every round (rounds to target)`);
  const nlp = nlpStudyPlan(false, 0);
  assert.deepEqual(nlp.datasets, ['clinc150', 'banking77']);
  assert.deepEqual(nlp.partitions, ['iid', 'dirichlet:1', 'dirichlet:0.1', 'quantity:1', 'cluster:10:0.1']);
  assert.deepEqual(nlp.methods.map((m) => m.name), ['centralised', 'fedavg', 'fedprox', 'fedadam', 'fedyogi', 'fedadagrad', 'fedavgm']);
  // 3 client learning rates for all; × 3 of a second knob where the method has one
  assert.deepEqual(nlp.methods.map((m) => m.grid.length), [3, 3, 9, 9, 9, 9, 9]);
  assert.ok(nlp.seeds.length >= 5 && !nlp.seeds.includes(nlp.tuningSeed), 'final seeds ≥ 5, none of them the tuning seed');
  assert.ok(nlp.tuningRounds < nlp.rounds);
  assert.equal(nlp.federated.evaluateEvery, 1);
});

test('fl-selection --quick: run rows with budget, target and catch-up fields, means, and one pair against uniform per selection × case × setting', async () => {
  await initEngine({ backend: 'wasm' });
  const out = mkdtempSync(join(tmpdir(), 'fl-selection-'));
  const result = await runStudy(flSelectionStudy, ctx, { out, command: 'trustnlu study fl-selection --quick' });
  const plan = selectionStudyPlan(true, ctx.seed);
  const runs = result.rows.filter((r) => r.kind === 'run');
  const means = result.rows.filter((r) => r.kind === 'mean');
  const pairs = result.rows.filter((r) => r.kind === 'pair');
  const caseSettingPairs = plan.cases.reduce((n, c) => n + caseSettings(plan, c).length, 0);
  const configurations = caseSettingPairs * plan.selections.length;
  assert.equal(runs.length, configurations * plan.seeds.length);
  assert.equal(means.length, configurations);
  assert.equal(pairs.filter((p) => p.comparison === 'final').length, caseSettingPairs * (plan.selections.length - 1));
  assert.equal(pairs.filter((p) => p.comparison === 'equal examples').length, caseSettingPairs * (plan.selections.length - 1));
  assert.ok(runs.some((r) => r.setting === 'drift:2'), 'the drift setting ran');
  for (const row of runs) {
    for (const key of ['dataset', 'partition', 'setting', 'method', 'seed', 'rounds', 'examplesProcessed', 'accuracy', 'roundsToTarget']) assert.ok(key in row, `run row has ${key}`);
    assert.ok((row.accuracy as number) >= 0 && (row.accuracy as number) <= 1, `accuracy ${row.accuracy}`);
    assert.equal(row.synthetic, true);
    const curve = JSON.parse(String(row.curve)) as { round: number; accuracy: number; examples: number }[];
    assert.deepEqual(curve.map((p) => p.round), Array.from({ length: (row.rounds as number) + 1 }, (_, i) => i), 'evaluated every round');
    assert.equal(curve[curve.length - 1].examples, row.examplesProcessed);
    const reached = curve.find((p) => p.accuracy >= (row.target as number));
    assert.equal(row.roundsToTarget, reached ? reached.round : null);
    const continual = row.setting !== 'static';
    assert.equal(typeof row.averageAccuracy === 'number', continual, `${row.case} ${row.setting}: averageAccuracy only in the continual settings`);
    if (continual) {
      // the all-data-at-once baseline: the static run of the same case, selection and seed
      const baseline = runs.find((r) => r.case === row.case && r.setting === 'static' && r.selectionKind === row.selectionKind && r.seed === row.seed)!;
      assert.equal(row.allDataAccuracy, baseline.accuracy);
      const caught = curve.find((p) => p.accuracy >= (baseline.accuracy as number) - CATCH_UP_MARGIN);
      assert.equal(row.roundsToAllData, caught ? caught.round : null);
    } else assert.equal(row.roundsToAllData, null);
  }
  for (const row of means) {
    const uniform = means.find((r) => r.case === row.case && r.setting === row.setting && r.selectionKind === 'uniform')!;
    if (row.selectionKind === 'uniform') assert.equal(row.gain, null);
    else assert.equal(row.gain, (row.accuracy as number) - (uniform.accuracy as number));
  }
  assert.deepEqual([...new Set(pairs.map((p) => p.pair))], ['activity − uniform', 'power-of-choice:6 − uniform']);
  for (const row of runs.filter((r) => r.selectionKind !== 'uniform')) {
    // accuracy at uniform's example budget: the last round at which this run had processed no more than uniform did in all
    const uniform = runs.find((r) => r.case === row.case && r.setting === row.setting && r.selectionKind === 'uniform' && r.seed === row.seed)!;
    const curve = JSON.parse(String(row.curve)) as { round: number; accuracy: number; examples: number }[];
    const within = curve.filter((p) => p.examples <= (uniform.examplesProcessed as number));
    assert.equal(row.accuracyAtUniformExamples, within.length ? within[within.length - 1].accuracy : null);
  }
  for (const pair of pairs) {
    const arm = (selection: string) => runs.filter((r) => r.case === pair.case && r.setting === pair.setting && r.selectionKind === selection);
    const other = String(pair.pair).split(' − ')[0];
    const field = pair.comparison === 'final' ? 'accuracy' : 'accuracyAtUniformExamples';
    const differences = arm(other).map((r, i) => (r[field] as number) - (arm('uniform')[i].accuracy as number));
    assert.ok(Math.abs((pair.meanDifference as number) - differences.reduce((s, d) => s + d, 0) / differences.length) < 1e-12);
    assert.equal(pair.seeds, plan.seeds.join(','));
    assert.equal(pair.established, (pair.intervalLow as number) > 0 || (pair.intervalHigh as number) < 0);
  }
  assert.ok(runs.some((r) => r.selection === 'activity(τ=1)'));
  for (const file of ['results.json', 'README.md', 'accuracy-by-selection.svg', 'curves-1.svg', 'curves-by-examples-1.svg']) assert.ok(existsSync(join(out, file)), file);
  const readme = readFileSync(join(out, 'README.md'), 'utf8');
  assert.match(readme, /\| synthetic-lm quantity:0\.5 \| static \| uniform \|/);
  assert.match(readme, /## Paired comparisons \(same seeds\)\n\n\| data \/ partition \| setting \| compared at \| pair \|/);
});

test('fl-nlp --quick: tuning rows on client validation, final runs at the chosen points on every seed, means, and the pairs', async () => {
  await initEngine({ backend: 'wasm' });
  const out = mkdtempSync(join(tmpdir(), 'fl-nlp-'));
  const result = await runStudy(flNlpStudy, ctx, { out, command: 'trustnlu study fl-nlp --quick' });
  const plan = nlpStudyPlan(true, ctx.seed);
  const rows: StudyRow[] = result.rows;
  const tuning = rows.filter((r) => r.kind === 'tuning');
  const runs = rows.filter((r) => r.kind === 'run');
  const means = rows.filter((r) => r.kind === 'mean');
  const pairs = rows.filter((r) => r.kind === 'pair');
  const federated = plan.methods.filter((m) => m.name !== 'centralised');
  const gridPoints = plan.methods.find((m) => m.name === 'centralised')!.grid.length + plan.partitions.length * federated.reduce((s, m) => s + m.grid.length, 0);
  assert.equal(tuning.length, plan.datasets.length * gridPoints);
  assert.equal(means.length, plan.datasets.length * (1 + plan.partitions.length * federated.length));
  assert.equal(runs.length, means.length * plan.seeds.length);
  // 6 against centralised and 5 against FedAvg per partition
  assert.equal(pairs.length, plan.datasets.length * plan.partitions.length * (federated.length + federated.length - 1));
  for (const row of tuning) {
    assert.equal(row.evaluationSplit, 'client-validation');
    assert.equal(row.seed, plan.tuningSeed);
    assert.equal(row.rounds, plan.tuningRounds);
  }
  for (const row of runs) {
    assert.equal(row.evaluationSplit, 'test');
    assert.ok(plan.seeds.includes(row.seed as number));
    assert.equal(row.rounds, plan.rounds);
    // each final run is at the tuning winner: the highest client-validation accuracy of its grid (earliest on ties)
    const candidates = tuning.filter((t) => t.dataset === row.dataset && t.partitionKind === row.partitionKind && t.methodKind === row.methodKind);
    const best = Math.max(...candidates.map((t) => t.validationAccuracy as number));
    const winner = candidates.find((t) => t.validationAccuracy === best)!;
    assert.equal(row.point, winner.point);
    assert.equal(winner.chosen, true);
    for (const key of ['dataset', 'partition', 'setting', 'method', 'seed', 'rounds', 'examplesProcessed', 'accuracy', 'roundsToTarget']) assert.ok(key in row, `run row has ${key}`);
  }
  // the same example budget: the centralised run processes what an IID federated round processes, every round
  const central = runs.find((r) => r.methodKind === 'centralised')!;
  const iid = runs.find((r) => r.partitionKind === 'iid' && r.methodKind === 'fedavg')!;
  assert.equal(central.examplesProcessed, iid.examplesProcessed);
  for (const row of means) {
    const c = means.find((r) => r.dataset === row.dataset && r.methodKind === 'centralised')!;
    assert.equal(row.gap, (row.accuracy as number) - (c.accuracy as number));
  }
  assert.equal(central.sizes, '1800');
  const entropy = (kind: string) => means.find((r) => r.partitionKind === kind)!.labelEntropy as number;
  assert.ok(entropy('dirichlet:0.1') < entropy('iid'));
  for (const file of ['accuracy-1.svg', 'curves-alpha0.1-1.svg', 'curves-by-examples-alpha0.1-1.svg']) assert.ok(existsSync(join(out, file)), file);
  assert.match(readFileSync(join(out, 'README.md'), 'utf8'), /## Paired comparisons \(same seeds\)/);
});

test('fl-nlp tuning cells never evaluate the evaluation (test) split; final cells do', async () => {
  await initEngine({ backend: 'wasm' });
  const plan = nlpStudyPlan(true, 1);
  const tuningCells = nlpTuningCells(plan);
  const splits: string[] = [];
  const original = SimulationExecutor.prototype.evaluate;
  SimulationExecutor.prototype.evaluate = function (this: SimulationExecutor, split, indices, parameters) {
    splits.push(split);
    return original.call(this, split, indices, parameters);
  };
  try {
    const tuningRows: StudyRow[] = [];
    for (const spec of tuningCells.filter((c) => c.params.method === 'centralised' || c.params.method === 'fedadam')) {
      tuningRows.push(...(await runNlpCell({ ...spec, key: 'k' }, { seed: 1, quick: true, progress: SILENT })));
    }
    assert.ok(splits.length > 0 && splits.every((s) => s === 'train'), `tuning evaluated ${[...new Set(splits)].join(', ')}`);
    splits.length = 0;
    const final = nlpFinalCells(plan, tuningRows);
    assert.ok(final.length > 0 && final.every((c) => c.params.stage === 'final'));
    await runNlpCell({ ...final[0], key: 'k' }, { seed: 1, quick: true, progress: SILENT });
    assert.ok((splits as string[]).includes('evaluation'));
  } finally {
    SimulationExecutor.prototype.evaluate = original;
  }
});
