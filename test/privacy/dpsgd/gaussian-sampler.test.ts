/**
 * The Gaussian noise samplers against the standard normal law: moments, a Kolmogorov–Smirnov
 * test, a χ² test on 64 equiprobable bins, tail frequencies (including the ziggurat's tail
 * beyond r = 3.4426, which takes a separate code path), symmetry and lag-1 independence.
 * Seeded byte sources make the strict checks deterministic; the CSPRNG runs use thresholds
 * whose false-alarm rate is below 1e-5. The noise sources (inline, prefetched in a worker)
 * hand out fresh samples on every call, unit or scaled by a std (the worker scales a steady
 * std itself; a changed one is scaled on the main thread), in secure mode too.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CSPRNG,
  PrefetchingNoise,
  SECURE_SUMMANDS,
  SecureGaussianSampler,
  UniformStream,
  ZigguratSampler,
  createGaussianNoise,
  seededBytes,
  type GaussianSampler,
} from '../../../src/privacy/dpsgd/index.js';
import { normalCdf } from '../../../src/privacy/accounting/special-functions.js';
import { regularizedGammaQ } from '../../../src/metrics/special-functions.js';
import { ConfigError } from '../../../src/errors.js';

/** Statistics of a sample against N(0, 1); each `z` entry is a standardised deviation. */
function normality(x: Float32Array) {
  const n = x.length;
  let m = 0;
  for (const v of x) m += v;
  m /= n;
  let m2 = 0, m3 = 0, m4 = 0, lag = 0;
  for (let i = 0; i < n; i++) {
    const d = x[i] - m;
    m2 += d * d;
    m3 += d * d * d;
    m4 += d * d * d * d;
    if (i > 0) lag += (x[i] - m) * (x[i - 1] - m);
  }
  m2 /= n; m3 /= n; m4 /= n;
  const sorted = Float64Array.from(x).sort();
  let ks = 0;
  const bins = new Float64Array(64);
  for (let i = 0; i < n; i++) {
    const F = normalCdf(sorted[i]);
    ks = Math.max(ks, (i + 1) / n - F, F - i / n);
    bins[Math.min(63, Math.floor(F * 64))]++;
  }
  let chi2 = 0;
  for (const b of bins) chi2 += (b - n / 64) ** 2 / (n / 64);
  const tails: Record<string, number> = {};
  for (const t of [2, 3, 3.442619855899, 4]) {
    let count = 0;
    for (const v of x) if (Math.abs(v) > t) count++;
    const p = 2 * normalCdf(-t);
    tails[t.toFixed(3)] = (count - n * p) / Math.sqrt(n * p * (1 - p));
  }
  let positive = 0;
  for (const v of x) if (v > 0) positive++;
  return {
    z: {
      mean: m * Math.sqrt(n),
      variance: (m2 - 1) / Math.sqrt(2 / n),
      skewness: m3 / m2 ** 1.5 / Math.sqrt(6 / n),
      kurtosis: (m4 / (m2 * m2) - 3) / Math.sqrt(24 / n),
      lag1: (lag / (n - 1) / m2) * Math.sqrt(n),
      sign: (positive - n / 2) / Math.sqrt(n / 4),
      ...Object.fromEntries(Object.entries(tails).map(([k, v]) => [`tail>${k}`, v])),
    },
    ksScaled: ks * Math.sqrt(n),
    chi2PValue: regularizedGammaQ(63 / 2, chi2 / 2),
  };
}

function assertNormal(sampler: GaussianSampler, n: number, limits: { z: number; ks: number; chi2: number }, what: string): void {
  const x = new Float32Array(n);
  // Two fills: the second must continue the stream (buffers reused, nothing repeated).
  sampler.fill(x.subarray(0, n >> 1));
  sampler.fill(x.subarray(n >> 1));
  const s = normality(x);
  for (const [k, v] of Object.entries(s.z)) assert.ok(Math.abs(v) < limits.z, `${what}: ${k} is ${v.toFixed(2)} standard errors off`);
  assert.ok(s.ksScaled < limits.ks, `${what}: KS √n·D = ${s.ksScaled.toFixed(3)}`);
  assert.ok(s.chi2PValue > limits.chi2, `${what}: χ² p = ${s.chi2PValue}`);
}

