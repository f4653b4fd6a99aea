/**
 * The one Strategy implementation every named strategy is a configuration of:
 *   selection (a ClientSampler) → local training config → aggregation of deltas
 *   (mean or a robust aggregator) → server optimiser step (serverStep: FedAvg, FedAvgM,
 *   FedAdagrad, FedAdam, FedYogi).
 * FedAvg is mean + fedavg(η = 1); FedProx adds proximalMu to the client config; FedOpt
 * variants swap the server optimiser; robust strategies swap the aggregator.
 *
 * Updates are always combined as deltas Δₖ = local − global, so importance weights that sum
 * to one only in expectation can be applied as Σ wₖΔₖ (see docs/federated-maths.md §4).
 * Results are put back in instruction order before aggregation, so the aggregate does not
 * depend on the order in which clients finished. Updates holding NaN/±Infinity, from
 * clients that were not asked, or with the wrong layout are rejected and counted.
 */
import { ConfigError } from '../../errors.js';
import type { SeededRandom } from '../../engine/random.js';
import {
  assertSameLayout,
  cloneParameters,
  firstNonFinite,
  flattenParameters,
  initServerState,
  l2Norm,
  parameterCount,
  serverStep,
  subtractParameters,
  unflattenParameters,
  type ParameterSet,
  type ServerHyperparameters,
  type ServerOptimizerKind,
  type ServerOptimizerState,
} from '../aggregate/index.js';
import { uniformSampler, type ClientInfo, type ClientSampler } from '../selection/index.js';
import type {
  AggregateEvaluateOutput,
  AggregateFitOutput,
  ClientConfig,
  EvaluateInstruction,
  EvaluateResult,
  Failure,
  FitInstruction,
  FitResult,
  Metrics,
  ServerEvaluation,
  Strategy,
  StrategyState,
} from '../strategy.js';
import type { UpdateAggregator } from './update-aggregators.js';

/** Local training settings sent to every client (the keys of a fit config). */
export interface LocalTrainingSettings {
  /** Passes over the client's data per round; default 1. */
  localEpochs: number;
  /** Default 32. */
  batchSize: number;
  /** Client learning rate; default 0.1 for sgd, 1e-3 for adam. */
  learningRate: number;
  /** Client optimiser; default 'sgd' (plain local SGD, as in FedAvg). */
  optimizer: 'sgd' | 'adam';
  /** SGD momentum on the client; default 0 (plain SGD). */
  momentum: number;
  /** Cap on local steps per round (0 = no cap). */
  maxSteps: number;
}

export const LOCAL_TRAINING_DEFAULTS: Readonly<LocalTrainingSettings> = {
  localEpochs: 1,
  batchSize: 32,
  learningRate: 0.1,
  optimizer: 'sgd',
  momentum: 0,
  maxSteps: 0,
};

export interface StrategyOptions {
  /** K: clients drawn per round (capped at the number available that round). */
  clientsPerRound: number;
  /** Default uniformSampler() (FedAvg's). */
  sampler?: ClientSampler;
  local?: Partial<LocalTrainingSettings>;
  /** Extra fit-config keys per round (e.g. a learning-rate schedule). */
  fitConfig?: (round: number) => ClientConfig;
  /** Clients asked to evaluate per round (federated evaluation); default 0 (none). */
  clientsPerEvaluate?: number;
  /** Server-side evaluation of the global model (Flower's evaluate_fn). */
  evaluateFn?: (round: number, parameters: ParameterSet) => ServerEvaluation | undefined | Promise<ServerEvaluation | undefined>;
}

export interface ServerOptimizerChoice<K extends ServerOptimizerKind = ServerOptimizerKind> {
  kind: K;
  hyper: ServerHyperparameters[K];
}

export interface StrategyDefinition {
  name: string;
  aggregator: UpdateAggregator;
  serverOptimizer: ServerOptimizerChoice;
  /** Fit-config keys the strategy itself adds (FedProx: proximalMu). */
  clientConfig?: ClientConfig;
}

interface RoundPlan {
  order: Map<string, number>;
  instructions: FitInstruction[];
  weightsSumToOne: boolean;
}

/** A client update that passed screening (screenFitResults). */
export interface AcceptedUpdate {
  /** The client's position in the round's instructions. */
  order: number;
  delta: ParameterSet;
  /** The client's aggregation weight from selection. */
  weight: number;
  examples: number;
  loss?: number;
}

