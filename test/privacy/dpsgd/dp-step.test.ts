/**
 * The DP gradient step against independent computations (the naive per-example loop):
 *  - flat clipping: Σᵢ cᵢ∇Lᵢ / (qN) with cᵢ = min(1, C/(‖∇Lᵢ‖ + 1e-6)) from naive norms,
 *    divided by the EXPECTED batch size, not the realised one;
 *  - per-layer clipping: each layer's part clipped to C/√L separately;
 *  - physical chunks (gradient accumulation) equal one pass;
 *  - the noise: (noisy − noiseless) gradients have mean 0 and std σC/(qN), measured;
 *  - an empty Poisson batch is a noise-only step and runs no forward pass;
 *  - frozen parameters get no gradient or noise and do not count in the clip norm;
 *  - adaptive clipping: the clip moves toward the target quantile with the right sign (the
 *    private count is of UNCLIPPED examples), and its privacy cost is in σ.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf, initEngine } from '../../../src/engine/index.js';
import { ConfigError } from '../../../src/errors.js';
import { INFERENCE, toTensorBatch, type AnyModel, type HostBatch } from '../../../src/models/index.js';
import {
  AdaptiveClipping,
  NORM_EPSILON,
  PrivateTraining,
  ZigguratSampler,
  adjustedNoiseMultiplier,
  computeEpsilon,
  createGaussianNoise,
  clipFactors,
  dpGradientStep,
  naivePerExampleGradients,
  perSampleGradients,
  seededBytes,
  sliceBatch,
  type DpStepOptions,
} from '../../../src/privacy/index.js';
import { assertClose, scoped } from '../../helpers.js';
import { smallBatch, smallModel } from '../../models/fixtures.js';

const KINDS = ['embbag', 'transformer', 'char-lstm'];

/** Runs one DP step and returns every gradient as a plain array, by parameter name. */
function dpGradients(model: AnyModel, host: HostBatch, options: DpStepOptions): Map<string, Float32Array> {
  const step = dpGradientStep({ prefetchNoise: false, ...options });
  try {
    return scoped(() => {
      const { grads } = step(model, toTensorBatch(host, model.task), INFERENCE, host);
      return new Map([...grads].map(([name, g]) => [name, g.dataSync() as Float32Array]));
    });
  } finally {
    step.dispose();
  }
}

/** Per-example gradients, one naive backward pass each: example → parameter → values. */
function perExample(model: AnyModel, host: HostBatch): Map<string, Float32Array>[] {
  return scoped(() => {
    const batch = toTensorBatch(host, model.task);
    return Array.from({ length: host.size }, (_, i) => {
      const one = naivePerExampleGradients(model, sliceBatch(batch, i, 1), INFERENCE);
      const out = new Map([...one.weightedSum].map(([name, t]) => [name, t.dataSync().slice() as Float32Array]));
      for (const t of one.weightedSum.values()) t.dispose();
      return out;
    });
  });
}

const norm = (parts: Float32Array[]) => Math.sqrt(parts.reduce((s, p) => s + p.reduce((a, v) => a + v * v, 0), 0));

/** Σᵢ cᵢ,θ ∇θLᵢ / E for a factor per (example, parameter). */
function weighted(examples: Map<string, Float32Array>[], factor: (i: number, name: string) => number, E: number): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const name of examples[0].keys()) {
    const sum = new Float32Array(examples[0].get(name)!.length);
    examples.forEach((ex, i) => ex.get(name)!.forEach((v, j) => (sum[j] += (factor(i, name) * v) / E)));
    out.set(name, sum);
  }
  return out;
}

function assertSame(actual: Map<string, Float32Array>, expected: Map<string, Float32Array>, tolerance: number, what: string): void {
  assert.deepEqual([...actual.keys()].sort(), [...expected.keys()].sort(), `${what}: parameters`);
  for (const [name, e] of expected) assertClose(actual.get(name)!, e, tolerance, `${what} ${name}`);
}

