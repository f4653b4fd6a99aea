/**
 * Per-sample gradient rules, one per tap rule (as Opacus registers one grad sampler per
 * layer type). A rule receives a tap record's input a and its tap gradient
 * g = ∂(Σᵢ Lᵢ)/∂z, and returns, per example i and per parameter θ of the record, the
 * squared norm ‖∇_θ Lᵢ‖² and a function for the weighted sum Σᵢ cᵢ ∇_θ Lᵢ (the clipped sum
 * once the clip factors c are known). Rules never form the whole per-example gradient
 * unless that is the cheaper way (see dense.ts).
 */
import { tf } from '../../../engine/index.js';
import { ConfigError } from '../../../errors.js';
import type { TapRecord } from '../../../models/index.js';

/** How a sequence dense layer computes per-example norms (see dense.ts). */
export type SequencePath = 'auto' | 'ghost' | 'instantiate';

export interface PerSampleOptions {
  /** Dense over sequences: force the ghost-norm or the instantiate path (default: by cost). */
  sequencePath?: SequencePath;
  /**
   * Largest number of floats the instantiate path may hold for one record's per-example
   * gradients ([B, in, out]); above it the ghost norm is used. Default 16M (64 MB).
   */
  instantiateLimit?: number;
  /** Embeddings: group positions by id ('segments', default, O(B·T·D)) or the masked Gram matrix ('ghost', O(B·T²·D)). */
  embeddingPath?: 'segments' | 'ghost';
  /**
   * If given, milliseconds are added under 'pass' (tapped forward + backward) and 'norms'
   * (the rules' per-example norms): a profiling aid, exact on synchronous backends.
   */
  timings?: Record<string, number>;
}

export const DEFAULT_INSTANTIATE_LIMIT = 16 * 1024 * 1024;

export interface RuleInput {
  record: TapRecord;
  /** Recorded input: [B, in] / [B, T, in] (dense), int32 ids [B, T] (embedding), x̂ (layer norm). */
  a: tf.Tensor;
  /** Tap gradient, the shape of the layer's output z. */
  g: tf.Tensor;
  /** Shape of every parameter of the record, by name. */
  shapes: Map<string, number[]>;
  options: PerSampleOptions;
}

export interface RecordGradients {
  readonly layer: string;
  readonly rule: string;
  /** Which computation was chosen (e.g. 'vector', 'ghost', 'instantiate', 'segments'). */
  readonly path: string;
  /** Parameter names of the record, weight first. */
  readonly parameters: string[];
  /** ‖∇_θ Lᵢ‖² for each parameter θ: [B]. */
  readonly squaredNorms: Map<string, tf.Tensor1D>;
  /** Σᵢ cᵢ ∇_θ Lᵢ for each parameter θ (the parameter's shape), c: [B]. */
  clippedSum(c: tf.Tensor1D): Map<string, tf.Tensor>;
  /**
   * Optional host path: adds Σᵢ cᵢ ∇_θ Lᵢ into `into` (one row-major array per parameter,
   * e.g. the noise buffer). Offered by rules whose per-example gradients are sparse and
   * already on the host (embeddings on the segments path): the DP step then adds them
   * straight into the noise, instead of a dense scatter, a noise upload and an add over the
   * whole table on the backend.
   */
  addClippedSumTo?(c: Float32Array, into: Map<string, Float32Array>): void;
}

export type PerSampleRule = (input: RuleInput) => RecordGradients;

const RULES = new Map<string, PerSampleRule>();

/** Registers (or replaces) the rule for a tap rule name. */
export function registerPerSampleRule(name: string, rule: PerSampleRule): void {
  RULES.set(name, rule);
}

export function perSampleRule(name: string, layer: string): PerSampleRule {
  const rule = RULES.get(name);
  if (!rule) {
    throw new ConfigError(`layer "${layer}" uses tap rule "${name}", which has no per-sample gradient rule: register one with registerPerSampleRule (known: ${[...RULES.keys()].join(', ')})`);
  }
  return rule;
}

export function registeredRules(): string[] {
  return [...RULES.keys()];
}

/** Σᵢ cᵢ Xᵢ, one host pass over X (see host.ts). */
export { weightedRowSum } from './host.js';