export interface ScreenedRound {
  instructions: readonly FitInstruction[];
  weightsSumToOne: boolean;
  /** In instruction order. */
  accepted: AcceptedUpdate[];
  /** selected, clients, failures, rejectedNonFinite, rejectedInvalid, examples (and trainLoss). */
  metrics: Metrics;
}

function resolveLocal(local: Partial<LocalTrainingSettings> = {}): LocalTrainingSettings {
  const optimizer = local.optimizer ?? LOCAL_TRAINING_DEFAULTS.optimizer;
  const settings: LocalTrainingSettings = {
    ...LOCAL_TRAINING_DEFAULTS,
    learningRate: optimizer === 'adam' ? 1e-3 : LOCAL_TRAINING_DEFAULTS.learningRate,
    ...Object.fromEntries(Object.entries(local).filter(([, v]) => v !== undefined)),
  };
  const check = (ok: boolean, field: string, requirement: string) => {
    if (!ok) throw new ConfigError(`strategy local training: ${field} must be ${requirement}, got ${String(settings[field as keyof LocalTrainingSettings])}`);
  };
  check(Number.isInteger(settings.localEpochs) && settings.localEpochs >= 1, 'localEpochs', 'an integer ≥ 1');
  check(Number.isInteger(settings.batchSize) && settings.batchSize >= 1, 'batchSize', 'an integer ≥ 1');
  check(Number.isFinite(settings.learningRate) && settings.learningRate > 0, 'learningRate', 'finite and > 0');
  check(settings.optimizer === 'sgd' || settings.optimizer === 'adam', 'optimizer', "'sgd' or 'adam'");
  check(Number.isFinite(settings.momentum) && settings.momentum >= 0 && settings.momentum < 1, 'momentum', 'in [0, 1)');
  check(Number.isInteger(settings.maxSteps) && settings.maxSteps >= 0, 'maxSteps', 'an integer ≥ 0 (0 = no cap)');
  return settings;
}

export class ServerStrategy implements Strategy {
  readonly name: string;
  readonly aggregator: UpdateAggregator;
  readonly serverOptimizer: ServerOptimizerChoice;
  readonly sampler: ClientSampler;
  readonly clientsPerRound: number;
  readonly local: LocalTrainingSettings;
  private readonly options: StrategyOptions;
  private readonly clientConfig: ClientConfig;
  private current: ParameterSet | undefined;
  private state: ServerOptimizerState | undefined;
  private readonly plans = new Map<number, RoundPlan>();

  constructor(definition: StrategyDefinition, options: StrategyOptions) {
    if (!Number.isInteger(options?.clientsPerRound) || options.clientsPerRound < 1) {
      throw new ConfigError(`${definition.name}: clientsPerRound must be an integer ≥ 1, got ${options?.clientsPerRound}`);
    }
    const minimum = definition.aggregator.minUpdates();
    if (options.clientsPerRound < minimum) {
      throw new ConfigError(
        `${definition.name}: the ${definition.aggregator.name} aggregator needs at least ${minimum} updates per round, but clientsPerRound is ${options.clientsPerRound}; raise clientsPerRound`,
      );
    }
    const perEvaluate = options.clientsPerEvaluate ?? 0;
    if (!Number.isInteger(perEvaluate) || perEvaluate < 0) {
      throw new ConfigError(`${definition.name}: clientsPerEvaluate must be an integer ≥ 0, got ${options.clientsPerEvaluate}`);
    }
    this.name = definition.name;
    this.aggregator = definition.aggregator;
    this.serverOptimizer = definition.serverOptimizer;
    this.clientConfig = definition.clientConfig ?? {};
    this.sampler = options.sampler ?? uniformSampler();
    this.clientsPerRound = options.clientsPerRound;
    this.local = resolveLocal(options.local);
    this.options = options;
    // validates the server hyper-parameters now rather than at round 1
    initServerState(this.serverOptimizer.kind, { names: [], arrays: [] }, this.serverOptimizer.hyper as never);
  }

  get parameters(): ParameterSet {
    if (!this.current) throw new ConfigError(`${this.name}: no global parameters yet; call initialize(initialParameters) first`);
    return this.current;
  }

  initialize(initial: ParameterSet): ParameterSet {
    const bad = firstNonFinite(initial);
    if (bad) throw new ConfigError(`${this.name}: initial parameter "${bad.tensor}" has ${bad.value} at index ${bad.index}`);
    this.current = cloneParameters(initial);
    this.state = initServerState(this.serverOptimizer.kind, this.current, this.serverOptimizer.hyper as never);
    this.plans.clear();
    return this.current;
  }

