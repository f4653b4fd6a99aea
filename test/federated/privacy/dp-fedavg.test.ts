/**
 * DP-FedAvg and the private-aggregation wrapper against hand-worked and independent
 * computations: clipping, the fixed-denominator noised mean, the sign of adaptive clipping
 * (Andrew et al.: the fraction of UNCLIPPED updates drives C), ε from the accountant, and
 * secure aggregation inside the strategy reproducing the fixed-point plain sum bit for bit.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRandom } from '../../../src/engine/random.js';
import { ConfigError } from '../../../src/errors.js';
import { computeEpsilon, adjustedNoiseMultiplier } from '../../../src/privacy/index.js';
import { activitySampler } from '../../../src/federated/selection/index.js';
import { fedAvg, fedMedian } from '../../../src/federated/strategies/index.js';
import { clipUpdate, privateAggregation, type PrivateAggregationOptions } from '../../../src/federated/privacy/index.js';
import type { ParameterSet } from '../../../src/federated/aggregate/index.js';
import type { FitResult } from '../../../src/federated/strategy.js';

const POPULATION = 20;
const CLIENTS = Array.from({ length: POPULATION }, (_, i) => ({ id: `c${String(i).padStart(2, '0')}`, numExamples: 10 + i }));

function initial(p: number): ParameterSet {
  return { names: ['w', 'b'], arrays: [Float32Array.from({ length: p - 3 }, (_, i) => Math.sin(i)), new Float32Array([0.5, -0.5, 0])] };
}

/** One round: selection by the wrapper, then a delta per selected client from `deltaOf`. */
function playRound(strategy: ReturnType<typeof privateAggregation>, round: number, deltaOf: (k: number, layout: ParameterSet) => ParameterSet, drop: number[] = []) {
  const instructions = strategy.configureFit(round, CLIENTS, new SeededRandom(round));
  const results: FitResult[] = [];
  const failures = [];
  for (const [k, ins] of instructions.entries()) {
    if (drop.includes(k)) failures.push({ clientId: ins.clientId, reason: 'dropout' as const });
    else results.push({ clientId: ins.clientId, numExamples: 10, delta: deltaOf(k, ins.parameters), metrics: { loss: 1 } });
  }
  return { instructions, results, failures };
}

function scaledDelta(layout: ParameterSet, seed: number, norm: number): ParameterSet {
  const rng = new SeededRandom(seed);
  const arrays = layout.arrays.map((a) => Float32Array.from({ length: a.length }, () => rng.normal()));
  const total = Math.sqrt(arrays.reduce((s, a) => s + a.reduce((t, v) => t + v * v, 0), 0));
  for (const a of arrays) for (let j = 0; j < a.length; j++) a[j] *= norm / total;
  return { names: layout.names.slice(), arrays };
}

const flat = (p: ParameterSet) => Float64Array.from(p.arrays.flatMap((a) => [...a]));

test('clipUpdate scales the whole update to norm C (hand-worked 3-4-5)', () => {
  const c = clipUpdate([3, 4], 1);
  assert.deepEqual([...c.clipped], [0.6000000000000001, 0.8]);
  assert.equal(c.norm, 5);
  assert.equal(c.unclipped, false);
  const d = clipUpdate([0.3, 0.4], 1);
  assert.deepEqual([...d.clipped], [0.3, 0.4]);
  assert.equal(d.unclipped, true);
  assert.throws(() => clipUpdate([1], 0), ConfigError);
});

