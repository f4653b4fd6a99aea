import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../../../src/errors.js';
import { SeededRandom } from '../../../src/engine/random.js';
import {
  assertValidPartition,
  clusterDirichletPartition,
  dirichletLabelPartition,
  iidPartition,
  kmeans,
  naturalPartition,
  quantitySkewPartition,
  sampleDirichlet,
  summarizePartition,
  type Partition,
} from '../../../src/data/partition/index.js';

// 10 classes × 100 examples, interleaved so label order differs from index order
const LABELS = Array.from({ length: 1000 }, (_, i) => `intent_${(i * 7) % 10}`);

function sizes(p: Partition): number[] {
  return p.clients.map((c) => c.indices.length);
}

/** Every index in [0, n) exactly once (assertValidPartition checks "at most once"). */
function assertCoversAll(p: Partition, n: number): void {
  assert.equal(assertValidPartition(p, n), n);
  for (const c of p.clients) for (let j = 1; j < c.indices.length; j++) assert.ok(c.indices[j - 1] < c.indices[j], 'indices ascending');
}

/** Blobs around three far-apart centres in 2-D. */
function blobs(perBlob: number, rng: SeededRandom): { vectors: Float32Array[]; truth: number[] } {
  const centres = [
    [0, 0],
    [20, 0],
    [0, 20],
  ];
  const vectors: Float32Array[] = [];
  const truth: number[] = [];
  for (let i = 0; i < 3 * perBlob; i++) {
    const b = i % 3;
    vectors.push(Float32Array.from([centres[b][0] + rng.normal(), centres[b][1] + rng.normal()]));
    truth.push(b);
  }
  return { vectors, truth };
}

test('every partitioner covers each index at most once and is deterministic for a seed', () => {
  const { vectors } = blobs(100, new SeededRandom(1));
  const make: Record<string, (seed: number) => Partition> = {
    iid: (s) => iidPartition(1000, 7, new SeededRandom(s)),
    dirichlet: (s) => dirichletLabelPartition(LABELS, 20, 0.3, new SeededRandom(s)),
    dirichletUnbalanced: (s) => dirichletLabelPartition(LABELS, 20, 0.3, new SeededRandom(s), { balanceSizes: false }),
    quantity: (s) => quantitySkewPartition(1000, 20, 0.5, new SeededRandom(s)),
    cluster: (s) => clusterDirichletPartition(vectors, 3, 10, 0.5, new SeededRandom(s)),
  };
  for (const [name, fn] of Object.entries(make)) {
    const a = fn(5);
    const n = name === 'cluster' ? 300 : 1000;
    assertCoversAll(a, n);
    assert.deepEqual(fn(5), a, `${name} is deterministic`);
    assert.notDeepEqual(fn(6).clients, a.clients, `${name} depends on the seed`);
    assert.ok(sizes(a).every((s) => s >= 1), `${name}: no empty client by default`);
  }
  const natural = naturalPartition(LABELS);
  assert.equal(assertValidPartition(natural, 1000), 1000);
});

test('iidPartition: sizes differ by at most one; ids are zero-padded', () => {
  const p = iidPartition(103, 10, new SeededRandom(2));
  assert.deepEqual(sizes(p), [11, 11, 11, 10, 10, 10, 10, 10, 10, 10]);
  assert.equal(p.clients[0].id, 'client-0');
  assert.equal(iidPartition(200, 12, new SeededRandom(2)).clients[3].id, 'client-03');
});

test('dirichletLabelPartition: α = 0.1 gives much lower mean label entropy than α = 100', () => {
  const low = summarizePartition(dirichletLabelPartition(LABELS, 20, 0.1, new SeededRandom(3)), LABELS);
  const high = summarizePartition(dirichletLabelPartition(LABELS, 20, 100, new SeededRandom(3)), LABELS);
  // 10 labels: the ceiling is log2(10) ≈ 3.32 bits
  assert.ok(Math.abs(high.maxLabelEntropy! - Math.log2(10)) < 1e-12);
  assert.ok(high.meanLabelEntropy! > 3.1, `α=100 entropy ${high.meanLabelEntropy}`);
  assert.ok(low.meanLabelEntropy! < 1.5, `α=0.1 entropy ${low.meanLabelEntropy}`);
  assert.ok(low.meanLabelEntropy! < 0.5 * high.meanLabelEntropy!);
});

