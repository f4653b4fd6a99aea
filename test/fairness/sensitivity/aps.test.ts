/**
 * Prediction sensitivity: the formula on hand-worked Jacobians, the tfjs implementation on a tiny
 * linear model whose gradients are known in closed form, a finite-difference check on a real
 * classifier, and the protected-status logistic regression against a one-dimensional optimum.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf, initEngine } from '../../../src/engine/index.js';
import {
  accumulatedPredictionSensitivity,
  classWeights,
  embeddingClassifier,
  identityExamples,
  predictionSensitivity,
  solveSymmetricPositiveDefinite,
  trainLogisticRegression,
  type EmbeddingClassifier,
} from '../../../src/fairness/index.js';
import { INFERENCE, maskedMean, type IntentClassifier } from '../../../src/models/index.js';
import { fitWordTokenizer } from '../../../src/text/index.js';
import { smallModel } from '../../models/fixtures.js';

const close = (a: number, b: number, tol: number, what: string) => assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);

test('PS = wᵀ|J|v and its directional form on a hand-worked 3-class Jacobian', () => {
  const J = [1, -2, 0.5, 0, 0, 0]; // [3 classes × 2 coordinates]
  const g = [3, -1]; // v = |g|/‖g‖₁ = [0.75, 0.25]; |J|v = [1.25, 0.375, 0]
  close(predictionSensitivity(J, classWeights([0.2, 0.3, 0.5], 'uniform'), g), (1.25 + 0.375) / 3, 1e-15, 'uniform');
  close(predictionSensitivity(J, [0.5, 0.3, 0.2], g), 0.5 * 1.25 + 0.3 * 0.375, 1e-15, 'probability');
  close(predictionSensitivity(J, classWeights([0.5, 0.3, 0.2], 'predicted'), g), 1.25, 1e-15, 'predicted');
  // u = g/‖g‖₂; J·u = [5, 1.5, 0]/√10
  close(predictionSensitivity(J, [1 / 3, 1 / 3, 1 / 3], g, 'directional'), (5 + 1.5) / Math.sqrt(10) / 3, 1e-15, 'directional');
  assert.equal(predictionSensitivity(J, [1, 0, 0], [0, 0]), 0, 'a flat protected model gives 0');
  assert.deepEqual(Array.from(classWeights([0.2, 0.5, 0.3], 'predicted')), [0, 1, 0]);
});

/** logits = mean_t(e_t)·K, K = [[1, 0], [0, 2]]; embeddings x → [0.5, 0], y → [0, 0.25]. */
function linearClassifier(): EmbeddingClassifier {
  const tokenizer = fitWordTokenizer(['x y']);
  const table = new Float32Array(tokenizer.vocabSize * 2);
  table.set([0.5, 0], tokenizer.idOf('x') * 2);
  table.set([0, 0.25], tokenizer.idOf('y') * 2);
  const E = tf.tensor2d(table, [tokenizer.vocabSize, 2]);
  const K = tf.tensor2d([1, 0, 0, 2], [2, 2]);
  return {
    labels: ['a', 'b'],
    tokenizer,
    maxLength: 8,
    embeddingTable: () => E,
    logitsFromEmbeddings: (e, mask) => tf.matMul(maskedMean(e, mask) as tf.Tensor2D, K),
  };
}

test('tfjs APS on a linear model equals the closed form', async () => {
  await initEngine({ backend: 'cpu' });
  const clf = linearClassifier();
  const protectedModel = { weights: Float64Array.from([3, 1]), bias: 0.2 };
  // For two classes and mean pooling over n tokens: |∂p_c/∂e_t| = p0·p1·|Δ|/n with Δ = K[:,0] − K[:,1] = [1, −2],
  // ∇_{e_t} g ∝ a/n, so PS = p0·p1·Σ_k |Δ_k||a_k| / (n‖a‖₁) = p0·p1·5/(2·4) for n = 2, whatever w.
  // PS_dir = p0·p1·|Δ·a| / (√n ‖a‖₂) = p0·p1·1/(√2·√10).
  const p = 1 / (1 + Math.exp(-0.5)); // "x x": z = [0.5, 0]
  const expected = { 'x y': [0.25 * 5 / 8, 0.25 / Math.sqrt(20)], 'x x': [p * (1 - p) * 5 / 8, (p * (1 - p)) / Math.sqrt(20)] };
  for (const form of ['elementwise', 'directional'] as const) {
    for (const weighting of ['probability', 'uniform', 'predicted'] as const) {
      const before = tf.memory().numTensors;
      const r = accumulatedPredictionSensitivity(clf, protectedModel, ['x y', 'x x'], { form, classWeighting: weighting, batchSize: 1 });
      assert.equal(tf.memory().numTensors, before, 'no tensor leaks');
      const k = form === 'elementwise' ? 0 : 1;
      close(r.perExample[0], expected['x y'][k], 1e-6, `${form}/${weighting} x y`);
      close(r.perExample[1], expected['x x'][k], 1e-6, `${form}/${weighting} x x`);
      close(r.aps, (expected['x y'][k] + expected['x x'][k]) / 2, 1e-6, 'mean');
    }
  }
});

