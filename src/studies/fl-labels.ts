/**
 * Study "fl-labels": federated intent classification when devices hold no gold labels
 * (issue 21, part 3). Accuracy against the share of utterances that get user feedback and
 * the feedback noise rate (Sharma et al., NAACL 2022), beside a semi-supervised baseline
 * (SemiFL-style: labelled set on the server, confident pseudo-labels on devices), supervised
 * FL with every device label (upper bound) and the labelled seed set alone (lower bound).
 *
 * Every run shares the partition, model, optimiser, rounds and seed; feedback and semi runs
 * share the server's labelled set (a stratified 5% of the training split, removed from the
 * devices) and start from the seed model trained on it, whose accuracy is the lower bound.
 * Values are means over seeds with Student-t 95% intervals (n seeds, n − 1 degrees of freedom).
 * Each run (dataset × condition × seed) is a study cell: resumable, and parallel with
 * --parallel N or --queue.
 */
import type { FederatedExperimentOptions, FederatedExperimentSummary } from '../federated/index.js';
import { runFederatedExperiment } from '../federated/index.js';
import { meanTInterval } from '../metrics/index.js';
import { lineChart, type VegaLiteSpec } from '../report/charts.js';
import type { CellSpec, StudyCell } from './cells.js';
import { groupInOrder } from './fl-runs.js';
import type { StudyColumn, StudyContext, StudyDefinition, StudyRow } from './runner.js';

export type LabelCondition = {
  /** Row label. */
  method: string;
  labels: string;
  feedbackRate?: number;
  /** Server fine-tuning epochs on the labelled set after each round (feedback: off unless set). */
  serverEpochs?: number;
};

export interface LabelStudyPlan {
  datasets: string[];
  conditions: LabelCondition[];
  /** The labelled share of the training split kept on the server (feedback and semi runs). */
  labelledFraction: number;
  federated: Omit<FederatedExperimentOptions, 'seed' | 'progress' | 'dataset' | 'labels' | 'deviceLabels'>;
  seeds: number[];
}

const CONDITIONS: LabelCondition[] = [
  { method: 'supervised FL (every device label, from the seed model)', labels: 'gold' },
  { method: 'feedback, rate 1, noise 0', labels: 'feedback:0', feedbackRate: 1 },
  { method: 'feedback, rate 1, noise 0.3', labels: 'feedback:0.3', feedbackRate: 1 },
  { method: 'feedback, rate 0.5, noise 0.3', labels: 'feedback:0.3', feedbackRate: 0.5 },
  { method: 'feedback + server fine-tuning, rate 1, noise 0.3', labels: 'feedback:0.3', feedbackRate: 1, serverEpochs: 1 },
  { method: 'semi-supervised (pseudo-labels ≥ 0.5)', labels: 'semi:0.05' },
];

export function labelStudyPlan(quick: boolean, seed: number, dataset?: string): LabelStudyPlan {
  if (quick) {
    return {
      datasets: ['synthetic'],
      conditions: CONDITIONS,
      labelledFraction: 0.05,
      federated: { partition: 'iid', strategy: 'fedavg', rounds: 2, clientsPerRound: 3, numClients: 10, localEpochs: 1, maxLocalSteps: 2, model: 'embbag', modelConfig: { embeddingDim: 8, hidden: 8 }, learningRate: 0.01, workers: 0, evaluateEvery: 2 },
      seeds: [seed],
    };
  }
  // Sized for ≤ 30 minutes on a 2-core machine shared with four other engineers (one process
  // per dataset): 100 IID clients, 10 per round, one local epoch of Adam (client rate 0.01: the
  // default 2e-3 barely moves FedAvg in a few rounds), 10 rounds, two seeds.
  return {
    datasets: dataset ? [dataset] : ['clinc150', 'banking77'],
    conditions: CONDITIONS,
    labelledFraction: 0.05,
    federated: { partition: 'iid', strategy: 'fedavg', rounds: 10, clientsPerRound: 10, numClients: 100, localEpochs: 1, model: 'embbag', learningRate: 0.01, workers: 1, evaluateEvery: 10 },
    seeds: [seed, seed + 1],
  };
}

