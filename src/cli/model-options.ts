/**
 * The model flags every command that reads a saved model shares: `--model PATH` is a trustnlu
 * checkpoint directory or a TensorFlow.js Layers model (its model.json, or a directory holding
 * one, written by tfjs, the Keras converter or trustnlu), `--vocab FILE` gives a model.json
 * without tokenizer.json its text-to-ids step, and `--labels` names its classes. Parsing and
 * checking only: loading is loadAnyModel in src/models.
 */
import { InvalidArgumentError, type Command } from 'commander';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { ConfigError, UsageError } from '../errors.js';
import { isLayersModelPath, layersModelDir, loadAnyModel, loadLayersModelDir, readTokenizerFile, wrapOptionsFromMetadata, type AnyModel, type LoadedModel } from '../models/index.js';
import type { UserTextModel } from '../federated/simulation/user-text-model.js';

export interface ModelFlags {
  model?: string;
  vocab?: string;
  labels?: string;
}

export const VOCAB_HELP = 'with a model.json: its tokenizer, a trustnlu tokenizer JSON or a plain vocabulary (one token per line, line k the token of id k; id 0 pads; a line <unk> or [UNK] for words outside it); default: tokenizer.json beside model.json';
export const LABELS_HELP = 'with a model.json: its class names in output order, comma-separated or a file with one per line (default: the labels trustnlu recorded in model.json)';

/** Adds --vocab and --labels (the command defines its own --model). */
export function addUserModelOptions(command: Command, options: { labels?: boolean } = {}): Command {
  command.option('--vocab <file>', VOCAB_HELP);
  if (options.labels !== false) command.option('--labels <list|file>', LABELS_HELP);
  return command;
}

/**
 * Class names from --labels: a file (one per line, or a JSON array) when the value names an
 * existing file, else a comma-separated list. Empty or repeated names are usage errors.
 */
export function parseLabels(value: string): string[] {
  let labels: string[];
  if (existsSync(value) && statSync(value).isFile()) {
    const text = readFileSync(value, 'utf8');
    if (/^\s*\[/.test(text)) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch (e) {
        throw new UsageError(`--labels ${value}: starts like a JSON array but is not valid JSON (${(e as Error).message})`);
      }
      if (!Array.isArray(parsed) || parsed.some((l) => typeof l !== 'string')) throw new UsageError(`--labels ${value}: a JSON labels file must be an array of strings`);
      labels = parsed as string[];
    } else {
      labels = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '');
    }
  } else {
    labels = value.split(',').map((l) => l.trim());
  }
  if (labels.length < 2 || labels.some((l) => l === '')) {
    throw new UsageError(`--labels must name at least two classes, comma-separated (a,b,c) or one per line in a file, with no empty name; got "${value}"`);
  }
  const seen = new Set<string>();
  for (const l of labels) {
    if (seen.has(l)) throw new UsageError(`--labels names "${l}" twice; each class once, in the model's output order`);
    seen.add(l);
  }
  return labels;
}

/** --vocab and --labels only describe a model.json: a trustnlu checkpoint carries its own. */
function checkModelOnlyFlags(path: string, flags: ModelFlags): void {
  if (isLayersModelPath(path)) return;
  const given = [flags.vocab !== undefined ? '--vocab' : '', flags.labels !== undefined ? '--labels' : ''].filter(Boolean);
  if (given.length > 0 && existsSync(path)) {
    throw new UsageError(`${given.join(' and ')} describe${given.length > 1 ? '' : 's'} a TensorFlow.js model.json; ${path} is a trustnlu checkpoint, which carries its tokenizer and labels: drop ${given.join(' and ')}`);
  }
}

/** The model --model names (checkpoint or model.json), with --vocab and --labels applied; the caller disposes it. */
export async function loadModelFromFlags(flags: ModelFlags): Promise<LoadedModel> {
  if (!flags.model) throw new UsageError('--model PATH is required (a trustnlu checkpoint directory, or a TensorFlow.js model.json or its directory)');
  const path = layersModelDir(flags.model);
  checkModelOnlyFlags(path, flags);
  const labels = flags.labels !== undefined ? parseLabels(flags.labels) : undefined;
  const tokenizer = flags.vocab !== undefined ? readTokenizerFile(flags.vocab) : undefined;
  return loadAnyModel(path, { tokenizer, labels });
}

/** True for a wrapped model.json whose classes have no names (trustnlu recorded none and --labels was not given). */
export function hasUnnamedLabels(model: AnyModel): boolean {
  return model.task === 'classifier' && model.kind === 'layers' && model.labels.every((l, i) => l === String(i));
}

/**
 * Every label of the data must be one of the model's classes: otherwise predictions and data
 * would be compared under different names (accuracy 0, silently). Names the fix when the
 * model's classes are unnamed.
 */
export function checkDataLabels(model: AnyModel, dataLabels: readonly string[], dataName: string, modelPath: string): void {
  if (model.task !== 'classifier') return;
  const known = new Set(model.labels);
  const unknown = dataLabels.filter((l) => !known.has(l));
  if (unknown.length === 0) return;
  const listed = `${unknown.slice(0, 3).join(', ')}${unknown.length > 3 ? ', ...' : ''}`;
  if (hasUnnamedLabels(model)) {
    throw new ConfigError(`${dataName} has labels (${listed}) but ${modelPath} names its ${model.labels.length} classes 0..${model.labels.length - 1} (its model.json records no labels): give them in output order with --labels a,b,c or --labels FILE`);
  }
  throw new ConfigError(`${dataName} has labels the model does not know (${listed}; the model's: ${model.labels.slice(0, 3).join(', ')}${model.labels.length > 3 ? ', ...' : ''})`);
}

/** A commander parser for `train --model`: a built-in kind, or a TensorFlow.js model.json (or its directory). */
export function parseModelKindOrPath(kinds: readonly string[]): (value: string) => string {
  return (value) => {
    if (kinds.includes(value)) return value;
    if (isLayersModelPath(value)) return value;
    const why = existsSync(value) ? ` (${value} holds no TensorFlow.js model.json with modelTopology)` : '';
    throw new InvalidArgumentError(`--model must be one of ${kinds.join(', ')}, or a TensorFlow.js model.json (or a directory holding one) to train, got "${value}"${why}`);
  };
}

/**
 * `--model PATH/model.json` as the bare tf.LayersModel with what the flags and the directory
 * say about it (federated commands train it on a text dataset): the tokenizer (--vocab, or
 * tokenizer.json beside it; none: fitted on the data), class names (--labels, or trustnlu's
 * metadata), the input length trustnlu recorded. The caller disposes the model.
 */
export async function loadUserTextModel(flags: ModelFlags): Promise<UserTextModel> {
  if (!flags.model) throw new UsageError('--model PATH is required (a TensorFlow.js model.json or its directory)');
  const labels = flags.labels !== undefined ? parseLabels(flags.labels) : undefined;
  const tokenizer = flags.vocab !== undefined ? readTokenizerFile(flags.vocab) : undefined;
  const loaded = await loadLayersModelDir(flags.model, { tokenizer });
  const fromMetadata = wrapOptionsFromMetadata(loaded.metadata);
  return { layersModel: loaded.model, tokenizer: loaded.tokenizer, labels: labels ?? fromMetadata.labels, maxLength: fromMetadata.maxLength };
}
