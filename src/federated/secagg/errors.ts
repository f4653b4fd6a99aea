/**
 * The ways a secure-aggregation session can fail, one class each, so a transport can map
 * them to answers (a protocol error is the sender's fault, a 4xx; a dropout error means the
 * round cannot complete and must be retried with fresh keys).
 */
import { TrustnluError } from '../../errors.js';

/**
 * Too many clients dropped out: fewer than the threshold t of shares (or of survivors)
 * remain, so a dropped client's masks cannot be removed, or the survivors are too few to
 * keep any single input hidden. The round's aggregate is lost; start a new session.
 */
export class SecAggDropoutError extends TrustnluError {}

/**
 * A message failed authentication or a consistency check: an encrypted share was altered
 * in transit, decrypted to the wrong sender/receiver, or reconstructed to an impossible value.
 */
export class SecAggIntegrityError extends TrustnluError {}

/**
 * A message arrived out of order or is malformed: wrong stage, unknown or duplicate sender,
 * wrong vector length, a share addressed to a non-neighbour, a key of the wrong size.
 */
export class SecAggProtocolError extends TrustnluError {}
