/**
 * Non-private data-parallel training against the one-engine computation:
 *  - the batch's mean gradient from 2 engines (each a part's gradient sum) equals plain
 *    backprop of the mean loss on this thread's engine;
 *  - the optimizers on shared arrays (SGD with momentum, Adam, AdamW) equal optimizers.ts's;
 *  - a whole training run on 2 engines lands on the same parameters as on 1 (SGD, no
 *    dropout).
 * Tolerance: a coordinate of the gradient is a sum over the batch of float32 terms, added in
 * another order (two part sums, then their sum) and through products of another batch
 * dimension; float32 rounding (u = 6e-8) over a few dozen terms bounds the difference near
 * 1e-6 of the largest coordinate, so 1e-5 of it is asserted (max |a − b| / max |b|).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf, initEngine, SeededRandom } from '../../src/engine/index.js';
import { flatLayout, copyVariablesInto } from '../../src/engine/workers/index.js';
import { toTensorBatch, type HostBatch } from '../../src/models/index.js';
import { createOptimizer, runTraining, standardGradients, type OptimizerName } from '../../src/train/index.js';
import { DataParallelPlainGradients, createHostOptimizer, partSizes, sliceHostBatch } from '../../src/train/data-parallel/index.js';
import { assertClose, scoped, seededValues } from '../helpers.js';
import { smallBatch, smallModel } from '../models/fixtures.js';

const TOLERANCE = 1e-5;

function inProcessGradients(model: ReturnType<typeof smallModel>, host: HostBatch): Map<string, Float32Array> {
  return scoped(() => {
    const { grads } = standardGradients(model, toTensorBatch(host, model.task), { training: true, rng: new SeededRandom(1) }, host);
    return new Map([...grads].map(([k, v]) => [k, v.dataSync().slice() as Float32Array]));
  });
}

test('partSizes splits a batch into contiguous parts differing by at most one', () => {
  assert.deepEqual(partSizes(7, 2), [4, 3]);
  assert.deepEqual(partSizes(256, 2), [128, 128]);
  assert.deepEqual(partSizes(1, 3), [1, 0, 0]);
  assert.deepEqual(partSizes(0, 2), [0, 0]);
});

test('data-parallel mean gradient on 2 engines equals plain backprop on one (embbag, char-transformer)', async () => {
  await initEngine({ backend: 'wasm' });
  for (const kind of ['embbag', 'char-transformer']) {
    const model = smallModel(kind);
    const source = new DataParallelPlainGradients(model, 2);
    try {
      for (const host of [smallBatch(model), sliceHostBatch(smallBatch(model), 0, 3)]) {
        const expected = inProcessGradients(model, host);
        const { grads, loss } = await source.gradients(host, 1);
        for (const [name, g] of expected) assertClose(grads.get(name)!, g, TOLERANCE, `${kind} ${name} (batch ${host.size})`);
        const plainLoss = tf.tidy(() => tf.mean(model.perExampleLoss(toTensorBatch(host, model.task), { training: false })).dataSync()[0]);
        assert.ok(Math.abs(loss - plainLoss) <= 1e-5 * Math.abs(plainLoss), `${kind}: loss ${loss} vs ${plainLoss}`);
      }
    } finally {
      await source.close();
      model.dispose();
    }
  }
});

test('optimizers on shared arrays equal the tensor optimizers (sgd, adam, adamw), state included', async () => {
  await initEngine({ backend: 'wasm' });
  for (const name of ['sgd', 'adam', 'adamw'] as OptimizerName[]) {
    const model = smallModel('embbag');
    const params = model.parameters();
    const layout = flatLayout(params);
    const flat = new Float32Array(layout.total);
    copyVariablesInto(params, layout, flat);
    const host = createHostOptimizer({ name }, layout, flat);
    const reference = createOptimizer({ name });
    for (let step = 0; step < 3; step++) {
      const grads = new Map(params.map((p, k) => [p.name, seededValues(p.variable.size, 10 * step + k + 1)]));
      tf.tidy(() => reference.step(params, new Map([...grads].map(([n, g]) => [n, tf.tensor(g, model.store.get(n).shape)])), 0.01));
      host.step(grads, 0.01);
    }
    const expected = new Float32Array(layout.total);
    copyVariablesInto(params, layout, expected);
    assertClose(flat, expected, 1e-6, `${name} parameters after 3 steps`);
    const hostState = host.getState();
    const refState = reference.getState();
    assert.equal(hostState.steps, 3);
    assert.deepEqual(hostState.slots.map((s) => s.name).sort(), refState.slots.map((s) => s.name).sort(), `${name} slot names`);
    for (const s of refState.slots) {
      const mine = hostState.slots.find((h) => h.name === s.name)!;
      assert.deepEqual(mine.shape, s.shape);
      assertClose(mine.values, s.values, 1e-6, `${name} slot ${s.name}`);
    }
    reference.dispose();
    model.dispose();
  }
});

test('training on 2 engines ends at the parameters of training on 1 (SGD, no dropout)', async () => {
  await initEngine({ backend: 'wasm' });
  const run = (engines: number) =>
    runTraining({ dataset: 'synthetic', model: 'embbag', seed: 3, epochs: 1, maxStepsPerEpoch: 6, batchSize: 16, optimizer: 'sgd', learningRate: 0.05, config: { dropout: 0, embeddingDim: 16, hidden: 8 }, engines });
  const one = await run(1);
  const two = await run(2);
  assert.equal(two.training.steps, one.training.steps);
  const flat = (m: typeof one.model) => {
    const layout = flatLayout(m.parameters());
    const out = new Float32Array(layout.total);
    copyVariablesInto(m.parameters(), layout, out);
    return out;
  };
  // SGD is linear in the gradient, so per-step rounding differences stay of their own size.
  assertClose(flat(two.model), flat(one.model), 1e-5, 'parameters after 6 steps');
  one.model.dispose();
  two.model.dispose();
});