// Deterministic (seeded): 5 standard errors; KS 1.95 (α = 0.1%); χ² p > 1e-4.
const STRICT = { z: 5, ks: 1.95, chi2: 1e-4 };
// Random (CSPRNG): 5.5 standard errors (two-sided 4e-8 each); KS 2.6 (α ≈ 2e-6); χ² p > 1e-6.
const RANDOM = { z: 5.5, ks: 2.6, chi2: 1e-6 };

test('ziggurat sampler: N(0, 1) moments, KS, χ², tails beyond r, symmetry, no lag-1 correlation', () => {
  assertNormal(new ZigguratSampler(seededBytes(1)), 1_000_000, STRICT, 'ziggurat (seed 1)');
  assertNormal(new ZigguratSampler(seededBytes(2)), 1_000_000, STRICT, 'ziggurat (seed 2)');
  assertNormal(new ZigguratSampler(CSPRNG), 400_000, RANDOM, 'ziggurat (CSPRNG)');
});

test('secure sampler (sum of four polar samples / 2): N(0, 1) by the same tests', () => {
  assert.equal(SECURE_SUMMANDS, 4);
  assertNormal(new SecureGaussianSampler(seededBytes(3)), 400_000, STRICT, 'secure (seed 3)');
  assertNormal(new SecureGaussianSampler(CSPRNG), 200_000, RANDOM, 'secure (CSPRNG)');
  assert.equal(new SecureGaussianSampler(CSPRNG).secure, true);
  assert.equal(new SecureGaussianSampler(seededBytes(1)).secure, false, 'a seeded source is never reported as secure');
});

test('the tests above can fail: a uniform, a rounded and a correlated sampler are rejected', () => {
  const fails = (fill: (out: Float32Array) => void) => {
    try {
      assertNormal({ secure: false, fill }, 200_000, STRICT, 'bad');
      return false;
    } catch {
      return true;
    }
  };
  const zig = new ZigguratSampler(seededBytes(4));
  const u = new UniformStream(seededBytes(5));
  assert.ok(fails((out) => out.forEach((_, i) => (out[i] = (u.next() - 0.5) * Math.sqrt(12)))), 'uniform with unit variance');
  assert.ok(fails((out) => { zig.fill(out); out.forEach((v, i) => (out[i] = Math.round(v * 4) / 4)); }), 'rounded to a grid');
  assert.ok(fails((out) => { zig.fill(out); for (let i = 1; i < out.length; i++) out[i] = 0.95 * out[i] + 0.3122 * out[i - 1]; }), 'lag-1 correlated');
  assert.ok(fails((out) => { zig.fill(out); out.forEach((v, i) => (out[i] = Math.abs(v) > 3.4426 ? 0 : v)); }), 'no tail');
});

test('noise sources: seeded ones reproduce, CSPRNG ones do not repeat, the worker hands out fresh samples every call', () => {
  const a = createGaussianNoise({ seed: 9 }).standardNormals(1000).slice();
  const b = createGaussianNoise({ seed: 9 }).standardNormals(1000).slice();
  assert.deepEqual(a, b);
  assert.equal(createGaussianNoise({ seed: 9 }).cryptographic, false);
  assert.throws(() => createGaussianNoise({ seed: 9, secure: true }), (e: unknown) => e instanceof ConfigError && /cannot be seeded/.test((e as Error).message));
  const inline = createGaussianNoise({});
  assert.equal(inline.cryptographic, true);
  assert.equal(inline.hardened, false);
  assert.equal(createGaussianNoise({ secure: true }).hardened, true);
  const first = inline.standardNormals(1000).slice();
  assert.notDeepEqual(inline.standardNormals(1000).slice(), first);

  const worker = new PrefetchingNoise(false);
  try {
    const size = 50_000;
    const draws: Float32Array[] = [];
    for (let k = 0; k < 8; k++) draws.push(worker.standardNormals(size).slice());
    assert.ok(worker.served.prefetched >= 6, `served ${JSON.stringify(worker.served)}`);
    for (let k = 1; k < draws.length; k++) {
      let same = 0;
      for (let i = 0; i < size; i++) if (draws[k][i] === draws[k - 1][i]) same++;
      assert.ok(same < 5, `call ${k} repeats ${same} values of the previous call`);
    }
    const all = new Float32Array(size * draws.length);
    draws.forEach((d, k) => all.set(d, k * size));
    const s = normality(all);
    for (const [k, v] of Object.entries(s.z)) assert.ok(Math.abs(v) < RANDOM.z, `worker noise: ${k} is ${v.toFixed(2)} standard errors off`);
    assert.ok(s.ksScaled < RANDOM.ks, `worker noise KS ${s.ksScaled}`);
  } finally {
    worker.dispose();
  }
});

