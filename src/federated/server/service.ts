/**
 * A federated service from names, as `trustnlu fl serve` and the tests start it: a model
 * (a real one built from a dataset and a partition, or a synthetic parameter vector for load
 * tests), a strategy by name, the store (a SQLite state file, or Redis shared by several server
 * processes), the round policy, and the HTTP server.
 *
 * With a dataset, the server builds the same model the clients build (same dataset,
 * partition, model kind and seed give the same vocabulary and layout), evaluates every new
 * global model on the evaluation split (the accuracy curve), and tells clients the
 * federation's description so they can check they hold the same model.
 */
import type { FastifyInstance } from 'fastify';
import { ConfigError } from '../../errors.js';
import type { BackendName } from '../../engine/index.js';
import type { ParameterSet } from '../aggregate/index.js';
import { evaluateExamples, evaluationMetrics, readModelParameters, writeModelParameters } from '../client/index.js';
import { createStrategy, parseStrategySpec, type LocalTrainingSettings } from '../strategies/index.js';
import { privateAggregation, userLevelEpsilon } from '../privacy/index.js';
import type { Strategy } from '../strategy.js';
import type { AccountantName } from '../../privacy/index.js';
import { openFederationStore, isRedisLocation, type FederationStore } from '../store/index.js';
import { createFederationServer, type HttpServerOptions } from './http-server.js';
import { checkAnalyticsSettings, type AnalyticsSettings } from './analytics-rounds.js';
import { checkEvaluationSettings, type FederatedEvaluationSettings } from './evaluation-rounds.js';
import { RoundCoordinator, type RoundPolicy } from './round-coordinator.js';
import { DEFAULT_MAX_WEIGHT, readClientTokens, type EnrolmentMode } from './enrolment.js';
import type { UserTextModel } from '../simulation/user-text-model.js';

/** Where the model comes from. */
export type ServiceModelSource =
  | {
      kind: 'dataset';
      dataset: string;
      partition: string;
      numClients: number;
      model: string;
      modelConfig?: Record<string, unknown>;
      seed: number;
      dataDir?: string;
      backend?: BackendName;
      /** Your tf.LayersModel (a model.json, loadUserTextModel) instead of the built-in `model` kind; `model` is then 'layers'. */
      userModel?: UserTextModel;
    }
  /** One tensor of `parameters` zeros: no model, no evaluation (protocol and load tests). */
  | { kind: 'synthetic'; parameters: number };

export interface ServiceOptions {
  source: ServiceModelSource;
  /** Strategy spec (fedavg, fedprox:MU, median, trimmed:BETA, krum:F, multikrum[:F:M], meamed[:BETA], nnm:median|nnm:trimmed:BETA|nnm:meamed[:BETA]; see STRATEGY_FORMS). */
  strategy: string;
  /** SQLite file (":memory:" for a throw-away federation); ignored when `store` is given. */
  statePath: string;
  /** A shared store instead of the SQLite file: redis://host:port[/db]. */
  store?: string;
  /** Key prefix of this federation in Redis (default trustnlu:fl:default:). */
  redisPrefix?: string;
  /**
   * This process is one of several serving the same federation (`--workers N`). With a Redis
   * store the coordinator always runs in shared mode (round state, availability and tokens read
   * from the store; see RoundCoordinator `shared`), one process or several; this flag only
   * makes the checks strict (a shared store is required, secure aggregation is refused).
   * Secure aggregation on Redis runs in single-process mode.
   */
  sharedWithOtherProcesses?: boolean;
  policy: Partial<RoundPolicy> & { rounds: number; targetUpdates: number };
  /**
   * Who may enrol (default invite codes) and the cap on aggregation weights (default 1: equal
   * weights); `clientTokensFile` is the provisioned-tokens file of the tokens mode.
   */
  enrolment?: { mode: EnrolmentMode; maxWeight?: number; clientTokensFile?: string };
  /** Extra clients selected per round, as a fraction of targetUpdates (default 0). */
  overSelection?: number;
  local?: Partial<LocalTrainingSettings>;
  http?: HttpServerOptions;
  fsync?: 'normal' | 'full';
  /**
   * User-level DP (DP-FedAvg, Gaussian noise at the server, ε from the project's accountant).
   * Fixed `clip`: clients must clip their update to it (the task's maxUpdateNorm). 'auto':
   * adaptive clipping (Andrew et al.), the server clips, or with secure aggregation the clients
   * clip and put their unclipped bit into the masked sum; the clip norm is saved with each checkpoint.
   */
  dp?: { clip: number | 'auto'; noiseMultiplier?: number; epsilon?: number; delta: number; population?: number; accountant?: AccountantName };
  /**
   * Secure aggregation (SecAgg+): clients send only masked inputs; the server learns the sum of
   * the survivors' weighted updates. Fixed-point range R per coordinate (default 1) and a
   * deadline per protocol stage (default 30 s).
   */
  secureAggregation?: { range?: number; stageTimeoutMs?: number; neighbours?: number; threshold?: number };
  /** Federated evaluation rounds (evaluation-rounds.ts); single-process federations only. */
  federatedEvaluation?: FederatedEvaluationSettings;
  /**
   * One private analytics task (analytics-rounds.ts): TrieHH heavy hitters or a label histogram,
   * under secure aggregation when `secureAggregation` is on; a histogram's labels default to the
   * dataset's. Single-process federations only.
   */
  analytics?: AnalyticsSettings;
  onEvent?: (event: string, data: Record<string, unknown>) => void;
}

