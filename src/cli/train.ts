import type { Command } from 'commander';
import { MODEL_KINDS } from '../models/index.js';
import { OPTIMIZER_NAMES, SCHEDULES, progressFor, runTraining, type ClassifierResult, type LanguageModelResult } from '../train/index.js';
import { addDataOptions, dataSourceFromFlags, type DataFlags } from './data-options.js';
import { UsageError } from '../errors.js';
import { PrivateTraining, type AccountantName, type ClippingMode, type PrivacyReport } from '../privacy/index.js';
import { parseChoice, parseEngines, parseInteger, parseJsonObject, parseNumber, printResult, startEngine, withCommonOptions, formatNumber } from './common.js';

export const ACCOUNTANTS: readonly AccountantName[] = ['rdp', 'pld'];
const CLIPPING_MODES: readonly ClippingMode[] = ['flat', 'per-layer'];

/** The DP flags of `trustnlu train`. */
export interface DpFlags {
  dp?: boolean;
  epsilon?: number;
  delta?: number;
  noiseMultiplier?: number;
  clip?: number | 'auto';
  clipping?: ClippingMode;
  accountant?: AccountantName;
  physicalBatch?: number;
  secureNoise?: boolean;
}

export interface TrainFlags extends DataFlags {
  model: string;
  epochs?: number;
  seed: number;
  out?: string;
  batch?: number;
  lr?: number;
  optimizer?: (typeof OPTIMIZER_NAMES)[number];
  schedule?: (typeof SCHEDULES)[number];
  warmup?: number;
  patience?: number;
  resume?: boolean;
  timeLimit?: number;
  stepsPerEpoch?: number;
  validateEvery?: number;
  glove?: boolean;
  modelConfig?: Record<string, unknown>;
  engines?: number;
  json?: boolean;
  backend?: 'wasm' | 'cpu';
}

const parseClipNorm = parseNumber('--clip', (n) => n > 0, 'a number > 0 or "auto"');
const parseClip = (value: string): number | 'auto' => (value === 'auto' ? 'auto' : parseClipNorm(value));

export function addDpOptions(command: Command): Command {
  return command
    .option('--dp', 'differentially private training (eDP-SGD: Poisson batches, per-example clipping, Gaussian noise)', false)
    .option('--epsilon <e>', 'DP: target ε; the noise multiplier is calibrated to it for the planned steps', parseNumber('--epsilon', (n) => n > 0, 'a number > 0'))
    .option('--delta <d>', 'DP: δ, below 1/N', parseNumber('--delta', (n) => n > 0 && n < 1, 'a number in (0, 1)'))
    .option('--noise-multiplier <s>', 'DP: noise multiplier σ instead of a target ε (ε is then computed)', parseNumber('--noise-multiplier', (n) => n >= 0, 'a number ≥ 0'))
    .option('--clip <c>', 'DP: per-example clip norm, or "auto" for adaptive quantile clipping (default 1)', parseClip)
    .option('--clipping <mode>', `DP: ${CLIPPING_MODES.join(' | ')} (per-layer: each layer clipped to C/√L)`, parseChoice('--clipping', CLIPPING_MODES))
    .option('--accountant <name>', `DP: privacy accountant ${ACCOUNTANTS.join(' | ')} (default rdp)`, parseChoice('--accountant', ACCOUNTANTS))
    .option('--physical-batch <n>', 'DP: largest number of examples per pass (gradient accumulation within a Poisson batch)', parseInteger('--physical-batch', 1))
    .option('--secure-noise', 'DP: noise sampler hardened against floating-point attacks, and batches drawn from the CSPRNG', false);
}

/** The PrivateTraining the DP flags ask for, or undefined without --dp; bad combinations are usage errors. */
export function privateTrainingFrom(flags: DpFlags): PrivateTraining | undefined {
  const dpOnly: [keyof DpFlags, string][] = [
    ['epsilon', '--epsilon'], ['delta', '--delta'], ['noiseMultiplier', '--noise-multiplier'], ['clip', '--clip'],
    ['clipping', '--clipping'], ['accountant', '--accountant'], ['physicalBatch', '--physical-batch'],
  ];
  if (!flags.dp) {
    const given = dpOnly.filter(([k]) => flags[k] !== undefined).map(([, f]) => f);
    if (flags.secureNoise) given.push('--secure-noise');
    if (given.length > 0) throw new UsageError(`${given.join(', ')} ${given.length > 1 ? 'need' : 'needs'} --dp`);
    return undefined;
  }
  if ((flags.epsilon === undefined) === (flags.noiseMultiplier === undefined)) {
    throw new UsageError('--dp needs exactly one of --epsilon (a target) or --noise-multiplier');
  }
  if (flags.delta === undefined) throw new UsageError('--dp needs --delta (below 1/N, e.g. 1e-5)');
  if (flags.clip === 'auto' && flags.clipping === 'per-layer') throw new UsageError('--clip auto works with flat clipping only: drop --clipping per-layer or give a number');
  return new PrivateTraining({
    epsilon: flags.epsilon,
    noiseMultiplier: flags.noiseMultiplier,
    delta: flags.delta,
    clip: flags.clip,
    clipping: flags.clipping,
    accountant: flags.accountant,
    physicalBatchSize: flags.physicalBatch,
    secureNoise: flags.secureNoise,
  });
}

export function describePrivacy(r: PrivacyReport): string {
  const target = r.targetEpsilon !== undefined ? ` (target ${r.targetEpsilon})` : '';
  return `privacy: ε = ${formatNumber(r.epsilon, 3)}${target} at δ = ${r.delta} (${r.accountant}), σ = ${formatNumber(r.noiseMultiplier, 3)}, q = ${formatNumber(r.sampleRate, 5)}, ${r.steps} steps, clip ${formatNumber(r.clip, 3)}${r.adaptiveClipping ? ' (adaptive)' : ''}`;
}

