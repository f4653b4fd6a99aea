/**
 * Forward passes of tfjs's built-in layers with parameters, written against TapOps so that
 * each parameter product is a tap for privacy/dpsgd's rules (DESIGN.md §8): they compute
 * exactly what the layer's own `call` computes (tests compare both), with the layer's own
 * variables, so training updates the user's model in place.
 *
 *  - Dense (inputs of any rank ≥ 2): one dense record.
 *  - Embedding: one embedding record (ids cast to int32, as the layer does).
 *  - Conv1D ('valid' or 'same', strides, dilation): the input unfolded into windows
 *    [B, T', k·in] and the kernel [k, in, out] seen as the dense [k·in, out].
 *  - LSTM: the input product x·W + b over all steps is one dense record; the recurrent
 *    products h_{t−1}·U, one per step, another (their sum is the gates' pre-activation).
 *  - GRU (tfjs's, reset-before): x·W + b one record; h_{t−1}·U[:, :2H] (update and reset
 *    gates) and (r⊙h_{t−1})·U[:, 2H:] (candidate) are column blocks of the recurrent kernel,
 *    merged into its one per-example gradient.
 *  - LayerNormalization over the last axis with a scale: x̂ computed here, γ⊙x̂ + β tapped.
 *  - BatchNormalization: refused (it mixes examples).
 * Anything else with trainable weights goes to the generic per-example loop (graph.ts).
 */
import { tf } from '../../engine/index.js';
import { ConfigError } from '../../errors.js';
import type { TapOps } from '../../layers/tap-ops.js';

/** What a forward is given besides its layer and inputs. */
export interface ForwardEnv {
  ops: TapOps;
  training: boolean;
  /** The model's output layer may hand back pre-softmax scores instead of probabilities. */
  logits: boolean;
  /** A per-example (tapped) pass: layers that mix examples refuse to run. */
  tapping: boolean;
}

/** Returns the layer's output tensors, or `undefined` to leave the layer to the generic path. */
export type LayerForward = (layer: tf.layers.Layer, inputs: tf.Tensor[], kwargs: Record<string, unknown>, env: ForwardEnv) => tf.Tensor[] | undefined;

interface Activation {
  apply(x: tf.Tensor): tf.Tensor;
  getClassName(): string;
}

interface DenseLike extends tf.layers.Layer {
  kernel: tf.LayerVariable;
  bias: tf.LayerVariable | null;
  useBias: boolean;
  activation: Activation;
}

interface EmbeddingLike extends tf.layers.Layer {
  embeddings: tf.LayerVariable;
}

interface ConvLike extends DenseLike {
  rank: number;
  kernelSize: number[];
  strides: number[];
  padding: string;
  dilationRate: number | number[];
  dataFormat: string;
}

interface RecurrentCell {
  getClassName(): string;
  units: number;
  kernel: tf.LayerVariable;
  recurrentKernel: tf.LayerVariable;
  bias: tf.LayerVariable | null;
  useBias: boolean;
  activation: Activation;
  recurrentActivation: Activation;
  dropout: number;
  recurrentDropout: number;
}

interface RecurrentLike extends tf.layers.Layer {
  cell: RecurrentCell;
  returnSequences: boolean;
  returnState: boolean;
  goBackwards: boolean;
  stateful: boolean;
}

interface LayerNormLike extends tf.layers.Layer {
  axis: number | number[];
  epsilon: number;
  center: boolean;
  scale: boolean;
  gamma: tf.LayerVariable | null;
  beta: tf.LayerVariable | null;
}

function one(layer: tf.layers.Layer, inputs: tf.Tensor[]): tf.Tensor {
  if (inputs.length !== 1) throw new ConfigError(`layer "${layer.name}" (${layer.getClassName()}) takes one input, got ${inputs.length}`);
  return inputs[0];
}

/** The activation, or none when the layer is the output and its softmax is folded into the loss. */
function activate(layer: DenseLike, z: tf.Tensor, env: ForwardEnv): tf.Tensor {
  if (env.logits && layer.activation.getClassName() === 'softmax') return z;
  return layer.activation.apply(z);
}

const dense: LayerForward = (layer, inputs, _kwargs, env) => {
  const d = layer as DenseLike;
  return [activate(d, env.ops.dense(d.name, one(layer, inputs), d.kernel, d.useBias ? d.bias : null), env)];
};

const embedding: LayerForward = (layer, inputs, _kwargs, env) => {
  const e = layer as EmbeddingLike;
  const ids = one(layer, inputs);
  return [env.ops.embedding(e.name, ids.dtype === 'int32' ? ids : tf.cast(ids, 'int32'), e.embeddings)];
};

/**
 * Windows of a [B, T, C] sequence for a 1-D convolution, [B, T', k·C] (window-major, then
 * channel, matching a [k, C, out] kernel read row-major), with tfjs's 'valid' and 'same'
 * padding (TensorFlow's: the extra zero goes after the end).
 */
