/**
 * Federated simulation of a user's own tf.LayersModel on the user's own data, in the style of
 * Flower's `client_fn`: `runSimulation({ model: () => tf.LayersModel, clientFn: (cid) => ({ xs,
 * ys }), clients, evaluationData, strategy, ... })`.
 *
 * The model function is called once, here: its topology and initial weights are what every
 * client starts from (each worker rebuilds the model from them, LayersModelSnapshot). Unlike
 * Flower, which calls client_fn whenever a client is sampled, clientFn is called once per
 * client at the start and the tensors are read to plain arrays: workers receive the data once
 * and every round stays reproducible from the seed. The user's tensors stay the user's (not
 * disposed here).
 *
 * Local training minimises the model's loss (sparse or one-hot categorical cross-entropy) with
 * the strategy's optimiser, learning rate, batch size and epochs; DP-FedAvg and secure
 * aggregation act on the updates, so they work unchanged.
 */
import { tf } from '../../engine/index.js';
import { ConfigError, ShapeMismatchError } from '../../errors.js';
import { summarizePartition } from '../../data/partition/index.js';
import { LAYERS_MODEL_KIND, TappedLayersModel, layersModelSnapshot } from '../../models/index.js';
import type { ParameterSet } from '../aggregate/index.js';
import { targetClasses, tensorExamplesFrom, writeModelParameters, type ClientTensors, type TensorExamples } from '../client/index.js';
import type { FederatedDataset } from './federated-dataset.js';

export type UserModelLoss = 'sparseCategoricalCrossentropy' | 'categoricalCrossentropy';

export interface UserModelSimulation {
  /** Builds your model (called once, in this thread). */
  model: () => tf.LayersModel;
  /** Flower's client_fn: the data of client `cid`. */
  clientFn: (cid: string) => ClientTensors | Promise<ClientTensors>;
  /** The clients: their ids, or a count n for the ids "0" … "n−1". */
  clients: number | string[];
  /** The data the global model is evaluated on after each round (centralised evaluation). */
  evaluationData: ClientTensors;
  /** Default sparseCategoricalCrossentropy (class ids); categoricalCrossentropy for one-hot targets. */
  loss?: UserModelLoss;
  /** Names the run in results (default "clientFn"). */
  name?: string;
}

const LOSSES: readonly UserModelLoss[] = ['sparseCategoricalCrossentropy', 'categoricalCrossentropy'];

function clientIds(clients: number | string[]): string[] {
  if (typeof clients === 'number') {
    if (!(Number.isInteger(clients) && clients >= 1)) throw new ConfigError(`clients must be an integer ≥ 1 or a list of ids, got ${clients}`);
    return Array.from({ length: clients }, (_, i) => String(i));
  }
  if (!Array.isArray(clients) || clients.length === 0 || clients.some((c) => typeof c !== 'string' || c === '')) {
    throw new ConfigError('clients must be a count or a non-empty list of non-empty string ids');
  }
  const seen = new Set<string>();
  for (const c of clients) {
    if (seen.has(c)) throw new ConfigError(`client id "${c}" is listed twice`);
    seen.add(c);
  }
  return clients;
}

/** Targets must name classes of the model's output: ids in [0, C) or one-hot rows of length C. */
function checkTargets(examples: TensorExamples, classes: number, loss: UserModelLoss, what: string): void {
  if (loss === 'sparseCategoricalCrossentropy') {
    if (examples.targetShape.length !== 0) throw new ShapeMismatchError(`${what}: ys has rows of shape [${examples.targetShape}]; sparseCategoricalCrossentropy takes class ids [n] (or pass loss: 'categoricalCrossentropy' for one-hot rows)`);
    const bad = examples.ys.findIndex((y) => !(Number.isInteger(y) && y >= 0 && y < classes));
    if (bad >= 0) throw new ShapeMismatchError(`${what}: target ${examples.ys[bad]} of example ${bad} is not a class id in [0, ${classes}) (the model outputs ${classes} classes)`);
  } else if (examples.targetShape.length !== 1 || examples.targetShape[0] !== classes) {
    throw new ShapeMismatchError(`${what}: ys has rows of shape [${examples.targetShape}]; categoricalCrossentropy takes one-hot rows [n, ${classes}] for a model with ${classes} outputs`);
  }
}

