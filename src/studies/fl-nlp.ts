/**
 * Study "fl-nlp": a FedNLP-style table (Lin et al., Findings of NAACL 2022). Centralised
 * training against FedAvg, FedProx and FedAdam on intent classification under IID, label
 * Dirichlet α = 1 and α = 0.1, and quantity skew, on CLINC150 and Banking77.
 *
 * "Centralised" is the same simulator with one client that holds the whole training split
 * (FedAvg with one client is plain local training; the local Adam state restarts at each
 * round, i.e. each epoch), run for as many epochs as the federated runs process examples in
 * total (rounds × clients per round × client size ≈ rounds·K/M epochs), and evaluated by the
 * same code. All runs share the model, local optimiser, batch size and seed. Each run
 * (dataset × partition × method × seed) is a study cell: resumable, and parallel with
 * --parallel N or --queue.
 */
import type { FederatedExperimentOptions } from '../federated/index.js';
import { barChart, lineChart, type VegaLiteSpec } from '../report/charts.js';
import { combineSeedRows, formatBySeed, groupInOrder, runOneSeed } from './fl-runs.js';
import type { CellSpec, StudyCell } from './cells.js';
import type { StudyColumn, StudyDefinition, StudyRow, StudyContext } from './runner.js';

export interface NlpStudyPlan {
  datasets: string[];
  partitions: string[];
  strategies: string[];
  /** Everything but dataset, partition and strategy, for the federated runs. */
  federated: Omit<FederatedExperimentOptions, 'seed' | 'progress' | 'dataset' | 'partition' | 'strategy'>;
  /** Epochs of the centralised run (one client, one epoch per round). */
  centralisedEpochs: number;
  seeds: number[];
}

export function nlpStudyPlan(quick: boolean, seed: number): NlpStudyPlan {
  if (quick) {
    return {
      datasets: ['synthetic'],
      partitions: ['iid', 'dirichlet:1', 'dirichlet:0.1', 'quantity:1'],
      strategies: ['fedavg', 'fedprox:0.01', 'fedadam'],
      federated: { rounds: 3, clientsPerRound: 3, numClients: 10, localEpochs: 1, maxLocalSteps: 2, model: 'embbag', modelConfig: { embeddingDim: 8, hidden: 8 }, workers: 0, evaluateEvery: 3 },
      centralisedEpochs: 1,
      seeds: [seed],
    };
  }
  // 100 clients, 10 per round, 1 local epoch: 20 rounds process 2 epochs' worth of examples.
  // Sized for a shared 2-core machine under heavy load; more rounds close part of the gap.
  return {
    datasets: ['clinc150', 'banking77'],
    partitions: ['iid', 'dirichlet:1', 'dirichlet:0.1', 'quantity:1'],
    strategies: ['fedavg', 'fedprox:0.01', 'fedadam'],
    federated: { rounds: 20, clientsPerRound: 10, numClients: 100, localEpochs: 1, model: 'embbag', workers: 1, evaluateEvery: 10 },
    centralisedEpochs: 2,
    seeds: [seed],
  };
}

const COLUMNS: StudyColumn[] = [
  { key: 'dataset', header: 'dataset' },
  { key: 'partition', header: 'partition' },
  { key: 'method', header: 'method' },
  { key: 'accuracy', header: 'test acc.' },
  { key: 'gap', header: 'minus centralised' },
  { key: 'bySeed', header: 'acc. by seed' },
  { key: 'labelEntropy', header: 'mean label entropy (bits)', digits: 2 },
  { key: 'sizes', header: 'client sizes p10/p50/p90/max' },
  { key: 'seconds', header: 'seconds', digits: 0 },
];

/** One cell: one run (the centralised run, or a partition × strategy) on one dataset with one seed. */
export type NlpCellParams = {
  dataset: string;
  /** "centralised", or the partition spec. */
  partition: string;
  /** "centralised", or the strategy spec. */
  strategy: string;
  seed: number;
  options: Omit<FederatedExperimentOptions, 'seed' | 'progress'>;
};

export function nlpCells(plan: NlpStudyPlan): CellSpec<NlpCellParams>[] {
  return plan.datasets.flatMap((dataset) => {
    const central = plan.seeds.map((seed) => ({
      name: `${dataset} centralised seed ${seed}`,
      params: {
        dataset,
        partition: 'centralised',
        strategy: 'centralised',
        seed,
        // undefined keys are dropped from cell parameters (and from their JSON)
        options: { ...plan.federated, dataset, partition: 'iid', numClients: 1, clientsPerRound: 1, strategy: 'fedavg', rounds: plan.centralisedEpochs, maxLocalSteps: undefined, evaluateEvery: 1 },
      },
    }));
    const federated = plan.partitions.flatMap((partition) =>
      plan.strategies.flatMap((strategy) =>
        plan.seeds.map((seed) => ({
          name: `${dataset} ${partition} ${strategy} seed ${seed}`,
          params: { dataset, partition, strategy, seed, options: { ...plan.federated, dataset, partition, strategy } },
        })),
      ),
    );
    return [...central, ...federated];
  });
}

