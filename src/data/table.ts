/**
 * A user's data file as a table of named string columns: CSV (RFC 4180, through csv-parse),
 * TSV, JSON lines and a JSON array of objects. Every dataset a user brings enters through here,
 * so every error names the file, the line and the column, and says what was expected.
 */
import { existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { stringify as stringifyCsv } from 'csv-stringify/sync';
import { extname } from 'node:path';
import { DatasetFormatError, DatasetNotFoundError } from '../errors.js';
import { parseDelimited, parseJsonText } from './datasets/read-file.js';

export const TABLE_FORMATS = ['csv', 'tsv', 'jsonl', 'json'] as const;
export type TableFormat = (typeof TABLE_FORMATS)[number];

export interface TableRow {
  /** Column name to value; JSON numbers and booleans become strings, null and missing are absent. */
  values: Record<string, string>;
  /** 1-based line of the file on which the row starts (JSON arrays: the object's line). */
  line: number;
}

export interface Table {
  path: string;
  format: TableFormat;
  /** Column names in the order they first appear (the header, for CSV/TSV). */
  columns: string[];
  rows: TableRow[];
}

const EXTENSIONS: Record<string, TableFormat> = {
  '.csv': 'csv',
  '.tsv': 'tsv',
  '.tab': 'tsv',
  '.jsonl': 'jsonl',
  '.ndjson': 'jsonl',
  '.json': 'json',
};

/** The format of a file from its extension, or a DatasetFormatError saying how to name it. */
export function tableFormatOf(path: string, format?: string): TableFormat {
  if (format !== undefined) {
    if (!(TABLE_FORMATS as readonly string[]).includes(format)) {
      throw new DatasetFormatError(`unknown format "${format}" for ${path}: use one of ${TABLE_FORMATS.join(', ')}`);
    }
    return format as TableFormat;
  }
  const found = EXTENSIONS[extname(path).toLowerCase()];
  if (!found) {
    throw new DatasetFormatError(
      `${path}: cannot tell the format from the extension "${extname(path)}"; ` +
        `name the file .csv, .tsv, .jsonl or .json, or pass the format (--format ${TABLE_FORMATS.join('|')})`,
    );
  }
  return found;
}

/** Reads a file as UTF-8 text (byte-order mark removed), or says why it cannot. */
export function readUserFile(path: string, what = 'data file'): string {
  if (!existsSync(path)) throw new DatasetNotFoundError(`${what} ${path} does not exist; check the path`);
  if (statSync(path).isDirectory()) throw new DatasetFormatError(`${path} is a directory; expected a ${what}`);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new DatasetFormatError(`${path}: could not be read (${(err as Error).message}); check its permissions`);
  }
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** Reads a CSV, TSV, JSON lines or JSON file as a table (format from the extension unless given). */
export function readTable(path: string, options: { format?: string } = {}): Table {
  const format = tableFormatOf(path, options.format);
  const text = readUserFile(path);
  return parseTable(text, path, format);
}

/** Parses text already read from `path` (which is only used in messages). */
export function parseTable(text: string, path: string, format: TableFormat): Table {
  switch (format) {
    case 'csv':
      return parseDelimitedTable(text, path, ',', format);
    case 'tsv':
      return parseDelimitedTable(text, path, '\t', format);
    case 'jsonl':
      return parseJsonLinesTable(text, path);
    case 'json':
      return parseJsonArrayTable(text, path);
  }
}

function parseDelimitedTable(text: string, path: string, delimiter: string, format: TableFormat): Table {
  // TSV files carry quotes as text more often than as quoting; CSV follows RFC 4180.
  const records = parseDelimited(text, path, delimiter, { quote: format === 'csv' ? '"' : false });
  if (records.length === 0) throw new DatasetFormatError(`${path}: the file is empty; expected a header line naming the columns, then one row per example`);
  const header = records[0].fields.map((h) => h.trim());
  const seen = new Set<string>();
  header.forEach((name, k) => {
    if (name === '') throw new DatasetFormatError(`${path}:${records[0].line}: column ${k + 1} of the header has no name; every column needs a name`);
    if (seen.has(name)) throw new DatasetFormatError(`${path}:${records[0].line}: the header names the column "${name}" twice; column names must be unique`);
    seen.add(name);
  });
  const rows: TableRow[] = [];
  for (const { fields, line } of records.slice(1)) {
    if (fields.length !== header.length) {
      const sep = delimiter === '\t' ? 'tab' : `"${delimiter}"`;
      throw new DatasetFormatError(
        `${path}:${line}: expected ${header.length} ${sep}-separated fields (${header.join(', ')}), found ${fields.length}` +
          (format === 'csv' ? '; quote a field that contains a comma ("a, b") and double quotes inside it' : ''),
      );
    }
    const values: Record<string, string> = {};
    header.forEach((name, k) => (values[name] = fields[k]));
    rows.push({ values, line });
  }
  return { path, format, columns: header, rows };
}

/** A JSON value as a cell: strings as they are, numbers and booleans as text, null as missing. */
function cellOf(value: unknown, path: string, line: number, key: string): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new DatasetFormatError(
    `${path}:${line}: field "${key}" is ${Array.isArray(value) ? 'an array' : 'an object'}; expected a string, number or boolean`,
  );
}

