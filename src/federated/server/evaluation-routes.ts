/**
 * The federated-evaluation routes on the service's Fastify app: the evaluation task, the plain
 * report, and the long-polled stages of a secure evaluation's SecAgg+ session. Decisions are
 * the coordinator's (evaluation-rounds.ts); this only binds routes to it.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { EvaluationReportRequest } from './evaluation-protocol.js';
import { EVALUATION_ROUTE_SCHEMAS } from './evaluation-route-schemas.js';
import { FederationRequestError } from './request-error.js';
import type { RoundCoordinator } from './round-coordinator.js';
import { MAX_LONG_POLL_MS, SECURE_REPLY_BODIES } from './route-schemas.js';

export function registerEvaluationRoutes(
  app: FastifyInstance,
  coordinator: RoundCoordinator,
  options: { authenticate: (request: FastifyRequest) => Promise<void>; closing: () => boolean; secureBodyLimit: number },
): void {
  const { authenticate } = options;
  app.get<{ Params: { round: string } }>('/v1/rounds/:round/evaluation/task', { schema: EVALUATION_ROUTE_SCHEMAS.task, onRequest: authenticate }, async (request) =>
    coordinator.evaluationTask(request.clientId!, request.params.round),
  );
  app.post<{ Params: { round: string }; Body: EvaluationReportRequest }>('/v1/rounds/:round/evaluation', { schema: EVALUATION_ROUTE_SCHEMAS.report, onRequest: authenticate }, async (request) =>
    coordinator.evaluationReport(request.clientId!, request.params.round, request.body),
  );
  app.get<{ Params: { round: string }; Querystring: { waitMs?: string } }>(
    '/v1/rounds/:round/evaluation/secagg',
    { schema: EVALUATION_ROUTE_SCHEMAS.secureRequest, onRequest: authenticate },
    async (request) => {
      const waitMs = Number(request.query.waitMs ?? '0');
      if (waitMs > MAX_LONG_POLL_MS) throw new FederationRequestError(400, 'BadRequest', `waitMs must be an integer in [0, ${MAX_LONG_POLL_MS}], got ${waitMs}`);
      const answer = await coordinator.evaluationSecureRequest(request.clientId!, request.params.round);
      if (answer.request !== undefined || answer.stage === 'done' || answer.stage === 'failed' || waitMs === 0 || options.closing()) return answer;
      await coordinator.waitForChange(waitMs);
      return coordinator.evaluationSecureRequest(request.clientId!, request.params.round);
    },
  );
  for (const stage of Object.keys(SECURE_REPLY_BODIES) as (keyof typeof SECURE_REPLY_BODIES)[]) {
    app.post<{ Params: { round: string } }>(
      `/v1/rounds/:round/evaluation/secagg/${stage}`,
      { schema: EVALUATION_ROUTE_SCHEMAS.secureReply(stage), onRequest: authenticate, bodyLimit: options.secureBodyLimit },
      async (request) => coordinator.evaluationSecureReply(request.clientId!, request.params.round, stage, request.body),
    );
  }
}
