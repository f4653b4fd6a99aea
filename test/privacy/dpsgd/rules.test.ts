/**
 * Per-sample gradient rules against independent computations.
 *  - Each rule on hand-made (a, g): per-example gradients built explicitly, one example at a
 *    time (aᵢᵀgᵢ, a scatter of gᵢ at its ids, Σₜ gₜ⊙x̂ₜ), including repeated ids within an
 *    example and both sequence paths.
 *  - Every model kind end to end against the naive per-example loop (tf.grad of Lᵢ alone):
 *    every parameter's per-example squared norm and a weighted sum Σᵢ cᵢ∇Lᵢ, relative error
 *    ≤ 1e-4, on wasm and on cpu, with the ghost and the instantiate path for sequences.
 *  - The embedding's host path (adding the clipped sum into a buffer, as the DP step does
 *    with the noise) against the same references, also with all-zero rows (which it skips).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf, initEngine, type BackendName } from '../../../src/engine/index.js';
import { toTensorBatch, INFERENCE, type TapRecord } from '../../../src/models/index.js';
import {
  chooseSequencePath,
  denseRule,
  embeddingRule,
  embeddingSquaredNorms,
  firstOccurrenceSegments,
  layerNormRule,
  naivePerExampleGradients,
  perSampleGradients,
  registeredRules,
  sequenceCosts,
  type PerSampleOptions,
} from '../../../src/privacy/dpsgd/index.js';
import { productSumOverTime, rowSquaredNorms, sumOverTime, weightedRowSum } from '../../../src/privacy/dpsgd/rules/host.js';
import { assertClose, seededValues } from '../../helpers.js';
import { smallBatch, smallModel, MODEL_KINDS } from '../../models/fixtures.js';

const BACKENDS: BackendName[] = ['wasm', 'cpu'];
const TOLERANCE = 1e-4;

function fakeRecord(rule: TapRecord['rule'], bias: boolean): TapRecord {
  return { layer: 'layer', rule, weight: 'w', bias: bias ? 'b' : undefined, inputs: [], taps: [] };
}

const values = (n: number, seed: number) => Array.from(seededValues(n, seed));
const coefficientsFor = (B: number) => Float32Array.from({ length: B }, (_, i) => 0.25 + 0.5 * i);

/** Checks a rule's norms and weighted sum against explicit per-example gradients. */
function checkAgainstExplicit(
  rule: typeof denseRule,
  record: TapRecord,
  a: tf.Tensor,
  g: tf.Tensor,
  shapes: Map<string, number[]>,
  explicit: (i: number) => Map<string, tf.Tensor>,
  options: PerSampleOptions,
  what: string,
): string {
  const B = a.shape[0];
  const result = rule({ record, a, g, shapes, options });
  const c = coefficientsFor(B);
  const sums = result.clippedSum(tf.tensor1d(c));
  for (const name of shapes.keys()) {
    const expectedNorms: number[] = [];
    let expectedSum: tf.Tensor = tf.zeros(shapes.get(name)!);
    for (let i = 0; i < B; i++) {
      const gi = explicit(i).get(name)!;
      expectedNorms.push(tf.sum(tf.square(gi)).dataSync()[0]);
      expectedSum = tf.add(expectedSum, tf.mul(gi, c[i]));
    }
    assertClose(result.squaredNorms.get(name)!.dataSync(), expectedNorms, TOLERANCE, `${what} ${name} norms`);
    assertClose(sums.get(name)!.dataSync(), expectedSum.dataSync(), TOLERANCE, `${what} ${name} weighted sum`);
    if (result.addClippedSumTo) {
      // The host path adds the same sum into a buffer that already holds values (the DP step's noise).
      const size = shapes.get(name)!.reduce((p, n) => p * n, 1);
      const base = seededValues(size, 99);
      const into = Float32Array.from(base);
      result.addClippedSumTo(c, new Map([[name, into]]));
      const expected = tf.add(expectedSum, tf.tensor(base, shapes.get(name)!)).dataSync();
      assertClose(into, expected, TOLERANCE, `${what} ${name} host weighted sum`);
    }
  }
  return result.path;
}

