/**
 * Turning dataset examples into host batches: classification sets are encoded once
 * (token ids per text, class index per label); corpora become one token stream cut into
 * fixed-length next-token windows.
 */
import { ConfigError, DatasetFormatError } from '../errors.js';
import { EOS_ID, padSequences, languageModelWindows, type Tokenizer } from '../text/index.js';
import type { HostBatch } from '../models/index.js';
import type { TextExample, TextUnit } from '../data/types.js';

export interface EncodedClassificationSet {
  texts: string[];
  sequences: number[][];
  targets: Int32Array;
  size: number;
}

export function encodeClassification(
  examples: TextExample[],
  tokenizer: Tokenizer,
  labels: string[],
  maxLength: number,
): EncodedClassificationSet {
  const index = new Map(labels.map((l, i) => [l, i]));
  const targets = new Int32Array(examples.length);
  const sequences = examples.map((e, i) => {
    const t = index.get(e.label);
    if (t === undefined) {
      throw new DatasetFormatError(`example ${i} ("${e.text.slice(0, 40)}") has label "${e.label}", which the model does not know`);
    }
    targets[i] = t;
    return tokenizer.encode(e.text).slice(0, maxLength);
  });
  return { texts: examples.map((e) => e.text), sequences, targets, size: examples.length };
}

/** Texts only (prediction): targets are zeros. */
export function encodeTexts(texts: string[], tokenizer: Tokenizer, maxLength: number): EncodedClassificationSet {
  return {
    texts,
    sequences: texts.map((t) => tokenizer.encode(t).slice(0, maxLength)),
    targets: new Int32Array(texts.length),
    size: texts.length,
  };
}

export function classificationBatch(set: EncodedClassificationSet, indices: number[]): HostBatch {
  const padded = padSequences(indices.map((i) => set.sequences[i]));
  const targets = new Int32Array(indices.length);
  indices.forEach((idx, j) => (targets[j] = set.targets[idx]));
  return { ids: padded.ids, mask: padded.mask, targets, size: padded.size, length: padded.length };
}

/** How a unit of a corpus is written into the stream (Shakespeare turns keep their "SPEAKER:" line). */
export function unitText(unit: TextUnit): string {
  return unit.speaker !== undefined ? `${unit.speaker}:\n${unit.text}` : unit.text;
}

/**
 * One token stream for a corpus: characters with a blank line between units (char
 * tokenizer), or words with <eos> after each unit (word tokenizer).
 */
export function encodeCorpus(units: TextUnit[], tokenizer: Tokenizer): Int32Array {
  const out: number[] = [];
  for (const unit of units) {
    const text = unitText(unit);
    if (tokenizer.type === 'char') {
      for (const id of tokenizer.encode(`${text}\n\n`)) out.push(id);
    } else {
      for (const id of tokenizer.encode(text)) out.push(id);
      out.push(EOS_ID);
    }
  }
  return Int32Array.from(out);
}

export interface EncodedCorpus {
  inputs: Int32Array;
  targets: Int32Array;
  count: number;
  length: number;
  /** Tokens in the stream (for reporting). */
  tokens: number;
}

export function encodeWindows(units: TextUnit[], tokenizer: Tokenizer, length: number): EncodedCorpus {
  if (!(length >= 1)) throw new ConfigError(`context length must be ≥ 1, got ${length}`);
  const stream = encodeCorpus(units, tokenizer);
  const w = languageModelWindows(stream, length);
  return { ...w, tokens: stream.length };
}

export function windowBatch(corpus: EncodedCorpus, indices: number[]): HostBatch {
  const T = corpus.length;
  const ids = new Int32Array(indices.length * T);
  const targets = new Int32Array(indices.length * T);
  indices.forEach((w, j) => {
    ids.set(corpus.inputs.subarray(w * T, (w + 1) * T), j * T);
    targets.set(corpus.targets.subarray(w * T, (w + 1) * T), j * T);
  });
  return { ids, mask: new Float32Array(indices.length * T).fill(1), targets, size: indices.length, length: T };
}
