/**
 * Layer norm's scale and shift, z = γ⊙x̂ + β: per example, ∇γᵢ = Σₜ gₜ⊙x̂ₜ and ∇βᵢ = Σₜ gₜ,
 * both [B, D], so they are simply materialised; norms are their row norms and the clipped
 * sums are c·rows.
 */
import { tf } from '../../../engine/index.js';
import { ShapeMismatchError } from '../../../errors.js';
import type { RecordGradients, RuleInput } from './registry.js';
import { productSumOverTime, rowSquaredNorms, sumOverTime, weightedRowSum } from './host.js';

export function layerNormRule({ record, a, g, shapes }: RuleInput): RecordGradients {
  const gamma = record.weight;
  const beta = record.bias;
  const [dim] = shapes.get(gamma)!;
  if (a.rank !== g.rank || a.shape.join(',') !== g.shape.join(',') || a.shape[a.rank - 1] !== dim) {
    throw new ShapeMismatchError(`layer norm "${record.layer}": normalised input [${a.shape}] and tap gradient [${g.shape}] do not fit γ [${dim}]`);
  }
  // One host pass each (a product and a sum over time; rank 2 is a single time step).
  const rows = new Map<string, tf.Tensor2D>([[gamma, productSumOverTime(g, a, dim)]]);
  if (beta) rows.set(beta, g.rank === 2 ? (g as tf.Tensor2D) : sumOverTime(g, dim));
  const squaredNorms = new Map<string, tf.Tensor1D>();
  for (const [name, r] of rows) squaredNorms.set(name, rowSquaredNorms(r));
  return {
    layer: record.layer,
    rule: 'layernorm',
    path: 'materialise',
    parameters: [...rows.keys()],
    squaredNorms,
    clippedSum(c) {
      const out = new Map<string, tf.Tensor>();
      for (const [name, r] of rows) out.set(name, weightedRowSum(c, r));
      return out;
    },
  };
}
