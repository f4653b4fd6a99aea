import { tf, SeededRandom } from '../../engine/index.js';
import { ParameterStore, glorotUniform } from './parameters.js';
import type { ForwardContext } from './context.js';

/**
 * LSTM with one gate kernel W [in + H, 4H] over [x_t, h_{t−1}] (gate order i, f, g, o) and
 * forget-gate bias 1. Tapped per time step: the record is dense over a sequence whose
 * input at step t is [x_t, h_{t−1}].
 */
export class LSTM {
  readonly weight: string;
  readonly bias: string;

  constructor(
    private readonly store: ParameterStore,
    readonly name: string,
    readonly inDim: number,
    readonly hidden: number,
    rng: SeededRandom,
  ) {
    this.weight = `${name}/kernel`;
    this.bias = `${name}/bias`;
    store.add(this.weight, glorotUniform(rng, inDim + hidden, 4 * hidden), [inDim + hidden, 4 * hidden]);
    const b = new Float32Array(4 * hidden);
    b.fill(1, hidden, 2 * hidden);
    store.add(this.bias, b, [4 * hidden]);
  }

  /** x [B, T, in] → hidden states [B, T, H]. */
  apply(x: tf.Tensor, ctx: ForwardContext): tf.Tensor {
    const [B, T] = x.shape;
    const H = this.hidden;
    const W = this.store.get(this.weight) as tf.Tensor2D;
    const bias = this.store.get(this.bias);
    const tapStep = ctx.taps?.sequence(this.name, 'dense', { weight: this.weight, bias: this.bias });
    let h: tf.Tensor = tf.zeros([B, H]);
    let c: tf.Tensor = tf.zeros([B, H]);
    const steps = tf.unstack(x, 1);
    const outputs: tf.Tensor[] = [];
    for (let t = 0; t < T; t++) {
      ({ h, c } = this.cell(steps[t], { h, c }, W, bias, tapStep));
      outputs.push(h);
    }
    return tf.stack(outputs, 1);
  }

  /** One time step without taps (step-by-step decoding): x_t [B, in] and state (h, c) [B, H] → the next state. */
  step(x: tf.Tensor, state: { h: tf.Tensor; c: tf.Tensor }): { h: tf.Tensor; c: tf.Tensor } {
    return this.cell(x, state, this.store.get(this.weight) as tf.Tensor2D, this.store.get(this.bias));
  }

  private cell(x: tf.Tensor, state: { h: tf.Tensor; c: tf.Tensor }, W: tf.Tensor2D, bias: tf.Tensor, tapStep?: (a: tf.Tensor, z: tf.Tensor) => tf.Tensor): { h: tf.Tensor; c: tf.Tensor } {
    const input = tf.concat([x, state.h], 1);
    let z = tf.add(tf.matMul(input as tf.Tensor2D, W), bias);
    if (tapStep) z = tapStep(input, z);
    const [i, f, g, o] = tf.split(z, 4, 1);
    const c = tf.add(tf.mul(tf.sigmoid(f), state.c), tf.mul(tf.sigmoid(i), tf.tanh(g)));
    return { h: tf.mul(tf.sigmoid(o), tf.tanh(c)), c };
  }
}
