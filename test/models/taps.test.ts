/**
 * The taps are complete and correct: from the recorded inputs a and the tap gradients
 * g = ∂L/∂z alone, every parameter's gradient is rebuilt (dense: Σ aᵀg and Σ g; embedding:
 * scatter-add of g at the ids; layer norm: Σ g⊙x̂ and Σ g) and equals plain backprop.
 * This is what per-sample-gradient rules stand on.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf, initEngine, gradientsOfRegistered } from '../../src/engine/index.js';
import { TapRecorder, recordInput, toTensorBatch, INFERENCE, type TapRecord } from '../../src/models/index.js';
import { standardGradients } from '../../src/train/index.js';
import { assertClose } from '../helpers.js';
import { smallModel, smallBatch, MODEL_KINDS } from './fixtures.js';

function rebuild(record: TapRecord, g: tf.Tensor, params: Map<string, tf.Tensor>): Map<string, tf.Tensor> {
  const a = recordInput(record);
  const out = new Map<string, tf.Tensor>();
  const shape = params.get(record.weight)!.shape;
  if (record.rule === 'dense') {
    const a2 = tf.reshape(a, [-1, a.shape[a.rank - 1]]);
    const g2 = tf.reshape(g, [-1, g.shape[g.rank - 1]]);
    out.set(record.weight, tf.matMul(a2, g2, true, false));
    if (record.bias) out.set(record.bias, tf.sum(g2, 0));
  } else if (record.rule === 'embedding') {
    const D = shape[1] as number;
    out.set(record.weight, tf.unsortedSegmentSum(tf.reshape(g, [-1, D]), tf.reshape(a, [-1]), shape[0]));
  } else {
    const D = shape[0];
    out.set(record.weight, tf.sum(tf.reshape(tf.mul(g, a), [-1, D]), 0));
    out.set(record.bias!, tf.sum(tf.reshape(g, [-1, D]), 0));
  }
  return out;
}

for (const kind of MODEL_KINDS) {
  test(`taps: ${kind} parameter gradients rebuilt from (a, g) equal backprop`, async () => {
    await initEngine({ backend: 'cpu' });
    const model = smallModel(kind);
    const host = smallBatch(model);
    tf.tidy(() => {
      const batch = toTensorBatch(host, model.task);
      const expected = standardGradients(model, batch, INFERENCE, host).grads;
      let recorder!: TapRecorder;
      const { value, grads } = gradientsOfRegistered((register) => {
        recorder = new TapRecorder(register);
        return tf.mean(model.perExampleLoss(batch, { training: false, taps: recorder })) as tf.Scalar;
      });
      const params = new Map(model.parameters().map((p) => [p.name, p.variable as tf.Tensor]));
      const rebuilt = new Map<string, tf.Tensor>();
      let k = 0;
      for (const record of recorder.records) {
        const g = record.taps.length === 1 ? grads[k] : tf.stack(grads.slice(k, k + record.taps.length), 1);
        k += record.taps.length;
        for (const [name, t] of rebuild(record, g, params)) rebuilt.set(name, rebuilt.has(name) ? tf.add(rebuilt.get(name)!, t) : t);
      }
      assert.equal(k, grads.length);
      assert.ok(Number.isFinite(value.dataSync()[0]));
      assert.deepEqual([...rebuilt.keys()].sort(), [...expected.keys()].sort(), 'every parameter is covered by a tap record');
      for (const [name, g] of expected) {
        assertClose(rebuilt.get(name)!.dataSync(), g.dataSync(), 1e-4, `${kind} ${name}`);
      }
      recorder.dispose();
    });
    model.dispose();
  });
}
