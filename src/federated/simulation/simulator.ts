/**
 * The federated simulator: rounds of (availability → strategy.configureFit → dropout →
 * local training on the executor → strategy.aggregateFit → evaluation), in a static
 * setting or a continual one.
 *
 * Continual setting (T periods): every client's data is cut into T consecutive parts
 * (continualSplit); in period t a client holds only what `storedAt` allows (by default the
 * data of period t: period t − 1 is deleted when t arrives). The global model carries over
 * from one period to the next (warm start, server-optimiser state included). After each
 * period the model is evaluated on the evaluation split and on the training data of every
 * period seen so far, which gives the average accuracy and forgetting (Chaudhry et al. 2018,
 * "Riemannian walk for incremental learning"). The "all data at once" baseline is the static
 * setting with the same total number of rounds.
 *
 * Reproducibility: one seed fixes the partition (in prepareFederatedDataset), the model
 * initialisation, each round's selection (a stream per round), the clients' local shuffles
 * and dropout masks (a seed per round and client), availability and dropout (keyed hashes of
 * seed, client and round). Jobs carry everything they need, results are put back in
 * instruction order, and evaluation uses fixed chunks, so the outcome does not depend on the
 * number of workers or on which worker ran which client.
 */
import { SeededRandom } from '../../engine/random.js';
import type { BackendName, tf } from '../../engine/index.js';
import { WorkerInitError } from '../../engine/workers/index.js';
import { ConfigError, NonFiniteError, QueueConnectionError, QueueJobError, ShapeMismatchError } from '../../errors.js';
import type { QueueRunOptions } from '../../engine/jobs/index.js';
import { continualSplit, continualSplitByPeriod, continualSplitByTime, domainPeriods, partitionAt, type ContinualPartition } from '../../data/partition/index.js';
import { SILENT, type ProgressReporter } from '../../train/progress.js';
import type { ParameterSet } from '../aggregate/index.js';
import { availability as availabilityModel, clientDropout as dropoutModel } from '../selection/index.js';
import { evaluationMetrics, localTrainingConfigFrom, viewParameters } from '../client/index.js';
import type { Failure, FitResult, Strategy, EvaluateResult } from '../strategy.js';
import { hasAsyncAggregation } from '../privacy/index.js';
import { ClientRegistry, type ClientStateStore } from './client-registry.js';
import { SimulationExecutor } from './executor.js';
import type { FederatedDataset } from './federated-dataset.js';
import { parseSettingSpec, type SettingSpec } from './spec.js';
import type { SimulationJob } from './training-handler.js';
import { userModelFederatedDataset, writeGlobalModel, type UserModelLoss, type UserModelSimulation } from './user-model.js';

/**
 * Either `data` (a dataset prepared for a trustnlu model or a user's model.json:
 * prepareFederatedDataset), or a user's tf.LayersModel with Flower-style `clientFn`
 * (UserModelSimulation: model, clientFn, clients, evaluationData, loss).
 */
export interface SimulationOptions extends Partial<UserModelSimulation> {
  data?: FederatedDataset;
  strategy: Strategy;
  /** Total rounds (split over the periods in the continual setting). */
  rounds: number;
  seed: number;
  /** Reuse an executor (e.g. for a baseline run); otherwise one is made and closed here. */
  executor?: SimulationExecutor;
  /** Worker threads when no executor is given (0 = this thread). */
  workers?: number;
  /** Run the clients on the Redis queue when no executor is given (instead of worker threads). */
  queue?: QueueRunOptions;
  backend?: BackendName;
  /** Default static. */
  setting?: SettingSpec | string;
  /** Probability that a client is online in a round; default 1. */
  availability?: number;
  /** Probability that a selected client fails to report; default 0. */
  dropout?: number;
  /** Evaluate every this many rounds (the last round of each period is always evaluated); default 1. */
  evaluateEvery?: number;
  /**
   * Evaluate the global model on these examples of the training split (the clients' held-out
   * validation parts: holdOutClientValidation) instead of the evaluation split, which is then
   * never read. The clients in `data` must not hold them for training.
   */
  validationIndices?: Int32Array;
  /** Keep each client's local optimiser state between rounds (otherwise clients are stateless). */
  stateStore?: ClientStateStore;
  progress?: ProgressReporter;
  onRound?: (record: RoundRecord) => void;
}

export interface CurvePoint {
  round: number;
  accuracy: number;
  loss: number;
  /** Client training examples processed up to and including this round (examplesProcessed summed). */
  examples: number;
}

