/**
 * The one checkpoint format: a directory holding `model.json` (everything needed to
 * rebuild the model: kind, config, tokenizer, labels, metadata, and a manifest of the
 * weights) and `weights.bin` (the raw little-endian float32 values, in manifest order).
 * Writes are atomic (temporary files, then rename; model.json last, carrying the
 * SHA-256 of weights.bin), so a crash never leaves a checkpoint that loads wrongly.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { CheckpointError } from '../errors.js';

export const CHECKPOINT_FORMAT = 'trustnlu-checkpoint';
export const CHECKPOINT_VERSION = 1;

export interface NamedWeight {
  name: string;
  shape: number[];
  values: Float32Array;
}

export interface WeightEntry {
  name: string;
  shape: number[];
  dtype: 'float32';
  offset: number;
  length: number;
}

export interface CheckpointSpec {
  format: typeof CHECKPOINT_FORMAT;
  version: number;
  /** Model architecture name, e.g. "embbag". */
  kind: string;
  config: unknown;
  tokenizer: unknown;
  labels?: string[];
  meta: Record<string, unknown>;
  weights: WeightEntry[];
  weightsSha256: string;
}

export interface Checkpoint {
  kind: string;
  config: unknown;
  tokenizer: unknown;
  labels?: string[];
  meta: Record<string, unknown>;
  weights: NamedWeight[];
}

/** Writes a file whole or not at all (a temporary file renamed over it): a killed process never leaves half a file. */
export function writeAtomic(path: string, data: string | Uint8Array): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

/**
 * A checkpoint's two files as bytes: what saveCheckpoint writes and loadCheckpoint reads, and
 * what travels over the job queue (docs/scale-out.md), so a model moves in one format everywhere.
 */
export interface CheckpointFiles {
  /** model.json (UTF-8 JSON: kind, config, tokenizer, labels, meta, weight manifest, weights' SHA-256). */
  modelJson: Uint8Array;
  /** weights.bin (little-endian float32, in manifest order). */
  weights: Uint8Array;
}

/** The bytes of `checkpoint`'s model.json and weights.bin. */
export function encodeCheckpoint(checkpoint: Checkpoint): CheckpointFiles {
  const total = checkpoint.weights.reduce((n, w) => n + w.values.length, 0);
  const buffer = new Float32Array(total);
  const entries: WeightEntry[] = [];
  let offset = 0;
  for (const w of checkpoint.weights) {
    const size = w.shape.reduce((a, b) => a * b, 1);
    if (size !== w.values.length) {
      throw new CheckpointError(`weight "${w.name}": shape [${w.shape}] holds ${size} values, got ${w.values.length}`);
    }
    buffer.set(w.values, offset);
    entries.push({ name: w.name, shape: w.shape, dtype: 'float32', offset, length: size });
    offset += size;
  }
  const weights = new Uint8Array(buffer.buffer);
  const spec: CheckpointSpec = {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    kind: checkpoint.kind,
    config: checkpoint.config,
    tokenizer: checkpoint.tokenizer,
    labels: checkpoint.labels,
    meta: checkpoint.meta,
    weights: entries,
    weightsSha256: createHash('sha256').update(weights).digest('hex'),
  };
  return { modelJson: new TextEncoder().encode(JSON.stringify(spec, null, 1)), weights };
}

export function saveCheckpoint(dir: string, checkpoint: Checkpoint): void {
  const files = encodeCheckpoint(checkpoint);
  mkdirSync(dir, { recursive: true });
  writeAtomic(join(dir, 'weights.bin'), files.weights);
  writeAtomic(join(dir, 'model.json'), files.modelJson);
}

/**
 * A checkpoint from its files' bytes, checked as loadCheckpoint checks files: format, version,
 * the weights' SHA-256, the manifest. `where` names the source in errors (a path, "job 12").
 */
