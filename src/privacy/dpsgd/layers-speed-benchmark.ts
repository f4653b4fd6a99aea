/**
 * The DP speed benchmark's tf.layers workloads: the same two models as the built-in cases
 * (embedding-bag classifier, small character transformer LM), built with tf.layers (and
 * trustnlu/layers for the masked mean, the attention and the positions) by toLayersModel,
 * with the built-in case's initial weights, and made private with makePrivate.
 *
 *  - non-DP, two ways: what a tfjs user runs without trustnlu (tfjs's own forward,
 *    model.apply in training mode, and backward, mean sparse cross-entropy of the output
 *    probabilities, tf.train.adam's minimize); and plain backprop through trustnlu's
 *    interpreter of the same model (the same forward code as the DP step, without taps).
 *    The ratio is taken against the faster of the two, so the DP cost is never flattered
 *    by a slow baseline (tfjs's own step is the slower one for the transformer: its Dense
 *    layers over sequences go through fused matmul kernels that wasm runs slowly).
 *  - DP: priv.step (tapped pass through the interpreter, rules, clipping, noise N(0, σ²C²)
 *    from the CSPRNG prefetched in a worker, Adam), σ = 1, C = 1.
 *  - naive: the per-example loop on the same model (plain backprop per example), clip, noise.
 * Steps alternate between modes, as in the built-in cases.
 */
import { ConfigError } from '../../errors.js';
import { tf, SeededRandom } from '../../engine/index.js';
import { TappedLayersModel, namedLoss, toLayersModel, type AnyModel, type HostBatch, type LayersBatch } from '../../models/index.js';
import type { TrainingTask } from '../../train/index.js';
import { median, noiseCpuPerStep, timeAlternating, timedMode } from './bench-timing.js';
import { NORM_EPSILON } from './dp-step.js';
import { makePrivate } from './make-private.js';
import { naivePerExampleGradients } from './naive.js';
import { createGaussianNoise } from './noise.js';
import { ZigguratSampler } from './gaussian-sampler.js';
import { CSPRNG } from './random-source.js';
import { describeWorkload, type DpBenchCase } from './speed-benchmark.js';
import { PrefetchingNoise } from './noise-prefetch.js';

export interface LayersBenchSetup {
  /** The built-in model whose architecture and initial weights the tf.layers model copies. */
  model: AnyModel;
  task: TrainingTask;
  dataset: string;
  synthetic: boolean;
  overrides: Record<string, unknown>;
}

function tensorsOf(host: HostBatch, task: 'classifier' | 'lm' | 'tagger'): LayersBatch {
  if (task === 'tagger') throw new ConfigError('the tf.LayersModel benchmark runs classifiers and language models, not taggers');
  const ids = tf.tensor2d(host.ids, [host.size, host.length], 'int32');
  const targets = task === 'classifier' ? tf.tensor1d(host.targets, 'int32') : tf.tensor2d(host.targets, [host.size, host.length], 'int32');
  return { inputs: [ids], targets };
}

