/**
 * Batching: token-id sequences padded to one length, with a mask that says which
 * positions are real. Plain typed arrays; models turn them into tensors.
 */
import { PAD_ID } from './tokenizer.js';

export interface PaddedBatch {
  /** [size, length] row-major token ids, PAD_ID beyond each sequence. */
  ids: Int32Array;
  /** [size, length]: 1 for a real token, 0 for padding. */
  mask: Float32Array;
  size: number;
  length: number;
}

/**
 * Pads (or truncates, keeping the start) every sequence to `length`, default the longest.
 * Empty sequences keep one <pad> position marked real so that pooling is defined.
 */
export function padSequences(sequences: number[][], length?: number): PaddedBatch {
  const size = sequences.length;
  const T = Math.max(1, length ?? sequences.reduce((m, s) => Math.max(m, s.length), 1));
  const ids = new Int32Array(size * T).fill(PAD_ID);
  const mask = new Float32Array(size * T);
  for (let i = 0; i < size; i++) {
    const s = sequences[i];
    const n = Math.min(s.length, T);
    for (let t = 0; t < n; t++) {
      ids[i * T + t] = s[t];
      mask[i * T + t] = 1;
    }
    if (n === 0) mask[i * T] = 1;
  }
  return { ids, mask, size, length: T };
}

/** Index batches of `batchSize` over n items, in the given order (last batch may be short). */
export function batchIndices(order: number[], batchSize: number): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < order.length; i += batchSize) out.push(order.slice(i, i + batchSize));
  return out;
}

export interface LanguageModelWindows {
  /** [count, length] inputs and next-token targets. */
  inputs: Int32Array;
  targets: Int32Array;
  count: number;
  length: number;
}

/**
 * Cuts a token stream into non-overlapping windows of `length` inputs and the following
 * tokens as targets (the standard next-token setup); a short tail is dropped.
 */
export function languageModelWindows(stream: ArrayLike<number>, length: number): LanguageModelWindows {
  const count = Math.max(0, Math.floor((stream.length - 1) / length));
  const inputs = new Int32Array(count * length);
  const targets = new Int32Array(count * length);
  for (let w = 0; w < count; w++) {
    for (let t = 0; t < length; t++) {
      inputs[w * length + t] = stream[w * length + t];
      targets[w * length + t] = stream[w * length + t + 1];
    }
  }
  return { inputs, targets, count, length };
}
