/**
 * The `fairness groups` job as a library call: a probe set (family × group scheme) run through a
 * classifier, with group metrics, counterfactual token fairness and vocabulary coverage, shaped
 * as plain JSON (per-example arrays left out).
 */
import type { ClassifierModel } from '../../models/index.js';
import { buildProbeSet } from '../probes/index.js';
import { evaluateProbe, type ProbeEvaluation } from './evaluate-probe.js';
import { modelClassifier, type TextClassifier } from './predictor.js';

export interface GroupAuditOptions {
  /** Probe family or "family/scheme". */
  probe: string;
  /** Group scheme (default gender). */
  groups?: string;
  positive?: string;
  resamples?: number;
  confidence?: number;
  seed?: number;
}

export type GroupAudit = Omit<ProbeEvaluation, 'perExample'> & { positive: string; sources: string[] };

/** A trained classifier's vocabulary test: true when the word is not mapped to <unk>. */
export function vocabularyOf(model: ClassifierModel): (word: string) => boolean {
  return (word) => model.tokenizer.encode(word).every((id) => id !== model.tokenizer.unknownId);
}

export function auditGroups(classifier: TextClassifier | ClassifierModel, options: GroupAuditOptions): { audit: GroupAudit; evaluation: ProbeEvaluation } {
  const probe = buildProbeSet(options.probe, options.groups);
  const isModel = 'tokenizer' in classifier;
  const evaluation = evaluateProbe(probe, isModel ? modelClassifier(classifier) : classifier, {
    positive: options.positive,
    bootstrap: { resamples: options.resamples, confidence: options.confidence, seed: options.seed },
    knownWord: isModel ? vocabularyOf(classifier) : undefined,
  });
  const { perExample: _omitted, ...rest } = evaluation;
  return { audit: { ...rest, positive: options.positive ?? probe.positive, sources: probe.sources }, evaluation };
}
