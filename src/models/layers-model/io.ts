/**
 * The TensorFlow.js Layers format on disk (Node), in and out: a directory holding
 * `model.json` (topology, weight manifest, userDefinedMetadata) and `weights.bin`, as tfjs's
 * own `model.save` and the Keras-to-tfjs converter write them, plus trustnlu's tokenizer as
 * `tokenizer.json` beside them. Plain `tf.loadLayersModel` reads what is written here
 * (with `trustnlu/layers` imported when the model uses its layers), and `loadLayersModelDir`
 * reads what tfjs wrote (any number of weight files and groups).
 *
 * Writing is synchronous (the trainer saves its best model between steps), atomic per file
 * (temporary file, then rename; model.json last).
 */
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { tf, type NamedWeight } from '../../engine/index.js';
import { CheckpointError } from '../../errors.js';
import '../../layers/index.js'; // registers trustnlu's layer classes for loading
import { plainVocabularyTokenizer, tokenizerFromJSON, type Tokenizer, type TokenizerJSON } from '../../text/index.js';
import type { AnyModel } from '../serialize.js';
import { toLayersModel, type LayersModelMetadata } from './export.js';

export const LAYERS_MODEL_FILE = 'model.json';
export const LAYERS_WEIGHTS_FILE = 'weights.bin';
export const LAYERS_TOKENIZER_FILE = 'tokenizer.json';

interface ManifestGroup {
  paths: string[];
  weights: { name: string; shape: number[]; dtype: string; quantization?: unknown }[];
}

interface ModelJson {
  modelTopology: object;
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
  weightsManifest: ManifestGroup[];
  userDefinedMetadata?: { trustnlu?: LayersModelMetadata } & Record<string, unknown>;
}

function writeAtomic(path: string, data: string | Uint8Array): void {
  writeFileSync(`${path}.tmp`, data);
  renameSync(`${path}.tmp`, path);
}

/** The directory holding model.json, given the directory or the model.json path. */
export function layersModelDir(path: string): string {
  return existsSync(path) && statSync(path).isFile() ? dirname(path) : path;
}

function readModelJson(dir: string): ModelJson {
  const file = join(dir, LAYERS_MODEL_FILE);
  if (!existsSync(file)) throw new CheckpointError(`${dir}: no ${LAYERS_MODEL_FILE} (a TensorFlow.js Layers model directory holds model.json and its weight files)`);
  let json: ModelJson;
  try {
    json = JSON.parse(readFileSync(file, 'utf8')) as ModelJson;
  } catch (e) {
    throw new CheckpointError(`${file}: not valid JSON (${(e as Error).message})`);
  }
  if (!json || typeof json.modelTopology !== 'object' || !Array.isArray(json.weightsManifest)) {
    throw new CheckpointError(`${file}: not a TensorFlow.js Layers model (it needs "modelTopology" and "weightsManifest")`);
  }
  return json;
}

/** True when `path` (a directory or a model.json) holds a TensorFlow.js Layers model, not a trustnlu checkpoint. */
export function isLayersModelPath(path: string): boolean {
  const file = join(layersModelDir(path), LAYERS_MODEL_FILE);
  if (!existsSync(file)) return false;
  try {
    const json = JSON.parse(readFileSync(file, 'utf8')) as Partial<ModelJson>;
    return typeof json.modelTopology === 'object' && Array.isArray(json.weightsManifest);
  } catch {
    return false;
  }
}

/** The weight files of a manifest, concatenated in manifest order (as tfjs's loaders do). */
function readWeightData(dir: string, manifest: ManifestGroup[]): ArrayBuffer {
  const parts = manifest.flatMap((group) => group.paths.map((p) => {
    const file = join(dir, p);
    if (!existsSync(file)) throw new CheckpointError(`${dir}: weight file "${p}" named in model.json is missing`);
    return readFileSync(file);
  }));
  const total = parts.reduce((n, b) => n + b.byteLength, 0);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const b of parts) {
    out.set(b, offset);
    offset += b.byteLength;
  }
  return out.buffer;
}

