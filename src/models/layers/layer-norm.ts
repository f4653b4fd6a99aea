import { tf } from '../../engine/index.js';
import { ParameterStore } from './parameters.js';
import type { ForwardContext } from './context.js';

/** y = γ ⊙ (x − μ)/sqrt(σ² + ε) + β over the last axis. */
export class LayerNorm {
  readonly weight: string;
  readonly bias: string;

  constructor(
    private readonly store: ParameterStore,
    readonly name: string,
    readonly dim: number,
    readonly epsilon = 1e-5,
  ) {
    this.weight = `${name}/gamma`;
    this.bias = `${name}/beta`;
    store.add(this.weight, new Float32Array(dim).fill(1), [dim]);
    store.add(this.bias, new Float32Array(dim), [dim]);
  }

  apply(x: tf.Tensor, ctx: ForwardContext): tf.Tensor {
    const axis = x.rank - 1;
    const { mean, variance } = tf.moments(x, axis, true);
    const normalized = tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, this.epsilon)));
    const z = tf.add(tf.mul(normalized, this.store.get(this.weight)), this.store.get(this.bias));
    return ctx.taps
      ? ctx.taps.tap(this.name, 'layernorm', { weight: this.weight, bias: this.bias }, normalized, z)
      : z;
  }
}