for (const backend of BACKENDS) {
  test(`dense rule (${backend}): vectors, and sequences by both paths, equal explicit aᵢᵀgᵢ`, async () => {
    await initEngine({ backend });
    tf.tidy(() => {
      const [B, T, I, O] = [3, 5, 4, 6];
      const shapes = new Map([['w', [I, O]], ['b', [O]]]);
      const record = fakeRecord('dense', true);
      const a2 = tf.tensor2d(values(B * I, 1), [B, I]);
      const g2 = tf.tensor2d(values(B * O, 2), [B, O]);
      const vector = (i: number) => {
        const ai = tf.slice(a2, [i, 0], [1, I]);
        const gi = tf.slice(g2, [i, 0], [1, O]);
        return new Map([['w', tf.matMul(ai, gi, true, false)], ['b', tf.reshape(gi, [O])]]);
      };
      assert.equal(checkAgainstExplicit(denseRule, record, a2, g2, shapes, vector, {}, 'vector'), 'vector');

      const a3 = tf.tensor3d(values(B * T * I, 3), [B, T, I]);
      const g3 = tf.tensor3d(values(B * T * O, 4), [B, T, O]);
      const sequence = (i: number) => {
        const ai = tf.reshape(tf.slice(a3, [i, 0, 0], [1, T, I]), [T, I]);
        const gi = tf.reshape(tf.slice(g3, [i, 0, 0], [1, T, O]), [T, O]);
        return new Map([['w', tf.matMul(ai, gi, true, false)], ['b', tf.sum(gi, 0)]]);
      };
      for (const path of ['ghost', 'instantiate'] as const) {
        assert.equal(checkAgainstExplicit(denseRule, record, a3, g3, shapes, sequence, { sequencePath: path }, path), path);
      }
      // Without a bias, only the kernel.
      const noBias = checkAgainstExplicit(denseRule, fakeRecord('dense', false), a3, g3, new Map([['w', [I, O]]]), sequence, {}, 'no bias');
      assert.ok(['ghost', 'instantiate'].includes(noBias));
      // Any middle axes are time axes: [B, 1, T, in] is the same as [B, T, in].
      const a4 = tf.reshape(a3, [B, 1, T, I]);
      const g4 = tf.reshape(g3, [B, 1, T, O]);
      checkAgainstExplicit(denseRule, record, a4, g4, shapes, sequence, { sequencePath: 'ghost' }, 'rank 4');
    });
  });

  test(`embedding rule (${backend}): repeated ids within an example, both norm paths, equal an explicit scatter`, async () => {
    await initEngine({ backend });
    tf.tidy(() => {
      const [B, T, V, D] = [3, 6, 7, 4];
      // Example 0 repeats id 2 three times, example 1 is all one id, example 2 uses padding id 0 twice.
      const idRows = [2, 5, 2, 1, 2, 6, 3, 3, 3, 3, 3, 3, 4, 0, 1, 0, 6, 5];
      const ids = tf.tensor2d(idRows, [B, T], 'int32');
      const g = tf.tensor3d(values(B * T * D, 5), [B, T, D]);
      const shapes = new Map([['w', [V, D]]]);
      const explicit = (i: number) => {
        const gi = tf.reshape(tf.slice(g, [i, 0, 0], [1, T, D]), [T, D]);
        const idsI = tf.tensor1d(idRows.slice(i * T, (i + 1) * T), 'int32');
        return new Map([['w', tf.unsortedSegmentSum(gi, idsI, V)]]);
      };
      for (const path of ['segments', 'ghost'] as const) {
        assert.equal(checkAgainstExplicit(embeddingRule, fakeRecord('embedding', false), ids, g, shapes, explicit, { embeddingPath: path }, path), path);
      }
      // Rows that are exactly zero (skipped on the host): a unique id (position 1), one of a
      // repeated id (2), one of an all-same row (9), and both padding positions (13, 15).
      const zeroRows = new Set([1, 2, 9, 13, 15]);
      const gValues = g.dataSync().slice();
      for (const k of zeroRows) gValues.fill(0, k * D, (k + 1) * D);
      const gz = tf.tensor3d(gValues, [B, T, D]);
      const explicitZ = (i: number) => {
        const gi = tf.reshape(tf.slice(gz, [i, 0, 0], [1, T, D]), [T, D]);
        return new Map([['w', tf.unsortedSegmentSum(gi, tf.tensor1d(idRows.slice(i * T, (i + 1) * T), 'int32'), V)]]);
      };
      for (const path of ['segments', 'ghost'] as const) {
        checkAgainstExplicit(embeddingRule, fakeRecord('embedding', false), ids, gz, shapes, explicitZ, { embeddingPath: path }, `${path} with zero rows`);
      }
      const flags = new Uint8Array(B * T);
      embeddingSquaredNorms(Int32Array.from(idRows), gValues, B, T, D, V, flags);
      assert.deepEqual([...flags], idRows.map((_, k) => (zeroRows.has(k) ? 0 : 1)));
    });
  });

  test(`layer-norm rule (${backend}): vectors and sequences equal explicit Σₜ gₜ⊙x̂ₜ and Σₜ gₜ`, async () => {
    await initEngine({ backend });
    tf.tidy(() => {
      const [B, T, D] = [3, 4, 5];
      const shapes = new Map([['w', [D]], ['b', [D]]]);
      for (const rank of [2, 3]) {
        const shape = rank === 2 ? [B, D] : [B, T, D];
        const x = tf.tensor(values(shape.reduce((p, n) => p * n), 6), shape);
        const g = tf.tensor(values(shape.reduce((p, n) => p * n), 7), shape);
        const explicit = (i: number) => {
          const rows = (t: tf.Tensor) => tf.reshape(tf.slice(t, [i, ...shape.slice(1).map(() => 0)], [1, ...shape.slice(1)]), [-1, D]);
          return new Map([['w', tf.sum(tf.mul(rows(g), rows(x)), 0)], ['b', tf.sum(rows(g), 0)]]);
        };
        checkAgainstExplicit(layerNormRule, fakeRecord('layernorm', true), x, g, shapes, explicit, {}, `rank ${rank}`);
      }
    });
  });
}

