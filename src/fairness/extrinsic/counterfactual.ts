/**
 * Counterfactual token fairness (Garg et al., "Counterfactual Fairness in Text Classification
 * through Robustness", AIES 2019): swap the identity token of an example for its counterpart in
 * each other group and compare the classifier's outputs on the original and the counterfactual.
 *
 * For example i with class probabilities p(x_i), predicted label y_i = argmax p(x_i) and
 * counterfactuals x'_i1 … x'_iK:
 *   change_i  = (1/K) Σ_k |p_{y_i}(x_i) − p_{y_i}(x'_ik)|      (Garg et al.'s CTF gap, on the
 *                                                              probability of the original prediction)
 *   flipped_i = (1/K) Σ_k [argmax p(x'_ik) ≠ y_i]
 * and the data-set values are the means over examples, with seeded percentile-bootstrap
 * intervals over examples (resampled within groups, so group sizes stay fixed).
 * The original *predicted* label is used, not the gold label: the question is whether the model's
 * own decision moves, whatever its accuracy.
 */
import { SeededRandom } from '../../engine/random.js';
import { ConfigError, ShapeMismatchError } from '../../errors.js';
import { argmaxRow, bootstrapCI, mean, stratifiedBootstrapCI, type ConfidenceInterval } from '../../metrics/index.js';

export interface CounterfactualInput {
  /** Number of classes C. */
  classes: number;
  /** Row-major [N × C] probabilities of the original texts. */
  original: ArrayLike<number>;
  /** counterfactuals[i]: row-major [K_i × C] probabilities of example i's counterfactuals (K_i ≥ 1). */
  counterfactuals: ArrayLike<number>[];
  /** Optional group of each example: per-group means and a bootstrap stratified by group. */
  groups?: ArrayLike<string>;
  /** Bootstrap intervals (default 1000 resamples at 95%, seed 0). */
  bootstrap?: { resamples?: number; confidence?: number; seed?: number } | false;
}

export interface CounterfactualResult {
  examples: number;
  counterfactuals: number;
  /** Mean over examples of change_i. */
  meanAbsoluteChange: number;
  /** Mean over examples of flipped_i (= fraction of flipped pairs when every K_i is equal). */
  flipRate: number;
  /** Largest change_i. */
  maxAbsoluteChange: number;
  ci?: { confidence: number; resamples: number; meanAbsoluteChange: ConfidenceInterval; flipRate: ConfidenceInterval };
  /** Means over the examples of each group (the group of the original text). */
  byGroup?: Record<string, { examples: number; meanAbsoluteChange: number; flipRate: number }>;
  /** Per example, aligned with the input. */
  perExample: { absoluteChange: Float64Array; flipped: Float64Array; predicted: Int32Array };
}

export function counterfactualTokenFairness(input: CounterfactualInput): CounterfactualResult {
  const C = input.classes;
  if (!Number.isInteger(C) || C < 2) throw new ConfigError(`counterfactual fairness: classes must be an integer ≥ 2, got ${C}`);
  const N = input.counterfactuals.length;
  if (N === 0) throw new ConfigError('counterfactual fairness: no examples');
  if (input.original.length !== N * C) {
    throw new ShapeMismatchError(`counterfactual fairness: ${input.original.length} original probabilities for ${N} examples × ${C} classes`);
  }
  if (input.groups && input.groups.length !== N) throw new ShapeMismatchError(`counterfactual fairness: ${input.groups.length} groups for ${N} examples`);
  const absoluteChange = new Float64Array(N);
  const flipped = new Float64Array(N);
  const predicted = new Int32Array(N);
  let pairs = 0;
  for (let i = 0; i < N; i++) {
    const cf = input.counterfactuals[i];
    const K = cf.length / C;
    if (!Number.isInteger(K) || K < 1) throw new ShapeMismatchError(`counterfactual fairness: example ${i} has ${cf.length} counterfactual probabilities, not a positive multiple of ${C}`);
    const y = argmaxRow(input.original, C, i);
    predicted[i] = y;
    const p = input.original[i * C + y];
    let change = 0;
    let flips = 0;
    for (let k = 0; k < K; k++) {
      change += Math.abs(p - cf[k * C + y]);
      if (argmaxRow(cf, C, k) !== y) flips++;
    }
    absoluteChange[i] = change / K;
    flipped[i] = flips / K;
    pairs += K;
  }
  const result: CounterfactualResult = {
    examples: N,
    counterfactuals: pairs,
    meanAbsoluteChange: mean(absoluteChange),
    flipRate: mean(flipped),
    maxAbsoluteChange: absoluteChange.reduce((m, v) => Math.max(m, v), 0),
    perExample: { absoluteChange, flipped, predicted },
  };
  if (input.groups) {
    const byGroup: Record<string, number[]> = {};
    for (let i = 0; i < N; i++) (byGroup[input.groups[i]] ??= []).push(i);
    result.byGroup = Object.fromEntries(
      Object.keys(byGroup)
        .sort()
        .map((g) => [g, { examples: byGroup[g].length, meanAbsoluteChange: mean(absoluteChange, byGroup[g]), flipRate: mean(flipped, byGroup[g]) }]),
    );
  }
  if (input.bootstrap !== false) {
    const options = input.bootstrap ?? {};
    const rng = new SeededRandom(options.seed ?? 0).fork('counterfactual-bootstrap');
    const bootstrapOptions = { resamples: options.resamples ?? 1000, confidence: options.confidence ?? 0.95, rng };
    const interval = (values: Float64Array) =>
      input.groups
        ? stratifiedBootstrapCI((idx) => mean(values, idx), input.groups, bootstrapOptions)
        : bootstrapCI((idx) => mean(values, idx), N, bootstrapOptions);
    const change = interval(absoluteChange);
    const flips = interval(flipped);
    result.ci = {
      confidence: change.confidence,
      resamples: change.resamples,
      meanAbsoluteChange: { estimate: change.estimate, low: change.low, high: change.high },
      flipRate: { estimate: flips.estimate, low: flips.low, high: flips.high },
    };
  }
  return result;
}
