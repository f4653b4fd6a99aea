/**
 * A training task binds a model type to its data: how to make a training batch from
 * example indices and how to score the model on validation data (higher is better).
 */
import type { AnyModel, ClassifierModel, HostBatch, LanguageModel } from '../models/index.js';
import type { Tokenizer } from '../text/index.js';
import type { IntentDataset, TextCorpus, SplitName } from '../data/types.js';
import { classificationBatch, encodeClassification, encodeWindows, windowBatch, type EncodedClassificationSet, type EncodedCorpus } from './examples.js';
import { classifierMetrics, classifierOutputs, languageModelMetrics } from './evaluation.js';

export interface ValidationResult {
  metrics: Record<string, number>;
  /** The number early stopping and best-checkpoint selection maximise. */
  score: number;
}

export interface TrainingTask {
  readonly task: 'classifier' | 'lm' | 'tagger';
  readonly trainSize: number;
  trainBatch(indices: number[]): HostBatch;
  validate(model: AnyModel): ValidationResult;
}

export class ClassificationTask implements TrainingTask {
  readonly task = 'classifier' as const;
  readonly sets: Record<SplitName, EncodedClassificationSet>;
  readonly outOfScopeIndex?: number;

  constructor(readonly dataset: IntentDataset, tokenizer: Tokenizer, readonly labels: string[], maxLength: number) {
    const encode = (split: SplitName) => encodeClassification(dataset.splits[split], tokenizer, labels, maxLength);
    this.sets = { train: encode('train'), val: encode('val'), test: encode('test') };
    if (dataset.outOfScopeLabel) {
      const i = labels.indexOf(dataset.outOfScopeLabel);
      if (i >= 0) this.outOfScopeIndex = i;
    }
  }

  get trainSize(): number {
    return this.sets.train.size;
  }

  trainBatch(indices: number[]): HostBatch {
    return classificationBatch(this.sets.train, indices);
  }

  evaluate(model: ClassifierModel, split: SplitName) {
    const set = this.sets[split];
    return classifierMetrics(classifierOutputs(model, set), set.targets, this.outOfScopeIndex);
  }

  validate(model: AnyModel): ValidationResult {
    const m = this.evaluate(model as ClassifierModel, 'val');
    return { metrics: { ...m }, score: m.accuracy };
  }
}

export class LanguageModelTask implements TrainingTask {
  readonly task = 'lm' as const;
  readonly windows: Record<SplitName, EncodedCorpus>;

  constructor(
    readonly corpus: TextCorpus,
    tokenizer: Tokenizer,
    contextLength: number,
    /** Cap on validation windows per evaluation (keeps epochs of large corpora quick). */
    readonly maxValidationWindows = 2000,
  ) {
    const encode = (split: SplitName) => encodeWindows(corpus.splits[split], tokenizer, contextLength);
    this.windows = { train: encode('train'), val: encode('val'), test: encode('test') };
  }

  get trainSize(): number {
    return this.windows.train.count;
  }

  trainBatch(indices: number[]): HostBatch {
    return windowBatch(this.windows.train, indices);
  }

  evaluate(model: LanguageModel, split: SplitName, maxWindows = Infinity) {
    return languageModelMetrics(model, this.windows[split], 32, maxWindows);
  }

  validate(model: AnyModel): ValidationResult {
    const m = this.evaluate(model as LanguageModel, 'val', this.maxValidationWindows);
    return { metrics: { ...m }, score: -m.loss };
  }
}
