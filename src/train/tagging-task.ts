/**
 * Joint intent + slot tagging as a training task: utterances given as whitespace tokens with
 * one BIO tag each (SNIPS's seq.in/seq.out), encoded one id per token so tags stay aligned,
 * batched with [B, 1 + T] targets (intent, then tags), and scored by intent accuracy, tag
 * accuracy and span-level slot F1 (a span counts when its type and both ends match).
 */
import { tf } from '../engine/index.js';
import { ConfigError, DatasetFormatError } from '../errors.js';
import { INFERENCE, toTensorBatch, type AnyModel, type HostBatch, type JointIntentSlotModel } from '../models/index.js';
import { WordTokenizer, batchIndices, buildVocabulary, padSequences } from '../text/index.js';
import type { IntentDataset, SplitName, TextExample } from '../data/types.js';
import type { TrainingTask, ValidationResult } from './tasks.js';

export interface EncodedTaggedSet {
  sequences: number[][];
  intents: Int32Array;
  tags: number[][];
  size: number;
}

export interface TaggingMetrics {
  intentAccuracy: number;
  /** Fraction of real tokens whose tag is right. */
  tagAccuracy: number;
  /** Span-level F1 over slot spans. */
  slotF1: number;
}

function tokensOf(example: TextExample, i: number): { tokens: string[]; slots: string[] } {
  if (!example.tokens || !example.slots || example.tokens.length !== example.slots.length) {
    throw new DatasetFormatError(`example ${i} ("${example.text.slice(0, 40)}") has no aligned tokens and slot tags: slot tagging needs a dataset with BIO tags per token (e.g. snips)`);
  }
  return { tokens: example.tokens, slots: example.slots };
}

/** A word vocabulary over the lowercased whitespace tokens of the examples (plus `extra` tokens). */
export function fitTaggingTokenizer(examples: TextExample[], extra: string[] = []): WordTokenizer {
  return new WordTokenizer(buildVocabulary([...examples.map((e, i) => tokensOf(e, i).tokens.map((t) => t.toLowerCase())), extra]));
}

/** Every tag of the examples, 'O' first, then sorted (B-x before I-x). */
export function slotLabelsOf(examples: Iterable<TextExample>): string[] {
  const tags = new Set<string>();
  let i = 0;
  for (const e of examples) for (const s of tokensOf(e, i++).slots) tags.add(s);
  tags.delete('O');
  return ['O', ...[...tags].sort()];
}

export function encodeTagged(examples: TextExample[], tokenizer: WordTokenizer, intents: string[], slotLabels: string[], maxLength: number): EncodedTaggedSet {
  const intentIndex = new Map(intents.map((l, i) => [l, i]));
  const tagIndex = new Map(slotLabels.map((l, i) => [l, i]));
  const intentTargets = new Int32Array(examples.length);
  const sequences: number[][] = [];
  const tags: number[][] = [];
  examples.forEach((e, i) => {
    const { tokens, slots } = tokensOf(e, i);
    const intent = intentIndex.get(e.label);
    if (intent === undefined) throw new DatasetFormatError(`example ${i} has intent "${e.label}", which the model does not know`);
    intentTargets[i] = intent;
    sequences.push(tokens.slice(0, maxLength).map((t) => tokenizer.idOf(t.toLowerCase())));
    tags.push(slots.slice(0, maxLength).map((s) => {
      const t = tagIndex.get(s);
      if (t === undefined) throw new DatasetFormatError(`example ${i} has slot tag "${s}", which the model does not know`);
      return t;
    }));
  });
  return { sequences, intents: intentTargets, tags, size: examples.length };
}

export function taggedBatch(set: EncodedTaggedSet, indices: number[]): HostBatch {
  const padded = padSequences(indices.map((i) => set.sequences[i]));
  const T = padded.length;
  const targets = new Int32Array(indices.length * (T + 1));
  indices.forEach((idx, j) => {
    targets[j * (T + 1)] = set.intents[idx];
    set.tags[idx].forEach((t, p) => (targets[j * (T + 1) + 1 + p] = t));
  });
  return { ids: padded.ids, mask: padded.mask, targets, size: padded.size, length: T };
}

/** Slot spans of a BIO sequence as "type:start:end" keys (an I- without its B- opens a span, as conlleval does). */
export function slotSpans(tags: string[]): Set<string> {
  const spans = new Set<string>();
  let type: string | null = null;
  let start = 0;
  const close = (end: number) => {
    if (type !== null) spans.add(`${type}:${start}:${end}`);
    type = null;
  };
  tags.forEach((tag, t) => {
    const [prefix, name] = tag === 'O' ? ['O', ''] : [tag.slice(0, 2), tag.slice(2)];
    if (prefix === 'B-' || (prefix === 'I-' && name !== type)) {
      close(t);
      type = name;
      start = t;
    } else if (prefix === 'O') close(t);
  });
  close(tags.length);
  return spans;
}

