/**
 * Local training on one client's examples, starting from the global parameters: the piece
 * every federated client runs (in process, in a pool worker, or on a device). Plain local
 * SGD (or Adam) over `localEpochs` shuffled passes, with the project's gradient step and
 * optimisers; FedProx's proximal term is a gradient-step variant (`proximalGradients`).
 *
 * Everything random comes from `config.seed` (batch order per epoch, dropout masks), and
 * the optimiser starts fresh each call, so the result depends only on (model architecture,
 * global parameters, indices, config): not on which worker runs the client, or what it ran
 * before. A non-finite loss stops training with NonFiniteError (the update is not sent).
 */
import { tf, SeededRandom, type NamedWeight } from '../../engine/index.js';
import { ConfigError, NonFiniteError } from '../../errors.js';
import { TappedLayersModel, toTensorBatch, type AnyModel, type ForwardContext, type NamedParameter } from '../../models/index.js';
import { createOptimizer, standardGradients, type GradientResult, type GradientStep } from '../../train/index.js';
import type { ParameterSet } from '../aggregate/index.js';
import type { ClientConfig } from '../strategy.js';
import type { LocalTrainingSettings } from '../strategies/server-strategy.js';
import { batchOf, exampleCount, type FederatedExamples } from './examples.js';
import { layersBatchOf } from './tensor-examples.js';
import { writeModelParameters } from './model-parameters.js';

/** The strategy's local-training settings plus what it adds per round and client. */
export interface LocalTrainingConfig extends LocalTrainingSettings {
  /** FedProx μ (0 = FedAvg's plain local objective). */
  proximalMu: number;
  seed: number;
}

/** Reads and checks the local-training keys of a fit config (ConfigError names the key). */
export function localTrainingConfigFrom(config: ClientConfig): LocalTrainingConfig {
  const number = (key: string, fallback: number | undefined, ok: (n: number) => boolean, requirement: string): number => {
    const v = config[key] ?? fallback;
    if (typeof v !== 'number' || !Number.isFinite(v) || !ok(v)) {
      throw new ConfigError(`fit config: ${key} must be ${requirement}, got ${JSON.stringify(config[key])}`);
    }
    return v;
  };
  const optimizer = config.optimizer ?? 'sgd';
  if (optimizer !== 'sgd' && optimizer !== 'adam') throw new ConfigError(`fit config: optimizer must be "sgd" or "adam", got ${JSON.stringify(optimizer)}`);
  return {
    localEpochs: number('localEpochs', 1, (n) => Number.isInteger(n) && n >= 1, 'an integer ≥ 1'),
    batchSize: number('batchSize', 32, (n) => Number.isInteger(n) && n >= 1, 'an integer ≥ 1'),
    learningRate: number('learningRate', undefined, (n) => n > 0, 'a number > 0'),
    optimizer,
    momentum: number('momentum', 0, (n) => n >= 0 && n < 1, 'in [0, 1)'),
    maxSteps: number('maxSteps', 0, (n) => Number.isInteger(n) && n >= 0, 'an integer ≥ 0'),
    proximalMu: number('proximalMu', 0, (n) => n >= 0, 'a number ≥ 0'),
    seed: number('seed', undefined, (n) => Number.isInteger(n) && n >= 0, 'an integer ≥ 0 (set by the strategy)'),
  };
}

/**
 * FedProx's gradient step: the base gradients plus ∇(μ/2·‖w − w_anchor‖²) = μ(w − w_anchor)
 * for every parameter with an anchor. The reported loss stays the data loss.
 */
export function proximalGradients(base: GradientStep, mu: number, anchors: Map<string, tf.Tensor>): GradientStep {
  return (model, batch, ctx, host) => withProximalPull(base(model, batch, ctx, host), model.parameters(), mu, anchors);
}

/** Adds μ(w − w_anchor) to the gradient of every parameter with an anchor (in place). */
function withProximalPull(result: GradientResult, params: NamedParameter[], mu: number, anchors: Map<string, tf.Tensor>): GradientResult {
  if (mu === 0) return result;
  for (const p of params) {
    const anchor = anchors.get(p.name);
    if (!anchor) continue;
    const pull = tf.mul(tf.sub(p.variable, anchor), mu);
    const g = result.grads.get(p.name);
    result.grads.set(p.name, g ? tf.add(g, pull) : pull);
  }
  return result;
}

/**
 * A model local training takes: a trustnlu model (token-id examples), or a user's
 * tf.LayersModel as a TappedLayersModel with its loss (tensor examples from clientFn).
 */
export type LocalModel = AnyModel | TappedLayersModel;

/** The gradient of the mean loss on the examples at `indices` (inside tf.tidy). */
function batchGradients(model: LocalModel, examples: FederatedExamples, indices: number[], ctx: ForwardContext, step: GradientStep): GradientResult {
  if (examples.task === 'tensors') {
    if (!(model instanceof TappedLayersModel)) throw new ConfigError(`local training: a ${model.task} model cannot train on tensor examples (wrap your tf.LayersModel in a TappedLayersModel with its loss)`);
    const params = model.parameters();
    const byVariable = new Map(params.map((p) => [p.variable.name, p.name]));
    const batch = layersBatchOf(examples, indices);
    const { value, grads } = tf.variableGrads(() => tf.mean(model.perExampleLoss(batch, ctx)) as tf.Scalar, params.map((p) => p.variable));
    const named = new Map<string, tf.Tensor>();
    for (const [name, g] of Object.entries(grads)) named.set(byVariable.get(name)!, g);
    return { loss: value, grads: named };
  }
  if (model instanceof TappedLayersModel) throw new ConfigError(`local training: a bare tf.LayersModel trains on tensor examples, not ${examples.task} examples (wrap it with its tokenizer: wrapLayersModel)`);
  if (model.task !== examples.task) throw new ConfigError(`local training: a ${model.task} model cannot train on ${examples.task} examples`);
  const host = batchOf(examples, indices);
  return step(model, toTensorBatch(host, examples.task), ctx, host);
}

