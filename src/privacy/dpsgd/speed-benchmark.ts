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
import { availableParallelism, cpus, platform, release, totalmem } from 'node:os';
import { checkEngineCount } from '../../train/data-parallel/index.js';
import { tf, initEngine, SeededRandom } from '../../engine/index.js';
import { loadCorpus, loadIntentDataset } from '../../data/registry.js';
import { resolveDataDir } from '../../data/locate.js';
import { fitCharTokenizer, fitWordTokenizer } from '../../text/index.js';
import { createModel, toTensorBatch, type AnyModel, type ClassifierModel, type HostBatch, type LanguageModel } from '../../models/index.js';
import { ClassificationTask, LanguageModelTask, createOptimizer, standardGradients, unitText, type TrainingTask } from '../../train/index.js';
import { dpGradientStep } from './dp-step.js';
import { naiveDpGradients } from './naive-dp-gradients.js';
import { createGaussianNoise } from './noise.js';
import { PrefetchingNoise } from './noise-prefetch.js';
import { SecureGaussianSampler, ZigguratSampler } from './gaussian-sampler.js';
import { CSPRNG } from './random-source.js';
import { measureLayersCase } from './layers-speed-benchmark.js';
import { median, noiseCpuPerStep, timeAlternating, timedMode } from './bench-timing.js';
import { parallelBenchModes, type EngineCountTimes } from './parallel-speed-benchmark.js';


function machine(): Record<string, unknown> {
  const c = cpus();
  return { cpu: c[0]?.model ?? 'unknown', cores: c.length, memoryGB: Math.round(totalmem() / 2 ** 30), os: `${platform()} ${release()}`, node: process.version };
}

export interface DpBenchCase {
  model: string;
  /** The architecture actually trained: every hyper-parameter, defaults included (e.g. the embedding bag's dropout). */
  config: Record<string, unknown>;
  /** The overrides of the kind's defaults that the benchmark asked for. */
  overrides: Record<string, unknown>;
  vocabularySize: number;
  /** Number of classes (classifiers), null for a language model. */
  labels: number | null;
  /**
   * Sequence lengths: the model's limit (classifier maxLength, LM context) and the padded
   * length of the timed batches (a classifier batch is padded to its longest example).
   */
  paddedLength: { model: number; batches: { min: number; median: number; max: number } };
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
  /**
   * The noise worker's own CPU ms per eDP step (Linux thread CPU time; null elsewhere or
   * when noise is not prefetched): CPU the wall time above does not show, since the worker
   * runs on another core while the step computes.
   */
  noiseWorkerCpuMs: number | null;
  naiveRatio: number;
  steps: number;
  naiveSteps: number;
  /** Median ms per phase. nonDp: gradient, optimizer; dp: pass, norms, clip, noise, optimizer (and counts of prefetched noise steps). */
  breakdown: { nonDp: Record<string, number>; dp: Record<string, number> };
  /** Which path each sequence layer took in the DP step. */
  paths: Record<string, string>;
  /**
   * Data-parallel steps (--engines N, built-in models): per engine count (N worker engines,
   * and 1 worker engine when N > 1), and the speed-ups of N engines over this thread's one
   * engine (nonDpMs, dpMs above) and over one worker engine.
   */
  engines?: {
    counts: EngineCountTimes[];
    speedupOverThisThread: { nonDp: number; dp: number };
    speedupOverOneWorker?: { nonDp: number; dp: number };
  };
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
  /**
   * Engines for the data-parallel modes (default: one per core); 1 runs only this thread's
   * one-engine modes. The tf.layers cases run on one engine only.
   */
  engines?: number;
  /** Timed naive steps at batch 64 and at 256 (default 5 each). */
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
  /** Overrides of the kind's defaults (the full configuration is the model's own). */
  overrides: Record<string, unknown>;
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
  return { model, task, dataset: dataset.name, synthetic: dataset.synthetic, overrides: {} };
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
  return { model, task, dataset: corpus.name, synthetic: corpus.synthetic, overrides: SMALL_LM_CONFIG };
}

function time(fn: () => void): number {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
}

/** What every case reports about the model and the batches it trained on (bench hygiene). */
export function describeWorkload(model: AnyModel, overrides: Record<string, unknown>, batchLengths: number[]): Pick<DpBenchCase, 'config' | 'overrides' | 'vocabularySize' | 'labels' | 'paddedLength'> {
  const sorted = [...batchLengths].sort((a, b) => a - b);
  return {
    config: { ...(model.config as Record<string, unknown>) },
    overrides,
    vocabularySize: model.tokenizer.vocabSize,
    labels: model.task === 'classifier' ? model.labels.length : null,
    paddedLength: {
      model: model.task === 'classifier' ? model.maxLength : model.contextLength,
      batches: { min: sorted[0] ?? 0, median: sorted.length ? median(sorted) : 0, max: sorted[sorted.length - 1] ?? 0 },
    },
  };
}

