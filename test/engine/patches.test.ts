import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf, onBackend, assertClose, seededValues } from '../helpers.js';
import { scatterAdd } from '../../src/engine/patches/unsorted-segment-sum.js';
import { collapseTranspose, tiledTranspose, TILED_MIN_ELEMENTS } from '../../src/engine/patches/transpose.js';
import { outerInnerView } from '../../src/engine/patches/sum-outer-axes.js';

test('UnsortedSegmentSum: scatter-add matches a hand-worked case on both backends', async () => {
  // rows 0 and 2 go to segment 1, row 1 to segment 0, row 3 has id 5 (out of range: dropped)
  const x = [1, 2, 3, 4, 5, 6, 7, 8];
  const ids = [1, 0, 1, 5];
  const expected = [3, 4, 6, 8, 0, 0];
  for (const backend of ['wasm', 'cpu'] as const) {
    const got = await onBackend(backend, () =>
      tf.unsortedSegmentSum(tf.tensor2d(x, [4, 2]), tf.tensor1d(ids, 'int32'), 3).arraySync() as number[][],
    );
    assert.deepEqual(got.flat(), expected, backend);
  }
  const out = new Float32Array(6);
  scatterAdd(x, ids, 2, out, 3);
  assert.deepEqual(Array.from(out), expected);
});

test('UnsortedSegmentSum: the gradient of gather (embedding backward) agrees across backends', async () => {
  const vocab = 50;
  const dim = 8;
  const table = seededValues(vocab * dim, 1);
  const ids = Array.from({ length: 3 * 7 }, (_, i) => (i * 13) % vocab);
  const upstream = seededValues(3 * 7 * dim, 2);
  const grads: Float32Array[] = [];
  for (const backend of ['cpu', 'wasm'] as const) {
    grads.push(
      await onBackend(backend, () => {
        const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.gather(t, tf.tensor2d(ids, [3, 7], 'int32')), tf.tensor3d(upstream, [3, 7, dim]))));
        return g(tf.tensor2d(table, [vocab, dim])).dataSync() as Float32Array;
      }),
    );
  }
  assertClose(grads[1], grads[0], 1e-6, 'embedding gradient');
  // row 0 is hit by ids at positions 0 (0*13%50=0) only once among 21: check a value by hand
  let expectedRow0 = 0;
  ids.forEach((id, p) => {
    if (id === 0) expectedRow0 += upstream[p * dim];
  });
  assert.ok(Math.abs(grads[0][0] - expectedRow0) < 1e-6);
});

test('BatchMatMul on wasm: every transpose and batch layout equals the cpu reference', async () => {
  const cases: [number[], number[], boolean, boolean][] = [
    [[37, 29], [29, 41], false, false],
    [[29, 37], [29, 41], true, false],
    [[37, 29], [41, 29], false, true],
    [[29, 37], [41, 29], true, true],
    [[4, 33, 65], [4, 65, 17], false, false], // batched, large enough for the per-batch fast path
    [[4, 33, 65], [65, 17], false, false], // batch against a shared matrix: one tall product
    [[4, 65, 33], [4, 65, 17], true, false],
    [[2, 3, 9, 5], [2, 3, 9, 5], false, true], // small batched attention-like product: original kernel
    [[1, 33, 65], [4, 65, 17], false, false], // broadcast of the left operand
    [[300, 200], [300, 20], true, false], // weight-gradient shape: computed flipped, (gᵀx)ᵀ
    [[1, 300, 200], [1, 300, 20], true, false], // the same with a unit batch axis
    [[20, 300], [200, 300], false, true], // transposed B only: direct is cheaper
  ];
  for (const [sa, sb, ta, tb] of cases) {
    const av = seededValues(sa.reduce((p, q) => p * q, 1), 3);
    const bv = seededValues(sb.reduce((p, q) => p * q, 1), 4);
    const run = () => {
      const r = tf.matMul(tf.tensor(av, sa), tf.tensor(bv, sb), ta, tb);
      return { shape: r.shape, values: r.dataSync() as Float32Array };
    };
    const cpu = await onBackend('cpu', run);
    const wasm = await onBackend('wasm', run);
    assert.deepEqual(wasm.shape, cpu.shape, `shape for ${JSON.stringify([sa, sb, ta, tb])}`);
    assertClose(wasm.values, cpu.values, 1e-5, `matMul ${JSON.stringify([sa, sb, ta, tb])}`);
  }
});

