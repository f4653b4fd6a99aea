/**
 * Reading dataset files: text, JSON, JSON lines, delimited (CSV-like) tables and aligned line
 * files. Every failure names the file and, where there is one, the line, and says what was
 * expected, so a user with a damaged or different file can fix it. Parsed files are cached in
 * memory per (path, parser), revalidated by size and mtime, so repeated loads are cheap.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { DatasetFormatError, DatasetNotFoundError } from '../../errors.js';

/** Absolute path of a dataset file, or a DatasetNotFoundError that says how to provide it. */
export function requireDataFile(dataDir: string, relativePath: string, datasetName: string): string {
  const path = join(dataDir, relativePath);
  if (!existsSync(path)) {
    throw new DatasetNotFoundError(
      `dataset "${datasetName}" needs ${relativePath}, which is not in the data directory ${dataDir} ` +
        `(missing: ${path}). Point --data-dir DIR or TRUSTNLU_DATA at a directory that contains ${relativePath}; ` +
        `the "synthetic" dataset needs no files`,
    );
  }
  return path;
}

/** The files in a dataset sub-directory whose names end with `extension`, sorted by name. */
export function requireDataFiles(
  dataDir: string,
  relativeDir: string,
  extension: string,
  datasetName: string,
): string[] {
  const dir = requireDataFile(dataDir, relativeDir, datasetName);
  if (!statSync(dir).isDirectory()) {
    throw new DatasetFormatError(`${dir}: expected a directory of *${extension} files for dataset "${datasetName}", found a file`);
  }
  const names = readdirSync(dir).filter((n) => n.endsWith(extension)).sort();
  if (names.length === 0) {
    throw new DatasetNotFoundError(
      `dataset "${datasetName}" needs ${relativeDir}/*${extension} files, but ${dir} has none. ` +
        `Point --data-dir DIR or TRUSTNLU_DATA at a directory that contains them`,
    );
  }
  return names.map((n) => join(dir, n));
}

interface CacheEntry {
  size: number;
  mtimeMs: number;
  value: unknown;
}
const parsedFiles = new Map<string, CacheEntry>();

/**
 * Reads `path` as UTF-8 (byte-order mark removed) and parses it with `parse`, caching the
 * result under (path, parserName) until the file's size or mtime changes. Callers must treat
 * the cached value as read-only and build fresh objects from it.
 */
export function readParsedFile<T>(path: string, parserName: string, parse: (text: string, path: string) => T): T {
  const stat = statSync(path);
  const key = `${parserName}\u0000${path}`;
  const hit = parsedFiles.get(key);
  if (hit && hit.size === stat.size && hit.mtimeMs === stat.mtimeMs) return hit.value as T;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new DatasetFormatError(`${path}: could not be read (${(err as Error).message}); check its permissions`);
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const value = parse(text, path);
  parsedFiles.set(key, { size: stat.size, mtimeMs: stat.mtimeMs, value });
  return value;
}

/** Forgets every cached parse (tests that rewrite files in place within one mtime tick use this). */
export function clearParsedFileCache(): void {
  parsedFiles.clear();
}

/** 1-based line and column of a character offset. */
export function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(offset, text.length);
  for (let i = 0; i < end; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: end - lineStart + 1 };
}

/** Parses a whole JSON document; a syntax error names the file, line and column. */
export function parseJsonText(text: string, path: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    const offset = jsonErrorOffset(text, (err as Error).message);
    const { line, column } = lineAndColumn(text, offset);
    const truncated = offset >= text.trimEnd().length;
    throw new DatasetFormatError(
      `${path}:${line}:${column}: invalid JSON (${(err as Error).message}); ` +
        (truncated
          ? 'the file ends before the JSON document is complete: it looks truncated, so copy it again from its source'
          : 'expected a valid JSON document: fix the file at that line or copy it again from its source'),
    );
  }
}

/** Parses JSON lines (one object per non-empty line); an error names the file and line. */
export function parseJsonLines(text: string, path: string): { value: unknown; line: number }[] {
  const out: { value: unknown; line: number }[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i].trim();
    if (raw === '') continue;
    try {
      out.push({ value: JSON.parse(raw), line: i + 1 });
    } catch (err) {
      const column = jsonErrorOffset(raw, (err as Error).message) + 1;
      throw new DatasetFormatError(
        `${path}:${i + 1}:${column}: invalid JSON on this line (${(err as Error).message}); ` +
          'expected one JSON object per line (JSON lines): fix that line or copy the file again from its source',
      );
    }
  }
  return out;
}

