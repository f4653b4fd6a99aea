/**
 * Weightless layers trustnlu's text models need and tfjs does not have: a padding mask from
 * token ids, pooling over the real positions only, and zeros after the end of a sequence
 * (trustnlu's convolutions see windows t .. t+k−1). Each computes exactly what the built-in
 * models compute, so an exported model predicts what it predicted in trustnlu.
 */
import * as tf from '@tensorflow/tfjs';

/** A tfjs layer's constructor arguments (name, trainable, dtype, input shapes...). */
export type LayerArgs = NonNullable<ConstructorParameters<typeof tf.layers.Layer>[0]>;

function inputList(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor[] {
  return Array.isArray(inputs) ? inputs : [inputs];
}

function shapeList(shape: tf.Shape | tf.Shape[]): tf.Shape[] {
  return Array.isArray(shape[0]) ? (shape as tf.Shape[]) : [shape as tf.Shape];
}

/**
 * ids [B, T] → mask [B, T] (float32): 1 where the id is not the padding id. A sequence with
 * no real token keeps its first position, as trustnlu's batches do, so pooling is defined.
 */
export class PaddingMask extends tf.layers.Layer {
  static className = 'PaddingMask';
  readonly paddingId: number;

  constructor(args: LayerArgs & { paddingId?: number } = {}) {
    super(args);
    this.paddingId = args.paddingId ?? 0;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    return shapeList(inputShape)[0];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const ids = inputList(inputs)[0];
      const mask = tf.cast(tf.notEqual(ids, this.paddingId), 'float32');
      const T = ids.shape[1] as number;
      const empty = tf.cast(tf.equal(tf.sum(mask, 1, true), 0), 'float32'); // [B, 1]
      const first = tf.oneHot(tf.tensor1d([0], 'int32'), T).reshape([1, T]);
      return tf.add(mask, tf.mul(empty, first));
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), paddingId: this.paddingId };
  }
}

/** Pooling over time of [x [B, T, D], mask [B, T]] to [B, D]. */
abstract class MaskedPooling extends tf.layers.Layer {
  protected abstract pool(x: tf.Tensor, mask: tf.Tensor): tf.Tensor;

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const x = shapeList(inputShape)[0];
    return [x[0], x[2]];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const [x, mask] = inputList(inputs);
      return this.pool(x, mask);
    });
  }
}

/** Σₜ xₜ·mₜ / max(Σₜ mₜ, 1): the mean over real positions. */
export class MaskedMeanPooling extends MaskedPooling {
  static className = 'MaskedMeanPooling';

  protected pool(x: tf.Tensor, mask: tf.Tensor): tf.Tensor {
    const m = tf.expandDims(mask, 2);
    return tf.div(tf.sum(tf.mul(x, m), 1), tf.maximum(tf.sum(m, 1), 1));
  }
}

/** maxₜ (xₜ − 10⁴·(1 − mₜ)): padding kept out of the max. */
export class MaskedMaxPooling extends MaskedPooling {
  static className = 'MaskedMaxPooling';

  protected pool(x: tf.Tensor, mask: tf.Tensor): tf.Tensor {
    return tf.max(tf.add(x, tf.expandDims(tf.mul(tf.sub(1, mask), -1e4), 2)), 1);
  }
}

/** [B, T, D] → [B, T + size, D] with zeros after the end. */
export class EndPadding1D extends tf.layers.Layer {
  static className = 'EndPadding1D';
  readonly size: number;

  constructor(args: LayerArgs & { size: number }) {
    super(args);
    this.size = args.size;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const x = shapeList(inputShape)[0];
    return [x[0], x[1] == null ? null : (x[1] as number) + this.size, x[2]];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => tf.pad(inputList(inputs)[0], [[0, 0], [0, this.size], [0, 0]]));
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), size: this.size };
  }
}

