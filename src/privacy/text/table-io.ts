/**
 * Reading and writing the data file `trustnlu privatize` rewrites (Node only): CSV, TSV (with a
 * header row), JSONL (one object per line) or JSON (an array of objects), chosen by the file's
 * extension. Every column other than the text column is written back unchanged, in the same
 * order; CSV/TSV go through csv-parse / csv-stringify.
 *
 * Temporary: the lead is adding one shared table reader to src/data (loadTextDataset); once it
 * lands this module should be folded into it.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { DatasetFormatError } from '../../errors.js';

export const TABLE_FORMATS = ['csv', 'tsv', 'jsonl', 'json'] as const;
export type TableFormat = (typeof TABLE_FORMATS)[number];

export interface TextTable {
  format: TableFormat;
  /** Column names in file order. */
  columns: string[];
  rows: Record<string, unknown>[];
}

/** The format a path's extension names (.csv, .tsv, .jsonl / .ndjson, .json). */
export function tableFormatOf(path: string): TableFormat {
  const ext = extname(path).toLowerCase();
  if (ext === '.csv') return 'csv';
  if (ext === '.tsv' || ext === '.tab') return 'tsv';
  if (ext === '.jsonl' || ext === '.ndjson') return 'jsonl';
  if (ext === '.json') return 'json';
  throw new DatasetFormatError(`${path}: cannot tell the format from the extension "${ext}": use .csv, .tsv, .jsonl or .json`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function columnsOf(rows: Record<string, unknown>[]): string[] {
  const seen = new Set<string>();
  for (const row of rows) for (const key of Object.keys(row)) seen.add(key);
  return [...seen];
}

export function parseTextTable(text: string, format: TableFormat, source: string): TextTable {
  if (format === 'csv' || format === 'tsv') {
    let records: Record<string, string>[];
    try {
      records = parse(text, { columns: true, delimiter: format === 'tsv' ? '\t' : ',', skip_empty_lines: true, bom: true, relax_quotes: format === 'tsv' }) as Record<string, string>[];
    } catch (error) {
      throw new DatasetFormatError(`${source}: not valid ${format.toUpperCase()} (${(error as Error).message})`);
    }
    const header = parse(text, { to_line: 1, delimiter: format === 'tsv' ? '\t' : ',', bom: true, relax_quotes: format === 'tsv' }) as string[][];
    return { format, columns: header[0] ?? [], rows: records };
  }
  if (format === 'jsonl') {
    const rows: Record<string, unknown>[] = [];
    text.split(/\r?\n/).forEach((line, i) => {
      if (line.trim() === '') return;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch (error) {
        throw new DatasetFormatError(`${source}:${i + 1}: not valid JSON (${(error as Error).message})`);
      }
      if (!isRecord(value)) throw new DatasetFormatError(`${source}:${i + 1}: expected a JSON object per line`);
      rows.push(value);
    });
    return { format, columns: columnsOf(rows), rows };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new DatasetFormatError(`${source}: not valid JSON (${(error as Error).message})`);
  }
  if (!Array.isArray(value) || !value.every(isRecord)) throw new DatasetFormatError(`${source}: expected a JSON array of objects`);
  return { format, columns: columnsOf(value), rows: value };
}

/** Reads a table and the strings of its text column (every row must have one). */
export function readTextTable(path: string, textColumn: string): { table: TextTable; texts: string[] } {
  const format = tableFormatOf(path);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new DatasetFormatError(`cannot read data file ${path}: ${(error as Error).message}`);
  }
  const table = parseTextTable(text, format, path);
  if (!table.columns.includes(textColumn)) {
    throw new DatasetFormatError(`${path}: no column "${textColumn}" (columns: ${table.columns.join(', ') || 'none'}); name the text column with --text-column`);
  }
  const texts = table.rows.map((row, i) => {
    const value = row[textColumn];
    if (typeof value !== 'string') {
      throw new DatasetFormatError(`${path}: row ${i + 1} has ${value === undefined ? 'no' : `a ${value === null ? 'null' : typeof value}`} "${textColumn}" value; every row needs a text`);
    }
    return value;
  });
  return { table, texts };
}

/** Serialises a table in the given format (the text column replaced by `texts`). */
export function formatTextTable(table: TextTable, textColumn: string, texts: readonly string[], format: TableFormat): string {
  const rows = table.rows.map((row, i) => ({ ...row, [textColumn]: texts[i] }));
  if (format === 'csv' || format === 'tsv') {
    return stringify(rows, { header: true, columns: table.columns, delimiter: format === 'tsv' ? '\t' : ',' });
  }
  if (format === 'jsonl') return rows.map((r) => JSON.stringify(r)).join('\n') + (rows.length > 0 ? '\n' : '');
  return `${JSON.stringify(rows, null, 1)}\n`;
}

export function writeTextTable(path: string, table: TextTable, textColumn: string, texts: readonly string[]): void {
  writeFileSync(path, formatTextTable(table, textColumn, texts, tableFormatOf(path)));
}
