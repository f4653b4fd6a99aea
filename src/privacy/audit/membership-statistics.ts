/**
 * What membership attacks read from a target on labelled examples: LiRA's φ (the stable logit
 * of the true-class probability) and the loss. From a model's raw scores when there is a model
 * (a trustnlu classifier or a wrapped tf.LayersModel), or from the probabilities of a scoring
 * function when the target is only a black box (TextClassifier).
 */
import { tf } from '../../engine/index.js';
import { ConfigError } from '../../errors.js';
import type { TextExample } from '../../data/types.js';
import { INFERENCE, classifyTexts, isTextClassifier, toTensorBatch, type ClassifierModel, type TextClassifier } from '../../models/index.js';
import { batchIndices } from '../../text/index.js';
import { classificationBatch, encodeClassification } from '../../train/index.js';
import { logitScaledConfidence, statisticsFromProbabilities } from '../attacks/membership-scores.js';

export interface MembershipStatistics {
  /** LiRA's φ per example. */
  stats: Float64Array;
  /** Cross-entropy per example. */
  losses: Float64Array;
}

/** φ and the loss of a classifier on labelled examples (used for targets loaded from disk too). */
export function membershipStatistics(model: ClassifierModel, examples: TextExample[]): MembershipStatistics {
  const set = encodeClassification(examples, model.tokenizer, model.labels, model.maxLength);
  const C = model.labels.length;
  const stats = new Float64Array(set.size);
  const losses = new Float64Array(set.size);
  const order = Array.from({ length: set.size }, (_, i) => i);
  let offset = 0;
  for (const indices of batchIndices(order, 256)) {
    const host = classificationBatch(set, indices);
    // raw logits, not probabilities: φ of a memorised example (p_y rounds to 1) stays finite.
    // Read after the scope: a typed array returned from tidy is walked element by element.
    const logitsTensor = tf.tidy(() => model.logits(toTensorBatch(host, 'classifier'), INFERENCE));
    const logits = logitsTensor.dataSync() as Float32Array;
    logitsTensor.dispose();
    const phi = logitScaledConfidence(logits, host.targets, C);
    for (let j = 0; j < indices.length; j++) {
      const row = logits.subarray(j * C, (j + 1) * C);
      let max = -Infinity;
      for (let c = 0; c < C; c++) max = Math.max(max, row[c]);
      let sum = 0;
      for (let c = 0; c < C; c++) sum += Math.exp(row[c] - max);
      losses[offset + j] = max + Math.log(sum) - row[host.targets[j]];
      stats[offset + j] = phi[j];
    }
    offset += indices.length;
  }
  return { stats, losses };
}

/** φ and the loss from a scoring function's probabilities (statisticsFromProbabilities), in batches. */
export function scorerMembershipStatistics(scorer: TextClassifier, examples: TextExample[], batchSize = 256): MembershipStatistics {
  const index = new Map(scorer.labels.map((l, i) => [l, i]));
  const targets = Int32Array.from(examples, (e, i) => {
    const t = index.get(e.label);
    if (t === undefined) {
      throw new ConfigError(`example ${i} ("${e.text.slice(0, 40)}") has label "${e.label}", which is not one of the scoring function's labels (${scorer.labels.slice(0, 5).join(', ')}${scorer.labels.length > 5 ? ', ...' : ''})`);
    }
    return t;
  });
  const C = scorer.labels.length;
  const stats = new Float64Array(examples.length);
  const losses = new Float64Array(examples.length);
  for (let start = 0; start < examples.length; start += batchSize) {
    const batch = examples.slice(start, start + batchSize);
    const probabilities = classifyTexts(scorer, batch.map((e) => e.text));
    const out = statisticsFromProbabilities(probabilities, targets.subarray(start, start + batch.length), C);
    stats.set(out.stats, start);
    losses.set(out.losses, start);
  }
  return { stats, losses };
}

/** The statistics of a target that is a model or only a scoring function. */
export function targetMembershipStatistics(target: ClassifierModel | TextClassifier, examples: TextExample[]): MembershipStatistics {
  return isTextClassifier(target) ? scorerMembershipStatistics(target, examples) : membershipStatistics(target, examples);
}
