/**
 * Study "fl-nlp": a FedNLP-style table (Lin et al., Findings of NAACL 2022) with fair
 * comparisons: centralised training against FedAvg, FedProx, FedAdam, FedYogi, FedAdagrad and
 * FedAvgM on intent classification under IID, label Dirichlet α = 1 and α = 0.1, and quantity
 * skew, on CLINC150 and Banking77.
 *
 * Protocol (docs/federated.md, "Fair comparisons"): every method (and the centralised run) gets
 * a small learning-rate grid, tuned per dataset and partition on the validation parts held by
 * the clients (each client keeps a fraction of its data back; the test split is never read
 * while tuning) at a short tuning budget; the best setting then runs on ≥ 5 seeds at the full
 * budget, evaluated on the test split every round. "Centralised" is the simulator with one
 * client holding the whole training split and its Adam state kept across rounds (plain
 * centralised Adam), processing per round the examples the K federated clients process in
 * expectation, so both spend the same example budget. Tuning runs and final runs are study
 * cells (resumable, parallel); the final cells follow from the tuning cells' rows.
 */
import type { FederatedExperimentOptions } from '../federated/index.js';
import { loadDatasetSource } from '../data/registry.js';
import { SeededRandom } from '../engine/random.js';
import { barChart, lineChart, type VegaLiteSpec } from '../report/charts.js';
import { curveField, groupInOrder, runOneSeed, seedMeanFields } from './fl-runs.js';
import { PAIR_RESULT_COLUMNS, pairRow } from './fl-pairs.js';
import type { CellSpec, StudyCell } from './cells.js';
import type { StudyColumn, StudyDefinition, StudyRow, StudyContext } from './runner.js';

/** One point of a method's grid. */
export interface GridPoint {
  learningRate: number;
  serverLearningRate?: number;
  /** FedProx's proximal weight. */
  mu?: number;
}

export interface NlpMethod {
  /** "centralised", "fedavg", "fedprox", "fedadam", "fedyogi", "fedadagrad", "fedavgm". */
  name: string;
  grid: GridPoint[];
}

type BaseOptions = Omit<FederatedExperimentOptions, 'seed' | 'progress' | 'dataset' | 'partition' | 'strategy' | 'rounds'>;

export interface NlpStudyPlan {
  datasets: string[];
  partitions: string[];
  methods: NlpMethod[];
  /** Everything the federated runs share (clients, local epochs, model, batch size, …). */
  federated: BaseOptions & { clientsPerRound: number; numClients: number };
  /** Full budget (final runs) and tuning budget, in rounds. */
  rounds: number;
  tuningRounds: number;
  /** The fraction of each client's examples it holds back for tuning. */
  clientValidation: number;
  /** Tuning runs use this seed; the final runs use `seeds` (distinct from it). */
  tuningSeed: number;
  seeds: number[];
  /** Test accuracy each dataset's runs are timed to (rounds and examples to target). */
  targets: Record<string, number>;
  /** Mean accuracy within this of the majority-class accuracy counts as chance. */
  chanceMargin: number;
}

/** A grid over client learning rates × a second axis (server learning rate or FedProx μ). */
function grid(clientRates: number[], second?: { key: 'serverLearningRate' | 'mu'; values: number[] }): GridPoint[] {
  if (!second) return clientRates.map((learningRate) => ({ learningRate }));
  return clientRates.flatMap((learningRate) => second.values.map((v) => ({ learningRate, [second.key]: v })));
}

/** The methods and their grids; `points` of each axis (3 real, 2 quick) from the lists below. */
function methods(points: 2 | 3): NlpMethod[] {
  const pick = (values: number[]) => (points === 3 ? values : [values[1], values[2]]);
  const client = pick([1e-3, 3e-3, 1e-2]);
  return [
    { name: 'centralised', grid: grid(client) },
    { name: 'fedavg', grid: grid(client) },
    { name: 'fedprox', grid: grid(client, { key: 'mu', values: pick([0.001, 0.01, 0.1]) }) },
    { name: 'fedadam', grid: grid(client, { key: 'serverLearningRate', values: pick([0.01, 0.03, 0.1]) }) },
    { name: 'fedyogi', grid: grid(client, { key: 'serverLearningRate', values: pick([0.003, 0.01, 0.03]) }) },
    { name: 'fedadagrad', grid: grid(client, { key: 'serverLearningRate', values: pick([0.01, 0.03, 0.1]) }) },
    { name: 'fedavgm', grid: grid(client, { key: 'serverLearningRate', values: pick([0.1, 0.3, 1]) }) },
  ];
}