export async function measureLayersCase(setup: LayersBenchSetup, B: number, options: { steps: number; naiveSteps: number; prefetchNoise: boolean }): Promise<DpBenchCase> {
  const { task } = setup;
  const kind = setup.model.kind;
  const model = toLayersModel(setup.model);
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const rng = new SeededRandom(7);
  const batchLengths: number[] = [];
  const batchAt = (): HostBatch => {
    const host = task.trainBatch(Array.from({ length: B }, () => rng.int(task.trainSize)));
    batchLengths.push(host.length);
    return host;
  };
  const lr = 1e-3;
  const clip = 1;
  const sigma = 1;

  // Non-private: tfjs's own training step.
  const nonDpOptimizer = tf.train.adam(lr);
  const nonDpStep = (host: HostBatch) => tf.tidy(() => {
    const { inputs, targets } = tensorsOf(host, task.task);
    nonDpOptimizer.minimize(() => tf.mean(namedLoss('sparseCategoricalCrossentropy', targets, model.apply(inputs[0], { training: true }) as tf.Tensor, false)) as tf.Scalar, false, variables);
    variables[0].dataSync();
  });

  // Non-private through the interpreter: the DP step's forward code, plain backprop.
  const interpreted = new TappedLayersModel(model, { loss: 'sparseCategoricalCrossentropy' });
  const interpreterOptimizer = tf.train.adam(lr);
  const interpreterStep = (host: HostBatch) => tf.tidy(() => {
    const batch = tensorsOf(host, task.task);
    interpreterOptimizer.minimize(() => tf.mean(interpreted.perExampleLoss(batch, { training: true })) as tf.Scalar, false, variables);
    variables[0].dataSync();
  });

  // makePrivate, noise from the CSPRNG prefetched in a worker thread.
  const timings: Record<string, number> = {};
  const noise = createGaussianNoise({ prefetch: options.prefetchNoise });
  const dpOptimizer = tf.train.adam(lr);
  const priv = makePrivate(model, { optimizer: dpOptimizer, loss: 'sparseCategoricalCrossentropy', clip, noiseMultiplier: sigma, delta: 1 / (10 * task.trainSize), batchSize: B, datasetSize: task.trainSize, noise, timings });
  const dpPhases: Record<string, number[]> = { pass: [], norms: [], clip: [], noise: [], optimizer: [] };
  const dpRun = (host: HostBatch) => {
    for (const k of Object.keys(timings)) timings[k] = 0;
    const { inputs, targets } = tensorsOf(host, task.task);
    const t0 = performance.now();
    priv.step(inputs[0], targets);
    variables[0].dataSync();
    const total = performance.now() - t0;
    tf.dispose([...inputs, targets]);
    for (const k of ['pass', 'norms', 'clip', 'noise']) dpPhases[k].push(timings[k] ?? 0);
    dpPhases.optimizer.push(total - (timings.total ?? 0));
  };

  // Naive: one backward pass per example through the same model, clip, sum, noise, Adam.
  const tapped = new TappedLayersModel(model, { loss: 'sparseCategoricalCrossentropy' });
  const naiveOptimizer = tf.train.adam(lr);
  const sampler = new ZigguratSampler(CSPRNG);
  const naiveRun = (host: HostBatch) => tf.tidy(() => {
    const batch = tensorsOf(host, task.task);
    const naive = naivePerExampleGradients(tapped, batch, { training: true }, (_i, norms) => {
      let total = 0;
      for (const v of norms.values()) total += v;
      return Math.min(1, clip / (Math.sqrt(total) + NORM_EPSILON));
    });
    const grads = tapped.parameters().map((p) => {
      const z = new Float32Array(p.variable.size);
      sampler.fill(z);
      const sum = naive.weightedSum.get(p.name)!;
      const g = tf.div(tf.add(sum, tf.mul(tf.tensor(z, p.variable.shape), sigma * clip)), B);
      sum.dispose();
      return { name: p.variable.name, tensor: g };
    });
    naiveOptimizer.applyGradients(grads);
    variables[0].dataSync();
  });

  const tfjsMode = timedMode(nonDpStep);
  const interpreterMode = timedMode(interpreterStep);
  const dpMode = timedMode(dpRun);
  const naiveMode = timedMode(naiveRun);
  // DP in the middle: the noise worker, which refills right after a DP step, then overlaps each
  // baseline on half of the steps, never one of them always.
  const noiseCpu = () => (noise instanceof PrefetchingNoise ? noise.workerCpu() : undefined);
  let noiseAtStart: ReturnType<typeof noiseCpu>;
  await timeAlternating(options, batchAt, [tfjsMode, dpMode, interpreterMode], naiveMode, () => {
    for (const k of Object.keys(dpPhases)) dpPhases[k].length = 0;
    noiseAtStart = noiseCpu();
    batchLengths.length = 0;
  });
  const noiseWorkerCpuMs = noiseCpuPerStep(noiseAtStart, noiseCpu());
  const paths: Record<string, string> = {};
  for (const [layer, path] of Object.entries(priv.state.paths)) if (path === 'ghost' || path === 'instantiate') paths[layer] = path;
  const params = tapped.parameters().reduce((n, p) => n + p.variable.size, 0);
  priv.dispose();
  noise.dispose();
  for (const o of [nonDpOptimizer, interpreterOptimizer, dpOptimizer, naiveOptimizer]) o.dispose();
  model.dispose();
  const round = (x: number) => Number(x.toFixed(1));
  const tfjsMs = median(tfjsMode.wall);
  const interpreterMs = median(interpreterMode.wall);
  const nonDpMs = Math.min(tfjsMs, interpreterMs);
  const nonDpCpuMs = median((tfjsMs <= interpreterMs ? tfjsMode : interpreterMode).cpu);
  const dpMs = median(dpMode.wall);
  const naiveMs = median(naiveMode.wall);
  return {
    model: `layers-${kind}`,
    ...describeWorkload(setup.model, setup.overrides, batchLengths),
    dataset: setup.dataset,
    synthetic: setup.synthetic,
    batch: B,
    params,
    nonDpMs: round(nonDpMs),
    dpMs: round(dpMs),
    naiveMs: round(naiveMs),
    ratio: Number((dpMs / nonDpMs).toFixed(3)),
    cpuMs: { nonDp: round(nonDpCpuMs), dp: round(median(dpMode.cpu)), naive: round(median(naiveMode.cpu)) },
    cpuRatio: Number((median(dpMode.cpu) / nonDpCpuMs).toFixed(3)),
    noiseWorkerCpuMs,
    naiveRatio: Number((naiveMs / nonDpMs).toFixed(2)),
    steps: options.steps,
    naiveSteps: naiveMode.wall.length,
    breakdown: { nonDp: { tfjsOwnStep: round(tfjsMs), interpreterStep: round(interpreterMs) }, dp: Object.fromEntries(Object.entries(dpPhases).map(([k, v]) => [k, round(median(v))])) },
    paths,
  };
}
