/**
 * The `fairness aps` job as a library call: fit the protected-status model in the classifier's
 * embedding space (from the scheme's identity values, or from a dataset's gendered texts),
 * compute APS on the probe set, and correlate it with counterfactual token fairness on the same
 * examples.
 */
import { loadIntentDataset } from '../../data/registry.js';
import type { ClassifierModel } from '../../models/index.js';
import { evaluateProbe, modelClassifier } from '../extrinsic/index.js';
import { buildProbeSet } from '../probes/index.js';
import { embeddingClassifier, type ClassWeighting, type SensitivityForm } from './aps.js';
import { fitProtectedStatusModel, probeSensitivity, type ProbeSensitivity } from './evaluate.js';
import { datasetGenderExamples, identityExamples } from './protected-status.js';

export interface SensitivityAuditOptions {
  probe: string;
  groups?: string;
  /** Where the protected-status model's training texts come from (default identity). */
  protectedData?: 'identity' | 'dataset';
  /** Dataset for protectedData = dataset (its train split). */
  dataset?: string;
  dataDir?: string;
  datasetSeed?: number;
  classWeighting?: ClassWeighting;
  form?: SensitivityForm;
  l2?: number;
  resamples?: number;
  confidence?: number;
  seed?: number;
}

export type SensitivityAudit = Omit<ProbeSensitivity, 'perExample'> & {
  examples: number;
  counterfactual: { meanAbsoluteChange: number; flipRate: number };
};

export function auditSensitivity(model: ClassifierModel, options: SensitivityAuditOptions): SensitivityAudit {
  const probe = buildProbeSet(options.probe, options.groups);
  const classifier = embeddingClassifier(model);
  const examples =
    options.protectedData === 'dataset'
      ? datasetGenderExamples(loadIntentDataset(options.dataset ?? 'synthetic', { dataDir: options.dataDir, seed: options.datasetSeed ?? 0 }).splits.train)
      : identityExamples(probe.scheme);
  const protectedModel = fitProtectedStatusModel(classifier, examples, { l2: options.l2 });
  const bootstrap = { resamples: options.resamples, confidence: options.confidence, seed: options.seed };
  // Only the counterfactual change is used: no group-metric or counterfactual bootstrap.
  const evaluation = evaluateProbe(probe, modelClassifier(model), { bootstrap: false });
  const sensitivity = probeSensitivity(classifier, protectedModel, probe, {
    classWeighting: options.classWeighting,
    form: options.form,
    bootstrap,
    counterfactualChange: evaluation.perExample.absoluteChange,
  });
  const { perExample: _omitted, ...rest } = sensitivity;
  return {
    ...rest,
    examples: probe.examples.length,
    counterfactual: { meanAbsoluteChange: evaluation.counterfactual.meanAbsoluteChange, flipRate: evaluation.counterfactual.flipRate },
  };
}