export function nlpStudyPlan(quick: boolean, seed: number): NlpStudyPlan {
  if (quick) {
    return {
      datasets: ['synthetic'],
      partitions: ['iid', 'dirichlet:0.1'],
      methods: methods(2).map((m) => ({ ...m, grid: m.grid.filter((p, i, all) => i === 0 || i === all.length - 1) })),
      federated: { clientsPerRound: 3, numClients: 10, localEpochs: 1, maxLocalSteps: 2, batchSize: 32, model: 'embbag', modelConfig: { embeddingDim: 8, hidden: 8 }, workers: 0, evaluateEvery: 1 },
      rounds: 4,
      tuningRounds: 2,
      clientValidation: 0.2,
      tuningSeed: seed,
      seeds: [seed + 1, seed + 2],
      targets: { synthetic: 0.15 },
      chanceMargin: 0.02,
    };
  }
  // 100 clients, 10 per round, 1 local epoch: a round processes 0.1 epoch in expectation, so
  // 100 rounds are 10 epochs' worth of client examples (the earlier 20-round table was 2 and
  // under-trained FedAvg); tuning at a quarter of that.
  return {
    datasets: ['clinc150', 'banking77'],
    partitions: ['iid', 'dirichlet:1', 'dirichlet:0.1', 'quantity:1', 'cluster:10:0.1'],
    methods: methods(3),
    federated: { clientsPerRound: 10, numClients: 100, localEpochs: 1, batchSize: 32, model: 'embbag', workers: 1, evaluateEvery: 1 },
    rounds: 100,
    tuningRounds: 25,
    clientValidation: 0.1,
    tuningSeed: seed,
    seeds: [1, 2, 3, 4, 5].map((k) => seed + k),
    // about 0.9 × the centralised test accuracy of the earlier 2-epoch runs (0.875 and 0.806)
    targets: { clinc150: 0.8, banking77: 0.75 },
    chanceMargin: 0.02,
  };
}

/** The strategy spec of a method at a grid point ("fedprox:0.01", "fedadam", …). */
function strategyOf(method: string, point: GridPoint): string {
  if (method === 'centralised') return 'fedavg';
  return method === 'fedprox' ? `fedprox:${point.mu}` : method;
}

/** "lr 0.003, server 0.03" style description of a grid point. */
export function describePoint(point: GridPoint): string {
  return [`lr ${point.learningRate}`, ...(point.serverLearningRate !== undefined ? [`server ${point.serverLearningRate}`] : []), ...(point.mu !== undefined ? [`μ ${point.mu}`] : [])].join(', ');
}

/** One cell: a tuning run (one grid point, the tuning seed) or a final run (the chosen point, one seed). */
export type NlpCellParams = {
  stage: 'tuning' | 'final';
  dataset: string;
  /** "centralised", or the partition spec. */
  partition: string;
  method: string;
  point: GridPoint;
  seed: number;
  /** The centralised run's steps per round come from the training split's size: these say whose per-round budget it matches. */
  centralisedMatch?: { clientsPerRound: number; numClients: number; localEpochs: number; batchSize: number; maxLocalSteps: number | null; heldBack: number };
  target: number | null;
  options: Omit<FederatedExperimentOptions, 'seed' | 'progress'>;
};

