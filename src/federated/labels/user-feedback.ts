/**
 * Simulated users and confident pseudo-labels: how a device turns the deployed model's
 * predictions into training targets without anyone labelling its utterances.
 *
 * The user model (after Sharma et al., NAACL 2022, simplified to one reliability level):
 * each utterance draws once whether its user reacts at all (probability `rate`) and whether
 * that user's reaction is wrong (probability `noise`). A reacting user confirms a correct
 * prediction (positive feedback → pseudo-label = the prediction) and rejects a wrong one
 * (negative feedback → complementary label "not the prediction"); a wrong reaction does the
 * opposite. Both draws are keyed hashes of (seed, example index), so a user is consistent:
 * the same utterance with the same prediction gets the same reaction in every round, and
 * noise is not averaged away by asking again.
 */
import { ConfigError } from '../../errors.js';
import { keyedUniform } from '../selection/index.js';
import { encodeComplementary } from '../../train/index.js';

export interface FeedbackNoiseModel {
  /** Probability that the user reacts to a prediction at all. */
  rate: number;
  /** Probability that a reaction is the wrong one (confirming an error, rejecting a right answer). */
  noise: number;
  seed: number;
}

export type UserReaction = 'none' | 'honest' | 'flipped';

export function checkFeedbackNoiseModel(model: FeedbackNoiseModel): void {
  if (!(model.rate > 0 && model.rate <= 1)) throw new ConfigError(`feedback rate must be in (0, 1], got ${model.rate}`);
  if (!(model.noise >= 0 && model.noise <= 1)) throw new ConfigError(`feedback noise must be in [0, 1], got ${model.noise}`);
  if (!Number.isInteger(model.seed) || model.seed < 0) throw new ConfigError(`feedback seed must be an integer ≥ 0, got ${model.seed}`);
}

/** How the user of training example `exampleIndex` reacts (fixed per example). */
export function userReaction(model: FeedbackNoiseModel, exampleIndex: number): UserReaction {
  if (keyedUniform(model.seed, 'feedback-given', String(exampleIndex), 0) >= model.rate) return 'none';
  return keyedUniform(model.seed, 'feedback-flipped', String(exampleIndex), 0) < model.noise ? 'flipped' : 'honest';
}

/** The target a reaction yields: the prediction (positive) or encodeComplementary(prediction) (negative). */
export function feedbackTarget(prediction: number, truth: number, reaction: Exclude<UserReaction, 'none'>): number {
  const confirms = (prediction === truth) === (reaction === 'honest');
  return confirms ? prediction : encodeComplementary(prediction);
}

/** Counts of one device's labels in one round (summed over clients by the label strategy). */
export interface DeviceLabelCounts {
  /** Examples the device holds. */
  examples: number;
  /** Positive targets (feedback) or confident pseudo-labels (semi). */
  positives: number;
  /** Positive targets that are wrong. */
  wrongPositives: number;
  /** Complementary targets (feedback only). */
  negatives: number;
  /** Complementary targets that exclude the true class. */
  wrongNegatives: number;
}

export interface DeviceTargets {
  /** Positions (into the given arrays) of the examples that got a target. */
  positions: number[];
  targets: number[];
  counts: DeviceLabelCounts;
}

function emptyCounts(examples: number): DeviceLabelCounts {
  return { examples, positives: 0, wrongPositives: 0, negatives: 0, wrongNegatives: 0 };
}

/** Targets from simulated user feedback on `predictions` of the examples at `indices`. */
export function feedbackTargets(
  predictions: ArrayLike<number>,
  truths: ArrayLike<number>,
  indices: ArrayLike<number>,
  model: FeedbackNoiseModel,
): DeviceTargets {
  checkFeedbackNoiseModel(model);
  const out: DeviceTargets = { positions: [], targets: [], counts: emptyCounts(indices.length) };
  for (let j = 0; j < indices.length; j++) {
    const reaction = userReaction(model, indices[j]);
    if (reaction === 'none') continue;
    const target = feedbackTarget(predictions[j], truths[j], reaction);
    out.positions.push(j);
    out.targets.push(target);
    if (target >= 0) {
      out.counts.positives++;
      if (target !== truths[j]) out.counts.wrongPositives++;
    } else {
      out.counts.negatives++;
      if (encodeComplementary(truths[j]) === target) out.counts.wrongNegatives++;
    }
  }
  return out;
}

/** Pseudo-labels where the model's top probability reaches `threshold` (FixMatch/SemiFL's rule). */
export function confidentPseudoLabels(
  probabilities: Float32Array,
  classes: number,
  truths: ArrayLike<number>,
  threshold: number,
): DeviceTargets {
  if (!(threshold >= 0 && threshold <= 1)) throw new ConfigError(`pseudo-label threshold must be in [0, 1], got ${threshold}`);
  const n = truths.length;
  if (probabilities.length !== n * classes) throw new ConfigError(`pseudo-labels: ${probabilities.length} probabilities for ${n} examples × ${classes} classes`);
  const out: DeviceTargets = { positions: [], targets: [], counts: emptyCounts(n) };
  for (let j = 0; j < n; j++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (probabilities[j * classes + c] > probabilities[j * classes + best]) best = c;
    if (probabilities[j * classes + best] < threshold) continue;
    out.positions.push(j);
    out.targets.push(best);
    out.counts.positives++;
    if (best !== truths[j]) out.counts.wrongPositives++;
  }
  return out;
}
