/**
 * `trustnlu fl simulate`: a federated-learning simulation from names. Parsing only; the
 * experiment is `runFederatedExperiment` in src/federated/simulation.
 */
import { InvalidArgumentError, type Command } from 'commander';
import { availableParallelism } from 'node:os';
import { DATASETS, defaultDatasetName } from '../data/registry.js';
import { MODEL_KINDS } from '../models/index.js';
import { progressFor } from '../train/index.js';
import { TrustnluError, UsageError } from '../errors.js';
import {
  PARTITION_FORMS,
  SELECTION_FORMS,
  SETTING_FORMS,
  STRATEGY_FORMS,
  parsePartitionSpec,
  parseSelectionSpec,
  parseSettingSpec,
  parseStrategySpec,
  LABEL_FORMS,
  parseLabelSpec,
  runFederatedExperiment,
  type FederatedExperimentSummary,
} from '../federated/index.js';
import { formatPartitionSummary } from '../data/partition/index.js';
import { addDataOptions, dataSourceFromFlags, type DataFlags } from './data-options.js';
import { formatNumber, parseChoice, parseDpClip, parseInteger, parseJsonObject, parseNumber, printResult, startEngine, withCommonOptions } from './common.js';
import { registerFlService } from './fl-service.js';
import { addUserModelOptions, loadUserTextModel, parseModelKindOrPath, type ModelFlags } from './model-options.js';
import { registerFlEvaluate } from './fl-evaluate.js';
import { registerFlAnalytics } from './fl-analytics.js';
import { addQueueOptions, queueRunOptions, type QueueFlags } from './queue-options.js';

/** Wraps a spec parser so a bad string is a usage error (exit 2) listing the valid forms. */
function specParser<T>(parse: (text: string) => T): (value: string) => string {
  return (value) => {
    try {
      parse(value);
      return value;
    } catch (error) {
      if (error instanceof TrustnluError) throw new InvalidArgumentError(error.message);
      throw error;
    }
  };
}

interface SimulateFlags extends DataFlags, Omit<ModelFlags, 'model' | 'labels'>, Omit<QueueFlags, 'workers'> {
  modelLabels?: string;
  partition: string;
  strategy: string;
  selection: string;
  setting: string;
  rounds: number;
  clientsPerRound: number;
  localEpochs: number;
  model?: string;
  modelConfig?: Record<string, unknown>;
  seed: number;
  clients: number;
  workers: number;
  batch?: number;
  lr?: number;
  localOptimizer: 'sgd' | 'adam';
  maxLocalSteps?: number;
  serverLr?: number;
  availability?: number;
  dropout?: number;
  evalEvery: number;
  evalSplit: 'val' | 'test';
  baseline?: boolean;
  json?: boolean;
  backend?: 'wasm' | 'cpu';
  dpClip?: number | 'auto';
  dpNoise?: number;
  dpEpsilon?: number;
  dpDelta: number;
  secagg?: boolean;
  secaggRange?: number;
  secaggNeighbours?: number;
  labels: string;
  feedbackRate?: number;
  labelledFraction?: number;
  pseudoLabelThreshold?: number;
  seedEpochs?: number;
  serverEpochs?: number;
}

/** The DP / secure-aggregation options of a simulation, or undefined; usage errors for inconsistent flags. */
function privacyOptions(flags: SimulateFlags) {
  const dpFlags = flags.dpNoise !== undefined || flags.dpEpsilon !== undefined;
  if (dpFlags && flags.dpClip === undefined) throw new UsageError('--dp-noise/--dp-epsilon need --dp-clip C|auto (user-level DP clips every client update)');
  if (flags.dpNoise !== undefined && flags.dpEpsilon !== undefined) throw new UsageError('give either --dp-noise or --dp-epsilon, not both');
  if (flags.dpClip !== undefined && !dpFlags) throw new UsageError('--dp-clip needs --dp-noise S or --dp-epsilon E');
  if (!flags.secagg && (flags.secaggRange !== undefined || flags.secaggNeighbours !== undefined)) throw new UsageError('--secagg-range/--secagg-neighbours need --secagg');
  if (flags.dpClip === undefined && !flags.secagg) return undefined;
  return {
    dp: flags.dpClip === undefined ? undefined : { clip: flags.dpClip, noiseMultiplier: flags.dpNoise, epsilon: flags.dpEpsilon, delta: flags.dpDelta },
    secureAggregation: flags.secagg ? { range: flags.secaggRange, neighbours: flags.secaggNeighbours } : undefined,
  };
}

