/**
 * The analytics routes of protocol v1 (analytics-rounds.ts), with their strict JSON Schemas
 * (unknown fields refused with 400 naming them, as on every other route; the OpenAPI document
 * is generated from the same objects):
 *   GET  /v1/analytics/{r}/task                 a participant's task: the prefixes (or labels) and c (or C)
 *   POST /v1/analytics/{r}/report               plain rounds: {votes} or {counts}
 *   GET  /v1/analytics/{r}/secagg?waitMs=       secure rounds: this party's request in the current stage
 *   POST /v1/analytics/{r}/secagg/{stage}       secure rounds: its reply (the training rounds' stage schemas)
 *   GET  /v1/admin/analytics                    the released result (admin token)
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AnalyticsReportRequest, AnalyticsRounds } from './analytics-rounds.js';
import { FederationRequestError } from './request-error.js';
import { MAX_LONG_POLL_MS, ROUND_PATTERN, SECURE_REPLY_BODIES } from './route-schemas.js';

type Hook = (request: FastifyRequest) => Promise<void>;

const errorRef = { $ref: 'Error#' };
const errors = (described: Record<number, string>) => Object.fromEntries(Object.entries(described).map(([code, description]) => [code, { description, ...errorRef }]));
const strict = (properties: Record<string, unknown>, required: string[] = []) => ({ type: 'object', additionalProperties: false, required, properties });
const roundParams = strict({ round: { type: 'string', pattern: ROUND_PATTERN, description: 'analytics round (1, 2, ...)' } }, ['round']);
const bearer = [{ bearer: [] }];

/** Longest candidate a report may name: items are at most 1,000 characters plus the end mark. */
const MAX_CANDIDATE_LENGTH = 1001;

export const ANALYTICS_ROUTE_SCHEMAS = {
  task: {
    summary: 'The analytics task of a participant: TrieHH prefixes to extend, or the label set of a histogram.',
    description:
      'heavy-hitters: the candidates are every prefix followed by every symbol of the alphabet and then the end mark U+0003, in that order; vote for at most votesPerDevice distinct candidates that your own items (normalised, terminated with U+0003) start with. ' +
      'histogram: your label counts over the labels, scaled to L2 norm ≤ clipNorm. With secureAggregation, send the dense vector over the candidates (or labels) through the secagg stages instead. ' +
      'With distributedNoise: add an independent discrete Gaussian N_Z(0, shareSigma²) integer to every coordinate of that vector before masking; histogram counts are then clipped as integers (the largest lowered until the L2 norm is ≤ clipNorm).',
    security: bearer,
    params: roundParams,
    response: {
      200: {
        description: 'task',
        type: 'object',
        required: ['round', 'kind', 'deadline'],
        properties: {
          round: { type: 'integer' },
          kind: { type: 'string', enum: ['heavy-hitters', 'histogram'] },
          deadline: { type: 'integer' },
          heavyHitters: {
            type: 'object',
            properties: {
              level: { type: 'integer' },
              unit: { type: 'string' },
              maxLength: { type: 'integer' },
              votesPerDevice: { type: 'integer' },
              alphabet: { type: 'string' },
              prefixes: { type: 'array', items: { type: 'string' } },
              candidates: { type: 'integer' },
            },
          },
          histogram: { type: 'object', properties: { labels: { type: 'array', items: { type: 'string' } }, clipNorm: { type: 'number' } } },
          secureAggregation: {
            type: 'object',
            properties: { range: { type: 'number' }, encoding: { type: 'object', properties: { range: { type: 'number' }, fractionalBits: { type: 'integer' }, maxSummands: { type: 'integer' } } } },
          },
          distributedNoise: { type: 'object', properties: { shareSigma: { type: 'number' }, minReports: { type: 'integer' } } },
        },
      },
      ...errors({ 400: 'round not written as a positive integer', 401: 'no or wrong token', 403: 'not a participant of this round', 409: 'no such analytics round open, or no analytics task on this server', 429: 'rate limited' }),
    },
  },
  report: {
    summary: 'A participant\'s plain analytics report: the candidates it votes for, or its clipped label counts.',
    description:
      'heavy-hitters: {"votes": [...]}, distinct candidates offered this round, at most votesPerDevice (each counts 0 or 1). histogram: {"counts": [...]}, one finite count ≥ 0 per label, L2 norm ≤ clipNorm. ' +
      'One report per client and round: an identical retry answers duplicate, a different one 409. Refused (400 naming the problem) otherwise.',
    security: bearer,
    params: roundParams,
    body: strict({
      votes: { type: 'array', maxItems: 1000, items: { type: 'string', minLength: 1, maxLength: MAX_CANDIDATE_LENGTH }, description: 'heavy-hitters: the candidates voted for' },
      counts: { type: 'array', maxItems: 10_000, items: { type: 'number', minimum: 0, maximum: 1e9 }, description: 'histogram: clipped label counts, one per label' },
    }),
    response: {
      200: { description: 'accepted (or an identical retry)', type: 'object', required: ['accepted', 'round', 'duplicate'], properties: { accepted: { type: 'boolean', enum: [true] }, round: { type: 'integer' }, duplicate: { type: 'boolean' } } },
      ...errors({ 400: 'malformed report, unknown field, a candidate not offered, a repeated vote, too many votes, wrong length, negative or oversized counts', 401: 'no or wrong token', 403: 'not a participant', 409: 'round not open, secure round, or a different report already accepted', 429: 'rate limited' }),
    },
  },
  secureRequest: {
    summary: "This party's secure-aggregation request in the analytics round's current stage (long-polled with waitMs).",
    security: bearer,
    params: roundParams,
    querystring: strict({ waitMs: { type: 'string', pattern: '^(0|[1-9][0-9]{0,4})$', description: `long polling, ms (≤ ${MAX_LONG_POLL_MS})` } }),
    response: {
      200: {
        description: 'stage and request',
        type: 'object',
        required: ['stage'],
        properties: { stage: { type: 'string' }, request: {}, answered: { type: 'boolean' }, message: { type: 'string' } },
      },
      ...errors({ 400: 'bad round or waitMs', 401: 'no or wrong token', 403: 'not a party', 409: 'round not open, or not secure', 429: 'rate limited' }),
    },
  },
  secureReply: (stage: keyof typeof SECURE_REPLY_BODIES) => ({
    summary: `This party's reply for the ${stage} stage of an analytics round's secure aggregation (secagg wire JSON).`,
    security: bearer,
    params: roundParams,
    body: SECURE_REPLY_BODIES[stage],
    response: {
      200: { description: 'accepted', type: 'object', required: ['accepted', 'stage'], properties: { accepted: { type: 'boolean', enum: [true] }, stage: { type: 'string' }, duplicate: { type: 'boolean' } } },
      ...errors({ 400: 'malformed reply or unknown field', 401: 'no or wrong token', 403: 'not a party', 409: 'round not open, another stage, or a different reply', 429: 'rate limited' }),
    },
  }),
  result: {
    summary: 'The analytics task\'s released result (admin): noisy heavy hitters or histogram, the privacy parameters, the rounds.',
    security: [{ adminBearer: [] }],
    response: {
      200: { description: 'the result', type: 'object', additionalProperties: true, required: ['kind', 'status'], properties: { kind: { type: 'string' }, status: { type: 'string', enum: ['waiting', 'running', 'done', 'failed'] } } },
      ...errors({ 401: 'no or wrong admin token', 403: 'admin routes are off', 409: 'no analytics task on this server', 429: 'rate limited' }),
    },
  },
} as const;

