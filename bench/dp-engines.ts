/**
 * Data-parallel scaling of the DP speed benchmark (issue 19): `bench dp` on N engines, run
 * several times back to back, with the machine's load average (os.loadavg, as `uptime`
 * prints it) recorded at the start and end of each run, and the medians of the runs' medians.
 * Prints one JSON object (the raw runs included).
 *
 *   node dist/bench/dp-engines.js [--runs 3] [--engines 2] [--steps 10] [--batches 64,256]
 */
import { availableParallelism, loadavg } from 'node:os';
import { runDpBench, type DpBenchCase, type DpBenchResult } from '../src/privacy/dpsgd/speed-benchmark.js';
import { median, numberFlag, stringFlag } from './common.js';


const runs = numberFlag('--runs', 3);
const engines = numberFlag('--engines', availableParallelism());
const steps = numberFlag('--steps', 10);
const batches = stringFlag('--batches', '64,256').split(',').map(Number);
const load = () => loadavg().map((x) => Number(x.toFixed(2)));

const results: { started: string; loadAtStart: number[]; loadAtEnd: number[]; result: DpBenchResult }[] = [];
for (let r = 0; r < runs; r++) {
  const started = new Date().toISOString();
  const loadAtStart = load();
  process.stderr.write(`run ${r + 1}/${runs} at ${started}, load ${loadAtStart.join(' ')}\n`);
  const result = await runDpBench({ models: ['embbag', 'char-transformer'], batches, steps, engines, log: (m) => process.stderr.write(`${m}\n`) });
  results.push({ started, loadAtStart, loadAtEnd: load(), result });
}

/** Medians over the runs of each case's figures (runs' medians), and each run's own figures. */
function summary(key: (c: DpBenchCase) => string) {
  const byCase = new Map<string, DpBenchCase[]>();
  for (const run of results) for (const c of run.result.cases) byCase.set(key(c), [...(byCase.get(key(c)) ?? []), c]);
  return [...byCase.entries()].map(([name, cases]) => {
    const pick = (f: (c: DpBenchCase) => number) => ({ median: Number(median(cases.map(f)).toFixed(2)), runs: cases.map((c) => Number(f(c).toFixed(2))) });
    const n = (c: DpBenchCase) => c.engines!.counts[0];
    const one = (c: DpBenchCase) => c.engines!.counts[1];
    return {
      case: name,
      thisThread: { nonDpMs: pick((c) => c.nonDpMs), dpMs: pick((c) => c.dpMs), ratio: pick((c) => c.ratio) },
      [`engines${engines}`]: { nonDpMs: pick((c) => n(c).nonDpMs), dpMs: pick((c) => n(c).dpMs), ratio: pick((c) => n(c).ratio) },
      ...(engines > 1 ? { oneWorker: { nonDpMs: pick((c) => one(c).nonDpMs), dpMs: pick((c) => one(c).dpMs), ratio: pick((c) => one(c).ratio) } } : {}),
      speedupOverThisThread: { nonDp: pick((c) => c.engines!.speedupOverThisThread.nonDp), dp: pick((c) => c.engines!.speedupOverThisThread.dp) },
      ...(engines > 1 ? { speedupOverOneWorker: { nonDp: pick((c) => c.engines!.speedupOverOneWorker!.nonDp), dp: pick((c) => c.engines!.speedupOverOneWorker!.dp) } } : {}),
    };
  });
}

process.stdout.write(`${JSON.stringify({
  command: `node dist/bench/dp-engines.js --runs ${runs} --engines ${engines} --steps ${steps} --batches ${batches.join(',')}`,
  engines,
  summary: engines > 1 ? summary((c) => `${c.model} batch ${c.batch}`) : [],
  runs: results,
})}\n`);
