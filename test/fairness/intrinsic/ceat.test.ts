import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SeededRandom } from '../../../src/engine/random.js';
import { ConfigError, NonFiniteError, ShapeMismatchError } from '../../../src/errors.js';
import { ceat, contextualSampler, randomEffectsMetaAnalysis, weat, type Vector } from '../../../src/fairness/intrinsic/index.js';
import { normalSurvival } from '../../../src/metrics/index.js';

function close(actual: number, expected: number, what: string, tolerance = 1e-12): void {
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: got ${actual}, expected ${expected}`);
}

// Hand-worked DerSimonian–Laird with three studies: effects 0.2, 0.5, 1.1, variances 0.01, 0.04, 0.1.
//   w = 1/v = 100, 25, 10;  Σw = 135;  Σw·y = 20 + 12.5 + 11 = 43.5;  Σw·y² = 4 + 6.25 + 12.1 = 22.35
//   Q = 22.35 − 43.5²/135 = 22.35 − 14.01667 = 8.33333;  df = 2
//   Σw² = 10000 + 625 + 100 = 10725;  C = 135 − 10725/135 = 55.55556
//   τ² = (8.33333 − 2)/55.55556 = 0.114
//   w* = 1/(v + τ²) = 1/0.124, 1/0.154, 1/0.214 = 8.064516, 6.493506, 4.672897;  Σw* = 19.230919
//   combined = (0.2·8.064516 + 0.5·6.493506 + 1.1·4.672897)/19.230919 = 9.999843/19.230919 = 0.519988
//   SE = √(1/19.230919) = 0.228034;  z = 2.280306;  two-sided p = 2(1 − Φ(z)) = 0.022590
test('random-effects meta-analysis matches a hand-worked three-study DerSimonian–Laird example', () => {
  const r = randomEffectsMetaAnalysis([0.2, 0.5, 1.1], [0.01, 0.04, 0.1]);
  close(r.q, 25 / 3, 'Q', 1e-12);
  assert.equal(r.df, 2);
  close(r.tau2, 0.114, 'tau2', 1e-12);
  const w = [1 / 0.124, 1 / 0.154, 1 / 0.214];
  const sumW = w[0] + w[1] + w[2];
  close(r.combinedEffect, (0.2 * w[0] + 0.5 * w[1] + 1.1 * w[2]) / sumW, 'combined (formula)');
  close(r.combinedEffect, 0.519988, 'combined (hand)', 5e-7);
  close(r.standardError, 0.228034, 'SE', 5e-7);
  close(r.z, 2.280306, 'z', 5e-6);
  close(r.pValue, 0.022589533800368784, 'two-sided p (scipy norm.sf)', 1e-12);
  close(r.pValueOneSided, 0.011294766900184392, 'one-sided p', 1e-12);
  close(r.i2, (25 / 3 - 2) / (25 / 3), 'I²');
  close(r.weights.reduce((a, b) => a + b, 0), 1, 'weights sum');
});

test('homogeneous studies give τ² = 0 and the fixed-effect answer', () => {
  // Q = 0 < df, so τ² = 0: combined = the common effect, SE = √(1/Σ(1/v)) = √(1/(10 + 20)).
  const r = randomEffectsMetaAnalysis([0.4, 0.4, 0.4], [0.1, 0.05, 0.1]);
  assert.equal(r.tau2, 0);
  close(r.combinedEffect, 0.4, 'combined');
  close(r.standardError, Math.sqrt(1 / 40), 'SE');
  close(r.pValueOneSided, normalSurvival(0.4 / Math.sqrt(1 / 40)), 'one-sided p');
});

test('meta-analysis input is checked', () => {
  assert.throws(() => randomEffectsMetaAnalysis([1, 2], [1]), ShapeMismatchError);
  assert.throws(() => randomEffectsMetaAnalysis([1], [1]), ConfigError);
  assert.throws(() => randomEffectsMetaAnalysis([1, 2], [1, 0]), NonFiniteError);
});

const words = { X: ['x1', 'x2', 'x3'], Y: ['y1', 'y2', 'y3'], A: ['a1', 'a2'], B: ['b1', 'b2'] };

function pools(rng: SeededRandom, occurrences: number): Map<string, Vector[]> {
  const out = new Map<string, Vector[]>();
  const centre: Record<string, number[]> = {
    x: [1, 0.2, 0, 0],
    y: [0.2, 1, 0, 0],
    a: [1, 0, 0.3, 0],
    b: [0, 1, 0, 0.3],
  };
  for (const w of [...words.X, ...words.Y, ...words.A, ...words.B]) {
    const c = centre[w[0]];
    out.set(w, Array.from({ length: occurrences }, () => c.map((v) => v + 0.3 * rng.normal())));
  }
  return out;
}

test('CEAT with one context per word reduces to WEAT (every sample equal, τ² = 0)', () => {
  const single = pools(new SeededRandom(1), 1);
  const r = ceat(words, contextualSampler(single, new SeededRandom(2)), { samples: 5 });
  const w = weat(words, (word) => single.get(word)![0]);
  assert.equal(r.samples.length, 5);
  for (const s of r.samples) {
    close(s.effectSize, w.effectSize, 'sample effect');
    close(s.variance, w.associationVariance, 'sample variance');
  }
  assert.equal(r.tau2, 0);
  close(r.combinedEffectSize, w.effectSize, 'combined = WEAT');
});

test('CEAT over sampled contexts combines the per-sample effects by the meta-analysis, reproducibly', () => {
  const many = pools(new SeededRandom(3), 20);
  const run = () => ceat(words, contextualSampler(many, new SeededRandom(4)), { samples: 200 });
  const r = run();
  const meta = randomEffectsMetaAnalysis(
    r.samples.map((s) => s.effectSize),
    r.samples.map((s) => s.variance),
  );
  close(r.combinedEffectSize, meta.combinedEffect, 'combined');
  close(r.standardError, meta.standardError, 'SE');
  assert.ok(r.combinedEffectSize > 0.5, `X is built closer to A: ${r.combinedEffectSize}`);
  assert.ok(new Set(r.samples.map((s) => s.effectSize)).size > 100, 'samples differ');
  assert.deepEqual(run().samples, r.samples);
});

test('CEAT applies the missing-word policy and reports missing words', () => {
  const p = pools(new SeededRandom(5), 3);
  p.delete('x3');
  assert.throws(() => ceat(words, contextualSampler(p, new SeededRandom(6)), { samples: 3 }), /has 1 of 3 words missing/);
  const r = ceat(words, contextualSampler(p, new SeededRandom(6)), { samples: 3, maxMissingFraction: 0.34 });
  assert.deepEqual(r.missing, ['x3']);
});
