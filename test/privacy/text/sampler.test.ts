/**
 * The d_χ noise sampler (radius Gamma(n, 1/ε), uniform direction) against its distribution,
 * with statistical tests that fail when either part is wrong: the mean radius is n/ε and its
 * distribution is Gamma (Kolmogorov–Smirnov against the regularised incomplete gamma); in three
 * dimensions one coordinate of a uniform direction is uniform on [−1, 1] (Archimedes), checked
 * with a chi-square test, as are the second moments E[vvᵀ] = I/n in 100 dimensions.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { regularizedGammaP } from '../../../src/metrics/index.js';
import { MechanismRandom, sampleRadialNoise } from '../../../src/privacy/index.js';
import { ConfigError } from '../../../src/errors.js';

function norms(z: Float32Array, dim: number): Float64Array {
  const out = new Float64Array(z.length / dim);
  for (let i = 0; i < out.length; i++) {
    let s = 0;
    for (let j = 0; j < dim; j++) s += z[i * dim + j] ** 2;
    out[i] = Math.sqrt(s);
  }
  return out;
}

/** Kolmogorov–Smirnov statistic of a sample against a CDF. */
function ksStatistic(sample: Float64Array, cdf: (x: number) => number): number {
  const sorted = Float64Array.from(sample).sort();
  let d = 0;
  for (let i = 0; i < sorted.length; i++) {
    const f = cdf(sorted[i]);
    d = Math.max(d, Math.abs(f - i / sorted.length), Math.abs((i + 1) / sorted.length - f));
  }
  return d;
}

test('radius: mean n/ε (n = 3 and 100) and Gamma(n, 1/ε) by Kolmogorov–Smirnov', () => {
  for (const [dim, epsilon] of [[3, 2], [100, 10]] as const) {
    const count = 20000;
    const z = new Float32Array(count * dim);
    sampleRadialNoise(z, dim, epsilon, MechanismRandom.from(11));
    const r = norms(z, dim);
    const mean = r.reduce((a, b) => a + b, 0) / count;
    const standardError = Math.sqrt(dim) / epsilon / Math.sqrt(count);
    assert.ok(Math.abs(mean - dim / epsilon) < 5 * standardError, `n=${dim}, ε=${epsilon}: mean radius ${mean} vs ${dim / epsilon} (SE ${standardError})`);
    // KS critical value at α = 0.001: 1.95/√N.
    const d = ksStatistic(r, (x) => regularizedGammaP(dim, epsilon * x));
    assert.ok(d < 1.95 / Math.sqrt(count), `n=${dim}: KS distance ${d} to Gamma(${dim}, 1/${epsilon})`);
    // A wrong shape would fail: Gamma(n − 1) is far away.
    assert.ok(ksStatistic(r, (x) => regularizedGammaP(dim - 1, epsilon * x)) > 5 / Math.sqrt(count));
  }
});

test('direction: uniform on the sphere (a coordinate is U[−1, 1] in 3-d; E[vvᵀ] = I/n in 100-d)', () => {
  const count = 30000;
  const z = new Float32Array(count * 3);
  sampleRadialNoise(z, 3, 1, MechanismRandom.from(5));
  const r = norms(z, 3);
  const bins = new Array(10).fill(0);
  for (let i = 0; i < count; i++) bins[Math.min(9, Math.floor(((z[i * 3 + 2] / r[i] + 1) / 2) * 10))]++;
  const expected = count / 10;
  const chi2 = bins.reduce((a, o) => a + (o - expected) ** 2 / expected, 0);
  assert.ok(chi2 < 27.88, `chi-square ${chi2.toFixed(2)} over 10 bins (9 df, α = 0.001 → 27.88): ${bins}`);

  const dim = 100;
  const n = 4000;
  const w = new Float32Array(n * dim);
  sampleRadialNoise(w, dim, 1, MechanismRandom.from(6));
  const rw = norms(w, dim);
  // Diagonal second moments 1/n; off-diagonal 0; mean 0.
  let worstDiagonal = 0;
  let worstOff = 0;
  let worstMean = 0;
  for (let a = 0; a < 10; a++) {
    let sumA = 0;
    for (let b = a; b < 10; b++) {
      let m = 0;
      for (let i = 0; i < n; i++) m += (w[i * dim + a] / rw[i]) * (w[i * dim + b] / rw[i]);
      m /= n;
      if (a === b) worstDiagonal = Math.max(worstDiagonal, Math.abs(m - 1 / dim));
      else worstOff = Math.max(worstOff, Math.abs(m));
    }
    for (let i = 0; i < n; i++) sumA += w[i * dim + a] / rw[i];
    worstMean = Math.max(worstMean, Math.abs(sumA / n));
  }
  // v_a² has mean 1/n and sd ≈ √2/n; v_a·v_b sd ≈ 1/n; v_a sd 1/√n.
  assert.ok(worstDiagonal < 5 * (Math.SQRT2 / dim) / Math.sqrt(n), `diagonal second moment off by ${worstDiagonal}`);
  assert.ok(worstOff < 5 * (1 / dim) / Math.sqrt(n), `off-diagonal second moment ${worstOff}`);
  assert.ok(worstMean < 5 / Math.sqrt(dim * n), `mean coordinate ${worstMean}`);
});

test('elliptical noise: z = r·S·v has covariance E[r²]·SSᵀ/n', () => {
  const dim = 2;
  const epsilon = 4;
  const S = Float64Array.from([2, 0, 0.5, 1]); // lower-triangular
  const count = 40000;
  const z = new Float32Array(count * dim);
  sampleRadialNoise(z, dim, epsilon, MechanismRandom.from(8), { shape: S });
  const secondMomentRadius = (dim * (dim + 1)) / epsilon ** 2; // E[r²] for Gamma(n, 1/ε)
  const expected = [4, 1, 1, 1.25].map((v) => (v * secondMomentRadius) / dim); // SSᵀ = [[4, 1], [1, 1.25]]
  const got = [0, 0, 0, 0];
  for (let i = 0; i < count; i++) {
    const x = z[i * 2];
    const y = z[i * 2 + 1];
    got[0] += x * x;
    got[1] += x * y;
    got[2] += y * x;
    got[3] += y * y;
  }
  got.forEach((g, k) => assert.ok(Math.abs(g / count - expected[k]) < 0.05 * expected[0], `entry ${k}: ${g / count} vs ${expected[k]}`));
});

test('gamma sampler: mean and variance for shapes below and above 1; bad shapes refused; CSPRNG by default', () => {
  for (const shape of [0.5, 1, 7.5]) {
    const random = MechanismRandom.from(3);
    const n = 40000;
    let s = 0;
    let s2 = 0;
    for (let i = 0; i < n; i++) {
      const g = random.gamma(shape);
      s += g;
      s2 += g * g;
    }
    const mean = s / n;
    const variance = s2 / n - mean * mean;
    assert.ok(Math.abs(mean - shape) < 5 * Math.sqrt(shape / n), `shape ${shape}: mean ${mean}`);
    assert.ok(Math.abs(variance - shape) < 0.05 * shape + 0.02, `shape ${shape}: variance ${variance}`);
  }
  assert.throws(() => MechanismRandom.from(1).gamma(0), ConfigError);
  assert.equal(MechanismRandom.from().secure, true);
  assert.equal(MechanismRandom.from(4).secure, false);
  assert.throws(() => sampleRadialNoise(new Float32Array(4), 2, 0, MechanismRandom.from(1)), /epsilon must be a number > 0/);
});
