/**
 * The worker side of data-parallel training: a replica of the main thread's model, built
 * from plain data (kind, hyper-parameters, tokenizer, labels) in the worker's own engine,
 * whose parameters are refreshed from the shared flat array whenever the main thread has
 * updated them. Only the built-in architectures can be rebuilt this way; a tf.LayersModel
 * would need its topology shipped and rebuilt, which data-parallel training does not do yet.
 */
import { SeededRandom } from '../../engine/index.js';
import { assignVariablesFrom, flatViews, type FlatLayout } from '../../engine/workers/index.js';
import { ConfigError } from '../../errors.js';
import { createModel, LAYERS_MODEL_KIND, type AnyModel, type ForwardContext, type HostBatch } from '../../models/index.js';
import { tokenizerFromJSON, type TokenizerJSON } from '../../text/index.js';

/** Enough to rebuild a built-in model (weights travel separately, through shared memory). */
export interface ModelSpec {
  kind: string;
  config: Record<string, unknown>;
  tokenizer: TokenizerJSON;
  labels?: string[];
}

export function modelSpecOf(model: AnyModel): ModelSpec {
  if (model.kind === LAYERS_MODEL_KIND) {
    throw new ConfigError('data-parallel training (engines > 1) works with the built-in models only, not a tf.LayersModel: train your own model with one engine (--engines 1)');
  }
  return {
    kind: model.kind,
    config: { ...(model.config as Record<string, unknown>) },
    tokenizer: model.tokenizer.toJSON(),
    labels: model.task === 'classifier' ? [...model.labels] : undefined,
  };
}

/** What every engine's handler is started with (structured clone; the typed arrays sit on shared memory). */
export interface EngineBoot<Config = unknown> {
  spec: ModelSpec;
  layout: FlatLayout;
  /** The model's parameters, flat (written by the main thread only). */
  parameters: Float32Array;
  /** One flat gradient buffer per part of a batch (part k's engine writes buffer k). */
  gradients: Float32Array[];
  config: Config;
}

/** A part of a logical batch, sent to one engine. */
export interface PartJob<Extra = unknown> {
  /** Version of the shared parameters this part must be computed at. */
  version: number;
  /** Index of the part (and of the gradient buffer it writes). */
  part: number;
  batch: HostBatch;
  /** Seeds dropout for this part (forked by part index, so masks do not depend on which thread runs it). */
  seed: number;
  extra: Extra;
}

/** Rows [start, start + n) of a host batch (copies, so each part is sent on its own). */
export function sliceHostBatch(batch: HostBatch, start: number, n: number): HostBatch {
  const T = batch.length;
  const targetsPerRow = batch.targets.length / Math.max(1, batch.size);
  return {
    ids: batch.ids.slice(start * T, (start + n) * T),
    mask: batch.mask.slice(start * T, (start + n) * T),
    targets: batch.targets.slice(start * targetsPerRow, (start + n) * targetsPerRow),
    size: n,
    length: T,
  };
}

export class EngineReplica<Config = unknown> {
  readonly model: AnyModel;
  readonly boot: EngineBoot<Config>;
  private version = -1;
  private readonly views = new Map<number, Map<string, Float32Array>>();

  constructor(boot: EngineBoot<Config>) {
    this.boot = boot;
    const { spec } = boot;
    this.model = createModel({ kind: spec.kind, tokenizer: tokenizerFromJSON(spec.tokenizer), labels: spec.labels, seed: 0, config: spec.config });
  }

  /** Loads the shared parameters into this engine if the main thread has changed them since. */
  sync(version: number): void {
    if (version === this.version) return;
    assignVariablesFrom(this.model.parameters(), this.boot.layout, this.boot.parameters);
    this.version = version;
  }

  /** Part `part`'s gradient buffer, zeroed, as one view per parameter name (built once per part, not per step). */
  gradientViews(part: number): Map<string, Float32Array> {
    const buffer = this.boot.gradients[part];
    buffer.fill(0);
    let views = this.views.get(part);
    if (!views) this.views.set(part, (views = flatViews(this.boot.layout, buffer)));
    return views;
  }

  context(job: PartJob): ForwardContext {
    return { training: true, rng: new SeededRandom(job.seed).fork(`part${job.part}`) };
  }
}