export interface RunningService {
  app: FastifyInstance;
  coordinator: RoundCoordinator;
  store: FederationStore;
  url: string;
  /** One line with the server's security posture (enrolment, weights, norm bound, TLS, DP, secure aggregation). */
  posture: string;
  close(): Promise<void>;
}

/** The security posture as one line, for the start-up log. */
export function securityPosture(options: ServiceOptions, coordinator: RoundCoordinator): string {
  const e = coordinator.enrolment;
  const p = coordinator.policy;
  const enrolment = e.mode === 'invite' ? 'invite (single-use codes)' : e.mode === 'tokens' ? 'tokens (provisioned file)' : 'OPEN (anyone may join)';
  const weights = e.maxWeight === 1 ? 'equal (max weight 1)' : `fixed at enrolment, capped at ${e.maxWeight}`;
  const bound = options.secureAggregation
    ? `clients clip to ${p.maxUpdateNorm} (secure aggregation: the server cannot check it)`
    : options.dp
      ? `DP clip ${String(options.dp.clip)}${typeof options.dp.clip === 'number' ? `, refuse > ${p.maxUpdateNorm}` : ' (server clips)'}`
      : `${p.normClipMultiple > 0 ? `clip to ${p.normClipMultiple}× the round's median norm, ` : 'no clipping, '}refuse > ${p.maxUpdateNorm}`;
  const dp = options.dp ? `on (clip ${String(options.dp.clip)}, δ ${options.dp.delta})` : 'off';
  const secure = options.secureAggregation ? 'on (SecAgg+)' : 'off';
  const a = options.analytics;
  const analytics = a
    ? `; analytics ${a.kind} (central DP ε ${a.epsilon}, δ ${a.delta}: the server adds the noise after ${options.secureAggregation ? 'secure aggregation' : 'summing the plain reports'})`
    : '';
  return `security: enrolment ${enrolment}; weights ${weights}; update norm ${bound}; TLS ${options.http?.tls ? 'on' : 'off'}; admin routes ${options.http?.adminToken ? 'on' : 'off'}; DP ${dp}; secure aggregation ${secure}${analytics}`;
}

