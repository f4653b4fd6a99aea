/**
 * Study "fl-selection": does selecting devices by activity (pₖ ∝ nₖ, with the unbiased plain
 * average of Li et al. 2020; τ tempers it to pₖ ∝ nₖ^τ) or by power of choice (the d
 * candidates' highest-loss clients, Cho et al. 2022) beat uniform selection (k distinct
 * clients, weights ∝ nₖ), and does the gap grow when data arrives over time?
 *
 * Real run: CLINC150 under quantity skew (β = 1, heavy-tailed client sizes), static and with
 * real drift (drift:3: the domains dealt into 3 periods, a client keeping only the current
 * period's data), and Tiny Shakespeare by speaker (a char-LSTM), static and continual:3; four
 * selectors, 5 seeds, every round evaluated. The static run of the same selector and seed is
 * the "all data at once" baseline (same total rounds): continual runs report the round at which
 * they first come within 1 point of it. `--parts clinc150|tinyshakespeare` runs one case.
 * Quick run (tests, smoke runs): the synthetic corpus and intent set with tiny models.
 * Each run (case × setting × selection × seed) is a study cell: resumable, and parallel
 * with --parallel N or --queue.
 */
import type { FederatedExperimentOptions } from '../federated/index.js';
import { barChart, lineChart, type VegaLiteSpec } from '../report/charts.js';
import { mean } from '../metrics/index.js';
import { curveField, groupInOrder, runOneSeed, seedMeanFields } from './fl-runs.js';
import { PAIR_RESULT_COLUMNS, pairRow } from './fl-pairs.js';
import { SeededRandom } from '../engine/random.js';
import type { CellSpec, StudyCell } from './cells.js';
import { ConfigError } from '../errors.js';
import type { StudyColumn, StudyContext, StudyDefinition, StudyRow } from './runner.js';

type Base = Omit<FederatedExperimentOptions, 'seed' | 'progress' | 'selection' | 'setting'>;

interface SelectionCase {
  /** Short name used in rows and charts. */
  name: string;
  base: Base;
  /** Test accuracy the runs are timed to (rounds and client examples to target). */
  target: number;
  /** Settings of this case (default: the plan's); drift:T needs a dataset with domains. */
  settings?: string[];
}

export interface SelectionStudyPlan {
  cases: SelectionCase[];
  settings: string[];
  selections: string[];
  seeds: number[];
  /** Mean accuracy within this of the majority-class accuracy counts as chance. */
  chanceMargin: number;
}

/** What the study runs; the real sizes were chosen to finish in well under an hour on a busy shared machine. */
export function selectionStudyPlan(quick: boolean, seed: number): SelectionStudyPlan {
  if (quick) {
    const common = { strategy: 'fedavg', rounds: 4, clientsPerRound: 3, localEpochs: 1, workers: 0, maxLocalSteps: 2, evaluateEvery: 1 };
    return {
      cases: [
        {
          name: 'synthetic-lm quantity:0.5',
          base: { ...common, dataset: 'synthetic-lm', partition: 'quantity:0.5', numClients: 12, model: 'char-lstm', modelConfig: { hidden: 16, embeddingDim: 8, contextLength: 16 } },
          target: 0.2,
        },
        {
          name: 'synthetic dirichlet:0.5',
          base: { ...common, dataset: 'synthetic', partition: 'dirichlet:0.5', numClients: 20, model: 'embbag', modelConfig: { embeddingDim: 8, hidden: 8 } },
          target: 0.1,
          settings: ['static', 'drift:2'],
        },
      ],
      settings: ['static', 'continual:2'],
      selections: ['uniform', 'activity', 'power-of-choice:6'],
      seeds: [seed, seed + 1],
      chanceMargin: 0.02,
    };
  }
  // Sizes fit a shared 2-core machine. CLINC150 under quantity skew (β = 1, heavy-tailed client
  // sizes), 100 clients, 10 per round, 30 rounds, static and drift:3 (the domains dealt into 3
  // periods; a client keeps only the current period's data). Tiny Shakespeare by speaker (20
  // rounds of 5 clients, a small char-LSTM, ≤ 5 local steps), static and continual:3. 5 seeds,
  // evaluated every round. Targets are provisional: between the one-seed uniform and activity
  // accuracies of the earlier runs.
  const intent = { strategy: 'fedavg', rounds: 30, clientsPerRound: 10, localEpochs: 1, workers: 1, evaluateEvery: 1, dataset: 'clinc150', numClients: 100, model: 'embbag' };
  return {
    cases: [
      { name: 'clinc150 quantity:1', base: { ...intent, partition: 'quantity:1' }, target: 0.4, settings: ['static', 'drift:3'] },
      {
        name: 'tinyshakespeare speaker',
        base: {
          strategy: 'fedavg',
          dataset: 'tinyshakespeare',
          partition: 'speaker',
          model: 'char-lstm',
          modelConfig: { hidden: 64 },
          rounds: 20,
          clientsPerRound: 5,
          localEpochs: 1,
          maxLocalSteps: 5,
          workers: 1,
          evaluateEvery: 1,
        },
        target: 0.25,
        settings: ['static', 'continual:3'],
      },
    ],
    settings: ['static', 'continual:3'],
    selections: ['uniform', 'activity', 'activity:0.5', 'power-of-choice:20'],
    seeds: [0, 1, 2, 3, 4].map((k) => seed + k),
    chanceMargin: 0.02,
  };
}