test('dirichletLabelPartition: with balancing no client exceeds n/numClients + the largest label group', () => {
  // a client below the cap (1000/10 = 100) before a label's split gains at most that label's 100
  const seeds = [0, 1, 2, 3, 4, 5, 6, 7];
  for (const seed of seeds) {
    const max = Math.max(...sizes(dirichletLabelPartition(LABELS, 10, 0.1, new SeededRandom(seed))));
    assert.ok(max < 200, `seed ${seed}: max ${max}`);
  }
  // without balancing some client collects more (several near-whole labels)
  const maxUnbalanced = Math.max(
    ...seeds.map((seed) => Math.max(...sizes(dirichletLabelPartition(LABELS, 10, 0.1, new SeededRandom(seed), { balanceSizes: false })))),
  );
  assert.ok(maxUnbalanced >= 200, `unbalanced max ${maxUnbalanced}`);
});

test('dirichletLabelPartition: minSize is met by redraws, or by the fix-up when redraws run out', () => {
  const p = dirichletLabelPartition(LABELS, 50, 0.05, new SeededRandom(4), { minSize: 10 });
  assertCoversAll(p, 1000);
  assert.ok(Math.min(...sizes(p)) >= 10);
  const fixed = dirichletLabelPartition(LABELS, 50, 0.01, new SeededRandom(4), { minSize: 15, maxAttempts: 1, balanceSizes: false });
  assertCoversAll(fixed, 1000);
  assert.ok(Math.min(...sizes(fixed)) >= 15);
  assert.ok(fixed.notes?.some((n) => /fix-up moved \d+ examples/.test(n)), `notes: ${fixed.notes}`);
});

test('dirichletLabelPartition: tiny α does not produce NaN proportions', () => {
  const p = dirichletLabelPartition(LABELS, 10, 1e-4, new SeededRandom(9));
  assertCoversAll(p, 1000);
  // with 10 clients, 10 labels of 100 and the cap at 100, each client gets one whole label
  assert.ok(summarizePartition(p, LABELS).meanLabelEntropy! < 0.1);
});

test('partitioners reject bad arguments with ConfigError naming the field', () => {
  const rng = new SeededRandom(0);
  assert.throws(() => dirichletLabelPartition(LABELS, 10, 0, rng), (e: Error) => e instanceof ConfigError && /alpha must be finite and > 0, got 0/.test(e.message));
  assert.throws(() => dirichletLabelPartition(LABELS, 10, -1, rng), ConfigError);
  assert.throws(() => dirichletLabelPartition(LABELS, 1001, 1, rng), /numClients = 1001 exceeds the 1000 examples/);
  assert.throws(() => dirichletLabelPartition(LABELS, 100, 1, rng, { minSize: 11 }), /needs 1100 examples/);
  assert.throws(() => dirichletLabelPartition([], 1, 1, rng), ConfigError);
  assert.throws(() => dirichletLabelPartition(['a', undefined as unknown as string], 1, 1, rng), /label at index 1/);
  assert.throws(() => iidPartition(10, 11, rng), ConfigError);
  assert.throws(() => iidPartition(10, 2.5, rng), /integer/);
  assert.throws(() => iidPartition(0, 1, rng), ConfigError);
  assert.throws(() => quantitySkewPartition(10, 3, Number.NaN, rng), /beta/);
  assert.throws(() => clusterDirichletPartition([Float32Array.of(1, 2), Float32Array.of(1)], 1, 1, 1, rng), /vector 1 has 1 values, expected 2/);
  assert.throws(() => kmeans([Float32Array.of(1), Float32Array.of(2)], 3, rng), /clusters must be an integer in \[1, 2\]/);
});

test('quantitySkewPartition: sizes ≥ 1 summing to n; β = 0.1 is far more skewed than β = 100', () => {
  const skewed = sizes(quantitySkewPartition(1000, 20, 0.1, new SeededRandom(5)));
  const even = sizes(quantitySkewPartition(1000, 20, 100, new SeededRandom(5)));
  for (const s of [skewed, even]) {
    assert.equal(s.reduce((a, b) => a + b, 0), 1000);
    assert.ok(Math.min(...s) >= 1);
  }
  assert.ok(Math.max(...skewed) > 200, `skewed sizes ${skewed}`);
  assert.ok(Math.max(...even) < 70 && Math.min(...even) > 30, `even sizes ${even}`);
  // labels stay IID: entropy stays near the ceiling for sizeable clients
  const big = quantitySkewPartition(1000, 5, 100, new SeededRandom(5));
  assert.ok(summarizePartition(big, LABELS).meanLabelEntropy! > 3.2);
});

