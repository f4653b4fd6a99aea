/**
 * The data flags every command that reads a dataset shares: a named dataset (`--dataset NAME`)
 * or the user's own files (`--data PATH [--val-data PATH] [--test-data PATH]` with the format and
 * the columns). Parsing only: loading is `loadDatasetSource` in src/data.
 */
import type { Command } from 'commander';
import { DATASETS } from '../data/registry.js';
import { TABLE_FORMATS } from '../data/table.js';
import type { DatasetSource, LoadTextDatasetOptions } from '../data/text-dataset.js';
import { UsageError } from '../errors.js';
import { parseChoice } from './common.js';

export interface DataFlags {
  dataset?: string;
  data?: string;
  valData?: string;
  testData?: string;
  format?: string;
  textColumn?: string;
  labelColumn?: string;
  groupColumn?: string;
  userColumn?: string;
  timeColumn?: string;
  dataDir?: string;
}

export interface DataOptionsConfig {
  /** Help for --dataset (what the default is). */
  datasetHelp?: string;
  /** Which optional columns the command uses (default: all). */
  columns?: readonly ('group' | 'user' | 'time')[];
}

/** Adds --dataset, --data, --val-data, --test-data, --format, the column flags and --data-dir. */
export function addDataOptions(command: Command, config: DataOptionsConfig = {}): Command {
  const columns = config.columns ?? ['group', 'user', 'time'];
  command
    .option('--dataset <name>', config.datasetHelp ?? `a named dataset: ${DATASETS.map((d) => d.name).join(', ')}`)
    .option('--data <path>', 'your own data file (CSV, TSV, JSON lines or JSON; train split, or all splits when --val-data/--test-data are absent)')
    .option('--val-data <path>', 'your own validation file (default: a stratified 10% of --data)')
    .option('--test-data <path>', 'your own test file (default: a stratified 10% of --data)')
    .option('--format <format>', `format of the data files: ${TABLE_FORMATS.join(' | ')} (default: from the extension)`, parseChoice('--format', TABLE_FORMATS))
    .option('--text-column <name>', 'column holding the text (default "text")')
    .option('--label-column <name>', 'column holding the label (default "label")');
  if (columns.includes('group')) command.option('--group-column <name>', 'column holding a sensitive-attribute group (fairness gaps)');
  if (columns.includes('user')) command.option('--user-column <name>', 'column holding the user or device (federated partition "user")');
  if (columns.includes('time')) command.option('--time-column <name>', 'column holding a time, a number or a date (continual periods)');
  return command.option('--data-dir <dir>', 'data directory of the named datasets (default: $TRUSTNLU_DATA)');
}

const FILE_ONLY: [keyof DataFlags, string][] = [
  ['valData', '--val-data'],
  ['testData', '--test-data'],
  ['format', '--format'],
  ['textColumn', '--text-column'],
  ['labelColumn', '--label-column'],
  ['groupColumn', '--group-column'],
  ['userColumn', '--user-column'],
  ['timeColumn', '--time-column'],
];

/**
 * The dataset the flags name: the user's files (`--data`), a registry name (`--dataset`), or
 * undefined when neither is given (the command's default applies). Contradictions are usage errors.
 */
export function dataSourceFromFlags(flags: DataFlags): DatasetSource | undefined {
  if (flags.data !== undefined && flags.dataset !== undefined) {
    throw new UsageError('--dataset and --data name two datasets: give one (--dataset NAME for a named dataset, --data FILE for your own file)');
  }
  if (flags.data === undefined) {
    const stray = FILE_ONLY.filter(([key]) => flags[key] !== undefined).map(([, flag]) => flag);
    if (stray.length > 0) throw new UsageError(`${stray.join(', ')} ${stray.length > 1 ? 'describe' : 'describes'} your own files: add --data FILE`);
    return flags.dataset !== undefined ? { kind: 'registry', name: flags.dataset } : undefined;
  }
  const options: Omit<LoadTextDatasetOptions, 'seed'> = {};
  if (flags.format !== undefined) options.format = flags.format;
  if (flags.textColumn !== undefined) options.text = flags.textColumn;
  if (flags.labelColumn !== undefined) options.label = flags.labelColumn;
  if (flags.groupColumn !== undefined) options.group = flags.groupColumn;
  if (flags.userColumn !== undefined) options.user = flags.userColumn;
  if (flags.timeColumn !== undefined) options.time = flags.timeColumn;
  return {
    kind: 'files',
    files: {
      train: flags.data,
      ...(flags.valData !== undefined ? { val: flags.valData } : {}),
      ...(flags.testData !== undefined ? { test: flags.testData } : {}),
    },
    options,
  };
}
