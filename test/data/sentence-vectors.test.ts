/**
 * Sentence vectors for the cluster partition, against hand-worked cases, and the
 * `cluster:K:ALPHA` partition end to end: every training example in exactly one client, and
 * k-means puts identical texts in the same cluster.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hashedBagOfWords, meanWordVectors } from '../../src/data/sentence-vectors.js';
import { parseWord2VecText } from '../../src/data/word-vectors.js';
import { clusterDirichletPartition } from '../../src/data/partition/index.js';
import { SeededRandom } from '../../src/engine/random.js';
import { parsePartitionSpec, prepareFederatedDataset } from '../../src/federated/simulation/index.js';

test('hashed bag of words: unit rows, word order and case do not matter, empty text is zero', () => {
  const { dim, data } = hashedBagOfWords(['call my mother', 'Mother my CALL', '', 'call call'], 64);
  const row = (r: number) => Array.from(data.subarray(r * dim, (r + 1) * dim));
  const norm = (v: number[]) => Math.hypot(...v);
  assert.ok(Math.abs(norm(row(0)) - 1) < 1e-6);
  assert.deepEqual(row(0), row(1));
  assert.equal(norm(row(2)), 0);
  // "call call" is one bucket with all the mass.
  assert.equal(row(3).filter((x) => x !== 0).length, 1);
  assert.ok(Math.abs(Math.max(...row(3)) - 1) < 1e-6);
});

test('mean word vectors: the normalised mean of the known words, by hand', () => {
  const vectors = parseWord2VecText('3 2\ncall 1 0\nmother 0 1\nsister 0 3\n', 'fixture');
  const { dim, data } = meanWordVectors(['call mother', 'call unknownword', 'sister mother'], vectors);
  assert.equal(dim, 2);
  const s = Math.SQRT1_2;
  assert.ok(Math.abs(data[0] - s) < 1e-6 && Math.abs(data[1] - s) < 1e-6);
  assert.deepEqual(Array.from(data.subarray(2, 4)), [1, 0]);
  assert.deepEqual(Array.from(data.subarray(4, 6)), [0, 1]);
});

test('cluster partition: identical texts share a cluster; the spec parses and is refused for corpora', () => {
  const texts = [...Array(20).fill('set an alarm for seven'), ...Array(20).fill('what is the weather in paris')];
  const partition = clusterDirichletPartition(hashedBagOfWords(texts), 2, 4, 0.5, new SeededRandom(1));
  assert.equal(new Set(partition.clusterOf.slice(0, 20)).size, 1);
  assert.equal(new Set(partition.clusterOf.slice(20)).size, 1);
  assert.notEqual(partition.clusterOf[0], partition.clusterOf[20]);
  assert.deepEqual(parsePartitionSpec('cluster:5:0.1'), { kind: 'cluster', clusters: 5, alpha: 0.1 });
  assert.throws(() => parsePartitionSpec('cluster:5'), /two parameters/);
  assert.throws(() => prepareFederatedDataset({ dataset: 'synthetic-lm', partition: 'cluster:3:1', model: 'char-lstm', seed: 0 }), /needs labelled intent data/);
});

test('fl simulate partition cluster:K:ALPHA: every training example in exactly one client', () => {
  const data = prepareFederatedDataset({ dataset: 'synthetic', partition: 'cluster:4:0.2', numClients: 10, model: 'embbag', seed: 3 });
  const seen = new Set<number>();
  for (const c of data.clients) for (const i of c.indices) {
    assert.ok(!seen.has(i), `example ${i} in two clients`);
    seen.add(i);
  }
  assert.equal(seen.size, data.summary.examples);
  assert.match(data.partition, /^cluster\(K=4, α=0.2, 10 clients\)$/);
  assert.ok(data.notes.some((n) => /sentence vectors/.test(n)));
});
