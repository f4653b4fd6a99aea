/**
 * How a round's global model travels to queue workers: as the checkpoint format (engine/io's
 * model.json + weights.bin bytes, what `saveCheckpoint` writes), not as a bare vector. The
 * coordinator encodes it once per round (every job of the round shares the same bytes, which
 * the queue stores once under their SHA-256); the worker reads it with the checkpoint decoder,
 * so a damaged or mismatched model fails the job with a CheckpointError naming the weight, and
 * the values it trains from are the coordinator's, bit for bit. A user's tf.LayersModel (kind
 * 'layers') travels the same way: its trainable parameters by name, its topology and frozen
 * weights once per run in the run record.
 */
import { decodeCheckpoint, encodeCheckpoint, type CheckpointFiles } from '../../engine/index.js';
import { CheckpointError } from '../../errors.js';
import type { ParameterLayout } from '../aggregate/index.js';
import type { ModelSpec } from './federated-dataset.js';

/** The global model a job carries: a flat vector in layout order (local pool), or its checkpoint files (queue). */
export type GlobalModel = Float32Array | CheckpointFiles;

export function isCheckpointFiles(model: GlobalModel): model is CheckpointFiles {
  return !(model instanceof Float32Array) && model !== null && typeof model === 'object' && 'modelJson' in model && 'weights' in model;
}

/** The checkpoint of the model `spec` describes with the parameters `flat` (layout order). */
export function globalModelCheckpoint(spec: ModelSpec, layout: ParameterLayout, shapes: readonly number[][], flat: Float32Array): CheckpointFiles {
  let offset = 0;
  const weights = layout.names.map((name, i) => {
    const values = flat.subarray(offset, offset + layout.lengths[i]);
    offset += layout.lengths[i];
    return { name, shape: [...shapes[i]], values };
  });
  return encodeCheckpoint({
    kind: spec.kind,
    config: spec.config,
    tokenizer: spec.tokenizer ?? null,
    ...(spec.labels ? { labels: spec.labels } : {}),
    meta: {},
    weights,
  });
}

/** The flat parameter vector (layout order) of a job's model: decoded and checked against the worker's model. */
export function globalParameters(model: GlobalModel, layout: ParameterLayout, where: string): Float32Array {
  if (!isCheckpointFiles(model)) return model;
  const checkpoint = decodeCheckpoint(model, where);
  if (checkpoint.weights.length !== layout.names.length) {
    throw new CheckpointError(`${where}: the model holds ${checkpoint.weights.length} weights, this worker's model ${layout.names.length}; are coordinator and worker the same trustnlu version?`);
  }
  const flat = new Float32Array(layout.lengths.reduce((a, b) => a + b, 0));
  let offset = 0;
  checkpoint.weights.forEach((w, i) => {
    if (w.name !== layout.names[i] || w.values.length !== layout.lengths[i]) {
      throw new CheckpointError(`${where}: weight ${i} is "${w.name}" (${w.values.length} values), this worker's model has "${layout.names[i]}" (${layout.lengths[i]})`);
    }
    flat.set(w.values, offset);
    offset += w.values.length;
  });
  return flat;
}
