/**
 * Building models by kind, and moving them to and from the checkpoint format (engine/io):
 * architecture config, tokenizer and labels travel inside the checkpoint, so a saved model
 * loads and predicts on its own.
 */
import { saveCheckpoint, loadCheckpoint, type NamedWeight } from '../engine/index.js';
import { CheckpointError, ConfigError } from '../errors.js';
import { tokenizerFromJSON, type Tokenizer, type TokenizerJSON } from '../text/index.js';
import { IntentClassifier, CLASSIFIER_DEFAULTS, type ClassifierConfig } from './classifiers/classifier.js';
import { NextTokenModel, LANGUAGE_MODEL_DEFAULTS, type LanguageModelConfig } from './lm/language-model.js';
import { isClassifierKind, isLanguageModelKind, LAYERS_MODEL_KIND, MODEL_KINDS, type ClassifierModel, type LanguageModel, type Model } from './model.js';
import { LayersClassifier, LayersLanguageModel, wrapLayersModel, wrapOptionsFromMetadata } from './layers-model/adapter.js';
import { isLayersModelPath, layersModelDir, loadLayersModelDir, readLayersWeights, writeLayersModelDir } from './layers-model/io.js';

export type AnyModel = ClassifierModel | LanguageModel;

export interface CreateModelOptions {
  kind: string;
  tokenizer: Tokenizer;
  /** Classifiers only. */
  labels?: string[];
  seed: number;
  /** Overrides of the kind's default hyper-parameters. */
  config?: Partial<ClassifierConfig> | Partial<LanguageModelConfig>;
  /** Classifiers only: initial embedding table [vocab·dim]. */
  initialEmbeddings?: Float32Array;
}

export function defaultConfig(kind: string): ClassifierConfig | LanguageModelConfig {
  if (isClassifierKind(kind)) return { ...CLASSIFIER_DEFAULTS[kind] };
  if (isLanguageModelKind(kind)) return { ...LANGUAGE_MODEL_DEFAULTS[kind] };
  throw new ConfigError(`unknown model "${kind}": choose one of ${MODEL_KINDS.join(', ')}`);
}

/** Overrides must name the architecture's own hyper-parameters, with values of their type. */
function checkOverrides(kind: string, defaults: object, overrides: object): void {
  const known = defaults as Record<string, unknown>;
  for (const [key, value] of Object.entries(overrides)) {
    if (key === 'kind') continue;
    if (!(key in known)) {
      throw new ConfigError(`model "${kind}" has no hyper-parameter "${key}"; its hyper-parameters: ${Object.keys(known).filter((k) => k !== 'kind').join(', ')}`);
    }
    const expected = Array.isArray(known[key]) ? 'array' : typeof known[key];
    const given = Array.isArray(value) ? 'array' : typeof value;
    if (given !== expected || (given === 'number' && !Number.isFinite(value))) {
      throw new ConfigError(`model "${kind}": hyper-parameter "${key}" must be a${expected === 'array' ? 'n array' : ` finite ${expected}`}, got ${JSON.stringify(value)}`);
    }
  }
}

export function createModel(options: CreateModelOptions): AnyModel {
  const { kind } = options;
  const defaults = defaultConfig(kind);
  if (options.config) checkOverrides(kind, defaults, options.config);
  const config = { ...defaults, ...(options.config ?? {}), kind };
  if (isClassifierKind(kind)) {
    if (!options.labels) throw new ConfigError(`model "${kind}" is a classifier and needs labels`);
    return new IntentClassifier(config as ClassifierConfig, options.tokenizer, options.labels, options.seed, options.initialEmbeddings);
  }
  if (options.tokenizer.type === 'char' && kind.startsWith('word')) throw new ConfigError(`model "${kind}" needs a word tokenizer`);
  if (options.tokenizer.type === 'word' && kind.startsWith('char')) throw new ConfigError(`model "${kind}" needs a char tokenizer`);
  return new NextTokenModel(config as LanguageModelConfig, options.tokenizer, options.seed);
}

export function modelWeights(model: Model): NamedWeight[] {
  return model.parameters().map((p) => ({
    name: p.name,
    shape: p.variable.shape,
    values: p.variable.dataSync() as Float32Array,
  }));
}