test('DP-FedAvg without noise is Σ clip_C(Δₖ) / K with the fixed denominator K, even when a client drops', () => {
  const K = 4;
  const strategy = privateAggregation(fedAvg({ clientsPerRound: K }), { dp: { clip: 1, noiseMultiplier: 0, delta: 1e-5, population: POPULATION, rounds: 3 } });
  const x0 = initial(12);
  strategy.initialize(x0);
  const norms = [0.5, 2, 4, 0.25];
  const { results, failures } = playRound(strategy, 1, (k, layout) => scaledDelta(layout, k, norms[k]), [3]);
  const out = strategy.aggregateFit(1, results, failures);
  // independent computation: per-client scale min(1, C/‖Δ‖), summed by a loop, divided by K = 4 (not 3)
  const expected = flat(x0);
  for (const r of results) {
    const d = flat(r.delta!);
    const norm = Math.sqrt(d.reduce((s, v) => s + v * v, 0));
    const scale = Math.min(1, 1 / norm);
    for (let j = 0; j < d.length; j++) expected[j] += (d[j] * scale) / K;
  }
  const got = flat(out.parameters);
  for (let j = 0; j < got.length; j++) assert.ok(Math.abs(got[j] - expected[j]) < 1e-6, `coordinate ${j}`);
  assert.equal(out.metrics.clients, 3);
  assert.equal(out.metrics.dpClip, 1);
});

test('DP-FedAvg noise on the mean has std σC/K and zero mean (seeded noise, 30,000 coordinates)', () => {
  const K = 5;
  const strategy = privateAggregation(fedAvg({ clientsPerRound: K }), { dp: { clip: 2, noiseMultiplier: 1.5, delta: 1e-5, population: POPULATION, rounds: 1, noiseSeed: 7 } });
  const x0 = initial(30_000);
  strategy.initialize(x0);
  const zero = (layout: ParameterSet) => ({ names: layout.names.slice(), arrays: layout.arrays.map((a) => new Float32Array(a.length)) });
  const { results, failures } = playRound(strategy, 1, (_k, layout) => zero(layout));
  const out = strategy.aggregateFit(1, results, failures);
  const a = flat(out.parameters);
  const b = flat(x0);
  let mean = 0;
  let sq = 0;
  for (let j = 0; j < a.length; j++) {
    mean += a[j] - b[j];
    sq += (a[j] - b[j]) ** 2;
  }
  mean /= a.length;
  const std = Math.sqrt(sq / a.length - mean * mean);
  const expected = (1.5 * 2) / K;
  assert.ok(Math.abs(std / expected - 1) < 0.03, `std ${std} vs σC/K = ${expected}`);
  assert.ok(Math.abs(mean) < (4 * expected) / Math.sqrt(a.length), `mean ${mean}`);
  assert.equal(out.metrics.dpNoiseStd, expected);
});

test('adaptive clipping sign (Andrew et al.): with γ = 0.5 and every update far below C, C shrinks by exp(−η(1 − γ)); far above, it grows', () => {
  for (const [norm, direction] of [[0.001, -1], [100, 1]] as const) {
    const strategy = privateAggregation(fedAvg({ clientsPerRound: 4 }), {
      dp: { clip: { initialClip: 1, targetQuantile: 0.5, learningRate: 0.2, countNoiseStd: 0 }, noiseMultiplier: 0, delta: 1e-5, population: POPULATION, rounds: 1 },
    });
    strategy.initialize(initial(8));
    const { results, failures } = playRound(strategy, 1, (k, layout) => scaledDelta(layout, k, norm));
    const out = strategy.aggregateFit(1, results, failures);
    // b̄ = fraction unclipped = 1 (below) or 0 (above); C₁ = C₀ · exp(−0.2 · (b̄ − 0.5))
    assert.equal(out.metrics.dpUnclippedFraction, direction === -1 ? 1 : 0);
    assert.ok(Math.abs(strategy.clipNorm! - Math.exp(-direction * -0.1)) < 1e-12, `C after one round: ${strategy.clipNorm}`);
    assert.ok(direction === -1 ? strategy.clipNorm! < 1 : strategy.clipNorm! > 1);
  }
});

