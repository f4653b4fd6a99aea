/**
 * Labels from users instead of annotators (issue 21, part 3): devices turn the deployed
 * model's predictions into training targets through simulated user feedback (positive →
 * pseudo-label, negative → complementary label, trained with NCE+RCE and −log(1 − p)), or
 * through confident pseudo-labels with a labelled set on the server (SemiFL-style).
 * See docs/federated-open-problems.md, "Labels from user feedback".
 */
export { type LabelSpec, LABEL_FORMS, parseLabelSpec } from './spec.js';
export {
  type FeedbackNoiseModel,
  type UserReaction,
  type DeviceLabelCounts,
  type DeviceTargets,
  checkFeedbackNoiseModel,
  userReaction,
  feedbackTarget,
  feedbackTargets,
  confidentPseudoLabels,
} from './user-feedback.js';
export { type DeviceLabelConfig, LABEL_METRIC_KEYS, deviceTargets, trainOnDeviceLabels } from './device-labels.js';
export { DeviceLabelStrategy, type DeviceLabelStrategyOptions, type RoundLabelCounts } from './label-strategy.js';
export {
  type DeviceLabelOptions,
  type DeviceLabelReport,
  type DeviceLabelPlan,
  type DeviceLabelRun,
  DEVICE_LABEL_DEFAULTS,
  stratifiedLabelledSplit,
  checkDeviceLabelOptions,
  planDeviceLabels,
  startDeviceLabelRun,
} from './label-run.js';
export { SimulatedFeedbackClient, RecordedFeedbackClient, recordedFeedbackTargets, FEEDBACK_SIGNALS, type FeedbackSignal, type RecordedFeedback } from './feedback-client.js';
