/**
 * One tapped forward pass and one backward pass w.r.t. the taps (DESIGN.md §3) give every
 * layer's input a and output gradient g = ∂(Σᵢ Lᵢ)/∂z. With the SUM of per-example losses,
 * row i of g is example i's own gradient (no 1/B), so each rule (rules/) turns (a, g) into
 * per-example squared norms and clipped sums for the layer's parameters. The backward pass
 * stops at the taps: no parameter gradient is formed there, the clipped sum replaces it.
 *
 * Any model that taps its layers works (PerExampleModel): the built-in architectures, and a
 * tf.LayersModel walked by models/layers-model. A record may see its weight through a view
 * (a Conv1D kernel as the unfolded dense matrix; column blocks of a GRU's recurrent kernel):
 * results go back to the parameter's own shape here, and column blocks of one weight are
 * merged into one per-example gradient of it, so the DP step only ever sees parameters.
 */
import { tf, gradientsOfRegistered } from '../../engine/index.js';
import { ConfigError } from '../../errors.js';
import {
  TapRecorder,
  batchExampleCount,
  recordInput,
  recordParameters,
  type ExampleBatch,
  type ForwardContext,
  type PerExampleModel,
  type TapRecord,
  type TensorBatch,
} from '../../models/index.js';
import { perSampleRule, type PerSampleOptions, type RecordGradients } from './rules/index.js';

export interface PerSampleGradients {
  /** Σᵢ Lᵢ over the batch. */
  lossSum: tf.Scalar;
  batchSize: number;
  /** One entry per tapped layer (column blocks of one weight merged), in forward order. */
  records: RecordGradients[];
}

/**
 * Parameters with their shapes, checked to be covered by exactly one tap record each (or,
 * for a weight seen in column blocks, by blocks that tile its columns).
 */
