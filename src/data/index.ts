/**
 * Datasets: the user's own files (loadTextDataset, loadTextCorpus: CSV, TSV, JSON lines, JSON
 * with named columns), the registry of named datasets (load any by name, list what is
 * available), the shapes every loader returns, and the one place that resolves the data
 * directory (--data-dir, then $TRUSTNLU_DATA). Real data is read from local files only; the
 * "synthetic" and "synthetic-lm" sets are generated and need no files.
 */
export type { Dataset, DatasetInfo, IntentDataset, SplitName, TextCorpus, TextExample, TextUnit } from './types.js';
export { dataDirCandidates, requireDataDir, resolveDataDir, type DataDirCandidate } from './locate.js';
export {
  DATASETS,
  defaultDatasetName,
  listDatasets,
  loadCorpus,
  loadDataset,
  loadIntentDataset,
  loadDatasetSource,
  type DatasetListing,
  type LoadDatasetOptions,
} from './registry.js';
export {
  loadTextCorpus,
  loadTextDataset,
  type DatasetSource,
  type LoadTextDatasetOptions,
  type TextColumns,
  type TextDatasetFiles,
} from './text-dataset.js';
export { readTable, writeTable, TABLE_FORMATS, type Table, type TableFormat, type TableRow } from './table.js';
export { CLINC150_OOS_LABEL } from './datasets/clinc150.js';
export { parseShakespeareTurns, type ShakespeareTurn } from './datasets/shakespeare.js';
export { contiguousSplit, stratifiedHoldOut, type StratifiedSplit } from './datasets/stratified-split.js';
export { PERSON_NAME_GROUPS, SYNTHETIC_INTENTS } from './datasets/synthetic.js';
export { generateSyntheticSlotDataset } from './datasets/synthetic-slots.js';