const COLUMNS: StudyColumn[] = [
  { key: 'case', header: 'data / partition' },
  { key: 'setting', header: 'setting' },
  { key: 'selection', header: 'selection' },
  { key: 'accuracy', header: 'test acc. (mean)' },
  { key: 'interval', header: '95% interval (seeds)' },
  { key: 'gain', header: 'gain vs uniform' },
  { key: 'bySeed', header: 'acc. by seed' },
  { key: 'examplesProcessed', header: 'client examples', digits: 0 },
  { key: 'reachedTarget', header: 'seeds at target' },
  { key: 'roundsToTarget', header: 'rounds to target', digits: 1 },
  { key: 'examplesToTarget', header: 'examples to target', digits: 0 },
  { key: 'accuracyAtUniformExamples', header: 'acc. at uniform\'s examples' },
  { key: 'averageAccuracy', header: 'continual: mean acc. on periods' },
  { key: 'forgetting', header: 'continual: forgetting' },
  { key: 'allDataAccuracy', header: 'all data at once (same seeds)' },
  { key: 'caughtUp', header: 'seeds within 1 pt of it' },
  { key: 'roundsToAllData', header: 'rounds to within 1 pt', digits: 1 },
  { key: 'clients', header: 'clients' },
  { key: 'sizes', header: 'client sizes p10/p50/p90/max' },
  { key: 'seconds', header: 'seconds', digits: 0 },
];

/** One cell: one case, setting, selection and seed (the seed pairs the arms: uniform and activity see the same partition and initialisation). */
export type SelectionCellParams = {
  case: string;
  setting: string;
  selection: string;
  seed: number;
  options: Base & { setting: string; selection: string };
};

/** `--parts`: the real cases by dataset, to run one at a time on a small machine. */
export const SELECTION_PARTS = ['clinc150', 'tinyshakespeare'];

/** The plan with only the cases of the chosen parts (all without --parts). */
export function planParts(plan: SelectionStudyPlan, parts: string[] | undefined): SelectionStudyPlan {
  if (!parts) return plan;
  const cases = plan.cases.filter((c) => parts.includes(String(c.base.dataset)));
  if (cases.length === 0) throw new ConfigError(`--parts ${parts.join(',')} names no case of this run (its cases use ${plan.cases.map((c) => c.base.dataset).join(', ')}); --quick runs every case`);
  return { ...plan, cases };
}

/** The settings one case runs. */
export function caseSettings(plan: SelectionStudyPlan, c: SelectionCase): string[] {
  return c.settings ?? plan.settings;
}

export function selectionCells(plan: SelectionStudyPlan): CellSpec<SelectionCellParams>[] {
  return plan.cases.flatMap((c) =>
    caseSettings(plan, c).flatMap((setting) =>
      plan.selections.flatMap((selection) =>
        plan.seeds.map((seed) => ({
          name: `${c.name} ${setting} ${selection} seed ${seed}`,
          params: { case: c.name, setting, selection, seed, options: { ...c.base, setting, selection, targetAccuracy: c.target } },
        })),
      ),
    ),
  );
}

