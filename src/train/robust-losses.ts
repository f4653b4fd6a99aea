/**
 * Losses for labels that are not gold: noisy pseudo-labels and complementary labels
 * ("not this class"), as user feedback gives them (Sharma et al., NAACL 2022).
 *
 * - Normalised cross-entropy (Ma et al., ICML 2020): NCE = log p_y / Σ_j log p_j, in [0, 1].
 *   Normalising makes the loss robust to symmetric label noise, but it underfits alone.
 * - Reverse cross-entropy (Wang et al., ICCV 2019): RCE = −Σ_k p_k log q_k with the one-hot
 *   label q and log 0 clipped to A = −4, i.e. RCE = −A·(1 − p_y).
 * - NCE+RCE = α·NCE + β·RCE, Ma et al.'s "active + passive" pair.
 * - Complementary-label loss (Kim et al., ICCV 2019, "negative learning"):
 *   CL = −log(1 − p_ȳ) for a label ȳ the example does not have. Unbounded as p_ȳ → 1, so a
 *   wrong complementary label on a confident right prediction dominates the gradient; the
 *   bounded alternative is p_ȳ itself (the complementary analogue of MAE/RCE, whose
 *   boundedness is what makes them noise-tolerant, Ghosh et al. 2017).
 *
 * Feedback targets travel in the ordinary Int32 target array: a class c ≥ 0 is a positive
 * (pseudo-)label, and −(c + 1) is the complementary label "not c" (see encodeComplementary).
 * Everything is computed from log-softmax / log-sum-exp, so no probability is ever
 * exponentiated and then logged again.
 */
import { tf } from '../engine/index.js';
import { ConfigError } from '../errors.js';
import { meanLossGradients, type GradientStep } from './trainer.js';

/** The target value meaning "not class c". */
export function encodeComplementary(classIndex: number): number {
  return -(classIndex + 1);
}

/** Splits feedback targets into class indices and a 1/0 "positive" mask. */
export function decodeFeedbackTargets(targets: tf.Tensor1D): { labels: tf.Tensor1D; positive: tf.Tensor1D } {
  return tf.tidy(() => {
    const isPositive = tf.greaterEqual(targets, 0);
    const labels = tf.where(isPositive, targets, tf.sub(tf.neg(targets), 1)) as tf.Tensor1D;
    return { labels, positive: tf.cast(isPositive, 'float32') as tf.Tensor1D };
  });
}

function labelMask(labels: tf.Tensor1D, classes: number): tf.Tensor2D {
  return tf.oneHot(tf.cast(labels, 'int32'), classes).toFloat() as tf.Tensor2D;
}

/** NCE per example [B]: log p_y / Σ_j log p_j. */
export function normalizedCrossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Tensor1D {
  return tf.tidy(() => {
    const logProbs = tf.logSoftmax(logits);
    const own = tf.sum(tf.mul(logProbs, labelMask(labels, logits.shape[1])), 1);
    return tf.div(own, tf.sum(logProbs, 1)) as tf.Tensor1D;
  });
}

/** RCE per example [B]: −A·(1 − p_y), A = log of the clipped zero (default −4, as Wang et al.). */
export function reverseCrossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D, logZero = -4): tf.Tensor1D {
  return tf.tidy(() => {
    const own = tf.sum(tf.mul(tf.softmax(logits), labelMask(labels, logits.shape[1])), 1);
    return tf.mul(tf.sub(1, own), -logZero) as tf.Tensor1D;
  });
}

/**
 * −log(1 − p_ȳ) per example [B], as logsumexp_j z_j − logsumexp_{j≠ȳ} z_j. The excluded
 * logit is pushed far down rather than set to −∞, so no infinity enters the gradient.
 */
export function complementaryLabelLoss(logits: tf.Tensor2D, complementary: tf.Tensor1D): tf.Tensor1D {
  return tf.tidy(() => {
    const excluded = tf.sub(logits, tf.mul(labelMask(complementary, logits.shape[1]), 1e9));
    return tf.sub(tf.logSumExp(logits, 1), tf.logSumExp(excluded, 1)) as tf.Tensor1D;
  });
}