  /** The server optimiser's state (round counter, moments), for inspection and tests. */
  get serverState(): ServerOptimizerState | undefined {
    return this.state;
  }

  exportState(): StrategyState {
    const state = this.state;
    if (!state) throw new ConfigError(`${this.name}: no state yet; call initialize(initialParameters) first`);
    return {
      values: { serverRound: state.round },
      vectors: {
        ...(state.m ? { serverM: flattenParameters(state.m) } : {}),
        ...(state.v ? { serverV: flattenParameters(state.v) } : {}),
      },
    };
  }

  importState(saved: StrategyState): void {
    const current = this.parameters;
    const state = this.state!;
    const round = saved.values.serverRound;
    if (!Number.isInteger(round) || round < 0) throw new ConfigError(`${this.name}: saved state has server round ${round}`);
    const restore = (name: string, own: ParameterSet | undefined): ParameterSet | undefined => {
      const flat = saved.vectors[name];
      if ((flat === undefined) !== (own === undefined)) {
        throw new ConfigError(`${this.name}: the saved state ${flat ? 'has' : 'lacks'} ${name}, which the ${this.serverOptimizer.kind} server optimiser ${own ? 'needs' : 'does not keep'}`);
      }
      if (!flat) return undefined;
      if (flat.length !== parameterCount(current)) throw new ConfigError(`${this.name}: saved ${name} has ${flat.length} values, the model ${parameterCount(current)}`);
      return unflattenParameters(flat, current);
    };
    this.state = { round, m: restore('serverM', state.m), v: restore('serverV', state.v) };
    if (!this.state.m) delete this.state.m;
    if (!this.state.v) delete this.state.v;
  }

  configureFit(round: number, clients: readonly ClientInfo[], rng: SeededRandom): FitInstruction[] {
    const parameters = this.parameters;
    if (clients.length === 0) {
      this.plans.set(round, { order: new Map(), instructions: [], weightsSumToOne: true });
      return [];
    }
    const k = Math.min(this.clientsPerRound, clients.length);
    const selection = this.sampler.sample(round, clients, k, rng);
    const merged = new Map<string, { weight: number; draws: number }>();
    selection.clients.forEach((id, i) => {
      const entry = merged.get(id) ?? { weight: 0, draws: 0 };
      entry.weight += selection.aggregationWeights[i];
      entry.draws++;
      merged.set(id, entry);
    });
    const base: ClientConfig = {
      localEpochs: this.local.localEpochs,
      batchSize: this.local.batchSize,
      learningRate: this.local.learningRate,
      optimizer: this.local.optimizer,
      momentum: this.local.momentum,
      maxSteps: this.local.maxSteps,
      proximalMu: 0,
      ...this.clientConfig,
      ...(this.options.fitConfig?.(round) ?? {}),
      round,
    };
    const instructions: FitInstruction[] = [...merged.entries()].map(([clientId, { weight, draws }]) => ({
      clientId,
      parameters,
      // a seed per (round stream, client): local shuffles and dropout do not depend on who runs the client
      config: { ...base, seed: rng.fork(`fit:${clientId}`).seed },
      weight,
      draws,
    }));
    this.plans.set(round, {
      order: new Map(instructions.map((ins, i) => [ins.clientId, i])),
      instructions,
      weightsSumToOne: selection.weightsSumToOne,
    });
    return instructions;
  }

