/**
 * Runs a tf.LayersModel (Sequential or functional, nested models included) node by node, as
 * tfjs's own executor does (nodes by depth, masks carried along), but with every layer that
 * has trainable weights computed through TapOps: a built-in forward (forwards.ts), a
 * TapOps-aware layer (trustnlu/layers), or, for anything else, the layer's own call with its
 * output tapped for the generic per-example rule. Layers without trainable weights run
 * their own `call`.
 *
 * Why an interpreter over the user's graph rather than converting the model into trustnlu's
 * layers and back: the user's model object, its variables and its optimizer stay theirs
 * (training updates them in place; model.predict and model.save see the result at once),
 * any graph tfjs can run works, and a layer we do not know still runs exactly as tfjs runs
 * it; a conversion would need a twin for every layer and a copy of every weight per step.
 */
import { tf } from '../../engine/index.js';
import { ConfigError } from '../../errors.js';
import { isTapOpsLayer, type TapOps } from '../../layers/tap-ops.js';
import type { TapRecorder } from '../tap.js';
import { layerForward, type ForwardEnv } from './forwards.js';

interface GraphNode {
  outboundLayer: tf.layers.Layer;
  inputTensors: tf.SymbolicTensor[];
  outputTensors: tf.SymbolicTensor[];
  callArgs?: Record<string, unknown>;
}

/** A model's graph as its executor sees it. */
interface Graph {
  nodes: Record<string, GraphNode[]>;
  inputs: tf.SymbolicTensor[];
  outputs: tf.SymbolicTensor[];
}

/** What running a graph needs: the ops (recording or plain), names of trainable variables, and the taps. */
export interface GraphEnv {
  ops: TapOps;
  training: boolean;
  taps?: TapRecorder;
  /** Parameter name of a trainable variable (undefined for frozen ones). */
  parameterName(variable: tf.LayerVariable): string | undefined;
  /** Layers not run: their output is given (the Embedding, when running from embedded tokens). */
  replaced?: ReadonlyMap<tf.layers.Layer, tf.Tensor>;
}

/** The model's nodes by depth (tfjs's `nodesByDepth`), building a Sequential first if needed. */
function nodesByDepth(model: tf.LayersModel): Record<string, GraphNode[]> | undefined {
  return (model as unknown as { nodesByDepth?: Record<string, GraphNode[]> }).nodesByDepth;
}

export function ensureBuilt(model: tf.LayersModel): Graph {
  const nodes = nodesByDepth(model);
  if (!nodes || Object.keys(nodes).length === 0) {
    const inputs = (model as unknown as { inputs: tf.SymbolicTensor[] }).inputs;
    if (!inputs || inputs.length === 0) throw new ConfigError(`model "${model.name}" has no inputs yet: give its first layer an inputShape (or build it) before making it private`);
    (model as unknown as { build(shape: tf.Shape): void }).build(inputs[0].shape);
  }
  const symbolic = model as unknown as { inputs: tf.SymbolicTensor[]; outputs: tf.SymbolicTensor[] };
  return { nodes: nodesByDepth(model)!, inputs: symbolic.inputs, outputs: symbolic.outputs };
}

/** Trainable weights of a layer (none when the layer is frozen). */
export function trainableOf(layer: tf.layers.Layer): tf.LayerVariable[] {
  return layer.trainableWeights;
}

export function isModel(layer: tf.layers.Layer): layer is tf.LayersModel {
  return layer instanceof tf.LayersModel;
}

/** One layer call with tapping, given its inputs (already computed) and call arguments. */
function runLayer(layer: tf.layers.Layer, inputs: tf.Tensor[], kwargs: Record<string, unknown>, env: GraphEnv, logits: boolean): tf.Tensor[] {
  const given = env.replaced?.get(layer);
  if (given) return [given];
  if (isModel(layer)) {
    if (kwargs.mask != null) throw new ConfigError(`nested model "${layer.name}" receives a mask, which per-example gradients do not support: drop maskZero/Masking`);
    return runGraph(layer, inputs, env, logits);
  }
  const weights = trainableOf(layer);
  const forwardEnv: ForwardEnv = { ops: env.ops, training: env.training, logits, tapping: env.taps !== undefined };
  const forward = layerForward(layer.getClassName());
  if (forward) {
    const out = forward(layer, inputs, kwargs, forwardEnv);
    if (out) return out;
  }
  if (weights.length > 0 && isTapOpsLayer(layer)) {
    return toList(layer.callWithOps(inputs.length === 1 ? inputs[0] : inputs, kwargs, env.ops));
  }
  const input = inputs.length === 1 ? inputs[0] : inputs;
  const outputs = toList(layer.call(input, kwargs));
  if (weights.length === 0 || !env.taps) return outputs;
  return [tapGeneric(layer, inputs, kwargs, outputs, weights, env)];
}

