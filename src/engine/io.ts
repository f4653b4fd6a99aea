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

function writeAtomic(path: string, data: string | Uint8Array): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

export function saveCheckpoint(dir: string, checkpoint: Checkpoint): void {
  mkdirSync(dir, { recursive: true });
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
  const bytes = new Uint8Array(buffer.buffer);
  const spec: CheckpointSpec = {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    kind: checkpoint.kind,
    config: checkpoint.config,
    tokenizer: checkpoint.tokenizer,
    labels: checkpoint.labels,
    meta: checkpoint.meta,
    weights: entries,
    weightsSha256: createHash('sha256').update(bytes).digest('hex'),
  };
  writeAtomic(join(dir, 'weights.bin'), bytes);
  writeAtomic(join(dir, 'model.json'), JSON.stringify(spec, null, 1));
}

export function loadCheckpoint(dir: string): Checkpoint {
  const specPath = join(dir, 'model.json');
  const weightsPath = join(dir, 'weights.bin');
  if (!existsSync(specPath)) {
    throw new CheckpointError(`${specPath} not found: --model must be a directory written by "trustnlu train"`);
  }
  let spec: CheckpointSpec;
  try {
    spec = JSON.parse(readFileSync(specPath, 'utf8')) as CheckpointSpec;
  } catch (e) {
    throw new CheckpointError(`${specPath} is not valid JSON (${(e as Error).message}); the checkpoint is corrupt`);
  }
  if (spec.format !== CHECKPOINT_FORMAT) {
    throw new CheckpointError(`${specPath}: "format" is ${JSON.stringify(spec.format)}, expected "${CHECKPOINT_FORMAT}"`);
  }
  if (spec.version !== CHECKPOINT_VERSION) {
    throw new CheckpointError(`${specPath}: checkpoint version ${spec.version} is not supported (this build reads ${CHECKPOINT_VERSION})`);
  }
  if (!existsSync(weightsPath)) throw new CheckpointError(`${weightsPath} not found: the checkpoint is incomplete`);
  const raw = readFileSync(weightsPath);
  const sha = createHash('sha256').update(raw).digest('hex');
  if (sha !== spec.weightsSha256) {
    throw new CheckpointError(`${weightsPath} does not match the SHA-256 recorded in model.json: the checkpoint is corrupt or was partly overwritten`);
  }
  const values = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  const weights = spec.weights.map((e) => {
    if (e.offset + e.length > values.length) {
      throw new CheckpointError(`${specPath}: weight "${e.name}" runs past the end of weights.bin`);
    }
    return { name: e.name, shape: e.shape, values: values.slice(e.offset, e.offset + e.length) };
  });
  return { kind: spec.kind, config: spec.config, tokenizer: spec.tokenizer, labels: spec.labels, meta: spec.meta ?? {}, weights };
}
