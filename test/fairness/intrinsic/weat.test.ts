import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SeededRandom } from '../../../src/engine/random.js';
import { ConfigError, NonFiniteError, ShapeMismatchError } from '../../../src/errors.js';
import {
  binomialCoefficient,
  describeWeatQuery,
  weat,
  weatFromVectors,
  weatQueryFromSets,
  type Embed,
} from '../../../src/fairness/intrinsic/index.js';

function close(actual: number, expected: number, what: string, tolerance = 1e-12): void {
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: got ${actual}, expected ${expected}`);
}

// Hand-worked WEAT in 3 dimensions. A = {(1,0,0), (2,0,0)} and B = {(0,1,0), (0,2,0)} (same
// directions, different norms: cosine ignores length). For a unit vector w, s(w, A, B) = w₁ − w₂.
//   x1 = (3,0,0)     → s = 1          y1 = (0.6,0,0.8) → s = 0.6
//   x2 = (0,0,1)     → s = 0          y2 = (0,1,0)     → s = −1
// statistic s(X,Y,A,B) = (1 + 0) − (0.6 − 1) = 1.4
// effect size: mean_X − mean_Y = 0.5 − (−0.2) = 0.7; s over X∪Y = {1, 0, 0.6, −1}, mean 0.15,
//   squared deviations 0.7225 + 0.0225 + 0.2025 + 1.3225 = 2.27, sample variance 2.27/3,
//   effect size = 0.7/√(2.27/3) = 0.80472…  (with ddof = 0: 0.7/√(2.27/4) = 0.92921…)
// p-value: the C(4,2) = 6 re-partitions have Σ_{X_i} s = 1, 1.6, 0, 0.6, −1, −0.4 (X_i = {x1,x2},
//   {x1,y1}, {x1,y2}, {x2,y1}, {x2,y2}, {y1,y2}); only {x1,y1} exceeds the observed 1, so p = 1/6.
const vectors: Record<string, number[]> = {
  x1: [3, 0, 0],
  x2: [0, 0, 1],
  y1: [0.6, 0, 0.8],
  y2: [0, 1, 0],
  a1: [1, 0, 0],
  a2: [2, 0, 0],
  b1: [0, 1, 0],
  b2: [0, 2, 0],
};
const embed: Embed = (w) => vectors[w];
const tiny = { X: ['x1', 'x2'], Y: ['y1', 'y2'], A: ['a1', 'a2'], B: ['b1', 'b2'] };

test('hand-worked 3-d WEAT: statistic, effect size (ddof = 1) and exact p-value', () => {
  const r = weat(tiny, embed);
  close(r.statistic, 1.4, 'statistic');
  close(r.effectSize, 0.7 / Math.sqrt(2.27 / 3), 'effect size');
  close(r.effectSize, 0.8047217485013146, 'effect size (numeric)');
  assert.equal(r.exact, true);
  assert.equal(r.permutations, 6);
  assert.equal(r.exceedances, 1);
  close(r.pValue, 1 / 6, 'p');
  assert.deepEqual(Array.from(r.associations).map((v) => Math.round(v * 1e12) / 1e12), [1, 0, 0.6, -1]);
  assert.deepEqual(r.missing, []);
  close(r.associationVariance, 2.27 / 3, 'association variance');
  const wefe = weat(tiny, embed, { standardDeviation: 'population' });
  close(wefe.effectSize, 0.7 / Math.sqrt(2.27 / 4), 'ddof = 0 effect size');
});

/** Independent brute force: recompute the whole statistic from raw vectors for every subset. */
function bruteForce(X: number[][], Y: number[][], A: number[][], B: number[][]): { statistic: number; effect: number; p: number } {
  const cos = (u: number[], v: number[]) => {
    let d = 0, nu = 0, nv = 0;
    for (let i = 0; i < u.length; i++) {
      d += u[i] * v[i];
      nu += u[i] * u[i];
      nv += v[i] * v[i];
    }
    return d / Math.sqrt(nu * nv);
  };
  const s = (w: number[]) => A.reduce((t, a) => t + cos(w, a), 0) / A.length - B.reduce((t, b) => t + cos(w, b), 0) / B.length;
  const stat = (xs: number[][], ys: number[][]) => xs.reduce((t, w) => t + s(w), 0) - ys.reduce((t, w) => t + s(w), 0);
  const all = [...X, ...Y];
  const observed = stat(X, Y);
  let greater = 0;
  let total = 0;
  for (let mask = 0; mask < 1 << all.length; mask++) {
    let bits = 0;
    for (let i = 0; i < all.length; i++) if (mask & (1 << i)) bits++;
    if (bits !== X.length) continue;
    total++;
    const xi = all.filter((_, i) => mask & (1 << i));
    const yi = all.filter((_, i) => !(mask & (1 << i)));
    if (stat(xi, yi) > observed + 1e-9) greater++;
  }
  const values = all.map(s);
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const sd = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1));
  const mx = X.map(s).reduce((a, b) => a + b, 0) / X.length;
  const my = Y.map(s).reduce((a, b) => a + b, 0) / Y.length;
  return { statistic: observed, effect: (mx - my) / sd, p: greater / total };
}

function randomVectors(rng: SeededRandom, count: number, dim: number, shift: number): number[][] {
  return Array.from({ length: count }, () => Array.from({ length: dim }, (_, j) => rng.normal() + (j === 0 ? shift : 0)));
}

test('exact enumeration equals brute-force counting on small random cases (including |X| ≠ |Y|)', () => {
  const rng = new SeededRandom(123);
  for (const [nx, ny] of [[5, 4], [3, 3], [6, 5], [2, 7]]) {
    const X = randomVectors(rng, nx, 6, 0.5);
    const Y = randomVectors(rng, ny, 6, 0);
    const A = randomVectors(rng, 4, 6, 1);
    const B = randomVectors(rng, 3, 6, -0.3);
    const expected = bruteForce(X, Y, A, B);
    const r = weatFromVectors({ X, Y, A, B });
    assert.equal(r.exact, true);
    assert.equal(r.permutations, binomialCoefficient(nx + ny, nx));
    close(r.pValue, expected.p, `p for ${nx}+${ny}`);
    close(r.statistic, expected.statistic, `statistic for ${nx}+${ny}`, 1e-12);
    close(r.effectSize, expected.effect, `effect for ${nx}+${ny}`, 1e-12);
  }
});

test('Monte Carlo p-value over random re-partitions is close to the exact one (9 + 9 words)', () => {
  const rng = new SeededRandom(9);
  const X = randomVectors(rng, 9, 8, 0.25);
  const Y = randomVectors(rng, 9, 8, 0);
  const A = randomVectors(rng, 5, 8, 1);
  const B = randomVectors(rng, 5, 8, -1);
  const exact = weatFromVectors({ X, Y, A, B }); // C(18, 9) = 48,620 ≤ 100,000: enumerated
  assert.equal(exact.exact, true);
  assert.equal(exact.permutations, 48620);
  assert.ok(exact.pValue > 0.01 && exact.pValue < 0.5, `test data should give a moderate p, got ${exact.pValue}`);
  const n = 20000;
  const mc = weatFromVectors({ X, Y, A, B }, { exactLimit: 1000, permutations: n, rng: new SeededRandom(77) });
  assert.equal(mc.exact, false);
  assert.equal(mc.permutations, n);
  const se = Math.sqrt((exact.pValue * (1 - exact.pValue)) / n);
  assert.ok(Math.abs(mc.pValue - exact.pValue) < 4 * se, `MC ${mc.pValue} vs exact ${exact.pValue} (se ${se})`);
  assert.ok(mc.pValueInterval!.low <= exact.pValue && exact.pValue <= mc.pValueInterval!.high, JSON.stringify(mc.pValueInterval));
  // Seeded: the same generator state gives the same answer.
  const again = weatFromVectors({ X, Y, A, B }, { exactLimit: 1000, permutations: n, rng: new SeededRandom(77) });
  assert.equal(again.pValue, mc.pValue);
});

test('missing words are reported, and a set losing more than the allowed fraction is refused', () => {
  const words: Record<string, number[]> = {};
  const rng = new SeededRandom(4);
  for (const w of ['x1', 'x2', 'x3', 'x4', 'x5', 'y1', 'y2', 'y3', 'y4', 'y5', 'a1', 'a2', 'a3', 'b1', 'b2', 'b3']) {
    words[w] = Array.from({ length: 4 }, () => rng.normal());
  }
  const lookup: Embed = (w) => words[w];
  const sets = { X: ['x1', 'x2', 'x3', 'x4', 'x5', 'xMissing'], Y: ['y1', 'y2', 'y3', 'y4', 'y5'], A: ['a1', 'a2', 'a3'], B: ['b1', 'b2', 'b3'] };
  const r = weat(sets, lookup); // X lost 1 of 6 (17%) ≤ 20%
  assert.deepEqual(r.missing, ['xMissing']);
  assert.deepEqual(r.missingBySet.X, ['xMissing']);
  assert.equal(r.sizes.X, 5);
  // A lost 1 of 4 = 25% > 20%.
  assert.throws(
    () => weat({ ...sets, A: ['a1', 'a2', 'a3', 'aMissing'] }, lookup),
    (e: Error) => e instanceof ConfigError && /set "A" \(A\) has 1 of 4 words missing .*aMissing.*limit is 20%/.test(e.message),
  );
  // Allowed when the caller raises the threshold knowingly.
  assert.deepEqual(weat({ ...sets, A: ['a1', 'a2', 'a3', 'aMissing'] }, lookup, { maxMissingFraction: 0.25 }).missing, ['xMissing', 'aMissing']);
  // Fewer than 2 words left is always refused.
  assert.throws(() => weat({ ...sets, B: ['b1', 'bMissing'] }, lookup, { maxMissingFraction: 0.9 }), /at least 2 words must remain/);
});

test('queries are built from named sets and unknown names are refused', () => {
  const sets = { flowers: ['x1', 'x2'], insects: ['y1', 'y2'], pleasant: ['a1', 'a2'], unpleasant: ['b1', 'b2'] };
  const query = weatQueryFromSets(sets, 'flowers', 'insects', 'pleasant', 'unpleasant');
  assert.equal(describeWeatQuery(query), 'flowers vs insects wrt pleasant vs unpleasant');
  const r = weat(query, embed);
  assert.deepEqual(r.names, { X: 'flowers', Y: 'insects', A: 'pleasant', B: 'unpleasant' });
  close(r.effectSize, 0.8047217485013146, 'query effect size');
  assert.throws(() => weatQueryFromSets(sets, 'flowers', 'weapons', 'pleasant', 'unpleasant'), /no word set named "weapons"; available: flowers, insects/);
});

test('zero vectors, dimension mismatches and constant associations are errors', () => {
  const bad: Record<string, number[]> = { ...vectors, z: [0, 0, 0], d: [1, 2] };
  const lookup: Embed = (w) => bad[w];
  assert.throws(() => weat({ ...tiny, X: ['x1', 'z'] }, lookup), (e: Error) => e instanceof NonFiniteError && /"z"/.test(e.message));
  assert.throws(() => weat({ ...tiny, X: ['x1', 'd'] }, lookup), ShapeMismatchError);
  assert.throws(() => weat({ X: ['a1', 'a2'], Y: ['a1', 'a2'], A: ['a1', 'a2'], B: ['b1', 'b2'] }, lookup), NonFiniteError);
});