test('adaptive clipping tracks the target quantile of the update norms', () => {
  const K = 10;
  const strategy = privateAggregation(fedAvg({ clientsPerRound: K }), {
    dp: { clip: { initialClip: 5, targetQuantile: 0.3, learningRate: 0.3, countNoiseStd: 0 }, noiseMultiplier: 0, delta: 1e-5, population: POPULATION, rounds: 1 },
  });
  strategy.initialize(initial(6));
  // norms 0.1, 0.2, ..., 1.0 in every round: the 30% quantile sits between 0.3 and 0.4
  for (let round = 1; round <= 80; round++) {
    const { results, failures } = playRound(strategy, round, (k, layout) => scaledDelta(layout, round * 100 + k, 0.1 * (k + 1)));
    strategy.aggregateFit(round, results, failures);
  }
  assert.ok(strategy.clipNorm! > 0.25 && strategy.clipNorm! < 0.45, `C = ${strategy.clipNorm}`);
});

test('ε is the accountant\'s for q = K/N over the rounds that ran; --dp-epsilon calibrates σ to meet the target', () => {
  const K = 4;
  const fixed = privateAggregation(fedAvg({ clientsPerRound: K }), { dp: { clip: 1, noiseMultiplier: 1.1, delta: 1e-5, population: POPULATION, rounds: 5, noiseSeed: 1 } });
  fixed.initialize(initial(4));
  for (let round = 1; round <= 3; round++) {
    const { results, failures } = playRound(fixed, round, (k, layout) => scaledDelta(layout, k, 1));
    fixed.aggregateFit(round, results, failures);
  }
  const report = fixed.privacyReport().dp!;
  assert.equal(report.rounds, 3);
  assert.equal(report.sampleRate, 0.2);
  assert.equal(report.epsilon, computeEpsilon({ sampleRate: K / POPULATION, noiseMultiplier: 1.1, steps: 3, delta: 1e-5 }).epsilon);

  const calibrated = privateAggregation(fedAvg({ clientsPerRound: K }), { dp: { clip: 1, epsilon: 3, delta: 1e-5, population: POPULATION, rounds: 10 } });
  const sigma = calibrated.noiseMultiplier;
  assert.ok(computeEpsilon({ sampleRate: 0.2, noiseMultiplier: sigma, steps: 10, delta: 1e-5 }).epsilon <= 3);
  assert.ok(computeEpsilon({ sampleRate: 0.2, noiseMultiplier: sigma * 0.99, steps: 10, delta: 1e-5 }).epsilon > 3);

  // adaptive clipping: the update noise is raised so the two queries together cost σ
  const adaptive = privateAggregation(fedAvg({ clientsPerRound: 20 }), { dp: { clip: 'auto', noiseMultiplier: 1, delta: 1e-5, population: POPULATION, rounds: 1 } });
  const r = adaptive.privacyReport().dp!;
  assert.equal(r.countNoiseStd, 1); // K/20
  assert.ok(Math.abs(r.updateNoiseMultiplier - 1 / Math.sqrt(1 - 1 / 4)) < 1e-12);
  assert.equal(r.updateNoiseMultiplier, adjustedNoiseMultiplier(1, 1));
  assert.throws(
    () => privateAggregation(fedAvg({ clientsPerRound: 4 }), { dp: { clip: 'auto', noiseMultiplier: 1, delta: 1e-5, population: POPULATION, rounds: 1 } }),
    (e: Error) => e instanceof ConfigError && /count noise σ_b .* select more clients per round/.test(e.message),
  );
});

