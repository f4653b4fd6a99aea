/**
 * What the server accepts as a plain evaluation report. The route's schema has already refused
 * unknown fields, non-integers and negative counts; this checks what a schema cannot: that the
 * sums can come from an honest evaluation of the examples the client holds, and that the
 * report answers the evaluation the server asked for (personalised or not).
 *
 * What is verifiable: internal consistency (correct ≤ examples, inScopeCorrect ≤ inScope ≤
 * examples, loss ≤ examples × the loss cap), the public report limit, and, when the server
 * knows them, the client's counts: a dataset federation knows each client's held-out share
 * (the evaluation split cut by the federation's partition) and its train share (the enrolled
 * count), so a client cannot report more examples than it holds. What is not: which of its
 * examples a client evaluated, and whether its predictions were the model's. A client can
 * still shade its own accuracy within its true count; its weight in the estimate is bounded
 * by the examples it really holds (or, without known counts, by the public limit).
 */
import type { EvaluationSums } from '../client/index.js';
import type { ClientEvaluationReport, ReportLimits } from '../evaluation/client-report.js';
import type { EvaluationReportRequest } from './evaluation-protocol.js';
import { EVALUATION_PATHS } from './evaluation-protocol.js';
import { FederationRequestError } from './request-error.js';

export interface ReportExpectations {
  round: number;
  limits: ReportLimits;
  /** The evaluation asks for personalised sums. */
  personalised: boolean;
  /** Held-out examples the server knows this client holds (undefined: unknown). */
  heldOutExamples?: number;
  /** Training examples the server knows this client holds (undefined: unknown). */
  trainExamples?: number;
}

const refuse = (message: string): never => {
  throw new FederationRequestError(400, 'BadRequest', `evaluation report: ${message}`);
};

/** The report as the server aggregates it, or a 400 naming the field at fault. */
export function checkedEvaluationReport(clientId: string, body: EvaluationReportRequest, expect: ReportExpectations): ClientEvaluationReport {
  const { examples, correct, lossSum } = body;
  const { limits } = expect;
  if (examples > limits.maxExamples) refuse(`examples ${examples} exceeds the server's report limit ${limits.maxExamples}; evaluate at most that many examples`);
  if (expect.heldOutExamples !== undefined && examples > expect.heldOutExamples) {
    refuse(`examples ${examples} exceeds the ${expect.heldOutExamples} held-out examples client "${clientId}" holds in this federation's partition`);
  }
  if (correct > examples) refuse(`correct ${correct} exceeds examples ${examples}`);
  if (lossSum > examples * limits.maxLoss) refuse(`lossSum ${lossSum} exceeds examples × ${limits.maxLoss} (the largest mean loss the server accepts)`);
  if ((body.inScope === undefined) !== (body.inScopeCorrect === undefined)) refuse('inScope and inScopeCorrect go together');
  const sums: EvaluationSums = { examples, units: examples, correct, lossSum };
  if (body.inScope !== undefined) {
    if (body.inScope > examples) refuse(`inScope ${body.inScope} exceeds examples ${examples}`);
    if (body.inScopeCorrect! > body.inScope) refuse(`inScopeCorrect ${body.inScopeCorrect} exceeds inScope ${body.inScope}`);
    if (body.inScopeCorrect! > correct) refuse(`inScopeCorrect ${body.inScopeCorrect} exceeds correct ${correct}`);
    sums.inScope = body.inScope;
    sums.inScopeCorrect = body.inScopeCorrect;
  }
  const report: ClientEvaluationReport = { clientId, sums };
  const p = body.personalised;
  if (expect.personalised && !p) {
    refuse(`the evaluation of round ${expect.round} is personalised: add personalised {trainExamples, correct, lossSum[, inScopeCorrect]} (the settings are in GET ${EVALUATION_PATHS.task(expect.round)})`);
  }
  if (!expect.personalised && p) refuse(`the evaluation of round ${expect.round} is not personalised: drop the field "personalised"`);
  if (p) {
    if (p.correct > examples) refuse(`personalised.correct ${p.correct} exceeds examples ${examples} (the same held-out examples as before fine-tuning)`);
    if (p.lossSum > examples * limits.maxLoss) refuse(`personalised.lossSum ${p.lossSum} exceeds examples × ${limits.maxLoss}`);
    if ((body.inScope === undefined) !== (p.inScopeCorrect === undefined)) refuse('personalised.inScopeCorrect goes with inScope (both or neither)');
    if (p.inScopeCorrect !== undefined) {
      if (p.inScopeCorrect > body.inScope!) refuse(`personalised.inScopeCorrect ${p.inScopeCorrect} exceeds inScope ${body.inScope}`);
      if (p.inScopeCorrect > p.correct) refuse(`personalised.inScopeCorrect ${p.inScopeCorrect} exceeds personalised.correct ${p.correct}`);
    }
    if (expect.trainExamples !== undefined && p.trainExamples > expect.trainExamples) {
      refuse(`personalised.trainExamples ${p.trainExamples} exceeds the ${expect.trainExamples} training examples client "${clientId}" enrolled with`);
    }
    const after: EvaluationSums = { examples, units: examples, correct: p.correct, lossSum: p.lossSum };
    if (p.inScopeCorrect !== undefined) Object.assign(after, { inScope: body.inScope, inScopeCorrect: p.inScopeCorrect });
    report.personalised = { before: sums, after, trainExamples: p.trainExamples };
  }
  return report;
}
