/**
 * ADePT, corrected. Habernal's counter-example (EMNLP 2021): in two dimensions with C = 1, the
 * L2-clipped pair (2, 2), (−2, −2) is 2√2 > 2C apart in L1 norm, so the published Laplace scale
 * 2C/ε lets the privacy loss reach √2·ε (shown analytically and by sampling the mechanism:
 * a Clopper–Pearson lower bound on the log ratio of an event's probabilities exceeds ε), while
 * (−1, 1), (3, 3) stays within 2C; the corrected L1 clip keeps every pair within 2C. The
 * Gaussian variant's σ meets δ(ε) exactly (analytic Gaussian mechanism). The auto-encoder
 * learns a toy corpus, rewrites equal its reconstruction as ε → ∞, and survives save/load.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initEngine } from '../../../src/engine/index.js';
import { ConfigError } from '../../../src/errors.js';
import { clopperPearson } from '../../../src/metrics/index.js';
import {
  AdeptAutoencoder,
  MechanismRandom,
  adeptNoisePlan,
  adeptRewrite,
  clipVector,
  gaussianMechanismDelta,
  gaussianSigmaFor,
  laplacePrivacyLoss,
  privatizeRepresentations,
  trainAdeptAutoencoder,
} from '../../../src/privacy/index.js';

before(async () => {
  await initEngine();
});

const clipped = (v: number[], norm: 'l1' | 'l2') => {
  const x = Float64Array.from(v);
  clipVector(x, 1, norm);
  return x;
};

test("Habernal's counter-example: L2 clipping with Laplace at 2C is not ε-DP; the corrected variants are", () => {
  const epsilon = 1;
  const published = adeptNoisePlan({ noise: 'laplace', epsilon, clip: 1, variant: 'published-not-dp' }, 2);
  assert.equal(published.dp, false);
  assert.equal(published.clipNorm, 'l2');
  assert.equal(published.scale, 2);
  assert.ok(Math.abs(published.actualEpsilon - Math.SQRT2) < 1e-15);
  // (2, 2) and (−2, −2): clipped to ±(1/√2)(1, 1), L1 distance 2√2 > 2C.
  const x = clipped([2, 2], 'l2');
  const y = clipped([-2, -2], 'l2');
  const l1 = Math.abs(x[0] - y[0]) + Math.abs(x[1] - y[1]);
  assert.ok(Math.abs(l1 - 2 * Math.SQRT2) < 1e-12 && l1 > 2, `L1 distance ${l1}`);
  assert.ok(laplacePrivacyLoss(x, y, published.scale) > epsilon + 0.4, 'the claimed bound is violated');
  // (−1, 1) and (3, 3): clipped to (−1, 1)/√2 and (1, 1)/√2, L1 distance √2 ≤ 2C.
  const u = clipped([-1, 1], 'l2');
  const v = clipped([3, 3], 'l2');
  assert.ok(laplacePrivacyLoss(u, v, published.scale) <= epsilon + 1e-12);
  // Corrected Laplace: L1 clip, so no pair is more than 2C apart.
  const corrected = adeptNoisePlan({ noise: 'laplace', epsilon, clip: 1 }, 2);
  assert.equal(corrected.dp, true);
  assert.equal(corrected.clipNorm, 'l1');
  assert.ok(Math.abs(laplacePrivacyLoss(clipped([2, 2], 'l1'), clipped([-2, -2], 'l1'), corrected.scale) - epsilon) < 1e-12);
  for (const [a, b] of [[[5, -3], [-0.1, 7]], [[100, 0], [0, -100]], [[0.2, 0.1], [-0.3, 0.4]]]) {
    assert.ok(laplacePrivacyLoss(clipped(a, 'l1'), clipped(b, 'l1'), corrected.scale) <= epsilon + 1e-12);
  }
});

test('sampling the published mechanism shows a privacy loss above ε (with a conservative interval)', () => {
  const epsilon = 1;
  const plan = adeptNoisePlan({ noise: 'laplace', epsilon, clip: 1, variant: 'published-not-dp' }, 2);
  const draws = 200000;
  /** How many of `draws` noisy copies of `input` fall in E = both coordinates beyond 0.8 (past both clipped inputs, ±0.707). */
  const hitsOfEvent = (mechanism: typeof plan, input: number[], seed: number) => {
    const rows = new Float32Array(draws * 2);
    for (let i = 0; i < draws; i++) rows.set(input, i * 2);
    privatizeRepresentations(rows, 2, mechanism, MechanismRandom.from(seed));
    let hits = 0;
    for (let i = 0; i < draws; i++) if (rows[i * 2] > 0.8 && rows[i * 2 + 1] > 0.8) hits++;
    return hits;
  };
  const low = Math.log(clopperPearson(hitsOfEvent(plan, [2, 2], 1), draws, 0.999).low / clopperPearson(hitsOfEvent(plan, [-2, -2], 2), draws, 0.999).high);
  assert.ok(low > epsilon, `ln P(E|x)/P(E|y) ≥ ${low.toFixed(3)} (expected √2 = 1.414): the published variant is not ${epsilon}-DP`);
  // The corrected Laplace variant on the same pair stays within ε.
  const correctedPlan = adeptNoisePlan({ noise: 'laplace', epsilon, clip: 1 }, 2);
  const high = Math.log(clopperPearson(hitsOfEvent(correctedPlan, [2, 2], 3), draws, 0.999).high / clopperPearson(hitsOfEvent(correctedPlan, [-2, -2], 4), draws, 0.999).low);
  assert.ok(high < epsilon * 1.1, `corrected: ln ratio ≤ ${high.toFixed(3)}`);
});