/** The bounded complementary-label loss p_ȳ per example [B]. */
export function boundedComplementaryLoss(logits: tf.Tensor2D, complementary: tf.Tensor1D): tf.Tensor1D {
  return tf.tidy(() => tf.sum(tf.mul(tf.softmax(logits), labelMask(complementary, logits.shape[1])), 1) as tf.Tensor1D);
}

export const COMPLEMENTARY_LOSSES = ['log', 'bounded'] as const;
export type ComplementaryLossName = (typeof COMPLEMENTARY_LOSSES)[number];

export interface FeedbackLossOptions {
  /** Weight of NCE on positive feedback (Ma et al. use 10 with 100 classes, 1 with 10). */
  alpha: number;
  /** Weight of RCE on positive feedback (Ma et al.: 0.1 with 100 classes, 1 with 10). */
  beta: number;
  /** Weight of the complementary-label loss on negative feedback. */
  negativeWeight: number;
  /** −log(1 − p_ȳ) ('log') or p_ȳ ('bounded'). */
  complementary: ComplementaryLossName;
  /** Clipped log 0 of RCE. */
  logZero: number;
}

export const FEEDBACK_LOSS_DEFAULTS: Readonly<FeedbackLossOptions> = { alpha: 10, beta: 0.1, negativeWeight: 1, logZero: -4, complementary: 'log' };

export function checkFeedbackLossOptions(options: FeedbackLossOptions): void {
  for (const key of ['alpha', 'beta', 'negativeWeight'] as const) {
    if (!(Number.isFinite(options[key]) && options[key] >= 0)) throw new ConfigError(`feedback loss: ${key} must be a finite number ≥ 0, got ${options[key]}`);
  }
  if (!COMPLEMENTARY_LOSSES.includes(options.complementary)) throw new ConfigError(`feedback loss: complementary must be ${COMPLEMENTARY_LOSSES.join(' or ')}, got ${JSON.stringify(options.complementary)}`);
  if (!(Number.isFinite(options.logZero) && options.logZero < 0)) throw new ConfigError(`feedback loss: logZero must be a finite number < 0, got ${options.logZero}`);
}

/**
 * Per-example loss [B] of feedback targets: α·NCE + β·RCE where the target is a class
 * (positive feedback), negativeWeight·(−log(1 − p_ȳ) or p_ȳ) where it is a complementary label.
 */
export function feedbackLoss(logits: tf.Tensor2D, targets: tf.Tensor1D, options: FeedbackLossOptions = FEEDBACK_LOSS_DEFAULTS): tf.Tensor1D {
  return tf.tidy(() => {
    const { labels, positive } = decodeFeedbackTargets(targets);
    const onPositive = tf.add(
      tf.mul(normalizedCrossEntropy(logits, labels), options.alpha),
      tf.mul(reverseCrossEntropy(logits, labels, options.logZero), options.beta),
    );
    const complementary = options.complementary === 'bounded' ? boundedComplementaryLoss(logits, labels) : complementaryLabelLoss(logits, labels);
    const onNegative = tf.mul(complementary, options.negativeWeight);
    return tf.add(tf.mul(positive, onPositive), tf.mul(tf.sub(1, positive), onNegative)) as tf.Tensor1D;
  });
}

/** A training step on feedback targets: the mean feedbackLoss over the batch (classifiers only). */
export function feedbackGradients(options: FeedbackLossOptions = FEEDBACK_LOSS_DEFAULTS): GradientStep {
  checkFeedbackLossOptions(options);
  return (model, batch, ctx) => {
    if (model.task !== 'classifier') throw new ConfigError(`feedback labels train classifiers; the ${model.kind} model is a language model`);
    return meanLossGradients(model, () => feedbackLoss(model.logits(batch, ctx), batch.targets as tf.Tensor1D, options));
  };
}