export function unfoldWindows(x: tf.Tensor, kernelSize: number, stride: number, dilation: number, padding: string): tf.Tensor3D {
  const [B, T, C] = x.shape;
  const span = (kernelSize - 1) * dilation + 1;
  let padded = x;
  let steps: number;
  if (padding === 'same') {
    steps = Math.ceil(T / stride);
    const total = Math.max((steps - 1) * stride + span - T, 0);
    const before = Math.floor(total / 2);
    if (total > 0) padded = tf.pad(x, [[0, 0], [before, total - before], [0, 0]]);
  } else if (padding === 'valid') {
    steps = Math.floor((T - span) / stride) + 1;
    if (steps < 1) throw new ConfigError(`a Conv1D window of ${span} steps does not fit a sequence of ${T}`);
  } else {
    throw new ConfigError(`Conv1D padding "${padding}" is not supported for per-example gradients (use 'valid' or 'same')`);
  }
  const windows: tf.Tensor[] = [];
  for (let j = 0; j < kernelSize; j++) {
    const start = j * dilation;
    if (stride === 1) {
      windows.push(tf.slice(padded, [0, start, 0], [B, steps, C]));
      continue;
    }
    // Every stride-th step: take steps·stride rows (zero-padded at the end if short), keep the first of each group.
    const available = (padded.shape[1] as number) - start;
    const wanted = steps * stride;
    let part = tf.slice(padded, [0, start, 0], [B, Math.min(available, wanted), C]);
    if (available < wanted) part = tf.pad(part, [[0, 0], [0, wanted - available], [0, 0]]);
    windows.push(tf.reshape(tf.slice(tf.reshape(part, [B, steps, stride, C]), [0, 0, 0, 0], [B, steps, 1, C]), [B, steps, C]));
  }
  return (windows.length === 1 ? windows[0] : tf.concat(windows, 2)) as tf.Tensor3D;
}

const conv1d: LayerForward = (layer, inputs, _kwargs, env) => {
  const c = layer as ConvLike;
  if (c.rank !== 1) return undefined;
  if (c.dataFormat !== 'channelsLast') throw new ConfigError(`layer "${c.name}" (Conv1D): only channelsLast data is supported for per-example gradients`);
  const [k, inDim, outDim] = c.kernel.shape as number[];
  const dilation = Array.isArray(c.dilationRate) ? c.dilationRate[0] : c.dilationRate;
  const windows = unfoldWindows(one(layer, inputs), k, c.strides[0], dilation, c.padding);
  const z = env.ops.dense(c.name, windows, c.kernel, c.useBias ? c.bias : null, { shape: [k * inDim, outDim] });
  return [activate(c, z, env)];
};

function checkRecurrent(r: RecurrentLike, inputs: tf.Tensor[], kwargs: Record<string, unknown>, env: ForwardEnv): void {
  const what = `layer "${r.name}" (${r.getClassName()})`;
  if (inputs.length !== 1) throw new ConfigError(`${what}: initial states as inputs are not supported for per-example gradients; let the layer start from zeros`);
  if (r.stateful) throw new ConfigError(`${what} is stateful: its state carries one batch into the next, so examples are not independent; build it with stateful: false`);
  if (kwargs.mask != null) throw new ConfigError(`${what} receives a mask (Embedding maskZero or a Masking layer), which per-example gradients do not support yet: drop maskZero/Masking`);
  if (env.training && (r.cell.dropout > 0 || r.cell.recurrentDropout > 0)) {
    throw new ConfigError(`${what} has dropout ${r.cell.dropout} / recurrentDropout ${r.cell.recurrentDropout} inside its cell, which per-example gradients do not support: use a Dropout layer before or after it instead`);
  }
}

function recurrentOutputs(r: RecurrentLike, states: tf.Tensor[], finals: tf.Tensor[]): tf.Tensor[] {
  const output = r.returnSequences ? tf.stack(states, 1) : states[states.length - 1];
  return r.returnState ? [output, ...finals] : [output];
}

/**
 * A recurrent layer's input products x·W + b for every step (one dense record), after the
 * checks; undefined when the cell is not of the expected class.
 */
function recurrentInputs(layer: tf.layers.Layer, cellClass: string, inputs: tf.Tensor[], kwargs: Record<string, unknown>, env: ForwardEnv): { r: RecurrentLike; B: number; T: number; H: number; inputProducts: tf.Tensor[] } | undefined {
  const r = layer as RecurrentLike;
  if (r.cell.getClassName() !== cellClass) return undefined;
  checkRecurrent(r, inputs, kwargs, env);
  const x = r.goBackwards ? tf.reverse(inputs[0], 1) : inputs[0];
  const [B, T] = x.shape;
  const inputProducts = tf.unstack(env.ops.dense(r.name, x, r.cell.kernel, r.cell.useBias ? r.cell.bias : null), 1);
  return { r, B, T, H: r.cell.units, inputProducts };
}

