/**
 * Evaluation-only federated rounds in the simulator. The server samples K of the N clients
 * uniformly without replacement; each evaluates the current model on its own held-out
 * examples and reports sums (client-report.ts); the server aggregates them, in the clear or
 * under secure aggregation, into ratio estimates with intervals that account for the client
 * sampling (ratio-estimator.ts). Personalised evaluation (Wang et al. 2019): each sampled
 * client cuts its examples into a train part and a test part (seeded, per client),
 * fine-tunes the global model on the train part and reports the sums on the test part before
 * and after. Because this is a simulation, the central truth (the same model on the union
 * of every client's examples, i.e. what full participation would measure) is computed beside
 * the estimate, so the estimate's error and its interval's coverage can be checked.
 */
import { SeededRandom } from '../../engine/random.js';
import type { BackendName } from '../../engine/index.js';
import { ConfigError } from '../../errors.js';
import { addInPlace, assertMatchesLayout, cloneParameters, type ParameterLayout, type ParameterSet } from '../aggregate/index.js';
import { evaluationMetrics, viewParameters, type EvaluationMetrics, type EvaluationSums, type LocalTrainingConfig } from '../client/index.js';
import { SimulationExecutor } from '../simulation/executor.js';
import type { FederatedDataset } from '../simulation/federated-dataset.js';
import { SILENT, type ProgressReporter } from '../../train/progress.js';
import {
  DEFAULT_REPORT_LIMITS,
  PERSONALISED_METRICS,
  PLAIN_METRICS,
  metricEstimates,
  type ClientEvaluationReport,
  type ReportLimits,
} from './client-report.js';
import { ratioEstimateFromMoments, type RatioEstimate } from './ratio-estimator.js';
import { secureEvaluationSum } from './secure-evaluation.js';

export interface PersonalisationSettings {
  /** Share of each client's examples it fine-tunes on (the rest is its test part); default 0.5. */
  trainFraction?: number;
  localEpochs?: number;
  batchSize?: number;
  learningRate: number;
  optimizer?: 'sgd' | 'adam';
  /** Cap on local steps (0 = none); default 0. */
  maxSteps?: number;
}

export interface FederatedEvaluationOptions {
  data: FederatedDataset;
  /** The model under evaluation, or a function giving it in the executor's layout (e.g. `federation.parametersFor`). */
  parameters: ParameterSet | ((layout: ParameterLayout) => ParameterSet);
  /** K: clients sampled for the evaluation round. */
  evaluationClients: number;
  seed: number;
  confidence?: number;
  personalised?: PersonalisationSettings;
  /** Sum the reports under secure aggregation (SecAgg+, in process). */
  secureAggregation?: boolean | { neighbours?: number };
  limits?: Partial<ReportLimits>;
  /** Return every client's report too (a simulation's view, e.g. for a bootstrap over clients; never with secure aggregation). */
  returnReports?: boolean;
  /** Also compute the central truth on every client's examples (default true). */
  centralTruth?: boolean;
  executor?: SimulationExecutor;
  workers?: number;
  backend?: BackendName;
  progress?: ProgressReporter;
}

export interface FederatedEvaluationResult {
  /** N: clients in the federation. */
  clients: number;
  /** K: clients sampled. */
  evaluationClients: number;
  /** Clients whose sums are in the estimates. */
  reported: number;
  /** Headline accuracy (in-scope with an out-of-scope class), accuracy over all examples, mean loss. */
  metrics: Record<'accuracy' | 'accuracyAll' | 'loss', RatioEstimate>;
  personalised?: {
    trainFraction: number;
    /** Accuracy on the test parts before and after fine-tuning, the example-weighted change, and the share of clients that improved. */
    before: RatioEstimate;
    after: RatioEstimate;
    delta: RatioEstimate;
    improvedClients: RatioEstimate;
  };
  /** The same model on every client's examples (simulation only). */
  central?: EvaluationMetrics & { accuracyAll: number };
  /** With secure aggregation: the session's precision and clipping. */
  secureAggregation?: { clients: number; precision: number; clippedValues: number; seconds: number };
  interval: string;
  /** Every sampled client's report, in draw order (only with `returnReports`). */
  reports?: ClientEvaluationReport[];
  seconds: number;
}

export const INTERVAL_METHOD = 'ratio estimator, linearised between-client variance with finite-population correction, Student t (K − 1 df)';

/** K distinct clients, uniformly without replacement, in draw order. */
export function sampleEvaluationClients(clientIds: readonly string[], k: number, rng: SeededRandom): string[] {
  if (!Number.isInteger(k) || k < 2) throw new ConfigError(`evaluation clients must be an integer ≥ 2 (an interval needs two clients), got ${k}`);
  if (k > clientIds.length) throw new ConfigError(`asked for ${k} evaluation clients but the federation has ${clientIds.length}; lower --evaluation-clients or raise --clients`);
  return rng.shuffle(clientIds.slice()).slice(0, k);
}

/** A client's train and test parts for personalisation: a seeded shuffle, the first ⌊f·n⌋ to train. */
export function personalSplit(indices: readonly number[], trainFraction: number, rng: SeededRandom): { train: Int32Array; test: Int32Array } {
  const order = rng.shuffle(indices.slice());
  const cut = Math.floor(trainFraction * order.length);
  return { train: Int32Array.from(order.slice(0, cut).sort((a, b) => a - b)), test: Int32Array.from(order.slice(cut).sort((a, b) => a - b)) };
}

