/**
 * Accumulated prediction sensitivity (APS; Krishna, Gupta, Verma, Dhamala, Pruksachatkun & Chang,
 * "Measuring Fairness of Text Classifiers via Prediction Sensitivity", ACL 2022, pp. 5830–5842).
 *
 * For an input x (here: the embedded tokens, x ∈ R^{T×D} flattened to R^d), a classifier with
 * class probabilities f(x) ∈ R^C, its Jacobian J(x) = ∂f/∂x ∈ R^{C×d}, a class weighting
 * w(x) ∈ R^C and a protected-feature weighting v(x) ∈ R^d:
 *
 *   PS(x) = w(x)ᵀ |J(x)| v(x) = Σ_c w_c Σ_k |J_ck| v_k          (|·| element-wise)
 *   APS   = (1/N) Σ_i PS(x_i)
 *
 * v comes from the protected-status model g (which predicts the protected attribute from the
 * same representation): v = |∇_x g(x)| / ‖∇_x g(x)‖₁, i.e. how much each input coordinate
 * matters to the protected attribute, normalised to sum to one. w: 'probability' (w_c = f_c(x),
 * default), 'uniform' (1/C) or 'predicted' (one-hot on argmax f(x)).
 *
 * The 'directional' form replaces the element-wise product by a projection on the protected
 * direction: PS_dir(x) = Σ_c w_c |J_c · u|, u = ∇_x g(x) / ‖∇_x g(x)‖₂ — the rate of change of
 * each class probability when the input moves along the protected direction. See
 * docs/fairness.md for what was and was not checked against the paper.
 */
import { tf } from '../../engine/index.js';
import { ConfigError, ShapeMismatchError } from '../../errors.js';
import { argmaxRow } from '../../metrics/index.js';
import { INFERENCE, hasEmbeddingInput, maskedMean, type ClassifierModel, type ForwardContext } from '../../models/index.js';
import { padSequences, type Tokenizer } from '../../text/index.js';
import type { LogisticModel } from './protected-status.js';

export type ClassWeighting = 'probability' | 'uniform' | 'predicted';
export type SensitivityForm = 'elementwise' | 'directional';

/** Class weights w(x) for one example from its class probabilities. */
export function classWeights(probabilities: ArrayLike<number>, weighting: ClassWeighting): Float64Array {
  const C = probabilities.length;
  const w = new Float64Array(C);
  if (weighting === 'uniform') w.fill(1 / C);
  else if (weighting === 'probability') for (let c = 0; c < C; c++) w[c] = probabilities[c];
  else if (weighting === 'predicted') w[argmaxRow(probabilities, C, 0)] = 1;
  else throw new ConfigError(`unknown class weighting "${weighting}": use probability, uniform or predicted`);
  return w;
}

/**
 * PS(x) from an explicit Jacobian (row-major [C × d]), class weights w [C] and the protected
 * model's gradient ∇g [d]: the reference the tfjs implementation is tested against.
 */
export function predictionSensitivity(jacobian: ArrayLike<number>, weights: ArrayLike<number>, protectedGradient: ArrayLike<number>, form: SensitivityForm = 'elementwise'): number {
  const C = weights.length;
  const d = protectedGradient.length;
  if (jacobian.length !== C * d) throw new ShapeMismatchError(`prediction sensitivity: Jacobian has ${jacobian.length} values, expected ${C} × ${d}`);
  let norm = 0;
  for (let k = 0; k < d; k++) norm += form === 'elementwise' ? Math.abs(protectedGradient[k]) : protectedGradient[k] ** 2;
  if (form === 'directional') norm = Math.sqrt(norm);
  if (norm === 0) return 0; // the protected model is flat here: nothing to be sensitive to
  let total = 0;
  for (let c = 0; c < C; c++) {
    if (weights[c] === 0) continue;
    let s = 0;
    for (let k = 0; k < d; k++) {
      s += form === 'elementwise' ? Math.abs(jacobian[c * d + k]) * (Math.abs(protectedGradient[k]) / norm) : jacobian[c * d + k] * (protectedGradient[k] / norm);
    }
    total += weights[c] * (form === 'elementwise' ? s : Math.abs(s));
  }
  return total;
}

/** A classifier that can run from its embedded input (IntentClassifier after the hook). */
export interface EmbeddingClassifier {
  readonly labels: string[];
  readonly tokenizer: Tokenizer;
  readonly maxLength: number;
  /** The token embedding table [vocab, D]. */
  embeddingTable(): tf.Tensor2D;
  logitsFromEmbeddings(embedded: tf.Tensor3D, mask: tf.Tensor2D, ctx: ForwardContext): tf.Tensor2D;
}

/**
 * Adapts a classifier that runs from its embedded tokens: a built-in one (embbag, cnn,
 * transformer) or a wrapped tf.LayersModel whose token ids enter through an Embedding layer
 * (one without is refused here, with the reason, before any work).
 */
