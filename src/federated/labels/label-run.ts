/**
 * Setting up a federated run whose devices hold no gold labels (`--labels feedback|semi`):
 * 1. a stratified labelled fraction of the training split goes to the server (the seed set)
 *    and is removed from the devices;
 * 2. the server trains the seed model on it (the "labelled seed set alone" lower bound);
 * 3. the run starts from the seed model; devices label their own utterances each round
 *    (labels/device-labels.ts); with `semi`, the server also fine-tunes on the seed set after
 *    every aggregation.
 */
import { SeededRandom } from '../../engine/random.js';
import { ConfigError } from '../../errors.js';
import { checkFeedbackLossOptions, FEEDBACK_LOSS_DEFAULTS, type FeedbackLossOptions } from '../../train/index.js';
import { addInPlace, cloneParameters, type ParameterSet } from '../aggregate/index.js';
import { evaluationMetrics, viewParameters, type LocalTrainingConfig } from '../client/index.js';
import type { LocalTrainingSettings } from '../strategies/server-strategy.js';
import type { Strategy } from '../strategy.js';
import type { SimulationExecutor } from '../simulation/executor.js';
import type { FederatedDataset } from '../simulation/federated-dataset.js';
import type { FitJobResult } from '../simulation/training-handler.js';
import type { DeviceLabelConfig } from './device-labels.js';
import { DeviceLabelStrategy, type RoundLabelCounts } from './label-strategy.js';
import type { LabelSpec } from './spec.js';
import { checkFeedbackNoiseModel } from './user-feedback.js';

export interface DeviceLabelOptions {
  /** gold here means: devices hold gold labels, and the run starts from a seed model on the labelled fraction. */
  labels: LabelSpec;
  /** Feedback: probability a user reacts to a prediction (default 1). */
  feedbackRate?: number;
  /** Feedback: the labelled share of the training split on the server (semi: from the spec). Default 0.05. */
  labelledFraction?: number;
  /** Semi: the top probability a pseudo-label needs (default 0.5). */
  pseudoLabelThreshold?: number;
  /** Epochs of seed-model training on the labelled set (default 20). */
  seedEpochs?: number;
  /** Epochs of server fine-tuning on the labelled set after each round: semi always (default 1), feedback only when given. */
  serverEpochs?: number;
  loss?: Partial<FeedbackLossOptions>;
}

export const DEVICE_LABEL_DEFAULTS = { feedbackRate: 1, labelledFraction: 0.05, pseudoLabelThreshold: 0.5, seedEpochs: 20, serverEpochs: 1 } as const;

export interface DeviceLabelReport {
  mode: string;
  labelledExamples: number;
  deviceExamples: number;
  /** The seed model (the labelled set alone) on the evaluation split. */
  seedAccuracy: number;
  seedLoss: number;
  feedbackRate?: number;
  feedbackNoise?: number;
  pseudoLabelThreshold?: number;
  loss?: FeedbackLossOptions;
  /** Summed over rounds: targets the devices trained on, and how many were wrong. */
  totals: ReturnType<DeviceLabelStrategy['totals']>;
  rounds: RoundLabelCounts[];
}

/** A stratified sample: round(fraction·n_c) examples of each class c, at least one of each class with two or more. */
export function stratifiedLabelledSplit(targets: ArrayLike<number>, fraction: number, rng: SeededRandom): Int32Array {
  if (!(fraction > 0 && fraction < 1)) throw new ConfigError(`labelled fraction must be in (0, 1), got ${fraction}`);
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < targets.length; i++) {
    const list = byClass.get(targets[i]) ?? [];
    list.push(i);
    byClass.set(targets[i], list);
  }
  const chosen: number[] = [];
  for (const c of [...byClass.keys()].sort((a, b) => a - b)) {
    const members = byClass.get(c)!;
    const take = Math.min(members.length - 1, Math.max(members.length >= 2 ? 1 : 0, Math.round(fraction * members.length)));
    chosen.push(...rng.fork(`class:${c}`).shuffle(members).slice(0, take));
  }
  return Int32Array.from(chosen.sort((a, b) => a - b));
}

export interface DeviceLabelPlan {
  /** The dataset with the labelled examples removed from every client. */
  data: FederatedDataset;
  labelledIndices: Int32Array;
  /** What workers need (undefined: devices hold gold labels). */
  config?: DeviceLabelConfig;
  /** The server fine-tunes on its labelled set after every aggregation (semi, or feedback with serverEpochs). */
  serverFineTuning: boolean;
  options: Required<Omit<DeviceLabelOptions, 'loss'>> & { loss: FeedbackLossOptions };
}

