/**
 * Prediction sensitivity: accumulated prediction sensitivity (APS, Krishna et al. ACL 2022), the
 * gradient of a classifier's outputs with respect to its embedded input weighted by how much each
 * coordinate matters to a protected-status model. See docs/fairness.md for the formula.
 */
export {
  accumulatedPredictionSensitivity,
  classWeights,
  embeddingClassifier,
  predictionSensitivity,
  type ClassWeighting,
  type EmbeddingClassifier,
  type SensitivityForm,
  type SensitivityOptions,
  type SensitivityResult,
} from './aps.js';
export {
  datasetGenderExamples,
  firstNameLists,
  genderOfText,
  identityExamples,
  meanPooledFeatures,
  solveSymmetricPositiveDefinite,
  trainLogisticRegression,
  type LogisticModel,
  type LogisticOptions,
  type ProtectedExamples,
} from './protected-status.js';
export { correlationOrNull, fitProtectedStatusModel, probeSensitivity, type FittedProtectedModel, type ProbeSensitivity, type ProbeSensitivityOptions } from './evaluate.js';
export { auditSensitivity, type SensitivityAudit, type SensitivityAuditOptions } from './audit.js';
