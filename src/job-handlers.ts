/**
 * The job handlers a queue worker (`trustnlu worker`) may run, by the name a coordinator puts
 * on its jobs. A job names one of these; it never carries code or a module path.
 */
export const JOB_HANDLERS = {
  /** One simulated FL client's local training (or an evaluation chunk): src/federated/simulation. */
  'fl-client': new URL('./federated/simulation/training-handler.js', import.meta.url),
  /** One shadow (or target) model of a membership experiment: src/privacy/audit. */
  'shadow-model': new URL('./privacy/audit/shadow-training.js', import.meta.url),
  /** One whole cell of a study (a configuration and seed; the study is looked up by name): src/studies. */
  'study-cell': new URL('./studies/cell-handler.js', import.meta.url),
} as const;

export type JobHandlerName = keyof typeof JOB_HANDLERS;

/**
 * The data loaders a queue worker with a data directory may run, by the name a coordinator puts
 * in a run's record: each rebuilds a run's data from a named dataset (checked against the
 * coordinator's content hash before use). A record names one; it never carries code or a path.
 */
export const JOB_DATA_LOADERS = {
  /** A federated simulation's encoded examples: src/federated/simulation/job-data.ts. */
  'federated-dataset': new URL('./federated/simulation/job-data.js', import.meta.url),
} as const;