export interface RoundRecord {
  round: number;
  /** 0-based period (always 0 in the static setting). */
  period: number;
  /** Clients online and holding data this round. */
  available: number;
  /** Distinct clients selected. */
  selected: number;
  /** Updates that went into the aggregate. */
  aggregated: number;
  /**
   * Training examples the reporting clients put through a gradient step this round (their
   * local trainers' count). Clients that dropped out or failed report nothing and count 0;
   * an update the strategy rejected still counts (its client did the work).
   */
  examplesProcessed: number;
  /** Selected clients that did not report (dropout or an error during local training). */
  failures: number;
  /** Failures by reason: dropout, non-finite (local loss became NaN/∞), error (anything else). */
  failuresByReason: Partial<Record<Failure['reason'], number>>;
  dropped: number;
  rejectedNonFinite: number;
  rejectedInvalid: number;
  /** True when too few updates arrived and the model was left unchanged. */
  skipped: boolean;
  trainLoss?: number;
  updateNorm?: number;
  /** Evaluation of the new global model, when this round was evaluated. */
  accuracy?: number;
  loss?: number;
  federatedLoss?: number;
  federatedAccuracy?: number;
  /** Wall time of the round, evaluation included. */
  seconds: number;
  /** Part of `seconds` spent evaluating (federated and server-side). */
  evaluationSeconds: number;
  /** DP-FedAvg / secure-aggregation round metrics (dpClip, dpNoiseStd, secaggSeconds, ...), when the strategy reports them. */
  privacy?: Record<string, number>;
}

export interface PeriodRecord {
  period: number;
  firstRound: number;
  lastRound: number;
  clients: number;
  accuracy: number;
  loss: number;
  /** Accuracy and loss on the training data of every period seen so far (0 … period). */
  seen: { period: number; accuracy: number; loss: number }[];
}

export interface SimulationResult {
  strategy: string;
  setting: string;
  rounds: number;
  /** Final evaluation of the global model. */
  accuracy: number;
  loss: number;
  /** Round 0 is the initial model. */
  curve: CurvePoint[];
  /** Client training examples processed over all rounds (RoundRecord.examplesProcessed summed). */
  examplesProcessed: number;
  seconds: number;
  clients: number;
  history: RoundRecord[];
  totals: { failures: number; dropped: number; nonFiniteClients: number; rejectedNonFinite: number; rejectedInvalid: number; skippedRounds: number };
  periods?: PeriodRecord[];
  /** Continual setting: mean final accuracy over the periods' data, and mean forgetting. */
  continual?: { averageAccuracy: number; forgetting: number };
  /** The drift setting: the domains that arrive in each period. */
  driftDomains?: string[][];
  parameters: ParameterSet;
  /** With `model` and `clientFn`: the model `model()` built, holding the final global weights. */
  layersModel?: tf.LayersModel;
}

/** Rounds per period: R split as evenly as possible over T periods (earlier periods get the extra rounds). */
export function roundsPerPeriod(rounds: number, periods: number): number[] {
  if (rounds < periods) throw new ConfigError(`the continual setting needs at least one round per period: ${rounds} rounds for ${periods} periods`);
  return Array.from({ length: periods }, (_, t) => Math.floor(rounds / periods) + (t < rounds % periods ? 1 : 0));
}

function countReasons(failures: readonly Failure[]): Partial<Record<Failure['reason'], number>> {
  const counts: Partial<Record<Failure['reason'], number>> = {};
  for (const f of failures) counts[f.reason] = (counts[f.reason] ?? 0) + 1;
  return counts;
}

function isSystemic(error: unknown): boolean {
  // a bad configuration or a broken pool fails every client alike, and a queue job that failed
  // every attempt (or a lost Redis) is an infrastructure fault, not a client's: stop instead of counting failures
  return (
    error instanceof ConfigError ||
    error instanceof ShapeMismatchError ||
    error instanceof WorkerInitError ||
    error instanceof QueueJobError ||
    error instanceof QueueConnectionError
  );
}

/** Validation examples must be nonempty and held by no client for training (else the estimate is a training score). */
function checkHeldOut(validation: Int32Array, clients: FederatedDataset['clients']): void {
  if (validation.length === 0) throw new ConfigError('validationIndices is empty: hold out a larger fraction of each client\'s data (or evaluate on the evaluation split)');
  const held = new Set(validation);
  for (const client of clients) {
    const shared = client.indices.find((i) => held.has(i));
    if (shared !== undefined) throw new ConfigError(`validation example ${shared} is also in client ${client.id}'s training data; pass the clients returned by holdOutClientValidation`);
  }
}