test('tfjs APS on an embbag classifier matches finite differences of the probabilities', async () => {
  await initEngine({ backend: 'cpu' });
  const model = smallModel('embbag', 3) as unknown as IntentClassifier;
  const clf = embeddingClassifier(model);
  const text = 'call my mother now';
  const a = Float64Array.from({ length: 8 }, (_, k) => Math.sin(k + 1));
  const protectedModel = { weights: a, bias: 0 };
  const r = accumulatedPredictionSensitivity(clf, protectedModel, [text], { classWeighting: 'uniform' });
  // Finite differences in float64 are not available through tfjs (float32), so use a wide step.
  const ids = model.tokenizer.encode(text);
  const table = clf.embeddingTable().arraySync() as number[][];
  const base = ids.map((id) => [...table[id]]);
  const probs = (e: number[][]) =>
    tf.tidy(() => Array.from(tf.softmax(model.logitsFromEmbeddings(tf.tensor3d([e]), tf.ones([1, e.length]) as tf.Tensor2D, INFERENCE)).dataSync()));
  const C = 3;
  const h = 1e-2;
  const T = ids.length;
  // v = |∇g|/‖∇g‖₁ with ∇_{e_t} g ∝ a/T: v_{t,k} = |a_k| / (T‖a‖₁)
  const aL1 = a.reduce((s, x) => s + Math.abs(x), 0);
  let ps = 0;
  for (let t = 0; t < T; t++) {
    for (let k = 0; k < 8; k++) {
      const plus = base.map((row) => [...row]);
      const minus = base.map((row) => [...row]);
      plus[t][k] += h;
      minus[t][k] -= h;
      const pp = probs(plus);
      const pm = probs(minus);
      for (let c = 0; c < C; c++) ps += (1 / C) * Math.abs((pp[c] - pm[c]) / (2 * h)) * (Math.abs(a[k]) / (T * aL1));
    }
  }
  assert.ok(Math.abs(r.perExample[0] - ps) <= 1e-3 * ps, `finite differences: ${r.perExample[0]} vs ${ps}`);
  assert.ok(r.perExample[0] > 0);
  model.dispose();
});

test('logistic regression reaches the one-dimensional optimum λw = 2σ(−w)', () => {
  const m = trainLogisticRegression([-1, 1], [0, 1], 1, { l2: 1 });
  // Bisection on f(w) = w − 2σ(−w) (increasing), independent of Newton's method.
  let lo = 0;
  let hi = 2;
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    if (mid - 2 / (1 + Math.exp(mid)) > 0) hi = mid;
    else lo = mid;
  }
  close(m.weights[0], lo, 1e-9, 'weight');
  close(m.bias, 0, 1e-9, 'bias');
  assert.equal(m.trainAccuracy, 1);
  assert.throws(() => trainLogisticRegression([1, 2], [1, 1], 1), /one class/);
  const x = solveSymmetricPositiveDefinite(Float64Array.from([4, 2, 0, 2, 5, 1, 0, 1, 3]), Float64Array.from([6, 8, 4]), 3);
  // A·[1, 1, 1] = [6, 8, 4]
  for (const v of x) close(v, 1, 1e-12, 'Cholesky solve');
});

test('identity examples label the scheme values and the gender marker words', () => {
  const ex = identityExamples('gender');
  assert.deepEqual(ex.groups, ['female', 'male']);
  assert.equal(ex.labels[ex.texts.indexOf('mary')], 1);
  assert.equal(ex.labels[ex.texts.indexOf('my father')], 0);
  assert.equal(ex.labels[ex.texts.indexOf('herself')], 1);
  const race = identityExamples('race');
  assert.equal(race.texts.length, 40);
  assert.deepEqual(race.groups, ['african-american', 'european-american']);
});
