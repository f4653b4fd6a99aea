/**
 * One tapped forward pass and one backward pass w.r.t. the taps (DESIGN.md §3) give every
 * layer's input a and output gradient g = ∂(Σᵢ Lᵢ)/∂z. With the SUM of per-example losses,
 * row i of g is example i's own gradient (no 1/B), so each rule (rules/) turns (a, g) into
 * per-example squared norms and clipped sums for the layer's parameters. The backward pass
 * stops at the taps: no parameter gradient is formed there, the clipped sum replaces it.
 */
import { tf, gradientsOfRegistered } from '../../engine/index.js';
import { ConfigError } from '../../errors.js';
import { TapRecorder, recordInput, type AnyModel, type ForwardContext, type TensorBatch } from '../../models/index.js';
import { perSampleRule, type PerSampleOptions, type RecordGradients } from './rules/index.js';

export interface PerSampleGradients {
  /** Σᵢ Lᵢ over the batch. */
  lossSum: tf.Scalar;
  batchSize: number;
  /** One entry per tap record (layer), in forward order. */
  records: RecordGradients[];
}

/** Parameters with their shapes, checked to be covered by exactly one tap record each. */
function checkCoverage(model: AnyModel, recorder: TapRecorder): Map<string, number[]> {
  const shapes = new Map(model.parameters().map((p) => [p.name, p.variable.shape]));
  const owner = new Map<string, string>();
  for (const record of recorder.records) {
    for (const name of [record.weight, record.bias]) {
      if (name === undefined) continue;
      if (!shapes.has(name)) throw new ConfigError(`layer "${record.layer}" taps "${name}", which is not a parameter of the ${model.kind} model`);
      const other = owner.get(name);
      if (other !== undefined) {
        // Per-example gradients of a shared parameter add up across layers, and their norms do not.
        throw new ConfigError(`parameter "${name}" is used by layers "${other}" and "${record.layer}": per-example norms need each parameter in one layer (untie the weights for DP training)`);
      }
      owner.set(name, record.layer);
    }
  }
  const missing = [...shapes.keys()].filter((n) => !owner.has(n));
  if (missing.length > 0) {
    throw new ConfigError(`the ${model.kind} model has parameters no layer taps (${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ', ...' : ''}): their per-example gradients cannot be computed`);
  }
  return shapes;
}

/**
 * A new tensor on the same data (reference-counted, no copy). tf.clone would do on cpu, but
 * wasm's Identity kernel copies the values; a same-shape reshape shares them on every backend.
 */
function sameData<T extends tf.Tensor>(t: T): T {
  return tf.reshape(t, t.shape) as T;
}

/**
 * Per-example gradient machinery for a batch: call inside tf.tidy; every tensor it makes
 * belongs to the caller's scope.
 */
export function perSampleGradients(model: AnyModel, batch: TensorBatch, ctx: ForwardContext, options: PerSampleOptions = {}): PerSampleGradients {
  const order: tf.Tensor[] = [];
  let recorder: TapRecorder | undefined;
  // The recorder keeps, then disposes, every layer input it records, and the first embedding's
  // input is the caller's ids tensor: hand the model another tensor on the same data instead.
  const forwardBatch: TensorBatch = { ...batch, ids: sameData(batch.ids) };
  const t0 = performance.now();
  try {
    const { value, grads } = gradientsOfRegistered((register) => {
      recorder = new TapRecorder((t) => {
        order.push(t);
        register(t);
      });
      return tf.sum(model.perExampleLoss(forwardBatch, { ...ctx, taps: recorder })) as tf.Scalar;
    });
    const t1 = performance.now();
    const position = new Map(order.map((t, i) => [t, i]));
    const shapes = checkCoverage(model, recorder!);
    const records = recorder!.records.map((record) => {
      const taps = record.taps.map((t) => grads[position.get(t)!]);
      const g = taps.length === 1 ? taps[0] : tf.stack(taps, 1);
      // A second tensor on the kept input's data, so the recorder can release it right away.
      const a = record.inputs.length === 1 ? sameData(record.inputs[0]) : recordInput(record);
      const recordShapes = new Map<string, number[]>();
      for (const name of [record.weight, record.bias]) if (name !== undefined) recordShapes.set(name, shapes.get(name)!);
      return perSampleRule(record.rule, record.layer)({ record, a, g, shapes: recordShapes, options });
    });
    if (options.timings) {
      const t2 = performance.now();
      options.timings.pass = (options.timings.pass ?? 0) + (t1 - t0);
      options.timings.norms = (options.timings.norms ?? 0) + (t2 - t1);
    }
    return { lossSum: value, batchSize: batch.ids.shape[0], records };
  } finally {
    recorder?.dispose();
    forwardBatch.ids.dispose();
  }
}
