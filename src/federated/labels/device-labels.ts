/**
 * A device's round when it holds no gold labels: predict its utterances with the global
 * model it just received (the model its user is talking to), turn the predictions into
 * targets (simulated user feedback, or confident pseudo-labels), and train on those targets
 * only, with a noise-robust loss for feedback (NCE+RCE on positives, −log(1 − p) on
 * complementary labels) and plain cross-entropy for pseudo-labels. The label counts of the
 * round ride along in the fit metrics (label* keys) for the server's bookkeeping; a real
 * deployment would not send them, and the simulator's strategies ignore unknown metrics.
 */
import { NoDeviceLabelsError, ConfigError } from '../../errors.js';
import type { AnyModel } from '../../models/index.js';
import { classifierOutputs, feedbackGradients, type EncodedClassificationSet, type FeedbackLossOptions } from '../../train/index.js';
import type { ParameterSet } from '../aggregate/index.js';
import { subsetOf, trainLocally, writeModelParameters, type FederatedExamples, type LocalTrainingConfig, type LocalTrainingOptions, type LocalTrainingResult } from '../client/index.js';
import { confidentPseudoLabels, feedbackTargets, type DeviceLabelCounts, type DeviceTargets } from './user-feedback.js';

/** What every simulation worker needs to know about device labels (sent once, with the dataset). */
export type DeviceLabelConfig =
  | { kind: 'feedback'; rate: number; noise: number; seed: number; loss: FeedbackLossOptions }
  | { kind: 'semi'; threshold: number };

/** The fit-metric keys the label counts travel under. */
export const LABEL_METRIC_KEYS: Record<keyof DeviceLabelCounts, string> = {
  examples: 'labelExamples',
  positives: 'labelPositives',
  wrongPositives: 'labelWrongPositives',
  negatives: 'labelNegatives',
  wrongNegatives: 'labelWrongNegatives',
};

/** The targets a device derives from the current model's predictions on the examples at `indices`. */
export function deviceTargets(model: AnyModel, examples: FederatedExamples, indices: ArrayLike<number>, labels: DeviceLabelConfig): DeviceTargets & { set: EncodedClassificationSet } {
  if (model.task !== 'classifier' || examples.task !== 'classifier') throw new ConfigError('device labels (feedback, semi) need a classifier and intent data');
  const set = subsetOf(examples, indices) as EncodedClassificationSet;
  const outputs = classifierOutputs(model, set);
  const targets =
    labels.kind === 'feedback'
      ? feedbackTargets(outputs.predictions, set.targets, indices, { rate: labels.rate, noise: labels.noise, seed: labels.seed })
      : confidentPseudoLabels(outputs.probabilities, outputs.classes, set.targets, labels.threshold);
  return { ...targets, set };
}

export function trainOnDeviceLabels(
  model: AnyModel,
  examples: FederatedExamples,
  indices: ArrayLike<number>,
  global: ParameterSet,
  config: LocalTrainingConfig,
  labels: DeviceLabelConfig,
  options: LocalTrainingOptions = {},
): LocalTrainingResult {
  writeModelParameters(model, global);
  const { positions, targets, counts, set } = deviceTargets(model, examples, indices, labels);
  if (positions.length === 0) {
    throw new NoDeviceLabelsError(
      labels.kind === 'feedback'
        ? `no user reacted to any of the device's ${indices.length} predictions this round`
        : `no prediction on the device's ${indices.length} examples reached the pseudo-label threshold ${labels.threshold}`,
    );
  }
  const labelled: FederatedExamples = { task: 'classifier', sequences: positions.map((p) => set.sequences[p]), targets: Int32Array.from(targets) };
  const result = trainLocally(model, labelled, positions.map((_, j) => j), global, config, {
    ...options,
    ...(labels.kind === 'feedback' ? { gradientStep: feedbackGradients(labels.loss) } : {}),
  });
  const metrics: LocalTrainingResult['metrics'] & Record<string, number> = { ...result.metrics };
  for (const [key, name] of Object.entries(LABEL_METRIC_KEYS)) metrics[name] = counts[key as keyof DeviceLabelCounts];
  return { ...result, metrics };
}
