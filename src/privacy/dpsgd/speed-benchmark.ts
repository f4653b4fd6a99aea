/**
 * The DP speed benchmark (behind `trustnlu bench dp` and bench/dp.ts): eDP-SGD against
 * non-private training and the naive per-example loop, side by side in one run: median milliseconds per training step (gradient + noise + Adam update) for the
 * embedding-bag classifier (CLINC150's vocabulary and size when the data is present, else
 * the synthetic set) and a small character transformer LM (Tiny Shakespeare, else the
 * synthetic corpus), at batch 64 and 256. Steps alternate between the modes so machine load
 * drifts hit both alike; the naive loop runs fewer steps (it is B backward passes).
 *
 * Run: `trustnlu bench dp --json`, or `node dist/bench/dp.js` after a build. Timing lives
 * here, in the library, so the CLI command and the bench script measure the same thing.
 */
import { cpus, platform, release, totalmem } from 'node:os';
import { tf, initEngine, SeededRandom } from '../../engine/index.js';
import { loadCorpus, loadIntentDataset } from '../../data/registry.js';
import { resolveDataDir } from '../../data/locate.js';
import { fitCharTokenizer, fitWordTokenizer } from '../../text/index.js';
import { createModel, toTensorBatch, type AnyModel, type ClassifierModel, type HostBatch, type LanguageModel } from '../../models/index.js';
import { ClassificationTask, LanguageModelTask, createOptimizer, standardGradients, unitText, type TrainingTask } from '../../train/index.js';
import { dpGradientStep, NORM_EPSILON } from './dp-step.js';
import { naivePerExampleGradients } from './naive.js';
import { createGaussianNoise } from './noise.js';
import { PrefetchingNoise } from './noise-prefetch.js';
import { SecureGaussianSampler, ZigguratSampler } from './gaussian-sampler.js';
import { CSPRNG } from './random-source.js';
import { measureLayersCase } from './layers-speed-benchmark.js';
import { median, timeAlternating, timedMode } from './bench-timing.js';


function machine(): Record<string, unknown> {
  const c = cpus();
  return { cpu: c[0]?.model ?? 'unknown', cores: c.length, memoryGB: Math.round(totalmem() / 2 ** 30), os: `${platform()} ${release()}`, node: process.version };
}

export interface DpBenchCase {
  model: string;
  /** Architecture overrides used (the LM case is a small configuration). */
  config: Record<string, unknown>;
  dataset: string;
  synthetic: boolean;
  batch: number;
  params: number;
  nonDpMs: number;
  dpMs: number;
  naiveMs: number;
  /** dpMs / nonDpMs. */
  ratio: number;
  /**
   * Median CPU ms per step (this process, all threads, so the noise worker counts): less
   * sensitive than wall time to other jobs on a shared machine.
   */
  cpuMs: { nonDp: number; dp: number; naive: number };
  cpuRatio: number;
  naiveRatio: number;
  steps: number;
  naiveSteps: number;
  /** Median ms per phase. nonDp: gradient, optimizer; dp: pass, norms, clip, noise, optimizer (and counts of prefetched noise steps). */
  breakdown: { nonDp: Record<string, number>; dp: Record<string, number> };
  /** Which path each sequence layer took in the DP step. */
  paths: Record<string, string>;
}

export interface DpBenchResult {
  cases: DpBenchCase[];
  machine: Record<string, unknown>;
  /** Time to draw N(0, 1) for the largest case's parameters, per sampler, in the main thread. */
  noiseMs: { params: number; ziggurat: number; secure: number };
  notes: string[];
}

export const DP_BENCH_MODELS = ['embbag', 'char-transformer', 'layers-embbag', 'layers-char-transformer'] as const;
export type DpBenchModel = (typeof DP_BENCH_MODELS)[number];

export interface DpBenchOptions {
  /** Timed steps per mode (default 10) after 2 warm-up steps. */
  steps?: number;
  /** Timed naive steps at batch 64 (default 3) and at 256 (default 2). */
  naiveSteps?: number;
  naiveStepsLarge?: number;
  batches?: number[];
  /** The built-in models, and the same two built with tf.layers and made private with makePrivate ('layers-...'). */
  models?: DpBenchModel[];
  dataDir?: string;
  /** Noise generated a step ahead in a worker thread (default true) or inline. */
  prefetchNoise?: boolean;
  /** Progress lines (e.g. to stderr). */
  log?: (message: string) => void;
}

/** The small transformer LM measured (the default char-transformer is 3 × 128-d over 128 characters). */
export const SMALL_LM_CONFIG = { embeddingDim: 64, heads: 4, layers: 2, ffnDim: 256, contextLength: 64, dropout: 0 };

interface Setup {
  model: AnyModel;
  task: TrainingTask;
  dataset: string;
  synthetic: boolean;
  config: Record<string, unknown>;
}

