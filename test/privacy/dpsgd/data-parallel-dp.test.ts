/**
 * Data-parallel eDP-SGD against the one-engine DP step (dp-step.ts, itself tested against
 * the naive per-example loop in dp-step.test.ts):
 *  - noise 0, clipping active (C below most norms): 1 engine, 2 engines and the one-engine
 *    step give the same clipped sum / qN, flat and per-layer, embbag and char-transformer;
 *  - with noise from one seeded source, 2 engines equal the one-engine step too (the noise
 *    is drawn once, on the main thread, in the same order);
 *  - the noise is there: (noisy − noiseless) has std σC/(qN) from the CSPRNG;
 *  - a training run on 2 engines spends exactly the ε of one (sampling and noise unchanged).
 * Tolerance 1e-5 of the largest coordinate (max |a − b| / max |b|): the same float32 terms
 * summed in another order (per part, then the parts), through products over another batch
 * dimension; rounding over a few dozen terms stays near 1e-6 of the largest coordinate.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf, initEngine, SeededRandom } from '../../../src/engine/index.js';
import { toTensorBatch, type AnyModel, type HostBatch } from '../../../src/models/index.js';
import { runTraining } from '../../../src/train/index.js';
import { sliceHostBatch } from '../../../src/train/data-parallel/index.js';
import { DataParallelDpGradients, PrivateTraining, createGaussianNoise, dpGradientStep, type DpStepOptions } from '../../../src/privacy/index.js';
import { assertClose, scoped } from '../../helpers.js';
import { smallBatch, smallModel } from '../../models/fixtures.js';

const TOLERANCE = 1e-5;

function oneEngineStep(model: AnyModel, host: HostBatch, options: DpStepOptions): Map<string, Float32Array> {
  const step = dpGradientStep({ prefetchNoise: false, ...options });
  try {
    return scoped(() => {
      const { grads } = step(model, toTensorBatch(host, model.task), { training: true, rng: new SeededRandom(1) }, host);
      return new Map([...grads].map(([name, g]) => [name, g.dataSync().slice() as Float32Array]));
    });
  } finally {
    step.dispose();
  }
}

async function parallelStep(model: AnyModel, host: HostBatch, options: DpStepOptions, engines: number): Promise<Map<string, Float32Array>> {
  return (await parallelSteps(model, [host], options, engines))[0];
}

/** One data-parallel DP source (its engines started once) run on each batch. */
async function parallelSteps(model: AnyModel, hosts: HostBatch[], options: DpStepOptions, engines: number): Promise<Map<string, Float32Array>[]> {
  const source = new DataParallelDpGradients(model, { prefetchNoise: false, ...options }, engines);
  try {
    const out: Map<string, Float32Array>[] = [];
    for (const host of hosts) {
      const { grads } = await source.gradients(host, 1);
      out.push(new Map([...grads].map(([name, g]) => [name, g.slice()])));
    }
    return out;
  } finally {
    await source.close();
  }
}

function assertSameGradients(actual: Map<string, Float32Array>, expected: Map<string, Float32Array>, what: string): void {
  assert.deepEqual([...actual.keys()].sort(), [...expected.keys()].sort(), `${what}: parameters`);
  for (const [name, g] of expected) assertClose(actual.get(name)!, g, TOLERANCE, `${what} ${name}`);
}

test('noise 0: 1 engine, 2 engines and the one-engine DP step agree (flat and per-layer clipping, batches split evenly and not)', async () => {
  await initEngine({ backend: 'wasm' });
  for (const kind of ['embbag', 'char-transformer']) {
    const model = smallModel(kind);
    const hosts = [smallBatch(model), sliceHostBatch(smallBatch(model), 0, 3)];
    for (const clipping of ['flat', 'per-layer'] as const) {
      const options: DpStepOptions = { noiseMultiplier: 0, clip: 0.05, clipping, expectedBatchSize: 5 };
      const references = hosts.map((host) => oneEngineStep(model, host, options));
      const engineCounts = clipping === 'flat' ? [2, 1] : [2];
      for (const engines of engineCounts) {
        const results = await parallelSteps(model, hosts, options, engines);
        results.forEach((r, k) => assertSameGradients(r, references[k], `${engines} engine(s), ${kind} ${clipping} batch ${hosts[k].size}`));
      }
    }
    model.dispose();
  }
});

test('with noise from the same seeded source, 2 engines equal the one-engine DP step', async () => {
  await initEngine({ backend: 'wasm' });
  const model = smallModel('embbag');
  const host = smallBatch(model);
  const options = (): DpStepOptions => ({ noiseMultiplier: 1.3, clip: 0.5, expectedBatchSize: 4, noise: createGaussianNoise({ seed: 42 }) });
  const reference = oneEngineStep(model, host, options());
  assertSameGradients(await parallelStep(model, host, options(), 2), reference, 'seeded noise, 2 engines');
  model.dispose();
});

