import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../../../src/errors.js';
import { SeededRandom } from '../../../src/engine/random.js';
import {
  clientBootstrapInterval,
  ratioEstimate,
  ratioEstimateFromMoments,
  ratioMoments,
  sampleEvaluationClients,
} from '../../../src/federated/evaluation/index.js';
import { studentTQuantile } from '../../../src/privacy/text/index.js';

const close = (a: number, b: number, tol: number, what: string) => assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);

test('studentTQuantile matches published two-sided t values', () => {
  close(studentTQuantile(0.95, 1), 12.7062047, 1e-5, 't(0.975, 1)');
  close(studentTQuantile(0.95, 2), 4.3026527, 1e-6, 't(0.975, 2)');
  close(studentTQuantile(0.95, 10), 2.2281389, 1e-6, 't(0.975, 10)');
  close(studentTQuantile(0.9, 30), 1.6972609, 1e-6, 't(0.95, 30)');
  close(studentTQuantile(0.99, 4), 4.6040949, 1e-6, 't(0.995, 4)');
});

// Three clients: (correct, examples) = (8, 10), (3, 5), (9, 15), worked by hand:
// R = 20/30 = 2/3; residuals e = 8 − 20/3 = 4/3, 3 − 10/3 = −1/3, 9 − 10 = −1; Σe² = 16/9 + 1/9 + 1 = 26/9;
// s² = 13/9; n̄ = 10; Var = s²/(K n̄²) = (13/9)/300; SE = 0.0693889; t(0.975, 2) = 4.3026527;
// interval 2/3 ± 0.298556 = [0.368110, 0.965223]. With N = 6 clients: Var × (1 − 3/6), SE = 0.0490653.
const Y = [8, 3, 9];
const N = [10, 5, 15];

test('ratioEstimate: three clients by hand, without and with the finite-population correction', () => {
  const r = ratioEstimate(Y, N);
  close(r.estimate, 2 / 3, 1e-12, 'estimate');
  close(r.standardError, Math.sqrt(13 / 9 / 300), 1e-12, 'standard error');
  close(r.low, 0.36811047, 1e-7, 'low');
  close(r.high, 0.96522286, 1e-7, 'high');
  assert.equal(r.clients, 3);
  assert.equal(r.denominator, 30);
  assert.equal(r.degreesOfFreedom, 2);
  const f = ratioEstimate(Y, N, { populationClients: 6 });
  close(f.standardError, 0.04906534, 1e-8, 'standard error with fpc');
  close(f.low, 0.45555556, 1e-7, 'low with fpc');
  close(f.high, 0.87777778, 1e-7, 'high with fpc');
  assert.equal(f.samplingFraction, 0.5);
  // every client sampled: no sampling error left
  const all = ratioEstimate(Y, N, { populationClients: 3 });
  assert.equal(all.standardError, 0);
  assert.equal(all.low, all.high);
  // clamped to bounds
  const clamped = ratioEstimate(Y, N, { bounds: [0, 0.9] });
  assert.equal(clamped.high, 0.9);
});

test('ratioEstimateFromMoments (what secure aggregation reveals) equals the residual path', () => {
  const m = ratioMoments(Y, N);
  assert.deepEqual(m, { clients: 3, sumY: 20, sumN: 30, sumYY: 154, sumYN: 230, sumNN: 350 });
  const a = ratioEstimate(Y, N, { populationClients: 10 });
  const b = ratioEstimateFromMoments(m, { populationClients: 10 });
  close(b.estimate, a.estimate, 1e-15, 'estimate');
  close(b.standardError, a.standardError, 1e-12, 'standard error');
  close(b.low, a.low, 1e-12, 'low');
});

test('ratioEstimate: a client with no examples counts in K but adds nothing to the sums', () => {
  // (0, 0) joins: K = 4, R unchanged; residual 0; s² = (26/9)/3; n̄ = 7.5
  const r = ratioEstimate([...Y, 0], [...N, 0]);
  close(r.estimate, 2 / 3, 1e-12, 'estimate');
  close(r.standardError, Math.sqrt(26 / 9 / 3 / (4 * 7.5 * 7.5)), 1e-12, 'standard error');
});

