import type { Command } from 'commander';
import { MODEL_KINDS, allLayers, isLayersModelPath, loadLayersModelDir, readTokenizerFile, wrapLayersModel, wrapOptionsFromMetadata } from '../models/index.js';
import type { UserModel } from '../train/index.js';
import type { tf } from '../engine/index.js';
import { LABELS_HELP, VOCAB_HELP, parseLabels, parseModelKindOrPath } from './model-options.js';
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
  vocab?: string;
  labels?: string;
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
    .requiredOption('--model <kind|path>', `model: ${MODEL_KINDS.join(', ')}, or your TensorFlow.js model.json (or its directory) to train as it is`, parseModelKindOrPath(MODEL_KINDS))
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
    .option('--model-config <json>', 'architecture overrides as JSON, e.g. \'{"hidden": 0, "dropout": 0}\'', parseJsonObject('--model-config'))
    .option('--vocab <file>', `with --model model.json: ${VOCAB_HELP}; neither: a word tokenizer fitted on the training data, capped at the Embedding's ids`)
    .option('--labels <list|file>', `with --model model.json: ${LABELS_HELP}; neither: the data's labels in order of appearance`);
}

/** The first Embedding layer's inputDim (the ids it takes), if the model has one. */
function embeddingInputDim(model: tf.LayersModel): number | undefined {
  const embedding = allLayers(model).find((l) => l.getClassName() === 'Embedding') as unknown as { inputDim: number } | undefined;
  return embedding?.inputDim;
}

/**
 * `--model PATH/model.json`: the user's architecture and weights, trained as they are. With a
 * tokenizer (tokenizer.json beside it, or --vocab) and class names (trustnlu's metadata, or
 * --labels) the model is wrapped with them; without names its classes are the data's labels in
 * their order, and without a tokenizer one is fitted on the training split, capped at the
 * Embedding's inputDim (the ids the model takes).
 */
async function userModelFromPath(flags: TrainFlags): Promise<{ model: UserModel; tokenizer?: ReturnType<typeof readTokenizerFile>; labels?: string[]; maxLength?: number; vocabularySize?: number; note?: string }> {
  const conflicting = [['--model-config', flags.modelConfig], ['--glove', flags.glove || undefined]].filter(([, v]) => v !== undefined).map(([f]) => f);
  if (conflicting.length > 0) throw new UsageError(`${conflicting.join(' and ')} change${conflicting.length > 1 ? '' : 's'} a built-in architecture; ${flags.model} is its own: drop ${conflicting.join(' and ')}`);
  const tokenizer = flags.vocab !== undefined ? readTokenizerFile(flags.vocab) : undefined;
  const labels = flags.labels !== undefined ? parseLabels(flags.labels) : undefined;
  const loaded = await loadLayersModelDir(flags.model, { tokenizer });
  const fromMetadata = wrapOptionsFromMetadata(loaded.metadata);
  const names = labels ?? fromMetadata.labels;
  if (loaded.tokenizer && (names || fromMetadata.task === 'lm')) {
    return { model: wrapLayersModel(loaded.model, { tokenizer: loaded.tokenizer, ...fromMetadata, labels: names }) };
  }
  const inputDim = embeddingInputDim(loaded.model);
  return {
    model: loaded.model,
    tokenizer: loaded.tokenizer,
    labels: names,
    maxLength: fromMetadata.maxLength,
    vocabularySize: loaded.tokenizer || inputDim === undefined ? undefined : Math.min(20000, inputDim),
    note: loaded.tokenizer ? undefined : `${flags.model} has no tokenizer.json and no --vocab was given: a word tokenizer was fitted on the training data${inputDim !== undefined ? ` (at most ${Math.min(20000, inputDim)} tokens, the ids its Embedding takes)` : ''}; with --out it is saved beside model.json`,
  };
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
    const fromPath = isLayersModelPath(flags.model) && !(MODEL_KINDS as readonly string[]).includes(flags.model);
    if (!fromPath && (flags.vocab !== undefined || flags.labels !== undefined)) {
      throw new UsageError(`--vocab and --labels describe a --model model.json; "${flags.model}" is a built-in architecture, whose tokenizer is fitted on the data: drop them`);
    }
    const privacy = privateTrainingFrom(flags);
    await startEngine(flags);
    try {
      const options = trainingOptionsFrom(flags);
      let userModel: Awaited<ReturnType<typeof userModelFromPath>> | undefined;
      if (fromPath) {
        userModel = await userModelFromPath(flags);
        if (userModel.note) options.progress.event('note', { message: userModel.note });
      }
      const { result, model, training } = await runTraining({
        ...options,
        ...(userModel ? { model: userModel.model, tokenizer: userModel.tokenizer, labels: userModel.labels, maxLength: userModel.maxLength, vocabularySize: userModel.vocabularySize } : {}),
        privacy,
      });
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