for (const kind of KINDS) {
  test(`${kind}: flat clipping equals the naive clipped sum divided by the expected batch size; chunks change nothing`, async () => {
    await initEngine({ backend: 'wasm' });
    const model = smallModel(kind);
    const host = smallBatch(model);
    const examples = perExample(model, host);
    const norms = examples.map((ex) => norm([...ex.values()]));
    // A clip between the norms: some examples are clipped, some are not.
    const C = [...norms].sort((a, b) => a - b)[1] * 1.01;
    const factors = norms.map((n) => Math.min(1, C / (n + NORM_EPSILON)));
    assert.ok(factors.some((c) => c === 1) && factors.some((c) => c < 0.999), `factors ${factors}`);
    const E = 10; // expected batch size ≠ the realised 4
    const expected = weighted(examples, (i) => factors[i], E);
    const one = dpGradients(model, host, { noiseMultiplier: 0, clip: C, expectedBatchSize: E });
    assertSame(one, expected, 1e-4, `${kind} flat`);
    for (const physicalBatchSize of [1, 3]) {
      assertSame(dpGradients(model, host, { noiseMultiplier: 0, clip: C, expectedBatchSize: E, physicalBatchSize }), one, 1e-5, `${kind} chunks of ${physicalBatchSize}`);
    }
    model.dispose();
  });

  test(`${kind}: per-layer clipping clips each layer to C/√L`, async () => {
    await initEngine({ backend: 'wasm' });
    const model = smallModel(kind);
    const host = smallBatch(model);
    const examples = perExample(model, host);
    const layers = tf.tidy(() => perSampleGradients(model, toTensorBatch(host, model.task), INFERENCE).records.map((r) => r.parameters));
    const layerOf = new Map(layers.flatMap((names, l) => names.map((n) => [n, l] as const)));
    const C = 0.5 * Math.min(...examples.map((ex) => norm([...ex.values()])));
    const layerClip = C / Math.sqrt(layers.length);
    const factor = (i: number, name: string) => {
      const n = norm(layers[layerOf.get(name)!].map((p) => examples[i].get(p)!));
      return Math.min(1, layerClip / (n + NORM_EPSILON));
    };
    const E = 4;
    const expected = weighted(examples, factor, E);
    const options: DpStepOptions = { noiseMultiplier: 0, clip: C, expectedBatchSize: E, clipping: 'per-layer' };
    const actual = dpGradients(model, host, options);
    assertSame(actual, expected, 1e-4, `${kind} per-layer`);
    // Every example's clipped gradient has norm ≤ C (each of L layers ≤ C/√L).
    for (let i = 0; i < host.size; i++) {
      const clipped = weighted([examples[i]], (_j, name) => factor(i, name), 1);
      assert.ok(norm([...clipped.values()]) <= C * (1 + 1e-5));
    }
    assertSame(dpGradients(model, host, { ...options, physicalBatchSize: 3 }), actual, 1e-5, `${kind} per-layer chunks`);
    model.dispose();
  });
}

test('frozen parameters: no gradient, no noise, and the clip norm is taken over the trained parameters only', async () => {
  await initEngine({ backend: 'wasm' });
  const model = smallModel('embbag');
  const host = smallBatch(model);
  const frozen = 'embedding/embeddings';
  const examples = perExample(model, host).map((ex) => new Map([...ex].filter(([name]) => name !== frozen)));
  const norms = examples.map((ex) => norm([...ex.values()]));
  const C = [...norms].sort((a, b) => a - b)[1] * 1.01;
  const expected = weighted(examples, (i) => Math.min(1, C / (norms[i] + NORM_EPSILON)), 6);
  const actual = dpGradients(model, host, { noiseMultiplier: 0, clip: C, expectedBatchSize: 6, frozenParameters: [frozen] });
  assertSame(actual, expected, 1e-4, 'frozen embedding');
  const noisy = dpGradients(model, host, { noiseMultiplier: 1, clip: C, expectedBatchSize: 6, frozenParameters: [frozen], noise: createGaussianNoise({ seed: 2 }) });
  assert.ok(!noisy.has(frozen), 'no noise for a frozen parameter');
  assert.throws(() => dpGradients(model, host, { noiseMultiplier: 0, clip: 1, expectedBatchSize: 6, frozenParameters: ['embedding/nope'] }), /frozen parameter "embedding\/nope" is not a parameter of the embbag model/);
  model.dispose();
});