export function describeResult(r: ClassifierResult | LanguageModelResult): string {
  const synthetic = r.synthetic ? ' [SYNTHETIC data]' : '';
  if ('accuracy' in r) {
    const oos = r.oosRecall !== undefined ? `, out-of-scope recall ${formatNumber(r.oosRecall)}` : '';
    const warnings = (r.warnings ?? []).map((w) => `\nwarning: ${w}`).join('');
    return `${r.model} on ${r.dataset}${synthetic}: test accuracy ${formatNumber(r.accuracy)}${oos} (${r.epochs} epochs, ${r.seconds.toFixed(1)} s)${warnings}`;
  }
  return `${r.model} on ${r.dataset}${synthetic}: validation loss ${formatNumber(r.valLoss)} nats/token, perplexity ${formatNumber(r.perplexity, 2)} (${r.seconds.toFixed(1)} s)`;
}

export function addTrainingOptions(command: Command): Command {
  addDataOptions(command, { datasetHelp: 'a named dataset (default: clinc150 when the data directory has it, else synthetic); see "trustnlu data list"' });
  return command
    .requiredOption('--model <kind>', `model: ${MODEL_KINDS.join(', ')}`, parseChoice('--model', MODEL_KINDS))
    .option('--epochs <n>', 'training epochs (default 5; with --dp the private recipe\'s, 80 for embbag)', parseInteger('--epochs', 1))
    .option('--seed <n>', 'random seed (data splits, init, batches, dropout)', parseInteger('--seed', 0), 0)
    .option('--out <dir>', 'directory for the best checkpoint')
    .option('--batch <n>', 'batch size (default: per model; with --dp the expected Poisson batch, ~13.6% of the training set up to 2048)', parseInteger('--batch', 1))
    .option('--lr <rate>', 'learning rate (default: per model)', parseNumber('--lr', (n) => n > 0, 'a number > 0'))
    .option('--optimizer <name>', `optimizer: ${OPTIMIZER_NAMES.join(', ')}`, parseChoice('--optimizer', OPTIMIZER_NAMES))
    .option('--schedule <name>', `learning-rate schedule: ${SCHEDULES.join(', ')}`, parseChoice('--schedule', SCHEDULES))
    .option('--warmup <steps>', 'learning-rate warm-up steps', parseInteger('--warmup', 0))
    .option('--patience <epochs>', 'early stopping: epochs without a better validation score', parseInteger('--patience', 1))
    .option('--resume', 'continue from <out>/last if it exists', false)
    .option('--time-limit <seconds>', 'stop after the epoch in which this much time has passed', parseNumber('--time-limit', (n) => n > 0, 'a number > 0'))
    .option('--steps-per-epoch <n>', 'cap on steps per epoch (long corpora)', parseInteger('--steps-per-epoch', 1))
    .option('--validate-every <steps>', 'also validate (and keep the best) every this many steps', parseInteger('--validate-every', 1))
    .option('--glove', 'classifiers: initialise embeddings from the GloVe 100-d subset in the data directory', false)
    .option('--engines <n>', 'tfjs engines (worker threads) each batch is split over, or "cores" for one per core (default 1: this thread; built-in models)', parseEngines)
    .option('--model-config <json>', 'architecture overrides as JSON, e.g. \'{"hidden": 0, "dropout": 0}\'', parseJsonObject('--model-config'));
}

export function trainingOptionsFrom(flags: TrainFlags) {
  return {
    dataset: dataSourceFromFlags(flags),
    model: flags.model,
    epochs: flags.epochs,
    seed: flags.seed,
    out: flags.out,
    dataDir: flags.dataDir,
    batchSize: flags.batch,
    learningRate: flags.lr,
    optimizer: flags.optimizer,
    schedule: flags.schedule,
    warmupSteps: flags.warmup,
    patience: flags.patience,
    resume: flags.resume,
    timeLimitSeconds: flags.timeLimit,
    maxStepsPerEpoch: flags.stepsPerEpoch,
    validateEverySteps: flags.validateEvery,
    glove: flags.glove,
    config: flags.modelConfig,
    engines: flags.engines,
    progress: progressFor({ json: flags.json }),
  };
}

export function registerTrain(program: Command): void {
  const command = program
    .command('train')
    .description('train a classifier or language model and save the best checkpoint')
    .addHelpText('after', `\nModels:\n  classifiers:      embbag, cnn, transformer\n  language models:  char-lstm, char-transformer, word-lstm, word-transformer\n\nExamples:\n  trustnlu train --dataset clinc150 --model cnn --epochs 8 --seed 1 --out runs/cnn --json\n  trustnlu train --dataset clinc150 --model embbag --dp --epsilon 8 --delta 1e-5 --json
  trustnlu train --data intents.csv --text-column utterance --label-column intent --model embbag --out runs/mine`);
  withCommonOptions(addDpOptions(addTrainingOptions(command))).action(async (flags: TrainFlags & DpFlags) => {
    const privacy = privateTrainingFrom(flags);
    await startEngine(flags);
    try {
      const { result, model, training } = await runTraining({ ...trainingOptionsFrom(flags), privacy });
      model.dispose();
      // ε for the steps that actually ran (early stopping or a time limit spend less than planned).
      const report = privacy?.report(training.steps);
      const output = report ? { ...result, ...report } : result;
      printResult(output, flags.json, (r) =>
        describeResult(r) + (report ? `\n${describePrivacy(report)}` : '') + (flags.out ? `\nbest checkpoint: ${flags.out}` : ''));
    } finally {
      privacy?.dispose();
    }
  });
}
