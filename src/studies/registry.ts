/**
 * Every study by name: what `trustnlu study NAME` runs and what a worker thread or a
 * `trustnlu worker` process looks a study cell's study up in (a job names its study, it never
 * carries code). Add a StudyDefinition here to make a study runnable.
 */
import { distillationStudy } from './distillation.js';
import { dpUtilityStudy } from './dp-utility.js';
import { extractionStudy } from './extraction.js';
import { fairnessMetricsStudy } from './fairness-metrics.js';
import { federatedAnalyticsStudy } from './federated-analytics.js';
import { flLabelsStudy } from './fl-labels.js';
import { flNlpStudy } from './fl-nlp.js';
import { flSelectionStudy } from './fl-selection.js';
import { leakageStudy } from './leakage.js';
import { exposureStudy } from './exposure.js';
import { textPrivacyStudy } from './text-privacy.js';
import type { StudyDefinition } from './runner.js';

export const STUDIES: StudyDefinition[] = [dpUtilityStudy, fairnessMetricsStudy, distillationStudy, flSelectionStudy, flNlpStudy, flLabelsStudy, leakageStudy, exposureStudy, textPrivacyStudy, federatedAnalyticsStudy, extractionStudy];

export function findStudy(name: string): StudyDefinition | undefined {
  return STUDIES.find((s) => s.name === name);
}