// Noise sources: seeded inline; the default CSPRNG one prefetched (and scaled) in a worker
// thread; the hardened sampler in the worker (secure mode).
const NOISE_SOURCES: { name: string; options: Partial<DpStepOptions> }[] = [
  { name: 'seeded inline', options: { noise: createGaussianNoise({ seed: 21 }) } },
  { name: 'CSPRNG, worker-scaled', options: { prefetchNoise: true } },
  { name: 'secure, worker-scaled', options: { prefetchNoise: true, secureNoise: true } },
];

test('noise: noisy − noiseless gradients are N(0, (σC/(qN))²) on every coordinate, fresh each step, for every noise source', async () => {
  await initEngine({ backend: 'wasm' });
  for (const [kind, source] of ['embbag', 'transformer'].flatMap((k) => NOISE_SOURCES.map((s) => [k, s] as const))) {
    const model = smallModel(kind);
    const host = smallBatch(model);
    const [sigma, C, E] = [1.7, 0.3, 8];
    const clean = dpGradients(model, host, { noiseMultiplier: 0, clip: C, expectedBatchSize: E });
    const step = dpGradientStep({ noiseMultiplier: sigma, clip: C, expectedBatchSize: E, ...source.options });
    const diffs: number[] = [];
    let previous: number[] | undefined;
    for (let s = 0; s < 30; s++) {
      const d = tf.tidy(() => {
        const { grads } = step(model, toTensorBatch(host, model.task), INFERENCE, host);
        const out: number[] = [];
        for (const [name, g] of grads) g.dataSync().forEach((v, j) => out.push(v - clean.get(name)![j]));
        return out;
      });
      if (previous) assert.notDeepEqual(d.slice(0, 50), previous.slice(0, 50), 'fresh noise each step');
      previous = d;
      diffs.push(...d);
    }
    step.dispose();
    assert.equal(step.state.noiseStd, sigma * C);
    const n = diffs.length;
    const mean = diffs.reduce((a, v) => a + v, 0) / n;
    const std = Math.sqrt(diffs.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1));
    const target = (sigma * C) / E;
    assert.ok(n > 5000, `${n} samples`);
    assert.ok(Math.abs(mean) < (5 * target) / Math.sqrt(n), `${kind}, ${source.name}: noise mean ${mean}`);
    assert.ok(Math.abs(std / target - 1) < 5 / Math.sqrt(2 * n), `${kind}, ${source.name}: noise std ${std}, expected σC/(qN) = ${target}`);
    model.dispose();
  }
});

test('an empty Poisson batch is a noise-only step: no forward pass, zero gradient without noise, noise std σC/(qN) with it', async () => {
  await initEngine({ backend: 'wasm' });
  const model = smallModel('transformer');
  let forwards = 0;
  const forward = model.perExampleLoss.bind(model);
  model.perExampleLoss = (...args: Parameters<typeof forward>) => {
    forwards++;
    return forward(...args);
  };
  const empty: HostBatch = { ids: new Int32Array(0), mask: new Float32Array(0), targets: new Int32Array(0), size: 0, length: 6 };
  const zero = dpGradients(model, empty, { noiseMultiplier: 0, clip: 1, expectedBatchSize: 5 });
  for (const p of model.parameters()) {
    assert.equal(zero.get(p.name)!.length, p.variable.size);
    assert.ok(zero.get(p.name)!.every((v) => v === 0));
  }
  const noisy = dpGradients(model, empty, { noiseMultiplier: 2, clip: 0.5, expectedBatchSize: 5, noise: createGaussianNoise({ seed: 4 }) });
  const all = [...noisy.values()].flatMap((v) => Array.from(v));
  const std = Math.sqrt(all.reduce((a, v) => a + v * v, 0) / all.length);
  assert.ok(Math.abs(std / 0.2 - 1) < 5 / Math.sqrt(2 * all.length), `std ${std}, expected 2·0.5/5 = 0.2`);
  assert.equal(forwards, 0, 'no forward pass on an empty batch');
  // The loss reported for an empty batch is 0 (a diagnostic), and it is finite.
  const step = dpGradientStep({ noiseMultiplier: 1, clip: 1, expectedBatchSize: 5, noise: createGaussianNoise({ seed: 1 }) });
  const loss = tf.tidy(() => step(model, toTensorBatch(empty, model.task), INFERENCE, empty).loss.dataSync()[0]);
  step.dispose();
  assert.equal(loss, 0);
  model.dispose();
});

