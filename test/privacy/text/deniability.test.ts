/**
 * Plausible-deniability statistics: N_w's estimate and Clopper–Pearson interval against the
 * hand-worked P(M(a) = a) of the 1-d three-word vocabulary; S_w's replicate interval; the
 * Student-t quantile against published values; chooseEpsilon meets its target and is the
 * largest ε that does; the closed-world recovery attack against the hand-worked MAP rate.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { initEngine } from '../../../src/engine/index.js';
import { MadlibMechanism, chooseEpsilon, closedWorldRecovery, medianOverWords, plausibleDeniability, studentTQuantile } from '../../../src/privacy/index.js';
import { lineVocabulary, randomVocabulary } from './helpers.js';

before(async () => {
  await initEngine();
});

test('Student t quantiles: published values', () => {
  assert.ok(Math.abs(studentTQuantile(0.95, 4) - 2.776445) < 1e-5);
  assert.ok(Math.abs(studentTQuantile(0.95, 1) - 12.7062) < 1e-3);
  assert.ok(Math.abs(studentTQuantile(0.99, 10) - 3.169273) < 1e-5);
  assert.ok(Math.abs(studentTQuantile(0.95, 1e6) - 1.959966) < 1e-4);
});

test('N_w and S_w on the three-word vocabulary: the interval covers the exact N_w', () => {
  const space = lineVocabulary();
  const epsilon = 2;
  const exactUnchanged = 1 - 0.5 * Math.exp(-epsilon / 2);
  const [a, c] = plausibleDeniability(new MadlibMechanism(space, { epsilon, seed: 12 }), ['a', 'c'], { samples: 4000, replicates: 5 });
  assert.ok(a.unchangedInterval.low <= exactUnchanged && exactUnchanged <= a.unchangedInterval.high, `N_a ${a.unchanged} [${a.unchangedInterval.low}, ${a.unchangedInterval.high}] vs ${exactUnchanged}`);
  assert.ok(a.unchangedInterval.high - a.unchangedInterval.low < 0.02);
  // Every one of the three words comes up in 4000 draws from a (P(c) ≈ 0.009).
  assert.equal(a.distinct, 3);
  assert.ok(a.distinctInterval && a.distinctInterval.low <= 3 && a.distinctInterval.high >= 3);
  assert.equal(a.outputs[0].word, 'a');
  assert.equal(a.outputs.reduce((s, o) => s + o.count, 0), 20000);
  // From c (at 3) the nearest other word is 2 away: P(c unchanged) = 1 − ½e^{−2} ≈ 0.932.
  const exactC = 1 - 0.5 * Math.exp(-epsilon * 1);
  assert.ok(c.unchangedInterval.low <= exactC && exactC <= c.unchangedInterval.high, `N_c ${c.unchanged} vs ${exactC}`);
  assert.throws(() => plausibleDeniability(new MadlibMechanism(space, { epsilon }), ['z']), /"z" is not in the embedding vocabulary/);
  assert.throws(() => plausibleDeniability(new MadlibMechanism(space, { epsilon }), ['a'], { samples: 0 }), /samples must be a positive integer/);
  const single = plausibleDeniability(new MadlibMechanism(space, { epsilon, seed: 1 }), ['b'], { samples: 100 });
  assert.equal(single[0].distinctInterval, null);
});

test('chooseEpsilon: the largest ε whose median N_w is at most the target', () => {
  const space = randomVocabulary(400, 6, 5);
  const words = space.words.slice(0, 30);
  const create = (epsilon: number) => new MadlibMechanism(space, { epsilon, seed: 77 });
  const result = chooseEpsilon({ create, words, targetMedianUnchanged: 0.5, low: 0.5, high: 100, samples: 200, relativeTolerance: 0.01 });
  assert.ok(result.medianUnchanged.median <= 0.5, `median N_w ${result.medianUnchanged.median} at ε ${result.epsilon}`);
  assert.ok(result.medianUnchanged.low <= result.medianUnchanged.median && result.medianUnchanged.median <= result.medianUnchanged.high);
  // Just above the chosen ε the median passes the target (same draws).
  const above = plausibleDeniability(create(result.epsilon * 1.02), words, { samples: 200 }).map((s) => s.unchanged);
  assert.ok(medianOverWords(above).median > 0.5, `median at 1.02·ε is ${medianOverWords(above).median}`);
  assert.ok(result.evaluations.length > 5);
  assert.throws(() => chooseEpsilon({ create, words, targetMedianUnchanged: 0.5, low: 50, high: 100 }), /even at ε = 50/);
  assert.throws(() => chooseEpsilon({ create, words, targetMedianUnchanged: 1.5 }), /target median N_w must be in \(0, 1\)/);
});

test('closed-world recovery attack: the MAP rate of the three-word vocabulary by hand; ε = ∞ recovers everything', () => {
  const space = lineVocabulary();
  const epsilon = 2;
  const e = (x: number) => Math.exp(-epsilon * x);
  // P(u | w) for w = a, b, c at 0, 1, 3 (Laplace noise, cells split at 0.5 and 2).
  const table = [
    [1 - e(0.5) / 2, (e(0.5) - e(2)) / 2, e(2) / 2],
    [e(0.5) / 2, 1 - e(0.5) / 2 - e(1) / 2, e(1) / 2],
    [e(2.5) / 2, (e(1) - e(2.5)) / 2, 1 - e(1) / 2],
  ];
  // Uniform prior: the MAP guess of output u is the w with the largest P(u | w) (here u itself).
  let expected = 0;
  for (let w = 0; w < 3; w++) for (let u = 0; u < 3; u++) if ([0, 1, 2].every((v) => table[v][u] <= table[w][u])) expected += table[w][u] / 3;
  const result = closedWorldRecovery(new MadlibMechanism(space, { epsilon, seed: 4 }), ['a', 'b', 'c'], [1, 1, 1], 20000);
  assert.ok(Math.abs(result.rate - expected) < 0.01, `rate ${result.rate} vs ${expected}`);
  assert.ok(Math.abs(result.baseline - 1 / 3) < 1e-12);
  // A skewed prior moves the MAP guess toward the frequent word.
  const skewed = closedWorldRecovery(new MadlibMechanism(space, { epsilon: 0.2, seed: 4 }), ['a', 'b', 'c'], [8, 1, 1], 5000);
  assert.ok(skewed.rate >= 0.8 - 0.02, `skewed prior: rate ${skewed.rate} vs baseline 0.8`);
  const exact = closedWorldRecovery(new MadlibMechanism(randomVocabulary(200, 5, 2), { epsilon: Infinity }), ['w1', 'w2', 'w3', 'w4'], [1, 2, 3, 4], 50);
  assert.equal(exact.rate, 1);
  assert.equal(exact.identityRate, 1);
  assert.throws(() => closedWorldRecovery(new MadlibMechanism(space, { epsilon }), ['a'], [1, 2], 10), /1 words with 2 prior weights/);
});
