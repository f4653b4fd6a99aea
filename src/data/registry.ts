/**
 * The dataset registry: every dataset by name, how to load it and whether its files are present.
 * Loading resolves the data directory once (see locate.ts); the synthetic sets need none.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, DatasetFormatError, DatasetNotFoundError } from '../errors.js';
import { requireDataDir, resolveDataDir } from './locate.js';
import type { Dataset, DatasetInfo, IntentDataset, SplitName, TextCorpus } from './types.js';
import { loadTextCorpus, loadTextDataset, type DatasetSource } from './text-dataset.js';
import { BANKING77_INFO, loadBanking77 } from './datasets/banking77.js';
import { clinc150Info, loadClinc150 } from './datasets/clinc150.js';
import { HWU64_INFO, loadHwu64 } from './datasets/hwu64.js';
import { TINY_SHAKESPEARE_INFO, loadTinyShakespeare } from './datasets/shakespeare.js';
import { SLURP_INFO, SLURP_LM_INFO, loadSlurp, loadSlurpLm } from './datasets/slurp.js';
import { SNIPS_INFO, loadSnips } from './datasets/snips.js';
import {
  SYNTHETIC_INFO,
  SYNTHETIC_LM_INFO,
  generateSyntheticCorpus,
  generateSyntheticDataset,
} from './datasets/synthetic.js';

export interface LoadDatasetOptions {
  /** Data directory (the `--data-dir` flag); otherwise resolved as locate.ts describes. */
  dataDir?: string;
  /** Seed for derived splits (val carved from train) and for the synthetic sets; default 0. */
  seed?: number;
}

interface RegistryEntry {
  info: DatasetInfo;
  synthetic: boolean;
  load: (dataDir: string | undefined, seed: number) => Dataset;
}

/** Real datasets get their directory from the registry; a loader never resolves it itself. */
const real = (info: DatasetInfo, load: (dataDir: string, seed: number) => Dataset): RegistryEntry => ({
  info,
  synthetic: false,
  load: (dataDir, seed) => load(requireDataDir(dataDir, `dataset "${info.name}"`), seed),
});

const ENTRIES: RegistryEntry[] = [
  real(clinc150Info('full'), (dir) => loadClinc150(dir, 'full')),
  real(clinc150Info('small'), (dir) => loadClinc150(dir, 'small')),
  real(clinc150Info('imbalanced'), (dir) => loadClinc150(dir, 'imbalanced')),
  real(BANKING77_INFO, loadBanking77),
  real(SNIPS_INFO, (dir) => loadSnips(dir)),
  real(HWU64_INFO, loadHwu64),
  real(SLURP_INFO, loadSlurp),
  real(TINY_SHAKESPEARE_INFO, (dir) => loadTinyShakespeare(dir)),
  real(SLURP_LM_INFO, (dir) => loadSlurpLm(dir)),
  { info: SYNTHETIC_INFO, synthetic: true, load: (_dir, seed) => generateSyntheticDataset(seed) },
  { info: SYNTHETIC_LM_INFO, synthetic: true, load: (_dir, seed) => generateSyntheticCorpus(seed) },
];

/** Every dataset the toolkit knows, with its description, licence and files. */
export const DATASETS: DatasetInfo[] = ENTRIES.map((e) => e.info);

function entryFor(name: string): RegistryEntry {
  const entry = ENTRIES.find((e) => e.info.name === name);
  if (!entry) {
    throw new DatasetNotFoundError(
      `unknown dataset "${name}"; valid names: ${ENTRIES.map((e) => e.info.name).join(', ')}`,
    );
  }
  return entry;
}

function seedOf(options: LoadDatasetOptions | undefined): number {
  const seed = options?.seed ?? 0;
  if (!Number.isFinite(seed)) throw new ConfigError(`dataset seed must be a finite number, got ${seed}`);
  return seed;
}

/** Loads a registry entry and records where it came from, so checkpoints can name it. */
function loadEntry(entry: RegistryEntry, options: LoadDatasetOptions | undefined): Dataset {
  const data = entry.load(options?.dataDir, seedOf(options));
  data.origin = { kind: 'registry', name: entry.info.name };
  return data;
}

export function loadDataset(name: string, options?: LoadDatasetOptions): Dataset {
  return loadEntry(entryFor(name), options);
}

/**
 * Loads a dataset from where a checkpoint or the CLI says it is: a registry name or the user's
 * files. `task` picks intent dataset or corpus for files (a registry name knows its own task).
 */
