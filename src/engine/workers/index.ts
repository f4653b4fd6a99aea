/**
 * The worker pool (DESIGN.md §7): worker_threads, one tfjs engine per worker, a job-handler
 * module loaded once per worker, jobs and results as plain data (typed arrays transferred).
 * Used by the FL simulator; LiRA shadow models and studies reuse it.
 */
export {
  WorkerPool,
  type JobHandlerModule,
  type WorkerContext,
  type WorkerPoolOptions,
  type RunOptions,
  type MapOptions,
  type PoolStats,
} from './pool.js';
export { WorkerJobError, WorkerCrashError, WorkerInitError, transferablesOf } from './messages.js';
export {
  addTensorInto,
  assignVariablesFrom,
  copyTensorInto,
  copyVariablesInto,
  flatLayout,
  flatViews,
  sharedFloats,
  type FlatLayout,
  type NamedVariable,
} from './shared-parameters.js';
