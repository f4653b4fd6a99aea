/**
 * The three word mechanisms on a hand-built vocabulary (words a, b, c at 0, 1 and 3 on a line)
 * against hand-worked output probabilities, by chi-square tests that fail when a mechanism's
 * distribution is wrong:
 *  - Madlib in 1-d: the noise is Laplace(1/ε) (Gamma(1, 1/ε) radius, ± direction), so from a:
 *    P(b) = ½(e^{−ε/2} − e^{−2ε}), P(c) = ½e^{−2ε} (cells split at 0.5 and 2);
 *  - Mahalanobis in 2-d with a given covariance: the cells are strips, and
 *    P(r cos θ ≥ t) = (1/π)∫₀^{π/2} e^{−εt/cos θ}(1 + εt/cos θ) dθ for r ~ Gamma(2, 1/ε);
 *  - truncated Gumbel: the candidate count's truncated Poisson mixed with the arg-min of
 *    truncated-Gumbel-noised distances, integrated numerically.
 * Also: ε → ∞ returns the input; N_w rises with ε; the calibration's numbers by hand.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { initEngine } from '../../../src/engine/index.js';
import { ConfigError } from '../../../src/errors.js';
import {
  MadlibMechanism,
  MahalanobisMechanism,
  MechanismRandom,
  TruncatedGumbelMechanism,
  choleskyLower,
  createWordMechanism,
  embeddingCovariance,
  lambertW0,
  madlib,
  minimumTruncatedGumbelEpsilon,
  plausibleDeniability,
  regularizedCovariance,
  sampleTruncatedGumbel,
  sampleTruncatedPoisson,
  truncatedGumbelCalibration,
  type WordMechanismName,
} from '../../../src/privacy/index.js';
import { chiSquare, countOutputs, lineVocabulary, randomVocabulary } from './helpers.js';

before(async () => {
  await initEngine();
});

const CHI2_2DF_001 = 13.82;

function simpson(f: (x: number) => number, lo: number, hi: number, n = 20000): number {
  const h = (hi - lo) / n;
  let s = f(lo) + f(hi);
  for (let i = 1; i < n; i++) s += f(lo + i * h) * (i % 2 === 1 ? 4 : 2);
  return (s * h) / 3;
}

test('Madlib on a 1-d three-word vocabulary: output probabilities from the Laplace noise', () => {
  const space = lineVocabulary();
  const epsilon = 2;
  const draws = 60000;
  // From a (at 0): cells a = (−∞, 0.5), b = [0.5, 2), c = [2, ∞).
  const fromA = [1 - 0.5 * Math.exp(-epsilon / 2), 0.5 * (Math.exp(-epsilon / 2) - Math.exp(-2 * epsilon)), 0.5 * Math.exp(-2 * epsilon)];
  // From b (at 1): a when z < −0.5, c when z ≥ 1.
  const fromB = [0.5 * Math.exp(-epsilon / 2), 1 - 0.5 * Math.exp(-epsilon / 2) - 0.5 * Math.exp(-epsilon), 0.5 * Math.exp(-epsilon)];
  for (const [input, expected] of [[0, fromA], [1, fromB]] as const) {
    const out = madlib(space, new Int32Array(draws).fill(input), { epsilon, seed: 21 + input });
    const counts = countOutputs(out, 3);
    const chi2 = chiSquare(counts, [...expected]);
    assert.ok(chi2 < CHI2_2DF_001, `from ${space.words[input]}: counts ${counts} vs ${expected.map((p) => (p * draws).toFixed(0))}, χ² ${chi2.toFixed(2)}`);
  }
  // A wrong scale (noise of ε/2) would be rejected by the same test.
  const wrong = countOutputs(madlib(space, new Int32Array(draws).fill(0), { epsilon: epsilon / 2, seed: 3 }), 3);
  assert.ok(chiSquare(wrong, fromA) > 100);
});

test('Mahalanobis on a 2-d three-word vocabulary with a given covariance: strip probabilities', () => {
  const space = lineVocabulary([0, 1, 3], 2);
  const epsilon = 2;
  const lambda = 0.5;
  // Σ = diag(3, 1) → scaled to trace 2: diag(1.5, 0.5) → Σ_λ = diag(1.25, 0.75).
  const covariance = Float64Array.from([3, 0, 0, 1]);
  const regularized = regularizedCovariance(covariance, 2, lambda);
  assert.deepEqual(Array.from(regularized), [1.25, 0, 0, 0.75]);
  const sx = Math.sqrt(1.25);
  const tail = (t: number) => simpson((theta) => {
    const c = Math.cos(theta);
    if (c <= 1e-12) return 0;
    const u = (epsilon * t) / c;
    return Math.exp(-u) * (1 + u);
  }, 0, Math.PI / 2) / Math.PI;
  const pC = tail(2 / sx);
  const pB = tail(0.5 / sx) - pC;
  const expected = [1 - pB - pC, pB, pC];
  const draws = 60000;
  const m = new MahalanobisMechanism(space, { epsilon, lambda, covariance, seed: 31 });
  const counts = countOutputs(m.privatizeIds(new Int32Array(draws).fill(0)), 3);
  const chi2 = chiSquare(counts, expected);
  assert.ok(chi2 < CHI2_2DF_001, `counts ${counts} vs ${expected.map((p) => (p * draws).toFixed(0))}, χ² ${chi2.toFixed(2)}`);
  // Spherical noise (Madlib) at the same ε is a different distribution here.
  const spherical = countOutputs(madlib(space, new Int32Array(draws).fill(0), { epsilon, seed: 32 }), 3);
  assert.ok(chiSquare(spherical, expected) > 50, 'the covariance must change the output distribution');
});

test('Mahalanobis: the covariance, its trace normalisation and the Cholesky factor', () => {
  const space = randomVocabulary(300, 4, 2);
  const cov = embeddingCovariance(space);
  // Against a naive two-pass computation.
  const n = 4;
  const mean = new Array(n).fill(0);
  for (let i = 0; i < space.size; i++) for (let j = 0; j < n; j++) mean[j] += space.vectors[i * n + j] / space.size;
  for (let a = 0; a < n; a++) {
    for (let b = 0; b < n; b++) {
      let s = 0;
      for (let i = 0; i < space.size; i++) s += (space.vectors[i * n + a] - mean[a]) * (space.vectors[i * n + b] - mean[b]);
      assert.ok(Math.abs(cov[a * n + b] - s / (space.size - 1)) < 1e-9);
    }
  }
  const reg = regularizedCovariance(cov, n, 0.7);
  let trace = 0;
  for (let j = 0; j < n; j++) trace += reg[j * n + j];
  assert.ok(Math.abs(trace - n) < 1e-12, `trace of Σ_λ is ${trace}, expected n = ${n}`);
  const L = choleskyLower(reg, n);
  for (let a = 0; a < n; a++) {
    for (let b = 0; b < n; b++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += L[a * n + k] * L[b * n + k];
      assert.ok(Math.abs(s - reg[a * n + b]) < 1e-12);
    }
  }
  assert.throws(() => choleskyLower(Float64Array.from([1, 2, 2, 1]), 2), /not positive definite/);
  assert.throws(() => regularizedCovariance(cov, n, 1.5), /lambda must be in \[0, 1\]/);
});

test('Lambert W₀ and the truncated Gumbel calibration by hand', () => {
  assert.ok(Math.abs(lambertW0(1) - 0.5671432904097838) < 1e-14);
  assert.ok(Math.abs(lambertW0(Math.E) - 1) < 1e-14);
  assert.ok(Math.abs(lambertW0(10) - 1.7455280027406994) < 1e-13);
  assert.equal(lambertW0(-1 / Math.E), -1);
  for (const x of [-0.3, -0.1, 0.01, 2, 50, 1e6, 1e300]) {
    const w = lambertW0(x);
    assert.ok(Math.abs(w * Math.exp(w) - x) <= 1e-12 * Math.max(1, Math.abs(x)), `W(${x}) = ${w}`);
  }
  assert.throws(() => lambertW0(-1), ConfigError);

  const range = { min: 1, max: 3 };
  const c = truncatedGumbelCalibration(12, 3, range);
  const a = (12 - 2 * (1 + Math.log(3)) / 1) / 3;
  assert.ok(Math.abs(c.a - a) < 1e-12);
  const w = lambertW0(2 * a * 3);
  assert.ok(Math.abs(w * Math.exp(w) - 2 * a * 3) < 1e-9);
  assert.ok(Math.abs(c.scale - (2 * 3) / Math.min(w, Math.log(a * 1))) < 1e-12, `b = ${c.scale}`);
  assert.ok(Math.abs(c.candidateMean - Math.log(2)) < 1e-15);
  assert.equal(c.maxCandidates, 2);
  // Below the smallest admissible ε the calibration is refused, naming it.
  const minimum = minimumTruncatedGumbelEpsilon(3, range);
  assert.ok(Math.abs(minimum - (2 * (1 + Math.log(3)) + 3)) < 1e-12);
  assert.throws(() => truncatedGumbelCalibration(minimum * 0.999, 3, range), /too small for the truncated Gumbel calibration.*needs epsilon > 7\.19/);
  assert.ok(truncatedGumbelCalibration(minimum * 1.001, 3, range).scale > 0);
});

test('truncated Gumbel and truncated Poisson samplers against their distributions', () => {
  const random = MechanismRandom.from(41);
  const scale = 2;
  const bound = 3;
  const F = (x: number) => Math.exp(-Math.exp(-x / scale));
  const bins = 12;
  const counts = new Array(bins).fill(0);
  const n = 60000;
  for (let i = 0; i < n; i++) {
    const g = sampleTruncatedGumbel(scale, bound, random);
    assert.ok(g >= -bound && g <= bound);
    counts[Math.min(bins - 1, Math.floor(((g + bound) / (2 * bound)) * bins))]++;
  }
  const mass = F(bound) - F(-bound);
  const probabilities = counts.map((_, k) => (F(-bound + ((k + 1) * 2 * bound) / bins) - F(-bound + (k * 2 * bound) / bins)) / mass);
  assert.ok(chiSquare(counts, probabilities) < 31.26, `truncated Gumbel χ² (11 df) ${chiSquare(counts, probabilities)}`);

  const mean = Math.log(2);
  const pc = new Array(3).fill(0);
  for (let i = 0; i < n; i++) pc[sampleTruncatedPoisson(mean, 2, random)]++;
  const weights = [1, mean, (mean * mean) / 2];
  const z = weights.reduce((a, b) => a + b, 0);
  assert.ok(chiSquare(pc, weights.map((x) => x / z)) < CHI2_2DF_001, `truncated Poisson counts ${pc}`);
});

test('truncated Gumbel on the three-word vocabulary: output probabilities by numerical integration', () => {
  const space = lineVocabulary();
  const epsilon = 12;
  const m = new TruncatedGumbelMechanism(space, { epsilon, seed: 51 });
  assert.deepEqual(m.calibration.minDistance, 1);
  assert.deepEqual(m.calibration.maxDistance, 3);
  const b = m.calibration.scale;
  const B = m.calibration.maxDistance;
  const F = (x: number) => Math.exp(-Math.exp(-x / b));
  const mass = F(B) - F(-B);
  const density = (x: number) => (x < -B || x > B ? 0 : Math.exp(-(x / b + Math.exp(-x / b))) / b / mass);
  const survival = (x: number) => (x < -B ? 1 : x > B ? 0 : (F(B) - F(x)) / mass);
  /** P(candidate i has the smallest noisy distance) among candidates at distances d. */
  const wins = (d: number[], i: number) => simpson((x) => density(x) * d.reduce((p, dj, j) => (j === i ? p : p * survival(x + d[i] - dj)), 1), -B, B);
  const mu = Math.log(2);
  const z = 1 + mu + (mu * mu) / 2;
  const pk = [1 / z, mu / z, (mu * mu) / 2 / z];
  // From a: candidates {a} (k = 0), {a, b} (k = 1), {a, b, c} (k = 2); distances 0, 1, 3.
  const fromA = [
    pk[0] + pk[1] * wins([0, 1], 0) + pk[2] * wins([0, 1, 3], 0),
    pk[1] * wins([0, 1], 1) + pk[2] * wins([0, 1, 3], 1),
    pk[2] * wins([0, 1, 3], 2),
  ];
  assert.ok(Math.abs(fromA.reduce((x, y) => x + y, 0) - 1) < 1e-6, `probabilities sum to ${fromA.reduce((x, y) => x + y, 0)}`);
  // From c: its nearest other word is b (distance 2), then a (3).
  const fromC = [
    pk[2] * wins([0, 2, 3], 2),
    pk[1] * wins([0, 2], 1) + pk[2] * wins([0, 2, 3], 1),
    pk[0] + pk[1] * wins([0, 2], 0) + pk[2] * wins([0, 2, 3], 0),
  ];
  const draws = 60000;
  for (const [input, expected] of [[0, fromA], [2, fromC]] as const) {
    const counts = countOutputs(m.privatizeIds(new Int32Array(draws).fill(input)), 3);
    const chi2 = chiSquare(counts, [...expected]);
    assert.ok(chi2 < CHI2_2DF_001, `from ${space.words[input]}: counts ${counts} vs ${expected.map((p) => (p * draws).toFixed(0))}, χ² ${chi2.toFixed(2)}`);
  }
});

