/** Failures of the federated server's durable state (cannot open, wrong file, broken invariant). */
import { TrustnluError } from '../../errors.js';

/** The state file cannot be opened, belongs to another federation, or an atomic step was refused. */
export class StateStoreError extends TrustnluError {}
