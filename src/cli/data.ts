import type { Command } from 'commander';
import { listDatasets, loadIntentDataset } from '../data/registry.js';
import { resolveDataDir } from '../data/locate.js';
import { TABLE_FORMATS, writeTable } from '../data/table.js';
import { exampleGroup } from '../fairness/extrinsic/data-groups.js';
import { parseChoice, parseInteger, printResult } from './common.js';

interface ExportFlags {
  dataset: string;
  split: 'train' | 'val' | 'test';
  out: string;
  format?: string;
  textColumn: string;
  labelColumn: string;
  seed: number;
  dataDir?: string;
  json?: boolean;
}

/**
 * `data export`: one split of a named intent dataset written as a file of your own format and
 * column names, e.g. to see the format --data reads, or to start from a known dataset.
 */
function registerExport(data: Command): void {
  data
    .command('export')
    .description('write one split of a named intent dataset as a CSV, TSV, JSON lines or JSON file (columns: text, label, and group/domain when the dataset has them)')
    .requiredOption('--dataset <name>', 'a named intent dataset (see "trustnlu data list")')
    .requiredOption('--out <file>', 'the file to write; the format comes from its extension (.csv, .tsv, .jsonl, .json)')
    .option('--split <name>', 'split to write: train, val or test', parseChoice('--split', ['train', 'val', 'test'] as const), 'train')
    .option('--format <format>', `format: ${TABLE_FORMATS.join(' | ')} (default: from the extension)`, parseChoice('--format', TABLE_FORMATS))
    .option('--text-column <name>', 'name of the text column', 'text')
    .option('--label-column <name>', 'name of the label column', 'label')
    .option('--seed <n>', 'seed of derived splits (as in train)', parseInteger('--seed', 0), 0)
    .option('--data-dir <dir>', 'data directory of the named datasets (default: $TRUSTNLU_DATA)')
    .option('--json', 'print one JSON object on stdout', false)
    .action((flags: ExportFlags) => {
      const dataset = loadIntentDataset(flags.dataset, { dataDir: flags.dataDir, seed: flags.seed });
      const examples = dataset.splits[flags.split];
      const hasGroup = examples.some((e) => exampleGroup(e) !== undefined);
      const hasDomain = examples.some((e) => e.domain !== undefined);
      const columns = [flags.textColumn, flags.labelColumn, ...(hasGroup ? ['group'] : []), ...(hasDomain ? ['domain'] : [])];
      writeTable(
        flags.out,
        columns,
        examples.map((e) => ({ [flags.textColumn]: e.text, [flags.labelColumn]: e.label, group: exampleGroup(e), domain: e.domain })),
        { format: flags.format },
      );
      printResult({ dataset: dataset.name, split: flags.split, rows: examples.length, columns, out: flags.out }, flags.json, () => `${examples.length} ${flags.split} examples of ${dataset.name} written to ${flags.out} (columns ${columns.join(', ')})`);
    });
}

export function registerData(program: Command): void {
  const data = program.command('data').description('inspect the datasets trustnlu can load');
  data
    .command('list')
    .description('name, task, splits and sizes, labels and licence of every dataset, and whether its files are found')
    .option('--data-dir <dir>', 'data directory of the named datasets (default: $TRUSTNLU_DATA)')
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
        return [`data directory: ${dataDir ?? '(none: set TRUSTNLU_DATA or pass --data-dir; only the synthetic sets are available)'}`, line(header), ...rows.map(line)].join('\n');
      });
    });
  registerExport(data);
}
