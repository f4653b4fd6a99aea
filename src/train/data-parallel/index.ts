/**
 * Data-parallel training over several tfjs engines (worker threads): the engines and their
 * shared parameters, the non-private gradient source, the optimizer on shared arrays, and
 * the trainer's step. Private training plugs its own gradient source in (privacy/dpsgd).
 */
export { DataParallelEngines, checkEngineCount, defaultEngineCount, partSizes, type DataParallelEnginesOptions, type ParallelGradients } from './engines.js';
export { EngineReplica, modelSpecOf, sliceHostBatch, type EngineBoot, type ModelSpec, type PartJob } from './replica.js';
export { DataParallelPlainGradients, addParts } from './plain-gradients.js';
export { createHostOptimizer, type HostOptimizer } from './host-optimizer.js';
export { DataParallelStep } from './data-parallel-step.js';