function describe(r: FederatedExperimentSummary): string {
  const synthetic = r.synthetic ? ' [SYNTHETIC data]' : '';
  const lines = [
    `${r.strategy} on ${r.dataset}${synthetic}, ${r.partition}, ${r.selection} selection, ${r.setting}: ` +
      `accuracy ${formatNumber(r.accuracy)}, loss ${formatNumber(r.loss)} after ${r.rounds} rounds (${r.seconds.toFixed(1)} s, ${r.executor})`,
    `partition: ${formatPartitionSummary(r.partitionSummary)}`,
  ];
  if (r.continual) lines.push(`continual: average accuracy over periods ${formatNumber(r.continual.averageAccuracy)}, forgetting ${formatNumber(r.continual.forgetting)}`);
  const l = r.labels;
  if (l) {
    const t = l.totals;
    lines.push(`labels: ${l.mode}; ${l.labelledExamples} labelled examples on the server (seed model alone: accuracy ${formatNumber(l.seedAccuracy)}), ${l.deviceExamples} unlabelled on devices`);
    lines.push(`device targets over all rounds: ${t.positives} positive (${t.wrongPositives} wrong), ${t.negatives} complementary (${t.wrongNegatives} wrong) from ${t.examples} examples; ${t.failures} device-rounds without a target or failed`);
  }
  if (r.baseline) lines.push(`all data at once (${r.baseline.setting}, same rounds): accuracy ${formatNumber(r.baseline.accuracy)}, loss ${formatNumber(r.baseline.loss)}`);
  const t = r.totals;
  if (t.failures || t.rejectedNonFinite) lines.push(`failures ${t.failures} (dropped ${t.dropped}), non-finite updates rejected ${t.rejectedNonFinite}`);
  const dp = r.privacy?.dp;
  if (dp) lines.push(`user-level DP: ε = ${dp.epsilon === null ? '∞' : formatNumber(dp.epsilon)} at δ = ${dp.delta} (${dp.accountant}) after ${dp.rounds} rounds, σ = ${formatNumber(dp.noiseMultiplier)}, q = ${formatNumber(dp.sampleRate)}, ${dp.clipping} clip (C = ${formatNumber(dp.clipNorm)})`);
  const sa = r.privacy?.secureAggregation;
  if (sa) lines.push(`secure aggregation: ${sa.rounds} rounds, ${sa.mismatches} mismatches with the fixed-point plain sum, ${sa.clippedValues} values clipped to the range, ${sa.seconds.toFixed(2)} s`);
  return lines.join('\n');
}