/** Lines of a text file: CRLF or LF, a final newline does not make an extra empty line. */
export function splitLines(text: string): string[] {
  const lines = text.split(/\r?\n/);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

export interface DelimitedRow {
  fields: string[];
  /** 1-based line on which the row starts (a quoted field may span several lines). */
  line: number;
}

export interface DelimitedOptions {
  /** Quote character (RFC 4180's "), or false to read quotes as text (common in TSV). */
  quote?: '"' | false;
}

interface CsvContext {
  lines: number;
}

interface CsvParseError extends Error {
  code?: string;
  lines?: number;
}

/**
 * Parses delimited text as RFC 4180 describes CSV (through csv-parse): fields may be quoted with
 * `"`, a quote inside a quoted field is doubled, and quoted fields may contain the delimiter and
 * newlines. CRLF and LF line ends are both accepted. Blank (or whitespace-only) lines are
 * skipped. Rows may differ in length (tables check that). Each row records the line it starts on.
 */
export function parseDelimited(text: string, path: string, delimiter: string, options: DelimitedOptions = {}): DelimitedRow[] {
  const rows: DelimitedRow[] = [];
  let lastEnd = 0;
  try {
    parseCsv(text, {
      delimiter,
      quote: options.quote === undefined ? '"' : options.quote === false ? null : options.quote,
      record_delimiter: ['\r\n', '\n', '\r'],
      skip_empty_lines: true,
      relax_column_count: true,
      on_record: (fields: string[], context: CsvContext) => {
        const end = context.lines;
        lastEnd = end;
        if (!(fields.length === 1 && fields[0].trim() === '')) rows.push({ fields, line: end - countNewlines(fields) });
        return null;
      },
    });
  } catch (err) {
    const e = err as CsvParseError;
    const line = firstNonBlankLineAfter(text, lastEnd);
    const sep = delimiter === '\t' ? 'a tab' : `"${delimiter}"`;
    const why =
      e.code === 'CSV_QUOTE_NOT_CLOSED'
        ? 'a quoted field starting on this line is never closed; expected a closing " (a quote inside a quoted field must be doubled as "")'
        : e.code === 'CSV_INVALID_CLOSING_QUOTE'
          ? `unexpected text after a closing quote; expected ${sep} or the end of the line (a quote inside a quoted field must be doubled as "")`
          : `${e.message.replace(/\s+/g, ' ')}; expected ${sep}-separated fields`;
    throw new DatasetFormatError(`${path}:${line}: ${why}`);
  }
  return rows;
}

function countNewlines(fields: string[]): number {
  let n = 0;
  for (const f of fields) for (let i = 0; i < f.length; i++) if (f.charCodeAt(i) === 10) n++;
  return n;
}

/** The 1-based number of the first non-blank line after line `after`. */
function firstNonBlankLineAfter(text: string, after: number): number {
  const lines = text.split('\n');
  for (let i = after; i < lines.length; i++) if (lines[i].trim() !== '') return i + 1;
  return after + 1;
}

/**
 * A delimited table with a required header: every row must have exactly the header's number
 * of fields, else the error names the file and line.
 */
export function parseDelimitedTable(
  text: string,
  path: string,
  delimiter: string,
  expectedHeader: readonly string[],
): DelimitedRow[] {
  const rows = parseDelimited(text, path, delimiter);
  const shown = expectedHeader.join(delimiter);
  if (rows.length === 0) {
    throw new DatasetFormatError(`${path}: the file is empty; expected a header line "${shown}" and rows`);
  }
  const header = rows[0].fields.map((f) => f.trim());
  if (header.length !== expectedHeader.length || header.some((h, k) => h !== expectedHeader[k])) {
    throw new DatasetFormatError(
      `${path}:${rows[0].line}: expected the header "${shown}", found "${rows[0].fields.join(delimiter)}"; ` +
        'this loader reads the upstream file format unchanged',
    );
  }
  for (const row of rows.slice(1)) {
    if (row.fields.length !== expectedHeader.length) {
      throw new DatasetFormatError(
        `${path}:${row.line}: expected ${expectedHeader.length} "${delimiter}"-separated fields (${shown}), ` +
          `found ${row.fields.length}; quote any field that contains "${delimiter}" and double quotes inside it`,
      );
    }
  }
  return rows.slice(1);
}

/**
 * The character offset of a JSON syntax error. V8 reports a position for some errors and not
 * for others ("Unexpected token ... is not valid JSON"), so a small validating scanner finds
 * the offset itself; the message's position is only a fallback.
 */
export function jsonErrorOffset(text: string, message: string): number {
  try {
    const offset = scanJson(text);
    if (offset >= 0) return offset;
  } catch {
    // Nesting deep enough to overflow the stack: fall back to the engine's position.
  }
  const m = /position (\d+)/.exec(message);
  if (m) return Number(m[1]);
  return text.length;
}

/** Returns the offset of the first JSON syntax error in text, or -1 if it is valid. */
function scanJson(text: string): number {
  let i = 0;
  const n = text.length;
  const fail = (at: number): never => {
    throw new JsonScanStop(at);
  };
  const ws = (): void => {
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 32 || c === 9 || c === 10 || c === 13) i++;
      else break;
    }
  };
  const literal = (word: string): void => {
    for (let k = 0; k < word.length; k++) {
      if (text[i + k] !== word[k]) fail(i + k);
    }
    i += word.length;
  };
  const string = (): void => {
    i++; // opening quote
    for (;;) {
      if (i >= n) fail(n);
      const c = text.charCodeAt(i);
      if (c === 34) {
        i++;
        return;
      }
      if (c < 0x20) fail(i);
      if (c === 92) {
        const e = text[i + 1];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) fail(i + 1);
          i += 6;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) i += 2;
        else fail(i + 1);
      } else i++;
    }
  };
  const numberPattern = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
  const value = (): void => {
    ws();
    if (i >= n) fail(n);
    const c = text[i];
    if (c === '{') {
      i++;
      ws();
      if (text[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail(i);
        string();
        ws();
        if (text[i] !== ':') fail(i);
        i++;
        value();
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return;
        }
        fail(i);
      }
    } else if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') {
        i++;
        return;
      }
      for (;;) {
        value();
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return;
        }
        fail(i);
      }
    } else if (c === '"') string();
    else if (c === 't') literal('true');
    else if (c === 'f') literal('false');
    else if (c === 'n') literal('null');
    else {
      numberPattern.lastIndex = i;
      const m = numberPattern.exec(text);
      if (!m || m[0].length === 0) fail(i);
      else i += m[0].length;
    }
  };
  try {
    value();
    ws();
    if (i < n) fail(i);
    return -1;
  } catch (err) {
    if (err instanceof JsonScanStop) return Math.min(err.offset, n);
    throw err;
  }
}

class JsonScanStop {
  constructor(readonly offset: number) {}
}