const lstm: LayerForward = (layer, inputs, kwargs, env) => {
  const prepared = recurrentInputs(layer, 'LSTMCell', inputs, kwargs, env);
  if (!prepared) return undefined;
  const { r, B, T, H, inputProducts } = prepared;
  const cell = r.cell;
  const recurrent = env.ops.denseSteps(`${r.name}/recurrent`, cell.recurrentKernel, null);
  let h: tf.Tensor = tf.zeros([B, H]);
  let c: tf.Tensor = tf.zeros([B, H]);
  const states: tf.Tensor[] = [];
  for (let t = 0; t < T; t++) {
    const [zi, zf, zc, zo] = tf.split(tf.add(inputProducts[t], recurrent(h)), 4, 1);
    const i = cell.recurrentActivation.apply(zi);
    const f = cell.recurrentActivation.apply(zf);
    c = tf.add(tf.mul(f, c), tf.mul(i, cell.activation.apply(zc)));
    h = tf.mul(cell.recurrentActivation.apply(zo), cell.activation.apply(c));
    states.push(h);
  }
  return recurrentOutputs(r, states, [h, c]);
};

const gru: LayerForward = (layer, inputs, kwargs, env) => {
  const prepared = recurrentInputs(layer, 'GRUCell', inputs, kwargs, env);
  if (!prepared) return undefined;
  const { r, B, T, H, inputProducts } = prepared;
  const cell = r.cell;
  const gates = env.ops.denseSteps(`${r.name}/recurrent`, cell.recurrentKernel, null, { shape: [H, 3 * H], columns: [0, 2 * H] });
  const candidate = env.ops.denseSteps(`${r.name}/recurrent`, cell.recurrentKernel, null, { shape: [H, 3 * H], columns: [2 * H, 3 * H] });
  let h: tf.Tensor = tf.zeros([B, H]);
  const states: tf.Tensor[] = [];
  for (let t = 0; t < T; t++) {
    const [xz, xr, xh] = tf.split(inputProducts[t], 3, 1);
    const [hz, hr] = tf.split(gates(h), 2, 1);
    const z = cell.recurrentActivation.apply(tf.add(xz, hz));
    const reset = cell.recurrentActivation.apply(tf.add(xr, hr));
    const proposal = cell.activation.apply(tf.add(xh, candidate(tf.mul(reset, h))));
    h = tf.add(tf.mul(z, h), tf.mul(tf.sub(1, z), proposal));
    states.push(h);
  }
  return recurrentOutputs(r, states, [h]);
};

const layerNormalization: LayerForward = (layer, inputs, _kwargs, env) => {
  const n = layer as LayerNormLike;
  const x = one(layer, inputs);
  const axes = (Array.isArray(n.axis) ? n.axis : [n.axis]).map((a) => (a < 0 ? a + x.rank : a));
  if (!n.scale || !n.gamma || axes.length !== 1 || axes[0] !== x.rank - 1) return undefined;
  const { mean, variance } = tf.moments(x, x.rank - 1, true);
  const normalized = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, n.epsilon)));
  return [env.ops.scaleShift(n.name, normalized, n.gamma, n.center ? n.beta : null)];
};

/** Refused in a per-example pass; otherwise the layer's own call. */
const batchNormalization: LayerForward = (layer, _inputs, _kwargs, env) => {
  if (!env.tapping) return undefined;
  throw new ConfigError(
    `layer "${layer.name}" is BatchNormalization, which normalises each example with statistics of the whole batch: ` +
      "one example's gradient then depends on the others, so clipping it does not bound that example's influence and " +
      'DP-SGD\'s guarantee fails. Replace it with LayerNormalization for private training',
  );
};

/** A softmax Activation layer at the output hands its input on as the scores. */
const activationLayer: LayerForward = (layer, inputs, _kwargs, env) => {
  const a = layer as tf.layers.Layer & { activation: Activation };
  if (env.logits && a.activation.getClassName() === 'softmax') return [one(layer, inputs)];
  return [a.activation.apply(one(layer, inputs))];
};

const FORWARDS = new Map<string, LayerForward>([
  ['Dense', dense],
  ['Embedding', embedding],
  ['Conv1D', conv1d],
  ['LSTM', lstm],
  ['GRU', gru],
  ['LayerNormalization', layerNormalization],
  ['BatchNormalization', batchNormalization],
  ['Activation', activationLayer],
]);

/** Registers (or replaces) the forward of a layer class, by its tfjs class name. */
export function registerLayerForward(className: string, forward: LayerForward): void {
  FORWARDS.set(className, forward);
}

export function layerForward(className: string): LayerForward | undefined {
  return FORWARDS.get(className);
}

/** Layer classes with their own forward (the others with trainable weights take the generic loop). */
export function layerClassesWithForward(): string[] {
  return [...FORWARDS.keys()];
}
