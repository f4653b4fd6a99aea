import { tf, SeededRandom } from '../../engine/index.js';
import { ShapeMismatchError } from '../../errors.js';
import { ParameterStore } from './parameters.js';
import type { ForwardContext } from './context.js';

/** Lookup table [vocab, dim]; input int32 ids [B, T] → [B, T, dim]. */
export class Embedding {
  readonly weight: string;

  constructor(
    private readonly store: ParameterStore,
    readonly name: string,
    readonly vocabSize: number,
    readonly dim: number,
    rng: SeededRandom,
    /** Optional initial table (e.g. GloVe rows), [vocab·dim] row-major. */
    initial?: Float32Array,
  ) {
    this.weight = `${name}/embeddings`;
    if (initial && initial.length !== vocabSize * dim) {
      throw new ShapeMismatchError(`embedding "${name}": initial table has ${initial.length} values, expected ${vocabSize}×${dim}`);
    }
    store.add(this.weight, initial ?? rng.uniformArray(vocabSize * dim, 0.05), [vocabSize, dim]);
  }

  apply(ids: tf.Tensor, ctx: ForwardContext): tf.Tensor {
    const z = tf.gather(this.store.get(this.weight), ids);
    return ctx.taps ? ctx.taps.tap(this.name, 'embedding', { weight: this.weight }, ids, z) : z;
  }
}