test('ratioEstimate: bad input is a ConfigError naming the problem', () => {
  assert.throws(() => ratioEstimate([1], [2]), (e: unknown) => e instanceof ConfigError && /at least 2 reporting clients/.test((e as Error).message));
  assert.throws(() => ratioEstimate([0, 0], [0, 0]), (e: unknown) => e instanceof ConfigError && /Σn = 0/.test((e as Error).message));
  assert.throws(() => ratioEstimate([1, 2], [2]), ConfigError);
  assert.throws(() => ratioEstimate([1, Number.NaN], [2, 2]), ConfigError);
  assert.throws(() => ratioEstimate(Y, N, { populationClients: 2 }), /populationClients/);
  assert.throws(() => ratioEstimate(Y, N, { confidence: 1 }), /confidence/);
});

/**
 * A synthetic federation with known truth: 200 clients with heavy-tailed sizes and
 * client-specific accuracies (so examples within a client are correlated). Each trial draws
 * K = 50 clients without replacement and simulates their correct counts once, so the
 * population ratio is fixed. The 95% interval must cover it in 90–98% of 600 trials (the
 * linearised ratio interval runs a few points under nominal with sizes this heavy-tailed: 0.90–0.93
 * over five such populations); an interval that ignores the clustering (binomial over
 * examples) must fall well short.
 */
test('interval coverage on a synthetic federation with known truth', () => {
  const rng = new SeededRandom(7);
  const clients = 200;
  const sizes = Array.from({ length: clients }, () => 2 + Math.floor(Math.exp(rng.normal() * 0.9 + 3)));
  // a client's accuracy: a logistic-normal around 0.7, plus a size effect (bigger clients slightly better)
  const correct = sizes.map((n) => {
    const p = 1 / (1 + Math.exp(-(0.85 + 0.9 * rng.normal() + 0.1 * Math.log(n))));
    let c = 0;
    for (let i = 0; i < n; i++) if (rng.next() < p) c++;
    return c;
  });
  const truth = correct.reduce((a, b) => a + b, 0) / sizes.reduce((a, b) => a + b, 0);
  const ids = sizes.map((_, k) => String(k));
  const trials = 600;
  let covered = 0;
  let coveredNaive = 0;
  let coveredNoCorrection = 0;
  for (let t = 0; t < trials; t++) {
    const sample = sampleEvaluationClients(ids, 50, new SeededRandom(1000 + t)).map(Number);
    const y = sample.map((k) => correct[k]);
    const n = sample.map((k) => sizes[k]);
    const r = ratioEstimate(y, n, { populationClients: clients });
    if (r.low <= truth && truth <= r.high) covered++;
    const wide = ratioEstimate(y, n);
    if (wide.low <= truth && truth <= wide.high) coveredNoCorrection++;
    // the example-level binomial interval treats every example as independent
    const total = n.reduce((a, b) => a + b, 0);
    const half = 1.96 * Math.sqrt((r.estimate * (1 - r.estimate)) / total);
    if (r.estimate - half <= truth && truth <= r.estimate + half) coveredNaive++;
  }
  const coverage = covered / trials;
  assert.ok(coverage >= 0.9 && coverage <= 0.98, `coverage of the 95% interval ${coverage}`);
  assert.ok(coveredNaive / trials < 0.85, `the example-level interval should under-cover under client heterogeneity, got ${coveredNaive / trials}`);
  // without the correction (K/N = 1/4) the interval is conservative
  assert.ok(coveredNoCorrection >= covered, `${coveredNoCorrection} vs ${covered}`);
});

test('clientBootstrapInterval brackets the estimate and is reproducible from its seed', () => {
  const y = [8, 3, 9, 12, 4, 7];
  const n = [10, 5, 15, 14, 9, 8];
  const a = clientBootstrapInterval(y, n, { rng: new SeededRandom(3), resamples: 500 });
  const b = clientBootstrapInterval(y, n, { rng: new SeededRandom(3), resamples: 500 });
  assert.deepEqual(a, b);
  const r = ratioEstimate(y, n);
  assert.ok(a.low < r.estimate && r.estimate < a.high, JSON.stringify({ a, r: r.estimate }));
});

test('sampleEvaluationClients: K distinct clients; K < 2 or K > N is a ConfigError', () => {
  const ids = Array.from({ length: 10 }, (_, i) => `c${i}`);
  const s = sampleEvaluationClients(ids, 5, new SeededRandom(1));
  assert.equal(new Set(s).size, 5);
  assert.deepEqual(s, sampleEvaluationClients(ids, 5, new SeededRandom(1)));
  assert.throws(() => sampleEvaluationClients(ids, 1, new SeededRandom(1)), ConfigError);
  assert.throws(() => sampleEvaluationClients(ids, 11, new SeededRandom(1)), /lower --evaluation-clients/);
});
