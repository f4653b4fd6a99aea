/**
 * Pairs the runs of several fl-byzantine result files by seed (e.g. the attacked runs of one file
 * against the no-attack runs of another) and prints one JSON object: for every strategy run under
 * attack, its attack cost (points below the same strategy without attack) and its gap to FedAvg
 * without attack, each as per-seed values, mean and 95% t-interval, plus the utility without attack.
 *   node dist/bench/fl-byzantine-combine.js FILE.json [FILE.json ...]
 */
import { readFileSync } from 'node:fs';
import { pairedGap, type AccuracyRun } from './paired-gap.js';

interface Row extends AccuracyRun {
  strategy: string;
  attacked: boolean;
}
interface ResultFile {
  result: { accuracy: Row[]; settings?: { attack?: string } };
}

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error('usage: node dist/bench/fl-byzantine-combine.js FILE.json [FILE.json ...] (fl-byzantine result files)');
  process.exit(2);
}
const rows: (Row & { attack: string; file: string })[] = [];
for (const file of files) {
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as ResultFile;
  if (!Array.isArray(parsed.result?.accuracy)) {
    console.error(`${file} is not an fl-byzantine result file (no result.accuracy); pass the files written by node dist/bench/fl-byzantine.js`);
    process.exit(2);
  }
  const attack = parsed.result.settings?.attack ?? 'claim 1e9 examples at enrolment; send −100 × own update';
  // files written before --seeds existed ran seed 0 and did not record it
  for (const row of parsed.result.accuracy) rows.push({ ...row, seed: row.seed ?? 0, attack, file });
}
const find = (strategy: string, attacked: boolean, attack?: string) => (seed: number) =>
  rows.find((r) => r.strategy === strategy && r.attacked === attacked && r.seed === seed && (attack === undefined || r.attack === attack));
const attackedKinds = [...new Set(rows.filter((r) => r.attacked).map((r) => `${r.strategy}\u0000${r.attack}`))];
const table = attackedKinds.map((key) => {
  const [strategy, attack] = key.split('\u0000');
  const seeds = [...new Set(rows.filter((r) => r.strategy === strategy && r.attacked && r.attack === attack).map((r) => r.seed))].sort((a, b) => a - b);
  const meanOf = (pick: (seed: number) => Row | undefined) => {
    const got = seeds.map(pick).filter((r): r is Row & { attack: string; file: string } => r !== undefined);
    return got.length ? Number(((got.reduce((s, r) => s + r.accuracy, 0) / got.length) * 100).toFixed(2)) : undefined;
  };
  return {
    strategy,
    attack,
    seeds,
    accuracyUnderAttack: meanOf(find(strategy, true, attack)),
    accuracyNoAttack: meanOf(find(strategy, false)),
    attackCost: pairedGap(find(strategy, true, attack), find(strategy, false), seeds),
    attackCostAtRound: Object.fromEntries([10, 20].map((r) => [r, pairedGap(find(strategy, true, attack), find(strategy, false), seeds, r)?.mean])),
    gapToFedAvgNoAttack: pairedGap(find(strategy, true, attack), find('fedavg', false), seeds),
    convergenceGapNoAttack: strategy === 'fedavg' ? undefined : pairedGap(find(strategy, false), find('fedavg', false), seeds),
  };
});
console.log(JSON.stringify({ files, table }));
