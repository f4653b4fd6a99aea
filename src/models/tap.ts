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

/** Which per-sample rule applies to a record (see privacy/dpsgd). */
export type TapRule = 'dense' | 'embedding' | 'layernorm';

export interface TapRecord {
  /** Layer name (unique in the model). */
  layer: string;
  rule: TapRule;
  /**
   * dense: `weight` [in, out] and optional `bias` [out]; z = a·W + b, a is [B, in] or [B, T, in].
   * embedding: `weight` [vocab, dim]; z = E[ids], input holds int32 ids [B, T].
   * layernorm: `weight` = γ [D], `bias` = β [D]; z = γ ⊙ x̂ + β, input holds x̂.
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
  tap(layer: string, rule: TapRule, params: { weight: string; bias?: string }, input: tf.Tensor, z: tf.Tensor): tf.Tensor {
    const tap = this.newTap(z);
    this.records.push({ layer, rule, ...params, inputs: [tf.keep(input)], taps: [tap] });
    return tap;
  }

  /**
   * For a layer applied at every time step with the same weights (LSTM gates): returns a
   * function that taps one step; the record collects inputs and taps in time order.
   */
  sequence(layer: string, rule: TapRule, params: { weight: string; bias?: string }): (input: tf.Tensor, z: tf.Tensor) => tf.Tensor {
    const record: TapRecord = { layer, rule, ...params, inputs: [], taps: [] };
    this.records.push(record);
    return (input, z) => {
      const tap = this.newTap(z);
      record.inputs.push(tf.keep(input));
      record.taps.push(tap);
      return tap;
    };
  }

  /** Releases the kept inputs (call when the per-sample computation is done). */
  dispose(): void {
    for (const r of this.records) for (const t of r.inputs) t.dispose();
  }
}

/** The recorded input as one tensor ([B, ...] or [B, T, ...] for per-step records). */
export function recordInput(record: TapRecord): tf.Tensor {
  return record.inputs.length === 1 ? record.inputs[0] : tf.stack(record.inputs, 1);
}
