/**
 * The Client interface (Flower's classic NumPyClient, in plain data): a client trains from
 * global parameters and answers with new parameters or a delta, and evaluates global
 * parameters on its own data. Nothing tfjs crosses it, so an in-process client, a worker
 * job and a remote device over HTTP all look the same to a strategy.
 */
import type { ParameterSet } from '../aggregate/index.js';
import type { ClientConfig, Metrics } from '../strategy.js';

export interface FitResponse {
  /** The new local parameters, or ... */
  parameters?: ParameterSet;
  /** ... the update local − global (exactly one of the two). */
  delta?: ParameterSet;
  /** Training examples used (nₖ). */
  numExamples: number;
  /** e.g. loss (mean local training loss), steps, seconds. */
  metrics: Metrics;
}

export interface EvaluateResponse {
  loss: number;
  numExamples: number;
  /** e.g. accuracy. */
  metrics: Metrics;
}

export interface Client {
  readonly id: string;
  fit(parameters: ParameterSet, config: ClientConfig): Promise<FitResponse>;
  evaluate(parameters: ParameterSet, config: ClientConfig): Promise<EvaluateResponse>;
}
