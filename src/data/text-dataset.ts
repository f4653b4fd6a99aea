/**
 * A user's own data: labelled utterances (an intent dataset) or plain text (a language-model
 * corpus) from CSV, TSV, JSON lines or JSON files, with named columns. This is the one loader
 * every command shares for files; missing validation and test splits are carved off the
 * training file, stratified by label and reproducible from the seed.
 */
import { basename, resolve } from 'node:path';
import { ConfigError, DatasetFormatError } from '../errors.js';
import { sortedLabels, stratifiedHoldOut } from './datasets/stratified-split.js';
import { readTable, readUserFile, tableFormatOf, type Table } from './table.js';
import type { IntentDataset, SplitName, TextCorpus, TextExample, TextUnit } from './types.js';

/** Which column holds what. Defaults: text "text", label "label"; the others are optional. */
export interface TextColumns {
  text?: string;
  label?: string;
  /** A sensitive attribute (for fairness group gaps). */
  group?: string;
  /** The user or device that wrote the example (for federated partitions by user). */
  user?: string;
  /** When the example was written: a number or a date (for continual periods by time). */
  time?: string;
}

export interface LoadTextDatasetOptions extends TextColumns {
  /** csv | tsv | jsonl | json; default from each file's extension. */
  format?: string;
  /** Share of the training file held out for validation when no validation file is given; default 0.1. */
  valFraction?: number;
  /** Share of the training file held out for testing when no test file is given; default 0.1. */
  testFraction?: number;
  /** Seed of the held-out splits; default 0. */
  seed?: number;
  /** Dataset name in results; default the training file's name. */
  name?: string;
  /** Label of out-of-scope examples, excluded from in-scope accuracy (as CLINC150's "oos"). */
  outOfScopeLabel?: string;
}

/** One file, or one file per split. */
export interface TextDatasetFiles {
  train: string;
  val?: string;
  test?: string;
}

/**
 * Where a dataset came from, in a form a checkpoint can record so that later commands (eval,
 * audits, reports) load the same data again: a registry name, or files with their options.
 */
export type DatasetSource =
  | { kind: 'registry'; name: string }
  | { kind: 'files'; files: TextDatasetFiles; options: Omit<LoadTextDatasetOptions, 'seed'> };

const DEFAULT_HOLD_OUT = 0.1;

function filesOf(source: string | TextDatasetFiles): TextDatasetFiles {
  if (typeof source === 'string') return { train: source };
  if (source === null || typeof source !== 'object' || typeof source.train !== 'string') {
    throw new ConfigError('loadTextDataset: pass a file path or { train, val?, test? } with file paths');
  }
  return source;
}

function fractionOf(name: string, value: number | undefined): number {
  const f = value ?? DEFAULT_HOLD_OUT;
  if (!(f > 0 && f < 1)) throw new ConfigError(`${name} must be in (0, 1), got ${value}`);
  return f;
}

/** The column named `wanted`, or an error listing the columns there are and the flag to use. */
function requireColumn(table: Table, wanted: string, role: keyof TextColumns): void {
  if (table.columns.includes(wanted)) return;
  const flag = `--${role}-column`;
  throw new DatasetFormatError(
    `${table.path}: no column "${wanted}" for the ${role}; the file's columns are ${table.columns.map((c) => `"${c}"`).join(', ') || '(none)'}; ` +
      `name the right one with ${flag} COLUMN (library: { ${role}: 'COLUMN' })`,
  );
}

function timeValue(raw: string, path: string, line: number, column: string): number {
  const trimmed = raw.trim();
  const asNumber = Number(trimmed);
  if (trimmed !== '' && Number.isFinite(asNumber)) return asNumber;
  const asDate = Date.parse(trimmed);
  if (Number.isFinite(asDate)) return asDate;
  throw new DatasetFormatError(`${path}:${line}: column "${column}" is "${raw}"; expected a number or a date such as 2024-05-01T12:00:00Z`);
}

/**
 * The examples of one file. The optional columns must exist in the training file; a validation
 * or test file may leave them out (its examples then have no group, user or time).
 */