/** The generic rule's record: the layer's output tapped, and a way to recompute it for one example. */
function tapGeneric(layer: tf.layers.Layer, inputs: tf.Tensor[], kwargs: Record<string, unknown>, outputs: tf.Tensor[], weights: tf.LayerVariable[], env: GraphEnv): tf.Tensor {
  const what = `layer "${layer.name}" (${layer.getClassName()})`;
  if (inputs.length !== 1 || outputs.length !== 1) throw new ConfigError(`${what} has no per-example rule, and the generic per-example loop takes layers with one input and one output: register a rule for it (registerLayerForward)`);
  if (kwargs.mask != null) throw new ConfigError(`${what} has no per-example rule and receives a mask, which the generic per-example loop does not support: drop maskZero/Masking`);
  const variables = weights.map((w) => ({ name: env.parameterName(w)!, variable: w.read() as tf.Variable }));
  const [weight, ...otherParameters] = variables.map((v) => v.name);
  const callKwargs = { ...kwargs };
  return env.taps!.tap(layer.name, 'generic', {
    weight,
    otherParameters,
    layerCall: { call: (a) => toList(layer.call(a, callKwargs))[0], variables },
  }, inputs[0], outputs[0]);
}

function toList(x: tf.Tensor | tf.Tensor[]): tf.Tensor[] {
  return Array.isArray(x) ? x : [x];
}

/**
 * The model's outputs for concrete inputs (one tensor per model input). With `logits`, an
 * output layer ending in softmax (Dense or Activation) hands back its pre-softmax scores.
 */
export function runGraph(model: tf.LayersModel, inputs: tf.Tensor[], env: GraphEnv, logits = false): tf.Tensor[] {
  const graph = ensureBuilt(model);
  const modelInputs = graph.inputs;
  const modelOutputs = graph.outputs;
  if (inputs.length !== modelInputs.length) throw new ConfigError(`model "${model.name}" takes ${modelInputs.length} input(s), got ${inputs.length}`);
  const computed = new Map<number, { tensor: tf.Tensor; mask: tf.Tensor | null }>();
  modelInputs.forEach((x, i) => computed.set(x.id, { tensor: inputs[i], mask: null }));
  const outputIds = new Set(modelOutputs.map((x) => x.id));
  const depths = Object.keys(graph.nodes).map(Number).sort((a, b) => b - a);
  for (const depth of depths) {
    for (const node of graph.nodes[depth]) {
      const layer = node.outboundLayer;
      if (layer.getClassName() === 'InputLayer') continue;
      const data = node.inputTensors.map((x) => computed.get(x.id));
      if (data.some((d) => d === undefined)) continue;
      const tensors = data.map((d) => d!.tensor);
      const masks = data.map((d) => d!.mask);
      const kwargs: Record<string, unknown> = { ...(node.callArgs ?? {}) };
      kwargs.training ??= env.training;
      if (kwargs.mask == null) kwargs.mask = tensors.length === 1 ? masks[0] : masks.some((m) => m !== null) ? masks : null;
      const atOutput = logits && node.outputTensors.some((x) => outputIds.has(x.id));
      const outputs = runLayer(layer, tensors, kwargs, env, atOutput);
      const outputMasks = toMaskList(layer.computeMask(tensors.length === 1 ? tensors[0] : tensors, (kwargs.mask as tf.Tensor | tf.Tensor[] | null) ?? undefined), outputs.length);
      node.outputTensors.forEach((x, i) => computed.set(x.id, { tensor: outputs[i], mask: outputMasks[i] }));
    }
  }
  return modelOutputs.map((x) => {
    const out = computed.get(x.id);
    if (!out) throw new ConfigError(`model "${model.name}": output "${x.name}" could not be computed from its inputs`);
    return out.tensor;
  });
}

function toMaskList(mask: tf.Tensor | tf.Tensor[] | null | undefined, count: number): (tf.Tensor | null)[] {
  if (Array.isArray(mask)) return mask;
  return Array.from({ length: count }, () => mask ?? null);
}