function setupEmbbag(dataDir: string | undefined): Setup {
  const name = resolveDataDir(dataDir) ? 'clinc150' : 'synthetic';
  let dataset;
  try {
    dataset = loadIntentDataset(name, { dataDir });
  } catch {
    dataset = loadIntentDataset('synthetic');
  }
  const tokenizer = fitWordTokenizer(dataset.splits.train.map((e) => e.text), { minCount: 1, maxSize: 20000 });
  const model = createModel({ kind: 'embbag', tokenizer, labels: dataset.labels, seed: 1 }) as ClassifierModel;
  const task = new ClassificationTask(dataset, tokenizer, dataset.labels, model.maxLength);
  return { model, task, dataset: dataset.name, synthetic: dataset.synthetic, config: {} };
}

function setupLm(dataDir: string | undefined): Setup {
  let corpus;
  try {
    corpus = loadCorpus('tinyshakespeare', { dataDir });
  } catch {
    corpus = loadCorpus('synthetic-lm');
  }
  const tokenizer = fitCharTokenizer(corpus.splits.train.map(unitText).map((t) => `${t}\n\n`));
  const model = createModel({ kind: 'char-transformer', tokenizer, seed: 1, config: SMALL_LM_CONFIG }) as LanguageModel;
  const task = new LanguageModelTask(corpus, tokenizer, model.contextLength, 64);
  return { model, task, dataset: corpus.name, synthetic: corpus.synthetic, config: SMALL_LM_CONFIG };
}

function time(fn: () => void): number {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
}

function measureCase(setup: Setup, B: number, options: { steps: number; naiveSteps: number; prefetchNoise: boolean }): DpBenchCase {
  const { model, task } = setup;
  const params = model.parameters();
  const rng = new SeededRandom(7);
  const batchAt = (): HostBatch => task.trainBatch(Array.from({ length: B }, () => rng.int(task.trainSize)));
  const ctx = { training: true, rng: new SeededRandom(3) };
  const lr = 1e-3;
  const clip = 1;
  const sigma = 1;

  // Non-private: plain backprop of the mean loss, then Adam.
  const nonDpOptimizer = createOptimizer({ name: 'adam' });
  const nonDpPhases: Record<string, number[]> = { gradient: [], optimizer: [] };
  const nonDpStep = (host: HostBatch) => tf.tidy(() => {
    const t0 = performance.now();
    const { loss, grads } = standardGradients(model, toTensorBatch(host, model.task), ctx, host);
    loss.dataSync();
    const t1 = performance.now();
    nonDpOptimizer.step(params, grads, lr);
    params[0].variable.dataSync(); // wait for the update (synchronous backends make this a no-op barrier)
    nonDpPhases.gradient.push(t1 - t0);
    nonDpPhases.optimizer.push(performance.now() - t1);
  });

  // eDP-SGD: the library's step, noise from the CSPRNG prefetched in a worker thread.
  const timings: Record<string, number> = {};
  const noise = createGaussianNoise({ prefetch: options.prefetchNoise });
  const dpStep = dpGradientStep({ noiseMultiplier: sigma, clip, expectedBatchSize: B, noise, timings });
  const dpOptimizer = createOptimizer({ name: 'adam' });
  const dpPhases: Record<string, number[]> = { pass: [], norms: [], clip: [], noise: [], optimizer: [] };
  const dpRun = (host: HostBatch) => tf.tidy(() => {
    for (const k of Object.keys(timings)) timings[k] = 0;
    const { loss, grads } = dpStep(model, toTensorBatch(host, model.task), ctx, host);
    loss.dataSync();
    const t1 = performance.now();
    dpOptimizer.step(params, grads, lr);
    params[0].variable.dataSync();
    for (const k of ['pass', 'norms', 'clip', 'noise']) dpPhases[k].push(timings[k] ?? 0);
    dpPhases.optimizer.push(performance.now() - t1);
  });

  // Naive: one backward pass per example, clip, sum, noise (main thread), Adam.
  const naiveSampler = new ZigguratSampler(CSPRNG);
  const naiveOptimizer = createOptimizer({ name: 'adam' });
  const naiveRun = (host: HostBatch) => tf.tidy(() => {
    const batch = toTensorBatch(host, model.task);
    const naive = naivePerExampleGradients(model, batch, ctx, (_i, norms) => {
      let total = 0;
      for (const v of norms.values()) total += v;
      return Math.min(1, clip / (Math.sqrt(total) + NORM_EPSILON));
    });
    const grads = new Map<string, tf.Tensor>();
    for (const p of params) {
      const z = new Float32Array(p.variable.size);
      naiveSampler.fill(z);
      const sum = naive.weightedSum.get(p.name)!;
      grads.set(p.name, tf.div(tf.add(sum, tf.mul(tf.tensor(z, p.variable.shape), sigma * clip)), B));
      sum.dispose();
    }
    naiveOptimizer.step(params, grads, lr);
    params[0].variable.dataSync();
  });

  const nonDpMode = timedMode(nonDpStep);
  const dpMode = timedMode(dpRun);
  const naiveMode = timedMode(naiveRun);
  timeAlternating(options, batchAt, [nonDpMode, dpMode], naiveMode, () => {
    for (const k of Object.keys(nonDpPhases)) nonDpPhases[k].length = 0;
    for (const k of Object.keys(dpPhases)) dpPhases[k].length = 0;
  });
  const paths: Record<string, string> = {};
  for (const [layer, path] of Object.entries(dpStep.state.paths)) if (path === 'ghost' || path === 'instantiate') paths[layer] = path;
  const prefetched = noise instanceof PrefetchingNoise ? noise.served : undefined;
  dpStep.dispose();
  noise.dispose();
  for (const o of [nonDpOptimizer, dpOptimizer, naiveOptimizer]) o.dispose();
  const round = (x: number) => Number(x.toFixed(1));
  const medians = (phases: Record<string, number[]>) => Object.fromEntries(Object.entries(phases).map(([k, v]) => [k, round(median(v))]));
  const nonDpMs = median(nonDpMode.wall);
  const dpMs = median(dpMode.wall);
  const naiveMs = median(naiveMode.wall);
  const dpBreakdown = medians(dpPhases);
  if (prefetched) {
    dpBreakdown.noisePrefetchedSteps = prefetched.prefetched;
    dpBreakdown.noiseScaledOnMainThread = prefetched.scaledHere;
  }
  return {
    model: model.kind,
    config: setup.config,
    dataset: setup.dataset,
    synthetic: setup.synthetic,
    batch: B,
    params: model.store.count(),
    nonDpMs: round(nonDpMs),
    dpMs: round(dpMs),
    naiveMs: round(naiveMs),
    ratio: Number((dpMs / nonDpMs).toFixed(3)),
    cpuMs: { nonDp: round(median(nonDpMode.cpu)), dp: round(median(dpMode.cpu)), naive: round(median(naiveMode.cpu)) },
    cpuRatio: Number((median(dpMode.cpu) / median(nonDpMode.cpu)).toFixed(3)),
    naiveRatio: Number((naiveMs / nonDpMs).toFixed(2)),
    steps: options.steps,
    naiveSteps: naiveMode.wall.length,
    breakdown: { nonDp: medians(nonDpPhases), dp: dpBreakdown },
    paths,
  };
}

