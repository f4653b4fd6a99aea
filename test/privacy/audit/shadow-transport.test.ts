/**
 * A membership experiment's model specification as queue workers receive it: the checkpoint
 * format (model.json + weights.bin bytes). It decodes to the same specification (initial
 * embeddings bit for bit, a user's topology included), a shadow trained from it equals one
 * trained from the plain specification, and damaged bytes fail with a CheckpointError.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initEngine } from '../../../src/engine/index.js';
import { CheckpointError } from '../../../src/errors.js';
import { ShadowTrainer, type ClassifierSpec } from '../../../src/privacy/audit/index.js';
import { classifierSpecCheckpoint, classifierSpecFromCheckpoint } from '../../../src/privacy/audit/shadow-transport.js';
import { shadowTrainingFixture } from '../../engine/jobs/shadow-fixture.js';
import { seededValues } from '../../helpers.js';

test('a shadow model\'s specification round-trips through the checkpoint format, and trains the same shadow', async () => {
  const { config, jobs } = shadowTrainingFixture(1);
  const spec = config.model as ClassifierSpec;
  const vocabulary = spec.tokenizer.tokens.length;
  const withEmbeddings: ClassifierSpec = { ...spec, config: { embeddingDim: 8 }, initialEmbeddings: seededValues(vocabulary * 8, 4) };
  const decoded = classifierSpecFromCheckpoint(classifierSpecCheckpoint(withEmbeddings), 'test');
  assert.deepEqual({ ...decoded, initialEmbeddings: undefined }, { ...withEmbeddings, initialEmbeddings: undefined });
  assert.deepEqual(Buffer.from(decoded.initialEmbeddings!.buffer), Buffer.from(withEmbeddings.initialEmbeddings!.buffer));
  const layersSpec: ClassifierSpec = { ...spec, kind: 'layers', topology: { class_name: 'Sequential', config: { layers: [] } }, maxLength: 12 };
  assert.deepEqual(classifierSpecFromCheckpoint(classifierSpecCheckpoint(layersSpec), 'test'), layersSpec);

  await initEngine({ backend: 'cpu' });
  const plain = await new ShadowTrainer({ ...config, model: withEmbeddings }).handle(jobs[0]);
  const travelled = await new ShadowTrainer({ ...config, model: classifierSpecCheckpoint(withEmbeddings) }).handle(jobs[0]);
  assert.deepEqual(Buffer.from(travelled.stats.buffer), Buffer.from(plain.stats.buffer));
  assert.deepEqual(Buffer.from(travelled.losses.buffer), Buffer.from(plain.losses.buffer));

  const files = classifierSpecCheckpoint(withEmbeddings);
  const damaged = { modelJson: files.modelJson, weights: files.weights.slice() };
  damaged.weights[3] ^= 1;
  assert.throws(() => new ShadowTrainer({ ...config, model: damaged }), (e: Error) => e instanceof CheckpointError && /SHA-256/.test(e.message));
});
