/**
 * Audits that run models: canaries (planting, exposure for LMs, extraction from classifiers),
 * membership inference (loss, LiRA with shadow models on the worker pool) against trained models.
 */
export * from './canaries.js';
export * from './sequence-scores.js';
export * from './exposure-audit.js';
export * from './membership-statistics.js';
export {
  buildShadowClassifier,
  classifierSpecOf,
  trainModels,
  ShadowTrainer,
  type ClassifierSpec,
  type DpRecipe,
  type ShadowJob,
  type ShadowResult,
  type ShadowTrainingConfig,
  type TrainingRecipe,
  type TrainManyOptions,
} from './shadow-training.js';
export * from './membership-audit.js';
export * from './canary-training.js';
export * from './extraction-audit.js';
export * from './checkpoint-recipe.js';
export * from './slot-canaries.js';
export * from './slot-extraction.js';
