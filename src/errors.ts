/**
 * One error class per kind of failure. Every message names the file, field or value
 * at fault and, where there is one, the fix. The CLI prints `error.message` (no stack)
 * and exits with the class's exit code.
 */

export class TrustnluError extends Error {
  /** Process exit code the CLI uses for this kind of failure. */
  readonly exitCode: number = 1;
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** A command-line flag is unknown, missing or has a bad value. */
export class UsageError extends TrustnluError {
  override readonly exitCode = 2;
}

/** A dataset file is unreadable or does not have the expected format (the user's input: exit 2). */
export class DatasetFormatError extends TrustnluError {
  override readonly exitCode = 2;
}

/** No dataset directory, file or dataset of that name could be found (the user's input: exit 2). */
export class DatasetNotFoundError extends TrustnluError {
  override readonly exitCode = 2;
}

/** A tensor or array has a shape other than the one an operation needs. */
export class ShapeMismatchError extends TrustnluError {}

/** A checkpoint directory is missing, incomplete or from an incompatible version (the user's input: exit 2). */
export class CheckpointError extends TrustnluError {
  override readonly exitCode = 2;
}

/** A configuration value (model, trainer, dataset option) is out of range or inconsistent (the user's input: exit 2). */
export class ConfigError extends TrustnluError {
  override readonly exitCode = 2;
}

/** A value that must be finite (a loss, a gradient, an update) is NaN or infinite. */
export class NonFiniteError extends TrustnluError {}

/** A federated device has no usable label this round (no user feedback, no confident pseudo-label): it sits the round out. */
export class NoDeviceLabelsError extends TrustnluError {}

/** A job on the Redis queue failed every attempt (or its result was lost): the run stops with the job's error. */
export class QueueJobError extends TrustnluError {}

/** The Redis queue could not be reached (bad address, or unreachable longer than the run tolerates). */
export class QueueConnectionError extends TrustnluError {}