/** float32 weights by manifest name, read synchronously (e.g. to restore a trained model's weights). */
export function readLayersWeights(path: string): NamedWeight[] {
  const dir = layersModelDir(path);
  const json = readModelJson(dir);
  const data = readWeightData(dir, json.weightsManifest);
  const out: NamedWeight[] = [];
  let offset = 0;
  for (const spec of json.weightsManifest.flatMap((g) => g.weights)) {
    const size = spec.shape.reduce((p, n) => p * n, 1);
    if (spec.quantization || (spec.dtype !== 'float32' && spec.dtype !== 'int32')) throw new CheckpointError(`${dir}: weight "${spec.name}" is ${spec.quantization ? 'quantized' : spec.dtype}; load it with loadLayersModelDir instead`);
    if (offset + 4 * size > data.byteLength) throw new CheckpointError(`${dir}: the weight files hold ${data.byteLength} bytes, fewer than the manifest describes`);
    const values = spec.dtype === 'float32' ? new Float32Array(data.slice(offset, offset + 4 * size)) : Float32Array.from(new Int32Array(data.slice(offset, offset + 4 * size)));
    out.push({ name: spec.name, shape: spec.shape, values });
    offset += 4 * size;
  }
  return out;
}

export interface WriteLayersOptions {
  tokenizer?: Tokenizer;
  metadata?: LayersModelMetadata;
}

/**
 * Writes `model` to `dir` in the TensorFlow.js Layers format (model.json, weights.bin), and
 * the tokenizer as tokenizer.json. trustnlu's metadata goes into userDefinedMetadata.
 */
export function writeLayersModelDir(dir: string, model: tf.LayersModel, options: WriteLayersOptions = {}): void {
  mkdirSync(dir, { recursive: true });
  const weights = model.weights;
  const specs = weights.map((w) => ({ name: w.originalName, shape: w.shape as number[], dtype: w.dtype }));
  const arrays = weights.map((w) => w.read().dataSync() as Float32Array | Int32Array);
  const bytes = new Uint8Array(arrays.reduce((n, a) => n + a.byteLength, 0));
  let offset = 0;
  for (const a of arrays) {
    bytes.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), offset);
    offset += a.byteLength;
  }
  const previous = (model.getUserDefinedMetadata() ?? {}) as Record<string, unknown>;
  const metadata = options.metadata ? { ...previous, trustnlu: options.metadata } : previous;
  const json: ModelJson = {
    modelTopology: model.toJSON(null, false) as object,
    format: 'layers-model',
    generatedBy: `TensorFlow.js tfjs-layers v${tf.version_layers}`,
    convertedBy: 'trustnlu',
    weightsManifest: [{ paths: [LAYERS_WEIGHTS_FILE], weights: specs }],
  };
  if (Object.keys(metadata).length > 0) json.userDefinedMetadata = metadata as ModelJson['userDefinedMetadata'];
  writeAtomic(join(dir, LAYERS_WEIGHTS_FILE), bytes);
  if (options.tokenizer) writeAtomic(join(dir, LAYERS_TOKENIZER_FILE), JSON.stringify(options.tokenizer.toJSON()));
  writeAtomic(join(dir, LAYERS_MODEL_FILE), JSON.stringify(json));
}

/**
 * Exports a trustnlu model (any architecture) to `dir` in the TensorFlow.js Layers format,
 * with its tokenizer beside it: plain tf.loadLayersModel (after importing trustnlu/layers)
 * loads it and predicts the same probabilities.
 */
export function exportLayersModel(dir: string, model: AnyModel): void {
  const layersModel = toLayersModel(model);
  try {
    writeLayersModelDir(dir, layersModel, { tokenizer: model.tokenizer, metadata: (layersModel.getUserDefinedMetadata() as { trustnlu?: LayersModelMetadata } | undefined)?.trustnlu });
  } finally {
    layersModel.dispose();
  }
}

/**
 * A tokenizer from a file: trustnlu's tokenizer JSON ({ "type": "word" | "char", "tokens": [...] },
 * as tokenizer.json beside an exported model), or a plain vocabulary, one token per line in id
 * order (plainVocabularyTokenizer: id 0 pads, a line <unk> or [UNK] is the unknown token). A
 * file whose first non-blank character is "{" is read as JSON.
 */