/** Predicted intents and tags of a set, in batches inside tf.tidy. */
export function predictTagged(model: JointIntentSlotModel, set: EncodedTaggedSet, batchSize = 256): { intents: Int32Array; tags: number[][] } {
  const intents = new Int32Array(set.size);
  const tags: number[][] = [];
  const order = Array.from({ length: set.size }, (_, i) => i);
  for (const indices of batchIndices(order, batchSize)) {
    const host = taggedBatch(set, indices);
    const [i, t] = tf.tidy(() => {
      const scores = model.scores(toTensorBatch(host, 'tagger'), INFERENCE);
      return [tf.argMax(scores.intent, 1).dataSync() as Int32Array, tf.argMax(scores.tags, 2).dataSync() as Int32Array];
    });
    indices.forEach((idx, j) => {
      intents[idx] = i[j];
      tags.push(Array.from(t.subarray(j * host.length, j * host.length + set.tags[idx].length)));
    });
  }
  return { intents, tags };
}

/** Metrics of predictions against a set's targets. */
export function taggingMetrics(set: EncodedTaggedSet, predicted: { intents: ArrayLike<number>; tags: number[][] }, slotLabels: string[]): TaggingMetrics {
  if (set.size === 0) throw new ConfigError('no examples to score');
  let intentRight = 0;
  let tokens = 0;
  let tagRight = 0;
  let truePositive = 0;
  let predictedSpans = 0;
  let goldSpans = 0;
  for (let i = 0; i < set.size; i++) {
    if (predicted.intents[i] === set.intents[i]) intentRight++;
    const gold = set.tags[i];
    const guess = predicted.tags[i];
    for (let p = 0; p < gold.length; p++) {
      tokens++;
      if (guess[p] === gold[p]) tagRight++;
    }
    const g = slotSpans(gold.map((t) => slotLabels[t]));
    const q = slotSpans(guess.map((t) => slotLabels[t]));
    goldSpans += g.size;
    predictedSpans += q.size;
    for (const s of q) if (g.has(s)) truePositive++;
  }
  const precision = predictedSpans ? truePositive / predictedSpans : 0;
  const recall = goldSpans ? truePositive / goldSpans : 0;
  return {
    intentAccuracy: intentRight / set.size,
    tagAccuracy: tokens ? tagRight / tokens : 0,
    slotF1: precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0,
  };
}

/** What always answering the training split's most frequent intent, and 'O' for every token, scores. */
export function majorityTaggingBaseline(train: EncodedTaggedSet, set: EncodedTaggedSet, slotLabels: string[]): TaggingMetrics {
  const counts = new Map<number, number>();
  for (const i of train.intents) counts.set(i, (counts.get(i) ?? 0) + 1);
  const majority = [...counts.entries()].sort((a, b) => b[1] - a[1])[0][0];
  return taggingMetrics(set, { intents: new Int32Array(set.size).fill(majority), tags: set.tags.map((t) => t.map(() => 0)) }, slotLabels);
}

export class TaggingTask implements TrainingTask {
  readonly task = 'tagger' as const;
  readonly sets: Record<SplitName, EncodedTaggedSet>;

  constructor(readonly dataset: IntentDataset, tokenizer: WordTokenizer, readonly intents: string[], readonly slotLabels: string[], maxLength: number) {
    const encode = (split: SplitName) => encodeTagged(dataset.splits[split], tokenizer, intents, slotLabels, maxLength);
    this.sets = { train: encode('train'), val: encode('val'), test: encode('test') };
  }

  get trainSize(): number {
    return this.sets.train.size;
  }

  trainBatch(indices: number[]): HostBatch {
    return taggedBatch(this.sets.train, indices);
  }

  evaluate(model: JointIntentSlotModel, split: SplitName): TaggingMetrics {
    return taggingMetrics(this.sets[split], predictTagged(model, this.sets[split]), this.slotLabels);
  }

  /** Early stopping and the best epoch follow the mean of intent accuracy and slot F1. */
  validate(model: AnyModel): ValidationResult {
    const m = this.evaluate(model as unknown as JointIntentSlotModel, 'val');
    return { metrics: { ...m }, score: (m.intentAccuracy + m.slotF1) / 2 };
  }
}