function cellFor(plan: NlpStudyPlan, stage: 'tuning' | 'final', dataset: string, partition: string, method: string, point: GridPoint, seed: number): CellSpec<NlpCellParams> {
  const tuning = stage === 'tuning';
  const centralised = method === 'centralised';
  const { clientsPerRound, numClients, ...shared } = plan.federated;
  const options: NlpCellParams['options'] = {
    ...shared,
    dataset,
    partition: centralised ? 'iid' : partition,
    strategy: strategyOf(method, point),
    rounds: tuning ? plan.tuningRounds : plan.rounds,
    clientsPerRound: centralised ? 1 : clientsPerRound,
    numClients: centralised ? 1 : numClients,
    learningRate: point.learningRate,
    ...(point.serverLearningRate !== undefined ? { serverLearningRate: point.serverLearningRate } : {}),
    ...(tuning ? { clientValidation: plan.clientValidation } : { targetAccuracy: plan.targets[dataset] }),
    ...(centralised ? { keepClientOptimizerState: true, maxLocalSteps: undefined, localEpochs: 1 } : {}),
  };
  const where = centralised ? 'centralised' : partition;
  return {
    name: `${tuning ? 'tune' : 'final'} ${dataset} ${where} ${method} ${describePoint(point)} seed ${seed}`,
    params: {
      stage,
      dataset,
      partition: where,
      method,
      point,
      seed,
      ...(centralised
        ? {
            centralisedMatch: {
              clientsPerRound,
              numClients,
              localEpochs: plan.federated.localEpochs ?? 1,
              batchSize: plan.federated.batchSize ?? 32,
              maxLocalSteps: plan.federated.maxLocalSteps ?? null,
              heldBack: tuning ? plan.clientValidation : 0,
            },
          }
        : {}),
      target: tuning ? null : plan.targets[dataset] ?? null,
      options,
    },
  };
}

/** The tuning cells: every dataset × partition × method × grid point (centralised once per dataset), on the tuning seed. */
export function nlpTuningCells(plan: NlpStudyPlan): CellSpec<NlpCellParams>[] {
  return plan.datasets.flatMap((dataset) =>
    plan.methods.flatMap((method) =>
      (method.name === 'centralised' ? ['centralised'] : plan.partitions).flatMap((partition) => method.grid.map((point) => cellFor(plan, 'tuning', dataset, partition, method.name, point, plan.tuningSeed))),
    ),
  );
}

/**
 * The chosen grid point of each dataset × partition × method: the highest federated validation
 * accuracy at the end of the tuning budget (a diverged run counts as −∞; ties go to the
 * earlier point in grid order).
 */
export function chooseSettings(tuningRows: readonly StudyRow[]): Map<string, GridPoint> {
  const chosen = new Map<string, { point: GridPoint; score: number }>();
  for (const row of tuningRows) {
    if (row.kind !== 'tuning') continue;
    const key = `${row.dataset}\u0000${row.partitionKind}\u0000${row.methodKind}`;
    const score = Number.isFinite(row.validationAccuracy) ? (row.validationAccuracy as number) : -Infinity;
    const best = chosen.get(key);
    if (!best || score > best.score) chosen.set(key, { point: JSON.parse(String(row.point)) as GridPoint, score });
  }
  return new Map([...chosen].map(([k, v]) => [k, v.point]));
}

/** The final cells: the chosen point of every dataset × partition × method, once per seed. */
export function nlpFinalCells(plan: NlpStudyPlan, tuningRows: readonly StudyRow[]): CellSpec<NlpCellParams>[] {
  const chosen = chooseSettings(tuningRows);
  return plan.datasets.flatMap((dataset) =>
    plan.methods.flatMap((method) =>
      (method.name === 'centralised' ? ['centralised'] : plan.partitions).flatMap((partition) => {
        const point = chosen.get(`${dataset}\u0000${partition}\u0000${method.name}`);
        return point ? plan.seeds.map((seed) => cellFor(plan, 'final', dataset, partition, method.name, point, seed)) : [];
      }),
    ),
  );
}

/**
 * The centralised run's local steps per round: the examples K of M clients process per round
 * in expectation (each holds N/M of the N training examples left after holding back, for
 * E local epochs, capped by the clients' step cap), in batches.
 */
export function centralisedStepsPerRound(trainingExamples: number, match: NonNullable<NlpCellParams['centralisedMatch']>): number {
  const perClient = (match.localEpochs * trainingExamples * (1 - match.heldBack)) / match.numClients;
  const capped = match.maxLocalSteps !== null ? Math.min(perClient, match.maxLocalSteps * match.batchSize) : perClient;
  return Math.max(1, Math.round((match.clientsPerRound * capped) / match.batchSize));
}