/** One run's row (kind "run"); `summarize` adds the means and the pairs. */
export async function runSelectionCell(cell: StudyCell<SelectionCellParams>, ctx: StudyContext): Promise<StudyRow[]> {
  const p = cell.params;
  const run = await runOneSeed(p.options, p.seed, ctx, `${p.case} ${p.setting} ${p.selection}`);
  const q = run.partitionSummary.sizeQuantiles;
  return [
    {
      kind: 'run',
      case: p.case,
      dataset: run.dataset,
      synthetic: run.synthetic,
      partition: run.partition,
      setting: p.setting,
      method: p.selection,
      selection: run.selection,
      selectionKind: p.selection,
      seed: p.seed,
      accuracy: run.accuracy,
      examplesProcessed: run.examplesProcessed,
      target: run.target?.accuracy ?? null,
      roundsToTarget: run.target?.rounds ?? null,
      examplesToTarget: run.target?.examples ?? null,
      majorityAccuracy: run.majorityAccuracy,
      averageAccuracy: run.continual ? run.continual.averageAccuracy : null,
      forgetting: run.continual ? run.continual.forgetting : null,
      rounds: run.rounds,
      clientsPerRound: run.clientsPerRound,
      clients: run.clients,
      sizes: `${q.p10.toFixed(0)}/${q.p50.toFixed(0)}/${q.p90.toFixed(0)}/${q.max}`,
      model: run.model,
      seconds: run.seconds,
      curve: curveField(run),
    },
  ];
}

/**
 * The rows of results.json: every run (kind "run"), one "mean" row per case × setting ×
 * selection (mean accuracy over seeds with its bootstrap interval, each arm's gain over uniform)
 * and two "pair" rows per selection other than uniform: its seed-paired difference to uniform at
 * the end of the runs and at uniform's example budget.
 */
export function summarizeSelection(cellRows: StudyRow[], ctx: { seed: number; quick: boolean }): StudyRow[] {
  const plan = selectionStudyPlan(ctx.quick, ctx.seed);
  const find = runLookup(cellRows);
  const runs = cellRows.map((r) => withEqualExamples(withRoundsToAllData(r, find), find));
  const rng = new SeededRandom(ctx.seed).fork('fl-selection:means');
  const groups = groupInOrder(runs, (r) => `${r.case}\u0000${r.setting}\u0000${r.selectionKind}`);
  const means = groups.map((group): StudyRow => {
    const first = group[0];
    const accuracies = group.map((r) => r.accuracy as number);
    const continual = group.every((r) => typeof r.averageAccuracy === 'number');
    return {
      kind: 'mean',
      case: first.case,
      dataset: first.dataset,
      synthetic: first.synthetic,
      partition: first.partition,
      setting: first.setting,
      method: first.method,
      selection: first.selection,
      selectionKind: first.selectionKind,
      accuracyMin: Math.min(...accuracies),
      accuracyMax: Math.max(...accuracies),
      gain: null,
      averageAccuracy: continual ? mean(group.map((r) => r.averageAccuracy as number)) : null,
      ...allDataFields(group),
      accuracyAtUniformExamples: group.every((r) => typeof r.accuracyAtUniformExamples === 'number') ? mean(group.map((r) => r.accuracyAtUniformExamples as number)) : null,
      forgetting: continual ? mean(group.map((r) => r.forgetting as number)) : null,
      rounds: first.rounds,
      clientsPerRound: first.clientsPerRound,
      clients: first.clients,
      sizes: first.sizes,
      model: first.model,
      ...seedMeanFields(group, rng.fork(`${first.case}:${first.setting}:${first.selectionKind}`)),
    };
  });
  for (const row of means) {
    const uniform = means.find((r) => r.case === row.case && r.setting === row.setting && r.selectionKind === 'uniform');
    if (uniform && row !== uniform) row.gain = (row.accuracy as number) - (uniform.accuracy as number);
  }
  const pairs: StudyRow[] = [];
  for (const group of groups) {
    const first = group[0];
    if (first.selectionKind === 'uniform') continue;
    const uniform = runs.filter((r) => r.case === first.case && r.setting === first.setting && r.selectionKind === 'uniform');
    if (uniform.length === 0) continue;
    const context = { case: first.case, dataset: first.dataset, partition: first.partition, setting: first.setting };
    pairs.push(pairRow({ name: String(first.selectionKind), rows: group }, { name: 'uniform', rows: uniform }, { seed: ctx.seed, chanceMargin: plan.chanceMargin }, { ...context, comparison: 'final' }));
    // the same pair when the selector has processed only as many client examples as uniform did (same seed)
    const atBudget = group.filter((r) => typeof r.accuracyAtUniformExamples === 'number').map((r) => ({ ...r, accuracy: r.accuracyAtUniformExamples }));
    if (atBudget.length > 0) pairs.push(pairRow({ name: String(first.selectionKind), rows: atBudget }, { name: 'uniform', rows: uniform }, { seed: ctx.seed, chanceMargin: plan.chanceMargin }, { ...context, comparison: 'equal examples' }));
  }
  return [...runs, ...means, ...pairs];
}