test('Conv2DBackpropFilter on wasm (conv1d filter gradient) equals the cpu reference', async () => {
  const cases = [
    { x: [3, 11, 4], f: [3, 4, 5], stride: 1, pad: 'same' as const },
    { x: [2, 12, 3], f: [2, 3, 6], stride: 2, pad: 'valid' as const },
  ];
  for (const c of cases) {
    const xv = seededValues(c.x.reduce((p, q) => p * q, 1), 5);
    const fv = seededValues(c.f.reduce((p, q) => p * q, 1), 6);
    const run = () => {
      const g = tf.grads((x: tf.Tensor, f: tf.Tensor) =>
        tf.sum(tf.square(tf.conv1d(x as tf.Tensor3D, f as tf.Tensor3D, c.stride, c.pad))),
      );
      const [gx, gf] = g([tf.tensor(xv, c.x), tf.tensor(fv, c.f)]);
      return [gx.dataSync() as Float32Array, gf.dataSync() as Float32Array];
    };
    const cpu = await onBackend('cpu', run);
    const wasm = await onBackend('wasm', run);
    assertClose(wasm[0], cpu[0], 1e-5, 'input gradient');
    assertClose(wasm[1], cpu[1], 1e-5, 'filter gradient');
  }
});

test('broadcast comparisons, min/max and Tile on wasm equal the cpu reference', async () => {
  const shapePairs: [number[], number[]][] = [
    [[4, 5, 6], [4, 1, 6]],
    [[4, 5, 6], [4, 5, 1]],
    [[4, 5, 6], [6]],
    [[3, 1], [1, 7]],
    [[2, 3, 4, 5], [1, 3, 1, 5]],
    [[5], []],
  ];
  for (const [sa, sb] of shapePairs) {
    // small integers so that equalities actually occur
    const av = Array.from(seededValues(sa.reduce((p, q) => p * q, 1), 8), (v) => Math.round(v * 6));
    const bv = Array.from(seededValues(Math.max(1, sb.reduce((p, q) => p * q, 1)), 9), (v) => Math.round(v * 6));
    for (const dtype of ['float32', 'int32'] as const) {
      const run = () =>
        ['equal', 'notEqual', 'greater', 'greaterEqual', 'less', 'lessEqual', 'maximum', 'minimum'].map((op) => {
          const r = (tf as unknown as Record<string, (a: tf.Tensor, b: tf.Tensor) => tf.Tensor>)[op](tf.tensor(av, sa, dtype), tf.tensor(bv, sb, dtype));
          return { shape: r.shape, values: Array.from(r.dataSync(), (v) => v + 0) }; // +0: -0 and 0 are the same here
        });
      const cpu = await onBackend('cpu', run);
      const wasm = await onBackend('wasm', run);
      assert.deepEqual(wasm, cpu, `${JSON.stringify([sa, sb, dtype])}`);
    }
  }
  for (const [shape, reps] of [[[2, 3], [3, 2]], [[4, 1, 5], [1, 6, 1]], [[3], [4]], [[2, 2, 2], [2, 1, 3]]] as [number[], number[]][]) {
    const xv = seededValues(shape.reduce((p, q) => p * q, 1), 10);
    const run = () => Array.from(tf.tile(tf.tensor(xv, shape), reps).dataSync());
    assert.deepEqual(await onBackend('wasm', run), await onBackend('cpu', run), `tile ${JSON.stringify([shape, reps])}`);
  }
});