test('Gaussian variant: σ from the analytic Gaussian mechanism meets δ at ε; the classical σ is larger', () => {
  for (const [epsilon, delta] of [[0.5, 1e-5], [1, 1e-6], [8, 1e-5]]) {
    const sigma = gaussianSigmaFor(epsilon, delta, 2);
    const reached = gaussianMechanismDelta(epsilon, 2 / sigma);
    assert.ok(reached <= delta && reached > delta * (1 - 1e-6), `ε ${epsilon}: δ(σ) = ${reached} vs ${delta}`);
    if (epsilon < 1) assert.ok(sigma < (2 * Math.sqrt(2 * Math.log(1.25 / delta))) / epsilon, 'analytic σ ≤ classical σ');
  }
  const plan = adeptNoisePlan({ noise: 'gaussian', epsilon: 1, delta: 1e-5, clip: 1 }, 16);
  assert.equal(plan.clipNorm, 'l2');
  assert.equal(plan.sensitivity, 2);
  assert.equal(plan.dp, true);
  // The noise has that σ.
  const rows = new Float32Array(20000 * 16);
  privatizeRepresentations(rows, 16, plan, MechanismRandom.from(5));
  const variance = rows.reduce((a, b) => a + b * b, 0) / rows.length;
  assert.ok(Math.abs(Math.sqrt(variance) / plan.scale - 1) < 0.01, `noise std ${Math.sqrt(variance)} vs σ ${plan.scale}`);
  assert.throws(() => adeptNoisePlan({ noise: 'gaussian', epsilon: 1, clip: 1 }, 4), /needs delta/);
  assert.throws(() => adeptNoisePlan({ noise: 'gaussian', epsilon: 1, delta: 1e-5, clip: 1, variant: 'published-not-dp' }, 4), /published ADePT variant is the Laplace one/);
  assert.throws(() => adeptNoisePlan({ noise: 'laplace', epsilon: 0, clip: 1 }, 4), /epsilon must be a finite number > 0/);
  assert.throws(() => adeptNoisePlan({ noise: 'laplace', epsilon: 1, clip: -1 }, 4), /clip norm C/);
});

const TOY = [
  'play some jazz', 'turn on the lights', 'what is the weather today', 'set an alarm for seven',
  'call my mother', 'order a pizza', 'play the news', 'turn off the radio',
  'what time is it', 'book a table for two', 'send a message to john', 'read my email',
];

test('auto-encoder: learns a toy corpus; ε → ∞ rewrites equal the reconstruction; small ε changes texts; save/load', () => {
  const { model, history } = trainAdeptAutoencoder(TOY, { epochs: 150, batchSize: 12, learningRate: 1e-2, seed: 3, minCount: 1, validation: TOY, config: { embeddingDim: 16, hidden: 32, maxLength: 8 } });
  const last = history[history.length - 1];
  assert.ok(last.loss < history[0].loss / 5, `loss ${history[0].loss} → ${last.loss}`);
  assert.ok((last.wordAccuracy ?? 0) > 0.9, `word accuracy ${last.wordAccuracy}`);
  const rebuilt = model.reconstruct(TOY);
  const loose = adeptRewrite(model, TOY, { noise: 'gaussian', epsilon: 1e7, delta: 1e-5, clip: 1, seed: 1 });
  assert.deepEqual(loose.texts, rebuilt);
  assert.equal(loose.secure, false);
  const tight = adeptRewrite(model, TOY, { noise: 'gaussian', epsilon: 0.5, delta: 1e-5, clip: 1, seed: 2 });
  const same = tight.texts.filter((t, i) => t === TOY[i]).length;
  assert.ok(same <= 4, `${same} of ${TOY.length} texts unchanged at ε = 0.5`);
  const published = adeptRewrite(model, TOY, { noise: 'laplace', epsilon: 1e7, clip: 1, variant: 'published-not-dp', seed: 1 });
  assert.equal(published.plan.dp, false);
  assert.throws(() => adeptRewrite(model, TOY, { noise: 'laplace', epsilon: 1, clip: 1 }), (e: Error) => e instanceof ConfigError && /trained with L2 clipping.*clips in L1/.test(e.message));
  assert.throws(() => adeptRewrite(model, TOY, { noise: 'gaussian', epsilon: 1, delta: 1e-5, clip: 2 }), /clip C = 2 differs/);
  const dir = join(mkdtempSync(join(tmpdir(), 'trustnlu-adept-')), 'model');
  model.save(dir);
  const loaded = AdeptAutoencoder.load(dir);
  assert.deepEqual(loaded.reconstruct(TOY), rebuilt);
  model.dispose();
  loaded.dispose();
});