test('adaptive clipping: C ← C·exp(−η(b̄ − γ)) with b̄ the UNCLIPPED fraction, so C moves toward the γ-quantile', () => {
  // No noise (σ = 0 gives σ_b = 0): exact updates.
  const a = new AdaptiveClipping({ initialClip: 2, targetQuantile: 0.5, learningRate: 0.2 }, 0, 100);
  a.update(100); // every example unclipped: the clip is too large and shrinks
  assert.ok(Math.abs(a.clip - 2 * Math.exp(-0.2 * 0.5)) < 1e-12);
  a.update(0); // every example clipped: it grows
  assert.ok(Math.abs(a.clip - 2 * Math.exp(-0.2 * 0.5) * Math.exp(0.2 * 0.5)) < 1e-12);
  // A fixed population of norms 0.01..10: C converges to the γ-quantile, from above and below, with and without count noise.
  const norms = Array.from({ length: 1000 }, (_, i) => (i + 1) / 100);
  const unclipped = (C: number) => norms.filter((n) => n <= C).length;
  for (const gamma of [0.5, 0.9]) {
    for (const start of [0.05, 50]) {
      for (const noisy of [false, true]) {
        const gaussian = new ZigguratSampler(seededBytes(8));
        const clipping = new AdaptiveClipping({ initialClip: start, targetQuantile: gamma, learningRate: 0.2, countNoiseStd: noisy ? 50 : 0 }, 0, 1000, gaussian);
        const trace: number[] = [];
        for (let s = 0; s < 400; s++) {
          clipping.update(unclipped(clipping.clip));
          trace.push(clipping.clip);
        }
        const late = trace.slice(-100);
        const average = late.reduce((x, y) => x + y, 0) / late.length;
        const quantile = gamma * 10;
        assert.ok(Math.abs(average / quantile - 1) < (noisy ? 0.1 : 0.03), `γ = ${gamma}, start ${start}, noise ${noisy}: C ≈ ${average}, quantile ${quantile}`);
      }
    }
  }
});

test('adaptive clipping in the DP step: the clip grows when every example is clipped, shrinks when none is; its cost raises the gradient σ', async () => {
  await initEngine({ backend: 'wasm' });
  const model = smallModel('embbag');
  const host = smallBatch(model);
  for (const [initialClip, grows] of [[1e-4, true], [1e4, false]] as const) {
    const step = dpGradientStep({ noiseMultiplier: 0, clip: 'auto', adaptiveClipping: { initialClip }, expectedBatchSize: 4, prefetchNoise: false });
    scoped(() => step(model, toTensorBatch(host, model.task), INFERENCE, host));
    const after = step.adaptive!.clip;
    assert.equal(step.state.unclippedFraction, grows ? 0 : 1);
    assert.ok(grows ? after > initialClip : after < initialClip, `clip ${initialClip} → ${after}`);
    assert.ok(Math.abs(after / initialClip - Math.exp(grows ? 0.1 : -0.1)) < 1e-9);
    step.dispose();
  }
  // σ_Δ from 1/σ² = 1/σ_Δ² + 1/(2σ_b)²: the two queries together cost what σ alone would.
  const sigmaDelta = adjustedNoiseMultiplier(1, 2);
  assert.ok(Math.abs(1 / sigmaDelta ** 2 + 1 / 16 - 1) < 1e-12);
  assert.throws(() => adjustedNoiseMultiplier(1, 0.5), (e: unknown) => e instanceof ConfigError && /must exceed half the noise multiplier/.test((e as Error).message));
  const step = dpGradientStep({ noiseMultiplier: 1, clip: 'auto', expectedBatchSize: 100, noise: createGaussianNoise({ seed: 3 }) });
  assert.ok(Math.abs(step.adaptive!.gradientNoiseMultiplier - 1 / Math.sqrt(1 - 1 / 100)) < 1e-12, 'σ_b = qN/20 = 5');
  scoped(() => step(model, toTensorBatch(host, model.task), INFERENCE, host));
  assert.ok(Math.abs(step.state.noiseStd - step.adaptive!.gradientNoiseMultiplier * 1) < 1e-12, 'noise std σ_Δ·C at the first step (C = 1)');
  step.dispose();
  // The accountant is told the total σ, so the reported ε covers both queries.
  const privacy = new PrivateTraining({ noiseMultiplier: 1, delta: 1e-5, clip: 'auto', noise: createGaussianNoise({ seed: 5 }) });
  const plan = privacy.configure({ model, trainSize: 2000, batchSize: 100, epochs: 1 });
  assert.ok(plan.gradientStep.adaptive!.gradientNoiseMultiplier > 1);
  const report = privacy.report(20);
  assert.equal(report.noiseMultiplier, 1);
  assert.equal(report.epsilon, computeEpsilon({ sampleRate: 0.05, noiseMultiplier: 1, steps: 20, delta: 1e-5 }).epsilon);
  privacy.dispose();
  model.dispose();
});