/** Within this of the all-data-at-once run counts as caught up. */
export const CATCH_UP_MARGIN = 0.01;

/** The run row of one case, setting, selector and seed (undefined when it did not run). */
type RunLookup = (caseName: unknown, setting: unknown, selection: unknown, seed: unknown) => StudyRow | undefined;

function runLookup(rows: readonly StudyRow[]): RunLookup {
  const key = (...parts: unknown[]) => parts.map(String).join('\u0000');
  const index = new Map(rows.filter((r) => r.kind === 'run').map((r) => [key(r.case, r.setting, r.selectionKind, r.seed), r]));
  return (caseName, setting, selection, seed) => index.get(key(caseName, setting, selection, seed));
}

type CurvePoint = { round: number; accuracy: number; examples: number };

/**
 * A non-static run with the round at which it first comes within CATCH_UP_MARGIN of the
 * all-data-at-once baseline: the static run of the same case, selection and seed (same total
 * rounds), final accuracy. Null when it never does; static runs get nulls.
 */
function withRoundsToAllData(row: StudyRow, find: RunLookup): StudyRow {
  const baseline = row.kind === 'run' && row.setting !== 'static' ? find(row.case, 'static', row.selectionKind, row.seed) : undefined;
  if (!baseline) return { ...row, allDataAccuracy: null, roundsToAllData: null };
  const goal = (baseline.accuracy as number) - CATCH_UP_MARGIN;
  const reached = (JSON.parse(String(row.curve)) as CurvePoint[]).find((p) => p.accuracy >= goal);
  return { ...row, allDataAccuracy: baseline.accuracy, roundsToAllData: reached ? reached.round : null };
}

/**
 * A selector's run (not uniform) with its test accuracy at uniform's example budget: the last
 * evaluated round at which it had processed no more client examples than the uniform run of
 * the same case, setting and seed processed in all. Selectors that pick large clients process
 * more examples per round, so final accuracy alone flatters them.
 */
function withEqualExamples(row: StudyRow, find: RunLookup): StudyRow {
  const uniform = row.kind === 'run' && row.selectionKind !== 'uniform' ? find(row.case, row.setting, 'uniform', row.seed) : undefined;
  if (!uniform) return { ...row, accuracyAtUniformExamples: null, roundAtUniformExamples: null };
  const within = (JSON.parse(String(row.curve)) as CurvePoint[]).filter((p) => p.examples <= (uniform.examplesProcessed as number));
  const last = within[within.length - 1];
  return { ...row, accuracyAtUniformExamples: last ? last.accuracy : null, roundAtUniformExamples: last ? last.round : null };
}

/** Mean over seeds of the rounds to the all-data baseline (of the seeds that reached it) and how many did. */
function allDataFields(group: StudyRow[]): StudyRow {
  if (group.every((r) => r.allDataAccuracy === null)) return { allDataAccuracy: null, roundsToAllData: null, caughtUp: null };
  const reached = group.filter((r) => typeof r.roundsToAllData === 'number');
  return {
    allDataAccuracy: mean(group.map((r) => r.allDataAccuracy as number)),
    roundsToAllData: reached.length ? mean(reached.map((r) => r.roundsToAllData as number)) : null,
    caughtUp: `${reached.length}/${group.length}`,
  };
}

