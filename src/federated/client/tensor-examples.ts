/**
 * A user's own examples for a user's own tf.LayersModel (runSimulation's clientFn): inputs of
 * any shape and dtype the model takes, and class targets, as plain typed arrays a worker can
 * receive once. Flower's client_fn returns a client holding tensors; here each client's
 * tensors are read once into one shared set, and a client is a range of indices into it (as
 * for every other kind of federated examples), so jobs stay plain data.
 *
 * Targets are class ids [n] (sparseCategoricalCrossentropy) or one-hot rows [n, C]
 * (categoricalCrossentropy); accuracy compares the arg-max of the output with the class.
 */
import { tf } from '../../engine/index.js';
import { ConfigError, ShapeMismatchError } from '../../errors.js';
import type { LayersBatch } from '../../models/index.js';

export interface TensorExamples {
  task: 'tensors';
  /** Inputs, row-major [count, ...inputShape]. */
  xs: Float32Array | Int32Array;
  xDtype: 'float32' | 'int32';
  /** Shape of one example's input. */
  inputShape: number[];
  /** Targets, row-major [count, ...targetShape]: class ids (targetShape []) or one-hot rows ([C]). */
  ys: Float32Array | Int32Array;
  yDtype: 'float32' | 'int32';
  targetShape: number[];
  count: number;
}

/** One client's data as the user gives it (Flower's client_fn returns the client holding it). */
export interface ClientTensors {
  /** Inputs [n, ...] as the model takes them (token ids int32, features float32). */
  xs: tf.Tensor;
  /** Class ids [n], or one-hot rows [n, C]. */
  ys: tf.Tensor;
}

function describe(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/**
 * The clients' tensors as one set, in the order given; client k holds the returned range k.
 * Every part must have the first part's per-example shapes and dtypes.
 */
export function tensorExamplesFrom(parts: { name: string; data: ClientTensors }[]): { examples: TensorExamples; ranges: Int32Array[] } {
  if (parts.length === 0) throw new ConfigError('no client data: give at least one client');
  const first = parts[0].data;
  const check = (name: string, d: ClientTensors) => {
    if (!(d && d.xs instanceof tf.Tensor && d.ys instanceof tf.Tensor)) throw new ConfigError(`client "${name}": the data must be { xs: tf.Tensor, ys: tf.Tensor } (from the same @tensorflow/tfjs as trustnlu)`);
    if (d.xs.rank < 1 || d.xs.shape[0] === 0) throw new ShapeMismatchError(`client "${name}": xs ${describe(d.xs.shape)} holds no example`);
    if (d.ys.shape[0] !== d.xs.shape[0]) throw new ShapeMismatchError(`client "${name}": xs has ${d.xs.shape[0]} examples but ys ${d.ys.shape[0]}`);
    if (d.ys.rank > 2) throw new ShapeMismatchError(`client "${name}": ys ${describe(d.ys.shape)} must be class ids [n] or one-hot rows [n, C]`);
    if (d.xs.dtype !== 'float32' && d.xs.dtype !== 'int32') throw new ConfigError(`client "${name}": xs is ${d.xs.dtype}; give float32 features or int32 ids`);
    if (d.ys.dtype !== 'float32' && d.ys.dtype !== 'int32') throw new ConfigError(`client "${name}": ys is ${d.ys.dtype}; give int32 class ids or float32 one-hot rows`);
    const same = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((v, i) => v === b[i]);
    if (!same(d.xs.shape.slice(1), first.xs.shape.slice(1)) || d.xs.dtype !== first.xs.dtype) {
      throw new ShapeMismatchError(`client "${name}": xs is ${d.xs.dtype} ${describe(d.xs.shape)}, but client "${parts[0].name}"'s is ${first.xs.dtype} ${describe(first.xs.shape)}; every client's examples must have the same shape`);
    }
    if (!same(d.ys.shape.slice(1), first.ys.shape.slice(1))) {
      throw new ShapeMismatchError(`client "${name}": ys is ${describe(d.ys.shape)}, but client "${parts[0].name}"'s is ${describe(first.ys.shape)}`);
    }
  };
  parts.forEach((p) => check(p.name, p.data));
  const count = parts.reduce((n, p) => n + p.data.xs.shape[0], 0);
  const inputShape = first.xs.shape.slice(1);
  const targetShape = first.ys.shape.slice(1);
  const inputSize = inputShape.reduce((a, b) => a * b, 1);
  const targetSize = targetShape.reduce((a, b) => a * b, 1);
  const xs = first.xs.dtype === 'int32' ? new Int32Array(count * inputSize) : new Float32Array(count * inputSize);
  const ys = first.ys.dtype === 'int32' ? new Int32Array(count * targetSize) : new Float32Array(count * targetSize);
  const ranges: Int32Array[] = [];
  let offset = 0;
  for (const { data } of parts) {
    const n = data.xs.shape[0];
    xs.set(data.xs.dataSync() as Float32Array | Int32Array, offset * inputSize);
    ys.set(data.ys.dataSync() as Float32Array | Int32Array, offset * targetSize);
    ranges.push(Int32Array.from({ length: n }, (_, j) => offset + j));
    offset += n;
  }
  return {
    examples: { task: 'tensors', xs, xDtype: first.xs.dtype as 'float32' | 'int32', inputShape, ys, yDtype: first.ys.dtype as 'float32' | 'int32', targetShape, count },
    ranges,
  };
}

/** The examples at `indices` as a LayersBatch (call inside tf.tidy: the tensors are new). */
export function layersBatchOf(examples: TensorExamples, indices: ArrayLike<number>): LayersBatch {
  const n = indices.length;
  const inputSize = examples.inputShape.reduce((a, b) => a * b, 1);
  const targetSize = examples.targetShape.reduce((a, b) => a * b, 1);
  const xs = examples.xDtype === 'int32' ? new Int32Array(n * inputSize) : new Float32Array(n * inputSize);
  const ys = examples.yDtype === 'int32' ? new Int32Array(n * targetSize) : new Float32Array(n * targetSize);
  for (let j = 0; j < n; j++) {
    const i = indices[j];
    xs.set(examples.xs.subarray(i * inputSize, (i + 1) * inputSize), j * inputSize);
    ys.set(examples.ys.subarray(i * targetSize, (i + 1) * targetSize), j * targetSize);
  }
  return {
    inputs: [tf.tensor(xs, [n, ...examples.inputShape], examples.xDtype)],
    targets: tf.tensor(ys, [n, ...examples.targetShape], examples.yDtype),
  };
}

/** Class id of each target at `indices` (the arg-max of a one-hot row). */
export function targetClasses(examples: TensorExamples, indices: ArrayLike<number>): Int32Array {
  const size = examples.targetShape.reduce((a, b) => a * b, 1);
  return Int32Array.from(indices, (i) => {
    if (size === 1) return Math.floor(examples.ys[i]);
    let best = 0;
    for (let c = 1; c < size; c++) if (examples.ys[i * size + c] > examples.ys[i * size + best]) best = c;
    return best;
  });
}
