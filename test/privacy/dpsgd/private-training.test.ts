/**
 * PrivateTraining through runTraining's `configureTraining` hook, on the synthetic set: the
 * calibrated σ reaches the target ε for the planned steps, the spent ε is recomputed for the
 * steps actually run (never above the target), the checkpoint meta records the mechanism,
 * and bad privacy parameters are clear ConfigErrors.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initEngine } from '../../../src/engine/index.js';
import { ConfigError } from '../../../src/errors.js';
import { runTraining } from '../../../src/train/index.js';
import { loadModel } from '../../../src/models/index.js';
import { PrivateTraining, computeEpsilon, createGaussianNoise } from '../../../src/privacy/index.js';

test('runTraining with PrivateTraining: Poisson batches, calibrated σ, spent ε ≤ target, meta records the mechanism', async () => {
  await initEngine({ backend: 'wasm' });
  const out = mkdtempSync(join(tmpdir(), 'dp-train-'));
  const privacy = new PrivateTraining({ epsilon: 4, delta: 1e-5, clip: 1, noise: createGaussianNoise({ seed: 5 }) });
  const sizes: number[] = [];
  const { result, training, model } = await runTraining({
    dataset: 'synthetic',
    model: 'embbag',
    epochs: 2,
    seed: 3,
    batchSize: 64,
    learningRate: 5e-3,
    maxStepsPerEpoch: 6,
    out,
    configureTraining: (setup) => {
      const plan = privacy.configure(setup);
      // Record the realised Poisson batch sizes through the plan the trainer receives.
      return { ...plan, batchPlan: (e, rng, n) => { const b = plan.batchPlan(e, rng, n); sizes.push(...b.map((x) => x.length)); return b; } };
    },
  });
  model.dispose();
  privacy.dispose();
  const plan = privacy.plan!;
  assert.equal(plan.plannedSteps, 12);
  assert.equal(training.steps, 12);
  // σ was calibrated for the planned steps: ε at σ for those steps is the target (bisection tolerance).
  const atPlan = computeEpsilon({ sampleRate: plan.sampleRate, noiseMultiplier: plan.noiseMultiplier, steps: plan.plannedSteps, delta: 1e-5 }).epsilon;
  assert.ok(atPlan <= 4 && atPlan > 3.9, `ε at the planned steps ${atPlan}`);
  const report = privacy.report(training.steps);
  assert.ok(report.epsilon <= 4, `spent ε ${report.epsilon}`);
  assert.ok(privacy.report(6).epsilon < report.epsilon, 'fewer steps spend less');
  // Poisson batches vary in size around q·N = 64.
  assert.ok(new Set(sizes).size > 1, `batch sizes all equal: ${sizes}`);
  assert.ok(sizes.every((s) => s > 20 && s < 120), `batch sizes ${sizes}`);
  assert.ok(result.synthetic);
  const saved = loadModel(out);
  saved.model.dispose();
  const meta = saved.meta as { dp: Record<string, unknown> };
  assert.equal(meta.dp.noiseMultiplier, plan.noiseMultiplier);
  assert.equal(meta.dp.sampleRate, plan.sampleRate);
  assert.equal(meta.dp.delta, 1e-5);
});

test('PrivateTraining refuses δ ≥ 1/N, a batch above N, and a missing or doubled privacy target', () => {
  const setup = { model: undefined as never, trainSize: 1000, batchSize: 50, epochs: 1 };
  assert.throws(() => new PrivateTraining({ epsilon: 1, delta: 1e-3 }).configure(setup), (e: unknown) => e instanceof ConfigError && /delta = 0\.001 is not below 1\/N/.test((e as Error).message));
  assert.throws(() => new PrivateTraining({ epsilon: 1, delta: 1e-5 }).configure({ ...setup, batchSize: 2000 }), /exceeds the 1000 training examples/);
  assert.throws(() => new PrivateTraining({ delta: 1e-5 }), /exactly one of epsilon/);
  assert.throws(() => new PrivateTraining({ epsilon: 1, noiseMultiplier: 1, delta: 1e-5 }), /exactly one of epsilon/);
  assert.throws(() => new PrivateTraining({ epsilon: -1, delta: 1e-5 }), /epsilon must be a finite number > 0/);
});