export function embeddingClassifier(model: ClassifierModel): EmbeddingClassifier {
  if (!hasEmbeddingInput(model)) {
    throw new ConfigError(`prediction sensitivity needs a classifier that runs from its embedded tokens (a trustnlu classifier, or a tf.LayersModel whose ids enter through an Embedding layer); "${model.kind}" does not`);
  }
  model.embeddingTable(); // refuses now a wrapped model without an Embedding where the ids enter
  return {
    labels: model.labels,
    tokenizer: model.tokenizer,
    maxLength: model.maxLength,
    embeddingTable: () => model.embeddingTable(),
    logitsFromEmbeddings: (embedded, mask, ctx) => model.logitsFromEmbeddings(embedded, mask, ctx),
  };
}

export interface SensitivityOptions {
  classWeighting?: ClassWeighting;
  form?: SensitivityForm;
  batchSize?: number;
}

export interface SensitivityResult {
  /** Mean of perExample. */
  aps: number;
  perExample: Float64Array;
  classWeighting: ClassWeighting;
  form: SensitivityForm;
}

/**
 * PS(x) for every text, with gradients from tf.grad with respect to the embedded tokens. The
 * protected model is the logistic regression on mean-pooled embeddings (protected-status.ts).
 */
export function accumulatedPredictionSensitivity(
  classifier: EmbeddingClassifier,
  protectedModel: Pick<LogisticModel, 'weights' | 'bias'>,
  texts: string[],
  options: SensitivityOptions = {},
): SensitivityResult {
  const weighting = options.classWeighting ?? 'probability';
  const form = options.form ?? 'elementwise';
  const batchSize = options.batchSize ?? 128;
  if (texts.length === 0) throw new ConfigError('prediction sensitivity: no texts');
  const C = classifier.labels.length;
  const table = classifier.embeddingTable();
  const D = table.shape[1];
  if (protectedModel.weights.length !== D) {
    throw new ShapeMismatchError(`protected-status model has ${protectedModel.weights.length} weights but the embedding dimension is ${D}`);
  }
  const perExample = new Float64Array(texts.length);
  const sequences = texts.map((t) => classifier.tokenizer.encode(t).slice(0, classifier.maxLength));
  for (let start = 0; start < texts.length; start += batchSize) {
    const batchSequences = sequences.slice(start, start + batchSize);
    const padded = padSequences(batchSequences);
    const B = padded.size;
    const totals = new Float64Array(B);
    tf.tidy(() => {
      const ids = tf.tensor2d(padded.ids, [B, padded.length], 'int32');
      const mask = tf.tensor2d(padded.mask, [B, padded.length], 'float32');
      const embedded = tf.gather(table, ids) as unknown as tf.Tensor3D;
      const probabilitiesOf = (e: tf.Tensor3D) => tf.softmax(classifier.logitsFromEmbeddings(e, mask, INFERENCE));
      const probabilities = probabilitiesOf(embedded).dataSync();
      const a = tf.tensor1d(Float32Array.from(protectedModel.weights));
      const protectedProbability = (e: tf.Tensor) => tf.sigmoid(tf.add(tf.sum(tf.mul(maskedMean(e, mask), a), 1), protectedModel.bias));
      const gradient = tf.grad((e: tf.Tensor) => tf.sum(protectedProbability(e)))(embedded);
      let direction: tf.Tensor;
      if (form === 'elementwise') {
        const magnitude = tf.abs(gradient);
        direction = tf.div(magnitude, tf.maximum(tf.sum(magnitude, [1, 2], true), 1e-30));
      } else {
        direction = tf.div(gradient, tf.maximum(tf.sqrt(tf.sum(tf.square(gradient), [1, 2], true)), 1e-30));
      }
      const weights = Array.from({ length: B }, (_, i) => classWeights(probabilities.subarray(i * C, (i + 1) * C), weighting));
      for (let c = 0; c < C; c++) {
        if (weights.every((w) => w[c] === 0)) continue;
        const column = tf.tensor2d(Array.from({ length: C }, (_, k) => (k === c ? 1 : 0)), [C, 1]);
        const jacobianRow = tf.grad((e: tf.Tensor) => tf.sum(tf.matMul(probabilitiesOf(e as tf.Tensor3D), column)))(embedded);
        const perExampleSensitivity = (
          form === 'elementwise' ? tf.sum(tf.mul(tf.abs(jacobianRow), direction), [1, 2]) : tf.abs(tf.sum(tf.mul(jacobianRow, direction), [1, 2]))
        ).dataSync();
        for (let i = 0; i < B; i++) totals[i] += weights[i][c] * perExampleSensitivity[i];
      }
      // An example whose protected gradient vanishes entirely has nothing to be sensitive to.
      const gradientNorm = tf.sum(tf.abs(gradient), [1, 2]).dataSync();
      for (let i = 0; i < B; i++) if (gradientNorm[i] === 0) totals[i] = 0;
    });
    perExample.set(totals, start);
  }
  let total = 0;
  for (const v of perExample) total += v;
  return { aps: total / texts.length, perExample, classWeighting: weighting, form };
}