test('sampleDirichlet: sums to 1, mean αᵢ/Σα (Monte Carlo), and survives α = 1e-3', () => {
  const rng = new SeededRandom(6);
  const alphas = [0.5, 1, 2.5];
  const mean = [0, 0, 0];
  const draws = 4000;
  for (let d = 0; d < draws; d++) {
    const p = sampleDirichlet(alphas, rng);
    assert.ok(Math.abs(p[0] + p[1] + p[2] - 1) < 1e-12);
    for (let i = 0; i < 3; i++) mean[i] += p[i] / draws;
  }
  // Var(p₀) = a₀(A − a₀)/(A²(A + 1)) = 0.5·3.5/(16·5) ≈ 0.0219 → se ≈ 0.0023
  [0.125, 0.25, 0.625].forEach((m, i) => assert.ok(Math.abs(mean[i] - m) < 0.012, `component ${i}: ${mean[i]} vs ${m}`));
  const tiny = sampleDirichlet([1e-3, 1e-3, 1e-3, 1e-3], rng);
  assert.ok(tiny.every((v) => Number.isFinite(v)) && Math.abs(tiny.reduce((a, b) => a + b, 0) - 1) < 1e-12);
});

test('kmeans recovers three well-separated blobs; cluster-Dirichlet skews clusters like labels', () => {
  const { vectors, truth } = blobs(60, new SeededRandom(7));
  const km = kmeans(vectors, 3, new SeededRandom(8));
  assert.ok(km.converged);
  // a perfect clustering up to renaming: the map truth → cluster is a bijection
  const map = new Map<number, number>();
  truth.forEach((t, i) => {
    if (!map.has(t)) map.set(t, km.assignments[i]);
    assert.equal(km.assignments[i], map.get(t));
  });
  assert.equal(new Set(map.values()).size, 3);
  // the matrix form gives the same answer
  const flat = new Float32Array(vectors.length * 2);
  vectors.forEach((v, i) => flat.set(v, 2 * i));
  assert.deepEqual(kmeans({ dim: 2, data: flat }, 3, new SeededRandom(8)).assignments, km.assignments);
  const p = clusterDirichletPartition(vectors, 3, 6, 0.05, new SeededRandom(9));
  assertCoversAll(p, 180);
  // its k-means (own seed) also recovers the blobs: same grouping, possibly renamed
  truth.forEach((t, i) => truth.forEach((u, j) => j > i && j < i + 4 && assert.equal(p.clusterOf[i] === p.clusterOf[j], t === u)));
  const clusterLabels = p.clusterOf.map(String);
  assert.ok(summarizePartition(p, clusterLabels).meanLabelEntropy! < 0.8, 'α = 0.05: clients see few clusters');
});

test('naturalPartition: one client per key, tiny groups dropped and counted (by hand)', () => {
  const keys = ['x', 'y', 'x', 'z', 'y', 'x'];
  const all = naturalPartition(keys);
  assert.deepEqual(all.clients, [
    { id: 'x', indices: [0, 2, 5] },
    { id: 'y', indices: [1, 4] },
    { id: 'z', indices: [3] },
  ]);
  assert.equal(all.droppedClients, 0);
  const pruned = naturalPartition(keys, { minExamples: 2 });
  assert.deepEqual(pruned.clients.map((c) => c.id), ['x', 'y']);
  assert.equal(pruned.droppedClients, 1);
  assert.equal(pruned.droppedExamples, 1);
  assert.deepEqual(pruned.droppedKeys, ['z']);
  assert.match(pruned.notes![0], /dropped 1 groups with fewer than 2 examples \(1 examples\)/);
  assert.throws(() => naturalPartition(['a', undefined as unknown as string]), /key at index 1/);
  assert.throws(() => naturalPartition(keys, { minExamples: 4 }), /every one of the 3 groups/);
});
