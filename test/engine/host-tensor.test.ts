import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf, onBackend } from '../helpers.js';
import { filledTensors } from '../../src/engine/index.js';

test('filledTensors: host-written values, right shapes, owned by the tidy scope, on both backends', async () => {
  for (const backend of ['wasm', 'cpu'] as const) {
    await onBackend(backend, () => {
      const before = tf.memory().numTensors;
      const sums = tf.tidy(() => {
        const [a, b] = filledTensors([[2, 3], [4]], (views) => {
          assert.deepEqual(views.map((v) => v.length), [6, 4]);
          views[0].set([1, 2, 3, 4, 5, 6]);
          for (let i = 0; i < 4; i++) views[1][i] = 10 * i;
        });
        assert.deepEqual(a.shape, [2, 3]);
        assert.deepEqual(Array.from(a.dataSync()), [1, 2, 3, 4, 5, 6]);
        // usable as an op input: row sums of a, and b plus 1
        return [tf.sum(a, 1), tf.add(b, 1)];
      });
      assert.deepEqual(Array.from(sums[0].dataSync()), [6, 15], backend);
      assert.deepEqual(Array.from(sums[1].dataSync()), [1, 11, 21, 31], backend);
      sums.forEach((t) => t.dispose());
      assert.equal(tf.memory().numTensors, before, `${backend}: the filled tensors were released with their scope`);
    });
  }
});
