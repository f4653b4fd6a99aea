/**
 * Knowledge distillation for next-token language models (Hinton, Vinyals & Dean 2015) as a
 * trainer GradientStep: the student is trained on
 *   L = α · τ² · CE(q_τ, softmax(z_s / τ)) + (1 − α) · CE(y, softmax(z_s))
 * per real position, averaged over positions, where q_τ is the teacher's distribution at
 * temperature τ (plain KD), or its counterfactual role-reversed version (role-reversal.ts). The τ²
 * factor keeps the soft term's gradient magnitude independent of τ (its gradients scale as 1/τ²).
 * CE(q, ·) differs from KL(q ‖ ·) by the teacher's entropy, a constant for the student, so the
 * gradients are those of the KL form; the reported loss includes that entropy.
 */
import { tf } from '../../engine/index.js';
import { ConfigError } from '../../errors.js';
import { INFERENCE, type HostBatch, type LanguageModel, type TensorBatch } from '../../models/index.js';
import type { GradientStep } from '../../train/index.js';
import { combineTeacherDistributions, counterfactualIds, mapBackCounterfactual, type RoleReversalVariant, type VocabularySwap } from './role-reversal.js';

export interface DistillationOptions {
  teacher: LanguageModel;
  /** Softmax temperature τ of the soft targets (> 0; Hinton et al. use 1–20; 2 here by default). */
  temperature: number;
  /** Weight α of the soft (teacher) term; 1 − α goes to the hard next-token labels. */
  alpha: number;
  /** Counterfactual role reversal of the teacher's targets. */
  roleReversal?: { variant: RoleReversalVariant; swap: VocabularySwap };
}

export function checkDistillationOptions(options: DistillationOptions, student?: LanguageModel): void {
  if (!(options.temperature > 0)) throw new ConfigError(`distillation temperature must be > 0, got ${options.temperature}`);
  if (!(options.alpha >= 0 && options.alpha <= 1)) throw new ConfigError(`distillation alpha must be in [0, 1], got ${options.alpha}`);
  if (student && student.tokenizer.vocabSize !== options.teacher.tokenizer.vocabSize) {
    throw new ConfigError(`teacher and student must share the vocabulary: teacher has ${options.teacher.tokenizer.vocabSize} tokens, student ${student.tokenizer.vocabSize}`);
  }
}

/** The teacher's soft targets [B·T, V] for a host batch (no gradient flows into the teacher). */
export function teacherTargets(host: HostBatch, options: DistillationOptions): tf.Tensor2D {
  return tf.tidy(() => {
    const { teacher, temperature } = options;
    const N = host.size * host.length;
    const mask = tf.tensor2d(host.mask, [host.size, host.length]);
    const targets = tf.tensor2d(host.targets, [host.size, host.length], 'int32');
    const distribution = (ids: Int32Array) => {
      const batch: TensorBatch = { ids: tf.tensor2d(ids, [host.size, host.length], 'int32'), mask, targets };
      const logits = teacher.logits(batch, INFERENCE);
      return tf.softmax(tf.div(tf.reshape(logits, [N, logits.shape[2]]), temperature)) as tf.Tensor2D;
    };
    const p = distribution(host.ids);
    if (!options.roleReversal) return p;
    const { variant, swap } = options.roleReversal;
    const pCounterfactual = distribution(counterfactualIds(host.ids, host.targets, swap));
    return combineTeacherDistributions(p, mapBackCounterfactual(p, pCounterfactual, swap), variant);
  });
}

/** Per-position distillation loss [B, T] (0 at padding) of student logits against soft targets. */
export function distillationLoss(studentLogits: tf.Tensor3D, soft: tf.Tensor2D, targets: tf.Tensor, mask: tf.Tensor, options: Pick<DistillationOptions, 'temperature' | 'alpha'>): tf.Tensor2D {
  const [B, T, V] = studentLogits.shape;
  const flat = tf.reshape(studentLogits, [B * T, V]);
  const softTerm = tf.neg(tf.sum(tf.mul(soft, tf.logSoftmax(tf.div(flat, options.temperature))), 1));
  const hardTerm = tf.neg(tf.sum(tf.mul(tf.oneHot(tf.reshape(targets, [B * T]), V), tf.logSoftmax(flat)), 1));
  const perPosition = tf.add(tf.mul(softTerm, options.alpha * options.temperature ** 2), tf.mul(hardTerm, 1 - options.alpha));
  return tf.mul(tf.reshape(perPosition, [B, T]), mask) as tf.Tensor2D;
}

/** A trainer gradient step that distils `options.teacher` into the model being trained. */
export function distillationGradients(options: DistillationOptions): GradientStep {
  checkDistillationOptions(options);
  return (model, batch, ctx, host) => {
    if (model.task !== 'lm') throw new ConfigError('distillation trains language models; the model being trained is a classifier');
    checkDistillationOptions(options, model);
    const soft = teacherTargets(host, options);
    const vars = model.parameters();
    const byVariable = new Map(vars.map((p) => [p.variable.name, p.name]));
    const { value, grads } = tf.variableGrads(() => {
      const perPosition = distillationLoss(model.logits(batch, ctx), soft, batch.targets, batch.mask, options);
      return tf.div(tf.sum(perPosition), tf.maximum(tf.sum(batch.mask), 1)) as tf.Scalar;
    }, vars.map((p) => p.variable));
    const named = new Map<string, tf.Tensor>();
    for (const [varName, g] of Object.entries(grads)) named.set(byVariable.get(varName)!, g);
    return { loss: value, grads: named };
  };
}
