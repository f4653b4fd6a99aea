/**
 * Federated simulation: datasets prepared for federated runs (partitions, encoded data), an
 * executor on the worker pool (or in process), the round loop with static and continual
 * settings, availability and dropout, and the spec strings the CLI accepts. A user's own
 * tf.LayersModel runs through the same loop (user-model.ts: Flower-style clientFn, or a
 * model.json on a text dataset through prepareFederatedDataset).
 * Guarantees (memory, reproducibility) are described in docs/federated.md.
 */
export {
  type PartitionSpec,
  type SelectionSpec,
  type SettingSpec,
  PARTITION_FORMS,
  SELECTION_FORMS,
  SETTING_FORMS,
  parsePartitionSpec,
  partitionSetsClientCount,
  parseSelectionSpec,
  parseSettingSpec,
  createSampler,
} from './spec.js';
export { type ModelSpec, type FederatedDataset, type PrepareOptions, prepareFederatedDataset } from './federated-dataset.js';
export { userModelFederatedDataset, type UserModelSimulation, type UserModelLoss } from './user-model.js';
export { ClientRegistry, MemoryClientStateStore, type ClientStateStore } from './client-registry.js';
export { SimulationExecutor, EVALUATION_CHUNK, type ExecutorOptions } from './executor.js';
export {
  TrainingWorker,
  type TrainingHandlerConfig,
  type SimulationJob,
  type FitJobResult,
  type InitialParametersResult,
} from './training-handler.js';
export {
  runSimulation,
  roundsPerPeriod,
  type SimulationOptions,
  type SimulationResult,
  type RoundRecord,
  type PeriodRecord,
  type CurvePoint,
} from './simulator.js';
export { reachTarget, roundsToTarget, examplesToTarget, holdOutClientValidation, majorityAccuracy, type BudgetPoint, type ClientValidationSplit } from './budget.js';
export { runFederatedExperiment, type FederatedExperimentOptions, type FederatedExperimentSummary } from './experiment.js';
