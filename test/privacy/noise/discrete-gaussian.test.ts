/**
 * The discrete Gaussian sampler against the exact normalised pmf exp(−x²/2σ²)/Σ_y exp(−y²/2σ²):
 * a per-bin check (every bin expecting ≥ 5 draws within 5 standard errors of its expected count;
 * the rarer tail bins are pooled into one chi-square cell), a chi-square over
 * the bins with expected count ≥ 5 (below df + 6·√(2·df), about 6 standard deviations), and the
 * variance against the exact one computed from the pmf (within 5 standard errors of the sample
 * variance). A rounded continuous Gaussian fails the same check at σ = 0.5 (negative control).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CSPRNG, DiscreteGaussianSampler, UniformStream, discreteGaussianPmf, discreteGaussianVariance, seededBytes } from '../../../src/privacy/index.js';
import { ConfigError } from '../../../src/errors.js';

interface Fit {
  worstBinZ: number;
  chiSquare: number;
  df: number;
  varianceZ: number;
}

function fitToPmf(samples: Int32Array, sigma: number): Fit {
  const n = samples.length;
  const radius = Math.ceil(12 * sigma) + 2;
  const pmf = discreteGaussianPmf(sigma, radius);
  const counts = new Float64Array(2 * radius + 1);
  let tail = 0;
  let sumSq = 0;
  for (const x of samples) {
    sumSq += x * x;
    if (Math.abs(x) > radius) tail++;
    else counts[x + radius]++;
  }
  let worstBinZ = 0;
  let chiSquare = 0;
  let df = -1;
  let pooledObserved = tail;
  let pooledExpected = Math.max(0, 1 - pmf.reduce((s, p) => s + p, 0)) * n;
  for (let i = 0; i < counts.length; i++) {
    const expected = pmf[i] * n;
    if (expected >= 5) {
      worstBinZ = Math.max(worstBinZ, Math.abs(counts[i] - expected) / Math.sqrt(expected * (1 - pmf[i])));
      chiSquare += (counts[i] - expected) ** 2 / expected;
      df++;
    } else {
      pooledObserved += counts[i];
      pooledExpected += expected;
    }
  }
  if (pooledExpected >= 5) {
    chiSquare += (pooledObserved - pooledExpected) ** 2 / pooledExpected;
    df++;
  }
  // the sample variance about the known mean 0, against the exact variance, in standard errors
  const variance = discreteGaussianVariance(sigma);
  let fourth = 0;
  for (let i = 0; i < pmf.length; i++) fourth += (i - radius) ** 4 * pmf[i];
  const varianceZ = (sumSq / n - variance) / Math.sqrt((fourth - variance * variance) / n);
  return { worstBinZ, chiSquare, df, varianceZ };
}

function acceptable(fit: Fit): boolean {
  return fit.worstBinZ < 5 && fit.chiSquare < fit.df + 6 * Math.sqrt(2 * fit.df) && Math.abs(fit.varianceZ) < 5;
}

test('discrete Gaussian sampler: empirical pmf and variance match the exact pmf for σ = 0.5, 1, 3, 20', () => {
  for (const [sigma, seed] of [[0.5, 1], [1, 2], [3, 3], [20, 4]] as const) {
    const sampler = new DiscreteGaussianSampler(new UniformStream(seededBytes(seed)));
    const samples = sampler.fill(200_000, sigma);
    const fit = fitToPmf(samples, sigma);
    assert.ok(acceptable(fit), `σ = ${sigma}: ${JSON.stringify(fit)}`);
  }
});

test('discrete Gaussian variance: exact values below σ² for small σ, → σ² for large σ (hand-worked at σ = 0.5)', () => {
  // σ = 0.5: weights e^{−2x²}: 1, 2e^{−2} = 0.2706706, 2e^{−8} = 0.00067093, 2e^{−18} ≈ 3e-8
  const z = 1 + 2 * Math.exp(-2) + 2 * Math.exp(-8) + 2 * Math.exp(-18);
  const byHand = (2 * Math.exp(-2) + 8 * Math.exp(-8) + 18 * Math.exp(-18)) / z;
  assert.ok(Math.abs(discreteGaussianVariance(0.5) - byHand) < 1e-12);
  assert.ok(Math.abs(byHand - 0.21501) < 1e-4);
  assert.ok(discreteGaussianVariance(1) < 1);
  assert.ok(Math.abs(discreteGaussianVariance(3) - 9) < 1e-9);
  assert.ok(Math.abs(discreteGaussianVariance(20) - 400) < 1e-9);
  const pmf = discreteGaussianPmf(1, 60);
  assert.ok(Math.abs(pmf.reduce((s, p) => s + p, 0) - 1) < 1e-14);
});

test('the pmf check can fail: a rounded continuous Gaussian at σ = 0.5 is rejected', () => {
  const uniforms = new UniformStream(seededBytes(9));
  const samples = new Int32Array(200_000);
  for (let i = 0; i < samples.length; i++) {
    const g = Math.sqrt(-2 * Math.log(1 - uniforms.next())) * Math.cos(2 * Math.PI * uniforms.next());
    samples[i] = Math.round(0.5 * g);
  }
  assert.equal(acceptable(fitToPmf(samples, 0.5)), false);
});

test('discrete Gaussian sampler on the CSPRNG: integers, symmetric, variance near σ²; bad σ is a ConfigError', () => {
  const sampler = new DiscreteGaussianSampler(new UniformStream(CSPRNG));
  const samples = sampler.fill(50_000, 2);
  const fit = fitToPmf(samples, 2);
  assert.ok(acceptable(fit), JSON.stringify(fit));
  assert.throws(() => sampler.sample(0), ConfigError);
  assert.throws(() => sampler.fill(3, Number.NaN), ConfigError);
  assert.throws(() => sampler.fill(-1, 1), ConfigError);
});
