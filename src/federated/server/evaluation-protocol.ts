/**
 * The wire contract of federated evaluation (protocol v1), shared by the server, the Node
 * client and the browser client, so it imports nothing from Node. A sampled client learns at
 * check-in that it should evaluate (`{action: "evaluate", round, modelVersion, deadline}`),
 * fetches the evaluation task (`GET /v1/rounds/{r}/evaluation/task`), which says what to
 * compute and how to send it, and either posts its sums (`POST /v1/rounds/{r}/evaluation`) or,
 * when the federation aggregates securely, runs the SecAgg+ stages of the evaluation's own
 * session (`/v1/rounds/{r}/evaluation/secagg`) with its moment vector as the masked input.
 *
 * The server decides everything a client computes: the metrics, the public scales of the
 * secure encoding, and, in personalised evaluation, the fine-tuning settings, which both sides
 * check against the bounds below (a client refuses a task outside them, the server cannot be
 * configured outside them).
 */
import { API_PREFIX } from './protocol.js';

export const EVALUATION_PATHS = {
  report: (round: number | string) => `${API_PREFIX}/rounds/${round}/evaluation`,
  task: (round: number | string) => `${API_PREFIX}/rounds/${round}/evaluation/task`,
  secagg: (round: number | string) => `${API_PREFIX}/rounds/${round}/evaluation/secagg`,
} as const;

/** Fine-tuning a server may ask of an evaluation client, and no more (a device's time and battery are the client's). */
export const PERSONALISATION_BOUNDS = {
  maxEpochs: 20,
  maxLearningRate: 1,
  maxBatchSize: 1024,
  /** Local steps (0 = no cap is not allowed: the server always bounds the work). */
  maxSteps: 2000,
} as const;

/** The server's fine-tuning settings for a personalised evaluation (the same for every client of an evaluation, but the seed). */
export interface PersonalisationTask {
  localEpochs: number;
  learningRate: number;
  optimizer: 'sgd' | 'adam';
  batchSize: number;
  /** Cap on local steps, 1..PERSONALISATION_BOUNDS.maxSteps. */
  maxSteps: number;
  /** Batch order and dropout (per client and evaluation). */
  seed: number;
}

/** The problem with personalisation settings, or undefined when they are within the bounds. */
export function personalisationProblem(p: Partial<PersonalisationTask> | undefined): string | undefined {
  if (!p || typeof p !== 'object') return 'personalisation settings are missing';
  const b = PERSONALISATION_BOUNDS;
  if (!Number.isInteger(p.localEpochs) || p.localEpochs! < 1 || p.localEpochs! > b.maxEpochs) return `personalisation epochs must be an integer in [1, ${b.maxEpochs}], got ${p.localEpochs}`;
  if (typeof p.learningRate !== 'number' || !(p.learningRate > 0 && p.learningRate <= b.maxLearningRate)) return `personalisation learning rate must be in (0, ${b.maxLearningRate}], got ${p.learningRate}`;
  if (p.optimizer !== 'sgd' && p.optimizer !== 'adam') return `personalisation optimiser must be "sgd" or "adam", got ${JSON.stringify(p.optimizer)}`;
  if (!Number.isInteger(p.batchSize) || p.batchSize! < 1 || p.batchSize! > b.maxBatchSize) return `personalisation batch size must be an integer in [1, ${b.maxBatchSize}], got ${p.batchSize}`;
  if (!Number.isInteger(p.maxSteps) || p.maxSteps! < 1 || p.maxSteps! > b.maxSteps) return `personalisation step cap must be an integer in [1, ${b.maxSteps}], got ${p.maxSteps}`;
  if (p.seed !== undefined && (!Number.isInteger(p.seed) || p.seed < 0)) return `personalisation seed must be an integer ≥ 0, got ${p.seed}`;
  return undefined;
}

/** GET /v1/rounds/{r}/evaluation/task: what this client computes for the evaluation of round r's model, and how it sends it. */
export interface EvaluationTaskResponse {
  round: number;
  modelVersion: number;
  deadline: number;
  /** Where to GET the evaluated model (float32, layout order). */
  parametersPath: string;
  /**
   * The public limits: at most `maxExamples` held-out examples count, a loss sum is capped at
   * examples × `maxLoss`; under secure aggregation they are the scales of the encoding.
   */
  limits: { maxExamples: number; maxLoss: number };
  /** The ratio metrics, in the order their five moments fill a secure input. */
  metrics: string[];
  /** Present in a personalised evaluation: fine-tune on the train part with these settings, report the sums after as well. */
  personalisation?: PersonalisationTask;
  /**
   * Present when the evaluation is aggregated securely: the client sends no report; it runs the
   * SecAgg+ stages at `/v1/rounds/{r}/evaluation/secagg` with, per metric of `metrics`,
   * [y/sy, n/sn, (y/sy)², (y/sy)(n/sn), (n/sn)²] as its input (the scales from `limits`).
   */
  secureAggregation?: { range: number; encoding: { range: number; fractionalBits: number; maxSummands: number } };
}

/** POST /v1/rounds/{r}/evaluation: a client's sums on its held-out data for that round's model. */
export interface EvaluationReportRequest {
  modelVersion: number;
  examples: number;
  correct: number;
  lossSum: number;
  inScope?: number;
  inScopeCorrect?: number;
  /** Personalised evaluation: the fine-tuned model's sums on the same held-out examples, and how many examples it was tuned on. */
  personalised?: { trainExamples: number; correct: number; lossSum: number; inScopeCorrect?: number };
}

export interface EvaluationReportResponse {
  accepted: true;
  round: number;
  duplicate: boolean;
}
