/**
 * A request the federated server refuses, with the HTTP status it answers and a message that
 * names the field or value at fault and what the client should do. Thrown by the round logic
 * and the validators, turned into `{"error": {...}}` by the HTTP layer; never a crash.
 */
import { TrustnluError } from '../../errors.js';

export type RequestErrorType =
  | 'BadRequest'
  | 'InvalidUpdate'
  | 'Unauthorized'
  | 'Forbidden'
  | 'NotSelected'
  | 'NotFound'
  | 'StaleRound'
  | 'StaleModel'
  | 'Conflict'
  | 'PayloadTooLarge'
  | 'UnsupportedMediaType'
  | 'RateLimited'
  | 'Unavailable';

export class FederationRequestError extends TrustnluError {
  constructor(
    readonly statusCode: number,
    readonly type: RequestErrorType,
    message: string,
    /** Seconds the client should wait before retrying (429). */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}
