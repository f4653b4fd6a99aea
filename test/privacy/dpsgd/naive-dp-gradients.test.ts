/**
 * The naive DP-SGD gradient (the benchmarks' baseline) against the eDP step: without noise
 * they compute the same clipped sum over the expected batch size; the noise enters as
 * σC/E times the sampler's values on every coordinate.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initEngine } from '../../../src/engine/index.js';
import { INFERENCE, toTensorBatch } from '../../../src/models/index.js';
import { dpGradientStep } from '../../../src/privacy/index.js';
import { naiveDpGradients } from '../../../src/privacy/dpsgd/naive-dp-gradients.js';
import { assertClose, scoped } from '../../helpers.js';
import { smallBatch, smallModel } from '../../models/fixtures.js';

const constantSampler = (value: number) => ({ fill: (out: Float32Array) => out.fill(value) });

test('naive DP gradients equal the eDP step at σ = 0, and add σC/E per unit of noise on every coordinate', async () => {
  await initEngine({ backend: 'wasm' });
  const model = smallModel('embbag');
  const host = smallBatch(model);
  const clip = 0.05; // small enough that every example is clipped
  const E = 10;
  const grads = (sigma: number, noiseValue: number) => scoped(() => {
    const g = naiveDpGradients(model, toTensorBatch(host, model.task), INFERENCE, { clip, noiseMultiplier: sigma, expectedBatchSize: E, sampler: constantSampler(noiseValue) });
    return new Map([...g].map(([name, t]) => [name, t.dataSync() as Float32Array]));
  });
  const step = dpGradientStep({ noiseMultiplier: 0, clip, expectedBatchSize: E, prefetchNoise: false });
  const edp = scoped(() => {
    const { grads: g } = step(model, toTensorBatch(host, model.task), INFERENCE, host);
    return new Map([...g].map(([name, t]) => [name, t.dataSync() as Float32Array]));
  });
  step.dispose();
  const noiseless = grads(0, 0);
  assert.deepEqual([...noiseless.keys()].sort(), [...edp.keys()].sort());
  for (const [name, values] of edp) assertClose(noiseless.get(name)!, values, 1e-4, `noiseless ${name}`);
  const sigma = 2;
  const noisy = grads(sigma, 1);
  for (const [name, values] of noiseless) {
    const shift = noisy.get(name)!.map((v, i) => v - values[i]);
    assertClose(shift, new Float32Array(values.length).fill((sigma * clip) / E), 1e-4, `noise on ${name}`);
  }
  model.dispose();
});
