/** Training: the loop, optimisers and schedules, tasks, evaluation, progress reporting. */
export * from './trainer.js';
export * from './optimizers.js';
export * from './tasks.js';
export * from './evaluation.js';
export * from './examples.js';
export * from './progress.js';
export * from './run.js';
export * from './predict.js';
export * from './robust-losses.js';
export * from './tagging-task.js';