export function decodeCheckpoint(files: CheckpointFiles, where: string): Checkpoint {
  const specPath = join(where, 'model.json');
  const weightsPath = join(where, 'weights.bin');
  let spec: CheckpointSpec;
  try {
    spec = JSON.parse(new TextDecoder().decode(files.modelJson)) as CheckpointSpec;
  } catch (e) {
    throw new CheckpointError(`${specPath} is not valid JSON (${(e as Error).message}); the checkpoint is corrupt`);
  }
  if (spec === null || typeof spec !== 'object') throw new CheckpointError(`${specPath} is not a JSON object; the checkpoint is corrupt`);
  if (spec.format !== CHECKPOINT_FORMAT) {
    throw new CheckpointError(`${specPath}: "format" is ${JSON.stringify(spec.format)}, expected "${CHECKPOINT_FORMAT}"`);
  }
  if (spec.version !== CHECKPOINT_VERSION) {
    throw new CheckpointError(`${specPath}: checkpoint version ${spec.version} is not supported (this build reads ${CHECKPOINT_VERSION})`);
  }
  const sha = createHash('sha256').update(files.weights).digest('hex');
  if (sha !== spec.weightsSha256) {
    throw new CheckpointError(`${weightsPath} does not match the SHA-256 recorded in model.json: the checkpoint is corrupt or was partly overwritten`);
  }
  if (files.weights.byteLength % 4 !== 0) throw new CheckpointError(`${weightsPath} holds ${files.weights.byteLength} bytes, not a whole number of float32 values`);
  // an own, aligned copy (the bytes may sit at any offset of a larger buffer)
  const values = new Float32Array(files.weights.byteLength / 4);
  new Uint8Array(values.buffer).set(files.weights);
  if (!Array.isArray(spec.weights)) throw new CheckpointError(`${specPath}: "weights" must be the weight manifest (an array)`);
  const weights = spec.weights.map((e) => {
    const size = Array.isArray(e?.shape) ? e.shape.reduce((a, b) => a * b, 1) : NaN;
    if (!Number.isInteger(e?.offset) || !Number.isInteger(e?.length) || e.offset < 0 || e.length !== size) {
      throw new CheckpointError(`${specPath}: weight "${String(e?.name)}" has an inconsistent manifest entry (offset ${e?.offset}, length ${e?.length}, shape [${e?.shape}])`);
    }
    if (e.offset + e.length > values.length) {
      throw new CheckpointError(`${specPath}: weight "${e.name}" runs past the end of weights.bin`);
    }
    return { name: e.name, shape: e.shape, values: values.slice(e.offset, e.offset + e.length) };
  });
  return { kind: spec.kind, config: spec.config, tokenizer: spec.tokenizer, labels: spec.labels, meta: spec.meta ?? {}, weights };
}

export function loadCheckpoint(dir: string): Checkpoint {
  const specPath = join(dir, 'model.json');
  const weightsPath = join(dir, 'weights.bin');
  if (!existsSync(specPath)) {
    throw new CheckpointError(`${specPath} not found: --model must be a directory written by "trustnlu train"`);
  }
  if (!existsSync(weightsPath)) {
    // the spec first: a file that is not a checkpoint at all is named as such
    decodeSpecOnly(readFileSync(specPath), specPath);
    throw new CheckpointError(`${weightsPath} not found: the checkpoint is incomplete`);
  }
  return decodeCheckpoint({ modelJson: readFileSync(specPath), weights: readFileSync(weightsPath) }, dir);
}

function decodeSpecOnly(bytes: Uint8Array, specPath: string): void {
  let spec: CheckpointSpec;
  try {
    spec = JSON.parse(new TextDecoder().decode(bytes)) as CheckpointSpec;
  } catch (e) {
    throw new CheckpointError(`${specPath} is not valid JSON (${(e as Error).message}); the checkpoint is corrupt`);
  }
  if (spec?.format !== CHECKPOINT_FORMAT) {
    throw new CheckpointError(`${specPath}: "format" is ${JSON.stringify(spec?.format)}, expected "${CHECKPOINT_FORMAT}"`);
  }
  if (spec.version !== CHECKPOINT_VERSION) {
    throw new CheckpointError(`${specPath}: checkpoint version ${spec.version} is not supported (this build reads ${CHECKPOINT_VERSION})`);
  }
}