test('the noise added once on the main thread has std σC/(qN)', async () => {
  await initEngine({ backend: 'wasm' });
  const model = smallModel('embbag', 2);
  const host = smallBatch(model);
  const sigma = 2;
  const clip = 0.5;
  const qN = 4;
  const clean = await parallelStep(model, host, { noiseMultiplier: 0, clip, expectedBatchSize: qN }, 2);
  const noisy = await parallelStep(model, host, { noiseMultiplier: sigma, clip, expectedBatchSize: qN }, 2);
  let n = 0;
  let sum = 0;
  let squares = 0;
  for (const [name, g] of noisy) {
    const c = clean.get(name)!;
    for (let i = 0; i < g.length; i++) {
      const d = g[i] - c[i];
      n++;
      sum += d;
      squares += d * d;
    }
  }
  const std = Math.sqrt(squares / n - (sum / n) ** 2);
  const expected = (sigma * clip) / qN;
  // n is a few hundred coordinates here: the sample std is within 4 standard errors (≈ 4/√(2n)).
  assert.ok(Math.abs(std / expected - 1) < 4 / Math.sqrt(2 * n), `noise std ${std} vs σC/(qN) = ${expected} over ${n} coordinates`);
  assert.ok(Math.abs(sum / n) < (4 * expected) / Math.sqrt(n), `noise mean ${sum / n}`);
  model.dispose();
});

test('private training on 2 engines spends the ε of one engine (lr 0.1: the private recipe’s lr 2 may diverge in 5 noisy steps)', async () => {
  await initEngine({ backend: 'wasm' });
  const run = async (engines: number) => {
    const privacy = new PrivateTraining({ noiseMultiplier: 1.1, delta: 1e-5, prefetchNoise: false });
    try {
      const out = await runTraining({ dataset: 'synthetic', model: 'embbag', seed: 2, epochs: 1, maxStepsPerEpoch: 5, batchSize: 64, learningRate: 0.1, config: { embeddingDim: 16, hidden: 8 }, privacy, engines });
      out.model.dispose();
      return { report: privacy.report(out.training.steps), steps: out.training.steps, loss: out.training.history[0].trainLoss };
    } finally {
      privacy.dispose();
    }
  };
  const one = await run(1);
  const two = await run(2);
  assert.equal(two.steps, one.steps);
  assert.equal(two.report.epsilon, one.report.epsilon);
  assert.equal(two.report.sampleRate, one.report.sampleRate);
  assert.equal(two.report.noiseMultiplier, one.report.noiseMultiplier);
  assert.ok(Number.isFinite(two.loss), `training loss ${two.loss}`);
});

test('engines must be a whole number ≥ 1, and a tf.LayersModel is refused with a plain message', async () => {
  await initEngine({ backend: 'wasm' });
  await assert.rejects(runTraining({ dataset: 'synthetic', model: 'embbag', seed: 1, epochs: 1, engines: 0 }), /engines must be an integer ≥ 1/);
  const input = tf.input({ shape: [8], dtype: 'int32' });
  const pooled = tf.layers.globalAveragePooling1d().apply(tf.layers.embedding({ inputDim: 400, outputDim: 4 }).apply(input) as tf.SymbolicTensor) as tf.SymbolicTensor;
  const output = tf.layers.dense({ units: 12, activation: 'softmax' }).apply(pooled) as tf.SymbolicTensor;
  const layersModel = tf.model({ inputs: input, outputs: output });
  await assert.rejects(
    runTraining({ dataset: 'synthetic', model: layersModel, maxLength: 8, seed: 1, epochs: 1, engines: 2 }),
    /built-in models only/,
  );
});

test('adaptive clipping on 2 engines moves the clip as on one (noise 0: the count is exact)', async () => {
  await initEngine({ backend: 'wasm' });
  const model = smallModel('embbag');
  const host = smallBatch(model);
  const options: DpStepOptions = { noiseMultiplier: 0, clip: 'auto', adaptiveClipping: { initialClip: 0.05, targetQuantile: 0.5, learningRate: 0.5 }, expectedBatchSize: 4 };
  const step = dpGradientStep({ prefetchNoise: false, ...options });
  const source = new DataParallelDpGradients(model, { prefetchNoise: false, ...options }, 2);
  try {
    for (let k = 0; k < 3; k++) {
      const reference = scoped(() => {
        const { grads } = step(model, toTensorBatch(host, model.task), { training: true, rng: new SeededRandom(1) }, host);
        return new Map([...grads].map(([name, g]) => [name, g.dataSync().slice() as Float32Array]));
      });
      const { grads } = await source.gradients(host, 1);
      assertSameGradients(new Map([...grads].map(([n, g]) => [n, g.slice()])), reference, `adaptive step ${k + 1}`);
      assert.ok(Math.abs(source.state.clip - step.state.clip) <= 1e-12 * step.state.clip, `clip after step ${k + 1}: ${source.state.clip} vs ${step.state.clip}`);
    }
    assert.notEqual(step.state.clip, 0.05, 'the clip moved');
  } finally {
    step.dispose();
    await source.close();
    model.dispose();
  }
});