export interface AnalyticsRouteContext {
  analytics: () => AnalyticsRounds;
  authenticate: Hook;
  authenticateAdmin: Hook;
  waitForChange: (ms: number) => Promise<void>;
  closing: () => boolean;
  replyBodyLimit: number;
}

export function registerAnalyticsRoutes(app: FastifyInstance, context: AnalyticsRouteContext): void {
  const { analytics, authenticate, authenticateAdmin } = context;
  app.get<{ Params: { round: string } }>('/v1/analytics/:round/task', { schema: ANALYTICS_ROUTE_SCHEMAS.task, onRequest: authenticate }, async (request) =>
    analytics().task(request.clientId!, request.params.round),
  );
  app.post<{ Params: { round: string }; Body: AnalyticsReportRequest }>('/v1/analytics/:round/report', { schema: ANALYTICS_ROUTE_SCHEMAS.report, onRequest: authenticate }, async (request) =>
    analytics().report(request.clientId!, request.params.round, request.body),
  );
  app.get<{ Params: { round: string }; Querystring: { waitMs?: string } }>('/v1/analytics/:round/secagg', { schema: ANALYTICS_ROUTE_SCHEMAS.secureRequest, onRequest: authenticate }, async (request) => {
    const waitMs = Number(request.query.waitMs ?? '0');
    if (waitMs > MAX_LONG_POLL_MS) throw new FederationRequestError(400, 'BadRequest', `waitMs must be an integer in [0, ${MAX_LONG_POLL_MS}], got ${waitMs}`);
    const answer = analytics().secureRequest(request.clientId!, request.params.round);
    if (answer.request !== undefined || answer.stage === 'done' || answer.stage === 'failed' || waitMs === 0 || context.closing()) return answer;
    await context.waitForChange(waitMs);
    return analytics().secureRequest(request.clientId!, request.params.round);
  });
  for (const stage of Object.keys(SECURE_REPLY_BODIES) as (keyof typeof SECURE_REPLY_BODIES)[]) {
    app.post<{ Params: { round: string } }>(
      `/v1/analytics/:round/secagg/${stage}`,
      { schema: ANALYTICS_ROUTE_SCHEMAS.secureReply(stage), onRequest: authenticate, bodyLimit: context.replyBodyLimit },
      async (request) => analytics().secureReply(request.clientId!, request.params.round, stage, request.body),
    );
  }
  app.get('/v1/admin/analytics', { schema: ANALYTICS_ROUTE_SCHEMAS.result, onRequest: authenticateAdmin }, async () => analytics().result());
}