export function readTokenizerFile(path: string): Tokenizer {
  if (!existsSync(path) || !statSync(path).isFile()) throw new CheckpointError(`${path}: no such vocabulary or tokenizer file`);
  const text = readFileSync(path, 'utf8');
  if (/^\s*\{/.test(text)) {
    let json: TokenizerJSON;
    try {
      json = JSON.parse(text) as TokenizerJSON;
    } catch (e) {
      throw new CheckpointError(`${path}: starts like a tokenizer JSON but is not valid JSON (${(e as Error).message})`);
    }
    try {
      return tokenizerFromJSON(json);
    } catch (e) {
      throw new CheckpointError(`${path}: ${(e as Error).message}`);
    }
  }
  try {
    return plainVocabularyTokenizer(text, path);
  } catch (e) {
    throw new CheckpointError((e as Error).message);
  }
}

export interface LoadedLayersModel {
  model: tf.LayersModel;
  /** tokenizer.json beside model.json, or the one given. */
  tokenizer?: Tokenizer;
  /** What trustnlu recorded when it wrote the model (absent for other models). */
  metadata?: LayersModelMetadata;
  dir: string;
}

/** An IOHandler reading model.json and its weight files from a directory (Node). */
export function layersDirHandler(path: string): tf.io.IOHandler {
  const dir = layersModelDir(path);
  return {
    load: async () => {
      const json = readModelJson(dir);
      return {
        modelTopology: json.modelTopology,
        format: json.format,
        generatedBy: json.generatedBy,
        convertedBy: json.convertedBy ?? undefined,
        weightSpecs: json.weightsManifest.flatMap((g) => g.weights) as tf.io.WeightsManifestEntry[],
        weightData: readWeightData(dir, json.weightsManifest),
        userDefinedMetadata: json.userDefinedMetadata as { [key: string]: {} } | undefined,
      };
    },
  };
}

/**
 * A tfjs save handler writing `dir` as tfjs-node's file:// handler does: model.json (topology,
 * one weight group in weights.bin, the user's metadata) and weights.bin, atomically per file.
 */
export function layersDirSaveHandler(dir: string): tf.io.IOHandler {
  return {
    save: async (artifacts) => {
      if (!(artifacts.modelTopology && typeof artifacts.modelTopology === 'object' && !(artifacts.modelTopology instanceof ArrayBuffer))) {
        throw new CheckpointError(`${dir}: only Layers models (a JSON topology) can be saved here, not a graph model`);
      }
      mkdirSync(dir, { recursive: true });
      const parts = artifacts.weightData === undefined ? [] : Array.isArray(artifacts.weightData) ? artifacts.weightData : [artifacts.weightData];
      const bytes = new Uint8Array(parts.reduce((n, b) => n + b.byteLength, 0));
      let offset = 0;
      for (const b of parts) {
        bytes.set(new Uint8Array(b), offset);
        offset += b.byteLength;
      }
      const json: ModelJson = {
        modelTopology: artifacts.modelTopology,
        format: artifacts.format ?? 'layers-model',
        generatedBy: artifacts.generatedBy ?? `TensorFlow.js tfjs-layers v${tf.version_layers}`,
        convertedBy: artifacts.convertedBy ?? null,
        weightsManifest: [{ paths: [LAYERS_WEIGHTS_FILE], weights: artifacts.weightSpecs ?? [] }],
      };
      if (artifacts.userDefinedMetadata) json.userDefinedMetadata = artifacts.userDefinedMetadata as ModelJson['userDefinedMetadata'];
      writeAtomic(join(dir, LAYERS_WEIGHTS_FILE), bytes);
      writeAtomic(join(dir, LAYERS_MODEL_FILE), JSON.stringify(json));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON', modelTopologyBytes: JSON.stringify(artifacts.modelTopology).length, weightDataBytes: bytes.byteLength } };
    },
  };
}

/**
 * Loads a TensorFlow.js Layers model directory (or its model.json) — written by trustnlu,
 * by tfjs's model.save, or by the Keras converter — with the tokenizer beside it if there
 * is one (or `options.tokenizer`).
 */
export async function loadLayersModelDir(path: string, options: { tokenizer?: Tokenizer } = {}): Promise<LoadedLayersModel> {
  const dir = layersModelDir(path);
  let model: tf.LayersModel;
  try {
    model = await tf.loadLayersModel(layersDirHandler(dir));
  } catch (e) {
    if (e instanceof CheckpointError) throw e;
    const message = (e as Error).message;
    const hint = /Unknown layer/.test(message) ? ": it uses a layer class that is not registered (import trustnlu/layers, or register your own custom layers, before loading)" : '';
    throw new CheckpointError(`${join(dir, LAYERS_MODEL_FILE)}: tfjs could not load it (${message})${hint}`);
  }
  let tokenizer = options.tokenizer;
  const tokenizerFile = join(dir, LAYERS_TOKENIZER_FILE);
  if (!tokenizer && existsSync(tokenizerFile)) {
    try {
      tokenizer = readTokenizerFile(tokenizerFile);
    } catch (e) {
      model.dispose();
      throw e;
    }
  }
  const metadata = (model.getUserDefinedMetadata() as { trustnlu?: LayersModelMetadata } | undefined)?.trustnlu;
  return { model, tokenizer, metadata, dir };
}
