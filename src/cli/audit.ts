/**
 * `trustnlu audit`: what an attacker can learn from a trained model.
 *   mia             membership inference (loss threshold or LiRA with shadow models)
 *   exposure        canary exposure of a language model trained with canaries
 *   extract         canary extraction (ModIvA) from a classifier trained with canaries
 *   train-canaries  trains a model with canaries planted in its training split
 * Parsing only: the work is in src/privacy/audit.
 */
import type { Command } from 'commander';
import { loadDatasetSource } from '../data/registry.js';
import { addDataOptions, dataSourceFromFlags, type DataFlags } from './data-options.js';
import { UsageError } from '../errors.js';
import { MODEL_KINDS, loadModel } from '../models/index.js';
import { addUserModelOptions, checkDataLabels, loadModelFromFlags, type ModelFlags } from './model-options.js';
import {
  auditTrainedModel,
  canariesOf,
  canaryExposures,
  canaryExtraction,
  membershipSummary,
  readCanariesFile,
  trainingFromMeta,
  trainWithCanaries,
} from '../privacy/audit/index.js';
import { OPTIMIZER_NAMES, evaluationSource, progressFor } from '../train/index.js';
import { addQueueOptions, queueRunOptions, type QueueFlags } from './queue-options.js';
import { formatNumber, parseChoice, parseInteger, parseNumber, printResult, startEngine, withCommonOptions } from './common.js';

