/**
 * Pools the seeds of several `study fl-labels` result files (the same dataset and plan run with
 * different --seed values, each file holding two seeds) and prints one JSON object: for every
 * condition, its per-seed accuracies, mean and 95% Student-t interval; its share of supervised
 * FL's accuracy paired by seed (accuracy ÷ supervised accuracy of the same seed); and its paired
 * gain over the labelled seed set alone. Per-seed accuracies come from the files' `bySeed`
 * column (three decimals).
 *   node dist/bench/fl-labels-seeds.js RESULTS.json [RESULTS.json ...]
 */
import { readFileSync } from 'node:fs';
// the module itself, not an index that loads tfjs, for a JSON-only script
import { meanTInterval } from '../src/metrics/mean-interval.js';

interface Row {
  kind: string;
  dataset: string;
  method: string;
  labels: string;
  seeds: number;
  bySeed: string;
}
interface ResultFile {
  study: string;
  seed: number;
  command: string;
  rows: Row[];
}

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error('usage: node dist/bench/fl-labels-seeds.js RESULTS.json [RESULTS.json ...] (results.json files of trustnlu study fl-labels)');
  process.exit(2);
}

/** method → seed → accuracy */
const bySeed = new Map<string, Map<number, number>>();
const datasets = new Set<string>();
for (const file of files) {
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as ResultFile;
  if (parsed.study !== 'fl-labels' || !Array.isArray(parsed.rows)) {
    console.error(`${file} is not a results.json of trustnlu study fl-labels; pass the files that study wrote`);
    process.exit(2);
  }
  for (const row of parsed.rows.filter((r) => r.kind === 'run')) {
    datasets.add(row.dataset);
    const values = row.bySeed.split(' / ').map(Number);
    const seeds = Array.from({ length: values.length }, (_, i) => parsed.seed + i);
    const mine = bySeed.get(row.method) ?? new Map<number, number>();
    values.forEach((v, i) => {
      if (mine.has(seeds[i])) {
        console.error(`${file}: seed ${seeds[i]} of "${row.method}" appears in two files; pass each seed once`);
        process.exit(2);
      }
      mine.set(seeds[i], v);
    });
    bySeed.set(row.method, mine);
  }
}
if (datasets.size !== 1) {
  console.error(`the files hold ${datasets.size} datasets (${[...datasets].join(', ')}); pool one dataset at a time`);
  process.exit(2);
}

function summary(values: number[]): { perSeed: number[]; mean: number; interval95?: [number, number] } {
  const { mean, half } = meanTInterval(values);
  const out: { perSeed: number[]; mean: number; interval95?: [number, number] } = { perSeed: values.map((v) => Number(v.toFixed(4))), mean: Number(mean.toFixed(4)) };
  if (half !== null) out.interval95 = [Number((mean - half).toFixed(4)), Number((mean + half).toFixed(4))];
  return out;
}

const supervised = [...bySeed.keys()].find((m) => m.startsWith('supervised FL'));
const seedOnly = [...bySeed.keys()].find((m) => m.startsWith('labelled seed set alone'));
const rows = [...bySeed.entries()].map(([method, seeds]) => {
  const order = [...seeds.keys()].sort((a, b) => a - b);
  const paired = (reference: string | undefined, f: (a: number, b: number) => number) => {
    if (!reference || reference === method) return undefined;
    const ref = bySeed.get(reference)!;
    const common = order.filter((s) => ref.has(s));
    return common.length > 0 ? { seeds: common, ...summary(common.map((s) => f(seeds.get(s)!, ref.get(s)!))) } : undefined;
  };
  return {
    method,
    seeds: order,
    accuracy: summary(order.map((s) => seeds.get(s)!)),
    ofSupervised: paired(supervised, (a, b) => a / b),
    gainOverSeedSet: paired(seedOnly, (a, b) => a - b),
  };
});
console.log(JSON.stringify({ files, dataset: [...datasets][0], rows }, null, 1));