test('ε → ∞ returns the input, for every mechanism', () => {
  const space = randomVocabulary(400, 12, 7);
  const ids = Int32Array.from({ length: 400 }, (_, i) => i);
  for (const name of ['madlib', 'mahalanobis', 'truncated-gumbel'] as WordMechanismName[]) {
    // The truncated Gumbel scale falls only like 1/ln ε (b = 2Δmax/ln(aΔmin) for large ε), so its
    // "large" ε is astronomically large.
    for (const epsilon of name === 'truncated-gumbel' ? [Infinity, 1e300] : [Infinity, 1e12]) {
      const out = createWordMechanism(name, space, { epsilon, seed: 3 }).privatizeIds(ids);
      assert.deepEqual(Array.from(out), Array.from(ids), `${name} at ε = ${epsilon}`);
    }
  }
});

test('N_w rises with ε (median over words), for every mechanism', () => {
  const space = randomVocabulary(500, 10, 9);
  const words = space.words.slice(0, 40);
  const grids: Record<WordMechanismName, number[]> = {
    madlib: [2, 5, 10, 20],
    mahalanobis: [2, 5, 10, 20],
    'truncated-gumbel': [],
  };
  const minimum = minimumTruncatedGumbelEpsilon(space.size, space.distanceRange());
  grids['truncated-gumbel'] = [1.1, 10, 1e4, 1e9].map((f) => minimum * f);
  for (const name of Object.keys(grids) as WordMechanismName[]) {
    const medians = grids[name].map((epsilon) => {
      const stats = plausibleDeniability(createWordMechanism(name, space, { epsilon, seed: 4 }), words, { samples: 300 });
      const sorted = stats.map((s) => s.unchanged).sort((a, b) => a - b);
      return (sorted[19] + sorted[20]) / 2;
    });
    for (let i = 1; i < medians.length; i++) assert.ok(medians[i] > medians[i - 1], `${name}: median N_w ${medians.map((m) => m.toFixed(3))} over ε ${grids[name]}`);
  }
});

test('mechanisms refuse bad ε and out-of-range ids; a seeded mechanism says it is not secure', () => {
  const space = lineVocabulary();
  assert.throws(() => new MadlibMechanism(space, { epsilon: 0 }), /epsilon must be a number > 0/);
  assert.throws(() => new MadlibMechanism(space, { epsilon: Number.NaN }), ConfigError);
  assert.throws(() => new MadlibMechanism(space, { epsilon: 1 }).privatizeIds([5]), /outside the vocabulary/);
  assert.throws(() => new TruncatedGumbelMechanism(space, { epsilon: 1 }), /too small/);
  assert.equal(new MadlibMechanism(space, { epsilon: 1 }).secure, true);
  assert.equal(new MadlibMechanism(space, { epsilon: 1, seed: 2 }).secure, false);
  // The same seed gives the same draws.
  const x = madlib(space, new Int32Array(200), { epsilon: 1, seed: 9 });
  assert.deepEqual(x, madlib(space, new Int32Array(200), { epsilon: 1, seed: 9 }));
});
