/**
 * Where the real datasets are: the one place that decides. An explicit directory (the
 * `--data-dir` flag), then `$TRUSTNLU_DATA`, and nothing else: a `./data` folder in the user's
 * project is never read unless named. Nothing is ever downloaded.
 */
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DatasetNotFoundError } from '../errors.js';

function isDirectory(path: string): boolean {
  return existsSync(path) && statSync(path).isDirectory();
}

export interface DataDirCandidate {
  path: string;
  from: 'flag' | 'TRUSTNLU_DATA';
}

export function dataDirCandidates(explicit?: string): DataDirCandidate[] {
  const out: DataDirCandidate[] = [];
  if (explicit) out.push({ path: resolve(explicit), from: 'flag' });
  if (process.env.TRUSTNLU_DATA) out.push({ path: resolve(process.env.TRUSTNLU_DATA), from: 'TRUSTNLU_DATA' });
  return out;
}

/**
 * The data directory (the flag, else $TRUSTNLU_DATA), or undefined when neither is set. A
 * named directory that does not exist is an error, not a silent fall-through.
 */
export function resolveDataDir(explicit?: string): string | undefined {
  const chosen = dataDirCandidates(explicit)[0];
  if (!chosen) return undefined;
  if (!isDirectory(chosen.path)) {
    throw new DatasetNotFoundError(
      `data directory ${chosen.path} (from ${chosen.from === 'flag' ? '--data-dir' : '$TRUSTNLU_DATA'}) does not exist; ` +
        'point it at the directory that holds the datasets',
    );
  }
  return chosen.path;
}

/** Like resolveDataDir, but a missing directory is an error that says how to provide one. */
export function requireDataDir(explicit?: string, forWhat = 'this dataset'): string {
  const dir = resolveDataDir(explicit);
  if (!dir) {
    throw new DatasetNotFoundError(
      `no data directory for ${forWhat}: pass --data-dir DIR or set TRUSTNLU_DATA=DIR; ` +
        'your own files load with --data FILE, and the "synthetic" dataset needs no data directory',
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