function examplesOf(table: Table, named: Required<Pick<TextColumns, 'text' | 'label'>> & TextColumns, isTrain: boolean): TextExample[] {
  requireColumn(table, named.text, 'text');
  requireColumn(table, named.label, 'label');
  const columns = { ...named };
  for (const role of ['group', 'user', 'time'] as const) {
    const name = columns[role];
    if (name === undefined) continue;
    if (isTrain) requireColumn(table, name, role);
    else if (!table.columns.includes(name)) delete columns[role];
  }
  return table.rows.map(({ values, line }) => {
    const text = (values[columns.text] ?? '').replace(/\s*[\r\n]+\s*/g, ' ').trim();
    if (text === '') throw new DatasetFormatError(`${table.path}:${line}: column "${columns.text}" is empty; every row needs a text (remove the row or fill it in)`);
    const label = (values[columns.label] ?? '').trim();
    if (label === '') throw new DatasetFormatError(`${table.path}:${line}: column "${columns.label}" is empty; every row needs a label (remove the row or fill it in)`);
    const example: TextExample = { text, label };
    if (columns.group !== undefined) {
      const group = (values[columns.group] ?? '').trim();
      if (group !== '') example.group = group;
    }
    if (columns.user !== undefined) {
      const user = (values[columns.user] ?? '').trim();
      if (user === '') throw new DatasetFormatError(`${table.path}:${line}: column "${columns.user}" (the user) is empty; every row needs a user for a partition by user`);
      example.user = user;
    }
    if (columns.time !== undefined) example.time = timeValue(values[columns.time] ?? '', table.path, line, columns.time);
    return example;
  });
}

/**
 * Loads labelled utterances from a CSV, TSV, JSON lines or JSON file (or one per split) as an
 * intent dataset. Columns default to "text" and "label"; `group`, `user` and `time` name optional
 * columns. A split without a file is carved off the training file, stratified by label, from the
 * seed: first the test share, then the validation share (both as shares of the training file).
 */
export function loadTextDataset(source: string | TextDatasetFiles, options: LoadTextDatasetOptions = {}): IntentDataset {
  const files = filesOf(source);
  const columns = { ...options, text: options.text ?? 'text', label: options.label ?? 'label' };
  const seed = options.seed ?? 0;
  if (!Number.isFinite(seed)) throw new ConfigError(`seed must be a finite number, got ${seed}`);
  const read = (path: string, isTrain = false) => examplesOf(readTable(path, { format: options.format }), columns, isTrain);
  const trainAll = read(files.train, true);
  const notes: string[] = [];
  let test: TextExample[];
  let rest = trainAll;
  const trainName = basename(files.train);
  if (files.test !== undefined) test = read(files.test);
  else {
    const fraction = fractionOf('testFraction', options.testFraction);
    const split = stratifiedHoldOut(rest, fraction, seed, 'user-data:test');
    rest = split.kept;
    test = split.heldOut;
    notes.push(`test is a stratified ${(fraction * 100).toFixed(0)}% of ${trainName} (${test.length} of ${trainAll.length}), seed ${seed}`);
  }
  let val: TextExample[];
  if (files.val !== undefined) val = read(files.val);
  else {
    const fraction = fractionOf('valFraction', options.valFraction);
    const split = stratifiedHoldOut(rest, Math.min(0.9, fraction * (trainAll.length / Math.max(1, rest.length))), seed, 'user-data:val');
    rest = split.kept;
    val = split.heldOut;
    notes.push(`val is a stratified ${(fraction * 100).toFixed(0)}% of ${trainName} (${val.length} of ${trainAll.length}), seed ${seed}`);
  }
  const splits: Record<SplitName, TextExample[]> = { train: rest, val, test };
  for (const name of ['train', 'val', 'test'] as const) {
    if (splits[name].length === 0) {
      throw new DatasetFormatError(
        `${files[name] ?? files.train}: the ${name} split is empty` +
          (files[name] === undefined ? ` (too few examples per label to hold out ${name} examples); give a ${name} file (--${name}-data FILE) or more rows` : ''),
      );
    }
  }
  const labels = sortedLabels(splits.train, splits.val, splits.test);
  const unseen = sortedLabels(splits.val, splits.test).filter((l) => !splits.train.some((e) => e.label === l));
  if (unseen.length > 0) notes.push(`labels in val/test but not in train (a model cannot predict them): ${unseen.slice(0, 5).join(', ')}${unseen.length > 5 ? ', ...' : ''}`);
  if (options.outOfScopeLabel !== undefined && !labels.includes(options.outOfScopeLabel)) {
    throw new ConfigError(`outOfScopeLabel "${options.outOfScopeLabel}" is not a label of ${trainName}`);
  }
  const { seed: _seed, ...recorded } = options;
  return {
    name: options.name ?? trainName,
    task: 'intent',
    labels,
    splits,
    synthetic: false,
    ...(options.outOfScopeLabel !== undefined ? { outOfScopeLabel: options.outOfScopeLabel } : {}),
    notes,
    licence: 'the user\'s own data',
    source: [files.train, files.val, files.test].filter((f) => f !== undefined).join(', '),
    origin: { kind: 'files', files: absoluteFiles(files), options: recorded },
  };
}

