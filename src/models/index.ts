/**
 * Models: layers with per-sample-gradient taps, intent classifiers and language models
 * behind one Model interface, and their checkpoints.
 */
export * from './model.js';
export * from './tap.js';
export * from './layers/index.js';
export { IntentClassifier, CLASSIFIER_DEFAULTS } from './classifiers/classifier.js';
export type { ClassifierConfig } from './classifiers/classifier.js';
export { NextTokenModel, LANGUAGE_MODEL_DEFAULTS } from './lm/language-model.js';
export type { LanguageModelConfig } from './lm/language-model.js';
export { TransformerStack, gelu } from './transformer.js';
export type { TransformerConfig } from './transformer.js';
export * from './serialize.js';
export * from './text-classifier.js';
export * from './layers-model/index.js';
export { JointIntentSlotModel, JOINT_TAGGER_DEFAULTS } from './taggers/joint-intent-slot.js';
export type { JointTaggerConfig } from './taggers/joint-intent-slot.js';
