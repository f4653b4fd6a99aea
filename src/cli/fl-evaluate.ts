/**
 * `trustnlu fl evaluate`: evaluate a saved classifier federatedly: its data split into
 * clients, K of them sampled, each reporting metric sums only; optionally personalised
 * (fine-tune on a train part, report the before/after change) and under secure aggregation.
 * Parsing only; the library is src/federated/evaluation.
 */
import { InvalidArgumentError, type Command } from 'commander';
import { UsageError } from '../errors.js';
import { TRAINING_DEFAULTS, progressFor } from '../train/index.js';
import { PARTITION_FORMS, parsePartitionSpec, partitionSetsClientCount } from '../federated/simulation/index.js';
import { prepareEvaluationFederation, runFederatedEvaluation, type FederatedEvaluationResult, type RatioEstimate } from '../federated/evaluation/index.js';
import { formatPartitionSummary } from '../data/partition/index.js';
import { addDataOptions, dataSourceFromFlags, type DataFlags } from './data-options.js';
import { formatNumber, parseChoice, parseInteger, parseNumber, printResult, withCommonOptions } from './common.js';

interface EvaluateFlags extends DataFlags {
  model: string;
  split: 'val' | 'test';
  partition: string;
  clients: number;
  evaluationClients: number;
  confidence: number;
  seed: number;
  workers: number;
  personalised?: boolean;
  personalTrainFraction?: number;
  personalEpochs?: number;
  personalLr?: number;
  personalBatch?: number;
  personalMaxSteps?: number;
  secagg?: boolean;
  secaggNeighbours?: number;
  maxReportExamples: number;
  json?: boolean;
  backend?: 'wasm' | 'cpu';
}

const EVALUATION_PARTITIONS = ['iid', 'dirichlet:ALPHA', 'quantity:BETA', 'domain', 'scenario', 'user'];

function parseEvaluationPartition(value: string): string {
  let spec;
  try {
    spec = parsePartitionSpec(value);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message.replace(PARTITION_FORMS.join(' | '), EVALUATION_PARTITIONS.join(' | ')));
  }
  if (spec.kind === 'speaker' || spec.kind === 'cluster') throw new InvalidArgumentError(`--partition ${value} is not available for federated evaluation; use ${EVALUATION_PARTITIONS.join(' | ')}`);
  return value;
}

function interval(r: RatioEstimate, digits = 4): string {
  return `${formatNumber(r.estimate, digits)} [${formatNumber(r.low, digits)}, ${formatNumber(r.high, digits)}]`;
}

function describe(r: FederatedEvaluationResult & { dataset: string; synthetic: boolean; partition: string; partitionSummary: Parameters<typeof formatPartitionSummary>[0] }): string {
  const level = Math.round(r.metrics.accuracy.confidence * 100);
  const lines = [
    `federated evaluation on ${r.dataset}${r.synthetic ? ' [SYNTHETIC data]' : ''}, ${r.partition}: ${r.reported} of ${r.clients} clients reported` +
      `${r.secureAggregation ? ' (secure aggregation)' : ''}; accuracy ${interval(r.metrics.accuracy)} (${level}% interval), loss ${interval(r.metrics.loss)}`,
    `partition: ${formatPartitionSummary(r.partitionSummary)}`,
  ];
  if (r.personalised) {
    const p = r.personalised;
    lines.push(`personalised (fine-tune on ${Math.round(p.trainFraction * 100)}% of each client's data): accuracy ${interval(p.before)} → ${interval(p.after)}, change ${interval(p.delta)}, clients improved ${interval(p.improvedClients, 2)}`);
  }
  if (r.central) lines.push(`central truth (simulation: every client's examples): accuracy ${formatNumber(r.central.accuracy)}, loss ${formatNumber(r.central.loss)}`);
  return lines.join('\n');
}