  /**
   * Takes the round's plan and screens its results: updates from clients that were not asked
   * (or twice), with the wrong layout or holding NaN/±Infinity are rejected and counted; the
   * rest come back as deltas in instruction order, with the round's metrics. The first half of
   * aggregateFit, shared with wrappers that combine the accepted updates their own way
   * (privacy/private-aggregation-strategy.ts), which then finish with applyAggregate.
   */
  screenFitResults(round: number, results: readonly FitResult[], failures: readonly Failure[]): ScreenedRound {
    const current = this.parameters;
    const plan = this.plans.get(round);
    if (!plan) throw new ConfigError(`${this.name}: aggregateFit for round ${round}, which configureFit never planned`);
    this.plans.delete(round);
    let rejectedNonFinite = 0;
    let rejectedInvalid = 0;
    const seen = new Set<string>();
    const accepted: AcceptedUpdate[] = [];
    for (const result of results) {
      const order = plan.order.get(result.clientId);
      if (order === undefined || seen.has(result.clientId)) {
        rejectedInvalid++;
        continue;
      }
      seen.add(result.clientId);
      let delta: ParameterSet;
      try {
        if ((result.delta === undefined) === (result.parameters === undefined)) {
          throw new ConfigError('a fit result must hold exactly one of parameters and delta');
        }
        delta = result.delta ?? subtractParameters(result.parameters!, current);
        assertSameLayout(current, delta, `client "${result.clientId}" update`);
      } catch {
        rejectedInvalid++;
        continue;
      }
      if (firstNonFinite(delta)) {
        rejectedNonFinite++;
        continue;
      }
      const loss = result.metrics?.loss;
      accepted.push({
        order,
        delta,
        weight: plan.instructions[order].weight,
        examples: result.numExamples,
        loss: typeof loss === 'number' && Number.isFinite(loss) ? loss : undefined,
      });
    }
    accepted.sort((a, b) => a.order - b.order);
    const examples = accepted.reduce((s, a) => s + a.examples, 0);
    const withLoss = accepted.filter((a) => a.loss !== undefined);
    const lossWeight = withLoss.reduce((s, a) => s + a.examples, 0);
    const metrics: Metrics = {
      selected: plan.instructions.length,
      clients: accepted.length,
      failures: failures.length,
      rejectedNonFinite,
      rejectedInvalid,
      examples,
    };
    if (lossWeight > 0) metrics.trainLoss = withLoss.reduce((s, a) => s + a.loss! * a.examples, 0) / lossWeight;
    return { instructions: plan.instructions, weightsSumToOne: plan.weightsSumToOne, accepted, metrics };
  }

  /** Steps the server optimiser with the round's aggregated delta; the new global model and `metrics` completed. */
  applyAggregate(delta: ParameterSet, metrics: Metrics): AggregateFitOutput {
    const step = serverStep(this.serverOptimizer.kind, this.state!, this.parameters, delta, this.serverOptimizer.hyper as never);
    this.current = step.x;
    this.state = step.state;
    metrics.skipped = 0;
    metrics.updateNorm = l2Norm(delta);
    return { parameters: step.x, metrics };
  }

  aggregateFit(round: number, results: readonly FitResult[], failures: readonly Failure[]): AggregateFitOutput {
    const { accepted, metrics, weightsSumToOne } = this.screenFitResults(round, results, failures);
    const positive = accepted.filter((a) => this.aggregator.ignoresWeights || a.weight > 0);
    if (positive.length < Math.max(1, this.aggregator.minUpdates())) {
      metrics.skipped = 1;
      return { parameters: this.parameters, metrics };
    }
    const delta = this.aggregator.combine(
      positive.map((a) => a.delta),
      positive.map((a) => a.weight),
      weightsSumToOne,
    );
    return this.applyAggregate(delta, metrics);
  }

  configureEvaluate(round: number, clients: readonly ClientInfo[], rng: SeededRandom): EvaluateInstruction[] {
    const k = Math.min(this.options.clientsPerEvaluate ?? 0, clients.length);
    if (k === 0) return [];
    const selection = uniformSampler().sample(round, clients, k, rng);
    return selection.clients.map((clientId) => ({
      clientId,
      parameters: this.parameters,
      config: { round, batchSize: this.local.batchSize },
    }));
  }

  aggregateEvaluate(_round: number, results: readonly EvaluateResult[], failures: readonly Failure[]): AggregateEvaluateOutput {
    const usable = results.filter((r) => Number.isFinite(r.loss) && r.numExamples > 0);
    const total = usable.reduce((s, r) => s + r.numExamples, 0);
    const metrics: Metrics = { clients: usable.length, failures: failures.length + (results.length - usable.length), examples: total };
    if (total === 0) return { loss: undefined, metrics };
    const keys = new Set(usable.flatMap((r) => Object.keys(r.metrics)));
    for (const key of keys) {
      const withKey = usable.filter((r) => Number.isFinite(r.metrics[key]));
      const weight = withKey.reduce((s, r) => s + r.numExamples, 0);
      if (weight > 0) metrics[key] = withKey.reduce((s, r) => s + r.metrics[key] * r.numExamples, 0) / weight;
    }
    return { loss: usable.reduce((s, r) => s + r.loss * r.numExamples, 0) / total, metrics };
  }

  evaluate(round: number, parameters: ParameterSet): ServerEvaluation | undefined | Promise<ServerEvaluation | undefined> {
    return this.options.evaluateFn?.(round, parameters);
  }
}