export function registerFl(program: Command): void {
  const fl = program.command('fl').description('federated learning: simulate strategies, partitions and settings');
  const simulate = fl
    .command('simulate')
    .description('simulate federated training on the worker pool and report the accuracy curve')
    .option('--partition <spec>', `how data is split into clients: ${PARTITION_FORMS.join(' | ')}`, specParser(parsePartitionSpec), 'iid')
    .option('--strategy <spec>', `server strategy: ${STRATEGY_FORMS.join(' | ')}`, specParser(parseStrategySpec), 'fedavg')
    .option('--selection <spec>', `client selection: ${SELECTION_FORMS.join(' | ')}`, specParser(parseSelectionSpec), 'uniform')
    .option('--setting <spec>', `data arrival: ${SETTING_FORMS.join(' | ')}`, specParser(parseSettingSpec), 'static')
    .option('--rounds <n>', 'federated rounds (in total, over all periods)', parseInteger('--rounds', 1), 10)
    .option('--clients-per-round <k>', 'clients selected per round', parseInteger('--clients-per-round', 1), 10)
    .option('--local-epochs <e>', 'local epochs per round', parseInteger('--local-epochs', 1), 1)
    .option('--model <kind|path>', `model (default embbag, or char-lstm for corpora): ${MODEL_KINDS.join(', ')}, or your TensorFlow.js model.json (or its directory; a classifier of token ids)`, parseModelKindOrPath(MODEL_KINDS))
    .option('--model-config <json>', 'architecture overrides as JSON, e.g. \'{"hidden": 64}\'', parseJsonObject('--model-config'))
    .option('--seed <n>', 'random seed (partition, init, selection, local shuffles)', parseInteger('--seed', 0), 0)
    .option('--clients <n>', 'number of clients for iid / dirichlet / quantity partitions', parseInteger('--clients', 1), 100)
    .option('--workers <n>', 'worker threads (0 = run clients in this thread)', parseInteger('--workers', 0), availableParallelism())
    .option('--batch <n>', 'local batch size (default 32)', parseInteger('--batch', 1))
    .option('--lr <rate>', 'client learning rate (default: the model kind\'s rate with adam, 0.1 with sgd)', parseNumber('--lr', (n) => n > 0, 'a number > 0'))
    .option('--local-optimizer <name>', 'client optimiser: sgd | adam', parseChoice('--local-optimizer', ['sgd', 'adam'] as const), 'adam')
    .option('--max-local-steps <n>', 'cap on local steps per client per round', parseInteger('--max-local-steps', 1))
    .option('--server-lr <rate>', 'server learning rate for fedavgm/fedadagrad/fedadam/fedyogi', parseNumber('--server-lr', (n) => n > 0, 'a number > 0'))
    .option('--availability <p>', 'probability a client is online in a round (default 1)', parseNumber('--availability', (n) => n > 0 && n <= 1, 'in (0, 1]'))
    .option('--dropout <p>', 'probability a selected client fails to report (default 0)', parseNumber('--dropout', (n) => n >= 0 && n < 1, 'in [0, 1)'))
    .option('--eval-every <n>', 'evaluate the global model every n rounds', parseInteger('--eval-every', 1), 1)
    .option('--eval-split <split>', 'split the global model is evaluated on', parseChoice('--eval-split', ['val', 'test'] as const), 'test')
    .option('--baseline', 'continual setting: also run the all-data-at-once baseline with the same rounds', false)
    .option('--dp-clip <C|auto>', 'user-level DP (DP-FedAvg): clip each client update to L2 norm C, or "auto" for adaptive clipping', parseDpClip)
    .option('--dp-noise <sigma>', 'DP-FedAvg noise multiplier σ (noise std σ·C on the sum of clipped updates)', parseNumber('--dp-noise', (n) => n >= 0, 'a number ≥ 0'))
    .option('--dp-epsilon <eps>', 'DP-FedAvg: calibrate σ so the planned rounds spend at most this ε', parseNumber('--dp-epsilon', (n) => n > 0, 'a number > 0'))
    .option('--dp-delta <delta>', 'DP-FedAvg δ', parseNumber('--dp-delta', (n) => n > 0 && n < 1, 'in (0, 1)'), 1e-5)
    .option('--secagg', 'sum client updates with secure aggregation (SecAgg+, fixed point; checked bit for bit against the plain fixed-point sum)')
    .option('--secagg-range <R>', 'secure aggregation fixed-point range (default: the clip norm with DP, else 1)', parseNumber('--secagg-range', (n) => n > 0, 'a number > 0'))
    .option('--labels <spec>', `device labels: ${LABEL_FORMS.join(' | ')} (docs/federated-open-problems.md)`, specParser(parseLabelSpec), 'gold')
    .option('--feedback-rate <p>', 'feedback labels: probability a user reacts to a prediction (default 1)', parseNumber('--feedback-rate', (n) => n > 0 && n <= 1, 'in (0, 1]'))
    .option('--labelled-fraction <f>', 'feedback labels: labelled share of the training split kept on the server (default 0.05)', parseNumber('--labelled-fraction', (n) => n > 0 && n < 1, 'in (0, 1)'))
    .option('--pseudo-label-threshold <t>', 'semi labels: top probability a pseudo-label needs (default 0.5)', parseNumber('--pseudo-label-threshold', (n) => n >= 0 && n <= 1, 'in [0, 1]'))
    .option('--seed-epochs <n>', 'feedback/semi labels: epochs of seed-model training on the labelled set (default 20)', parseInteger('--seed-epochs', 1))
    .option('--server-epochs <n>', 'semi (default 1) or feedback (default none) labels: epochs of server fine-tuning on the labelled set after each round', parseInteger('--server-epochs', 1))
    .option('--secagg-neighbours <k>', 'SecAgg+ neighbours per client (default: all up to 32 clients, then ~3·log2 n)', parseInteger('--secagg-neighbours', 1))
    .addHelpText(
      'after',
      [
        '',
        'Natural partitions: speaker (Tiny Shakespeare turns, char LM: accuracy = next-character accuracy),',
        'domain (CLINC150 domains), scenario (HWU64/SLURP scenarios), user (your --data with --user-column).',
        'With --time-column, continual:T cuts the periods by time (equal-count time ranges), else at random.',
        '',
        'Examples:',
        '  trustnlu fl simulate --dataset synthetic --partition dirichlet:0.5 --strategy fedavg --rounds 20 --clients 50 --clients-per-round 10 --json',
        '  trustnlu fl simulate --dataset clinc150 --partition domain --strategy fedprox:0.01 --selection activity:0.5 --rounds 30 --clients-per-round 5',
        '  trustnlu fl simulate --dataset tinyshakespeare --partition speaker --model char-lstm --model-config \'{"hidden":128}\' --max-local-steps 20 --rounds 20',
        '  trustnlu fl simulate --dataset synthetic --setting continual:4 --baseline --rounds 20 --json',
        '  trustnlu fl simulate --dataset synthetic --clients 100 --clients-per-round 20 --dp-clip auto --dp-epsilon 8 --secagg --json',
        '  trustnlu fl simulate --dataset clinc150 --strategy fedadam --labels feedback:0.3 --feedback-rate 0.5 --rounds 20 --json',
        '  trustnlu fl simulate --dataset banking77 --strategy fedadam --labels semi:0.05 --rounds 20',
        '  trustnlu fl simulate --data my.csv --user-column user --time-column written --partition user --setting continual:4 --json',
        '  trustnlu fl simulate --dataset synthetic --rounds 20 --clients-per-round 50 --queue redis://127.0.0.1:6379   (with trustnlu worker processes)',
        '',
        'DP-FedAvg and secure aggregation: docs/federated-privacy.md.',
      ].join('\n'),
    );
  addUserModelOptions(simulate, { labels: false });
  simulate.option('--model-labels <list|file>', `with --model model.json: its class names in output order, comma-separated or a file with one per line (default: the labels trustnlu recorded in model.json, else the data's); --labels is the device-label mode`);
  addDataOptions(simulate, { datasetHelp: `a named dataset (default: clinc150 if found, else synthetic): ${DATASETS.map((d) => d.name).join(', ')}` });
  addQueueOptions(simulate, 'simulated clients');
  withCommonOptions(simulate).action(async (flags: SimulateFlags) => {
    const privacy = privacyOptions(flags);
    const progress = progressFor({ json: flags.json });
    const queue = queueRunOptions(flags, progress, simulate.getOptionValueSource('workers') === 'cli');
    const dataset = dataSourceFromFlags(flags) ?? { kind: 'registry' as const, name: defaultDatasetName(flags.dataDir) };
    const corpus = dataset.kind === 'registry' && DATASETS.find((d) => d.name === dataset.name)?.task === 'lm';
    const fromPath = flags.model !== undefined && !(MODEL_KINDS as readonly string[]).includes(flags.model);
    if (!fromPath && (flags.vocab !== undefined || flags.modelLabels !== undefined)) throw new UsageError('--vocab and --model-labels describe a --model model.json: give --model PATH or drop them');
    if (fromPath && flags.modelConfig !== undefined) throw new UsageError(`--model-config changes a built-in architecture; ${flags.model} is its own: drop --model-config`);
    if (fromPath) await startEngine(flags);
    const userModel = fromPath ? await loadUserTextModel({ model: flags.model, vocab: flags.vocab, labels: flags.modelLabels }) : undefined;
    const summary = await runFederatedExperiment({
      dataset,
      partition: flags.partition,
      strategy: flags.strategy,
      selection: flags.selection,
      setting: flags.setting,
      rounds: flags.rounds,
      clientsPerRound: flags.clientsPerRound,
      localEpochs: flags.localEpochs,
      model: fromPath ? 'layers' : flags.model ?? (corpus ? 'char-lstm' : 'embbag'),
      userModel,
      modelConfig: flags.modelConfig,
      seed: flags.seed,
      numClients: flags.clients,
      workers: flags.workers,
      ...(queue ? { queue } : {}),
      backend: flags.backend,
      batchSize: flags.batch,
      learningRate: flags.lr,
      localOptimizer: flags.localOptimizer,
      maxLocalSteps: flags.maxLocalSteps,
      serverLearningRate: flags.serverLr,
      availability: flags.availability,
      dropout: flags.dropout,
      evaluateEvery: flags.evalEvery,
      evaluationSplit: flags.evalSplit,
      baseline: flags.baseline,
      dataDir: flags.dataDir,
      privacy,
      labels: flags.labels,
      deviceLabels: {
        feedbackRate: flags.feedbackRate,
        labelledFraction: flags.labelledFraction,
        pseudoLabelThreshold: flags.pseudoLabelThreshold,
        seedEpochs: flags.seedEpochs,
        serverEpochs: flags.serverEpochs,
      },
      progress,
    });
    userModel?.layersModel.dispose();
    printResult(summary, flags.json, describe);
  });
  registerFlService(fl);
  registerFlEvaluate(fl);
  registerFlAnalytics(fl);
}
