/**
 * Federated strategies: one ServerStrategy (selection → local config → delta aggregation →
 * server optimiser) configured as FedAvg, FedProx, FedAvgM, FedAdagrad, FedAdam, FedYogi,
 * coordinate median, trimmed mean, mean around the median, Krum/Multi-Krum; and their names for the CLI.
 * See docs/federated.md.
 */
export {
  ServerStrategy,
  LOCAL_TRAINING_DEFAULTS,
  type LocalTrainingSettings,
  type StrategyOptions,
  type StrategyDefinition,
  type ServerOptimizerChoice,
  type AcceptedUpdate,
  type ScreenedRound,
} from './server-strategy.js';
export {
  type UpdateAggregator,
  meanAggregator,
  medianAggregator,
  trimmedMeanAggregator,
  meanAroundMedianAggregator,
  krumAggregator,
} from './update-aggregators.js';
export { fedAvg } from './fedavg.js';
export { fedProx, type FedProxOptions } from './fedprox.js';
export { fedAvgM, fedAdagrad, fedAdam, fedYogi, FEDOPT_DEFAULT_SERVER_LR, type FedAvgMOptions, type FedAdaptiveOptions } from './fedopt.js';
export { fedMedian, fedTrimmedMean, fedMeanAroundMedian, fedKrum, type TrimmedMeanOptions, type MeanAroundMedianOptions, type KrumOptions } from './robust.js';
export { parseStrategySpec, createStrategy, STRATEGY_FORMS, DEFAULT_BYZANTINE_FRACTION, type StrategySpec, type CreateStrategyOptions } from './spec.js';
