import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../../../src/errors.js';
import { SeededRandom } from '../../../src/engine/random.js';
import {
  activityProbabilities,
  activitySampler,
  powerOfChoiceSampler,
  uniformSampler,
  type ClientInfo,
  type ClientSampler,
} from '../../../src/federated/selection/index.js';

// Five clients of very different sizes (N = 100) with scalar "updates" Δ.
const CLIENTS: ClientInfo[] = [
  { id: 'a', numExamples: 1 },
  { id: 'b', numExamples: 3 },
  { id: 'c', numExamples: 10 },
  { id: 'd', numExamples: 30 },
  { id: 'e', numExamples: 56 },
];
const DELTA: Record<string, number> = { a: 5, b: -2, c: 1, d: 0.5, e: -1 };
// full-participation target Σ (nₖ/N)Δₖ = (5 − 6 + 10 + 15 − 56)/100 = −0.32
const TARGET = -0.32;

/** Mean and standard error over `rounds` of the per-round estimate Σ wᵢ·Δ_{cᵢ}. */
function monteCarlo(sampler: ClientSampler, k: number, rounds: number, seed: number): { mean: number; se: number } {
  const rng = new SeededRandom(seed);
  let sum = 0;
  let sumSq = 0;
  for (let r = 0; r < rounds; r++) {
    const s = sampler.sample(r, CLIENTS, k, rng);
    let est = 0;
    s.clients.forEach((id, i) => (est += s.aggregationWeights[i] * DELTA[id]));
    sum += est;
    sumSq += est * est;
  }
  const mean = sum / rounds;
  const variance = (sumSq - rounds * mean * mean) / (rounds - 1);
  return { mean, se: Math.sqrt(variance / rounds) };
}

/** The naive scheme: draw ∝ n with replacement and weight ∝ n over the drawn clients. */
const naiveSampler: ClientSampler = {
  name: 'naive',
  sample(round, available, k, rng) {
    const base = activitySampler(1).sample(round, available, k, rng);
    const size = (id: string): number => available.find((c) => c.id === id)!.numExamples;
    const total = base.clients.reduce((s, id) => s + size(id), 0);
    return { clients: base.clients, aggregationWeights: base.clients.map((id) => size(id) / total), weightsSumToOne: true };
  },
};

test('activitySampler is unbiased for the full objective (Monte Carlo, τ = 0, 0.5, 1)', () => {
  for (const tau of [0, 0.5, 1]) {
    const { mean, se } = monteCarlo(activitySampler(tau), 3, 20000, 100 + tau * 10);
    assert.ok(Math.abs(mean - TARGET) < 4 * se, `τ=${tau}: mean ${mean.toFixed(4)} vs ${TARGET}, se ${se.toFixed(4)}`);
  }
});

test('the naive "sample ∝ n, weight ∝ n" scheme is biased, and the Monte Carlo test detects it', () => {
  const { mean, se } = monteCarlo(naiveSampler, 3, 20000, 7);
  // it over-weights the big client: each size enters twice (draw and weight)
  assert.ok(Math.abs(mean - TARGET) > 8 * se, `naive mean ${mean.toFixed(4)} should be far from ${TARGET} (se ${se.toFixed(4)})`);
});

test('uniformSampler: exact expectation by enumeration shows the documented bias; Monte Carlo agrees', () => {
  // all C(5,2) = 10 pairs are equally likely; the estimate is Σ n·Δ / Σ n over the pair
  const ids = CLIENTS.map((c) => c.id);
  let exact = 0;
  for (let i = 0; i < 5; i++) {
    for (let j = i + 1; j < 5; j++) {
      const [ci, cj] = [CLIENTS[i], CLIENTS[j]];
      exact += (ci.numExamples * DELTA[ids[i]] + cj.numExamples * DELTA[ids[j]]) / (ci.numExamples + cj.numExamples) / 10;
    }
  }
  assert.ok(Math.abs(exact - TARGET) > 0.2, `expected a clear bias, exact expectation ${exact}`);
  const { mean, se } = monteCarlo(uniformSampler(), 2, 20000, 3);
  assert.ok(Math.abs(mean - exact) < 4 * se, `uniform MC mean ${mean} vs exact ${exact} (se ${se})`);
});

test('uniformSampler: k distinct clients, weights ∝ n over the selected, each client with probability k/M', () => {
  const rng = new SeededRandom(1);
  const counts: Record<string, number> = {};
  const rounds = 5000;
  for (let r = 0; r < rounds; r++) {
    const s = uniformSampler().sample(r, CLIENTS, 2, rng);
    assert.equal(new Set(s.clients).size, 2);
    assert.ok(s.weightsSumToOne);
    const sizes = s.clients.map((id) => CLIENTS.find((c) => c.id === id)!.numExamples);
    const total = sizes[0] + sizes[1];
    assert.deepEqual(s.aggregationWeights, sizes.map((n) => n / total));
    for (const id of s.clients) counts[id] = (counts[id] ?? 0) + 1;
  }
  // P(selected) = 2/5; binomial standard error √(0.4·0.6/5000) ≈ 0.007
  for (const c of CLIENTS) assert.ok(Math.abs(counts[c.id] / rounds - 0.4) < 0.03, `${c.id}: ${counts[c.id] / rounds}`);
  assert.throws(() => uniformSampler().sample(0, CLIENTS, 6, rng), (e: Error) => e instanceof ConfigError && /k = 6 distinct clients from 5/.test(e.message));
});

