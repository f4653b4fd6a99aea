/**
 * A user's tf.LayersModel (a model.json: `fl simulate --model PATH/model.json`, `fl serve`)
 * trained federated on a text dataset: the model takes token ids, so it comes with its
 * tokenizer (tokenizer.json beside model.json, or --vocab) or gets a word tokenizer fitted on
 * the training split and capped at the ids its Embedding takes; its classes are its labels
 * (trustnlu's metadata, or --labels) or the dataset's, in order. Classifiers only: a language
 * model.json is refused (federated language models of the user's own are not supported yet).
 */
import { ConfigError } from '../../errors.js';
import { LAYERS_MODEL_KIND, allLayers, layersModelSnapshot, wrapLayersModel } from '../../models/index.js';
import { fitWordTokenizer, type Tokenizer } from '../../text/index.js';
import type { tf } from '../../engine/index.js';
import type { ModelSpec } from './federated-dataset.js';

export interface UserTextModel {
  layersModel: tf.LayersModel;
  /** The tokenizer it was trained with (default: a word tokenizer fitted on the training split). */
  tokenizer?: Tokenizer;
  /** Its class names in output order (default: the dataset's labels). */
  labels?: string[];
  /** Longest input in tokens (default: the model's fixed input length, else 48). */
  maxLength?: number;
}

/** The worker's model spec for the user's model on `labels`-classified texts, and the tokenizer and length to encode them with. */
export function userTextModelSpec(user: UserTextModel, data: { name: string; labels: string[]; trainTexts: string[] }, seed: number): { spec: ModelSpec; tokenizer: Tokenizer; labels: string[]; maxLength: number } {
  const model = user.layersModel;
  const outputs = (model as unknown as { outputs: tf.SymbolicTensor[] }).outputs;
  if (outputs.length !== 1 || outputs[0].shape.length !== 2) {
    throw new ConfigError(`model "${model.name}" outputs ${outputs.map((o) => `[${o.shape.map((d) => d ?? 'null')}]`).join(', ')}; federated training of a model.json takes classifiers (one output [batch, classes]) on intent data`);
  }
  const classes = outputs[0].shape[1] as number;
  const labels = user.labels ?? data.labels;
  if (labels.length !== classes) {
    throw new ConfigError(`model "${model.name}" outputs ${classes} classes but ${user.labels ? 'its labels name' : `dataset "${data.name}" has`} ${labels.length}${user.labels ? '' : ': give the model\'s class names in output order (--labels)'}`);
  }
  const unknown = data.labels.filter((l) => !labels.includes(l));
  if (unknown.length > 0) throw new ConfigError(`dataset "${data.name}" has labels that are not among the model's classes (${unknown.slice(0, 3).join(', ')}${unknown.length > 3 ? ', ...' : ''})`);
  const embedding = allLayers(model).find((l) => l.getClassName() === 'Embedding') as unknown as { inputDim: number } | undefined;
  const tokenizer = user.tokenizer ?? fitWordTokenizer(data.trainTexts, { minCount: 1, maxSize: Math.min(20000, embedding?.inputDim ?? 20000) });
  const inputs = (model as unknown as { inputs: tf.SymbolicTensor[] }).inputs;
  const fixed = inputs.length === 1 && typeof inputs[0].shape[1] === 'number' ? inputs[0].shape[1] : undefined;
  const maxLength = user.maxLength ?? fixed ?? 48;
  // Wrapping checks the input, the Embedding's size against the tokenizer, the output (one line each).
  wrapLayersModel(model, { tokenizer, task: 'classifier', labels, maxLength, warn: () => undefined });
  const spec: ModelSpec = {
    kind: LAYERS_MODEL_KIND,
    tokenizer: tokenizer.toJSON(),
    labels,
    config: { name: model.name, maxLength },
    seed,
    layers: { ...layersModelSnapshot(model), loss: 'sparseCategoricalCrossentropy' },
  };
  return { spec, tokenizer, labels, maxLength };
}