/** How the CLI spells each option (messages name both). */
const OPTION_FLAGS: Record<keyof Omit<DeviceLabelOptions, 'labels'>, string> = {
  feedbackRate: 'feedbackRate (--feedback-rate)',
  labelledFraction: 'labelledFraction (--labelled-fraction)',
  pseudoLabelThreshold: 'pseudoLabelThreshold (--pseudo-label-threshold)',
  seedEpochs: 'seedEpochs (--seed-epochs)',
  serverEpochs: 'serverEpochs (--server-epochs)',
  loss: 'loss',
};

/** Throws ConfigError for options that do not fit the label source (checked before any data is read). */
export function checkDeviceLabelOptions(labels: LabelSpec, options: Omit<DeviceLabelOptions, 'labels'> = {}): void {
  const given = (key: keyof typeof options) => options[key] !== undefined;
  if (labels.kind === 'gold') {
    // gold with a labelled fraction: the same seed-model start as feedback runs (their upper bound)
    const stray = (['feedbackRate', 'pseudoLabelThreshold', 'serverEpochs', 'loss'] as const).filter(given);
    if (stray.length) throw new ConfigError(`${stray.map((k) => OPTION_FLAGS[k]).join(', ')} need --labels feedback[:NOISE] or semi:FRACTION (devices here hold gold labels)`);
    if (given('seedEpochs') && !given('labelledFraction')) throw new ConfigError('seed epochs with --labels gold need a labelled fraction (the seed model is trained on it)');
    return;
  }
  if (labels.kind === 'semi' && given('labelledFraction')) throw new ConfigError('semi:FRACTION already sets the labelled fraction; drop the labelled-fraction option');
  if (labels.kind === 'semi' && (given('feedbackRate') || given('loss'))) throw new ConfigError('the feedback rate and feedback loss apply to --labels feedback, not semi');
  if (labels.kind === 'feedback' && given('pseudoLabelThreshold')) throw new ConfigError('the pseudo-label threshold applies to --labels semi, not feedback');
}

export function planDeviceLabels(data: FederatedDataset, options: DeviceLabelOptions, seed: number): DeviceLabelPlan {
  if (data.train.task !== 'classifier') throw new ConfigError(`--labels ${options.labels.kind} needs an intent dataset and a classifier; "${data.name}" is a corpus`);
  checkDeviceLabelOptions(options.labels, options);
  const resolved = {
    labels: options.labels,
    feedbackRate: options.feedbackRate ?? DEVICE_LABEL_DEFAULTS.feedbackRate,
    labelledFraction: options.labels.kind === 'semi' ? options.labels.labelledFraction : options.labelledFraction ?? DEVICE_LABEL_DEFAULTS.labelledFraction,
    pseudoLabelThreshold: options.pseudoLabelThreshold ?? DEVICE_LABEL_DEFAULTS.pseudoLabelThreshold,
    seedEpochs: options.seedEpochs ?? DEVICE_LABEL_DEFAULTS.seedEpochs,
    serverEpochs: options.serverEpochs ?? DEVICE_LABEL_DEFAULTS.serverEpochs,
    loss: { ...FEEDBACK_LOSS_DEFAULTS, ...Object.fromEntries(Object.entries(options.loss ?? {}).filter(([, v]) => v !== undefined)) },
  };
  for (const key of ['seedEpochs', 'serverEpochs'] as const) {
    if (!Number.isInteger(resolved[key]) || resolved[key] < 1) throw new ConfigError(`${key} must be an integer ≥ 1, got ${resolved[key]}`);
  }
  if (!(resolved.pseudoLabelThreshold >= 0 && resolved.pseudoLabelThreshold <= 1)) throw new ConfigError(`pseudo-label threshold must be in [0, 1], got ${resolved.pseudoLabelThreshold}`);
  checkFeedbackLossOptions(resolved.loss);
  const labelledIndices = stratifiedLabelledSplit(data.train.targets, resolved.labelledFraction, new SeededRandom(seed).fork('labelled-seed-set'));
  const labelled = new Set(labelledIndices);
  const clients = data.clients.map((c) => ({ ...c, indices: c.indices.filter((i) => !labelled.has(i)) })).filter((c) => c.indices.length > 0);
  let config: DeviceLabelConfig | undefined;
  if (options.labels.kind === 'feedback') {
    const noiseModel = { rate: resolved.feedbackRate, noise: options.labels.noise, seed: new SeededRandom(seed).fork('user-feedback').seed };
    checkFeedbackNoiseModel(noiseModel);
    config = { kind: 'feedback', ...noiseModel, loss: resolved.loss };
  } else if (options.labels.kind === 'semi') {
    config = { kind: 'semi', threshold: resolved.pseudoLabelThreshold };
  }
  const notes = [...data.notes, `${labelledIndices.length} labelled examples (${resolved.labelledFraction} of the training split, stratified) kept on the server and removed from the devices`];
  const serverFineTuning = options.labels.kind === 'semi' || (options.labels.kind === 'feedback' && options.serverEpochs !== undefined);
  return { data: { ...data, clients, notes }, labelledIndices, config, serverFineTuning, options: resolved };
}

