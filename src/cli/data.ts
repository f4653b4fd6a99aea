import type { Command } from 'commander';
import { listDatasets } from '../data/registry.js';
import { resolveDataDir } from '../data/locate.js';
import { printResult } from './common.js';

export function registerData(program: Command): void {
  const data = program.command('data').description('inspect the datasets trustnlu can load');
  data
    .command('list')
    .description('name, task, splits and sizes, labels and licence of every dataset, and whether its files are found')
    .option('--data-dir <dir>', 'data directory (default: $TRUSTNLU_DATA, ./data, ../shared/data)')
    .option('--json', 'print one JSON object on stdout', false)
    .action((opts: { dataDir?: string; json?: boolean }) => {
      const dataDir = resolveDataDir(opts.dataDir);
      const datasets = listDatasets(dataDir);
      printResult({ dataDir: dataDir ?? null, datasets }, opts.json, () => {
        const rows = datasets.map((d) => [
          d.name,
          d.task,
          d.found ? (d.synthetic ? 'generated' : 'yes') : 'no',
          d.found ? `${d.splits.train}/${d.splits.val}/${d.splits.test}` : '-',
          d.task === 'intent' ? String(d.labels) : '-',
          d.licence,
        ]);
        const header = ['name', 'task', 'found', 'train/val/test', 'labels', 'licence'];
        const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
        const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i])).join('  ');
        return [`data directory: ${dataDir ?? '(none found: only the synthetic sets are available)'}`, line(header), ...rows.map(line)].join('\n');
      });
    });
}
