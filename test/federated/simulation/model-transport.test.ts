/**
 * The global model as queue jobs carry it: the checkpoint format (model.json + weights.bin bytes,
 * what saveCheckpoint writes). loadModel reads it as a checkpoint directory; a worker decodes it
 * to the coordinator's parameters bit for bit, trains to the same delta as from the bare vector,
 * and refuses one that does not fit its model.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initEngine } from '../../../src/engine/index.js';
import { loadModel } from '../../../src/models/index.js';
import { CheckpointError } from '../../../src/errors.js';
import { prepareFederatedDataset } from '../../../src/federated/simulation/index.js';
import { TrainingWorker, type FitJobResult, type InitialParametersResult } from '../../../src/federated/simulation/training-handler.js';
import { globalModelCheckpoint, globalParameters } from '../../../src/federated/simulation/model-transport.js';
import { seededValues } from '../../helpers.js';

const bytes = (v: Float32Array) => Buffer.from(v.buffer, v.byteOffset, v.byteLength);

test('a job\'s global model is a checkpoint loadModel reads, decodes to the same parameters, and trains to the same delta as the bare vector', async () => {
  await initEngine({ backend: 'cpu' });
  const data = prepareFederatedDataset({ dataset: 'synthetic', partition: 'iid', numClients: 4, model: 'embbag', modelConfig: { embeddingDim: 8, hidden: 8 }, seed: 3 });
  const worker = await TrainingWorker.create({ model: data.model, train: data.train, evaluation: data.evaluation });
  const dir = mkdtempSync(join(tmpdir(), 'trustnlu-transport-'));
  try {
    const initial = worker.handle({ type: 'initial' }) as InitialParametersResult;
    // parameters unlike the model's own, so a decoder that fell back on the model's weights would show
    const flat = seededValues(initial.parameters.length, 11);
    const files = globalModelCheckpoint(data.model, initial.layout, initial.shapes, flat);

    writeFileSync(join(dir, 'model.json'), files.modelJson);
    writeFileSync(join(dir, 'weights.bin'), files.weights);
    const { model } = loadModel(dir);
    const loaded = model.parameters();
    assert.deepEqual(loaded.map((p) => p.name), initial.layout.names);
    let offset = 0;
    for (const p of loaded) {
      const values = p.variable.dataSync() as Float32Array;
      assert.deepEqual(bytes(values), bytes(flat.subarray(offset, offset + values.length)), p.name);
      offset += values.length;
    }
    model.dispose();

    assert.deepEqual(bytes(globalParameters(files, initial.layout, 'test')), bytes(flat));
    const job = { type: 'fit' as const, clientId: data.clients[0].id, indices: Int32Array.from(data.clients[0].indices), config: { localEpochs: 1, batchSize: 8, learningRate: 0.01, optimizer: 'adam' as const, momentum: 0, maxSteps: 0, proximalMu: 0, seed: 5 } };
    const fromVector = (await worker.handle({ ...job, parameters: flat.slice() })) as FitJobResult;
    const fromCheckpoint = (await worker.handle({ ...job, parameters: files })) as FitJobResult;
    assert.deepEqual(bytes(fromCheckpoint.delta), bytes(fromVector.delta));
    assert.equal(fromCheckpoint.metrics.loss, fromVector.metrics.loss);

    const otherLayout = { names: [...initial.layout.names].reverse(), lengths: [...initial.layout.lengths].reverse() };
    assert.throws(() => globalParameters(files, otherLayout, 'job 9'), (e: Error) => e instanceof CheckpointError && /^job 9: weight 0 is/.test(e.message));
    const damaged = { modelJson: files.modelJson, weights: files.weights.slice() };
    damaged.weights[0] ^= 1;
    assert.throws(() => globalParameters(damaged, initial.layout, 'job 9'), (e: Error) => e instanceof CheckpointError && /SHA-256/.test(e.message));
  } finally {
    worker.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
});
