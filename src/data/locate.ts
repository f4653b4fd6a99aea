/**
 * Where the real datasets are: the one place that decides. Order: an explicit directory
 * (the `--data-dir` flag), then `$TRUSTNLU_DATA`, then `./data`, then `../shared/data`
 * (relative to the working directory, then to the package). Nothing is ever downloaded.
 */
import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DatasetNotFoundError } from '../errors.js';

/** The package root (two levels above dist/src/data). */
const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

function isDirectory(path: string): boolean {
  return existsSync(path) && statSync(path).isDirectory();
}

export interface DataDirCandidate {
  path: string;
  from: 'flag' | 'TRUSTNLU_DATA' | './data' | '../shared/data';
}

export function dataDirCandidates(explicit?: string): DataDirCandidate[] {
  const out: DataDirCandidate[] = [];
  if (explicit) out.push({ path: resolve(explicit), from: 'flag' });
  if (process.env.TRUSTNLU_DATA) out.push({ path: resolve(process.env.TRUSTNLU_DATA), from: 'TRUSTNLU_DATA' });
  out.push({ path: resolve('data'), from: './data' });
  out.push({ path: resolve('..', 'shared', 'data'), from: '../shared/data' });
  out.push({ path: resolve(PACKAGE_ROOT, '..', 'shared', 'data'), from: '../shared/data' });
  return out;
}

/**
 * The data directory, or undefined when none exists. An explicit directory (flag or
 * environment) that does not exist is an error, not a silent fall-through.
 */
export function resolveDataDir(explicit?: string): string | undefined {
  for (const c of dataDirCandidates(explicit)) {
    if (isDirectory(c.path)) return c.path;
    if (c.from === 'flag' || c.from === 'TRUSTNLU_DATA') {
      throw new DatasetNotFoundError(
        `data directory ${c.path} (from ${c.from === 'flag' ? '--data-dir' : '$TRUSTNLU_DATA'}) does not exist`,
      );
    }
  }
  return undefined;
}

/** Like resolveDataDir, but a missing directory is an error that says how to provide one. */
export function requireDataDir(explicit?: string, forWhat = 'this dataset'): string {
  const dir = resolveDataDir(explicit);
  if (!dir) {
    throw new DatasetNotFoundError(
      `no data directory found for ${forWhat}: pass --data-dir DIR or set TRUSTNLU_DATA ` +
        `(looked in ./data and ../shared/data); the "synthetic" dataset needs no data directory`,
    );
  }
  return dir;
}

/** The GloVe 100-d subset's vectors file (`glove-6b-100d-subset/vectors.txt`), when the data directory has it. */
export function gloveVectorsPath(explicit?: string): string | undefined {
  const dir = resolveDataDir(explicit);
  const path = dir ? join(dir, 'glove-6b-100d-subset', 'vectors.txt') : undefined;
  return path && existsSync(path) ? path : undefined;
}