/** One run's row: kind "tuning" (validation accuracy at the tuning budget) or "run" (a final run on the test split). */
export async function runNlpCell(cell: StudyCell<NlpCellParams>, ctx: StudyContext): Promise<StudyRow[]> {
  const p = cell.params;
  let options = p.options;
  if (p.centralisedMatch) {
    const n = loadDatasetSource({ kind: 'registry', name: p.dataset }, { dataDir: ctx.dataDir, seed: p.seed, task: 'intent' }).splits.train.length;
    const steps = centralisedStepsPerRound(n, p.centralisedMatch);
    // enough passes that the step cap, not the end of the data, ends each round
    const epochs = Math.max(1, Math.ceil((steps * p.centralisedMatch.batchSize) / Math.max(1, n * (1 - p.centralisedMatch.heldBack))));
    options = { ...options, maxLocalSteps: steps, localEpochs: epochs };
  }
  const run = await runOneSeed(options, p.seed, ctx, cell.name);
  const q = run.partitionSummary.sizeQuantiles;
  const common: StudyRow = {
    dataset: run.dataset,
    synthetic: run.synthetic,
    partition: p.method === 'centralised' ? 'all data (1 client)' : run.partition,
    partitionKind: p.partition,
    setting: 'static',
    method: p.method,
    methodKind: p.method,
    strategy: p.method === 'centralised' ? 'centralised (1 client, Adam state kept)' : run.strategy,
    point: JSON.stringify(p.point),
    gridPoint: describePoint(p.point),
    learningRate: p.point.learningRate,
    serverLearningRate: p.point.serverLearningRate ?? null,
    mu: p.point.mu ?? null,
    seed: p.seed,
    rounds: run.rounds,
    examplesProcessed: run.examplesProcessed,
    majorityAccuracy: run.majorityAccuracy,
    evaluationSplit: run.evaluationSplit,
    seconds: run.seconds,
  };
  if (p.stage === 'tuning') return [{ kind: 'tuning', ...common, validationAccuracy: run.accuracy, validationExamples: run.validationExamples ?? null }];
  return [
    {
      kind: 'run',
      ...common,
      accuracy: run.accuracy,
      target: p.target,
      roundsToTarget: run.target?.rounds ?? null,
      examplesToTarget: run.target?.examples ?? null,
      labelEntropy: run.partitionSummary.meanLabelEntropy,
      sizes: p.method === 'centralised' ? String(q.max) : `${q.p10.toFixed(0)}/${q.p50.toFixed(0)}/${q.p90.toFixed(0)}/${q.max}`,
      curve: curveField(run),
    },
  ];
}

/**
 * The rows of results.json: every tuning row (the chosen ones flagged), every final run, one
 * "mean" row per dataset × partition × method (mean test accuracy over seeds with its bootstrap
 * interval), and the seed-paired comparisons (kind "pair"): every method against the
 * centralised run, and every other method against FedAvg.
 */
