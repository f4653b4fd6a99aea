#!/usr/bin/env node
// Recall of CLINC150's true top 10 out-of-scope words at ε = 4, central against distributed noise,
// over noise seeds: runs `trustnlu fl analytics heavy-hitters` once per cell and seed and writes
// docs/results/fl-analytics-distributed-noise.json. Needs TRUSTNLU_DATA and a build (dist/).
// Usage: node scripts/analytics-distributed-noise.mjs [seeds]   (default 10)
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';

const seeds = Number(process.argv[2] ?? 10);
const base = ['bin/trustnlu.js', 'fl', 'analytics', 'heavy-hitters', '--dataset', 'clinc150', '--label', 'oos', '--epsilon', '4', '--delta', '1e-6', '--k', '10', '--json'];
const cells = [
  { name: 'central', flags: ['--noise', 'central'] },
  { name: 'distributed, t = all 1,200 devices', flags: ['--noise', 'distributed'] },
  { name: 'distributed, t = 600 (half may drop out)', flags: ['--noise', 'distributed', '--min-reports', '600'] },
];
const rows = [];
for (const cell of cells) {
  for (let seed = 0; seed < seeds; seed++) {
    const out = JSON.parse(execFileSync(process.execPath, [...base, ...cell.flags, '--noise-seed', String(seed)], { encoding: 'utf8', maxBuffer: 1 << 26 }));
    rows.push({
      cell: cell.name,
      seed,
      recall: out.recall,
      precision: out.precision,
      countNoiseStd: out.details.countNoiseStd,
      threshold: out.details.threshold,
      roundsRun: out.details.roundsRun,
      shareSigma: out.distributedNoise?.shareSigma ?? null,
      minReports: out.distributedNoise?.minReports ?? null,
      accountedEpsilon: out.distributedNoise?.epsilon ?? out.epsilon,
    });
    process.stderr.write(`${cell.name} seed ${seed}: recall ${out.recall}\n`);
  }
}
// mean recall with a 95% t-interval over seeds (t quantiles for 2..30 seeds)
const T95 = [NaN, 12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045];
const summary = cells.map((cell) => {
  const r = rows.filter((x) => x.cell === cell.name);
  const recalls = r.map((x) => x.recall);
  const mean = recalls.reduce((s, v) => s + v, 0) / recalls.length;
  const sd = Math.sqrt(recalls.reduce((s, v) => s + (v - mean) ** 2, 0) / Math.max(1, recalls.length - 1));
  const half = (T95[recalls.length - 1] ?? 1.96) * sd / Math.sqrt(recalls.length);
  return { cell: cell.name, seeds: recalls.length, meanRecall: +mean.toFixed(4), ci95: [+Math.max(0, mean - half).toFixed(4), +Math.min(1, mean + half).toFixed(4)], countNoiseStd: r[0].countNoiseStd, threshold: r[0].threshold, shareSigma: r[0].shareSigma, minReports: r[0].minReports };
});
const result = {
  command: `node scripts/analytics-distributed-noise.mjs ${seeds}`,
  cli: `trustnlu ${base.slice(1).join(' ')} --noise central|distributed [--min-reports t] --noise-seed SEED`,
  machine: `${cpus().length} cores, load average ${loadavg()[0].toFixed(1)} at the end (shared machine; no timings reported)`,
  summary,
  rows,
};
writeFileSync('docs/results/fl-analytics-distributed-noise.json', JSON.stringify(result, null, 1) + '\n');
console.log(JSON.stringify(summary, null, 1));
