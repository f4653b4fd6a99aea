/**
 * The DP speed benchmark's data-parallel modes (`trustnlu bench dp --engines N`): the same
 * model, batches, σ, C and Adam as the one-engine modes of speed-benchmark.ts, trained by
 * data-parallel steps over N worker engines (train/data-parallel, dpsgd/data-parallel),
 * timed in the same alternation as the one-engine modes so that load drifts hit all alike.
 * With N > 1, the same steps on ONE worker engine too: that isolates what the split itself
 * buys from what the data-parallel path changes besides (the fused optimizer on shared
 * arrays, the messages and the parameter reloads).
 */
import { DataParallelPlainGradients, createHostOptimizer, type HostOptimizer } from '../../train/data-parallel/index.js';
import type { AnyModel, HostBatch } from '../../models/index.js';
import { median, noiseCpuPerStep, timedMode, type TimedMode } from './bench-timing.js';
import { DataParallelDpGradients } from './data-parallel/dp-parallel-gradients.js';
import { createGaussianNoise } from './noise.js';
import { PrefetchingNoise } from './noise-prefetch.js';

/** Median ms per step of the data-parallel modes on one engine count. */
export interface EngineCountTimes {
  engines: number;
  nonDpMs: number;
  dpMs: number;
  /** dpMs / nonDpMs. */
  ratio: number;
  /** Median CPU ms per step, this process, all threads (engines and noise worker included). */
  cpuMs: { nonDp: number; dp: number };
  /**
   * Median ms per phase. nonDp: part (slowest engine's time on its part), wait (from sending
   * the parts to having the summed gradient, so wait − part is messaging, scheduling and the
   * sum of the parts), optimizer. dp: noise (draw and copy, while the engines run), parts
   * (waiting after that), the slowest part's pass, norms, clip and whole part, sum, optimizer.
   */
  breakdown: { nonDp: Record<string, number>; dp: Record<string, number> };
  /** The noise worker's CPU ms per DP step (Linux thread CPU time; null where unavailable). */
  noiseWorkerCpuMs: number | null;
}

export interface ParallelBenchModes {
  modes: TimedMode<HostBatch>[];
  ready(): Promise<void>;
  /**
   * One untimed step of every mode. The engines are fresh wasm instances whose code V8 is
   * still tiering up (measured under load: a worker's first LM steps 7 s, 2.2 s, 1.1 s,
   * then ~1.0 s), while this thread's engine has run the earlier cases: the benchmark gives
   * them extra warm-up steps before the common warm-up.
   */
  warmUp(batch: HostBatch): Promise<void>;
  /** Clears per-phase records (after the warm-up). */
  reset(): void;
  /** The medians, per engine count, and the engines closed. */
  finish(): Promise<EngineCountTimes[]>;
}

const round = (x: number) => Number(x.toFixed(1));

interface CountModes {
  engines: number;
  nonDp: TimedMode<HostBatch>;
  dp: TimedMode<HostBatch>;
  phases: { nonDp: Record<string, number[]>; dp: Record<string, number[]> };
  noiseCpu: () => { fills: number; cpuMs: number } | undefined;
  noiseAtReset?: { fills: number; cpuMs: number };
  close(): Promise<void>;
  ready(): Promise<void>;
}

function modesFor(model: AnyModel, B: number, engines: number, options: { lr: number; clip: number; sigma: number; prefetchNoise: boolean }): CountModes {
  const { lr, clip, sigma } = options;
  let seed = 0;
  const phases = { nonDp: { part: [], wait: [], optimizer: [] } as Record<string, number[]>, dp: {} as Record<string, number[]> };

  const plain = new DataParallelPlainGradients(model, engines);
  const plainOptimizer: HostOptimizer = createHostOptimizer({ name: 'adam' }, plain.engines.layout, plain.engines.parameters);
  const nonDp = timedMode(async (host: HostBatch) => {
    const t0 = performance.now();
    const { grads } = await plain.gradients(host, ++seed);
    const t1 = performance.now();
    plainOptimizer.step(grads, lr);
    plain.engines.parametersChanged();
    phases.nonDp.part.push(plain.lastPartMs);
    phases.nonDp.wait.push(t1 - t0);
    phases.nonDp.optimizer.push(performance.now() - t1);
  });

  const timings: Record<string, number> = {};
  const noise = createGaussianNoise({ prefetch: options.prefetchNoise });
  const dpSource = new DataParallelDpGradients(model, { noiseMultiplier: sigma, clip, expectedBatchSize: B, noise, timings }, engines);
  const dpOptimizer = createHostOptimizer({ name: 'adam' }, dpSource.engines.layout, dpSource.engines.parameters);
  const dp = timedMode(async (host: HostBatch) => {
    for (const k of Object.keys(timings)) timings[k] = 0;
    const { grads } = await dpSource.gradients(host, ++seed);
    const t1 = performance.now();
    dpOptimizer.step(grads, lr);
    dpSource.engines.parametersChanged();
    for (const [k, v] of Object.entries(timings)) (phases.dp[k] ??= []).push(v);
    (phases.dp.optimizer ??= []).push(performance.now() - t1);
  });
  return {
    engines,
    nonDp,
    dp,
    phases,
    noiseCpu: () => (noise instanceof PrefetchingNoise ? noise.workerCpu() : undefined),
    ready: async () => {
      await Promise.all([plain.engines.ready(), dpSource.engines.ready()]);
    },
    close: async () => {
      await Promise.all([plain.close(), dpSource.close()]);
      noise.dispose();
    },
  };
}

/**
 * Data-parallel modes on `engines` engines (and on one, when engines > 1), each training its
 * own copy of the model's current parameters.
 */
export function parallelBenchModes(model: AnyModel, B: number, engines: number, options: { lr: number; clip: number; sigma: number; prefetchNoise: boolean }): ParallelBenchModes {
  const counts = [engines, ...(engines > 1 ? [1] : [])].map((n) => modesFor(model, B, n, options));
  return {
    modes: counts.flatMap((c) => [c.nonDp, c.dp]),
    ready: async () => {
      await Promise.all(counts.map((c) => c.ready()));
    },
    warmUp: async (batch: HostBatch) => {
      for (const c of counts) {
        await c.nonDp.run(batch);
        await c.dp.run(batch);
      }
    },
    reset() {
      for (const c of counts) {
        for (const v of [...Object.values(c.phases.nonDp), ...Object.values(c.phases.dp)]) v.length = 0;
        c.noiseAtReset = c.noiseCpu();
      }
    },
    async finish() {
      const out = counts.map((c): EngineCountTimes => {
        const perStep = noiseCpuPerStep(c.noiseAtReset, c.noiseCpu());
        const nonDpMs = median(c.nonDp.wall);
        const dpMs = median(c.dp.wall);
        const medians = (p: Record<string, number[]>) => Object.fromEntries(Object.entries(p).filter(([, v]) => v.length > 0).map(([k, v]) => [k, round(median(v))]));
        return {
          engines: c.engines,
          nonDpMs: round(nonDpMs),
          dpMs: round(dpMs),
          ratio: Number((dpMs / nonDpMs).toFixed(3)),
          cpuMs: { nonDp: round(median(c.nonDp.cpu)), dp: round(median(c.dp.cpu)) },
          breakdown: { nonDp: medians(c.phases.nonDp), dp: medians(c.phases.dp) },
          noiseWorkerCpuMs: perStep,
        };
      });
      await Promise.all(counts.map((c) => c.close()));
      return out;
    },
  };
}
