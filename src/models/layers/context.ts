/** What a forward pass needs besides its input: training mode, taps, dropout randomness. */
import type { TapRecorder } from '../tap.js';
import { tf, SeededRandom } from '../../engine/index.js';

export interface ForwardContext {
  /** Dropout is active only when training. */
  training: boolean;
  /** Present in a tapped (per-sample-gradient) pass. */
  taps?: TapRecorder;
  /** Seeds dropout masks; required when training with dropout > 0. */
  rng?: SeededRandom;
}

export const INFERENCE: ForwardContext = { training: false };

export function dropout(x: tf.Tensor, rate: number, ctx: ForwardContext): tf.Tensor {
  if (!ctx.training || rate <= 0) return x;
  const seed = ctx.rng ? ctx.rng.nextUint32() : undefined;
  return tf.dropout(x, rate, undefined, seed);
}