/** Mean over seeds with a Student-t 95% interval (half-width null with one seed). */
export function meanWithInterval(values: readonly number[]): { mean: number; half: number | null } {
  return meanTInterval(values, 0.95);
}

const formatInterval = ({ mean, half }: { mean: number; half: number | null }) => (half === null ? mean.toFixed(3) : `${mean.toFixed(3)} ± ${half.toFixed(3)}`);

const COLUMNS: StudyColumn[] = [
  { key: 'dataset', header: 'dataset' },
  { key: 'method', header: 'labels on devices' },
  { key: 'accuracyCell', header: 'test acc. (95% t interval)' },
  { key: 'ofSupervised', header: 'of supervised FL' },
  { key: 'bySeed', header: 'acc. by seed' },
  { key: 'targetShare', header: 'device targets / examples' },
  { key: 'wrongShare', header: 'wrong among targets' },
  { key: 'seconds', header: 'seconds', digits: 0 },
];

function labelShares(run: FederatedExperimentSummary): { targetShare: number | null; wrongShare: number | null } {
  const t = run.labels?.totals;
  if (!t || t.examples === 0) return { targetShare: null, wrongShare: null };
  const targets = t.positives + t.negatives;
  return { targetShare: targets / t.examples, wrongShare: targets === 0 ? null : (t.wrongPositives + t.wrongNegatives) / targets };
}

/** One cell: one dataset, one label condition, one seed. */
export type LabelCellParams = {
  dataset: string;
  condition: LabelCondition;
  seed: number;
  options: Omit<FederatedExperimentOptions, 'seed' | 'progress'>;
};

export function labelCells(plan: LabelStudyPlan): CellSpec<LabelCellParams>[] {
  return plan.datasets.flatMap((dataset) =>
    plan.conditions.flatMap((condition) =>
      plan.seeds.map((seed) => {
        const feedback = condition.labels.startsWith('feedback');
        const deviceLabels = condition.labels.startsWith('semi') ? {} : { labelledFraction: plan.labelledFraction, ...(feedback ? { feedbackRate: condition.feedbackRate, serverEpochs: condition.serverEpochs } : {}) };
        return {
          name: `${dataset} ${condition.method} seed ${seed}`,
          params: { dataset, condition, seed, options: { ...plan.federated, dataset, labels: condition.labels, deviceLabels } },
        };
      }),
    ),
  );
}

/** One run's row (kind "seed-run"); `summarize` turns them into the table. */
export async function runLabelCell(cell: StudyCell<LabelCellParams>, ctx: StudyContext): Promise<StudyRow[]> {
  const { dataset, condition, seed, options } = cell.params;
  ctx.progress.event('run', { dataset, method: condition.method, seed });
  const run = await runFederatedExperiment({
    ...options,
    ...(ctx.cellOnWorker ? { workers: 0 } : {}),
    seed,
    dataDir: ctx.dataDir,
    progress: ctx.progress,
  });
  const shares = labelShares(run);
  return [
    {
      kind: 'seed-run',
      datasetKind: dataset,
      dataset: run.dataset,
      synthetic: run.synthetic,
      method: condition.method,
      labels: condition.labels,
      feedbackRate: condition.feedbackRate ?? null,
      feedbackNoise: run.labels?.feedbackNoise ?? null,
      seed,
      accuracy: run.accuracy,
      seedAccuracy: run.labels?.seedAccuracy ?? null,
      targetShare: shares.targetShare,
      wrongShare: shares.wrongShare,
      seconds: run.seconds,
      curve: JSON.stringify(run.curve),
    },
  ];
}

/**
 * Per dataset: the labelled seed set alone (the seed models of the supervised runs), then one
 * row per condition, means over seeds with t intervals and the share of supervised FL.
 */
