/**
 * Benchmark dispatcher: `npm run bench [-- SUITE ...]`. Suites: throughput (minutes),
 * targets (accuracy targets, ~45 min), or a single target case by name. Results go to
 * bench-results/SUITE.json with the machine; BENCHMARKS.md summarises them.
 */
import { runThroughput } from './throughput.js';
import { runTargets, TARGET_CASES } from './targets.js';
import { writeResult } from './common.js';

const SUITES: Record<string, (args: string[]) => Promise<object>> = {
  throughput: () => runThroughput(),
  targets: (args) => runTargets(args),
};

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const requested = args.length === 0 ? Object.keys(SUITES) : args;
  for (const name of requested) {
    const targetCase = TARGET_CASES.find((c) => c.name === name);
    if (!SUITES[name] && !targetCase) {
      console.error(`unknown suite "${name}": choose ${[...Object.keys(SUITES), ...TARGET_CASES.map((c) => c.name)].join(', ')}`);
      process.exit(2);
    }
    const result = targetCase ? await runTargets([name]) : await SUITES[name]([]);
    const path = writeResult(name, result);
    console.log(JSON.stringify({ suite: name, result, file: path }));
  }
}

await main();
