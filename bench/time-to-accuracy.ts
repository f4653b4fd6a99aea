/**
 * Time to accuracy, not only time per step (issue 19, part 4): the same model trained from
 * the same initial weights by non-private Adam, eDP-SGD (dpGradientStep: one tapped pass,
 * per-example norms from the layer rules, noise prefetched in a worker) and the naive
 * per-example DP-SGD loop (one backward pass per example, the same clipping, noise and
 * Poisson batches), each until it reaches a target on the validation split or runs out of
 * its time budget. Reports, per mode, whether and when the target was reached: training
 * wall seconds (evaluation excluded, reported apart), steps, and the validation curve; the
 * DP modes also report ε at the step the target was reached (RDP, δ = 1e-5).
 *
 * Workloads: the embedding-bag classifier on CLINC150 (validation accuracy) and `bench dp`'s
 * small character transformer on Tiny Shakespeare (validation loss, nats per character, on
 * the first --lm-val-windows validation windows). Needs TRUSTNLU_DATA (real data).
 *
 *   node dist/bench/time-to-accuracy.js [--workloads clinc150,shakespeare] [--modes nonDp,edp,naive]
 *     [--clf-target 0.6] [--clf-batch 256] [--clf-lr 0.003] [--lm-target 2.6] [--lm-batch 128]
 *     [--lm-lr 0.003] [--sigma 1] [--clip 1] [--budget-seconds 300] [--eval-every 20]
 *
 * Prints one JSON object.
 */
import { loadavg } from 'node:os';
import { tf, initEngine, SeededRandom } from '../src/engine/index.js';
import { loadCorpus, loadIntentDataset } from '../src/data/registry.js';
import { resolveDataDir } from '../src/data/locate.js';
import { fitCharTokenizer, fitWordTokenizer } from '../src/text/index.js';
import { createModel, toTensorBatch, type AnyModel, type HostBatch } from '../src/models/index.js';
import { ClassificationTask, LanguageModelTask, createOptimizer, standardGradients, unitText, type TrainingTask } from '../src/train/index.js';
import { dpGradientStep } from '../src/privacy/dpsgd/dp-step.js';
import { naiveDpGradients } from '../src/privacy/dpsgd/naive-dp-gradients.js';
import { createGaussianNoise } from '../src/privacy/dpsgd/noise.js';
import { poissonBatch } from '../src/privacy/dpsgd/poisson.js';
import { ZigguratSampler } from '../src/privacy/dpsgd/gaussian-sampler.js';
import { CSPRNG } from '../src/privacy/dpsgd/random-source.js';
import { SMALL_LM_CONFIG } from '../src/privacy/dpsgd/speed-benchmark.js';
import { computeEpsilon } from '../src/privacy/accounting/index.js';
import { numberFlag, stringFlag } from './common.js';


const MODES = ['nonDp', 'edp', 'naive'] as const;
type Mode = (typeof MODES)[number];
const workloads = stringFlag('--workloads', 'clinc150,shakespeare').split(',');
const modes = stringFlag('--modes', MODES.join(',')).split(',') as Mode[];
for (const m of modes) {
  if (!MODES.includes(m)) {
    process.stderr.write(`unknown mode "${m}": use ${MODES.join(', ')}\n`);
    process.exit(2);
  }
}
const sigma = numberFlag('--sigma', 1);
const clip = numberFlag('--clip', 1);
const budgetSeconds = numberFlag('--budget-seconds', 300);
const evalEvery = numberFlag('--eval-every', 20);
const delta = 1e-5;
const load = () => loadavg().map((x) => Number(x.toFixed(2)));
const log = (m: string) => process.stderr.write(`${new Date().toISOString()} ${m}\n`);

if (!resolveDataDir(undefined)) {
  process.stderr.write('time-to-accuracy needs the real datasets: set TRUSTNLU_DATA (see docs/data.md)\n');
  process.exit(2);
}
await initEngine({ backend: 'wasm' });

interface Workload {
  name: string;
  /** The validation metric, by its key in the task's validation metrics (higher accuracy or lower loss is better). */
  metric: 'accuracy' | 'loss';
  target: number;
  batch: number;
  lr: number;
  make(): { model: AnyModel; task: TrainingTask };
}

const WORKLOADS: Record<string, () => Workload> = {
  clinc150: () => {
    const dataset = loadIntentDataset('clinc150', {});
    const tokenizer = fitWordTokenizer(dataset.splits.train.map((e) => e.text), { minCount: 1, maxSize: 20000 });
    return {
      name: 'clinc150 embbag',
      metric: 'accuracy',
      target: numberFlag('--clf-target', 0.6),
      batch: numberFlag('--clf-batch', 256),
      lr: numberFlag('--clf-lr', 0.003),
      make: () => {
        const model = createModel({ kind: 'embbag', tokenizer, labels: dataset.labels, seed: 1 });
        if (model.task !== 'classifier') throw new Error('embbag is a classifier');
        return { model, task: new ClassificationTask(dataset, tokenizer, dataset.labels, model.maxLength) };
      },
    };
  },
  shakespeare: () => {
    const corpus = loadCorpus('tinyshakespeare', {});
    const tokenizer = fitCharTokenizer(corpus.splits.train.map(unitText).map((t) => `${t}\n\n`));
    const windows = numberFlag('--lm-val-windows', 256);
    return {
      name: 'tinyshakespeare char-transformer (bench dp LM)',
      metric: 'loss',
      target: numberFlag('--lm-target', 2.6),
      batch: numberFlag('--lm-batch', 128),
      lr: numberFlag('--lm-lr', 0.003),
      make: () => {
        const model = createModel({ kind: 'char-transformer', tokenizer, seed: 1, config: SMALL_LM_CONFIG });
        if (model.task !== 'lm') throw new Error('char-transformer is a language model');
        return { model, task: new LanguageModelTask(corpus, tokenizer, model.contextLength, windows) };
      },
    };
  },
};