export function summarizeLabels(runs: StudyRow[]): StudyRow[] {
  const rows: StudyRow[] = [];
  for (const mine of groupInOrder(runs, (r) => String(r.datasetKind))) {
    const byCondition = groupInOrder(mine, (r) => String(r.method));
    const supervised = byCondition.find((c) => c[0].labels === 'gold')!;
    const supervisedMean = meanWithInterval(supervised.map((r) => r.accuracy as number)).mean;
    // the seed model is the same in every feedback/semi run of a seed (same labelled set, same training)
    const lower = supervised.map((r) => r.seedAccuracy as number);
    const first = supervised[0];
    const base = { kind: 'run', dataset: first.dataset, synthetic: first.synthetic, seeds: supervised.length };
    const row = (method: string, labels: string, feedbackRate: number | null, noise: number | null, values: number[], group: StudyRow[]): StudyRow => {
      const summary = meanWithInterval(values);
      const meanShare = (key: 'targetShare' | 'wrongShare') => {
        const values = group.map((r) => r[key]).filter((v): v is number => typeof v === 'number');
        return values.length ? values.reduce((a, b) => a + b, 0) / values.length : null;
      };
      return {
        ...base,
        method,
        labels,
        feedbackRate,
        noise,
        accuracy: summary.mean,
        interval: summary.half,
        accuracyCell: formatInterval(summary),
        ofSupervised: summary.mean / supervisedMean,
        bySeed: values.map((v) => v.toFixed(3)).join(' / '),
        targetShare: meanShare('targetShare'),
        wrongShare: meanShare('wrongShare'),
        seconds: group.reduce((s, r) => s + (r.seconds as number), 0),
        curve: group.length ? String(group[0].curve) : '[]',
      };
    };
    rows.push(row('labelled seed set alone (5%)', 'seed-only', null, null, lower, []));
    for (const group of byCondition) {
      const c = group[0];
      const noise = String(c.labels).startsWith('feedback') ? (c.feedbackNoise as number | null) : null;
      rows.push(row(String(c.method), String(c.labels), c.feedbackRate as number | null, noise, group.map((r) => r.accuracy as number), group));
    }
  }
  return rows;
}

function charts(rows: StudyRow[]): { name: string; spec: VegaLiteSpec }[] {
  const feedback = rows.filter((r) => String(r.labels).startsWith('feedback') && r.noise === 0.3);
  return [
    {
      name: 'accuracy-by-feedback-rate',
      spec: lineChart({
        title: 'Test accuracy against the share of utterances with feedback (noise 0.3)',
        values: feedback.map((r) => ({ rate: r.feedbackRate, accuracy: r.accuracy, dataset: r.dataset })),
        x: 'rate',
        y: 'accuracy',
        series: 'dataset',
        yTitle: 'test accuracy',
      }),
    },
  ];
}

export const flLabelsStudy: StudyDefinition = {
  name: 'fl-labels',
  title: 'Federated intent classification without device labels: user feedback and pseudo-labels',
  description: [
    'Devices hold unlabelled utterances. Feedback: each round a device predicts its utterances with the global model; a simulated user reacts to a share (rate) of them,',
    'confirming right and rejecting wrong predictions, and with probability noise reacting the wrong way (fixed per utterance). Confirmations train with NCE+RCE (α = 10, β = 0.1),',
    'rejections with the complementary-label loss −log(1 − p). "+ server fine-tuning": the server also trains one epoch on its labelled set after every round, as semi does. Semi: devices train on their own predictions whose top probability is ≥ 0.5, and the server fine-tunes on its labelled set after every round.',
    'Feedback and semi runs keep a stratified 5% of the training split on the server (removed from the devices) and start from the seed model trained on it for 20 epochs (the lower bound).',
    'Supervised FL starts from the same seed model and trains on every device label (true labels). All: embbag, 100 IID clients, 10 per round, 1 local epoch of Adam at 0.01, FedAvg, 10 rounds, 2 seeds.',
    'Accuracy is in-scope test accuracy for CLINC150, plain test accuracy for Banking77; "of supervised FL" divides by the supervised mean.',
  ].join(' '),
  columns: COLUMNS,
  takesDataset: true,
  cells: (ctx) => labelCells(labelStudyPlan(ctx.quick, ctx.seed, ctx.dataset)),
  runCell: (cell, ctx) => runLabelCell(cell as StudyCell<LabelCellParams>, ctx),
  summarize: (rows) => summarizeLabels(rows),
  charts,
};