async function measureCase(setup: Setup, B: number, options: { steps: number; naiveSteps: number; prefetchNoise: boolean; engines: number }): Promise<DpBenchCase> {
  const { model, task } = setup;
  const params = model.parameters();
  const rng = new SeededRandom(7);
  const batchLengths: number[] = [];
  const batchAt = (): HostBatch => {
    const host = task.trainBatch(Array.from({ length: B }, () => rng.int(task.trainSize)));
    batchLengths.push(host.length);
    return host;
  };
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
    const grads = naiveDpGradients(model, toTensorBatch(host, model.task), ctx, { clip, noiseMultiplier: sigma, expectedBatchSize: B, sampler: naiveSampler });
    naiveOptimizer.step(params, grads, lr);
    params[0].variable.dataSync();
  });

  const nonDpMode = timedMode(nonDpStep);
  const dpMode = timedMode(dpRun);
  const naiveMode = timedMode(naiveRun);
  const parallel = options.engines > 1 ? parallelBenchModes(model, B, options.engines, { lr, clip, sigma, prefetchNoise: options.prefetchNoise }) : undefined;
  await parallel?.ready();
  for (let w = 0; w < 3 && parallel; w++) await parallel.warmUp(batchAt());
  const noiseCpu = () => (noise instanceof PrefetchingNoise ? noise.workerCpu() : undefined);
  let noiseAtStart: ReturnType<typeof noiseCpu>;
  await timeAlternating(options, batchAt, [nonDpMode, dpMode, ...(parallel?.modes ?? [])], naiveMode, () => {
    for (const k of Object.keys(nonDpPhases)) nonDpPhases[k].length = 0;
    for (const k of Object.keys(dpPhases)) dpPhases[k].length = 0;
    parallel?.reset();
    noiseAtStart = noiseCpu();
    batchLengths.length = 0;
  });
  const noiseWorkerCpuMs = noiseCpuPerStep(noiseAtStart, noiseCpu());
  const counts = await parallel?.finish();
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
  const speedup = (base: { nonDpMs: number; dpMs: number }, n: EngineCountTimes) => ({
    nonDp: Number((base.nonDpMs / n.nonDpMs).toFixed(2)),
    dp: Number((base.dpMs / n.dpMs).toFixed(2)),
  });
  return {
    model: model.kind,
    ...describeWorkload(model, setup.overrides, batchLengths),
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
    noiseWorkerCpuMs,
    naiveRatio: Number((naiveMs / nonDpMs).toFixed(2)),
    steps: options.steps,
    naiveSteps: naiveMode.wall.length,
    breakdown: { nonDp: medians(nonDpPhases), dp: dpBreakdown },
    paths,
    ...(counts
      ? {
        engines: {
          counts,
          speedupOverThisThread: speedup({ nonDpMs, dpMs }, counts[0]),
          ...(counts[1] ? { speedupOverOneWorker: speedup(counts[1], counts[0]) } : {}),
        },
      }
      : {}),
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
  const engines = options.engines ?? availableParallelism();
  checkEngineCount(engines);
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
      const naiveSteps = B >= 256 ? options.naiveStepsLarge ?? 5 : options.naiveSteps ?? 5;
      log(`dp bench: ${kind} on ${setup.dataset}, batch ${B}: ${steps} steps per mode, ${naiveSteps} naive`);
      const caseOptions = { steps, naiveSteps, prefetchNoise: options.prefetchNoise ?? true, engines };
      const c = layers ? await measureLayersCase(setup, B, caseOptions) : await measureCase(setup, B, caseOptions);
      log(`  non-DP ${c.nonDpMs} ms, eDP ${c.dpMs} ms (×${c.ratio}), naive ${c.naiveMs} ms (×${c.naiveRatio})`);
      for (const n of c.engines?.counts ?? []) log(`  ${n.engines} worker engine(s): non-DP ${n.nonDpMs} ms, eDP ${n.dpMs} ms (×${n.ratio})`);
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
      `the naive loop runs fewer steps (${options.naiveSteps ?? 5} at batch < 256, ${options.naiveStepsLarge ?? 5} at 256)`,
      `engines: ${engines}; nonDpMs/dpMs are this thread's one engine (the step as before); engines.counts are data-parallel steps over worker engines (the batch split in contiguous parts, noise added once on the main thread, Adam fused on the shared parameters), timed in the same alternation`,
      `char-transformer case: small configuration ${JSON.stringify(SMALL_LM_CONFIG)}`,
      'layers-* cases: the same architectures and initial weights built with tf.layers (toLayersModel; trustnlu/layers for the masked mean, attention and positions); non-DP is tfjs\'s own step (model.apply, mean sparse cross-entropy of the probabilities, tf.train.adam minimize), eDP is makePrivate\'s priv.step, the naive loop runs on the same model',
    ],
  };
}
