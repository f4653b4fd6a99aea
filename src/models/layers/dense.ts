import { tf, SeededRandom } from '../../engine/index.js';
import { ParameterStore, glorotUniform } from './parameters.js';
import type { ForwardContext } from './context.js';

/** z = x·W + b on [B, in] or [B, T, in] inputs (a sequence is one tall product). */
export class Dense {
  readonly weight: string;
  readonly bias?: string;

  constructor(
    private readonly store: ParameterStore,
    readonly name: string,
    readonly inDim: number,
    readonly outDim: number,
    rng: SeededRandom,
    options: { bias?: boolean } = {},
  ) {
    this.weight = `${name}/kernel`;
    store.add(this.weight, glorotUniform(rng, inDim, outDim), [inDim, outDim]);
    if (options.bias ?? true) {
      this.bias = `${name}/bias`;
      store.add(this.bias, new Float32Array(outDim), [outDim]);
    }
  }

  apply(x: tf.Tensor, ctx: ForwardContext): tf.Tensor {
    const shape = x.shape;
    const flat = shape.length === 2 ? x : tf.reshape(x, [-1, this.inDim]);
    let z = tf.matMul(flat as tf.Tensor2D, this.store.get(this.weight) as tf.Tensor2D) as tf.Tensor;
    if (this.bias) z = tf.add(z, this.store.get(this.bias));
    if (shape.length !== 2) z = tf.reshape(z, [...shape.slice(0, -1), this.outDim]);
    return ctx.taps ? ctx.taps.tap(this.name, 'dense', { weight: this.weight, bias: this.bias }, x, z) : z;
  }
}
