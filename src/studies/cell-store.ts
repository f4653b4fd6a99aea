/**
 * A study's finished cells on disk: `CACHE/cells/<key>.json` (runStudy: OUT/.cache/cells/), one file per cell, written the
 * moment the cell finishes (to a temporary file, then renamed, so a killed run leaves either
 * the whole file or none). A rerun reads them back instead of running those cells again. A file
 * whose content does not match the cell it is named after (another study, other parameters,
 * a hand edit, garbage) is ignored and the cell runs again.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { writeAtomic } from '../engine/index.js';
import { join } from 'node:path';
import { canonicalJson, CELL_KEY_PATTERN, type StudyCell } from './cells.js';
import type { StudyRow } from './runner.js';

export interface SavedCell {
  study: string;
  key: string;
  name: string;
  params: unknown;
  rows: StudyRow[];
  /** Seconds the cell took where it ran. */
  seconds: number;
}

export class CellStore {
  readonly dir: string;

  constructor(cacheDir: string, private readonly study: string) {
    this.dir = join(cacheDir, 'cells');
  }

  path(key: string): string {
    if (!CELL_KEY_PATTERN.test(key)) throw new Error(`not a cell key: ${key}`);
    return join(this.dir, `${key}.json`);
  }

  /** The saved rows of `cell`, or why they cannot be used ('missing' when there is no file). */
  read(cell: StudyCell): { rows: StudyRow[] } | { problem: string } {
    const path = this.path(cell.key);
    if (!existsSync(path)) return { problem: 'missing' };
    let saved: SavedCell;
    try {
      saved = JSON.parse(readFileSync(path, 'utf8')) as SavedCell;
    } catch (error) {
      return { problem: `${path} is not JSON (${(error as Error).message})` };
    }
    if (saved?.study !== this.study || saved.key !== cell.key) return { problem: `${path} belongs to another study or cell` };
    if (!Array.isArray(saved.rows) || !saved.rows.every(isRow)) return { problem: `${path} has no rows array of flat objects` };
    if (canonicalJson(saved.params ?? null) !== canonicalJson(cell.params)) return { problem: `${path} was written for other parameters` };
    return { rows: saved.rows };
  }

  write(cell: StudyCell, rows: StudyRow[], seconds: number): void {
    mkdirSync(this.dir, { recursive: true });
    const path = this.path(cell.key);
    const record: SavedCell = { study: this.study, key: cell.key, name: cell.name, params: cell.params, rows, seconds };
    writeAtomic(path, JSON.stringify(record, null, 1));
  }

  /** Deletes the saved file of `cell`, if any (a fresh run: a later resume must not mix old and new cells). */
  forget(cell: StudyCell): void {
    rmSync(this.path(cell.key), { force: true });
  }

  /** Keys of saved cells that are not among `keys` (from an earlier plan: never read). */
  strangers(keys: ReadonlySet<string>): string[] {
    if (!existsSync(this.dir)) return [];
    return readdirSync(this.dir)
      .filter((f) => f.endsWith('.json'))
      .map((f) => f.slice(0, -'.json'.length))
      .filter((key) => !keys.has(key));
  }
}

function isRow(value: unknown): value is StudyRow {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  return Object.values(value).every((v) => v === null || ['string', 'number', 'boolean'].includes(typeof v));
}