export async function runFederatedEvaluation(options: FederatedEvaluationOptions): Promise<FederatedEvaluationResult> {
  const started = performance.now();
  const { data } = options;
  if (!Number.isInteger(options.seed) || options.seed < 0) throw new ConfigError(`seed must be an integer ≥ 0, got ${options.seed}`);
  const limits: ReportLimits = { ...DEFAULT_REPORT_LIMITS, ...(options.limits ?? {}) };
  const personal = options.personalised;
  const trainFraction = personal?.trainFraction ?? 0.5;
  if (personal && !(trainFraction > 0 && trainFraction < 1)) throw new ConfigError(`personalisation train fraction must be in (0, 1), got ${personal.trainFraction}`);
  const root = new SeededRandom(options.seed);
  const sampled = sampleEvaluationClients(data.clients.map((c) => c.id), options.evaluationClients, root.fork('evaluation-sample'));
  const byId = new Map(data.clients.map((c) => [c.id, c]));
  const progress = options.progress ?? SILENT;

  const executor = options.executor ?? (await SimulationExecutor.create(data, { workers: options.workers, backend: options.backend }));
  try {
    const global = typeof options.parameters === 'function' ? options.parameters(executor.layout) : options.parameters;
    assertMatchesLayout(executor.layout, global, 'the evaluated model');
    const broadcastGlobal = executor.broadcast(global);
    progress.start('federated evaluation', sampled.length);
    // clients evaluate concurrently on the pool; reports are kept in draw order
    const reports = await Promise.all(
      sampled.map(async (clientId, position) => {
        const client = byId.get(clientId)!;
        const indices = Int32Array.from(client.indices);
        const sums = await executor.evaluate('evaluation', indices, broadcastGlobal);
        const report: ClientEvaluationReport = { clientId, sums };
        if (personal) report.personalised = await personaliseClient(executor, global, broadcastGlobal, client.indices, personal, trainFraction, root.fork(`personal:${clientId}`));
        progress.update(position + 1);
        return report;
      }),
    );
    progress.stop();

    const metrics = [...PLAIN_METRICS, ...(personal ? PERSONALISED_METRICS : [])];
    const estimateOptions = { confidence: options.confidence, populationClients: data.clients.length };
    let estimated: Map<string, RatioEstimate>;
    let secure: FederatedEvaluationResult['secureAggregation'];
    if (options.secureAggregation) {
      const neighbours = typeof options.secureAggregation === 'object' ? options.secureAggregation.neighbours : undefined;
      const sum = await secureEvaluationSum(reports, metrics, limits, neighbours !== undefined ? { neighbours } : {});
      estimated = new Map(metrics.map((m) => [m.name, ratioEstimateFromMoments(sum.moments.get(m.name)!, { ...estimateOptions, ...(m.bounds ? { bounds: m.bounds } : {}) })]));
      secure = { clients: sum.clients, precision: sum.precision, clippedValues: sum.clippedValues, seconds: sum.seconds };
    } else {
      estimated = metricEstimates(reports, metrics, limits, estimateOptions);
    }

    const result: FederatedEvaluationResult = {
      clients: data.clients.length,
      evaluationClients: sampled.length,
      reported: secure?.clients ?? reports.length,
      metrics: { accuracy: estimated.get('accuracy')!, accuracyAll: estimated.get('accuracyAll')!, loss: estimated.get('loss')! },
      interval: INTERVAL_METHOD,
      seconds: 0,
    };
    if (personal) {
      result.personalised = {
        trainFraction,
        before: estimated.get('before')!,
        after: estimated.get('after')!,
        delta: estimated.get('delta')!,
        improvedClients: estimated.get('improvedClients')!,
      };
    }
    if (secure) result.secureAggregation = secure;
    if (options.returnReports) {
      if (secure) throw new ConfigError('returnReports: under secure aggregation the server never sees a client\'s report');
      result.reports = reports;
    }
    if (options.centralTruth ?? true) {
      const all = Int32Array.from(data.clients.flatMap((c) => c.indices)).sort();
      const central = evaluationMetrics(await executor.evaluate('evaluation', all, broadcastGlobal));
      result.central = central;
    }
    result.seconds = (performance.now() - started) / 1000;
    return result;
  } finally {
    if (!options.executor) await executor.close();
  }
}

/** One client's personalisation: before on the test part, fine-tune on the train part, after on the test part. */
async function personaliseClient(
  executor: SimulationExecutor,
  global: ParameterSet,
  broadcastGlobal: Float32Array,
  indices: readonly number[],
  settings: PersonalisationSettings,
  trainFraction: number,
  rng: SeededRandom,
): Promise<ClientEvaluationReport['personalised']> {
  const { train, test } = personalSplit(indices, trainFraction, rng.fork('split'));
  const before: EvaluationSums = await executor.evaluate('evaluation', test, broadcastGlobal);
  if (train.length === 0 || test.length === 0) return { before, after: before, trainExamples: train.length };
  const config: LocalTrainingConfig = {
    localEpochs: settings.localEpochs ?? 1,
    batchSize: settings.batchSize ?? 32,
    learningRate: settings.learningRate,
    optimizer: settings.optimizer ?? 'adam',
    momentum: 0,
    maxSteps: settings.maxSteps ?? 0,
    proximalMu: 0,
    seed: rng.fork('fine-tune').seed,
  };
  const [outcome] = await executor.fit([{ type: 'fit', clientId: 'personal', indices: train, parameters: broadcastGlobal, config }]);
  if (outcome.status === 'rejected') throw outcome.reason;
  const local = addInPlace(cloneParameters(global), viewParameters(outcome.value.delta, executor.layout));
  const after = await executor.evaluate('evaluation', test, executor.broadcast(local));
  return { before, after, trainExamples: train.length };
}
