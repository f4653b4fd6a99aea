/**
 * `trustnlu bench dp`: the DP speed benchmark (median ms per step of non-private training,
 * eDP-SGD with noise, and the naive per-example loop, side by side in one run). Parsing only;
 * the measurement is runDpBench in src/privacy/dpsgd/speed-benchmark.ts.
 */
import { InvalidArgumentError, type Command } from 'commander';
import { DP_BENCH_MODELS, runDpBench, type DpBenchResult } from '../privacy/index.js';
import { progressFor } from '../train/index.js';
import { parseEngines, parseInteger, printResult } from './common.js';

const BENCH_MODELS = DP_BENCH_MODELS;

function parseList<T>(name: string, item: (value: string) => T): (value: string) => T[] {
  return (value) => {
    const parts = value.split(',').map((s) => s.trim()).filter(Boolean);
    if (parts.length === 0) throw new InvalidArgumentError(`${name} must be a comma-separated list, got "${value}"`);
    return parts.map(item);
  };
}

const parseBatch = (value: string): number => {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1) throw new InvalidArgumentError(`--batches must list integers ≥ 1, got "${value}"`);
  return n;
};

const parseModel = (value: string): (typeof BENCH_MODELS)[number] => {
  if (!(BENCH_MODELS as readonly string[]).includes(value)) throw new InvalidArgumentError(`--models must list names from ${BENCH_MODELS.join(', ')}, got "${value}"`);
  return value as (typeof BENCH_MODELS)[number];
};

interface BenchDpFlags {
  steps: number;
  naiveSteps?: number;
  engines?: number;
  batches: number[];
  models: (typeof BENCH_MODELS)[number][];
  inlineNoise: boolean;
  dataDir?: string;
  json?: boolean;
}

function describe(r: DpBenchResult): string {
  const rows = r.cases.map((c) =>
    `${c.model.padEnd(24)} batch ${String(c.batch).padStart(4)}  ${String(c.params).padStart(8)} params  non-DP ${c.nonDpMs.toFixed(1).padStart(7)} ms  eDP ${c.dpMs.toFixed(1).padStart(7)} ms (×${c.ratio.toFixed(2)})  naive ${c.naiveMs.toFixed(1).padStart(8)} ms (×${c.naiveRatio.toFixed(1)})`);
  const engineRows = r.cases.flatMap((c) => (c.engines?.counts ?? []).map((n) =>
    `${c.model.padEnd(24)} batch ${String(c.batch).padStart(4)}  on ${n.engines} worker engine(s): non-DP ${n.nonDpMs.toFixed(1).padStart(7)} ms  eDP ${n.dpMs.toFixed(1).padStart(7)} ms (×${n.ratio.toFixed(2)})` +
    (n === c.engines!.counts[0] ? `  speed-up over this thread's engine: non-DP ×${c.engines!.speedupOverThisThread.nonDp}, eDP ×${c.engines!.speedupOverThisThread.dp}` : '')));
  return [...rows, ...engineRows, `noise for ${r.noiseMs.params} parameters: ziggurat ${r.noiseMs.ziggurat} ms, secure ${r.noiseMs.secure} ms`].join('\n');
}

export function registerBench(program: Command): void {
  const bench = program.command('bench').description('benchmarks');
  bench
    .command('dp')
    .description('median ms per training step: non-private, eDP-SGD (noise included), naive per-example loop; embedding-bag classifier and small transformer LM, built in and built with tf.layers (makePrivate)')
    .option('--steps <n>', 'timed steps per mode (after 2 warm-up steps)', parseInteger('--steps', 1), 10)
    .option('--naive-steps <n>', 'timed naive steps per case (default 5)', parseInteger('--naive-steps', 1))
    .option('--engines <n>', 'also time data-parallel steps on this many worker engines (and on one), or "cores"; 1 = this thread only (default: one per core)', parseEngines)
    .option('--batches <list>', 'batch sizes, comma-separated', parseList('--batches', parseBatch), [64, 256])
    .option('--models <list>', `models, comma-separated: ${BENCH_MODELS.join(', ')}`, parseList('--models', parseModel), [...BENCH_MODELS])
    .option('--inline-noise', 'generate the noise in the main thread instead of a step ahead in a worker', false)
    .option('--data-dir <dir>', 'data directory (CLINC150 and Tiny Shakespeare when found, else the synthetic sets)')
    .option('--json', 'print exactly one JSON object on stdout; progress as JSON lines on stderr', false)
    .addHelpText('after', '\nExample:\n  trustnlu bench dp --json > bench-dp.json')
    .action(async (flags: BenchDpFlags) => {
      const progress = progressFor({ json: flags.json });
      const result = await runDpBench({
        steps: flags.steps,
        naiveSteps: flags.naiveSteps,
        naiveStepsLarge: flags.naiveSteps,
        engines: flags.engines,
        batches: flags.batches,
        models: flags.models,
        prefetchNoise: !flags.inlineNoise,
        dataDir: flags.dataDir,
        log: (message) => progress.event('bench', { message: message.trim() }),
      });
      printResult(result, flags.json, describe);
    });
}
