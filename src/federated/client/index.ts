/**
 * Federated clients: the Client interface (plain data in and out), local training from
 * global parameters (plain SGD/Adam, FedProx's proximal step), chunkable evaluation, and an
 * in-process client. The simulator's workers run the same functions.
 */
export { type Client, type FitResponse, type EvaluateResponse } from './client.js';
export {
  type FederatedExamples,
  exampleCount,
  fromEncodedClassification,
  fromEncodedCorpus,
  batchOf,
  subsetOf,
  assertIndicesIn,
} from './examples.js';
export { type TensorExamples, type ClientTensors, tensorExamplesFrom, layersBatchOf, targetClasses } from './tensor-examples.js';
export { modelLayout, readModelParameters, writeModelParameters, viewParameters, packParameters, type WithParameters } from './model-parameters.js';
export {
  type LocalTrainingConfig,
  type LocalTrainingResult,
  type LocalTrainingOptions,
  type LocalOptimizerState,
  type LocalModel,
  localTrainingConfigFrom,
  proximalGradients,
  trainLocally,
} from './local-training.js';
export {
  type EvaluationSums,
  type EvaluationMetrics,
  evaluateExamples,
  combineEvaluations,
  evaluationMetrics,
} from './local-evaluation.js';
export { LocalTrainingClient } from './local-client.js';
export { fineTuneAndEvaluate } from './personalised-evaluation.js';