test('Slice, SplitV, Unpack and GatherV2 on wasm equal the cpu reference', async () => {
  const shape = [3, 4, 5, 6];
  const xv = seededValues(3 * 4 * 5 * 6, 12);
  const run = () => {
    const x = tf.tensor(xv, shape);
    const out: number[][] = [];
    const push = (t: tf.Tensor) => out.push([...t.shape, ...Array.from(t.dataSync())]);
    push(tf.slice(x, [1, 0, 2, 0], [2, -1, 3, -1]));
    push(tf.slice(x, [0, 1, 0, 3], [-1, 2, -1, 2]));
    push(tf.slice(x, [2, 3, 4, 5], [1, 1, 1, 1]));
    push(tf.slice(tf.tensor1d([1, 2, 3, 4]), [1], [2]));
    for (const axis of [0, 1, 2, 3]) tf.split(x, [1, shape[axis] - 1], axis).forEach(push);
    tf.split(x, 2, 1).forEach(push);
    for (const axis of [0, 1, 3]) tf.unstack(x, axis).forEach(push);
    const table = tf.tensor(xv.subarray(0, 10 * 7), [10, 7]);
    push(tf.gather(table, tf.tensor2d([0, 9, 3, 3, 1, 0], [2, 3], 'int32')));
    push(tf.gather(tf.tensor1d(Int32Array.from([5, 6, 7]), 'int32'), tf.tensor1d([2, 0], 'int32')));
    push(tf.gather(table, tf.tensor1d([1, 2], 'int32'), 1)); // axis 1: the original kernel
    return out;
  };
  assert.deepEqual(await onBackend('wasm', run), await onBackend('cpu', run));
  await onBackend('wasm', () => {
    assert.throws(() => tf.gather(tf.zeros([3, 2]), tf.tensor1d([3], 'int32')).dataSync(), /outside \[0, 2\]/);
  });
});

test('Transpose on wasm: tiled (batched) matrix transposes and the original kernel equal the cpu reference', async () => {
  // merging: axes 1 and 2 move together, unit axes vanish
  assert.deepEqual(collapseTranspose([2, 3, 4, 5], [0, 3, 1, 2]), { shape: [2, 12, 5], perm: [0, 2, 1] });
  assert.deepEqual(collapseTranspose([1, 7, 1, 9], [3, 2, 1, 0]), { shape: [7, 9], perm: [1, 0] });
  assert.deepEqual(collapseTranspose([4, 5], [0, 1]), { shape: [20], perm: [0] });
  assert.ok(tiledTranspose([300, 257], [1, 0]));
  assert.equal(tiledTranspose([2, 4, 64, 16], [0, 2, 1, 3]), undefined, 'head split: not a matrix transpose');
  assert.equal(tiledTranspose([8, 8], [1, 0]), undefined, 'small matrix: original kernel');
  const cases: [number[], number[]][] = [
    [[300, 257], [1, 0]], // tiled, sides not multiples of the tile
    [[3, 130, 520], [0, 2, 1]], // batched, tiled
    [[2, 65, 3, 340], [0, 3, 2, 1]], // merges to something else: original kernel
    [[1, 270, 1, 250], [3, 2, 1, 0]], // unit axes dropped, then tiled
    [[5, 7], [1, 0]], // small: original
  ];
  for (const [shape, perm] of cases) {
    const size = shape.reduce((p, q) => p * q, 1);
    const xv = seededValues(size, 13);
    for (const dtype of ['float32', 'int32', 'bool'] as const) {
      const values = dtype === 'float32' ? xv : Int32Array.from(xv, (v) => (dtype === 'bool' ? Number(v > 0) : Math.round(v * 1000)));
      const run = () => {
        const r = tf.transpose(tf.tensor(values, shape, dtype), perm);
        return { shape: r.shape, dtype: r.dtype, values: Array.from(r.dataSync()) };
      };
      assert.deepEqual(await onBackend('wasm', run), await onBackend('cpu', run), `transpose ${JSON.stringify([shape, perm, dtype])}`);
    }
  }
  assert.ok(300 * 257 >= TILED_MIN_ELEMENTS, 'the first case exercises the tiled path');
});

