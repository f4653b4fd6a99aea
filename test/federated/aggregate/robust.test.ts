import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, NonFiniteError } from '../../../src/errors.js';
import { SeededRandom } from '../../../src/engine/random.js';
import {
  coordinateMedian,
  geometricMedian,
  krum,
  krumScores,
  meanAroundMedian,
  multiKrum,
  multiKrumSelection,
  nearestNeighbourMixing,
  selectInPlace,
  trimmedMean,
  weightedMean,
  weiszfeld,
  type ParameterSet,
} from '../../../src/federated/aggregate/index.js';

function vec(values: number[]): ParameterSet {
  return { names: ['w'], arrays: [Float32Array.from(values)] };
}
const values = (p: ParameterSet): number[] => Array.from(p.arrays[0]);

const U0 = [1, 2, 3, 4];
const U1 = [2, 0, 3, 8];
const U2 = [6, 1, 0, 2];
const U3 = [0, 5, 1, 1];
const U4 = [3, 3, 3, 3];

test('coordinateMedian: three updates by hand', () => {
  // coordinate 0: {1,2,6} → 2; 1: {2,0,1} → 1; 2: {3,3,0} → 3; 3: {4,8,2} → 4
  assert.deepEqual(values(coordinateMedian([vec(U0), vec(U1), vec(U2)])), [2, 1, 3, 4]);
});

test('coordinateMedian: even count averages the two middle values', () => {
  // 0: {0,1,2,6} → 1.5; 1: {0,1,2,5} → 1.5; 2: {0,1,3,3} → 2; 3: {1,2,4,8} → 3
  assert.deepEqual(values(coordinateMedian([vec(U0), vec(U1), vec(U2), vec(U3)])), [1.5, 1.5, 2, 3]);
});

test('trimmedMean: five updates, beta 0.2 trims one from each end, by hand', () => {
  // 0: sorted 0,1,2,3,6 → (1+2+3)/3 = 2; 1: 0,1,2,3,5 → 2; 2: 0,1,3,3,3 → 7/3; 3: 1,2,3,4,8 → 3
  const got = values(trimmedMean([vec(U0), vec(U1), vec(U2), vec(U3), vec(U4)], 0.2));
  assert.deepEqual(got, [2, 2, Math.fround(7 / 3), 3]);
  // beta 0.19 → ⌊0.95⌋ = 0 trimmed: the plain mean (12/5, 11/5, 10/5, 18/5)
  assert.deepEqual(values(trimmedMean([vec(U0), vec(U1), vec(U2), vec(U3), vec(U4)], 0.19)), [2.4, 2.2, 2, 3.6].map(Math.fround));
  // three updates, beta 0.34 → ⌊1.02⌋ = 1 trimmed each end: the median
  assert.deepEqual(values(trimmedMean([vec(U0), vec(U1), vec(U2)], 0.34)), [2, 1, 3, 4]);
  assert.throws(() => trimmedMean([vec(U0)], 0.5), ConfigError);
  assert.throws(() => trimmedMean([vec(U0)], -0.1), ConfigError);
});

test('median and trimmed mean agree with sorting brute force, across block boundaries and ties', () => {
  const rng = new SeededRandom(5);
  for (const n of [1, 2, 5, 8, 13]) {
    const d = 301;
    // integers in [0, 6) give many ties
    const updates = Array.from({ length: n }, () => vec(Array.from({ length: d }, () => rng.int(6) + (rng.next() < 0.5 ? 0 : 0.5))));
    for (const blockSize of [1, 7, 1000]) {
      const med = values(coordinateMedian(updates, { blockSize }));
      const tm = values(trimmedMean(updates, 0.25, { blockSize }));
      const k = Math.floor(0.25 * n);
      for (let j = 0; j < d; j++) {
        const col = updates.map((u) => u.arrays[0][j]).sort((a, b) => a - b);
        const expectedMedian = n % 2 ? col[(n - 1) / 2] : (col[n / 2 - 1] + col[n / 2]) / 2;
        assert.equal(med[j], expectedMedian, `median n=${n} j=${j}`);
        const kept = col.slice(k, n - k);
        assert.equal(tm[j], Math.fround(kept.reduce((s, v) => s + v, 0) / kept.length), `trimmed n=${n} j=${j}`);
      }
    }
  }
});

test('meanAroundMedian: five updates, beta 0.2 drops the one value farthest from the median, by hand', () => {
  // 0: 0,1,2,3,6, median 2, drops 6 → 1.5; 1: 0,1,2,3,5, median 2, drops 5 → 1.5
  // 2: 0,1,3,3,3, median 3, drops 0 → 10/4; 3: 1,2,3,4,8, median 3, drops 8 → 10/4
  assert.deepEqual(values(meanAroundMedian([vec(U0), vec(U1), vec(U2), vec(U3), vec(U4)], 0.2)), [1.5, 1.5, 2.5, 2.5]);
  // beta 0 is the plain mean
  assert.deepEqual(values(meanAroundMedian([vec(U0), vec(U1), vec(U2), vec(U3), vec(U4)], 0)), [2.4, 2.2, 2, 3.6].map(Math.fround));
  assert.throws(() => meanAroundMedian([vec(U0)], 0.5), ConfigError);
  assert.throws(() => meanAroundMedian([vec(U0)], -0.1), ConfigError);
});

