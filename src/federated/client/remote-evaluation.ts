/**
 * A client's answer to a federated-evaluation request (the check-in said "evaluate"): fetch
 * the evaluation task and the evaluated model, compute the sums on this client's held-out data
 * (and, in a personalised evaluation, fine-tune on its train share with the server's settings
 * and compute the sums again), then send them as the task says: a plain report, or, under
 * secure aggregation, the moment vector masked through the evaluation's SecAgg+ session, so the
 * server learns only the sums over the clients. No Node imports (the browser client runs it).
 */
import { PERSONALISED_METRICS, PLAIN_METRICS, momentVector, type ClientEvaluationReport, type RatioMetric } from '../evaluation/client-report.js';
import type { SecAggCrypto } from '../secagg/index.js';
import { personalisationProblem, type EvaluationReportRequest, type EvaluationTaskResponse, type PersonalisationTask } from '../server/evaluation-protocol.js';
import type { EvaluationSums } from './local-evaluation.js';
import { RemoteServerError, type RemoteSession } from './remote-session.js';
import { runSecureStages } from './secure-stages.js';

/** What a client evaluates with: the model's sums on its held-out data, and optionally its fine-tuning. */
export interface LocalEvaluator {
  /** The sums of `parameters` on this client's held-out examples. */
  evaluate(parameters: Float32Array, modelVersion: number): Promise<EvaluationSums>;
  /** Fine-tunes `parameters` on this client's train share with the server's settings; the sums of the result on the same held-out examples. */
  personalise?(parameters: Float32Array, settings: PersonalisationTask): Promise<{ after: EvaluationSums; trainExamples: number }>;
}

export interface EvaluationOutcome {
  /** The report was accepted (plain), or this client's input is in the secure sum. */
  reported: boolean;
  duplicate: boolean;
  secure: boolean;
  personalised: boolean;
  examples: number;
  /** Why nothing was reported (a task this client cannot or will not run, a secure session that ended without it). */
  skipped?: string;
}

const METRICS_BY_NAME = new Map<string, RatioMetric>([...PLAIN_METRICS, ...PERSONALISED_METRICS].map((m) => [m.name, m]));

/** The plain report body of a client's sums (and its personalised sums). */
export function evaluationReportBody(modelVersion: number, sums: EvaluationSums, personalised?: { after: EvaluationSums; trainExamples: number }): EvaluationReportRequest {
  const inScope = sums.inScope !== undefined;
  return {
    modelVersion,
    examples: sums.units,
    correct: sums.correct,
    lossSum: sums.lossSum,
    ...(inScope ? { inScope: sums.inScope, inScopeCorrect: sums.inScopeCorrect ?? 0 } : {}),
    ...(personalised
      ? {
          personalised: {
            trainExamples: personalised.trainExamples,
            correct: personalised.after.correct,
            lossSum: personalised.after.lossSum,
            ...(inScope ? { inScopeCorrect: personalised.after.inScopeCorrect ?? 0 } : {}),
          },
        }
      : {}),
  };
}

/** The secure input the task asks for: per metric of `task.metrics`, the five scaled moments of this client's (y, n). */
export function evaluationSecureInput(task: EvaluationTaskResponse, report: ClientEvaluationReport): Float64Array {
  const metrics = task.metrics.map((name) => {
    const metric = METRICS_BY_NAME.get(name);
    if (!metric) throw new RemoteServerError(0, 'InvalidTask', `the evaluation task names metric "${name}", which this client does not know; update the client`);
    return metric;
  });
  return momentVector(report, metrics, task.limits);
}

export async function answerEvaluation(
  session: RemoteSession,
  round: number,
  evaluator: LocalEvaluator,
  options: { crypto: SecAggCrypto; longPollMs: number },
): Promise<EvaluationOutcome> {
  const task = await session.evaluationTask(round);
  const outcome: EvaluationOutcome = { reported: false, duplicate: false, secure: task.secureAggregation !== undefined, personalised: task.personalisation !== undefined, examples: 0 };
  if (task.personalisation) {
    // the device's work is bounded whatever the server asks
    const problem = personalisationProblem(task.personalisation);
    if (problem) return { ...outcome, skipped: `refused the evaluation task: ${problem}` };
    if (!evaluator.personalise) return { ...outcome, skipped: 'the evaluation is personalised but this client cannot fine-tune (no train share)' };
  }
  const parameters = await session.modelParameters(task.modelVersion);
  const sums = await evaluator.evaluate(parameters, task.modelVersion);
  outcome.examples = sums.units;
  // the server would refuse the count (plain) or clip it (secure): say so instead of sending it
  if (sums.units > task.limits.maxExamples) return { ...outcome, skipped: `this client holds ${sums.units} held-out examples, over the server's report limit ${task.limits.maxExamples}; evaluate a subsample of at most that many` };
  const personalised = task.personalisation ? await evaluator.personalise!(parameters, task.personalisation) : undefined;
  if (!task.secureAggregation) {
    const result = await session.evaluationReport(round, evaluationReportBody(task.modelVersion, sums, personalised));
    return { ...outcome, reported: true, duplicate: result.duplicate };
  }
  const report: ClientEvaluationReport = { clientId: session.clientId ?? '', sums, ...(personalised ? { personalised: { before: sums, after: personalised.after, trainExamples: personalised.trainExamples } } : {}) };
  const channel = { request: (waitMs: number) => session.evaluationSecureRequest(round, waitMs), reply: (stage: string, wire: unknown) => session.evaluationSecureReply(round, stage, wire) };
  const stage = await runSecureStages(channel, evaluationSecureInput(task, report), options.crypto, options.longPollMs);
  return stage === 'done' ? { ...outcome, reported: true } : { ...outcome, skipped: `the secure evaluation ended in stage ${stage} without this client's input` };
}
