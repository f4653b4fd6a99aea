/**
 * Runs a classifier on a probe set once (every distinct text, originals and counterfactuals,
 * is classified a single time) and reports the group metrics and counterfactual token fairness
 * on the same predictions, plus how many identity values the model's vocabulary actually knows:
 * a name the tokenizer maps to <unk> cannot move a prediction, which makes a model look fair
 * for a reason worth stating.
 */
import type { ProbeSet } from '../probes/index.js';
import { counterfactualTokenFairness, type CounterfactualResult } from './counterfactual.js';
import { groupMetrics, type GroupMetricsResult } from './group-metrics.js';
import { checkLabels, classifyTexts, type TextClassifier } from './predictor.js';

export interface ProbeEvaluationOptions {
  /** Label for selection rate / TPR / FPR (default: the probe's positive label). */
  positive?: string;
  bootstrap?: { resamples?: number; confidence?: number; seed?: number } | false;
  /** True when the model's vocabulary has the word (for the coverage report). */
  knownWord?: (word: string) => boolean;
}

export interface ProbeEvaluation {
  probe: string;
  task: 'intent' | 'sentiment';
  examples: number;
  groups: string[];
  groupMetrics: GroupMetricsResult;
  counterfactual: Omit<CounterfactualResult, 'perExample'>;
  /** Per group: identity values whose every word is in the model's vocabulary. */
  coverage?: Record<string, { known: number; total: number; unknownValues: string[] }>;
  /** Aligned with probe.examples (not serialised by the CLI). */
  perExample: CounterfactualResult['perExample'] & { predictedLabels: string[] };
}

export function identityCoverage(probe: ProbeSet, knownWord: (word: string) => boolean): NonNullable<ProbeEvaluation['coverage']> {
  const seen = new Map<string, { group: string; text: string }>();
  for (const e of probe.examples) seen.set(`${e.group}:${e.value.index}`, { group: e.group, text: e.value.subject });
  const coverage: NonNullable<ProbeEvaluation['coverage']> = {};
  for (const g of probe.groups) coverage[g] = { known: 0, total: 0, unknownValues: [] };
  for (const { group, text } of seen.values()) {
    const known = text.split(/\s+/).every((w) => knownWord(w));
    coverage[group].total++;
    if (known) coverage[group].known++;
    else coverage[group].unknownValues.push(text);
  }
  return coverage;
}

export function evaluateProbe(probe: ProbeSet, classifier: TextClassifier, options: ProbeEvaluationOptions = {}): ProbeEvaluation {
  checkLabels(probe.name, probe.labels, classifier.labels);
  const C = classifier.labels.length;
  const rowOf = new Map<string, number>();
  const texts: string[] = [];
  const add = (text: string) => {
    if (!rowOf.has(text)) {
      rowOf.set(text, texts.length);
      texts.push(text);
    }
  };
  for (const e of probe.examples) {
    add(e.text);
    for (const cf of e.counterfactuals) add(cf.text);
  }
  const probabilities = classifyTexts(classifier, texts);
  const rowValues = (text: string) => {
    const r = rowOf.get(text)!;
    return probabilities.subarray(r * C, (r + 1) * C);
  };
  const original = new Float32Array(probe.examples.length * C);
  const counterfactuals = probe.examples.map((e, i) => {
    original.set(rowValues(e.text), i * C);
    const out = new Float32Array(e.counterfactuals.length * C);
    e.counterfactuals.forEach((cf, k) => out.set(rowValues(cf.text), k * C));
    return out;
  });
  const groups = probe.examples.map((e) => e.group);
  const { perExample, ...counterfactual } = counterfactualTokenFairness({ classes: C, original, counterfactuals, groups, bootstrap: options.bootstrap });
  const predictedLabels = Array.from(perExample.predicted, (c) => classifier.labels[c]);
  const metrics = groupMetrics({
    yTrue: probe.examples.map((e) => e.label),
    yPred: predictedLabels,
    groups,
    positive: options.positive ?? probe.positive,
    bootstrap: options.bootstrap,
  });
  const evaluation: ProbeEvaluation = {
    probe: probe.name,
    task: probe.task,
    examples: probe.examples.length,
    groups: probe.groups,
    groupMetrics: metrics,
    counterfactual,
    perExample: { ...perExample, predictedLabels },
  };
  if (options.knownWord) evaluation.coverage = identityCoverage(probe, options.knownWord);
  return evaluation;
}