test('meanAroundMedian agrees with a naive nearest-to-the-median selection, across block boundaries', () => {
  const rng = new SeededRandom(11);
  for (const n of [1, 2, 5, 8, 10, 13]) {
    const d = 203;
    // continuous values: distances to the median do not tie, so the kept set is unique
    const updates = Array.from({ length: n }, () => vec(Array.from({ length: d }, () => Math.fround(rng.next() * 10 - 5))));
    for (const beta of [0.1, 0.2, 0.3, 0.45]) {
      const dropped = Math.floor(beta * n);
      const expected = Array.from({ length: d }, (_, c) => {
        const column = updates.map((u) => u.arrays[0][c]);
        const sorted = [...column].sort((a, b) => a - b);
        const median = n % 2 === 1 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
        const nearest = [...column].sort((a, b) => Math.abs(a - median) - Math.abs(b - median)).slice(0, n - dropped);
        return nearest.reduce((s, v) => s + v, 0) / nearest.length;
      });
      for (const blockSize of [1, 17, 1000]) {
        const got = values(meanAroundMedian(updates, beta, { blockSize }));
        for (let c = 0; c < d; c++) assert.ok(Math.abs(got[c] - expected[c]) < 1e-5, `n ${n} β ${beta} block ${blockSize} coordinate ${c}: ${got[c]} vs ${expected[c]}`);
      }
    }
  }
});

test('two outliers on one side: the trimmed mean leans towards them, the mean around the median does not', () => {
  // eight honest values 1..8 (mean 4.5) and two attackers at −100: trimming two from each end
  // drops both attackers and the honest 7 and 8; the mean around the median drops only the attackers
  const column = [-100, -100, 1, 2, 3, 4, 5, 6, 7, 8].map((v) => vec([v]));
  assert.deepEqual(values(trimmedMean(column, 0.2)), [3.5]);
  assert.deepEqual(values(meanAroundMedian(column, 0.2)), [4.5]);
});

test('selectInPlace puts the k-th smallest at k with a partitioned array (brute force)', () => {
  const rng = new SeededRandom(9);
  for (let trial = 0; trial < 200; trial++) {
    const n = 1 + rng.int(30);
    const a = Float64Array.from({ length: n }, () => rng.int(8));
    const sorted = Array.from(a).sort((x, y) => x - y);
    const k = rng.int(n);
    selectInPlace(a, 0, n - 1, k);
    assert.equal(a[k], sorted[k]);
    for (let i = 0; i < k; i++) assert.ok(a[i] <= a[k]);
    for (let i = k + 1; i < n; i++) assert.ok(a[i] >= a[k]);
  }
});

test('coordinate-wise aggregators reject NaN naming the update', () => {
  assert.throws(() => coordinateMedian([vec(U0), vec([1, Number.NaN, 0, 0]), vec(U2)]), (e: Error) => e instanceof NonFiniteError && /update 1, tensor "w" has NaN at index 1/.test(e.message));
});

test('krum: three updates of four coordinates, f = 0, by hand', () => {
  // squared distances: d01 = 1+4+0+16 = 21, d02 = 25+1+9+4 = 39, d12 = 16+1+9+36 = 62.
  // n − f − 2 = 1 nearest neighbour: scores 21, 21, 39 → tie, lower index wins: update 0.
  const us = [vec(U0), vec(U1), vec(U2)];
  assert.deepEqual(Array.from(krumScores(us, 0)), [21, 21, 39]);
  assert.deepEqual(values(krum(us, 0)), U0);
  assert.throws(() => krum(us, 1), (e: Error) => e instanceof ConfigError && /n > 2f \+ 2/.test(e.message));
});

test('krum and multi-krum: five 2-D points with one far away, f = 1, by hand', () => {
  // p0 = (.5,.5), p1 = (1,0), p2 = (0,1), p3 = (1,1), p4 = (10,10); n − f − 2 = 2 neighbours.
  // d01 = d02 = d03 = 0.5, d04 = 180.5, d12 = 2, d13 = d23 = 1, d14 = d24 = 181, d34 = 162.
  // scores: p0 = .5+.5 = 1, p1 = .5+1 = 1.5, p2 = 1.5, p3 = .5+1 = 1.5, p4 = 162+180.5 = 342.5.
  const pts = [vec([0.5, 0.5]), vec([1, 0]), vec([0, 1]), vec([1, 1]), vec([10, 10])];
  assert.deepEqual(Array.from(krumScores(pts, 1)), [1, 1.5, 1.5, 1.5, 342.5]);
  assert.deepEqual(values(krum(pts, 1)), [0.5, 0.5]);
  assert.deepEqual(multiKrumSelection(pts, 1, 4), [0, 1, 2, 3]);
  // m = 3 keeps p0, p1, p2 (ties by index): mean ((.5+1+0)/3, (.5+0+1)/3) = (.5, .5)
  assert.deepEqual(values(multiKrum(pts, 1, 3)), [0.5, 0.5]);
  // weighted multi-krum over p0..p3 with weights 1,1,1,5: ((.5+1+0+5)/8, (.5+0+1+5)/8)
  assert.deepEqual(values(multiKrum(pts, 1, 4, [1, 1, 1, 5, 100])), [6.5 / 8, 6.5 / 8]);
  assert.throws(() => multiKrum(pts, 1, 0), ConfigError);
  assert.throws(() => multiKrum(pts, 1, 6), ConfigError);
});