export function registerFlEvaluate(fl: Command): void {
  const command = fl
    .command('evaluate')
    .description('evaluate a saved classifier federatedly: sampled clients report metric sums only; interval over client sampling')
    .requiredOption('--model <dir>', 'checkpoint directory written by "trustnlu train"')
    .option('--split <name>', 'the split the clients hold as held-out data: val or test', parseChoice('--split', ['val', 'test'] as const), 'test')
    .option('--partition <spec>', `how the split is cut into clients: ${EVALUATION_PARTITIONS.join(' | ')}`, parseEvaluationPartition, 'iid')
    .option('--clients <n>', 'clients for iid / dirichlet / quantity partitions', parseInteger('--clients', 2), 100)
    .option('--evaluation-clients <k>', 'clients sampled for the evaluation round (K ≥ 2)', parseInteger('--evaluation-clients', 2), 50)
    .option('--confidence <c>', 'confidence level of the intervals', parseNumber('--confidence', (n) => n > 0 && n < 1, 'in (0, 1)'), 0.95)
    .option('--seed <n>', 'random seed (partition, client sample, personal splits and fine-tuning)', parseInteger('--seed', 0), 0)
    .option('--workers <n>', 'worker threads (0 = in this thread)', parseInteger('--workers', 0), 0)
    .option('--personalised', 'personalised evaluation: each client fine-tunes on part of its data and reports the before/after change on the rest')
    .option('--personal-train-fraction <f>', 'share of each client\'s examples it fine-tunes on (default 0.5)', parseNumber('--personal-train-fraction', (n) => n > 0 && n < 1, 'in (0, 1)'))
    .option('--personal-epochs <e>', 'local fine-tuning epochs (default 1)', parseInteger('--personal-epochs', 1))
    .option('--personal-lr <rate>', 'fine-tuning learning rate, Adam (default: the model kind\'s rate)', parseNumber('--personal-lr', (n) => n > 0, 'a number > 0'))
    .option('--personal-batch <n>', 'fine-tuning batch size (default 32)', parseInteger('--personal-batch', 1))
    .option('--personal-max-steps <n>', 'cap on fine-tuning steps per client (default none)', parseInteger('--personal-max-steps', 1))
    .option('--secagg', 'sum the clients\' reports with secure aggregation (SecAgg+, fixed point): the server sees only the sums')
    .option('--secagg-neighbours <k>', 'SecAgg+ neighbours per client', parseInteger('--secagg-neighbours', 1))
    .option('--max-report-examples <m>', 'most examples one client may count (the secure encoding\'s public scale)', parseInteger('--max-report-examples', 1), 1000)
    .addHelpText(
      'after',
      [
        '',
        'The interval is the ratio estimator\'s (between-client variance, finite-population correction, Student t):',
        'see docs/federated-open-problems.md. The central truth is printed because this is a simulation.',
        '',
        'Examples:',
        '  trustnlu fl evaluate --model out/model --dataset synthetic --clients 30 --evaluation-clients 10 --json',
        '  trustnlu fl evaluate --model out/model --dataset clinc150 --partition dirichlet:0.5 --evaluation-clients 50 --secagg',
        '  trustnlu fl evaluate --model out/model --data my.csv --user-column user --partition user --personalised --personal-epochs 3',
      ].join('\n'),
    );
  addDataOptions(command, { datasetHelp: 'a named dataset (default: the data the model was trained on, as its checkpoint records it)', columns: ['user'] });
  withCommonOptions(command).action(async (flags: EvaluateFlags) => {
    const personalFlags = (['personalTrainFraction', 'personalEpochs', 'personalLr', 'personalBatch', 'personalMaxSteps'] as const).filter((k) => flags[k] !== undefined);
    if (personalFlags.length > 0 && !flags.personalised) throw new UsageError(`--${personalFlags[0].replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} needs --personalised`);
    if (flags.secaggNeighbours !== undefined && !flags.secagg) throw new UsageError('--secagg-neighbours needs --secagg');
    const spec = parsePartitionSpec(flags.partition);
    const sized = partitionSetsClientCount(spec);
    if (sized && flags.evaluationClients > flags.clients) {
      throw new UsageError(`--evaluation-clients ${flags.evaluationClients} is more than --clients ${flags.clients}; sample at most every client`);
    }
    const federation = prepareEvaluationFederation({
      modelDir: flags.model,
      dataset: dataSourceFromFlags(flags),
      partition: spec,
      numClients: flags.clients,
      split: flags.split,
      seed: flags.seed,
      dataDir: flags.dataDir,
    });
    const kind = federation.data.model.kind;
    const result = await runFederatedEvaluation({
      data: federation.data,
      parameters: federation.parametersFor,
      evaluationClients: flags.evaluationClients,
      seed: flags.seed,
      confidence: flags.confidence,
      workers: flags.workers,
      backend: flags.backend,
      limits: { maxExamples: flags.maxReportExamples },
      ...(flags.secagg ? { secureAggregation: flags.secaggNeighbours !== undefined ? { neighbours: flags.secaggNeighbours } : true } : {}),
      ...(flags.personalised
        ? {
            personalised: {
              learningRate: flags.personalLr ?? TRAINING_DEFAULTS[kind].learningRate,
              ...(flags.personalTrainFraction !== undefined ? { trainFraction: flags.personalTrainFraction } : {}),
              ...(flags.personalEpochs !== undefined ? { localEpochs: flags.personalEpochs } : {}),
              ...(flags.personalBatch !== undefined ? { batchSize: flags.personalBatch } : {}),
              ...(flags.personalMaxSteps !== undefined ? { maxSteps: flags.personalMaxSteps } : {}),
            },
          }
        : {}),
      progress: progressFor({ json: flags.json }),
    });
    const data = federation.data;
    printResult(
      { ...result, dataset: data.name, synthetic: data.synthetic, split: data.evaluationSplit, partition: data.partition, partitionSummary: data.summary, model: kind, seed: flags.seed },
      flags.json,
      describe,
    );
  });
}
