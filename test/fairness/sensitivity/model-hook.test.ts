/** IntentClassifier.logitsFromEmbeddings(E[ids], mask) equals logits(batch) for every classifier kind. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf, initEngine } from '../../../src/engine/index.js';
import { INFERENCE, toTensorBatch, type IntentClassifier } from '../../../src/models/index.js';
import { smallBatch, smallModel } from '../../models/fixtures.js';
import { assertClose } from '../../helpers.js';

test('logitsFromEmbeddings equals logits on the same batch (embbag, cnn, transformer)', async () => {
  await initEngine({ backend: 'cpu' });
  for (const kind of ['embbag', 'cnn', 'transformer']) {
    const model = smallModel(kind) as unknown as IntentClassifier;
    const host = smallBatch(model);
    const [direct, hooked] = tf.tidy(() => {
      const batch = toTensorBatch(host, 'classifier');
      const embedded = tf.gather(model.store.get('embedding/embeddings'), batch.ids) as unknown as tf.Tensor3D;
      return [model.logits(batch, INFERENCE).dataSync(), model.logitsFromEmbeddings(embedded, batch.mask, INFERENCE).dataSync()];
    });
    assert.equal(direct.length, host.size * 3);
    assertClose(hooked, direct, 1e-6, `${kind} logits`);
    model.dispose();
  }
});