/** One run's row (kind "seed-run"); `summarize` turns them into the table. */
export async function runNlpCell(cell: StudyCell<NlpCellParams>, ctx: StudyContext): Promise<StudyRow[]> {
  const p = cell.params;
  const centralised = p.strategy === 'centralised';
  const run = await runOneSeed(p.options, p.seed, ctx, centralised ? `${p.dataset} centralised` : `${p.dataset} ${p.partition} ${p.strategy}`);
  const q = run.partitionSummary.sizeQuantiles;
  return [
    {
      kind: 'seed-run',
      dataset: run.dataset,
      synthetic: run.synthetic,
      partition: centralised ? 'all data (1 client)' : run.partition,
      partitionKind: p.partition,
      method: centralised ? 'centralised' : run.strategy,
      strategyKind: centralised ? null : p.strategy,
      seed: p.seed,
      accuracy: run.accuracy,
      labelEntropy: run.partitionSummary.meanLabelEntropy,
      sizes: centralised ? String(q.max) : `${q.p10.toFixed(0)}/${q.p50.toFixed(0)}/${q.p90.toFixed(0)}/${q.max}`,
      rounds: run.rounds,
      seconds: run.seconds,
      curve: JSON.stringify(run.curve),
    },
  ];
}

/** One row per dataset × partition × method (means over seeds), each with its gap to the dataset's centralised row. */
export function summarizeNlp(runs: StudyRow[]): StudyRow[] {
  const rows = groupInOrder(runs, (r) => `${r.dataset}\u0000${r.partitionKind}\u0000${r.method}`).map((group): StudyRow => {
    const first = group[0];
    const result = combineSeedRows(group);
    const centralised = first.method === 'centralised';
    return {
      kind: 'run',
      dataset: first.dataset,
      synthetic: first.synthetic,
      partition: first.partition,
      partitionKind: first.partitionKind,
      method: first.method,
      ...(centralised ? {} : { strategyKind: first.strategyKind }),
      accuracy: result.accuracy.mean,
      gap: null,
      bySeed: formatBySeed(result.accuracy.bySeed),
      labelEntropy: first.labelEntropy,
      sizes: first.sizes,
      rounds: first.rounds,
      seconds: result.seconds,
      curve: JSON.stringify(result.curve),
    };
  });
  for (const row of rows) {
    const central = rows.find((r) => r.dataset === row.dataset && r.method === 'centralised');
    row.gap = central ? (row.accuracy as number) - (central.accuracy as number) : null;
  }
  return rows;
}

function charts(rows: StudyRow[]): { name: string; spec: VegaLiteSpec }[] {
  const datasets = [...new Set(rows.map((r) => String(r.dataset)))];
  return datasets.flatMap((dataset, i) => {
    const mine = rows.filter((r) => r.dataset === dataset);
    const bars = barChart({
      title: `${dataset}: test accuracy by partition and method`,
      values: mine.map((r) => ({ key: `${r.partitionKind} · ${r.method}`, method: r.method, accuracy: r.accuracy })),
      category: 'key',
      value: 'accuracy',
      color: 'method',
      valueTitle: 'test accuracy',
    });
    const curves = lineChart({
      title: `${dataset}: test accuracy by round, α = 0.1 (centralised: by epoch)`,
      values: mine
        .filter((r) => r.partitionKind === 'dirichlet:0.1' || r.partitionKind === 'centralised')
        .flatMap((r) => (JSON.parse(String(r.curve)) as { round: number; accuracy: number }[]).map((p) => ({ ...p, method: r.method }))),
      x: 'round',
      y: 'accuracy',
      series: 'method',
      yTitle: 'test accuracy',
    });
    return [
      { name: `accuracy-${i + 1}`, spec: bars },
      { name: `curves-alpha0.1-${i + 1}`, spec: curves },
    ];
  });
}

export const flNlpStudy: StudyDefinition = {
  name: 'fl-nlp',
  title: 'Federated intent classification: centralised vs FedAvg, FedProx, FedAdam under non-IID partitions',
  description: [
    'FedNLP-style comparison. Partitions: IID; label Dirichlet α = 1 and α = 0.1 (with size balancing); quantity skew (client sizes from Dirichlet β = 1).',
    'Every federated run: the embedding-bag classifier, 100 clients, 10 per round (uniform), 1 local epoch of Adam, 20 rounds, one seed.',
    'FedProx μ = 0.01; FedAdam server η = 0.1, β = (0.9, 0.99), τ = 1e-3 (Reddi et al. 2021, Flower defaults).',
    'Centralised: one client holding all training data, 2 epochs, about the same number of examples processed as one federated run.',
    'Accuracy is in-scope test accuracy for CLINC150, plain test accuracy for Banking77; "minus centralised" is the gap to the centralised row.',
  ].join(' '),
  columns: COLUMNS,
  cells: (ctx) => nlpCells(nlpStudyPlan(ctx.quick, ctx.seed)),
  runCell: (cell, ctx) => runNlpCell(cell as StudyCell<NlpCellParams>, ctx),
  summarize: (rows) => summarizeNlp(rows),
  charts,
};