function samplerMs(sampler: { fill(out: Float32Array): void }, size: number): number {
  const out = new Float32Array(size);
  sampler.fill(out);
  const times = [0, 1, 2, 3, 4].map(() => time(() => sampler.fill(out)));
  return Number(median(times).toFixed(2));
}

export async function runDpBench(options: DpBenchOptions = {}): Promise<DpBenchResult> {
  await initEngine({ backend: 'wasm' });
  const log = options.log ?? (() => {});
  const steps = options.steps ?? 10;
  const batches = options.batches ?? [64, 256];
  const models = options.models ?? [...DP_BENCH_MODELS];
  const cases: DpBenchCase[] = [];
  let largest = 0;
  for (const kind of models) {
    const layers = kind.startsWith('layers-');
    const base = layers ? kind.slice('layers-'.length) : kind;
    const setup = base === 'embbag' ? setupEmbbag(options.dataDir) : setupLm(options.dataDir);
    largest = Math.max(largest, setup.model.store.count());
    for (const B of batches) {
      const naiveSteps = B >= 256 ? options.naiveStepsLarge ?? 2 : options.naiveSteps ?? 3;
      log(`dp bench: ${kind} on ${setup.dataset}, batch ${B}: ${steps} steps per mode, ${naiveSteps} naive`);
      const caseOptions = { steps, naiveSteps, prefetchNoise: options.prefetchNoise ?? true };
      const c = layers ? measureLayersCase(setup, B, caseOptions) : measureCase(setup, B, caseOptions);
      log(`  non-DP ${c.nonDpMs} ms, eDP ${c.dpMs} ms (×${c.ratio}), naive ${c.naiveMs} ms (×${c.naiveRatio})`);
      cases.push(c);
    }
    setup.model.dispose();
  }
  const noiseMs = {
    params: largest,
    ziggurat: samplerMs(new ZigguratSampler(CSPRNG), largest),
    secure: samplerMs(new SecureGaussianSampler(CSPRNG), largest),
  };
  return {
    cases,
    machine: machine(),
    noiseMs,
    notes: [
      'ms per step = gradient (+ clipping and noise for DP) + Adam update, median over alternating steps',
      'eDP noise: CSPRNG ziggurat generated and scaled by its std one step ahead in a worker thread (the breakdown\'s noise phase is the upload and adds left on the main thread)',
      `the naive loop runs fewer steps (${options.naiveSteps ?? 3} at batch < 256, ${options.naiveStepsLarge ?? 2} at 256)`,
      `char-transformer case: small configuration ${JSON.stringify(SMALL_LM_CONFIG)}`,
      'layers-* cases: the same architectures and initial weights built with tf.layers (toLayersModel; trustnlu/layers for the masked mean, attention and positions); non-DP is tfjs\'s own step (model.apply, mean sparse cross-entropy of the probabilities, tf.train.adam minimize), eDP is makePrivate\'s priv.step, the naive loop runs on the same model',
    ],
  };
}