export function summarizeNlp(rows: StudyRow[], ctx: { seed: number; quick: boolean }): StudyRow[] {
  const plan = nlpStudyPlan(ctx.quick, ctx.seed);
  const tuning = rows.filter((r) => r.kind === 'tuning');
  const runs = rows.filter((r) => r.kind === 'run');
  const chosen = chooseSettings(tuning);
  const tuningRows = tuning.map((r) => {
    const best = chosen.get(`${r.dataset}\u0000${r.partitionKind}\u0000${r.methodKind}`);
    return { ...r, chosen: best !== undefined && JSON.stringify(best) === r.point };
  });
  const rng = new SeededRandom(ctx.seed).fork('fl-nlp:means');
  const means = groupInOrder(runs, (r) => `${r.dataset}\u0000${r.partitionKind}\u0000${r.methodKind}`).map((group): StudyRow => {
    const first = group[0];
    return {
      kind: 'mean',
      dataset: first.dataset,
      synthetic: first.synthetic,
      partition: first.partition,
      partitionKind: first.partitionKind,
      setting: first.setting,
      method: first.method,
      methodKind: first.methodKind,
      strategy: first.strategy,
      tunedSetting: first.gridPoint,
      gap: null,
      rounds: first.rounds,
      majorityAccuracy: first.majorityAccuracy,
      labelEntropy: first.labelEntropy,
      sizes: first.sizes,
      ...seedMeanFields(group, rng.fork(`${first.dataset}:${first.partitionKind}:${first.methodKind}`)),
    };
  });
  for (const row of means) {
    const central = means.find((r) => r.dataset === row.dataset && r.methodKind === 'centralised');
    row.gap = central ? (row.accuracy as number) - (central.accuracy as number) : null;
  }
  const pairOptions = { seed: ctx.seed, chanceMargin: plan.chanceMargin };
  const pairs: StudyRow[] = [];
  for (const dataset of [...new Set(runs.map((r) => String(r.dataset)))]) {
    const central = runs.filter((r) => r.dataset === dataset && r.methodKind === 'centralised');
    for (const partition of [...new Set(runs.filter((r) => r.dataset === dataset && r.methodKind !== 'centralised').map((r) => String(r.partitionKind)))]) {
      const arm = (method: string) => runs.filter((r) => r.dataset === dataset && r.partitionKind === partition && r.methodKind === method);
      const present = plan.methods.map((m) => m.name).filter((m) => m !== 'centralised' && arm(m).length > 0);
      const context = { dataset, partitionKind: partition, setting: 'static' };
      if (central.length > 0) for (const m of present) pairs.push(pairRow({ name: m, rows: arm(m) }, { name: 'centralised', rows: central }, pairOptions, context));
      if (present.includes('fedavg')) for (const m of present.filter((x) => x !== 'fedavg')) pairs.push(pairRow({ name: m, rows: arm(m) }, { name: 'fedavg', rows: arm('fedavg') }, pairOptions, context));
    }
  }
  return [...tuningRows, ...runs, ...means, ...pairs];
}

const MEAN_COLUMNS: StudyColumn[] = [
  { key: 'dataset', header: 'dataset' },
  { key: 'partitionKind', header: 'partition' },
  { key: 'method', header: 'method' },
  { key: 'tunedSetting', header: 'tuned setting' },
  { key: 'accuracy', header: 'test acc. (mean)' },
  { key: 'interval', header: '95% interval (seeds)' },
  { key: 'gap', header: 'minus centralised' },
  { key: 'bySeed', header: 'acc. by seed' },
  { key: 'examplesProcessed', header: 'client examples', digits: 0 },
  { key: 'reachedTarget', header: 'seeds at target' },
  { key: 'roundsToTarget', header: 'rounds to target', digits: 1 },
  { key: 'examplesToTarget', header: 'examples to target', digits: 0 },
  { key: 'labelEntropy', header: 'mean label entropy (bits)', digits: 2 },
  { key: 'sizes', header: 'client sizes p10/p50/p90/max' },
];

const PAIR_COLUMNS: StudyColumn[] = [{ key: 'dataset', header: 'dataset' }, { key: 'partitionKind', header: 'partition' }, ...PAIR_RESULT_COLUMNS];

const TUNING_COLUMNS: StudyColumn[] = [
  { key: 'dataset', header: 'dataset' },
  { key: 'partitionKind', header: 'partition' },
  { key: 'method', header: 'method' },
  { key: 'gridPoint', header: 'grid point' },
  { key: 'validationAccuracy', header: 'client-validation acc.' },
  { key: 'examplesProcessed', header: 'client examples', digits: 0 },
  { key: 'chosen', header: 'chosen' },
];

function tables(rows: StudyRow[]): { title: string; rows: StudyRow[]; columns: StudyColumn[] }[] {
  return [
    { title: 'Final runs: means over seeds at the tuned settings (test split)', rows: rows.filter((r) => r.kind === 'mean'), columns: MEAN_COLUMNS },
    { title: 'Paired comparisons (same seeds)', rows: rows.filter((r) => r.kind === 'pair'), columns: PAIR_COLUMNS },
    { title: 'Tuning (client-held validation, tuning seed, short budget)', rows: rows.filter((r) => r.kind === 'tuning'), columns: TUNING_COLUMNS },
  ];
}