interface Point { step: number; trainSeconds: number; value: number }
interface ModeResult {
  mode: Mode;
  reached: boolean;
  steps: number;
  trainSeconds: number;
  evalSeconds: number;
  /** Median training step, ms. */
  stepMs: number;
  /** Validation metric at the stop (target reached or budget spent). */
  final: number;
  epsilon?: number;
  meanBatch: number;
  curve: Point[];
  load: { start: number[]; end: number[] };
}

function trainToTarget(w: Workload, mode: Mode): ModeResult {
  const { model, task } = w.make();
  const params = model.parameters();
  const N = task.trainSize;
  const B = w.batch;
  const q = B / N;
  const rng = new SeededRandom(11).fork(mode);
  const ctx = { training: true, rng: rng.fork('dropout') };
  const optimizer = createOptimizer({ name: 'adam' });
  const noise = mode === 'edp' ? createGaussianNoise({ prefetch: true }) : undefined;
  const dpStep = noise ? dpGradientStep({ noiseMultiplier: sigma, clip, expectedBatchSize: B, noise }) : undefined;
  const sampler = new ZigguratSampler(CSPRNG);
  let order: number[] = [];
  const fixedBatch = (): number[] => {
    if (order.length < B) order = rng.permutation(N);
    return order.splice(0, B);
  };
  const better = (v: number) => (w.metric === 'accuracy' ? v >= w.target : v <= w.target);
  const curve: Point[] = [];
  const stepTimes: number[] = [];
  let trainSeconds = 0;
  let evalSeconds = 0;
  let steps = 0;
  let examples = 0;
  let reached = false;
  let final = NaN;
  const start = load();
  while (!reached && trainSeconds < budgetSeconds) {
    const indices = mode === 'nonDp' ? fixedBatch() : poissonBatch(N, q, () => rng.next());
    const host: HostBatch = task.trainBatch(indices);
    const t0 = performance.now();
    tf.tidy(() => {
      let grads: Map<string, tf.Tensor>;
      const batch = toTensorBatch(host, model.task);
      if (mode === 'nonDp') grads = standardGradients(model, batch, ctx, host).grads;
      else if (mode === 'edp') grads = dpStep!(model, batch, ctx, host).grads;
      else grads = naiveDpGradients(model, batch, ctx, { clip, noiseMultiplier: sigma, expectedBatchSize: B, sampler });
      optimizer.step(params, grads, w.lr);
      params[0].variable.dataSync();
    });
    const ms = performance.now() - t0;
    stepTimes.push(ms);
    trainSeconds += ms / 1000;
    steps += 1;
    examples += indices.length;
    if (steps % evalEvery === 0 || trainSeconds >= budgetSeconds) {
      const e0 = performance.now();
      final = task.validate(model).metrics[w.metric];
      evalSeconds += (performance.now() - e0) / 1000;
      curve.push({ step: steps, trainSeconds: Number(trainSeconds.toFixed(2)), value: Number(final.toFixed(4)) });
      reached = better(final);
      log(`${w.name} ${mode}: step ${steps}, ${trainSeconds.toFixed(1)} s, val ${w.metric} ${final.toFixed(4)}`);
    }
  }
  dpStep?.dispose();
  noise?.dispose();
  optimizer.dispose();
  for (const p of params) p.variable.dispose();
  const sorted = [...stepTimes].sort((a, b) => a - b);
  return {
    mode,
    reached,
    steps,
    trainSeconds: Number(trainSeconds.toFixed(2)),
    evalSeconds: Number(evalSeconds.toFixed(2)),
    stepMs: Number(sorted[sorted.length >> 1].toFixed(1)),
    final: Number(final.toFixed(4)),
    ...(mode === 'nonDp' ? {} : { epsilon: Number(computeEpsilon({ sampleRate: q, noiseMultiplier: sigma, steps, delta }).epsilon.toFixed(3)) }),
    meanBatch: Number((examples / steps).toFixed(1)),
    curve,
    load: { start, end: load() },
  };
}

const results = [];
for (const name of workloads) {
  const make = WORKLOADS[name];
  if (!make) {
    process.stderr.write(`unknown workload "${name}": use ${Object.keys(WORKLOADS).join(', ')}\n`);
    process.exit(2);
  }
  const w = make();
  const runs = modes.map((m) => trainToTarget(w, m));
  results.push({ workload: w.name, metric: `validation ${w.metric}`, target: w.target, batch: w.batch, learningRate: w.lr, runs });
}

process.stdout.write(`${JSON.stringify({
  command: `node dist/bench/time-to-accuracy.js ${process.argv.slice(2).join(' ')}`.trim(),
  date: new Date().toISOString(),
  settings: { sigma, clip, delta, budgetSeconds, evalEvery, optimizer: 'adam', seed: 11 },
  results,
}, null, 1)}\n`);
