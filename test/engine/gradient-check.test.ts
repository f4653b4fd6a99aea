/**
 * Every op the models use, checked where it matters: the gradient of each architecture's
 * loss w.r.t. every parameter, on wasm (with our kernel patches) against the pure-JS cpu
 * backend. Relative error ≤ 1e-4 per parameter.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf, initEngine } from '../../src/engine/index.js';
import { toTensorBatch, INFERENCE } from '../../src/models/index.js';
import { standardGradients } from '../../src/train/index.js';
import { maxRelativeError } from '../helpers.js';
import { smallModel, smallBatch, MODEL_KINDS } from '../models/fixtures.js';

function gradients(kind: string): Map<string, Float32Array> {
  const model = smallModel(kind);
  const host = smallBatch(model);
  const out = new Map<string, Float32Array>();
  tf.tidy(() => {
    const { grads } = standardGradients(model, toTensorBatch(host, model.task), INFERENCE, host);
    for (const [name, g] of grads) out.set(name, g.dataSync() as Float32Array);
  });
  model.dispose();
  return out;
}

for (const kind of MODEL_KINDS) {
  test(`gradient check: ${kind} on wasm equals cpu (relative error ≤ 1e-4)`, async () => {
    await initEngine({ backend: 'cpu' });
    const reference = gradients(kind);
    await initEngine({ backend: 'wasm' });
    const actual = gradients(kind);
    assert.equal(actual.size, reference.size);
    let nonZero = 0;
    for (const [name, ref] of reference) {
      const got = actual.get(name);
      assert.ok(got, `no wasm gradient for ${name}`);
      const err = maxRelativeError(got, ref);
      assert.ok(err <= 1e-4, `${kind} ${name}: relative error ${err.toExponential(2)}`);
      if (ref.some((v) => v !== 0)) nonZero++;
    }
    // every parameter must get a gradient (a disconnected parameter would be a bug)
    assert.equal(nonZero, reference.size, `${kind}: some parameters have all-zero gradients`);
  });
}
