/**
 * Per-sample-gradient taps (DESIGN.md §3). In a tapped forward pass, every layer with
 * parameters registers its pre-activation output z as a "tap" and records its input a.
 * One backward pass of the summed per-example loss w.r.t. the taps gives g = ∂L_i/∂z for
 * every example at once; privacy/dpsgd turns (a, g) into per-example gradient norms and
 * clipped sums with one rule per layer type.
 *
 * The tap is z itself, not a zero tensor added to z: the engine's tape is filtered to the
 * ops downstream of the registered tensors, so the backward pass stops at z either way,
 * and registering z spares a zeros tensor and an add of z's size per layer and step.
 */
import { tf } from '../engine/index.js';

/**
 * Which per-sample rule applies to a record (privacy/dpsgd's registry): 'dense',
 * 'embedding', 'layernorm', 'generic' (the per-example loop for a layer without a rule), or
 * any name a user registers.
 */
export type TapRule = 'dense' | 'embedding' | 'layernorm' | 'generic' | (string & {});

/**
 * How a rule sees a record's weight when it is not the parameter as stored: a row-major
 * reshape to the matrix `shape` (a Conv1D kernel [k, in, out] is the unfolded dense
 * [k·in, out]), and optionally only columns [start, end) of it, when different columns of
 * one weight multiply different inputs (a GRU's recurrent kernel: the update and reset
 * gates take h_{t−1}, the candidate takes r⊙h_{t−1}). Records holding column blocks of one
 * weight are merged into one per-example gradient of it; their blocks must tile its columns.
 */
export interface WeightView {
  shape: [number, number];
  columns?: [number, number];
}

/**
 * The generic rule's way back into the layer: its output from one example's input, and its
 * trainable variables by parameter name (the per-example gradient is a vector-Jacobian
 * product of this call, one example at a time).
 */
export interface LayerCall {
  call(input: tf.Tensor): tf.Tensor;
  variables: { name: string; variable: tf.Variable }[];
}

/** What a tapped layer tells the recorder besides its input and output. */
export interface TapParameters {
  weight: string;
  bias?: string;
  weightView?: WeightView;
  /** Parameters beyond weight and bias (generic records only). */
  otherParameters?: string[];
  layerCall?: LayerCall;
}

export interface TapRecord extends TapParameters {
  /** Layer name (unique in the model). */
  layer: string;
  rule: TapRule;
  /**
   * dense: `weight` [in, out] (or a view of it) and optional `bias` [out]; z = a·W + b, a is [B, in] or [B, T, in].
   * embedding: `weight` [vocab, dim]; z = E[ids], input holds int32 ids [B, T].
   * layernorm: `weight` = γ [D], `bias` = β [D]; z = γ ⊙ x̂ + β, input holds x̂.
   * generic: z is the layer's output y = f(a; θ) and `layerCall` recomputes it.
   */
  weight: string;
  bias?: string;
  /** One tensor, or one per time step (stacked on axis 1 by `input()`). */
  inputs: tf.Tensor[];
  /** The taps, i.e. the layer outputs z (one, or one per time step, aligned with `inputs`). */
  taps: tf.Tensor[];
}

export class TapRecorder {
  readonly records: TapRecord[] = [];
  private readonly register: (t: tf.Tensor) => void;
  private readonly tapped = new Set<tf.Tensor>();

  /** `register` is handed every tap, e.g. the callback of engine's gradientsOfRegistered. */
  constructor(register: (t: tf.Tensor) => void) {
    this.register = register;
  }

  private newTap(z: tf.Tensor): tf.Tensor {
    if (this.tapped.has(z)) throw new Error('a tensor was tapped twice: each tapped layer must hand over its own output');
    this.tapped.add(z);
    this.register(z);
    return z;
  }

  /** Records (a, z) for a layer applied once; returns z, now tapped. */
  tap(layer: string, rule: TapRule, params: TapParameters, input: tf.Tensor, z: tf.Tensor): tf.Tensor {
    const tap = this.newTap(z);
    this.records.push({ layer, rule, ...params, inputs: [keptCopy(input)], taps: [tap] });
    return tap;
  }

  /**
   * For a layer applied at every time step with the same weights (LSTM gates): returns a
   * function that taps one step; the record collects inputs and taps in time order.
   */
  sequence(layer: string, rule: TapRule, params: TapParameters): (input: tf.Tensor, z: tf.Tensor) => tf.Tensor {
    const record: TapRecord = { layer, rule, ...params, inputs: [], taps: [] };
    this.records.push(record);
    return (input, z) => {
      const tap = this.newTap(z);
      record.inputs.push(keptCopy(input));
      record.taps.push(tap);
      return tap;
    };
  }

  /** Releases the kept inputs (call when the per-sample computation is done). */
  dispose(): void {
    for (const r of this.records) for (const t of r.inputs) t.dispose();
  }
}

/**
 * A kept tensor on the input's data (a same-shape reshape shares it on every backend): the
 * recorder disposes what it keeps, and a layer's input may be the caller's own tensor (the
 * ids of a batch, a user's features).
 */
function keptCopy(input: tf.Tensor): tf.Tensor {
  return tf.keep(tf.reshape(input, input.shape));
}

/** Every parameter a record covers, weight first. */
export function recordParameters(record: TapParameters): string[] {
  return [record.weight, ...(record.bias !== undefined ? [record.bias] : []), ...(record.otherParameters ?? [])];
}

/** The recorded input as one tensor ([B, ...] or [B, T, ...] for per-step records). */
export function recordInput(record: TapRecord): tf.Tensor {
  return record.inputs.length === 1 ? record.inputs[0] : tf.stack(record.inputs, 1);
}