for (const backend of BACKENDS) {
  test(`host reductions (${backend}): weighted row sums, row norms and sums over time equal tensor ops, with and without remainder rows`, async () => {
    await initEngine({ backend });
    tf.tidy(() => {
      for (const [B, T, D] of [[7, 6, 5], [8, 4, 3], [1, 1, 2]]) {
        const x = tf.tensor3d(values(B * T * D, 11 + B), [B, T, D]);
        const y = tf.tensor3d(values(B * T * D, 12 + B), [B, T, D]);
        const c = Float32Array.from({ length: B }, (_, i) => 0.1 + 0.3 * i);
        const x2 = tf.reshape(x, [B, T * D]) as tf.Tensor2D;
        const what = `[${B}, ${T}, ${D}]`;
        assertClose(weightedRowSum(c, x2).dataSync(), tf.matMul(tf.tensor2d(c, [1, B]), x2).dataSync(), 1e-5, `${what} weighted row sum`);
        assertClose(weightedRowSum(tf.tensor1d(c), x2).dataSync(), tf.matMul(tf.tensor2d(c, [1, B]), x2).dataSync(), 1e-5, `${what} weighted row sum, tensor c`);
        assertClose(rowSquaredNorms(x).dataSync(), tf.sum(tf.square(x2), 1).dataSync(), 1e-5, `${what} row norms`);
        assertClose(sumOverTime(x, D).dataSync(), tf.sum(x, 1).dataSync(), 1e-5, `${what} sum over time`);
        assertClose(productSumOverTime(x, y, D).dataSync(), tf.sum(tf.mul(x, y), 1).dataSync(), 1e-5, `${what} product sum over time`);
      }
    });
  });
}