test('scaled noise: normals(size, std) is N(0, std²), fresh every call, scaled by the worker for a steady std and on the main thread when the std changes; secure mode too', () => {
  const checkScaled = (draws: Float32Array[], std: number, what: string) => {
    for (let k = 1; k < draws.length; k++) {
      let same = 0;
      for (let i = 0; i < draws[k].length; i++) if (draws[k][i] === draws[k - 1][i]) same++;
      assert.ok(same < 5, `${what}: call ${k} repeats ${same} values of the previous call`);
    }
    const all = new Float32Array(draws.reduce((n, d) => n + d.length, 0));
    let offset = 0;
    for (const d of draws) {
      for (let i = 0; i < d.length; i++) all[offset + i] = d[i] / std;
      offset += d.length;
    }
    const s = normality(all);
    for (const [k, v] of Object.entries(s.z)) assert.ok(Math.abs(v) < RANDOM.z, `${what}: ${k} is ${v.toFixed(2)} standard errors off`);
    assert.ok(s.ksScaled < RANDOM.ks, `${what}: KS ${s.ksScaled}`);
  };
  // Inline: the unit samples times std, exactly.
  const seeded = createGaussianNoise({ seed: 31 });
  const unit = createGaussianNoise({ seed: 31 }).standardNormals(1000).slice();
  assert.deepEqual(seeded.normals(1000, 0.37), unit.map((v) => v * 0.37));

  for (const secure of [false, true]) {
    const worker = new PrefetchingNoise(secure);
    try {
      const size = secure ? 20_000 : 50_000;
      const what = secure ? 'secure worker' : 'worker';
      const steady: Float32Array[] = [];
      for (let k = 0; k < 8; k++) steady.push(worker.normals(size, 0.37).slice());
      assert.equal(worker.served.inline, 1, `${what}: only the first call is inline`);
      assert.equal(worker.served.scaledHere, 0, `${what}: a steady std is scaled in the worker`);
      checkScaled(steady, 0.37, `${what}, std 0.37`);
      // A new std (adaptive clipping): at most the slot already filled is scaled here.
      const changed: Float32Array[] = [];
      for (let k = 0; k < 6; k++) changed.push(worker.normals(size, 2.5).slice());
      assert.ok(worker.served.scaledHere <= 1, `${what}: ${worker.served.scaledHere} slots scaled on the main thread`);
      checkScaled([steady[steady.length - 1], ...changed].slice(1), 2.5, `${what}, std 2.5`);
      assert.notDeepEqual(changed[0].slice(0, 20), steady[steady.length - 1].slice(0, 20).map((v) => (v / 0.37) * 2.5), `${what}: a new std gets fresh samples`);
      // Unit samples from the same source.
      const units: Float32Array[] = [];
      for (let k = 0; k < 4; k++) units.push(worker.standardNormals(size).slice());
      checkScaled(units, 1, `${what}, unit`);
    } finally {
      worker.dispose();
    }
  }
});

test('uniform stream: 53-bit values in [0, 1), open variant never 0', () => {
  const u = new UniformStream(seededBytes(11), 64);
  let sum = 0;
  const n = 100_000;
  for (let i = 0; i < n; i++) {
    const v = u.next();
    assert.ok(v >= 0 && v < 1);
    assert.ok(Number.isInteger(v * 2 ** 53));
    sum += v;
    assert.ok(u.nextOpen() > 0);
  }
  assert.ok(Math.abs(sum / n - 0.5) < 5 * Math.sqrt(1 / 12 / n));
});