/** Trains on the server's labelled examples (gold labels) from `start` and returns the new parameters. */
async function trainOnLabelled(executor: SimulationExecutor, plan: DeviceLabelPlan, start: ParameterSet, local: LocalTrainingConfig): Promise<ParameterSet> {
  const [outcome] = await executor.fit([
    { type: 'fit', clientId: 'server-labelled-set', indices: plan.labelledIndices, parameters: executor.broadcast(start), config: local, goldLabels: true },
  ]);
  if (outcome.status === 'rejected') throw outcome.reason;
  const result: FitJobResult = outcome.value;
  return addInPlace(cloneParameters(start), viewParameters(result.delta, executor.layout));
}

export interface DeviceLabelRun {
  strategy: DeviceLabelStrategy;
  seed: { parameters: ParameterSet; accuracy: number; loss: number };
  report(): DeviceLabelReport;
}

/**
 * Trains the seed model on the executor, evaluates it, and wraps `inner` so the run starts
 * from it (and, for semi, fine-tunes on the labelled set after each round).
 */
export async function startDeviceLabelRun(
  executor: SimulationExecutor,
  plan: DeviceLabelPlan,
  inner: Strategy,
  local: LocalTrainingSettings,
  seed: number,
): Promise<DeviceLabelRun> {
  const root = new SeededRandom(seed).fork('server-labelled-training');
  const config = (epochs: number, stream: string): LocalTrainingConfig => ({ ...local, localEpochs: epochs, maxSteps: 0, proximalMu: 0, seed: root.fork(stream).seed });
  const seedParameters = await trainOnLabelled(executor, plan, executor.initialParameters(), config(plan.options.seedEpochs, 'seed-model'));
  const seedMetrics = evaluationMetrics(await executor.evaluate('evaluation', executor.evaluationIndices(plan.data), executor.broadcast(seedParameters)));
  const serverStep =
    plan.serverFineTuning
      ? (round: number, parameters: ParameterSet) => trainOnLabelled(executor, plan, parameters, config(plan.options.serverEpochs, `round:${round}`))
      : undefined;
  const strategy = new DeviceLabelStrategy(inner, { start: seedParameters, ...(serverStep ? { serverStep } : {}) });
  const deviceExamples = plan.data.clients.reduce((s, c) => s + c.indices.length, 0);
  return {
    strategy,
    seed: { parameters: seedParameters, accuracy: seedMetrics.accuracy, loss: seedMetrics.loss },
    report: () => ({
      mode: !plan.config
        ? `gold from a seed model (labelled=${plan.options.labelledFraction})`
        : plan.config.kind === 'feedback'
          ? `feedback(rate=${plan.config.rate}, noise=${plan.config.noise}${plan.serverFineTuning ? `, server fine-tuning ${plan.options.serverEpochs} epoch(s)/round` : ''})`
          : `semi(labelled=${plan.options.labelledFraction}, threshold=${plan.config.threshold})`,
      labelledExamples: plan.labelledIndices.length,
      deviceExamples,
      seedAccuracy: seedMetrics.accuracy,
      seedLoss: seedMetrics.loss,
      ...(plan.config?.kind === 'feedback' ? { feedbackRate: plan.config.rate, feedbackNoise: plan.config.noise, loss: plan.config.loss } : {}),
      ...(plan.config?.kind === 'semi' ? { pseudoLabelThreshold: plan.config.threshold } : {}),
      totals: strategy.totals(),
      rounds: strategy.rounds,
    }),
  };
}
