/**
 * How the architecture of a membership experiment's models travels to queue workers: as the
 * checkpoint format (engine/io's model.json + weights.bin bytes), like every model that leaves
 * the process. model.json holds the kind, its configuration, the tokenizer and the labels
 * (and, for a user's tf.LayersModel, its topology and longest input in `meta`); weights.bin
 * holds the initial embedding table when the target started from one (e.g. GloVe rows). The
 * shadows themselves start from fresh weights drawn from each job's seed, so no trained
 * weights travel. The worker decodes it with the checkpoint decoder (format, version, SHA-256).
 */
import { decodeCheckpoint, encodeCheckpoint, type CheckpointFiles } from '../../engine/index.js';
import { CheckpointError } from '../../errors.js';
import type { TokenizerJSON } from '../../text/index.js';
import type { ClassifierSpec } from './shadow-training.js';

const INITIAL_EMBEDDINGS = 'initialEmbeddings';

export function classifierSpecCheckpoint(spec: ClassifierSpec): CheckpointFiles {
  const meta: Record<string, unknown> = {};
  if (spec.topology !== undefined) meta.topology = spec.topology;
  if (spec.maxLength !== undefined) meta.maxLength = spec.maxLength;
  const weights = spec.initialEmbeddings ? [{ name: INITIAL_EMBEDDINGS, shape: [spec.initialEmbeddings.length], values: spec.initialEmbeddings }] : [];
  return encodeCheckpoint({ kind: spec.kind, config: spec.config, tokenizer: spec.tokenizer, labels: spec.labels, meta, weights });
}

export function classifierSpecFromCheckpoint(files: CheckpointFiles, where: string): ClassifierSpec {
  const checkpoint = decodeCheckpoint(files, where);
  if (!Array.isArray(checkpoint.labels) || checkpoint.tokenizer === null || typeof checkpoint.tokenizer !== 'object') {
    throw new CheckpointError(`${where}: a classifier's checkpoint needs its labels and tokenizer`);
  }
  const embeddings = checkpoint.weights.find((w) => w.name === INITIAL_EMBEDDINGS);
  const unknown = checkpoint.weights.find((w) => w.name !== INITIAL_EMBEDDINGS);
  if (unknown) throw new CheckpointError(`${where}: unexpected weight "${unknown.name}" in a shadow model's specification`);
  const meta = checkpoint.meta;
  return {
    kind: checkpoint.kind,
    config: (checkpoint.config ?? {}) as Record<string, unknown>,
    tokenizer: checkpoint.tokenizer as TokenizerJSON,
    labels: checkpoint.labels,
    ...(embeddings ? { initialEmbeddings: embeddings.values } : {}),
    ...(meta.topology !== undefined ? { topology: meta.topology as object } : {}),
    ...(typeof meta.maxLength === 'number' ? { maxLength: meta.maxLength } : {}),
  };
}