function rowOfObject(value: unknown, path: string, line: number, columns: string[], seen: Set<string>): TableRow {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new DatasetFormatError(`${path}:${line}: expected a JSON object such as {"text": "...", "label": "..."}, found ${Array.isArray(value) ? 'an array' : JSON.stringify(value)}`);
  }
  const values: Record<string, string> = {};
  for (const [key, v] of Object.entries(value)) {
    const cell = cellOf(v, path, line, key);
    if (cell !== undefined) values[key] = cell;
    if (!seen.has(key)) {
      seen.add(key);
      columns.push(key);
    }
  }
  return { values, line };
}

function parseJsonLinesTable(text: string, path: string): Table {
  const columns: string[] = [];
  const seen = new Set<string>();
  const rows: TableRow[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i].trim();
    if (raw === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (err) {
      throw new DatasetFormatError(
        `${path}:${i + 1}: invalid JSON on this line (${(err as Error).message}); expected one JSON object per line (JSON lines)`,
      );
    }
    rows.push(rowOfObject(value, path, i + 1, columns, seen));
  }
  if (rows.length === 0) throw new DatasetFormatError(`${path}: the file has no rows; expected one JSON object per line`);
  return { path, format: 'jsonl', columns, rows };
}

function parseJsonArrayTable(text: string, path: string): Table {
  const parsed = parseJsonText(text, path);
  if (!Array.isArray(parsed)) {
    throw new DatasetFormatError(`${path}: expected a JSON array of objects ([{"text": "...", "label": "..."}, ...]), found ${parsed === null ? 'null' : typeof parsed}`);
  }
  // Lines of the array's top-level objects, for messages: found by a scan of the text.
  const objectLines = topLevelObjectLines(text);
  const columns: string[] = [];
  const seen = new Set<string>();
  const rows = parsed.map((value, k) => rowOfObject(value, path, objectLines[k] ?? 1, columns, seen));
  if (rows.length === 0) throw new DatasetFormatError(`${path}: the array is empty; expected one object per example`);
  return { path, format: 'json', columns, rows };
}

/** The 1-based line on which each element of a top-level JSON array starts (one pass). */
function topLevelObjectLines(text: string): number[] {
  const lines: number[] = [];
  let line = 1;
  let depth = 0;
  let inString = false;
  let expectingElement = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\n') line++;
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === ' ' || c === '\n' || c === '\r' || c === '\t') continue;
    if (depth === 1 && expectingElement && c !== ']') {
      lines.push(line);
      expectingElement = false;
    }
    if (c === '"') inString = true;
    else if (c === '[' || c === '{') {
      depth++;
      if (depth === 1) expectingElement = true;
    } else if (c === ']' || c === '}') depth--;
    else if (c === ',' && depth === 1) expectingElement = true;
  }
  return lines;
}

/**
 * Writes rows as a table in the format of the path's extension (or `format`): CSV/TSV with a
 * header (quoted where needed), JSON lines, or a JSON array. Written through a temporary file,
 * so a failure never leaves half a file.
 */
export function writeTable(path: string, columns: readonly string[], rows: readonly Record<string, string | number | boolean | undefined>[], options: { format?: string } = {}): void {
  const format = tableFormatOf(path, options.format);
  let text: string;
  const cell = (r: Record<string, string | number | boolean | undefined>, c: string): string => (r[c] === undefined ? '' : String(r[c]));
  if (format === 'csv') {
    text = stringifyCsv([[...columns], ...rows.map((r) => columns.map((c) => cell(r, c)))]);
  } else if (format === 'tsv') {
    // TSV has no quoting (readTable reads quotes as text): a tab or line break inside a value becomes a space.
    const clean = (v: string) => v.replace(/[\t\r\n]+/g, ' ');
    text = [columns.map(clean), ...rows.map((r) => columns.map((c) => clean(cell(r, c))))].map((fields) => fields.join('\t')).join('\n') + '\n';
  } else {
    const objects = rows.map((r) => Object.fromEntries(columns.filter((c) => r[c] !== undefined).map((c) => [c, r[c]])));
    text = format === 'jsonl' ? objects.map((o) => JSON.stringify(o)).join('\n') + '\n' : `${JSON.stringify(objects, null, 1)}\n`;
  }
  const temporary = `${path}.partial`;
  writeFileSync(temporary, text);
  renameSync(temporary, path);
}