export function loadDatasetSource(source: DatasetSource, options: LoadDatasetOptions & { task: 'intent' }): IntentDataset;
export function loadDatasetSource(source: DatasetSource, options: LoadDatasetOptions & { task: 'lm' }): TextCorpus;
export function loadDatasetSource(source: DatasetSource, options: LoadDatasetOptions & { task: 'intent' | 'lm' }): Dataset;
export function loadDatasetSource(source: DatasetSource, options: LoadDatasetOptions & { task: 'intent' | 'lm' }): Dataset {
  if (source.kind === 'registry') {
    return options.task === 'intent' ? loadIntentDataset(source.name, options) : loadCorpus(source.name, options);
  }
  const fileOptions = { ...source.options, seed: seedOf(options) };
  return options.task === 'intent' ? loadTextDataset(source.files, fileOptions) : loadTextCorpus(source.files, fileOptions);
}

/** Loads an intent dataset; asking for a language-model corpus here is an error. */
export function loadIntentDataset(name: string, options?: LoadDatasetOptions): IntentDataset {
  const entry = entryFor(name);
  if (entry.info.task !== 'intent') {
    throw new DatasetNotFoundError(
      `"${name}" is a language-model corpus, not an intent dataset; intent datasets: ${namesOf('intent').join(', ')}`,
    );
  }
  return loadEntry(entry, options) as IntentDataset;
}

/** Loads a language-model corpus; asking for an intent dataset here is an error. */
export function loadCorpus(name: string, options?: LoadDatasetOptions): TextCorpus {
  const entry = entryFor(name);
  if (entry.info.task !== 'lm') {
    throw new DatasetNotFoundError(
      `"${name}" is an intent dataset, not a language-model corpus; corpora: ${namesOf('lm').join(', ')}`,
    );
  }
  return loadEntry(entry, options) as TextCorpus;
}

function namesOf(task: 'intent' | 'lm'): string[] {
  return ENTRIES.filter((e) => e.info.task === task).map((e) => e.info.name);
}

/** True when every file the dataset reads exists under dataDir ("dir/*.csv" needs at least one match). */
function filesPresent(info: DatasetInfo, dataDir: string): boolean {
  return info.files.every((file) => {
    const star = file.indexOf('*');
    if (star < 0) return existsSync(join(dataDir, file));
    const dir = join(dataDir, file.slice(0, file.lastIndexOf('/', star)));
    const suffix = file.slice(star + 1);
    return existsSync(dir) && statSync(dir).isDirectory() && readdirSync(dir).some((n) => n.endsWith(suffix));
  });
}

/** "clinc150" when its files are in the data directory, else "synthetic". */
export function defaultDatasetName(dataDir?: string): string {
  const dir = resolveDataDir(dataDir);
  return dir && filesPresent(clinc150Info('full'), dir) ? 'clinc150' : 'synthetic';
}

export interface DatasetListing {
  name: string;
  task: 'intent' | 'lm';
  /** True when the files are present (always true for the synthetic sets). */
  found: boolean;
  synthetic: boolean;
  /** Split sizes; 0 when the dataset was not found or could not be read. */
  splits: Record<SplitName, number>;
  /** Number of labels for intent sets; 0 for corpora. */
  labels: number;
  licence: string;
  description: string;
  /** Set when the files are present but could not be read: the loader's message. */
  error?: string;
}

/**
 * Every dataset with whether it is available and its split sizes (loading each one that is
 * found, so a damaged file shows up here as `error` instead of failing later).
 */
export function listDatasets(dataDir?: string): DatasetListing[] {
  const dir = resolveDataDir(dataDir);
  return ENTRIES.map((entry) => {
    const { info } = entry;
    const listing: DatasetListing = {
      name: info.name,
      task: info.task,
      found: entry.synthetic || (dir !== undefined && filesPresent(info, dir)),
      synthetic: entry.synthetic,
      splits: { train: 0, val: 0, test: 0 },
      labels: 0,
      licence: info.licence,
      description: info.description,
    };
    if (!listing.found) return listing;
    try {
      const data = entry.load(dir, 0);
      listing.splits = { train: data.splits.train.length, val: data.splits.val.length, test: data.splits.test.length };
      listing.labels = data.task === 'intent' ? data.labels.length : 0;
    } catch (err) {
      if (!(err instanceof DatasetFormatError || err instanceof DatasetNotFoundError)) throw err;
      listing.error = err.message;
    }
    return listing;
  });
}
