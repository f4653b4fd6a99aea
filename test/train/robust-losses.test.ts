import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf, initEngine } from '../../src/engine/index.js';
import {
  boundedComplementaryLoss,
  complementaryLabelLoss,
  decodeFeedbackTargets,
  encodeComplementary,
  feedbackLoss,
  normalizedCrossEntropy,
  reverseCrossEntropy,
  FEEDBACK_LOSS_DEFAULTS,
  type FeedbackLossOptions,
} from '../../src/train/index.js';
import { assertClose } from '../helpers.js';

/** Naive float64 reference: the same losses from their definitions, one example at a time. */
function naiveFeedbackLoss(logits: number[], target: number, o: FeedbackLossOptions): number {
  const max = Math.max(...logits);
  const lse = max + Math.log(logits.reduce((s, z) => s + Math.exp(z - max), 0));
  const logP = logits.map((z) => z - lse);
  const p = logP.map(Math.exp);
  if (target >= 0) {
    const nce = logP[target] / logP.reduce((s, v) => s + v, 0);
    const rce = -p.reduce((s, pk, k) => s + pk * (k === target ? 0 : o.logZero), 0);
    return o.alpha * nce + o.beta * rce;
  }
  const c = -target - 1;
  return o.negativeWeight * (o.complementary === 'bounded' ? p[c] : -Math.log(1 - p[c]));
}

import { scoped as run } from '../helpers.js';

test('losses match a hand-worked example (logits [1, 2, 0], class 1)', async () => {
  await initEngine({ backend: 'cpu' });
  // logsumexp = log(e + e² + 1) = log 11.107338 = 2.407606; log p = [−1.407606, −0.407606, −2.407606]
  // p₁ = e²/11.107338 = 0.665241
  // NCE = −0.407606 / (−1.407606 − 0.407606 − 2.407606) = 0.407606 / 4.222818 = 0.096525
  // RCE = −A(1 − p₁) = 4 · 0.334759 = 1.339036;  CL("not 1") = −log(1 − 0.665241) = 1.094344
  const logits = tf.tensor2d([[1, 2, 0]]);
  const label = tf.tensor1d([1], 'int32');
  const [nce, rce, cl] = run(() => [normalizedCrossEntropy(logits, label), reverseCrossEntropy(logits, label), complementaryLabelLoss(logits, label)].map((t) => t.dataSync()[0]));
  assert.ok(Math.abs(nce - 0.096525) < 1e-5, `NCE ${nce}`);
  assert.ok(Math.abs(rce - 1.339036) < 1e-5, `RCE ${rce}`);
  assert.ok(Math.abs(cl - 1.094344) < 1e-5, `CL ${cl}`);
  // a confident prediction of the excluded class costs much more than one of another class:
  // logits [0.5, −1, 3, 0]: p₂ = 0.869423 → −log(0.130577) = 2.035795; p₁ = 0.015924 → 0.016052
  const wide = tf.tensor2d([[0.5, -1, 3, 0], [0.5, -1, 3, 0]]);
  const excluded = tf.tensor1d([2, 1], 'int32');
  const both = run(() => Array.from(complementaryLabelLoss(wide, excluded).dataSync()));
  assertClose(both, [2.035795, 0.016052], 1e-5, 'complementary-label loss');
  // the bounded variant is p_ȳ itself: 0.869423 and 0.015924
  const bounded = run(() => Array.from(boundedComplementaryLoss(wide, excluded).dataSync()));
  assertClose(bounded, [0.869423, 0.015924], 1e-4, 'bounded complementary loss');
  tf.dispose([logits, label, wide, excluded]);
});

test('feedback targets: c is a positive label, −(c + 1) the complementary label "not c"', async () => {
  await initEngine({ backend: 'cpu' });
  assert.equal(encodeComplementary(0), -1);
  assert.equal(encodeComplementary(4), -5);
  const targets = tf.tensor1d([3, encodeComplementary(3), 0, encodeComplementary(0)], 'int32');
  const { labels, positive } = decodeFeedbackTargets(targets);
  assert.deepEqual(Array.from(labels.dataSync()), [3, 3, 0, 0]);
  assert.deepEqual(Array.from(positive.dataSync()), [1, 0, 1, 0]);
  tf.dispose([targets, labels, positive]);
});

test('the mixed feedback loss equals the naive reference, and its gradient matches central differences', async () => {
  await initEngine({ backend: 'cpu' });
  const rows = [
    [0.3, -1.2, 2.0, 0.7, -0.4],
    [1.5, 0.2, -0.3, -2.0, 0.9],
    [-0.5, -0.5, 0.1, 1.1, 3.0],
    [2.2, -1.0, 0.0, 0.4, -0.8],
  ];
  const targets = [2, encodeComplementary(0), encodeComplementary(4), 1];
  const variants: FeedbackLossOptions[] = [FEEDBACK_LOSS_DEFAULTS, { alpha: 1, beta: 1, negativeWeight: 0.5, logZero: -4, complementary: 'bounded' }];
  for (const options of variants) {
    const meanLoss = (values: number[][]) => values.reduce((s, row, i) => s + naiveFeedbackLoss(row, targets[i], options), 0) / values.length;
    const t = tf.tensor1d(targets, 'int32');
    const x = tf.tensor2d(rows);
    const perExample = run(() => Array.from(feedbackLoss(x, t, options).dataSync()));
    assertClose(perExample, rows.map((r, i) => naiveFeedbackLoss(r, targets[i], options)), 1e-5, 'per-example feedback loss');
    const grad = tf.grad((z: tf.Tensor) => tf.mean(feedbackLoss(z as tf.Tensor2D, t, options)));
    const analytic = run(() => Array.from(grad(x).dataSync()));
    const h = 1e-5;
    const numeric: number[] = [];
    for (let i = 0; i < rows.length; i++) {
      for (let j = 0; j < rows[i].length; j++) {
        const up = rows.map((r) => r.slice());
        const down = rows.map((r) => r.slice());
        up[i][j] += h;
        down[i][j] -= h;
        numeric.push((meanLoss(up) - meanLoss(down)) / (2 * h));
      }
    }
    assertClose(analytic, numeric, 1e-3, `gradient (α=${options.alpha}, β=${options.beta}, ${options.complementary})`);
    tf.dispose([t, x]);
  }
});

test('the complementary-label loss stays finite when the excluded class has all the mass', async () => {
  await initEngine({ backend: 'cpu' });
  const logits = tf.tensor2d([[60, 0, 0]]);
  const label = tf.tensor1d([0], 'int32');
  const grad = tf.grad((z: tf.Tensor) => tf.sum(complementaryLabelLoss(z as tf.Tensor2D, label)));
  const [loss, g] = run(() => [complementaryLabelLoss(logits, label).dataSync()[0], Array.from(grad(logits).dataSync())] as const);
  // −log(1 − p₀) = logsumexp(60, 0, 0) − logsumexp(0, 0) = 60 − log 2 (to float precision)
  assert.ok(Math.abs(loss - (60 - Math.log(2))) < 1e-3, `loss ${loss}`);
  assert.ok(g.every(Number.isFinite), `gradient ${g}`);
  tf.dispose([logits, label]);
});
