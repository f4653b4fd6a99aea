/**
 * The fallback for a layer with parameters and no rule: its per-example gradients are
 * vector-Jacobian products of the layer alone, one example at a time,
 *   ∇θ Lᵢ = (∂yᵢ/∂θ)ᵀ gᵢ = ∇θ Σ (f(aᵢ; θ) ⊙ gᵢ),
 * with aᵢ the example's input to the layer and gᵢ = ∂L/∂yᵢ from the one batched backward
 * pass (the record taps the layer's output y). Exact for any layer whose output for an
 * example depends only on that example's input (BatchNormalization in training mode does
 * not, and is refused before it gets here). Cost: B extra forward and backward passes of
 * that one layer per step, and B copies of its parameters in memory; the caller warns.
 */
import { tf } from '../../../engine/index.js';
import { ConfigError } from '../../../errors.js';
import type { RecordGradients, RuleInput } from './registry.js';

export function genericRule({ record, a, g }: RuleInput): RecordGradients {
  const layerCall = record.layerCall;
  if (!layerCall) throw new ConfigError(`layer "${record.layer}": a generic per-example record needs the layer's call (layerCall)`);
  const B = a.shape[0];
  const names = layerCall.variables.map((v) => v.name);
  const byVariable = new Map(layerCall.variables.map((v) => [v.variable.name, v.name]));
  const rows = new Map<string, tf.Tensor[]>(names.map((n) => [n, []]));
  const one = (t: tf.Tensor, i: number) => tf.slice(t, [i, ...t.shape.slice(1).map(() => 0)], [1, ...t.shape.slice(1)]);
  for (let i = 0; i < B; i++) {
    const ai = one(a, i);
    const gi = one(g, i);
    const { grads } = tf.variableGrads(() => tf.sum(tf.mul(layerCall.call(ai), gi)) as tf.Scalar, layerCall.variables.map((v) => v.variable));
    for (const [variableName, grad] of Object.entries(grads)) rows.get(byVariable.get(variableName)!)!.push(grad);
  }
  const perExample = new Map<string, tf.Tensor2D>();
  const squaredNorms = new Map<string, tf.Tensor1D>();
  for (const name of names) {
    const list = rows.get(name)!;
    const stacked = tf.reshape(tf.stack(list), [B, -1]) as tf.Tensor2D;
    perExample.set(name, stacked);
    squaredNorms.set(name, tf.sum(tf.square(stacked), 1) as tf.Tensor1D);
  }
  const shapes = new Map(layerCall.variables.map((v) => [v.name, v.variable.shape]));
  return {
    layer: record.layer,
    rule: 'generic',
    path: 'per-example-loop',
    parameters: names,
    squaredNorms,
    clippedSum(c) {
      const out = new Map<string, tf.Tensor>();
      for (const [name, x] of perExample) out.set(name, tf.reshape(tf.matMul(tf.reshape(c, [1, B]) as tf.Tensor2D, x), shapes.get(name)!));
      return out;
    },
  };
}