test('bad step options are ConfigErrors naming the value', () => {
  assert.throws(() => dpGradientStep({ noiseMultiplier: -1, clip: 1, expectedBatchSize: 4 }), /noise multiplier must be a finite number ≥ 0, got -1/);
  assert.throws(() => dpGradientStep({ noiseMultiplier: 1, clip: 0, expectedBatchSize: 4 }), /clip norm must be a finite number > 0 or 'auto', got 0/);
  assert.throws(() => dpGradientStep({ noiseMultiplier: 1, clip: 1, expectedBatchSize: 0 }), /expected batch size must be > 0/);
  assert.throws(() => dpGradientStep({ noiseMultiplier: 1, clip: 1, expectedBatchSize: 4, physicalBatchSize: 0 }), /physical batch size must be an integer ≥ 1/);
  assert.throws(() => dpGradientStep({ noiseMultiplier: 1, clip: 'auto', expectedBatchSize: 4, clipping: 'per-layer' }), /flat clipping only/);
});

test('clip factors on the host: flat and per-layer, by hand', async () => {
  await initEngine({ backend: 'wasm' });
  tf.tidy(() => {
    // example 0: ‖∇‖² = 9 + 16 = 25 (norm 5); example 1: 0.01 + 0 (norm 0.1)
    const rec = (name: string, sq: number[]) => ({ layer: name, rule: 'dense', path: 'vector', parameters: [name], squaredNorms: new Map([[name, tf.tensor1d(sq)]]), clippedSum: () => new Map() });
    const records = [rec('a', [9, 0.01]), rec('b', [16, 0])];
    const all = () => true;
    const flat = clipFactors(records, 2, 1, 'flat', 0.5, all);
    assert.deepEqual(Array.from(flat.norms), [5, Math.sqrt(Math.fround(0.01))]);
    assert.ok(Math.abs(flat.perRecord[0][0] - 0.5 / (5 + NORM_EPSILON)) < 1e-7);
    assert.equal(flat.perRecord[0][1], 0.5, 'below the clip: factor 1 (times the scale)');
    assert.equal(flat.perRecord[1], flat.perRecord[0], 'flat: one vector shared by every record');
    // per layer: C_l = 1/√2 ≈ 0.707; layer a: norms 3 and 0.1, layer b: 4 and 0
    const layered = clipFactors(records, 2, 1, 'per-layer', 1, all);
    assert.ok(Math.abs(layered.perRecord[0][0] - Math.SQRT1_2 / (3 + NORM_EPSILON)) < 1e-7);
    assert.equal(layered.perRecord[0][1], 1);
    assert.ok(Math.abs(layered.perRecord[1][0] - Math.SQRT1_2 / (4 + NORM_EPSILON)) < 1e-7);
    assert.equal(layered.perRecord[1][1], 1);
    // a frozen parameter does not count in the norm
    const onlyA = clipFactors(records, 2, 1, 'flat', 1, (n: string) => n === 'a');
    assert.deepEqual(Array.from(onlyA.norms), [3, Math.sqrt(Math.fround(0.01))]);
  });
});
