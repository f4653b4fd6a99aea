/**
 * The trust report's data model: everything the HTML page shows, and nothing more, so the
 * page and report.json always agree (a browser test checks every number).
 */

export interface RocPoint {
  fpr: number;
  tpr: number;
}

export interface AttackSummary {
  attack: string;
  auc: number;
  balancedAccuracy: number;
  tprAtFpr001: number;
  tprAtFpr01: number;
  epsilonLowerBound: number;
  members: number;
  nonMembers: number;
  /** Down-sampled ROC curve for the log-log plot. */
  roc: RocPoint[];
}

export interface PrivacySummary {
  epsilon: number | null;
  delta: number | null;
  noiseMultiplier: number | null;
  sampleRate: number | null;
  steps: number | null;
  clip: number | null;
  accountant: string | null;
}

export interface GroupMetric {
  group: string;
  value: number;
  low: number;
  high: number;
  count: number;
}

export interface FairnessSummary {
  /** What was measured: a template probe set, or the test split grouped by the data's own group column. */
  source: 'probe' | 'data';
  /** The probe set's name, or "test split by group" for the data's own groups. */
  probe: string;
  /** Accuracy per group with bootstrap intervals. */
  accuracyByGroup: GroupMetric[];
  accuracyDifference: number;
  accuracyDifferenceLow: number;
  accuracyDifferenceHigh: number;
  /** Counterfactual token fairness: fraction of predictions that flip when the identity term is swapped. */
  counterfactualFlipRate: number | null;
  counterfactualMeanChange: number | null;
  /** Accumulated prediction sensitivity over the probe set (null when not computed). */
  aps: number | null;
}

/** Model inversion (ModIvA) against secrets planted in the model's training data. */
export interface CanaryExtractionSummary {
  kind: 'extraction';
  format: string;
  /** Secrets planted (each repeated `repetitions` times). */
  planted: number;
  repetitions: number;
  /** Planted secrets recovered exactly. */
  recovered: number;
  exactRate: number;
  /** Exact-recovery rate of uniform guessing (1/|R|). */
  chance: number;
  /** Fraction of secret tokens right. */
  tokenAccuracy: number;
  /** Mean rank of the true secret among all |R| candidates (|R|/2 is chance). */
  meanRank: number | null;
  candidates: number;
  /** The same attack's mean rank on never-inserted secrets of the format (the control). */
  referenceMeanRank: number | null;
  detail: string;
}

export interface ModelSection {
  name: string;
  private: boolean;
  accuracy: number;
  oosRecall: number | null;
  trainSeconds: number;
  privacy: PrivacySummary;
  audit: AttackSummary[];
  fairness: FairnessSummary | null;
  /** Canary exposure (LMs) or extraction rate (classifiers), when run. */
  canary: CanaryExtractionSummary | null;
}

export interface TrustReport {
  title: string;
  generatedAt: string;
  command: string;
  seed: number;
  seconds: number;
  machine: { cpu: string; cores: number; node: string; backend: string };
  dataset: { name: string; synthetic: boolean; train: number; val: number; test: number; labels: number; heldOut: number };
  modelKind: string;
  models: ModelSection[];
  /** Plain-language model-card sentences, generated from the numbers above. */
  summary: string[];
}
