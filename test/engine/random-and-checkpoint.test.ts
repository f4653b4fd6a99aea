import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SeededRandom, saveCheckpoint, loadCheckpoint, encodeCheckpoint, decodeCheckpoint } from '../../src/engine/index.js';
import { CheckpointError } from '../../src/errors.js';

test('SeededRandom: same seed same stream, different seeds differ, forks independent', () => {
  const a = new SeededRandom(42);
  const b = new SeededRandom(42);
  const c = new SeededRandom(43);
  const xs = Array.from({ length: 5 }, () => a.next());
  assert.deepEqual(Array.from({ length: 5 }, () => b.next()), xs);
  assert.notDeepEqual(Array.from({ length: 5 }, () => c.next()), xs);
  assert.notEqual(new SeededRandom(42).fork('x').next(), new SeededRandom(42).fork('y').next());
  assert.equal(new SeededRandom(42).fork('x').next(), new SeededRandom(42).fork('x').next());
});

test('SeededRandom: uniform, normal and gamma moments are right', () => {
  const rng = new SeededRandom(7);
  const n = 100_000;
  let sum = 0;
  let sq = 0;
  for (let i = 0; i < n; i++) {
    const z = rng.normal();
    sum += z;
    sq += z * z;
  }
  assert.ok(Math.abs(sum / n) < 0.02, `normal mean ${sum / n}`);
  assert.ok(Math.abs(sq / n - 1) < 0.02, `normal variance ${sq / n}`);
  let u = 0;
  for (let i = 0; i < n; i++) u += rng.next();
  assert.ok(Math.abs(u / n - 0.5) < 0.01);
  for (const shape of [0.3, 2.5]) {
    let g = 0;
    for (let i = 0; i < n; i++) g += rng.gamma(shape);
    assert.ok(Math.abs(g / n - shape) < 0.05 * Math.max(1, shape), `gamma(${shape}) mean ${g / n}`);
  }
  const perm = rng.permutation(10);
  assert.deepEqual([...perm].sort((x, y) => x - y), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
});

test('checkpoint: round-trips weights bit-exactly with config, tokenizer and labels', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ckpt-'));
  const w1 = new Float32Array([1.5, -2.25, Math.PI, 1e-30, -0]);
  const w2 = new Float32Array([7, 8, 9, 10, 11, 12]);
  saveCheckpoint(dir, {
    kind: 'embbag',
    config: { a: 1 },
    tokenizer: { type: 'word', tokens: ['<pad>'] },
    labels: ['x', 'y'],
    meta: { seed: 3 },
    weights: [
      { name: 'w1', shape: [5], values: w1 },
      { name: 'w2', shape: [2, 3], values: w2 },
    ],
  });
  const back = loadCheckpoint(dir);
  assert.equal(back.kind, 'embbag');
  assert.deepEqual(back.config, { a: 1 });
  assert.deepEqual(back.labels, ['x', 'y']);
  assert.deepEqual(back.meta, { seed: 3 });
  assert.deepEqual(Buffer.from(back.weights[0].values.buffer), Buffer.from(w1.buffer));
  assert.deepEqual(back.weights[1].shape, [2, 3]);
  assert.deepEqual(Array.from(back.weights[1].values), Array.from(w2));
});

test('checkpoint: missing, corrupt or tampered files give a CheckpointError naming the file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ckpt-'));
  assert.throws(() => loadCheckpoint(dir), (e: Error) => e instanceof CheckpointError && e.message.includes('model.json'));
  saveCheckpoint(dir, { kind: 'k', config: {}, tokenizer: null, meta: {}, weights: [{ name: 'w', shape: [2], values: new Float32Array([1, 2]) }] });
  const bytes = readFileSync(join(dir, 'weights.bin'));
  bytes[0] ^= 1;
  writeFileSync(join(dir, 'weights.bin'), bytes);
  assert.throws(() => loadCheckpoint(dir), (e: Error) => e instanceof CheckpointError && e.message.includes('SHA-256'));
  writeFileSync(join(dir, 'model.json'), '{"format": "trustnlu-checkpoint", ');
  assert.throws(() => loadCheckpoint(dir), (e: Error) => e instanceof CheckpointError && e.message.includes('not valid JSON'));
  assert.throws(
    () => saveCheckpoint(dir, { kind: 'k', config: {}, tokenizer: null, meta: {}, weights: [{ name: 'w', shape: [3], values: new Float32Array(2) }] }),
    CheckpointError,
  );
});

test('checkpoint: encodeCheckpoint gives exactly the bytes saveCheckpoint writes; decodeCheckpoint reads them and refuses damaged ones', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ckpt-'));
  const checkpoint = {
    kind: 'embbag',
    config: { dim: 4 },
    tokenizer: { type: 'word', tokens: ['<pad>', '<unk>', 'hi'] },
    labels: ['a', 'b'],
    meta: {},
    weights: [
      { name: 'w', shape: [2, 2], values: new Float32Array([1, -0, NaN, 3.5]) },
      { name: 'b', shape: [2], values: new Float32Array([0.25, -1e-38]) },
    ],
  };
  saveCheckpoint(dir, checkpoint);
  const files = encodeCheckpoint(checkpoint);
  assert.deepEqual(Buffer.from(files.modelJson), readFileSync(join(dir, 'model.json')));
  assert.deepEqual(Buffer.from(files.weights), readFileSync(join(dir, 'weights.bin')));
  const back = decodeCheckpoint(files, 'job 1');
  assert.deepEqual(back.weights.map((w) => [w.name, w.shape]), [['w', [2, 2]], ['b', [2]]]);
  assert.deepEqual(Buffer.from(back.weights[0].values.buffer), Buffer.from(checkpoint.weights[0].values.buffer));
  assert.deepEqual(Buffer.from(back.weights[1].values.buffer), Buffer.from(checkpoint.weights[1].values.buffer));
  // bytes at an odd offset of a larger buffer (as a network client hands them over) decode the same
  const shifted = new Uint8Array(files.weights.byteLength + 1).subarray(1);
  shifted.set(files.weights);
  assert.deepEqual(Array.from(decodeCheckpoint({ modelJson: files.modelJson, weights: shifted }, 'job 1').weights[1].values), Array.from(back.weights[1].values));
  const damaged = files.weights.slice();
  damaged[5] ^= 1;
  assert.throws(() => decodeCheckpoint({ modelJson: files.modelJson, weights: damaged }, 'job 7'), (e: Error) => e instanceof CheckpointError && /job 7\/weights\.bin.*SHA-256/.test(e.message));
  const forged = JSON.parse(Buffer.from(files.modelJson).toString());
  forged.weights[1].length = 3;
  assert.throws(() => decodeCheckpoint({ modelJson: Buffer.from(JSON.stringify(forged)), weights: files.weights }, 'job 7'), (e: Error) => e instanceof CheckpointError && /"b" has an inconsistent manifest entry/.test(e.message));
});