/** The federated dataset of a clientFn run, and the model object built by `model()` (the final global weights are written into it). */
export async function userModelFederatedDataset(options: UserModelSimulation, seed: number): Promise<{ data: FederatedDataset; model: tf.LayersModel }> {
  if (typeof options.model !== 'function') throw new ConfigError('model must be a function that builds your tf.LayersModel: model: () => tf.sequential({ ... })');
  if (typeof options.clientFn !== 'function') throw new ConfigError('clientFn must be a function (cid) => ({ xs, ys }) giving client cid\'s data');
  const loss = options.loss ?? 'sparseCategoricalCrossentropy';
  if (!LOSSES.includes(loss)) throw new ConfigError(`loss must be one of ${LOSSES.join(', ')} (classification), got ${JSON.stringify(loss)}`);
  const ids = clientIds(options.clients);
  const model = options.model();
  if (!(model instanceof tf.LayersModel)) {
    throw new ConfigError('model() must return a tf.LayersModel from the same @tensorflow/tfjs as trustnlu (a model built with another copy of tfjs is not one): install @tensorflow/tfjs once, as a peer of trustnlu');
  }
  const outputs = (model as unknown as { outputs: tf.SymbolicTensor[] }).outputs;
  if (outputs.length !== 1 || outputs[0].shape.length !== 2) {
    throw new ConfigError(`model "${model.name}" must have one output of class probabilities [batch, classes]; it has ${outputs.map((o) => `[${o.shape.map((d) => d ?? 'null')}]`).join(', ')}`);
  }
  const classes = outputs[0].shape[1] as number;
  const parts = [];
  for (const cid of ids) parts.push({ name: cid, data: await options.clientFn(cid) });
  const { examples: train, ranges } = tensorExamplesFrom(parts);
  const { examples: evaluation } = tensorExamplesFrom([{ name: 'evaluationData', data: options.evaluationData }]);
  checkTargets(train, classes, loss, 'client data');
  checkTargets(evaluation, classes, loss, 'evaluationData');
  const same = (a: number[], b: number[]) => a.length === b.length && a.every((v, i) => v === b[i]);
  if (!same(evaluation.inputShape, train.inputShape) || evaluation.xDtype !== train.xDtype) {
    throw new ShapeMismatchError(`evaluationData xs is ${evaluation.xDtype} [n, ${evaluation.inputShape}], the clients' ${train.xDtype} [n, ${train.inputShape}]`);
  }
  const clients = ids.map((id, k) => ({ id, indices: Array.from(ranges[k]) }));
  const labels = Array.from(targetClasses(train, Array.from({ length: train.count }, (_, i) => i)), String);
  const data: FederatedDataset = {
    name: options.name ?? 'clientFn',
    synthetic: false,
    task: 'classifier',
    model: {
      kind: LAYERS_MODEL_KIND,
      labels: Array.from({ length: classes }, (_, c) => String(c)),
      config: { name: model.name },
      seed,
      layers: { ...layersModelSnapshot(model), loss },
    },
    train,
    evaluation,
    evaluationSplit: 'test',
    clients,
    partition: `clientFn(${ids.length} clients)`,
    summary: summarizePartition({ clients }, labels),
    notes: [],
  };
  return { data, model };
}

/** Writes the global parameters (trainable weights, in the model's order) into the user's model. */
export function writeGlobalModel(model: tf.LayersModel, parameters: ParameterSet, loss: UserModelLoss): void {
  writeModelParameters(new TappedLayersModel(model, { loss, warn: () => undefined }), parameters);
}