export async function buildCoordinator(options: ServiceOptions): Promise<{ coordinator: RoundCoordinator; store: FederationStore }> {
  // every strategy's state beyond the model (server-optimiser moments, adaptive clip) is saved with each checkpoint
  const spec = parseStrategySpec(options.strategy);
  const overSelection = options.overSelection ?? 0;
  if (!(overSelection >= 0 && overSelection <= 10)) throw new ConfigError(`overSelection must be in [0, 10], got ${overSelection}`);
  const selectCount = Math.ceil(options.policy.targetUpdates * (1 + overSelection));
  const inner = createStrategy(spec, { clientsPerRound: selectCount, local: options.local });
  let strategy: Strategy = inner;
  let aggregatorName = inner.aggregator.name;

  let initial: ParameterSet;
  let federation: Record<string, unknown>;
  let describedSource: Record<string, unknown> | undefined;
  let evaluate: ((round: number, parameters: ParameterSet) => Promise<{ loss: number; metrics: Record<string, number> } | undefined>) | undefined;
  /** Held-out examples per client (federated evaluation of a dataset federation): what a report may count at most. */
  let heldOutExamples: Map<string, number> | undefined;
  const source = options.source;
  if (source.kind === 'synthetic') {
    if (!Number.isInteger(source.parameters) || source.parameters < 1 || source.parameters > 50_000_000) {
      throw new ConfigError(`synthetic model: parameters must be an integer in [1, 5e7], got ${source.parameters}`);
    }
    initial = { names: ['w'], arrays: [new Float32Array(source.parameters)] };
    federation = { name: `synthetic(${source.parameters} parameters)`, source };
  } else {
    // heavy imports only when a real model is served
    const [{ initEngine }, { prepareFederatedDataset }, { createModel, wrapLayersModel, layersModelDigest, LAYERS_MODEL_KIND }, { tokenizerFromJSON }] = await Promise.all([
      import('../../engine/index.js'),
      import('../simulation/federated-dataset.js'),
      import('../../models/index.js'),
      import('../../text/index.js'),
    ]);
    await initEngine({ backend: source.backend ?? 'wasm' });
    const user = source.userModel;
    const data = prepareFederatedDataset({
      dataset: source.dataset,
      partition: source.partition,
      numClients: source.numClients,
      model: source.model,
      modelConfig: source.modelConfig,
      userModel: user,
      seed: source.seed,
      dataDir: source.dataDir,
    });
    const tokenizer = tokenizerFromJSON(data.model.tokenizer!);
    // The user's model is served as it is (its weights are the round-0 model); evaluation writes each global model into it.
    const model = user
      ? wrapLayersModel(user.layersModel, { tokenizer, task: 'classifier', labels: data.model.labels, maxLength: data.model.config.maxLength as number, warn: () => undefined })
      : createModel({ kind: data.model.kind, tokenizer, labels: data.model.labels, seed: data.model.seed, config: data.model.config as never });
    initial = readModelParameters(model);
    const indices = Int32Array.from({ length: data.task === 'classifier' ? data.evaluation.task === 'classifier' ? data.evaluation.targets.length : 0 : data.evaluation.task === 'lm' ? data.evaluation.count : 0 }, (_, i) => i);
    evaluate = async (_round, parameters) => {
      writeModelParameters(model, parameters);
      const m = evaluationMetrics(evaluateExamples(model, data.evaluation, indices, { outOfScopeIndex: data.outOfScopeIndex }));
      return { loss: m.loss, metrics: { accuracy: m.accuracy } };
    };
    if (options.federatedEvaluation && data.evaluation.task === 'classifier') {
      const { heldOutShares } = await import('../evaluation/evaluation-federation.js');
      const shares = heldOutShares(data, { dataset: source.dataset, partition: source.partition, seed: source.seed, dataDir: source.dataDir });
      heldOutExamples = new Map(data.clients.map((c) => [c.id, shares.get(c.id)?.length ?? 0]));
    }
    // A user's model is described by its digest (clients bring the same model.json), not shipped in the description.
    const digest = data.model.layers ? await layersModelDigest(data.model.layers) : undefined;
    describedSource = { ...source, dataDir: undefined, backend: undefined, userModel: undefined, ...(digest ? { model: LAYERS_MODEL_KIND, modelDigest: digest } : {}) };
    federation = {
      name: `${data.name}${data.synthetic ? ' [SYNTHETIC data]' : ''}, ${data.partition}, ${digest ? `your model.json (${user!.layersModel.name})` : data.model.kind}`,
      source: describedSource,
      synthetic: data.synthetic,
      clients: data.clients.map((c) => ({ id: c.id, examples: c.indices.length })),
      // a browser client needs it to report in-scope accuracy (the Node client reads it from its dataset)
      ...(data.outOfScopeIndex !== undefined ? { outOfScopeLabel: data.model.labels![data.outOfScopeIndex] } : {}),
      model: digest ? { ...data.model, layers: undefined, digest } : data.model,
    };
  }
  // the DP clip norm when it is fixed, or adaptive clipping
  const fixedClip = typeof options.dp?.clip === 'number' ? options.dp.clip : undefined;
  const adaptiveClip = options.dp?.clip === 'auto';
  let privacy: ((roundsCompleted: number) => { epsilon: number; delta: number; noiseMultiplier: number; clipNorm: number }) | undefined;
  const policy = { ...options.policy };
  // DP-FedAvg's clip is the bound on one client's influence (a tighter server clip would change the mechanism)
  if (options.dp) policy.normClipMultiple = 0;
  if (options.dp) {
    const dp = options.dp;
    const population = dp.population ?? (Array.isArray(federation.clients) ? federation.clients.length : undefined);
    if (population === undefined) throw new ConfigError('DP-FedAvg: give the population (--dp-population, the number of clients in the federation) for a synthetic model');
    if (!adaptiveClip && !(fixedClip !== undefined && fixedClip > 0 && Number.isFinite(fixedClip))) {
      throw new ConfigError(`DP-FedAvg: the clip norm must be a finite number > 0 or "auto", got ${String(dp.clip)}`);
    }
    if (adaptiveClip && options.secureAggregation?.range !== undefined) {
      throw new ConfigError('with adaptive clipping the secure-aggregation range follows the clip norm round by round: drop --secagg-range');
    }
    const priv = privateAggregation(inner, {
      dp: { clip: dp.clip, noiseMultiplier: dp.noiseMultiplier, epsilon: dp.epsilon, delta: dp.delta, population, rounds: options.policy.rounds, accountant: dp.accountant },
    });
    strategy = priv;
    aggregatorName = `dp-fedavg(C=${dp.clip}, σ=${Number(priv.noiseMultiplier.toPrecision(4))})`;
    // fixed clip: a client must send its update clipped to C; the strategy clips again (a no-op for
    // honest clients). Adaptive clip: the server clips, because the clip norm follows the fraction of
    // updates that were under it, which clients clipping to C would always make 1; under secure
    // aggregation the client clips and sends that bit inside the masked sum instead
    if (fixedClip !== undefined) policy.maxUpdateNorm = Math.min(policy.maxUpdateNorm ?? Infinity, fixedClip);
    const sigma = priv.noiseMultiplier;
    // ε from the durable count of completed rounds, so a restart cannot under-report it
    privacy = (rounds) => ({
      epsilon: rounds === 0 ? 0 : userLevelEpsilon({ clientsPerRound: selectCount, population, rounds, delta: dp.delta, noiseMultiplier: sigma, accountant: dp.accountant }),
      delta: dp.delta,
      noiseMultiplier: sigma,
      clipNorm: priv.clipNorm!,
    });
  }
  if (options.secureAggregation) {
    if (inner.aggregator.name !== 'mean') {
      throw new ConfigError(`secure aggregation releases only the sum of the updates, but the ${inner.aggregator.name} aggregator needs each one; use fedavg or fedprox:MU`);
    }
    if (overSelection > 0) throw new ConfigError('secure aggregation waits for every selected client (the protocol tolerates dropouts); do not over-select');
    aggregatorName = options.dp
      ? `secagg+(${aggregatorName}, R=${options.secureAggregation.range ?? fixedClip ?? 'C'})`
      : `secagg+(mean, R=${options.secureAggregation.range ?? 1})`;
  }
  if (options.store !== undefined && !isRedisLocation(options.store)) {
    throw new ConfigError(`--store takes a redis://host:port[/db] URL, got "${options.store}"; a SQLite file is given with --state FILE`);
  }
  if (options.sharedWithOtherProcesses && options.store === undefined) throw new ConfigError('several server processes need a shared store: give --store redis://host:port[/db]');
  if (options.federatedEvaluation && options.store !== undefined) throw new ConfigError('federated evaluation rounds run in one server process over a SQLite --state file; not with a shared --store');
  if (options.federatedEvaluation) checkEvaluationSettings(options.federatedEvaluation);
  if (options.analytics && options.store !== undefined) throw new ConfigError('analytics rounds run in one server process over a SQLite --state file; not with a shared --store');
  const datasetLabels = (federation.model as { labels?: string[] } | undefined)?.labels;
  const analytics = options.analytics && options.analytics.kind === 'histogram' && options.analytics.labels === undefined && datasetLabels ? { ...options.analytics, labels: datasetLabels.slice() } : options.analytics;
  if (analytics) checkAnalyticsSettings(analytics);
  const store = await openFederationStore({ location: options.store ?? options.statePath, redisPrefix: options.redisPrefix, fsync: options.fsync });
  try {
    const coordinator = await RoundCoordinator.open({
      store,
      strategy,
      initialParameters: initial,
      policy,
      privacy,
      ...(options.secureAggregation
        ? {
            secureAggregation: {
              // DP: clients clip to C, so R = C never clamps a coordinate (adaptive: R is each round's C)
              range: options.secureAggregation.range ?? fixedClip ?? 1,
              ...(fixedClip !== undefined ? { clipNorm: fixedClip } : adaptiveClip ? { clipNorm: 'adaptive' as const } : {}),
              stageTimeoutMs: options.secureAggregation.stageTimeoutMs ?? 30_000,
              neighbours: options.secureAggregation.neighbours,
              threshold: options.secureAggregation.threshold,
            },
          }
        : {}),
      fingerprint: {
        dp: options.dp ?? null,
        secureAggregation: options.secureAggregation ?? null,
        strategy: strategy.name,
        selectCount,
        source: describedSource ?? source,
        local: inner.local,
        seed: options.policy.seed ?? 0,
      },
      federation,
      enrolment: {
        mode: options.enrolment?.mode ?? 'invite',
        maxWeight: options.enrolment?.maxWeight ?? DEFAULT_MAX_WEIGHT,
        ...(Array.isArray(federation.clients) ? { partition: (federation.clients as { id: string; examples: number }[]).map((c) => ({ id: c.id, examples: c.examples })) } : {}),
        ...(options.enrolment?.clientTokensFile !== undefined ? { provisioned: readClientTokens(options.enrolment.clientTokensFile) } : {}),
      },
      aggregatorName,
      evaluate,
      ...(options.federatedEvaluation ? { federatedEvaluation: { ...options.federatedEvaluation, ...(heldOutExamples ? { heldOutExamples } : {}) } } : {}),
      ...(analytics ? { analytics } : {}),
      // secure rounds: shared only when other processes serve the federation too (their replicas follow the journal)
      shared: options.store !== undefined && (!options.secureAggregation || options.sharedWithOtherProcesses === true),
      onEvent: options.onEvent,
    });
    return { coordinator, store };
  } catch (error) {
    await store.close();
    throw error;
  }
}

/** Builds the coordinator and starts the HTTP server on host:port (port 0: any free port). */
export async function startFederationService(options: ServiceOptions & { host?: string; port?: number }): Promise<RunningService> {
  const { coordinator, store } = await buildCoordinator(options);
  const app = await createFederationServer(coordinator, options.http);
  try {
    await app.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 0 });
  } catch (error) {
    await store.close();
    throw new ConfigError(`cannot listen on ${options.host ?? '127.0.0.1'}:${options.port ?? 0}: ${(error as Error).message}`);
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const host = options.host ?? '127.0.0.1';
  const url = `${options.http?.tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}`;
  return {
    app,
    coordinator,
    store,
    url,
    posture: securityPosture(options, coordinator),
    close: async () => {
      await app.close();
      await store.close();
    },
  };
}
