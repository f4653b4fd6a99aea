/**
 * Per-client update clipping for user-level DP (McMahan, Ramage, Talwar & Zhang, ICLR 2018,
 * "Learning differentially private recurrent language models"): each client's whole update
 * Δₖ (all tensors together, so the bound is on the user's total contribution) is scaled to
 * Euclidean norm at most C:
 *   clip_C(Δ) = Δ · min(1, C / ‖Δ‖).
 * Removing or adding one user then changes Σₖ clip_C(Δₖ) by at most C in L2 norm (its
 * sensitivity), which is what the Gaussian noise N(0, σ²C²) at the server is calibrated to.
 */
import { ConfigError } from '../../errors.js';

export interface ClippedUpdate {
  /** The clipped update (a new array). */
  clipped: Float64Array;
  /** ‖Δ‖ before clipping (accumulated in double precision). */
  norm: number;
  /** min(1, C/‖Δ‖). */
  scale: number;
  /** True when ‖Δ‖ ≤ C (the update passed unchanged): the bit adaptive clipping counts. */
  unclipped: boolean;
}

export function clipUpdate(delta: ArrayLike<number>, clip: number): ClippedUpdate {
  if (typeof clip !== 'number' || !(clip > 0) || !Number.isFinite(clip)) {
    throw new ConfigError(`update clipping: the clip norm C must be a finite number > 0, got ${clip}`);
  }
  let squared = 0;
  for (let i = 0; i < delta.length; i++) squared += delta[i] * delta[i];
  const norm = Math.sqrt(squared);
  const unclipped = norm <= clip;
  const scale = unclipped ? 1 : clip / norm;
  const clipped = new Float64Array(delta.length);
  for (let i = 0; i < delta.length; i++) clipped[i] = delta[i] * scale;
  return { clipped, norm, scale, unclipped };
}