test('geometric median: 1-D points give the median; an equilateral triangle gives its centre', () => {
  const r = weiszfeld([vec([0]), vec([1]), vec([10])], { tolerance: 1e-10, maxIterations: 1000, smoothing: 1e-9 });
  assert.ok(Math.abs(r.median.arrays[0][0] - 1) < 1e-3, `got ${r.median.arrays[0][0]}`);
  assert.ok(r.converged);
  const h = Math.sqrt(3) / 2;
  const tri = geometricMedian([vec([0, 0]), vec([1, 0]), vec([0.5, h])], { tolerance: 1e-12 });
  assert.ok(Math.abs(tri.arrays[0][0] - 0.5) < 1e-5 && Math.abs(tri.arrays[0][1] - h / 3) < 1e-5, `got ${values(tri)}`);
});

test('Byzantine: one huge update drags the mean away; median, trimmed mean, Krum and geometric median resist', () => {
  const rng = new SeededRandom(3);
  const d = 16;
  const honest = Array.from({ length: 6 }, () => vec(Array.from({ length: d }, () => 1 + 0.05 * rng.normal())));
  const attacker = vec(Array.from({ length: d }, () => 1e6));
  const all = [...honest, attacker];
  const maxError = (p: ParameterSet): number => Math.max(...values(p).map((v) => Math.abs(v - 1)));
  const mean = weightedMean(all, all.map(() => 1));
  assert.ok(maxError(mean) > 1e5, 'the mean is not robust: one attacker moves it by about 1e6/7');
  assert.ok(maxError(coordinateMedian(all)) < 0.2);
  assert.ok(maxError(trimmedMean(all, 0.15)) < 0.2); // ⌊1.05⌋ = 1 trimmed each end
  assert.ok(maxError(krum(all, 1)) < 0.2);
  assert.ok(maxError(krum(all, 2)) < 0.2);
  assert.ok(maxError(multiKrum(all, 1, 5)) < 0.2);
  assert.ok(maxError(geometricMedian(all)) < 0.2);
  assert.ok(!multiKrumSelection(all, 1, 6).includes(6), 'the attacker is never among the 6 best-scored');
});

test('nearestNeighbourMixing: hand-worked 5 updates, f = 1, and against a naive loop on random updates', () => {
  // squared distances from A=(1,10): B 101, C 404, D 1237.25; B: A 101, C 101, D 631.25; C: B 101, D 227.25, A 404;
  // D: C 227.25, B 631.25, A 1237.25; E=(1000,−1000): A 2,018,101 < B 2,036,404 < C 2,054,909 < D 2,083,045.25
  const mixed = nearestNeighbourMixing([vec([1, 10]), vec([2, 20]), vec([3, 30]), vec([4.5, 45]), vec([1000, -1000])], 1).map(values);
  for (let i = 0; i < 4; i++) assert.deepEqual(mixed[i], [2.625, 26.25], `honest update ${i} becomes the mean of A-D`);
  assert.deepEqual(mixed[4], [251.5, -235]); // E mixes with A, B, C
  // f = 0: every update becomes the mean of all
  assert.deepEqual(nearestNeighbourMixing([vec([0, 2]), vec([4, 6])], 0).map(values), [[2, 4], [2, 4]]);
  const rng = new SeededRandom(11);
  const updates = Array.from({ length: 9 }, () => vec(Array.from({ length: 7 }, () => rng.normal() * 3)));
  const f = 3;
  const got = nearestNeighbourMixing(updates, f).map(values);
  updates.forEach((u, i) => {
    const d = updates.map((w, j) => ({ j, d: values(u).reduce((s, x, c) => s + (x - values(w)[c]) ** 2, 0) }));
    d.sort((a, b) => a.d - b.d || a.j - b.j);
    const keep = d.slice(0, updates.length - f).map((e) => values(updates[e.j]));
    const want = keep[0].map((_, c) => keep.reduce((s, v) => s + v[c], 0) / keep.length);
    want.forEach((w, c) => assert.ok(Math.abs(got[i][c] - w) < 1e-5, `update ${i} coordinate ${c}: ${got[i][c]} vs ${w}`));
  });
  assert.throws(() => nearestNeighbourMixing(updates, 9), /f \(Byzantine updates tolerated\) must be an integer in \[0, 8\]/);
});
