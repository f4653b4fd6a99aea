/** Failures of the federated server's durable state (cannot open, wrong file, broken invariant). */
import { TrustnluError } from '../../errors.js';

/** The state file cannot be opened, belongs to another federation, or an atomic step was refused. */
export class StateStoreError extends TrustnluError {}

/**
 * closeRound with `expectedUpdates` found another number of updates in the round: one arrived
 * (through another process) after the closer read them. Nothing was written; read again and retry.
 */
export class RoundUpdatesChangedError extends StateStoreError {}
