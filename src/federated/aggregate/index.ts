/**
 * Aggregation maths for federated learning, pure functions over named Float32Arrays
 * (`ParameterSet`): FedAvg's weighted mean (streaming, Float64 accumulation), robust
 * aggregators (coordinate median, trimmed mean, Krum/Multi-Krum, geometric median) and the
 * server optimisers of FedAvg/FedAvgM/FedAdagrad/FedAdam/FedYogi. Strategies in
 * `federated/strategies` compose these; see docs/federated-maths.md for the formulas.
 */
export {
  type ParameterSet,
  type ParameterLayout,
  parameterCount,
  cloneParameters,
  zerosLike,
  filledLike,
  flattenParameters,
  unflattenParameters,
  viewParameters,
  layoutOf,
  assertMatchesLayout,
  assertSameLayout,
  firstNonFinite,
  assertFinite,
  addInPlace,
  subInPlace,
  scaleInPlace,
  subtractParameters,
  l2Norm,
  squaredDistance,
} from './parameters.js';
export { WeightedSumAccumulator, weightedMean, weightedSum, plainMean } from './weighted-mean.js';
export { type CoordinateWiseOptions, coordinateMedian, trimmedMean, trimmedCount, meanAroundMedian, selectInPlace } from './coordinate-wise.js';
export { pairwiseSquaredDistances, krumScores, multiKrumSelection, krum, multiKrum } from './krum.js';
export { nearestNeighbours, nearestNeighbourMixing } from './nearest-neighbour-mixing.js';
export { type GeometricMedianOptions, type GeometricMedianResult, weiszfeld, geometricMedian } from './geometric-median.js';
export {
  type ServerOptimizerKind,
  type ServerHyperparameters,
  type ServerOptimizerState,
  type ServerStepResult,
  SERVER_OPTIMIZER_DEFAULTS,
  initServerState,
  serverStep,
} from './server-optimizers.js';
