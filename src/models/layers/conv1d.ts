import { tf, SeededRandom } from '../../engine/index.js';
import { Dense } from './dense.js';
import { ParameterStore } from './parameters.js';
import type { ForwardContext } from './context.js';

/**
 * 1-D convolution over time as an unfolded dense layer: windows of `kernelSize` steps are
 * concatenated ([B, T, k·in]) and projected by W [k·in, out]. Same output length as the
 * input ("same" padding, zeros after the end). Written this way the per-sample gradient
 * rule is the dense-over-a-sequence one (DESIGN.md §3).
 */
export class Conv1d {
  readonly projection: Dense;

  constructor(
    store: ParameterStore,
    readonly name: string,
    readonly inDim: number,
    readonly filters: number,
    readonly kernelSize: number,
    rng: SeededRandom,
  ) {
    this.projection = new Dense(store, name, kernelSize * inDim, filters, rng);
  }

  /** x [B, T, in] → [B, T, filters]; window t covers steps t .. t+k−1. */
  apply(x: tf.Tensor, ctx: ForwardContext): tf.Tensor {
    const [, T] = x.shape;
    const k = this.kernelSize;
    const padded = tf.pad(x, [[0, 0], [0, k - 1], [0, 0]]);
    const windows = [];
    for (let j = 0; j < k; j++) windows.push(tf.slice(padded, [0, j, 0], [-1, T, -1]));
    const unfolded = k === 1 ? windows[0] : tf.concat(windows, 2);
    return this.projection.apply(unfolded, ctx);
  }
}