test('secure aggregation inside the strategy reproduces the fixed-point plain aggregate bit for bit (with and without DP)', async () => {
  const cases: PrivateAggregationOptions[] = [
    { secureAggregation: true },
    { secureAggregation: { range: 0.5 }, dp: { clip: { initialClip: 0.3, countNoiseStd: 0.5 }, noiseMultiplier: 0.5, delta: 1e-5, population: POPULATION, rounds: 2, noiseSeed: 3 } },
  ];
  for (const options of cases) {
    const plain = privateAggregation(fedAvg({ clientsPerRound: 6 }), options);
    const secure = privateAggregation(fedAvg({ clientsPerRound: 6 }), options);
    plain.initialize(initial(50));
    secure.initialize(initial(50));
    for (let round = 1; round <= 2; round++) {
      const play = (s: typeof plain) => playRound(s, round, (k, layout) => scaledDelta(layout, round * 10 + k, 0.1 + 0.1 * k), [2]);
      const a = play(plain);
      const b = play(secure);
      const reference = plain.aggregateFit(round, a.results, a.failures);
      const viaProtocol = await secure.aggregateFitAsync(round, b.results, b.failures);
      assert.deepEqual(flat(viaProtocol.parameters), flat(reference.parameters), `round ${round}: bit-identical global model`);
      assert.equal(viaProtocol.metrics.secaggMatchesPlain, 1);
    }
    assert.equal(secure.privacyReport().secureAggregation!.mismatches, 0);
    assert.equal(secure.privacyReport().secureAggregation!.rounds, 2);
  }
  // and the fixed-point mean is the float mean up to the encoding step
  const fp = privateAggregation(fedAvg({ clientsPerRound: 6 }), { secureAggregation: true });
  const fl = fedAvg({ clientsPerRound: 6 });
  fp.initialize(initial(30));
  fl.initialize(initial(30));
  const a = playRound(fp, 1, (k, layout) => scaledDelta(layout, k, 0.5));
  const b = fl.configureFit(1, CLIENTS, new SeededRandom(1));
  assert.deepEqual(b.map((i) => i.clientId), a.instructions.map((i) => i.clientId));
  const x = flat(fp.aggregateFit(1, a.results, a.failures).parameters);
  const y = flat(fl.aggregateFit(1, a.results, a.failures).parameters);
  for (let j = 0; j < x.length; j++) assert.ok(Math.abs(x[j] - y[j]) < 1e-6);
});

test('private aggregation refuses robust aggregators, and importance weights without DP', () => {
  assert.throws(() => privateAggregation(fedMedian({ clientsPerRound: 4 }), { secureAggregation: true }), /median aggregator needs every individual update/);
  const weighted = privateAggregation(fedAvg({ clientsPerRound: 4, sampler: activitySampler(0.5) }), { secureAggregation: true });
  weighted.initialize(initial(4));
  const clients = CLIENTS.map((c, i) => ({ ...c, lastLoss: 1 + i }));
  const instructions = weighted.configureFit(1, clients, new SeededRandom(3));
  // importance weights sum to one only in expectation (here 0.98): renormalising them would bias the estimate
  const total = instructions.reduce((s, i) => s + i.weight, 0);
  assert.ok(Math.abs(total - 1) > 1e-3, `weights sum to ${total}`);
  assert.throws(() => weighted.aggregateFit(1, [], []), /weights that sum to one \(these sum to 0\.98/);
  assert.throws(() => privateAggregation(fedAvg({ clientsPerRound: 30 }), { dp: { clip: 1, noiseMultiplier: 1, delta: 1e-5, population: POPULATION, rounds: 1 } }), /exceeds the population of 20/);
  assert.throws(() => privateAggregation(fedAvg({ clientsPerRound: 3 }), { dp: { clip: 1, delta: 1e-5, population: POPULATION, rounds: 1 } }), /exactly one of a noise multiplier/);
});

test('with secure aggregation a round with a single update leaves the model unchanged on both paths', async () => {
  for (const path of ['plain', 'protocol'] as const) {
    const strategy = privateAggregation(fedAvg({ clientsPerRound: 3 }), { secureAggregation: true });
    const x0 = initial(10);
    strategy.initialize(x0);
    const { results, failures } = playRound(strategy, 1, (k, layout) => scaledDelta(layout, k, 0.3), [1, 2]);
    const out = path === 'plain' ? strategy.aggregateFit(1, results, failures) : await strategy.aggregateFitAsync(1, results, failures);
    assert.equal(out.metrics.skipped, 1, path);
    assert.equal(out.metrics.secaggTooFew, 1, path);
    assert.deepEqual(flat(out.parameters), flat(x0));
  }
});
