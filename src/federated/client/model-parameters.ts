/**
 * Moving parameters between a model's tfjs variables and plain `ParameterSet`s, in the
 * model's `parameters()` order (the order every federated component assumes). Reads copy
 * out of tensor memory, so the returned arrays are owned by the caller (safe to transfer).
 */
import { tf } from '../../engine/index.js';
import type { NamedParameter } from '../../models/index.js';

/** Anything with trainable parameters in a stable order: a trustnlu model, or a user's tf.LayersModel as a TappedLayersModel. */
export interface WithParameters {
  parameters(): NamedParameter[];
}
import { assertMatchesLayout, type ParameterLayout, type ParameterSet } from '../aggregate/index.js';

export { viewParameters } from '../aggregate/index.js';

/** Names and lengths of the model's parameters, in order. */
export function modelLayout(model: WithParameters): ParameterLayout {
  const params = model.parameters();
  return { names: params.map((p) => p.name), lengths: params.map((p) => p.variable.size) };
}

/** A copy of the model's current parameters. */
export function readModelParameters(model: WithParameters): ParameterSet {
  const params = model.parameters();
  return {
    names: params.map((p) => p.name),
    arrays: params.map((p) => (p.variable.dataSync() as Float32Array).slice()),
  };
}

/** Overwrites the model's variables with `parameters` (same names, order and sizes required). */
export function writeModelParameters(model: WithParameters, parameters: ParameterSet): void {
  const params = model.parameters();
  assertMatchesLayout(modelLayout(model), parameters, 'parameters for the model');
  tf.tidy(() => {
    params.forEach((p, i) => p.variable.assign(tf.tensor(parameters.arrays[i], p.variable.shape, 'float32')));
  });
}

/** All tensors in order into one Float32Array; on a SharedArrayBuffer when `shared` (to broadcast to workers without copies). */
export function packParameters(parameters: ParameterSet, shared = false): Float32Array {
  const total = parameters.arrays.reduce((s, a) => s + a.length, 0);
  const out = shared ? new Float32Array(new SharedArrayBuffer(total * 4)) : new Float32Array(total);
  let offset = 0;
  for (const a of parameters.arrays) {
    out.set(a, offset);
    offset += a.length;
  }
  return out;
}