/** A client's optimiser state carried between rounds (only with a client-state store). */
export interface LocalOptimizerState {
  steps: number;
  slots: NamedWeight[];
}

export interface LocalTrainingResult {
  /** local − global, all tensors concatenated in the model's parameter order (owned: safe to transfer). */
  delta: Float32Array;
  numExamples: number;
  /**
   * Examples that went through a gradient step (every batch of every local epoch, counted
   * once per pass; a `maxSteps` cap stops the count with the steps). The budget the studies
   * report; kept out of `metrics`, which a networked client sends to the server.
   */
  examplesProcessed: number;
  metrics: { loss: number; steps: number; seconds: number };
  /** The optimiser state after training, when `keepOptimizerState` was asked for. */
  optimizerState?: LocalOptimizerState;
}

export interface LocalTrainingOptions {
  /** Resume the client's optimiser (e.g. momentum or Adam moments) from a previous round. */
  optimizerState?: LocalOptimizerState;
  /** Return the optimiser state for the next round. */
  keepOptimizerState?: boolean;
  /** The loss's gradient step (default standardGradients: cross-entropy on the targets). */
  gradientStep?: GradientStep;
}

/**
 * Loads `global` into `model`, trains on the examples at `indices`, and returns the delta.
 * The model is left holding the local parameters.
 */
export function trainLocally(
  model: LocalModel,
  examples: FederatedExamples,
  indices: ArrayLike<number>,
  global: ParameterSet,
  config: LocalTrainingConfig,
  options: LocalTrainingOptions = {},
): LocalTrainingResult {
  const started = performance.now();
  if (indices.length === 0) throw new ConfigError('local training: the client has no examples');
  const total = exampleCount(examples);
  for (let j = 0; j < indices.length; j++) {
    if (!(indices[j] >= 0 && indices[j] < total)) throw new ConfigError(`local training: example index ${indices[j]} is outside [0, ${total})`);
  }
  writeModelParameters(model, global);
  const params = model.parameters();
  const optimizer = createOptimizer(config.optimizer === 'sgd' ? { name: 'sgd', momentum: config.momentum } : { name: 'adam' });
  if (options.optimizerState) optimizer.setState(options.optimizerState);
  const anchors = new Map<string, tf.Tensor>();
  if (config.proximalMu > 0) params.forEach((p, i) => anchors.set(p.name, tf.tensor(global.arrays[i], p.variable.shape, 'float32')));
  // the proximal pull is added below for every kind of model (withProximalPull)
  const baseStep = options.gradientStep ?? standardGradients;
  const rng = new SeededRandom(config.seed);
  const dropoutRng = rng.fork('dropout');
  let steps = 0;
  let lossSum = 0;
  let seen = 0;
  let optimizerState: LocalOptimizerState | undefined;
  try {
    for (let epoch = 0; epoch < config.localEpochs; epoch++) {
      const order = rng.fork(`epoch${epoch}`).shuffle(Array.from(indices));
      for (let start = 0; start < order.length; start += config.batchSize) {
        if (config.maxSteps > 0 && steps >= config.maxSteps) break;
        const indicesOfBatch = order.slice(start, start + config.batchSize);
        const loss = tf.tidy(() => {
          const { loss, grads } = withProximalPull(
            batchGradients(model, examples, indicesOfBatch, { training: true, rng: dropoutRng }, baseStep),
            params,
            config.proximalMu,
            anchors,
          );
          const value = loss.dataSync()[0];
          if (Number.isFinite(value)) optimizer.step(params, grads, config.learningRate);
          return value;
        });
        if (!Number.isFinite(loss)) {
          throw new NonFiniteError(
            `local training loss became ${loss} at epoch ${epoch + 1}, step ${steps + 1} (learning rate ${config.learningRate}); the update is not sent — lower the client learning rate`,
          );
        }
        steps++;
        lossSum += loss * indicesOfBatch.length;
        seen += indicesOfBatch.length;
      }
    }
    if (options.keepOptimizerState) {
      const state = optimizer.getState();
      // copies: on the cpu backend dataSync returns the tensor's own storage
      optimizerState = { steps: state.steps, slots: state.slots.map((w) => ({ name: w.name, shape: w.shape.slice(), values: w.values.slice() })) };
    }
  } finally {
    optimizer.dispose();
    for (const a of anchors.values()) a.dispose();
  }
  const size = global.arrays.reduce((s, a) => s + a.length, 0);
  const delta = new Float32Array(size);
  let offset = 0;
  params.forEach((p, i) => {
    const local = p.variable.dataSync() as Float32Array;
    const g = global.arrays[i];
    for (let j = 0; j < local.length; j++) delta[offset + j] = local[j] - g[j];
    offset += local.length;
  });
  return {
    delta,
    numExamples: indices.length,
    examplesProcessed: seen,
    metrics: { loss: lossSum / Math.max(1, seen), steps, seconds: (performance.now() - started) / 1000 },
    ...(optimizerState ? { optimizerState } : {}),
  };
}