test('Sum over outer and middle axes on wasm equals the cpu reference', async () => {
  assert.deepEqual(outerInnerView([16, 8, 4], [0]), { outer: 1, reduced: 16, inner: 32 });
  assert.deepEqual(outerInnerView([16, 8, 4], [1]), { outer: 16, reduced: 8, inner: 4 });
  assert.deepEqual(outerInnerView([16, 1, 8, 4], [0, 2]), { outer: 1, reduced: 128, inner: 4 }, 'unit axis between reduced axes');
  assert.equal(outerInnerView([16, 8, 4], [0, 2]), undefined, 'two reduced blocks: original kernel');
  const cases: [number[], number[]][] = [
    [[700, 33], [0]], // bias gradient of a Dense
    [[9, 11, 13], [0, 1]], // bias gradient over [B, T, out]
    [[9, 11, 13], [1]], // middle axis
    [[9, 11, 13], [2]], // innermost: the original kernel
    [[9, 11, 13], [0, 2]], // two blocks: the original kernel
    [[4, 1, 6], [0, 1]],
  ];
  for (const [shape, axes] of cases) {
    const xv = seededValues(shape.reduce((p, q) => p * q, 1), 14);
    for (const keepDims of [false, true]) {
      const run = () => {
        const r = tf.sum(tf.tensor(xv, shape), axes, keepDims);
        return { shape: r.shape, values: r.dataSync() as Float32Array };
      };
      const cpu = await onBackend('cpu', run);
      const wasm = await onBackend('wasm', run);
      assert.deepEqual(wasm.shape, cpu.shape, `shape of sum ${JSON.stringify([shape, axes, keepDims])}`);
      assertClose(wasm.values, cpu.values, 1e-5, `sum ${JSON.stringify([shape, axes, keepDims])}`);
    }
  }
  // hand-worked: [[1, 2], [3, 4], [5, 6]] summed over rows is [9, 12]
  assert.deepEqual(await onBackend('wasm', () => Array.from(tf.sum(tf.tensor2d([1, 2, 3, 4, 5, 6], [3, 2]), 0).dataSync())), [9, 12]);
});

test('MaxPoolGrad (wasm): max pooling gradients equal the cpu kernel and a hand-worked case', async () => {
  // One row [1, 3, 2, 2, 5, 0] pooled by 2: windows (1,3) (2,2) (5,0); ties go to the first.
  const hand = await onBackend('wasm', () =>
    tf.grad((x: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(x as tf.Tensor4D, [1, 2], [1, 2], 'valid'), tf.tensor4d([10, 20, 30], [1, 1, 3, 1]))))(tf.tensor4d([1, 3, 2, 2, 5, 0], [1, 1, 6, 1])).dataSync(),
  );
  assert.deepEqual(Array.from(hand), [0, 10, 20, 0, 30, 0]);
  const cases: { shape: [number, number, number, number]; filter: [number, number]; strides: [number, number]; pad: 'valid' | 'same' }[] = [
    { shape: [2, 1, 9, 3], filter: [1, 2], strides: [1, 2], pad: 'valid' },
    { shape: [2, 1, 9, 3], filter: [1, 3], strides: [1, 2], pad: 'same' },
    { shape: [2, 5, 6, 2], filter: [2, 2], strides: [1, 1], pad: 'same' },
  ];
  for (const { shape, filter, strides, pad } of cases) {
    const size = shape.reduce((p, n) => p * n, 1);
    const run = (backend: 'wasm' | 'cpu') => onBackend(backend, () => {
      const x = tf.tensor4d(seededValues(size, 3), shape);
      const y = tf.maxPool(x, filter, strides, pad);
      const w = tf.tensor(seededValues(y.size, 4), y.shape);
      return tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(t as tf.Tensor4D, filter, strides, pad), w)))(x).dataSync() as Float32Array;
    });
    const cpu = await run('cpu');
    const wasm = await run('wasm');
    assertClose(wasm, cpu, 1e-6, `maxPool ${JSON.stringify({ shape, filter, strides, pad })}`);
  }
});

