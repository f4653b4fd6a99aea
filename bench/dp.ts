/**
 * The DP speed benchmark: eDP-SGD vs non-private training vs the naive per-example loop,
 * side by side (the measurement is src/privacy/dpsgd/speed-benchmark.ts, shared with
 * `trustnlu bench dp`). Run `node dist/bench/dp.js` after a build; prints one JSON object.
 */
import { runDpBench } from '../src/privacy/dpsgd/speed-benchmark.js';

export { runDpBench, SMALL_LM_CONFIG, type DpBenchCase, type DpBenchOptions, type DpBenchResult } from '../src/privacy/dpsgd/speed-benchmark.js';

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const result = await runDpBench({ log: (m) => process.stderr.write(`${m}\n`) });
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