test('first-occurrence segments group equal ids within a row only', () => {
  const ids = Int32Array.from([3, 1, 3, 3, 1, 9, 3, 3]);
  // Row 0: positions 0, 2, 3 share id 3; 1 has id 1. Row 1: 4 (id 1), 5 (id 9, out of range for V = 5), 6 and 7 (id 3).
  assert.deepEqual(Array.from(firstOccurrenceSegments(ids, 2, 4, 5)), [0, 1, 0, 0, 4, 5, 6, 6]);
});

test('the path choice follows the cost estimate and the memory limit', () => {
  // Small layers over long sequences: instantiating (T·in·out) beats Gram matrices (T²(in+out)).
  assert.equal(chooseSequencePath(64, 128, 128, 384), 'instantiate');
  // A big output layer over a short sequence: the ghost norm is cheaper.
  const c = sequenceCosts(8, 256, 20000);
  assert.ok(c.ghost < c.instantiate);
  assert.equal(chooseSequencePath(4, 8, 256, 20000, { instantiateLimit: Infinity }), 'ghost');
  // Cheaper but too big to hold: ghost.
  assert.equal(chooseSequencePath(256, 64, 128, 512, { instantiateLimit: 1e6 }), 'ghost');
  assert.equal(chooseSequencePath(256, 64, 128, 512, { sequencePath: 'ghost' }), 'ghost');
  assert.deepEqual(registeredRules().sort(), ['dense', 'embedding', 'generic', 'layernorm']);
});

for (const backend of BACKENDS) {
  for (const kind of MODEL_KINDS) {
    test(`every parameter of ${kind} (${backend}): per-example norms and weighted sums equal the naive loop`, async () => {
      await initEngine({ backend });
      const model = smallModel(kind);
      const host = smallBatch(model);
      const B = host.size;
      const c = coefficientsFor(B);
      tf.tidy(() => {
        const batch = toTensorBatch(host, model.task);
        const naive = naivePerExampleGradients(model, batch, INFERENCE, (i) => c[i]);
        const paths = new Set<string>();
        let hostPaths = 0;
        for (const sequencePath of ['ghost', 'instantiate'] as const) {
          const result = perSampleGradients(model, batch, INFERENCE, { sequencePath, embeddingPath: sequencePath === 'ghost' ? 'ghost' : 'segments' });
          assertClose([result.lossSum.dataSync()[0]], [naive.losses.reduce((s, x) => s + x, 0)], 1e-5, `${kind} loss sum`);
          const covered = new Set<string>();
          for (const record of result.records) {
            paths.add(record.path);
            const sums = record.clippedSum(tf.tensor1d(c));
            for (const name of record.parameters) {
              covered.add(name);
              assertClose(record.squaredNorms.get(name)!.dataSync(), naive.squaredNorms.get(name)!, TOLERANCE, `${kind} ${sequencePath} ${name} norms`);
              assertClose(sums.get(name)!.dataSync(), naive.weightedSum.get(name)!.dataSync(), TOLERANCE, `${kind} ${sequencePath} ${name} weighted sum`);
              if (record.addClippedSumTo) {
                hostPaths++;
                const into = new Float32Array(naive.weightedSum.get(name)!.size);
                record.addClippedSumTo(c, new Map([[name, into]]));
                assertClose(into, naive.weightedSum.get(name)!.dataSync(), TOLERANCE, `${kind} ${sequencePath} ${name} host weighted sum`);
              }
            }
          }
          assert.deepEqual([...covered].sort(), model.parameters().map((p) => p.name).sort(), 'every parameter is covered');
        }
        for (const t of naive.weightedSum.values()) t.dispose();
        assert.ok(hostPaths > 0, `${kind}: the embedding's host path ran`);
        if (kind !== 'embbag') assert.ok(paths.has('ghost') && paths.has('instantiate'), `${kind}: both sequence paths ran (${[...paths]})`);
      });
      model.dispose();
    });
  }
}
