/**
 * The shapes every loader returns. Intent datasets are labelled utterances with optional
 * grouping fields (domain, scenario, speaker) that partitioners and fairness probes use;
 * corpora are text for language models, kept as units (turns, lines) so they can be
 * partitioned by speaker.
 */
import type { DatasetSource } from './text-dataset.js';

export interface TextExample {
  text: string;
  /** Intent label. For CLINC150, out-of-scope examples carry the label "oos". */
  label: string;
  /** CLINC150 domain, HWU64/SLURP scenario: the natural federated partitions. */
  domain?: string;
  /** SNIPS: whitespace tokens and their BIO slot tags (same length). */
  tokens?: string[];
  slots?: string[];
  /** Synthetic data: the person name and its group used to fill the template (for fairness probes). */
  person?: { name: string; group: string };
  /** A user's own data: the sensitive-attribute group of the example (fairness group gaps). */
  group?: string;
  /** A user's own data: the user or device that wrote it (federated partition by user). */
  user?: string;
  /** A user's own data: when it was written, a number or milliseconds since 1970 (continual periods). */
  time?: number;
}

export type SplitName = 'train' | 'val' | 'test';

export interface IntentDataset {
  name: string;
  task: 'intent';
  /** Sorted label names; a model's class index i is labels[i]. */
  labels: string[];
  splits: Record<SplitName, TextExample[]>;
  /** True for the generated synthetic set: every report and result must say so. */
  synthetic: boolean;
  /** Label used for out-of-scope examples (CLINC150: "oos"); excluded from in-scope accuracy. */
  outOfScopeLabel?: string;
  /** How the splits were made where the source has no such split (e.g. val carved from train). */
  notes: string[];
  licence: string;
  source: string;
  /** How to load it again (recorded in checkpoints); absent for hand-built datasets. */
  origin?: DatasetSource;
}

export interface TextUnit {
  text: string;
  /** Tiny Shakespeare: the speaker of the turn (for per-speaker partitions). */
  speaker?: string;
}

export interface TextCorpus {
  name: string;
  task: 'lm';
  splits: Record<SplitName, TextUnit[]>;
  synthetic: boolean;
  notes: string[];
  licence: string;
  source: string;
  /** How to load it again (recorded in checkpoints); absent for hand-built corpora. */
  origin?: DatasetSource;
}

export type Dataset = IntentDataset | TextCorpus;

export interface DatasetInfo {
  name: string;
  task: 'intent' | 'lm';
  description: string;
  licence: string;
  /** Files (relative to the data directory) the loader reads. */
  files: string[];
}