/**
 * Saves a model to `dir`: the trustnlu checkpoint format for the built-in architectures, the
 * TensorFlow.js Layers format (model.json + weights.bin + tokenizer.json, `meta` in its
 * userDefinedMetadata) for a wrapped tf.LayersModel.
 */
export function saveModel(dir: string, model: AnyModel, meta: Record<string, unknown> = {}): void {
  if (model instanceof LayersClassifier || model instanceof LayersLanguageModel) {
    writeLayersModelDir(dir, model.layersModel, {
      tokenizer: model.tokenizer,
      metadata: {
        task: model.task,
        kind: LAYERS_MODEL_KIND,
        labels: model.task === 'classifier' ? model.labels : undefined,
        maxLength: model.task === 'classifier' ? model.maxLength : model.contextLength,
        tokenizer: 'tokenizer.json',
        meta,
      },
    });
    return;
  }
  saveCheckpoint(dir, {
    kind: model.kind,
    config: model.config,
    tokenizer: model.tokenizer.toJSON(),
    labels: model.task === 'classifier' ? model.labels : undefined,
    meta,
    weights: modelWeights(model),
  });
}

export interface LoadedModel {
  model: AnyModel;
  meta: Record<string, unknown>;
}

/** Weights by name from either format (sync), and the kind they belong to ('layers' for a TensorFlow.js Layers model). */
export function readModelWeights(dir: string): { kind: string; weights: { name: string; shape: number[]; values: Float32Array }[] } {
  if (isLayersModelPath(dir)) return { kind: LAYERS_MODEL_KIND, weights: readLayersWeights(dir) };
  const checkpoint = loadCheckpoint(dir);
  return { kind: checkpoint.kind, weights: checkpoint.weights };
}

/**
 * Loads a trustnlu checkpoint, or a TensorFlow.js Layers model directory (or its model.json)
 * with its tokenizer.json (or `options.tokenizer`), as a trustnlu model. A classifier's
 * labels come from trustnlu's metadata when it wrote the model, else from `options.labels`
 * (in output order), else they are "0", "1", ...
 */
export async function loadAnyModel(path: string, options: { tokenizer?: Tokenizer; labels?: string[] } = {}): Promise<LoadedModel> {
  if (!isLayersModelPath(path)) return loadModel(path);
  const loaded = await loadLayersModelDir(path, options);
  if (!loaded.tokenizer) {
    loaded.model.dispose();
    throw new CheckpointError(`${layersModelDir(path)}: no tokenizer.json beside model.json; pass a tokenizer (or --vocab FILE) to turn text into the model's ids`);
  }
  const fromMetadata = wrapOptionsFromMetadata(loaded.metadata);
  const model = wrapLayersModel(loaded.model, { tokenizer: loaded.tokenizer, ...fromMetadata, labels: options.labels ?? fromMetadata.labels });
  return { model, meta: (loaded.metadata?.meta as Record<string, unknown> | undefined) ?? {} };
}

export function loadModel(dir: string): LoadedModel {
  if (isLayersModelPath(dir)) {
    throw new CheckpointError(`${dir} holds a TensorFlow.js Layers model (model.json with modelTopology): load it with loadAnyModel or loadLayersModelDir (asynchronous)`);
  }
  const checkpoint = loadCheckpoint(dir);
  const tokenizer = tokenizerFromJSON(checkpoint.tokenizer as TokenizerJSON);
  let model: AnyModel;
  try {
    model = createModel({
      kind: checkpoint.kind,
      tokenizer,
      labels: checkpoint.labels,
      seed: 0,
      config: checkpoint.config as Partial<ClassifierConfig>,
    });
  } catch (e) {
    throw new CheckpointError(`${dir}: cannot rebuild the model (${(e as Error).message})`);
  }
  const expected = new Set(model.parameters().map((p) => p.name));
  const present = new Set(checkpoint.weights.map((w) => w.name));
  const missing = [...expected].filter((n) => !present.has(n));
  if (missing.length > 0) {
    model.dispose();
    throw new CheckpointError(`${dir}: weights missing for ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', ...' : ''}`);
  }
  model.store.assign(checkpoint.weights);
  return { model, meta: checkpoint.meta };
}
