/** Small models and batches of every kind, for gradient and tap tests. */
import { fitCharTokenizer, fitWordTokenizer } from '../../src/text/index.js';
import { createModel, type AnyModel, type HostBatch, MODEL_KINDS, isClassifierKind } from '../../src/models/index.js';
import { seededValues } from '../helpers.js';

const TEXTS = ['set an alarm for seven', 'play some jazz music', 'what is the weather in paris', 'call my mother now', 'turn on the kitchen lights'];

export const SMALL_CONFIG: Record<string, Record<string, unknown>> = {
  embbag: { embeddingDim: 8, hidden: 6, dropout: 0 },
  cnn: { embeddingDim: 8, kernelSizes: [1, 3], filters: 5, dropout: 0 },
  transformer: { embeddingDim: 8, heads: 2, layers: 2, ffnDim: 12, maxLength: 16, dropout: 0 },
  'char-lstm': { embeddingDim: 6, hidden: 7, layers: 2, contextLength: 5, dropout: 0 },
  'word-lstm': { embeddingDim: 6, hidden: 7, layers: 1, contextLength: 5, dropout: 0 },
  'char-transformer': { embeddingDim: 8, heads: 2, layers: 2, ffnDim: 12, contextLength: 6, dropout: 0 },
  'word-transformer': { embeddingDim: 8, heads: 2, layers: 1, ffnDim: 12, contextLength: 6, dropout: 0 },
};

export function smallModel(kind: string, seed = 1): AnyModel {
  const tokenizer = kind.startsWith('char') ? fitCharTokenizer(TEXTS) : fitWordTokenizer(TEXTS);
  return createModel({ kind, tokenizer, labels: isClassifierKind(kind) ? ['a', 'b', 'c'] : undefined, seed, config: SMALL_CONFIG[kind] });
}

/** A batch of 4 examples with some padding (classifiers) or full windows (LMs). */
export function smallBatch(model: AnyModel): HostBatch {
  const V = model.tokenizer.vocabSize;
  const B = 4;
  const T = model.task === 'classifier' ? 6 : (model.config as { contextLength: number }).contextLength;
  const r = seededValues(B * T * 2, 11);
  const ids = new Int32Array(B * T);
  const mask = new Float32Array(B * T);
  for (let i = 0; i < B; i++) {
    const len = model.task === 'classifier' ? T - i : T; // example i has i padding positions
    for (let t = 0; t < T; t++) {
      if (t < len) {
        ids[i * T + t] = 4 + Math.floor((r[i * T + t] + 0.5) * (V - 4));
        mask[i * T + t] = 1;
      }
    }
  }
  const targets = model.task === 'classifier'
    ? Int32Array.from([0, 1, 2, 1])
    : Int32Array.from(ids.map((_, j) => 4 + Math.floor((r[B * T + j] + 0.5) * (V - 4))));
  return { ids, mask, targets, size: B, length: T };
}

export { MODEL_KINDS };
