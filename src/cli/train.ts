import type { Command } from 'commander';
import { MODEL_KINDS } from '../models/index.js';
import { OPTIMIZER_NAMES, SCHEDULES, progressFor, runTraining, type ClassifierResult, type LanguageModelResult } from '../train/index.js';
import { DATASETS } from '../data/registry.js';
import { parseChoice, parseInteger, parseNumber, printResult, startEngine, withCommonOptions, formatNumber } from './common.js';

export interface TrainFlags {
  dataset?: string;
  model: string;
  epochs: number;
  seed: number;
  out?: string;
  dataDir?: string;
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
  json?: boolean;
  backend?: 'wasm' | 'cpu';
}

export function describeResult(r: ClassifierResult | LanguageModelResult): string {
  const synthetic = r.synthetic ? ' [SYNTHETIC data]' : '';
  if ('accuracy' in r) {
    const oos = r.oosRecall !== undefined ? `, out-of-scope recall ${formatNumber(r.oosRecall)}` : '';
    return `${r.model} on ${r.dataset}${synthetic}: test accuracy ${formatNumber(r.accuracy)}${oos} (${r.epochs} epochs, ${r.seconds.toFixed(1)} s)`;
  }
  return `${r.model} on ${r.dataset}${synthetic}: validation loss ${formatNumber(r.valLoss)} nats/token, perplexity ${formatNumber(r.perplexity, 2)} (${r.seconds.toFixed(1)} s)`;
}

export function addTrainingOptions(command: Command): Command {
  return command
    .option('--dataset <name>', `dataset (default: clinc150 if found, else synthetic): ${DATASETS.map((d) => d.name).join(', ')}`)
    .requiredOption('--model <kind>', `model: ${MODEL_KINDS.join(', ')}`, parseChoice('--model', MODEL_KINDS))
    .option('--epochs <n>', 'training epochs', parseInteger('--epochs', 1), 5)
    .option('--seed <n>', 'random seed (data splits, init, batches, dropout)', parseInteger('--seed', 0), 0)
    .option('--out <dir>', 'directory for the best checkpoint')
    .option('--data-dir <dir>', 'data directory (default: $TRUSTNLU_DATA, ./data, ../shared/data)')
    .option('--batch <n>', 'batch size (default: per model)', parseInteger('--batch', 1))
    .option('--lr <rate>', 'learning rate (default: per model)', parseNumber('--lr', (n) => n > 0, 'a number > 0'))
    .option('--optimizer <name>', `optimizer: ${OPTIMIZER_NAMES.join(', ')}`, parseChoice('--optimizer', OPTIMIZER_NAMES))
    .option('--schedule <name>', `learning-rate schedule: ${SCHEDULES.join(', ')}`, parseChoice('--schedule', SCHEDULES))
    .option('--warmup <steps>', 'learning-rate warm-up steps', parseInteger('--warmup', 0))
    .option('--patience <epochs>', 'early stopping: epochs without a better validation score', parseInteger('--patience', 1))
    .option('--resume', 'continue from <out>/last if it exists', false)
    .option('--time-limit <seconds>', 'stop after the epoch in which this much time has passed', parseNumber('--time-limit', (n) => n > 0, 'a number > 0'))
    .option('--steps-per-epoch <n>', 'cap on steps per epoch (long corpora)', parseInteger('--steps-per-epoch', 1))
    .option('--validate-every <steps>', 'also validate (and keep the best) every this many steps', parseInteger('--validate-every', 1))
    .option('--glove', 'classifiers: initialise embeddings from the GloVe 100-d subset in the data directory', false);
}

export function trainingOptionsFrom(flags: TrainFlags) {
  return {
    dataset: flags.dataset,
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
    progress: progressFor({ json: flags.json }),
  };
}

export function registerTrain(program: Command): void {
  const command = program
    .command('train')
    .description('train a classifier or language model and save the best checkpoint')
    .addHelpText('after', `\nModels:\n  classifiers:      embbag, cnn, transformer\n  language models:  char-lstm, char-transformer, word-lstm, word-transformer\n\nExample:\n  trustnlu train --dataset clinc150 --model cnn --epochs 8 --seed 1 --out runs/cnn --json`);
  withCommonOptions(addTrainingOptions(command)).action(async (flags: TrainFlags) => {
    await startEngine(flags);
    const { result, model } = await runTraining(trainingOptionsFrom(flags));
    model.dispose();
    printResult(result, flags.json, (r) => describeResult(r) + (flags.out ? `\nbest checkpoint: ${flags.out}` : ''));
  });
}