function absoluteFiles(files: TextDatasetFiles): TextDatasetFiles {
  return {
    train: resolve(files.train),
    ...(files.val !== undefined ? { val: resolve(files.val) } : {}),
    ...(files.test !== undefined ? { test: resolve(files.test) } : {}),
  };
}

/** Text units of a corpus file: a .txt file as paragraphs (blank-line separated), a table's text column. */
function unitsOf(path: string, options: LoadTextDatasetOptions): TextUnit[] {
  const isPlainText = options.format === undefined && /\.(txt|text)$/i.test(path);
  if (isPlainText) {
    const text = readUserFile(path, 'text file');
    const units = text.split(/\r?\n\s*\r?\n/).map((t) => t.trim()).filter((t) => t !== '').map((t) => ({ text: `${t}\n` }));
    if (units.length === 0) throw new DatasetFormatError(`${path}: the file has no text`);
    return units;
  }
  tableFormatOf(path, options.format);
  const table = readTable(path, { format: options.format });
  const column = options.text ?? 'text';
  requireColumn(table, column, 'text');
  if (options.user !== undefined) requireColumn(table, options.user, 'user');
  return table.rows
    .filter(({ values }) => (values[column] ?? '').trim() !== '')
    .map(({ values }) => {
      const unit: TextUnit = { text: `${values[column].trim()}\n` };
      if (options.user !== undefined && values[options.user] !== undefined) unit.speaker = values[options.user];
      return unit;
    });
}

/**
 * Loads a language-model corpus from a plain text file (.txt: paragraphs separated by blank
 * lines) or the text column of a table. Without val/test files, the last shares of the training
 * file (in order) become validation and test, as text is not exchangeable across positions.
 */
export function loadTextCorpus(source: string | TextDatasetFiles, options: LoadTextDatasetOptions = {}): TextCorpus {
  const files = filesOf(source);
  const all = unitsOf(files.train, options);
  const valShare = files.val ? 0 : fractionOf('valFraction', options.valFraction);
  const testShare = files.test ? 0 : fractionOf('testFraction', options.testFraction);
  const trainEnd = Math.floor(all.length * (1 - valShare - testShare));
  const valEnd = Math.floor(all.length * (1 - testShare));
  const splits: Record<SplitName, TextUnit[]> = {
    train: all.slice(0, trainEnd),
    val: files.val ? unitsOf(files.val, options) : all.slice(trainEnd, valEnd),
    test: files.test ? unitsOf(files.test, options) : all.slice(valEnd),
  };
  for (const name of ['train', 'val', 'test'] as const) {
    if (splits[name].length === 0) throw new DatasetFormatError(`${files[name] ?? files.train}: the ${name} split has no text; give more text or a --${name}-data FILE`);
  }
  const { seed: _seed, ...recorded } = options;
  return {
    name: options.name ?? basename(files.train),
    task: 'lm',
    splits,
    synthetic: false,
    notes: files.val && files.test ? [] : ['val/test are the last shares of the training file, in order'],
    licence: 'the user\'s own data',
    source: [files.train, files.val, files.test].filter((f) => f !== undefined).join(', '),
    origin: { kind: 'files', files: absoluteFiles(files), options: recorded },
  };
}