function charts(rows: StudyRow[]): { name: string; spec: VegaLiteSpec }[] {
  const means = rows.filter((r) => r.kind === 'mean');
  const datasets = [...new Set(means.map((r) => String(r.dataset)))];
  return datasets.flatMap((dataset, i) => {
    const mine = means.filter((r) => r.dataset === dataset);
    const bars = barChart({
      title: `${dataset}: test accuracy by partition and method (mean over seeds; bars: 95% interval)`,
      values: mine.map((r) => ({ key: `${r.partitionKind} · ${r.method}`, method: r.method, accuracy: r.accuracy, low: r.intervalLow ?? r.accuracy, high: r.intervalHigh ?? r.accuracy })),
      category: 'key',
      value: 'accuracy',
      low: 'low',
      high: 'high',
      color: 'method',
      valueTitle: 'test accuracy',
    });
    const skewed = mine.filter((r) => r.partitionKind === 'dirichlet:0.1' || r.partitionKind === 'centralised');
    const points = skewed.flatMap((r) => (JSON.parse(String(r.curve)) as { round: number; accuracy: number; examples: number }[]).map((p) => ({ ...p, method: r.method })));
    const byRound = lineChart({ title: `${dataset}: test accuracy by round, α = 0.1 (mean over seeds)`, values: points, x: 'round', y: 'accuracy', series: 'method', yTitle: 'test accuracy' });
    const byExamples = lineChart({ title: `${dataset}: test accuracy by client examples processed, α = 0.1`, values: points, x: 'examples', y: 'accuracy', series: 'method', yTitle: 'test accuracy' });
    return [
      { name: `accuracy-${i + 1}`, spec: bars },
      { name: `curves-alpha0.1-${i + 1}`, spec: byRound },
      { name: `curves-by-examples-alpha0.1-${i + 1}`, spec: byExamples },
    ];
  });
}

export const flNlpStudy: StudyDefinition = {
  name: 'fl-nlp',
  title: 'Federated intent classification: centralised vs six federated optimisers under non-IID partitions, tuned and seeded',
  description: [
    'FedNLP-style comparison. Partitions: IID; label Dirichlet α = 1 and α = 0.1 (with size balancing); quantity skew (client sizes from Dirichlet β = 1).',
    'Every federated run: the embedding-bag classifier, 100 clients, 10 per round (uniform), 1 local epoch of Adam (batch 32); full budget 100 rounds (10 epochs of client examples in expectation), evaluated on the test split every round.',
    'Tuning: per dataset, partition and method a grid of client learning rates {0.001, 0.003, 0.01} × server learning rate (FedAdam, FedAdagrad {0.01, 0.03, 0.1}; FedYogi {0.003, 0.01, 0.03}; FedAvgM {0.1, 0.3, 1}, momentum 0.9) or FedProx μ {0.001, 0.01, 0.1}: 9 points; FedAvg and centralised have only the client learning rate: 3 points.',
    'Each tuning run: 25 rounds on the tuning seed, scored on the validation parts held by the clients (10% of each client\'s examples; the test split is never read). The best point then runs on 5 other seeds at the full budget.',
    'Centralised: one client holding all training data with its Adam state kept, processing per round the examples 10 of 100 clients process in expectation (same example budget).',
    'Accuracy is in-scope test accuracy for CLINC150, plain test accuracy for Banking77. Pairs: per-seed differences, mean and 95% percentile bootstrap over seeds; "established" when the interval excludes 0; pairs whose two arms are within 0.02 of the majority-class accuracy are "both at chance" and never a win.',
  ].join(' '),
  columns: MEAN_COLUMNS,
  cells: (ctx) => nlpTuningCells(nlpStudyPlan(ctx.quick, ctx.seed)),
  followUpCells: (ctx, rows) => nlpFinalCells(nlpStudyPlan(ctx.quick, ctx.seed), rows),
  runCell: (cell, ctx) => runNlpCell(cell as StudyCell<NlpCellParams>, ctx),
  summarize: (rows, ctx) => summarizeNlp(rows, ctx),
  tables,
  charts,
};
