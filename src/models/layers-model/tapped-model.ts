/**
 * A user's tf.LayersModel as a PerExampleModel: its trainable weights are the parameters
 * (named by their tfjs names, as in model.json's weight manifest), and its per-example loss
 * runs the graph through TapOps, so privacy/dpsgd's per-sample machinery works on it as on
 * the built-in architectures. The model object is not copied: its own variables are read
 * and trained.
 */
import { tf } from '../../engine/index.js';
import { ConfigError, ShapeMismatchError } from '../../errors.js';
import { PLAIN_OPS, denseProduct, viewOf, type TapOps } from '../../layers/tap-ops.js';
import type { ForwardContext } from '../layers/context.js';
import type { NamedParameter } from '../layers/parameters.js';
import type { PerExampleModel } from '../model.js';
import type { TapRecorder } from '../tap.js';
import { isTapOpsLayer } from '../../layers/tap-ops.js';
import { layerForward } from './forwards.js';
import { ensureBuilt, isModel, runGraph, trainableOf, type GraphEnv } from './graph.js';

/** A batch for a LayersModel: one tensor per model input, and the targets. */
export interface LayersBatch {
  inputs: tf.Tensor[];
  targets: tf.Tensor;
}

/** (targets, outputs) → loss per example [B] (or per example and position, averaged here over all but axis 0). */
export type PerExampleLossFunction = (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor;

/**
 * Named losses follow Keras/tfjs on probability outputs (the model ends in softmax); when
 * the output layer is a Dense or Activation with softmax, the cross-entropies are computed
 * from its pre-softmax scores instead (the same loss, without the 1e-7 clipping of the
 * probabilities, so the gradient stays exact where a probability saturates).
 */
export type LossName = 'sparseCategoricalCrossentropy' | 'categoricalCrossentropy' | 'meanSquaredError';
export const LOSS_NAMES: readonly LossName[] = ['sparseCategoricalCrossentropy', 'categoricalCrossentropy', 'meanSquaredError'];

export interface TappedLayersModelOptions {
  loss: LossName | PerExampleLossFunction;
  /** Told once per layer that takes the generic per-example loop (default: console.warn). */
  warn?: (message: string) => void;
}

/** Every layer of a model, nested models walked into (each layer once). */
export function allLayers(model: tf.LayersModel): tf.layers.Layer[] {
  const out: tf.layers.Layer[] = [];
  const seen = new Set<tf.layers.Layer>();
  const visit = (m: tf.LayersModel) => {
    for (const layer of m.layers) {
      if (seen.has(layer)) continue;
      seen.add(layer);
      if (isModel(layer)) visit(layer);
      else out.push(layer);
    }
  };
  visit(model);
  return out;
}

/** Mean over every axis but the first: [B, ...] → [B]. */
function perExample(losses: tf.Tensor): tf.Tensor1D {
  if (losses.rank === 1) return losses as tf.Tensor1D;
  return tf.mean(tf.reshape(losses, [losses.shape[0], -1]), 1) as tf.Tensor1D;
}

/** Class ids as int32 (floats are floored, as Keras does). */
function classIds(targets: tf.Tensor, shape: number[]): tf.Tensor {
  return tf.reshape(targets.dtype === 'int32' ? targets : tf.cast(tf.floor(targets), 'int32'), shape);
}

/** Cross-entropy of integer targets from scores, per row: logsumexp(z) − z[target]. */
function sparseFromLogits(logits: tf.Tensor, targets: tf.Tensor): tf.Tensor {
  const classes = logits.shape[logits.rank - 1];
  const ids = classIds(targets, logits.shape.slice(0, -1));
  return tf.sub(tf.logSumExp(logits, -1), tf.sum(tf.mul(logits, tf.oneHot(ids, classes)), -1));
}

export function namedLoss(name: LossName, targets: tf.Tensor, output: tf.Tensor, fromLogits: boolean): tf.Tensor {
  switch (name) {
    case 'sparseCategoricalCrossentropy': {
      if (fromLogits) return sparseFromLogits(output, targets);
      const classes = output.shape[output.rank - 1];
      return tf.metrics.categoricalCrossentropy(tf.oneHot(classIds(targets, output.shape.slice(0, -1)), classes), output);
    }
    case 'categoricalCrossentropy':
      if (fromLogits) return tf.neg(tf.sum(tf.mul(tf.cast(targets, 'float32'), tf.logSoftmax(output)), -1));
      return tf.metrics.categoricalCrossentropy(targets, output);
    case 'meanSquaredError':
      return tf.mean(tf.square(tf.sub(output, targets)), -1);
  }
}

/** TapOps that compute like PLAIN_OPS and record each product as a tap (when tapping). */
class RecordingOps implements TapOps {
  constructor(
    private readonly taps: TapRecorder,
    private readonly nameOf: (v: tf.LayerVariable) => string | undefined,
  ) {}

  private names(label: string, weight: tf.LayerVariable, bias?: tf.LayerVariable | null): { weight: string; bias?: string } | undefined {
    const w = this.nameOf(weight);
    const b = bias ? this.nameOf(bias) : undefined;
    if (w === undefined) {
      if (b !== undefined) throw new ConfigError(`layer "${label}": its bias is trainable but its weight is not; freeze both or neither`);
      return undefined;
    }
    return { weight: w, bias: b };
  }

  dense(label: string, x: tf.Tensor, kernel: tf.LayerVariable, bias?: tf.LayerVariable | null, view?: Parameters<TapOps['dense']>[4]): tf.Tensor {
    const z = PLAIN_OPS.dense(label, x, kernel, bias, view);
    const names = this.names(label, kernel, bias);
    return names ? this.taps.tap(label, 'dense', { ...names, weightView: view }, x, z) : z;
  }

  denseSteps(label: string, kernel: tf.LayerVariable, bias?: tf.LayerVariable | null, view?: Parameters<TapOps['denseSteps']>[3]): (x: tf.Tensor) => tf.Tensor {
    const names = this.names(label, kernel, bias);
    const W = viewOf(kernel.read(), view);
    const b = bias ? bias.read() : undefined;
    if (!names) return (x) => denseProduct(x, W, b);
    const tapStep = this.taps.sequence(label, 'dense', { ...names, weightView: view });
    return (x) => tapStep(x, denseProduct(x, W, b));
  }

  embedding(label: string, ids: tf.Tensor, table: tf.LayerVariable): tf.Tensor {
    const weight = this.nameOf(table);
    if (weight === undefined) return PLAIN_OPS.embedding(label, ids, table);
    const B = ids.shape[0];
    const ids2 = tf.reshape(ids, [B, -1]); // the rule takes ids [B, T]
    const z = this.taps.tap(label, 'embedding', { weight }, ids2, tf.gather(table.read(), ids2));
    return tf.reshape(z, [...ids.shape, table.shape[1] as number]);
  }

  scaleShift(label: string, normalized: tf.Tensor, gamma: tf.LayerVariable, beta?: tf.LayerVariable | null): tf.Tensor {
    const z = PLAIN_OPS.scaleShift(label, normalized, gamma, beta);
    const names = this.names(label, gamma, beta);
    return names ? this.taps.tap(label, 'layernorm', names, normalized, z) : z;
  }
}

export class TappedLayersModel implements PerExampleModel<LayersBatch> {
  readonly kind: string;
  private readonly named: NamedParameter[];
  /** Trainable weights by parameter name. */
  private readonly names = new Map<tf.LayerVariable, string>();
  private readonly allNames = new Map<tf.LayerVariable, string>();
  /** Layers that take the generic per-example loop (one warning each). */
  readonly genericLayers: string[] = [];
  private checked = false;

  constructor(readonly model: tf.LayersModel, readonly options: TappedLayersModelOptions) {
    ensureBuilt(model);
    this.kind = `tf.LayersModel "${model.name}"`;
    const loss = options.loss;
    if (typeof loss !== 'function' && !LOSS_NAMES.includes(loss)) {
      throw new ConfigError(`unknown loss "${String(loss)}": use one of ${LOSS_NAMES.join(', ')} or a function (yTrue, yPred) => per-example losses`);
    }
    if ((model as unknown as { outputs: unknown[] }).outputs.length !== 1) {
      throw new ConfigError(`model "${model.name}" has ${(model as unknown as { outputs: unknown[] }).outputs.length} outputs; per-example training takes models with one output`);
    }
    // tfjs's names as in model.json's manifest (originalName), unless two weights share one.
    const counts = new Map<string, number>();
    for (const w of model.weights) counts.set(w.originalName, (counts.get(w.originalName) ?? 0) + 1);
    for (const w of model.weights) this.allNames.set(w, counts.get(w.originalName)! > 1 ? w.name : w.originalName);
    for (const w of model.trainableWeights) this.names.set(w, this.allNames.get(w)!);
    this.named = model.trainableWeights.map((w) => ({ name: this.names.get(w)!, variable: w.read() as tf.Variable }));
  }

  /**
   * Fails on a layer that mixes examples (BatchNormalization) and tells, once, which layers
   * take the generic per-example loop: makePrivate calls it up front, and the first tapped
   * pass calls it otherwise.
   */
  checkPerExample(): void {
    if (this.checked) return;
    const warn = this.options.warn ?? ((message: string) => console.warn(message));
    for (const layer of allLayers(this.model)) {
      const forward = layerForward(layer.getClassName());
      if (layer.getClassName() === 'BatchNormalization') forward!(layer, [], {}, { ops: PLAIN_OPS, training: true, logits: false, tapping: true }); // refuses
      if (trainableOf(layer).length === 0 || forward || isTapOpsLayer(layer)) continue;
      const size = trainableOf(layer).reduce((n, w) => n + w.shape.reduce((p: number, d) => p * (d ?? 1), 1), 0);
      this.genericLayers.push(layer.name);
      warn(`trustnlu: layer "${layer.name}" (${layer.getClassName()}, ${size} parameters) has no per-example rule; its per-example gradients take the generic loop: one extra forward and backward pass of that layer per example (B per step)`);
    }
    this.checked = true;
  }

  parameters(): NamedParameter[] {
    return this.named;
  }

  /** Every weight (trainable or not) with its name: what a checkpoint of the model holds. */
  allWeights(): NamedParameter[] {
    return this.model.weights.map((w) => ({ name: this.allNames.get(w)!, variable: w.read() as tf.Variable }));
  }

  private env(ctx: ForwardContext, replaced?: GraphEnv['replaced']): GraphEnv {
    if (ctx.taps) this.checkPerExample();
    const parameterName = (v: tf.LayerVariable) => this.names.get(v);
    return { ops: ctx.taps ? new RecordingOps(ctx.taps, parameterName) : PLAIN_OPS, training: ctx.training, taps: ctx.taps, parameterName, replaced };
  }

  /** The model's output (probabilities for a softmax model), computed by the interpreter. */
  outputs(inputs: tf.Tensor[], ctx: ForwardContext): tf.Tensor {
    return runGraph(this.model, inputs, this.env(ctx))[0];
  }

  /**
   * Scores before the output softmax when the output layer ends in one (Dense or Activation);
   * otherwise the log of the output, so softmax(scores) is the output either way. `replaced`
   * layers are not run: their given outputs are used (running from embedded tokens).
   */
  logits(inputs: tf.Tensor[], ctx: ForwardContext, replaced?: GraphEnv['replaced']): tf.Tensor {
    const { output, fromLogits } = this.forward(inputs, ctx, true, replaced);
    return fromLogits ? output : tf.log(tf.clipByValue(output, 1e-30, 1));
  }

  /** True when the output layer ends in a softmax the interpreter can leave out. */
  get endsInSoftmax(): boolean {
    const layers = (this.model as unknown as { outputLayers: tf.layers.Layer[] }).outputLayers;
    const last = layers[0] as tf.layers.Layer & { activation?: { getClassName(): string } };
    return !isModel(last) && ['Dense', 'Activation', 'Conv1D'].includes(last.getClassName()) && last.activation?.getClassName() === 'softmax';
  }

  /** The output, or its pre-softmax scores when asked and available (`fromLogits` says which). */
  forward(inputs: tf.Tensor[], ctx: ForwardContext, wantLogits: boolean, replaced?: GraphEnv['replaced']): { output: tf.Tensor; fromLogits: boolean } {
    const fromLogits = wantLogits && this.endsInSoftmax;
    return { output: runGraph(this.model, inputs, this.env(ctx, replaced), fromLogits)[0], fromLogits };
  }

  perExampleLoss(batch: LayersBatch, ctx: ForwardContext): tf.Tensor1D {
    const loss = this.options.loss;
    if (typeof loss === 'function') {
      const out = perExample(loss(batch.targets, this.outputs(batch.inputs, ctx)));
      if (out.shape[0] !== batch.inputs[0].shape[0]) throw new ShapeMismatchError(`the loss function returned ${out.shape[0]} values for ${batch.inputs[0].shape[0]} examples: it must return one loss per example (no reduction over the batch)`);
      return out;
    }
    const { output, fromLogits } = this.forward(batch.inputs, ctx, loss !== 'meanSquaredError');
    return perExample(namedLoss(loss, batch.targets, output, fromLogits));
  }
}