test('activitySampler: draw frequencies follow nₖ^τ; τ = 1 weights are exactly 1/K', () => {
  const p = activityProbabilities(CLIENTS, 0.5);
  const z = CLIENTS.reduce((s, c) => s + Math.sqrt(c.numExamples), 0);
  CLIENTS.forEach((c, i) => assert.ok(Math.abs(p[i] - Math.sqrt(c.numExamples) / z) < 1e-15));
  const rng = new SeededRandom(2);
  const counts: Record<string, number> = {};
  const rounds = 4000;
  for (let r = 0; r < rounds; r++) {
    const s = activitySampler(0.5).sample(r, CLIENTS, 5, rng);
    assert.equal(s.weightsSumToOne, false);
    for (const id of s.clients) counts[id] = (counts[id] ?? 0) + 1;
  }
  CLIENTS.forEach((c, i) => assert.ok(Math.abs(counts[c.id] / (5 * rounds) - p[i]) < 0.015, `${c.id}: ${counts[c.id] / (5 * rounds)} vs ${p[i]}`));
  const one = activitySampler(1).sample(0, CLIENTS, 4, new SeededRandom(3));
  assert.deepEqual(one.aggregationWeights, [0.25, 0.25, 0.25, 0.25]);
  assert.ok(one.weightsSumToOne);
  // with replacement, k may exceed the number of clients
  assert.equal(activitySampler(0).sample(0, CLIENTS, 12, new SeededRandom(3)).clients.length, 12);
  const normalised = activitySampler(0.3, { normalize: true }).sample(0, CLIENTS, 3, new SeededRandom(4));
  assert.ok(Math.abs(normalised.aggregationWeights.reduce((s, w) => s + w, 0) - 1) < 1e-12 && normalised.weightsSumToOne);
  assert.throws(() => activitySampler(1.5), ConfigError);
});

test('samplers are deterministic for a seed and independent of the order clients are listed in', () => {
  const reversed = CLIENTS.slice().reverse();
  for (const sampler of [uniformSampler(), activitySampler(0.5), powerOfChoiceSampler({ candidates: 4 })]) {
    const a = sampler.sample(3, CLIENTS, 2, new SeededRandom(42));
    const b = sampler.sample(3, reversed, 2, new SeededRandom(42));
    assert.deepEqual(a, b, sampler.name);
  }
});

test('powerOfChoiceSampler: with d = M it keeps the k highest losses; unknown losses first; weights 1/k', () => {
  const withLoss: ClientInfo[] = [
    { id: 'a', numExamples: 1, lastLoss: 0.2 },
    { id: 'b', numExamples: 3, lastLoss: 2.5 },
    { id: 'c', numExamples: 10, lastLoss: 0.9 },
    { id: 'd', numExamples: 30, lastLoss: 1.7 },
    { id: 'e', numExamples: 56, lastLoss: 0.1 },
  ];
  const s = powerOfChoiceSampler({ candidates: 5 }).sample(0, withLoss, 2, new SeededRandom(5));
  assert.deepEqual(s.clients, ['b', 'd']);
  assert.deepEqual(s.aggregationWeights, [0.5, 0.5]);
  const fresh = withLoss.map((c) => (c.id === 'e' ? { id: 'e', numExamples: 56 } : c));
  assert.deepEqual(powerOfChoiceSampler({ candidates: 5 }).sample(0, fresh, 2, new SeededRandom(5)).clients, ['e', 'b']);
  assert.throws(() => powerOfChoiceSampler({ candidates: 1 }).sample(0, withLoss, 2, new SeededRandom(5)), /need k ≤ d/);
  assert.throws(() => powerOfChoiceSampler({ candidates: 0 }), ConfigError);
});

test('powerOfChoiceSampler: candidates are drawn ∝ n without replacement (d = 1 frequencies)', () => {
  // with d = k = 1 the selection is a single draw ∝ nₖ
  const rng = new SeededRandom(8);
  const counts: Record<string, number> = {};
  const rounds = 5000;
  for (let r = 0; r < rounds; r++) {
    const id = powerOfChoiceSampler({ candidates: 1 }).sample(r, CLIENTS, 1, rng).clients[0];
    counts[id] = (counts[id] ?? 0) + 1;
  }
  for (const c of CLIENTS) assert.ok(Math.abs((counts[c.id] ?? 0) / rounds - c.numExamples / 100) < 0.025, `${c.id}: ${(counts[c.id] ?? 0) / rounds}`);
});

test('samplers reject bad client lists', () => {
  const rng = new SeededRandom(0);
  assert.throws(() => uniformSampler().sample(0, [], 1, rng), /no clients available/);
  assert.throws(() => uniformSampler().sample(0, [{ id: 'x', numExamples: 0 }], 1, rng), /"x" has numExamples 0/);
  assert.throws(() => uniformSampler().sample(0, [{ id: 'x', numExamples: 1 }, { id: 'x', numExamples: 2 }], 1, rng), /appears twice/);
  assert.throws(() => uniformSampler().sample(-1, CLIENTS, 1, rng), /round/);
  assert.throws(() => activitySampler(0.5).sample(0, CLIENTS, 0, rng), /k \(clients per round\)/);
});