function charts(all: StudyRow[]): { name: string; spec: VegaLiteSpec }[] {
  const rows = all.filter((r) => r.kind === 'mean');
  const cases = [...new Set(rows.map((r) => String(r.case)))];
  const out: { name: string; spec: VegaLiteSpec }[] = [];
  out.push({
    name: 'accuracy-by-selection',
    spec: barChart({
      title: 'Final test accuracy (mean over seeds; bars: 95% interval over seeds)',
      values: rows.map((r) => ({ config: `${r.case} · ${r.setting}`, selection: r.selectionKind, accuracy: r.accuracy, low: r.intervalLow ?? r.accuracyMin, high: r.intervalHigh ?? r.accuracyMax, key: `${r.case} · ${r.setting} · ${r.selectionKind}` })),
      category: 'key',
      value: 'accuracy',
      low: 'low',
      high: 'high',
      color: 'selection',
      valueTitle: 'test accuracy',
    }),
  });
  cases.forEach((name, i) => {
    const values = rows
      .filter((r) => r.case === name)
      .flatMap((r) => (JSON.parse(String(r.curve)) as { round: number; accuracy: number; examples: number }[]).map((p) => ({ ...p, run: `${r.setting} · ${r.selectionKind}` })));
    out.push({
      name: `curves-${i + 1}`,
      spec: lineChart({ title: `${name}: test accuracy by round (mean over seeds)`, values, x: 'round', y: 'accuracy', series: 'run', yTitle: 'test accuracy' }),
    });
    out.push({
      name: `curves-by-examples-${i + 1}`,
      spec: lineChart({ title: `${name}: test accuracy by client examples processed (mean over seeds)`, values, x: 'examples', y: 'accuracy', series: 'run', yTitle: 'test accuracy' }),
    });
  });
  return out;
}

const PAIR_COLUMNS: StudyColumn[] = [{ key: 'case', header: 'data / partition' }, { key: 'setting', header: 'setting' }, { key: 'comparison', header: 'compared at' }, ...PAIR_RESULT_COLUMNS];

function tables(rows: StudyRow[]): { title: string; rows: StudyRow[]; columns: StudyColumn[] }[] {
  return [
    { title: 'Means over seeds', rows: rows.filter((r) => r.kind === 'mean'), columns: COLUMNS },
    { title: 'Paired comparisons (same seeds)', rows: rows.filter((r) => r.kind === 'pair'), columns: PAIR_COLUMNS },
  ];
}

export const flSelectionStudy: StudyDefinition = {
  name: 'fl-selection',
  title: 'Federated client selection: uniform vs activity vs power of choice, static, continual and drifting',
  description: [
    'Uniform: k distinct clients per round, updates weighted by their example counts.',
    'Activity: k draws with replacement with pₖ ∝ nₖ^τ (τ = 1 unless named, activity:0.5) and a plain average (Li et al., ICLR 2020; unbiased for the full-participation update at τ = 1).',
    'Power-of-choice:d: d candidates drawn ∝ nₖ without replacement, the k with the highest last reported local loss train, equal weights (Cho et al. 2022; biased towards high-loss clients by design).',
    'Continual:T: every client\'s data is cut into T random periods; drift:T: the domains are dealt into T periods, so intents appear and disappear; in period t a client holds only period t (older data is deleted), the global model warm-starts, rounds are split evenly over the periods.',
    'The static run of the same selector and seed is the "all data at once" baseline with the same total rounds; "rounds to within 1 pt" is the first round a continual run comes within 0.01 of the all-data run\'s final accuracy (mean over the seeds that did).',
    '"Continual: mean acc. on periods" is the final model\'s accuracy on the training data of every period, averaged; forgetting is the mean drop from the best earlier accuracy on each past period (Chaudhry et al. 2018).',
    'Accuracy is next-character accuracy for the language model and in-scope accuracy for CLINC150; "gain" is activity minus uniform in the same case and setting.',
    'Every run is evaluated every round; "client examples" are the training examples the selected clients processed (activity selection picks large clients, so compare curves by examples too); rounds and examples to target are from the first evaluated round at or above the case\'s target accuracy, averaged over the seeds that reached it.',
    '"acc. at uniform\'s examples": a selector\'s test accuracy at the last round where it had processed no more client examples than uniform did in the whole run (same seed); pairs are given at the end of the runs ("final") and at that equal budget ("equal examples").',
    'Pairs: per-seed differences (the seed fixes partition and initialisation for both arms), mean and 95% percentile bootstrap over 5 seeds; "established" when the interval excludes 0; pairs whose two arms are within 0.02 of the majority-class accuracy are "both at chance" and never a win.',
  ].join(' '),
  columns: COLUMNS,
  parts: SELECTION_PARTS,
  cells: (ctx) => selectionCells(planParts(selectionStudyPlan(ctx.quick, ctx.seed), ctx.parts)),
  runCell: (cell, ctx) => runSelectionCell(cell as StudyCell<SelectionCellParams>, ctx),
  summarize: (rows, ctx) => summarizeSelection(rows, ctx),
  tables,
  charts,
};