function parseConfig(value: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new UsageError(`--config must be a JSON object of architecture overrides such as '{"hidden":64}', got "${value}"`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new UsageError(`--config must be a JSON object, got "${value}"`);
  return parsed as Record<string, unknown>;
}

function parseRepetitions(value: string): number[] {
  const parts = value.split(',').map((s) => s.trim());
  if (parts.length === 0 || parts.some((p) => !/^\d+$/.test(p))) {
    throw new UsageError(`--repetitions must be a comma-separated list of integers ≥ 0 (0 = a never-inserted reference), got "${value}"`);
  }
  return parts.map(Number);
}

interface CommonFlags {
  json?: boolean;
  backend?: 'wasm' | 'cpu';
  seed: number;
}

function registerMia(audit: Command): void {
  const command = audit
    .command('mia')
    .description('membership inference against a classifier trained on a dataset\'s train split (members: training examples; non-members: test examples)')
    .requiredOption('--model <path>', 'checkpoint directory written by "trustnlu train", or a TensorFlow.js model.json (or its directory)')
    .option('--attack <name>', 'loss (threshold on the loss) or lira (likelihood ratio with shadow models)', parseChoice('--attack', ['loss', 'lira'] as const), 'lira')
    .option('--shadows <n>', 'LiRA: shadow models, trained like the target on random halves of the audited pool', parseInteger('--shadows', 1), 16)
    .option('--mode <mode>', 'LiRA: online (IN and OUT shadows) or offline (OUT only)', parseChoice('--mode', ['online', 'offline'] as const), 'online')
    .option('--examples <n>', 'members audited, and as many non-members (default: the test split size, at most 1000)', parseInteger('--examples', 2))
    .option('--shadow-epochs <n>', 'LiRA: train shadows for this many epochs instead of the recipe\'s (faster, less faithful)', parseInteger('--shadow-epochs', 1))
    .option('--shadow-batch <n>', 'LiRA: shadows\' batch size instead of the recipe\'s (for a model.json trained elsewhere: how it was trained)', parseInteger('--shadow-batch', 1))
    .option('--shadow-lr <rate>', 'LiRA: shadows\' learning rate instead of the recipe\'s', parseNumber('--shadow-lr', (n) => n > 0, 'a number > 0'))
    .option('--shadow-optimizer <name>', `LiRA: shadows' optimizer instead of the recipe's: ${OPTIMIZER_NAMES.join(', ')}`, parseChoice('--shadow-optimizer', OPTIMIZER_NAMES))
    .option('--workers <n>', 'worker threads for the shadow models (default: one per core; 0: this thread)', parseInteger('--workers', 0))
    .option('--delta <d>', 'δ for the empirical ε lower bound when the model is not DP (default 1e-5)', parseNumber('--delta', (n) => n > 0 && n < 1, 'a number in (0, 1)'))
    .option('--seed <n>', 'seed (audited sample, shadow splits and training)', parseInteger('--seed', 0), 0);
  addUserModelOptions(command);
  addDataOptions(command, { datasetHelp: 'the dataset the model was trained on (default: as its checkpoint records it)', columns: [] });
  addQueueOptions(command, 'LiRA shadow models');
  withCommonOptions(command).action(async (flags: CommonFlags & DataFlags & ModelFlags & Omit<QueueFlags, 'workers'> & {
    model: string; attack: 'loss' | 'lira'; shadows: number; mode: 'online' | 'offline'; examples?: number;
    shadowEpochs?: number; shadowBatch?: number; shadowLr?: number; shadowOptimizer?: (typeof OPTIMIZER_NAMES)[number]; workers?: number; delta?: number;
  }) => {
    const given = dataSourceFromFlags(flags);
    if (flags.attack === 'loss') {
      const shadowOnly = [['--shadow-epochs', flags.shadowEpochs], ['--shadow-batch', flags.shadowBatch], ['--shadow-lr', flags.shadowLr], ['--shadow-optimizer', flags.shadowOptimizer]].filter(([, v]) => v !== undefined).map(([f]) => f);
      if (shadowOnly.length > 0) throw new UsageError(`${shadowOnly.join(', ')} ${shadowOnly.length > 1 ? 'set' : 'sets'} how LiRA's shadow models train; the loss attack trains none: drop ${shadowOnly.length > 1 ? 'them' : 'it'} or use --attack lira`);
    }
    const progress = progressFor({ json: flags.json });
    const queue = queueRunOptions(flags, progress, flags.workers !== undefined);
    if (queue && flags.attack !== 'lira') throw new UsageError('--queue runs LiRA\'s shadow models on workers; the loss attack trains none: drop --queue or use --attack lira');
    await startEngine(flags);
    const { model, meta } = await loadModelFromFlags(flags);
    try {
      if (model.task !== 'classifier') throw new UsageError(`${flags.model} holds a language model; "audit mia" audits classifiers (use "audit exposure" for language models)`);
      if (!given && meta.dataSource === undefined && meta.dataset === undefined) throw new UsageError(`${flags.model} does not record its dataset: pass --dataset NAME or --data FILE (the data it was trained on: members come from its train split, non-members from its test split)`);
      // the same seed as training, so derived splits (val carved from train) match the target's
      const dataset = loadDatasetSource(evaluationSource(given, meta, flags.dataDir), { dataDir: flags.dataDir, seed: typeof meta.seed === 'number' ? meta.seed : 0, task: 'intent' });
      checkDataLabels(model, dataset.labels, `dataset "${dataset.name}"`, flags.model);
      // The loss attack needs no recipe; a model trained elsewhere records none (LiRA then uses the defaults, with a caveat).
      const training = flags.attack === 'lira' || meta.recipe !== undefined ? trainingFromMeta(meta, flags.model, model.kind) : undefined;
      if (flags.attack === 'lira') for (const caveat of training!.caveats) progress.event('caveat', { message: caveat });
      const recipe = training && {
        ...training.recipe,
        ...(flags.shadowEpochs !== undefined ? { epochs: flags.shadowEpochs } : {}),
        ...(flags.shadowBatch !== undefined ? { batchSize: flags.shadowBatch } : {}),
        ...(flags.shadowLr !== undefined ? { learningRate: flags.shadowLr } : {}),
        ...(flags.shadowOptimizer !== undefined ? { optimizer: flags.shadowOptimizer } : {}),
      };
      const result = await auditTrainedModel({
        model,
        dataset,
        recipe,
        dp: training?.dp,
        theoreticalEpsilon: training?.theoreticalEpsilon,
        attack: flags.attack,
        shadows: flags.shadows,
        mode: flags.mode,
        examplesPerSide: flags.examples,
        seed: flags.seed,
        delta: flags.delta,
        workers: flags.workers,
        ...(queue ? { queue } : {}),
        backend: flags.backend,
        onModel: (r, index) => progress.event('shadow', { index, seconds: r.seconds, validationAccuracy: r.validationAccuracy }),
      });
      const output = { attack: result.attack, ...membershipSummary(result) };
      printResult(output, flags.json, (r: typeof output) =>
        `${r.attack} attack on ${flags.model} (${r.members} members, ${r.nonMembers} non-members${result.shadows ? `, ${result.shadows} shadows, ${result.mode}` : ''}):\n` +
        `  AUC ${formatNumber(r.auc)}, balanced accuracy ${formatNumber(r.balancedAccuracy)}, TPR ${formatNumber(r.tprAtFpr001)} at 0.1% FPR, ${formatNumber(r.tprAtFpr01)} at 1% FPR\n` +
        `  empirical ε lower bound ${formatNumber(r.epsilonLowerBound, 3)} (δ = ${result.delta})` +
        (result.theoreticalEpsilon !== null ? `; the model's DP guarantee: ε = ${formatNumber(result.theoreticalEpsilon, 3)}` : ''));
    } finally {
      model.dispose();
    }
  });
}

function registerExposure(audit: Command): void {
  const command = audit
    .command('exposure')
    .description('canary exposure (Carlini et al., "The Secret Sharer") of a language model trained with canaries ("audit train-canaries")')
    .requiredOption('--model <dir>', 'checkpoint of a language model whose meta records its canaries')
    .option('--samples <n>', 'candidates sampled for the skew-normal fit when the format is too large to enumerate', parseInteger('--samples', 3), 2000)
    .option('--max-enumerate <n>', 'rank exactly among all candidates when there are at most this many', parseInteger('--max-enumerate', 1), 20000)
    .option('--seed <n>', 'seed (sampled candidates)', parseInteger('--seed', 0), 0);
  withCommonOptions(command).action(async (flags: CommonFlags & { model: string; samples: number; maxEnumerate: number }) => {
    await startEngine(flags);
    const { model, meta } = loadModel(flags.model);
    try {
      if (model.task !== 'lm') throw new UsageError(`${flags.model} holds a classifier; "audit exposure" measures language models (use "audit extract" for classifiers)`);
      const report = canaryExposures(model, canariesOf(meta, flags.model), { seed: flags.seed, samples: flags.samples, maxEnumerate: flags.maxEnumerate });
      const output = { canaries: report.canaries.map((c) => ({ text: c.text, repetitions: c.repetitions, exposure: c.exposure })), maxExposure: report.maxExposure };
      printResult(output, flags.json, (r: typeof output) =>
        [...r.canaries.map((c) => `${c.repetitions.toString().padStart(4)}×  ${formatNumber(c.exposure, 2).padStart(6)} bits  ${c.text}`), `max exposure of an inserted canary: ${formatNumber(r.maxExposure, 2)} bits (of ${formatNumber(report.canaries[0]?.maxPossible ?? 0, 2)} possible)`].join('\n'));
    } finally {
      model.dispose();
    }
  });
}

function registerExtract(audit: Command): void {
  const command = audit
    .command('extract')
    .description('canary extraction (ModIvA, Parikh et al. 2022) from a classifier trained with canaries: known prefix and label, relaxed input optimised, then decoded')
    .requiredOption('--model <path>', 'checkpoint of a classifier whose meta records its canaries, or a TensorFlow.js model.json (or its directory) whose ids enter through an Embedding layer')
    .option('--canaries <file>', 'the canaries planted in its training data, as JSON [{"text", "format", "label", "repetitions"}] (default: the ones its meta records)')
    .option('--steps <n>', 'optimisation steps per canary', parseInteger('--steps', 1), 300)
    .option('--restarts <n>', 'random restarts per canary (optimised as one batch)', parseInteger('--restarts', 1), 4)
    .option('--lr <rate>', 'Adam step size on the relaxed input', parseNumber('--lr', (n) => n > 0, 'a number > 0'), 0.1)
    .option('--vocabulary <v>', 'format: score only the format\'s symbols (digits for a PIN); full: the whole vocabulary', parseChoice('--vocabulary', ['format', 'full'] as const), 'format')
    .option('--seed <n>', 'seed (initial relaxed inputs)', parseInteger('--seed', 0), 0);
  addUserModelOptions(command);
  withCommonOptions(command).action(async (flags: CommonFlags & ModelFlags & { model: string; canaries?: string; steps: number; restarts: number; lr: number; vocabulary: 'format' | 'full' }) => {
    const planted = flags.canaries !== undefined ? readCanariesFile(flags.canaries) : undefined;
    await startEngine(flags);
    const { model, meta } = await loadModelFromFlags(flags);
    try {
      if (model.task !== 'classifier') throw new UsageError(`${flags.model} holds a language model; "audit extract" attacks classifiers (use "audit exposure" for language models)`);
      const canaries = planted ?? canariesOf(meta, flags.model);
      const report = canaryExtraction(model, canaries, { steps: flags.steps, restarts: flags.restarts, learningRate: flags.lr, vocabulary: flags.vocabulary, seed: flags.seed });
      const output = { trials: report.trials, exactRate: report.exactRate, tokenAccuracy: report.tokenAccuracy, meanRank: report.meanRank };
      printResult(output, flags.json, (r: typeof output) =>
        `${r.trials} canaries attacked: exact reconstruction ${formatNumber(r.exactRate, 3)} (chance ${report.chance.exactRate.toExponential(1)}), ` +
        `token accuracy ${formatNumber(r.tokenAccuracy, 3)}, mean rank of the secret ${r.meanRank === null ? '–' : formatNumber(r.meanRank, 1)} of ${report.candidates}` +
        (report.references ? `\nnever-inserted controls: exact ${formatNumber(report.references.exactRate, 3)}, token accuracy ${formatNumber(report.references.tokenAccuracy, 3)}` : ''));
    } finally {
      model.dispose();
    }
  });
}

function registerTrainCanaries(audit: Command): void {
  const command = audit
    .command('train-canaries')
    .description('train a classifier or language model with canaries planted in its training split; the checkpoint records them for "audit exposure"/"audit extract"')
    .requiredOption('--dataset <name>', 'dataset (intent dataset for classifiers, corpus for language models)')
    .requiredOption('--model <kind>', `model: ${MODEL_KINDS.join(', ')}`, parseChoice('--model', MODEL_KINDS))
    .requiredOption('--out <dir>', 'checkpoint directory')
    .option('--canary-format <text>', 'canary with {d} (digit) and {l} (letter) placeholders; classifiers with word tokens want spaces between digits', 'my pin code is {d} {d} {d} {d}')
    .option('--repetitions <list>', 'times each canary is inserted, one entry per canary; 0 adds a never-inserted reference', '10,10,10,10,0,0')
    .option('--tokenizer <kind>', 'classifiers: word, or char (the character-level input defence)', parseChoice('--tokenizer', ['word', 'char'] as const))
    .option('--epochs <n>', 'training epochs', parseInteger('--epochs', 1), 10)
    .option('--batch <n>', 'batch size (default: per model)', parseInteger('--batch', 1))
    .option('--lr <rate>', 'learning rate (default: per model)', parseNumber('--lr', (n) => n > 0, 'a number > 0'))
    .option('--patience <epochs>', 'early stopping (a defence): epochs without a better validation score', parseInteger('--patience', 1))
    .option('--config <json>', 'architecture overrides as JSON, e.g. \'{"hidden":64,"embeddingDim":16}\'')
    .option('--dropout <p>', 'classifiers: dropout rate (a defence; default: the model\'s)', parseNumber('--dropout', (n) => n >= 0 && n < 1, 'a number in [0, 1)'))
    .option('--train-subset <n>', 'keep this many original training examples/units (canaries come on top)', parseInteger('--train-subset', 1))
    .option('--steps-per-epoch <n>', 'cap on steps per epoch', parseInteger('--steps-per-epoch', 1))
    .option('--epsilon <e>', 'train with DP-SGD at this ε', parseNumber('--epsilon', (n) => n > 0, 'a number > 0'))
    .option('--delta <d>', 'DP: δ (default 1e-5)', parseNumber('--delta', (n) => n > 0 && n < 1, 'a number in (0, 1)'))
    .option('--seed <n>', 'seed (canaries, insertion, training)', parseInteger('--seed', 0), 0)
    .option('--data-dir <dir>', 'data directory');
  withCommonOptions(command).action(async (flags: CommonFlags & {
    dataset: string; model: string; out: string; canaryFormat: string; repetitions: string; tokenizer?: 'word' | 'char'; epochs: number;
    batch?: number; lr?: number; patience?: number; config?: string; dropout?: number; trainSubset?: number; stepsPerEpoch?: number; epsilon?: number; delta?: number; dataDir?: string;
  }) => {
    const repetitions = parseRepetitions(flags.repetitions);
    const config = { ...(flags.config ? parseConfig(flags.config) : {}), ...(flags.dropout !== undefined ? { dropout: flags.dropout } : {}) };
    if (flags.delta !== undefined && flags.epsilon === undefined) throw new UsageError('--delta needs --epsilon (DP training)');
    await startEngine(flags);
    const out = await trainWithCanaries({
      dataset: flags.dataset,
      dataDir: flags.dataDir,
      model: flags.model,
      tokenizer: flags.tokenizer,
      canaries: { format: flags.canaryFormat, repetitions },
      epochs: flags.epochs,
      seed: flags.seed,
      out: flags.out,
      batchSize: flags.batch,
      learningRate: flags.lr,
      patience: flags.patience,
      config,
      trainSubset: flags.trainSubset,
      maxStepsPerEpoch: flags.stepsPerEpoch,
      dp: flags.epsilon !== undefined ? { epsilon: flags.epsilon, delta: flags.delta ?? 1e-5 } : undefined,
      progress: progressFor({ json: flags.json }),
    });
    out.model.dispose();
    const output = {
      dataset: flags.dataset,
      model: flags.model,
      synthetic: out.synthetic,
      canaries: out.canaries.map((c) => ({ text: c.text, repetitions: c.repetitions, ...(c.label ? { label: c.label } : {}) })),
      epsilon: out.epsilon,
      seconds: Number(out.training.seconds.toFixed(2)),
      validation: out.training.bestValidation,
      out: flags.out,
    };
    printResult(output, flags.json, (r: typeof output) =>
      `${r.model} on ${r.dataset}${r.synthetic ? ' [SYNTHETIC data]' : ''} with ${r.canaries.length} canaries (${r.canaries.filter((c) => c.repetitions > 0).length} inserted)` +
      `${r.epsilon !== null ? `, DP ε = ${formatNumber(r.epsilon, 3)}` : ''}, ${r.seconds.toFixed(1)} s\ncheckpoint: ${r.out}`);
  });
}

export function registerAudit(program: Command): void {
  const audit = program.command('audit').description('privacy audits: membership inference, canary exposure, canary extraction');
  registerMia(audit);
  registerExposure(audit);
  registerExtract(audit);
  registerTrainCanaries(audit);
}