function checkCoverage(model: PerExampleModel<never>, recorder: TapRecorder): Map<string, number[]> {
  const shapes = new Map(model.parameters().map((p) => [p.name, p.variable.shape]));
  const owner = new Map<string, string>();
  const blocks = new Map<string, [number, number][]>();
  for (const record of recorder.records) {
    for (const name of recordParameters(record)) {
      if (!shapes.has(name)) throw new ConfigError(`layer "${record.layer}" taps "${name}", which is not a parameter of the ${model.kind} model`);
      const other = owner.get(name);
      if (name === record.weight && record.weightView?.columns && (other === undefined || (other === record.layer && blocks.has(name)))) {
        blocks.set(name, [...(blocks.get(name) ?? []), record.weightView.columns]);
        owner.set(name, record.layer);
        continue;
      }
      if (other !== undefined) {
        // Per-example gradients of a shared parameter add up across layers, and their norms do not.
        throw new ConfigError(`parameter "${name}" is used by layers "${other}" and "${record.layer}": per-example norms need each parameter in one layer (untie the weights for DP training)`);
      }
      owner.set(name, record.layer);
    }
  }
  for (const [name, list] of blocks) {
    const shape = shapes.get(name)!;
    const sorted = [...list].sort((x, y) => x[0] - y[0]);
    let next = 0;
    for (const [start, end] of sorted) {
      if (start !== next) break;
      next = end;
    }
    if (next !== shape[shape.length - 1]) {
      throw new ConfigError(`the column blocks [${sorted.map((b) => b.join('..')).join(', ')}) recorded for "${name}" do not tile its ${shape[shape.length - 1]} columns`);
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

/** The shape each record's rule sees its weight as (a view, or the parameter's own shape). */
function ruleShape(record: TapRecord, shape: number[]): number[] {
  const view = record.weightView;
  if (!view) return shape;
  const size = shape.reduce((p, n) => p * n, 1);
  if (view.shape[0] * view.shape[1] !== size) {
    throw new ConfigError(`layer "${record.layer}": view [${view.shape}] of "${record.weight}" does not hold its [${shape}] values`);
  }
  const [start, end] = view.columns ?? [0, view.shape[1]];
  return [view.shape[0], end - start];
}

/** A record's gradients with its weight's results reshaped from the view to the parameter's shape. */
function toParameterShape(result: RecordGradients, record: TapRecord, shape: number[]): RecordGradients {
  if (!record.weightView || record.weightView.columns) return result;
  return {
    ...result,
    clippedSum(c) {
      const sums = result.clippedSum(c);
      sums.set(record.weight, tf.reshape(sums.get(record.weight)!, shape));
      return sums;
    },
  };
}

/** One per-example gradient of a weight recorded in column blocks (and of the blocks' other parameters). */
function mergeColumnBlocks(weight: string, parts: { record: TapRecord; result: RecordGradients }[], shape: number[]): RecordGradients {
  const ordered = [...parts].sort((x, y) => x.record.weightView!.columns![0] - y.record.weightView!.columns![0]);
  const view = ordered[0].record.weightView!;
  const parameters = [weight, ...new Set(ordered.flatMap((p) => p.result.parameters.filter((n) => n !== weight)))];
  const squaredNorms = new Map<string, tf.Tensor1D>();
  for (const { result } of ordered) {
    for (const [name, norms] of result.squaredNorms) {
      const previous = squaredNorms.get(name);
      squaredNorms.set(name, previous ? (tf.add(previous, norms) as tf.Tensor1D) : norms);
    }
  }
  return {
    layer: ordered[0].record.layer,
    rule: ordered[0].result.rule,
    path: ordered.map((p) => p.result.path).join('+'),
    parameters,
    squaredNorms,
    clippedSum(c) {
      const out = new Map<string, tf.Tensor>();
      const columns: tf.Tensor[] = [];
      for (const { result } of ordered) {
        for (const [name, sum] of result.clippedSum(c)) {
          if (name === weight) columns.push(tf.reshape(sum, [view.shape[0], -1]));
          else out.set(name, out.has(name) ? tf.add(out.get(name)!, sum) : sum);
        }
      }
      out.set(weight, tf.reshape(tf.concat(columns, 1), shape));
      return out;
    },
  };
}

/**
 * Per-example gradient machinery for a batch: call inside tf.tidy; every tensor it makes
 * belongs to the caller's scope.
 */
export function perSampleGradients<Batch extends ExampleBatch<Batch> = TensorBatch>(
  model: PerExampleModel<Batch>,
  batch: Batch,
  ctx: ForwardContext,
  options: PerSampleOptions = {},
): PerSampleGradients {
  const order: tf.Tensor[] = [];
  let recorder: TapRecorder | undefined;
  const t0 = performance.now();
  try {
    const { value, grads } = gradientsOfRegistered((register) => {
      recorder = new TapRecorder((t) => {
        order.push(t);
        register(t);
      });
      return tf.sum(model.perExampleLoss(batch, { ...ctx, taps: recorder })) as tf.Scalar;
    });
    const t1 = performance.now();
    const position = new Map(order.map((t, i) => [t, i]));
    const shapes = checkCoverage(model as PerExampleModel<never>, recorder!);
    const blocks = new Map<string, { record: TapRecord; result: RecordGradients }[]>();
    const records: (RecordGradients | string)[] = [];
    for (const record of recorder!.records) {
      const taps = record.taps.map((t) => grads[position.get(t)!]);
      const g = taps.length === 1 ? taps[0] : tf.stack(taps, 1);
      // A second tensor on the kept input's data, so the recorder can release it right away.
      const a = record.inputs.length === 1 ? sameData(record.inputs[0]) : recordInput(record);
      const recordShapes = new Map<string, number[]>();
      for (const name of recordParameters(record)) recordShapes.set(name, name === record.weight ? ruleShape(record, shapes.get(name)!) : shapes.get(name)!);
      const result = toParameterShape(perSampleRule(record.rule, record.layer)({ record, a, g, shapes: recordShapes, options }), record, shapes.get(record.weight)!);
      if (record.weightView?.columns) {
        const list = blocks.get(record.weight);
        if (list) list.push({ record, result });
        else {
          blocks.set(record.weight, [{ record, result }]);
          records.push(record.weight); // merged in place of its first block
        }
      } else records.push(result);
    }
    const merged = records.map((r) => (typeof r === 'string' ? mergeColumnBlocks(r, blocks.get(r)!, shapes.get(r)!) : r));
    if (options.timings) {
      const t2 = performance.now();
      options.timings.pass = (options.timings.pass ?? 0) + (t1 - t0);
      options.timings.norms = (options.timings.norms ?? 0) + (t2 - t1);
    }
    return { lossSum: value, batchSize: batchExampleCount(batch), records: merged };
  } finally {
    recorder?.dispose();
  }
}
