/**
 * The Strategy interface (Flower's classic API): the server-side policy of a federated
 * round, kept free of transport and of tensors so that the simulator and the networked
 * service drive the same strategies. Everything crossing it is plain data: parameters are
 * `ParameterSet`s in the model's `parameters()` order, configs and metrics are flat records.
 *
 * A round, as a driver runs it:
 *   instructions = strategy.configureFit(round, availableClients, rng)
 *   results/failures = (each client: client.fit(instruction.parameters, instruction.config))
 *   { parameters } = strategy.aggregateFit(round, results, failures)
 *   optionally: configureEvaluate → client.evaluate → aggregateEvaluate, and the
 *   server-side strategy.evaluate(round, parameters).
 * The strategy holds the current global parameters (set by `initialize`, replaced by each
 * `aggregateFit`), because server optimisers (FedAvgM, FedAdam, ...) step from them.
 */
import type { SeededRandom } from '../engine/random.js';
import type { ParameterSet } from './aggregate/index.js';
import type { ClientInfo } from './selection/index.js';

/** A value a client config may hold (kept scalar so it serialises anywhere). */
export type ConfigValue = number | string | boolean;
export type ClientConfig = Record<string, ConfigValue>;
export type Metrics = Record<string, number>;

/** What one selected client is asked to do in a round. */
export interface FitInstruction {
  clientId: string;
  /** The global parameters to start from (shared by all instructions of a round; do not modify). */
  parameters: ParameterSet;
  /** Local training settings: localEpochs, batchSize, learningRate, optimizer, proximalMu, seed, round, ... */
  config: ClientConfig;
  /**
   * The client's aggregation weight: the sum of the sampler's weights over its draws (a
   * client drawn twice by a with-replacement sampler trains once and counts twice).
   */
  weight: number;
  /** How many times the sampler drew this client this round. */
  draws: number;
}

/** A client's answer to `fit`, as the strategy receives it. */
export interface FitResult {
  clientId: string;
  /** Training examples the client used (nₖ). */
  numExamples: number;
  /** The client's new local parameters, or ... */
  parameters?: ParameterSet;
  /** ... the update local − global. Exactly one of the two. */
  delta?: ParameterSet;
  metrics: Metrics;
}

export type FailureReason = 'dropout' | 'error' | 'non-finite' | 'invalid' | 'offline';

/** A selected client that did not contribute, and why. */
export interface Failure {
  clientId: string;
  reason: FailureReason;
  message?: string;
}

export interface AggregateFitOutput {
  /** The new global parameters (also kept by the strategy). */
  parameters: ParameterSet;
  /**
   * Round statistics: clients (updates aggregated), failures, rejectedNonFinite, examples,
   * trainLoss (example-weighted mean of the clients' reported loss), updateNorm (‖Δ‖),
   * skipped (1 when too few updates arrived and the model was left unchanged).
   */
  metrics: Metrics;
}

export interface EvaluateInstruction {
  clientId: string;
  parameters: ParameterSet;
  config: ClientConfig;
}

export interface EvaluateResult {
  clientId: string;
  loss: number;
  numExamples: number;
  metrics: Metrics;
}

export interface AggregateEvaluateOutput {
  /** Example-weighted mean loss over the clients that answered (undefined if none did). */
  loss: number | undefined;
  metrics: Metrics;
}

/** Centralised (server-side) evaluation of the global model. */
export interface ServerEvaluation {
  loss: number;
  metrics: Metrics;
}

/**
 * What a strategy's next rounds depend on beyond the global parameters (server-optimiser
 * moments, an adaptive clip norm): saved with each checkpoint so that a restarted server
 * continues exactly where it stopped.
 */
export interface StrategyState {
  values: Record<string, number>;
  /** Flat vectors in the parameters' layout order. */
  vectors: Record<string, Float32Array>;
}

export interface Strategy {
  /** Short name for logs and results, e.g. "fedavg", "fedprox(μ=0.01)". */
  readonly name: string;
  /** Stores the initial global parameters (a copy) and returns the parameters round 1 starts from. */
  initialize(initial: ParameterSet): ParameterSet;
  /** The current global parameters. */
  readonly parameters: ParameterSet;
  /** Chooses clients among `clients` (those available this round) and what each should do. */
  configureFit(round: number, clients: readonly ClientInfo[], rng: SeededRandom): FitInstruction[];
  /** Combines the round's results into new global parameters. Results may arrive in any order. */
  aggregateFit(round: number, results: readonly FitResult[], failures: readonly Failure[]): AggregateFitOutput;
  /** Clients asked to evaluate the global model on their own data (empty: no federated evaluation). */
  configureEvaluate(round: number, clients: readonly ClientInfo[], rng: SeededRandom): EvaluateInstruction[];
  aggregateEvaluate(round: number, results: readonly EvaluateResult[], failures: readonly Failure[]): AggregateEvaluateOutput;
  /** Server-side evaluation of `parameters`, if the strategy was given an evaluation function. */
  evaluate?(round: number, parameters: ParameterSet): ServerEvaluation | undefined | Promise<ServerEvaluation | undefined>;
  /** The state to checkpoint with the parameters (absent: the parameters are the whole state). */
  exportState?(): StrategyState;
  /** Restores exportState's result after `initialize` with the checkpoint's parameters. */
  importState?(state: StrategyState): void;
}