/** The dataset the options name: `data`, or the one made from `model` and `clientFn`. */
async function simulationData(options: SimulationOptions): Promise<{ data: FederatedDataset; user?: { model: tf.LayersModel; loss: UserModelLoss } }> {
  const userFields = (['model', 'clientFn', 'clients', 'evaluationData'] as const).filter((k) => options[k] !== undefined);
  if (options.data) {
    if (userFields.length > 0) throw new ConfigError(`give data, or model and clientFn, not both (got data and ${userFields.join(', ')})`);
    return { data: options.data };
  }
  const missing = (['model', 'clientFn', 'clients', 'evaluationData'] as const).filter((k) => options[k] === undefined);
  if (missing.length > 0) throw new ConfigError(`runSimulation needs data (prepareFederatedDataset), or your model with model, clientFn, clients and evaluationData; missing ${missing.join(', ')}`);
  const { data, model } = await userModelFederatedDataset(options as UserModelSimulation, options.seed);
  return { data, user: { model, loss: options.loss ?? 'sparseCategoricalCrossentropy' } };
}

export async function runSimulation(options: SimulationOptions): Promise<SimulationResult> {
  const started = performance.now();
  const { strategy } = options;
  if (!Number.isInteger(options.rounds) || options.rounds < 1) throw new ConfigError(`rounds must be an integer ≥ 1, got ${options.rounds}`);
  if (!Number.isInteger(options.seed) || options.seed < 0) throw new ConfigError(`seed must be an integer ≥ 0, got ${options.seed}`);
  const setting: SettingSpec = typeof options.setting === 'string' ? parseSettingSpec(options.setting) : options.setting ?? { kind: 'static' };
  const evaluateEvery = options.evaluateEvery ?? 1;
  if (!Number.isInteger(evaluateEvery) || evaluateEvery < 1) throw new ConfigError(`evaluateEvery must be an integer ≥ 1, got ${options.evaluateEvery}`);
  const availabilityRate = options.availability ?? 1;
  const dropoutProbability = options.dropout ?? 0;
  const root = new SeededRandom(options.seed);
  const online = availabilityRate < 1 ? availabilityModel({ rate: availabilityRate, seed: root.fork('availability').seed }) : undefined;
  const failing = dropoutProbability > 0 ? dropoutModel({ probability: dropoutProbability, seed: root.fork('dropout').seed }) : undefined;
  const schedule = setting.kind === 'continual' ? roundsPerPeriod(options.rounds, setting.periods) : [options.rounds];
  const progress = options.progress ?? SILENT;
  const { data, user } = await simulationData(options);

  const executor = options.executor ?? (await SimulationExecutor.create(data, { workers: options.workers, backend: options.backend, ...(options.queue ? { queue: options.queue } : {}) }));
  try {
    const layout = executor.layout;
    strategy.initialize(executor.initialParameters());
    const validation = options.validationIndices;
    if (validation) checkHeldOut(validation, data.clients);
    const evaluationSplit = validation ? 'train' : 'evaluation';
    const evaluationIndices = validation ?? executor.evaluationIndices(data);
    const evaluate = async (parameters: Float32Array, split: 'train' | 'evaluation' = evaluationSplit, indices = evaluationIndices) =>
      evaluationMetrics(await executor.evaluate(split, indices, parameters));
    /** Packs each distinct parameter set once (the instructions of a round share the global model). */
    const broadcaster = () => {
      const packed = new Map<ParameterSet, Float32Array>();
      return (parameters: ParameterSet): Float32Array => {
        let flat = packed.get(parameters);
        if (!flat) packed.set(parameters, (flat = executor.broadcast(parameters)));
        return flat;
      };
    };

    const initial = await evaluate(executor.broadcast(strategy.parameters));
    const curve: CurvePoint[] = [{ round: 0, accuracy: initial.accuracy, loss: initial.loss, examples: 0 }];
    let examplesProcessed = 0;
    const history: RoundRecord[] = [];
    const periods: PeriodRecord[] = [];
    const totals = { failures: 0, dropped: 0, nonFiniteClients: 0, rejectedNonFinite: 0, rejectedInvalid: 0, skippedRounds: 0 };
    let last = { accuracy: initial.accuracy, loss: initial.loss };

    const runRound = async (round: number, period: number, registry: ClientRegistry, evaluateNow: boolean): Promise<RoundRecord> => {
      const roundStarted = performance.now();
      const rng = root.fork(`round:${round}`);
      const available = online ? online.online(registry.infos(), round) : registry.infos();
      const instructions = strategy.configureFit(round, available, rng.fork('fit'));
      const failures: Failure[] = [];
      const broadcastForFit = broadcaster();
      const jobs: Extract<SimulationJob, { type: 'fit' }>[] = [];
      for (const instruction of instructions) {
        if (failing && !failing.reports(instruction.clientId, round)) {
          failures.push({ clientId: instruction.clientId, reason: 'dropout' });
          continue;
        }
        const state = options.stateStore?.get(instruction.clientId);
        jobs.push({
          type: 'fit',
          clientId: instruction.clientId,
          indices: registry.indicesOf(instruction.clientId),
          parameters: broadcastForFit(instruction.parameters),
          config: localTrainingConfigFrom(instruction.config),
          ...(state ? { optimizerState: state } : {}),
          ...(options.stateStore ? { keepOptimizerState: true } : {}),
        });
      }
      const dropped = failures.length;
      progress.start(`round ${round}/${options.rounds}`, jobs.length);
      let done = 0;
      const settled = await executor.fit(jobs, () => progress.update(++done));
      progress.stop();
      const results: FitResult[] = [];
      let roundExamples = 0;
      settled.forEach((outcome, i) => {
        const clientId = jobs[i].clientId;
        if (outcome.status === 'fulfilled') {
          const value = outcome.value;
          roundExamples += value.examplesProcessed;
          results.push({ clientId, numExamples: value.numExamples, delta: viewParameters(value.delta, layout), metrics: { ...value.metrics } });
          registry.recordLoss(clientId, value.metrics.loss);
          if (options.stateStore && value.optimizerState) options.stateStore.set(clientId, value.optimizerState);
        } else {
          const error = outcome.reason as Error;
          if (isSystemic(error)) throw error;
          failures.push({ clientId, reason: error instanceof NonFiniteError ? 'non-finite' : 'error', message: error?.message ?? String(error) });
        }
      });
      // private aggregation (secure aggregation) computes the round's sum asynchronously
      const aggregate = hasAsyncAggregation(strategy) ? await strategy.aggregateFitAsync(round, results, failures) : strategy.aggregateFit(round, results, failures);
      const m = aggregate.metrics;
      const record: RoundRecord = {
        round,
        period,
        available: available.length,
        selected: instructions.length,
        aggregated: m.clients ?? results.length,
        examplesProcessed: roundExamples,
        failures: failures.length,
        failuresByReason: countReasons(failures),
        dropped,
        rejectedNonFinite: m.rejectedNonFinite ?? 0,
        rejectedInvalid: m.rejectedInvalid ?? 0,
        skipped: m.skipped === 1,
        seconds: 0,
        evaluationSeconds: 0,
      };
      if (m.trainLoss !== undefined) record.trainLoss = m.trainLoss;
      if (m.updateNorm !== undefined) record.updateNorm = m.updateNorm;
      const privacy = Object.entries(m).filter(([key]) => /^(dp|secagg)[A-Z]/.test(key));
      if (privacy.length > 0) record.privacy = Object.fromEntries(privacy);
      examplesProcessed += roundExamples;
      const evaluationStarted = performance.now();
      // after aggregation: federated and server-side evaluation share the new global model
      const broadcastForEvaluation = broadcaster();
      const evalInstructions = strategy.configureEvaluate(round, available, rng.fork('evaluate'));
      if (evalInstructions.length > 0) {
        const evalResults: EvaluateResult[] = [];
        for (const instruction of evalInstructions) {
          const metrics = evaluationMetrics(
            await executor.evaluate('train', registry.indicesOf(instruction.clientId), broadcastForEvaluation(instruction.parameters)),
          );
          evalResults.push({ clientId: instruction.clientId, loss: metrics.loss, numExamples: metrics.examples, metrics: { accuracy: metrics.accuracy } });
        }
        const federated = strategy.aggregateEvaluate(round, evalResults, []);
        if (federated.loss !== undefined) record.federatedLoss = federated.loss;
        if (federated.metrics.accuracy !== undefined) record.federatedAccuracy = federated.metrics.accuracy;
      }
      if (evaluateNow) {
        const metrics = await evaluate(broadcastForEvaluation(aggregate.parameters));
        record.accuracy = metrics.accuracy;
        record.loss = metrics.loss;
        last = { accuracy: metrics.accuracy, loss: metrics.loss };
        curve.push({ round, accuracy: metrics.accuracy, loss: metrics.loss, examples: examplesProcessed });
      }
      record.evaluationSeconds = (performance.now() - evaluationStarted) / 1000;
      record.seconds = (performance.now() - roundStarted) / 1000;
      totals.failures += record.failures;
      totals.dropped += record.dropped;
      totals.nonFiniteClients += record.failuresByReason['non-finite'] ?? 0;
      totals.rejectedNonFinite += record.rejectedNonFinite;
      totals.rejectedInvalid += record.rejectedInvalid;
      if (record.skipped) totals.skippedRounds++;
      return record;
    };

    let split: ContinualPartition | undefined;
    let driftGroups: string[][] | undefined;
    if (setting.kind === 'continual' && setting.drift === 'domain') {
      if (!data.domains) {
        throw new ConfigError(`setting drift:${setting.periods}: dataset "${data.name}" has no domain or scenario on every training example; use a dataset with domains (clinc150, hwu64, slurp, synthetic) or --setting continual:T`);
      }
      const dealt = domainPeriods(data.domains, setting.periods, root.fork('drift'));
      driftGroups = dealt.groups;
      split = continualSplitByPeriod({ clients: data.clients }, setting.periods, dealt.periodOf);
      progress.event('drift', { periods: setting.periods, domains: dealt.groups });
    } else if (setting.kind === 'continual') {
      split = data.times
        ? continualSplitByTime({ clients: data.clients }, setting.periods, data.times)
        : continualSplit({ clients: data.clients }, setting.periods, root.fork('continual'));
    }
    const staticRegistry = split ? undefined : new ClientRegistry(data.clients);
    let round = 0;
    let clients = staticRegistry?.size ?? 0;
    for (let period = 0; period < schedule.length; period++) {
      const registry = staticRegistry ?? new ClientRegistry(partitionAt(split!, period, { window: (setting as { window: number }).window }).clients);
      clients = Math.max(clients, registry.size);
      const firstRound = round + 1;
      for (let r = 0; r < schedule[period]; r++) {
        round++;
        const lastOfPeriod = r === schedule[period] - 1;
        const record = await runRound(round, period, registry, lastOfPeriod || round % evaluateEvery === 0);
        history.push(record);
        progress.event('round', { ...record });
        options.onRound?.(record);
      }
      if (split) {
        const seen: PeriodRecord['seen'] = [];
        const parameters = executor.broadcast(strategy.parameters);
        for (let s = 0; s <= period; s++) {
          const indices = Int32Array.from(split.clients.flatMap((c) => c.periods[s]));
          const m = await evaluate(parameters, 'train', indices);
          seen.push({ period: s, accuracy: m.accuracy, loss: m.loss });
        }
        const record: PeriodRecord = { period, firstRound, lastRound: round, clients: registry.size, accuracy: last.accuracy, loss: last.loss, seen };
        periods.push(record);
        progress.event('period', { ...record, seen: seen.map((s) => s.accuracy) });
      }
    }

    const result: SimulationResult = {
      strategy: strategy.name,
      setting: setting.kind === 'static' ? 'static' : `continual(T=${setting.periods}, window=${setting.window}${setting.drift ? ', drift by domain' : ''})`,
      rounds: options.rounds,
      accuracy: last.accuracy,
      loss: last.loss,
      curve,
      examplesProcessed,
      seconds: (performance.now() - started) / 1000,
      clients,
      history,
      totals,
      parameters: strategy.parameters,
    };
    if (split) {
      const T = periods.length;
      const final = periods[T - 1].seen;
      const averageAccuracy = final.reduce((s, p) => s + p.accuracy, 0) / T;
      let forgetting = 0;
      for (let s = 0; s < T - 1; s++) {
        let best = -Infinity;
        for (let t = s; t < T - 1; t++) best = Math.max(best, periods[t].seen[s].accuracy);
        forgetting += best - final[s].accuracy;
      }
      result.periods = periods;
      result.continual = { averageAccuracy, forgetting: T > 1 ? forgetting / (T - 1) : 0 };
      if (driftGroups) result.driftDomains = driftGroups;
    }
    if (user) {
      writeGlobalModel(user.model, strategy.parameters, user.loss);
      result.layersModel = user.model;
    }
    return result;
  } finally {
    if (!options.executor) await executor.close();
  }
}
