/**
 * APS on a probe set: fit the protected-status model in the task model's embedding space, compute
 * prediction sensitivity for every probe example, summarise it per group (bootstrap CIs) and
 * correlate it with counterfactual token fairness on the same examples (Spearman and Kendall,
 * Fisher-z intervals): do the examples the gradient calls sensitive change most when the
 * identity term is swapped?
 */
import { SeededRandom } from '../../engine/random.js';
import { ConfigError } from '../../errors.js';
import { bootstrapCI, kendallTau, mean, spearman, stratifiedBootstrapCI, type ConfidenceInterval, type CorrelationResult } from '../../metrics/index.js';
import type { ProbeSet } from '../probes/index.js';
import { accumulatedPredictionSensitivity, type EmbeddingClassifier, type SensitivityOptions, type SensitivityResult } from './aps.js';
import { meanPooledFeatures, trainLogisticRegression, type LogisticModel, type LogisticOptions, type ProtectedExamples } from './protected-status.js';

export interface FittedProtectedModel extends LogisticModel {
  groups: [string, string];
  source: ProtectedExamples['source'];
}

/** Fits g on mean-pooled rows of the classifier's own embedding table. */
export function fitProtectedStatusModel(classifier: EmbeddingClassifier, examples: ProtectedExamples, options: LogisticOptions = {}): FittedProtectedModel {
  const table = classifier.embeddingTable();
  const dim = table.shape[1];
  const values = table.dataSync() as Float32Array;
  const sequences = examples.texts.map((t) => classifier.tokenizer.encode(t).slice(0, classifier.maxLength));
  const features = meanPooledFeatures(sequences, values, dim);
  const model = trainLogisticRegression(features, examples.labels, dim, options);
  return { ...model, groups: examples.groups, source: examples.source };
}

export interface ProbeSensitivity {
  probe: string;
  aps: number;
  classWeighting: SensitivityResult['classWeighting'];
  form: SensitivityResult['form'];
  ci?: ConfidenceInterval & { confidence: number; resamples: number };
  byGroup: Record<string, { examples: number; aps: number; low?: number; high?: number }>;
  protectedModel: { groups: [string, string]; source: string; examples: number; trainAccuracy: number; l2: number };
  /** Correlation across examples of PS(x_i) with the counterfactual change |Δp| of the same example. */
  correlationWithCounterfactual?: { spearman: CorrelationResult | null; kendall: CorrelationResult | null };
  perExample: Float64Array;
}

export interface ProbeSensitivityOptions extends SensitivityOptions {
  bootstrap?: { resamples?: number; confidence?: number; seed?: number } | false;
  /** Per-example counterfactual change on the same probe (from evaluateProbe), for the correlation. */
  counterfactualChange?: ArrayLike<number>;
}

/** A correlation, or null when one variable is constant (no ranking to correlate). */
export function correlationOrNull(fn: typeof spearman, x: ArrayLike<number>, y: ArrayLike<number>): CorrelationResult | null {
  try {
    const r = fn(x, y);
    return Number.isFinite(r.estimate) ? r : null;
  } catch (error) {
    if (error instanceof ConfigError) return null;
    throw error;
  }
}

export function probeSensitivity(classifier: EmbeddingClassifier, protectedModel: FittedProtectedModel, probe: ProbeSet, options: ProbeSensitivityOptions = {}): ProbeSensitivity {
  const texts = probe.examples.map((e) => e.text);
  const result = accumulatedPredictionSensitivity(classifier, protectedModel, texts, options);
  const groups = probe.examples.map((e) => e.group);
  const indicesByGroup: Record<string, number[]> = {};
  groups.forEach((g, i) => (indicesByGroup[g] ??= []).push(i));
  const out: ProbeSensitivity = {
    probe: probe.name,
    aps: result.aps,
    classWeighting: result.classWeighting,
    form: result.form,
    byGroup: {},
    protectedModel: {
      groups: protectedModel.groups,
      source: protectedModel.source,
      examples: protectedModel.examples,
      trainAccuracy: protectedModel.trainAccuracy,
      l2: protectedModel.l2,
    },
    perExample: result.perExample,
  };
  const values = result.perExample;
  const bootstrap = options.bootstrap === false ? undefined : options.bootstrap ?? {};
  const rng = new SeededRandom(bootstrap?.seed ?? 0).fork('aps-bootstrap');
  const settings = { resamples: bootstrap?.resamples ?? 1000, confidence: bootstrap?.confidence ?? 0.95 };
  if (bootstrap) {
    const ci = stratifiedBootstrapCI((idx) => mean(values, idx), groups, { ...settings, rng: rng.fork('all') });
    out.ci = { estimate: ci.estimate, low: ci.low, high: ci.high, confidence: ci.confidence, resamples: ci.resamples };
  }
  for (const g of Object.keys(indicesByGroup).sort()) {
    const idx = indicesByGroup[g];
    const entry: ProbeSensitivity['byGroup'][string] = { examples: idx.length, aps: mean(values, idx) };
    if (bootstrap) {
      const groupValues = idx.map((i) => values[i]);
      const ci = bootstrapCI((sample) => mean(groupValues, sample), groupValues.length, { ...settings, rng: rng.fork(`group:${g}`) });
      entry.low = ci.low;
      entry.high = ci.high;
    }
    out.byGroup[g] = entry;
  }
  if (options.counterfactualChange) {
    if (options.counterfactualChange.length !== values.length) {
      throw new ConfigError(`counterfactual changes (${options.counterfactualChange.length}) must align with the probe's ${values.length} examples`);
    }
    out.correlationWithCounterfactual = {
      spearman: correlationOrNull(spearman, values, options.counterfactualChange),
      kendall: correlationOrNull(kendallTau, values, options.counterfactualChange),
    };
  }
  return out;
}
