/**
 * Where the char-transformer LM's training step spends its time, kernel by kernel (issue 19,
 * part 2). Every wasm kernel is re-registered behind a timer (performance.now() around the
 * kernel function, keyed by kernel name and input shapes), then the non-private step
 * (standardGradients) and the eDP-SGD step (dpGradientStep) of `bench dp`'s small LM run for a
 * few steps each at one batch size. Kernels are synchronous on wasm, so a kernel's time is its
 * own; wall time minus the kernels' sum is the JavaScript around them (tape, tidy, shape
 * checks, our host-side loops in the DP rules).
 *
 *   node dist/bench/lm-kernel-profile.js [--batch 256] [--steps 3] [--top 25] [--sequence-path auto|ghost|instantiate]
 *
 * Prints one JSON object: per mode, wall ms per step (median), kernel ms per step, the
 * remainder, totals per kernel name and the top (name, shapes) entries, all per step.
 */
import { loadavg } from 'node:os';
import * as tfAll from '@tensorflow/tfjs';
import { tf, initEngine, SeededRandom } from '../src/engine/index.js';
import { loadCorpus } from '../src/data/registry.js';
import { fitCharTokenizer } from '../src/text/index.js';
import { createModel, toTensorBatch, type HostBatch, type LanguageModel } from '../src/models/index.js';
import { LanguageModelTask, standardGradients, unitText } from '../src/train/index.js';
import { dpGradientStep } from '../src/privacy/dpsgd/dp-step.js';
import { createGaussianNoise } from '../src/privacy/dpsgd/noise.js';
import { SMALL_LM_CONFIG } from '../src/privacy/dpsgd/speed-benchmark.js';
import { median, numberFlag, stringFlag } from './common.js';


const B = numberFlag('--batch', 256);
const steps = numberFlag('--steps', 3);
const top = numberFlag('--top', 25);
/** The DP rules' path for sequence layers: auto (cost model), ghost or instantiate. */
const sequencePath = stringFlag('--sequence-path', 'auto') as 'auto' | 'ghost' | 'instantiate';

const load = () => loadavg().map((x) => Number(x.toFixed(2)));

await initEngine({ backend: 'wasm' });

/** Accumulated ms and calls per "name shapes" key while `recording` is set. */
const byKey = new Map<string, { ms: number; calls: number }>();
let recording = false;
for (const config of tfAll.getKernelsForBackend('wasm')) {
  const inner = config.kernelFunc;
  tfAll.unregisterKernel(config.kernelName, 'wasm');
  tfAll.registerKernel({
    ...config,
    kernelFunc: ((args: Parameters<typeof inner>[0]) => {
      if (!recording) return inner(args);
      const t0 = performance.now();
      const out = inner(args);
      const ms = performance.now() - t0;
      const shapes = Object.values(args.inputs).map((t) => `[${(t as { shape: number[] }).shape.join(',')}]`).join('·');
      const key = `${config.kernelName} ${shapes}`;
      const entry = byKey.get(key) ?? { ms: 0, calls: 0 };
      entry.ms += ms;
      entry.calls += 1;
      byKey.set(key, entry);
      return out;
    }) as typeof inner,
  });
}

let corpus;
try {
  corpus = loadCorpus('tinyshakespeare', {});
} catch {
  corpus = loadCorpus('synthetic-lm');
}
const tokenizer = fitCharTokenizer(corpus.splits.train.map(unitText).map((t) => `${t}\n\n`));
const model = createModel({ kind: 'char-transformer', tokenizer, seed: 1, config: SMALL_LM_CONFIG }) as LanguageModel;
const task = new LanguageModelTask(corpus, tokenizer, model.contextLength, 64);
const rng = new SeededRandom(7);
const batchAt = (): HostBatch => task.trainBatch(Array.from({ length: B }, () => rng.int(task.trainSize)));
const ctx = { training: true, rng: new SeededRandom(3) };

const noise = createGaussianNoise({ prefetch: false });
const phases: Record<string, number> = {};
const dpStep = dpGradientStep({ noiseMultiplier: 1, clip: 1, expectedBatchSize: B, noise, timings: phases, perSample: { sequencePath } });

const modes: Record<string, (host: HostBatch) => void> = {
  nonDp: (host) => tf.tidy(() => {
    const { loss, grads } = standardGradients(model, toTensorBatch(host, model.task), ctx, host);
    loss.dataSync();
    for (const g of grads.values()) g.dataSync();
  }),
  dp: (host) => tf.tidy(() => {
    const { loss, grads } = dpStep(model, toTensorBatch(host, model.task), ctx, host);
    loss.dataSync();
    for (const g of grads.values()) g.dataSync();
  }),
};

const round = (x: number) => Number(x.toFixed(2));
const report: Record<string, unknown> = {};
const loadAtStart = load();
for (const [mode, run] of Object.entries(modes)) {
  run(batchAt()); // warm-up: XNNPACK operators, first-use compilation
  byKey.clear();
  const walls: number[] = [];
  const cpus: number[] = [];
  const phaseSums: Record<string, number> = {};
  for (let s = 0; s < steps; s++) {
    const host = batchAt();
    for (const k of Object.keys(phases)) phases[k] = 0;
    recording = true;
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    run(host);
    walls.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpus.push((c.user + c.system) / 1000);
    recording = false;
    for (const [k, v] of Object.entries(phases)) phaseSums[k] = (phaseSums[k] ?? 0) + v;
  }
  const entries = [...byKey.entries()].map(([key, v]) => ({ key, ms: v.ms / steps, calls: v.calls / steps }));
  const kernelMs = entries.reduce((s, e) => s + e.ms, 0);
  const byName = new Map<string, { ms: number; calls: number }>();
  for (const e of entries) {
    const name = e.key.split(' ')[0];
    const x = byName.get(name) ?? { ms: 0, calls: 0 };
    x.ms += e.ms;
    x.calls += e.calls;
    byName.set(name, x);
  }
  report[mode] = {
    wallMs: round(median(walls)),
    wallRuns: walls.map(round),
    /** This process's CPU ms per step (less sensitive than wall time to other jobs on the machine). */
    cpuMs: round(median(cpus)),
    kernelMs: round(kernelMs),
    outsideKernelsMs: round(median(walls) - kernelMs),
    kernelCalls: Math.round(entries.reduce((s, e) => s + e.calls, 0)),
    ...(mode === 'dp' ? { phasesMs: Object.fromEntries(Object.entries(phaseSums).map(([k, v]) => [k, round(v / steps)])) } : {}),
    byKernel: [...byName.entries()].sort((x, y) => y[1].ms - x[1].ms).map(([name, v]) => ({ name, ms: round(v.ms), calls: round(v.calls) })),
    top: entries.sort((x, y) => y.ms - x.ms).slice(0, top).map((e) => ({ ...e, ms: round(e.ms), calls: round(e.calls) })),
  };
}
dpStep.dispose();
noise.dispose();

process.stdout.write(`${JSON.stringify({
  command: `node dist/bench/lm-kernel-profile.js --batch ${B} --steps ${steps} --top ${top} --sequence-path ${sequencePath}`,
  sequencePath,
  date: new Date().toISOString(),
  model: { kind: model.kind, config: SMALL_LM_CONFIG, params: model.store.count(), dataset: corpus.name },
  batch: B,
  steps,
  loadAtStart,
  loadAtEnd: load(),
  ...report,
}, null, 1)}\n`);