test('Identity and same-dtype Cast on wasm share the data (as cpu does): values, lifetimes and gradients equal the cpu reference', async () => {
  const xv = seededValues(6 * 5, 21);
  // The tape saves inputs through Identity: a gradient that reads saved tensors must equal cpu's.
  const run = () => {
    const x = tf.tensor2d(xv, [6, 5]);
    const w = tf.tensor2d(seededValues(5 * 4, 22), [5, 4]);
    const g = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D), tf.sigmoid(tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D)))));
    const [ga, gb] = g([x, w]);
    return { ga: ga.dataSync() as Float32Array, gb: gb.dataSync() as Float32Array };
  };
  const cpu = await onBackend('cpu', run);
  const wasm = await onBackend('wasm', run);
  assertClose(wasm.ga, cpu.ga, 1e-5, 'gradient through saved inputs (x)');
  assertClose(wasm.gb, cpu.gb, 1e-5, 'gradient through saved inputs (w)');
  await onBackend('wasm', () => {
    const backend = tf.backend() as unknown as { refCount(dataId: object): number; numDataIds(): number };
    const before = backend.numDataIds();
    const x = tf.tensor2d(xv, [6, 5]);
    const copies = [tf.clone(x), tf.cast(x, 'float32'), tf.engine().runKernel('Identity', { x }) as tf.Tensor];
    for (const c of copies) assert.equal(c.dataId, x.dataId, 'no copy: the same data');
    assert.equal(backend.refCount(x.dataId), 4);
    x.dispose();
    for (const c of copies) assert.deepEqual(Array.from(c.dataSync()), Array.from(xv), 'a copy outlives the original');
    for (const c of copies) c.dispose();
    assert.equal(backend.numDataIds(), before, 'the data is freed with its last reference');
    // a real conversion still converts
    const ints = tf.cast(tf.tensor1d([1.7, -2.2, 3]), 'int32');
    assert.deepEqual(Array.from(ints.dataSync()), [1, -2, 3]);
    ints.dispose();
  });
});

test('BatchMatMul on wasm: per-element products on heap views equal the cpu reference, again and again (no stale cached weights, no leak)', async () => {
  // Attention shapes: [B·heads, T, d]·[B·heads, T, d]ᵀ and [B·heads, T, T]·[B·heads, T, d], each element
  // above SMALL_PRODUCT_MACS, so each runs as one XNNPACK product on views of the batched tensors.
  const cases: [number[], number[], boolean, boolean][] = [
    [[2, 3, 64, 16], [2, 3, 64, 16], false, true],
    [[2, 3, 64, 64], [2, 3, 64, 16], false, false],
    [[6, 64, 64], [6, 64, 16], true, false],
    [[1, 64, 64], [5, 64, 16], false, false], // shared left operand
  ];
  for (let round = 0; round < 4; round++) {
    for (const [sa, sb, ta, tb] of cases) {
      // new values each round in memory the previous round freed: a cached operator keyed by a
      // reused tensor id would return the previous round's products
      const av = seededValues(sa.reduce((p, q) => p * q, 1), 30 + round);
      const bv = seededValues(sb.reduce((p, q) => p * q, 1), 40 + round);
      const run = () => {
        const r = tf.matMul(tf.tensor(av, sa), tf.tensor(bv, sb), ta, tb);
        return r.dataSync() as Float32Array;
      };
      assertClose(await onBackend('wasm', run), await onBackend('cpu', run), 1e-5, `round ${round} matMul ${JSON.stringify([sa, sb, ta, tb])}`);
    }
  }
  await onBackend('wasm', () => {
    const a = tf.randomNormal([12, 64, 64]);
    const b = tf.randomNormal([12, 64, 16]);
    tf.matMul(a, b).dispose();
    const before = tf.memory();
    for (let i = 0; i < 5; i++) tf.matMul(a, b).dispose();
    assert.equal(tf.memory().numTensors, before.numTensors);
    assert.equal(tf.memory().numBytes, before.numBytes);
    a.dispose();
    b.dispose();
  });
});
