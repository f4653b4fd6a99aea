/**
 * JSON Schemas of protocol v1, one per route: Fastify validates every request against them
 * (unknown fields refused: additionalProperties false everywhere a client writes), serialises
 * the JSON answers with them, and @fastify/swagger builds the OpenAPI document served at
 * /openapi.json from the same objects, so the document cannot drift from what the server does.
 * Binary bodies (updates, models) are described for the document only (`binaryBody`,
 * `binaryResponse`), because Fastify does not validate them with JSON Schema.
 */
import { CLIENT_ID_PATTERN, ENROLMENT_CODE_PATTERN, MAX_EXAMPLES } from './enrolment.js';
import { BINARY_CONTENT_TYPE, UPDATE_HEADERS } from './protocol.js';

/** Longest a check-in or a secure request may be held waiting (long polling). */
export const MAX_LONG_POLL_MS = 30_000;
/** A round number as the protocol writes it: a positive integer, no leading zeros or signs. */
export const ROUND_PATTERN = '^[1-9][0-9]{0,14}$';
/** A model version: 0 (the initial model) or a positive integer, no leading zeros. */
export const VERSION_PATTERN = '^(0|[1-9][0-9]{0,14})$';

type Schema = Record<string, unknown>;

const ERROR_TYPES = [
  'BadRequest',
  'InvalidUpdate',
  'Unauthorized',
  'Forbidden',
  'NotSelected',
  'NotFound',
  'StaleRound',
  'StaleModel',
  'Conflict',
  'PayloadTooLarge',
  'UnsupportedMediaType',
  'RequestTimeout',
  'RateLimited',
  'Unavailable',
  'InternalError',
];

export const errorSchema: Schema = {
  $id: 'Error',
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['type', 'message', 'statusCode'],
      properties: { type: { type: 'string', enum: ERROR_TYPES }, message: { type: 'string' }, statusCode: { type: 'integer' } },
    },
  },
};

const errorRef = { $ref: 'Error#' };
export function errors(described: Record<number, string>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(described).map(([code, description]) => [code, { description, ...errorRef }]));
}

export const bearer = [{ bearer: [] }];
const adminBearer = [{ adminBearer: [] }];
export const json = (schema: Schema, description: string) => ({ description, ...schema });
export const strict = (properties: Record<string, unknown>, required: string[] = []): Schema => ({ type: 'object', additionalProperties: false, required, properties });

export const roundParams = strict({ round: { type: 'string', pattern: ROUND_PATTERN, description: 'round number (1, 2, ...)' } }, ['round']);
const integerMap = { type: 'object', additionalProperties: { type: 'number' } };

const roundSummary: Schema = {
  type: 'object',
  required: ['round', 'modelVersion', 'status', 'openedAt', 'deadline', 'selected', 'aggregated', 'dropped', 'metrics'],
  properties: {
    round: { type: 'integer' },
    modelVersion: { type: 'integer' },
    status: { type: 'string', enum: ['open', 'completed', 'failed'] },
    openedAt: { type: 'integer' },
    deadline: { type: 'integer' },
    closedAt: { type: 'integer' },
    selected: { type: 'array', items: { type: 'string' } },
    aggregated: { type: 'array', items: { type: 'string' }, description: 'clients whose update went into the aggregate' },
    dropped: { type: 'array', items: { type: 'string' }, description: 'selected clients that did not report before the round closed' },
    metrics: integerMap,
  },
};

const bytes = strict({ $bytes: { type: 'string', pattern: '^[A-Za-z0-9+/]*={0,2}$' } }, ['$bytes']);
const ringVector = strict({ $u32: { type: 'string', pattern: '^[A-Za-z0-9+/]*={0,2}$' } }, ['$u32']);
const index = { type: 'integer', minimum: 0, maximum: 1_000_000 };
const revealed = { type: 'array', maxItems: 100_000, items: strict({ of: index, share: bytes }, ['of', 'share']) };

/** The body of each secure-aggregation stage's reply (secagg wire JSON). */
export const SECURE_REPLY_BODIES: Record<'advertise' | 'share' | 'masked-input' | 'unmask', Schema> = {
  advertise: strict({ index, encryptionPublicKey: bytes, maskingPublicKey: bytes }, ['index', 'encryptionPublicKey', 'maskingPublicKey']),
  share: strict({ index, shares: { type: 'array', maxItems: 100_000, items: strict({ from: index, to: index, ciphertext: bytes }, ['from', 'to', 'ciphertext']) } }, ['index', 'shares']),
  'masked-input': strict({ index, masked: ringVector }, ['index', 'masked']),
  unmask: strict({ index, selfMaskShares: revealed, maskingKeyShares: revealed }, ['index', 'selfMaskShares', 'maskingKeyShares']),
};

export const ROUTE_SCHEMAS = {
  register: {
    summary: 'Enrol a client; returns its bearer token (once) and the aggregation weight the server gave it.',
    description:
      'Enrolment mode "invite": enrolmentCode is required (single-use, from the operator). "open": anyone may register a free id. ' +
      '"tokens": registration is refused (403); clients use their provisioned token. In a dataset federation only ids of its partition may enrol. ' +
      'The weight is min(examples, the server\'s --max-weight), fixed here; numExamples is the client\'s claim, used only when the operator gave no figure.',
    body: strict(
      {
        clientId: { type: 'string', pattern: CLIENT_ID_PATTERN },
        numExamples: { type: 'integer', minimum: 1, maximum: MAX_EXAMPLES, description: 'examples the client says it holds (default 1)' },
        enrolmentCode: { type: 'string', pattern: ENROLMENT_CODE_PATTERN, description: 'single-use code from the operator (trustnlu fl invite)' },
      },
      ['clientId'],
    ),
    response: {
      201: json(
        {
          type: 'object',
          required: ['clientId', 'token', 'weight'],
          properties: {
            clientId: { type: 'string' },
            token: { type: 'string', description: 'bearer token; the server stores only its SHA-256' },
            weight: { type: 'number', description: 'aggregation weight, fixed for the life of the client' },
          },
        },
        'enrolled',
      ),
      ...errors({ 400: 'malformed request or unknown field', 401: 'enrolment code missing, unknown or used', 403: 'enrolment by provisioned tokens, id outside the partition, or a code bound to another id', 409: 'id already registered', 413: 'body too large', 429: 'rate limited' }),
    },
  },
  invites: {
    summary: 'Issue single-use enrolment codes (admin).',
    description: 'Needs the admin token (Authorization: Bearer, --admin-token-file). The codes are shown once; the server keeps their SHA-256.',
    security: adminBearer,
    body: strict({
      count: { type: 'integer', minimum: 1, maximum: 10_000 },
      clientIds: { type: 'array', minItems: 1, maxItems: 10_000, items: { type: 'string', pattern: CLIENT_ID_PATTERN }, description: 'bind one code to each id' },
      numExamples: { type: 'integer', minimum: 1, maximum: MAX_EXAMPLES, description: 'the operator\'s example count for the invited clients' },
    }),
    response: {
      201: json(
        {
          type: 'object',
          required: ['invites'],
          properties: { invites: { type: 'array', items: { type: 'object', required: ['code'], properties: { code: { type: 'string' }, clientId: { type: 'string' } } } } },
        },
        'codes issued',
      ),
      ...errors({ 400: 'malformed request or unknown field', 401: 'no or wrong admin token', 403: 'admin routes are off (no --admin-token-file)', 429: 'rate limited' }),
    },
  },
  checkIn: {
    summary: 'Report availability; learn whether to train.',
    security: bearer,
    body: strict({ waitMs: { type: 'integer', minimum: 0, maximum: MAX_LONG_POLL_MS, description: 'long polling: hold the answer up to this long until a round opens or closes' } }),
    response: {
      200: json(
        {
          type: 'object',
          required: ['action'],
          properties: {
            action: { type: 'string', enum: ['train', 'evaluate', 'analytics', 'wait', 'done'] },
            round: { type: 'integer', description: 'train: the round to fetch the task of; evaluate: the round whose model to evaluate; wait: the open round, if any' },
            modelVersion: { type: 'integer' },
            deadline: { type: 'integer', description: 'train: ms since the epoch' },
            retryAfterMs: { type: 'integer', description: 'wait: check in again after this long' },
          },
        },
        '"train" (round, modelVersion, deadline), "evaluate" (round, modelVersion, deadline: report sums at POST /v1/rounds/{round}/evaluation), "wait" (retryAfterMs) or "done" (modelVersion)',
      ),
      ...errors({ 400: 'malformed request or unknown field', 401: 'no or wrong token', 429: 'rate limited' }),
    },
  },
  task: {
    summary: 'The task of a selected client.',
    security: bearer,
    params: roundParams,
    response: {
      200: json(
        {
          type: 'object',
          required: ['round', 'modelVersion', 'config', 'layout', 'deadline', 'parametersPath', 'maxUpdateNorm'],
          properties: {
            round: { type: 'integer' },
            modelVersion: { type: 'integer' },
            config: { type: 'object', additionalProperties: { type: ['number', 'string', 'boolean'] }, description: 'local training settings: localEpochs, batchSize, learningRate, optimizer, momentum, maxSteps, proximalMu, round, seed' },
            layout: { type: 'object', required: ['names', 'lengths'], properties: { names: { type: 'array', items: { type: 'string' } }, lengths: { type: 'array', items: { type: 'integer' } } } },
            deadline: { type: 'integer' },
            parametersPath: { type: 'string' },
            maxUpdateNorm: { type: 'number', description: 'largest ‖Δ‖₂ the server accepts; larger updates are refused (clip to it)' },
            secureAggregation: {
              type: 'object',
              required: ['weight', 'range', 'encoding'],
              description:
                'Present when the round uses secure aggregation: the client multiplies its clipped update by weight and runs the SecAgg+ stages at /v1/rounds/{round}/secagg instead of PUT update. ' +
                'With clipNorm (DP-FedAvg), it clips to clipNorm − √m·2^−(f+1) and uses weight 1. With countUnclipped (adaptive clipping) it appends one value to its input: clipNorm if its update was within that bound before clipping, else 0.',
              properties: {
                weight: { type: 'number' },
                range: { type: 'number' },
                encoding: { type: 'object', required: ['range', 'fractionalBits', 'maxSummands'], properties: { range: { type: 'number' }, fractionalBits: { type: 'integer' }, maxSummands: { type: 'integer' } } },
                clipNorm: { type: 'number' },
                countUnclipped: { type: 'boolean' },
              },
            },
          },
        },
        'task',
      ),
      ...errors({ 400: 'round not written as a positive integer', 401: 'no or wrong token', 403: 'not selected for this round', 404: 'round has not opened', 409: 'round closed', 429: 'rate limited', 503: 'secure session starting; retry' }),
    },
  },
  model: {
    summary: 'Global parameters of a model version (float32, layout order).',
    security: bearer,
    params: strict({ version: { type: 'string', pattern: VERSION_PATTERN, description: 'model version (0, 1, 2, ...)' } }, ['version']),
    response: errors({ 400: 'version not written as a non-negative integer', 401: 'no or wrong token', 404: 'no such version', 429: 'rate limited' }),
  },
  update: {
    summary: 'Submit an update Δ = local − global. Idempotent per (client, round).',
    description: `Body: ${BINARY_CONTENT_TYPE}, exactly 4 × (sum of layout lengths) bytes of little-endian float32; finite values; norm ≤ task.maxUpdateNorm. The server may clip the update further when it aggregates (--norm-clip).`,
    security: bearer,
    params: roundParams,
    headers: {
      type: 'object',
      required: [UPDATE_HEADERS.modelVersion, UPDATE_HEADERS.numExamples],
      properties: {
        [UPDATE_HEADERS.modelVersion]: { type: 'string', pattern: VERSION_PATTERN, description: 'model version of the task trained on' },
        [UPDATE_HEADERS.numExamples]: { type: 'string', pattern: '^[1-9][0-9]{0,9}$', description: 'examples used (only weights the reported train loss, capped at the enrolled count; never the model)' },
        [UPDATE_HEADERS.metrics]: { type: 'string', description: 'JSON object of at most 16 finite numbers, e.g. {"loss":0.5}' },
        [UPDATE_HEADERS.dtype]: { type: 'string', enum: ['float32'] },
      },
    },
    response: {
      200: json(
        {
          type: 'object',
          required: ['accepted', 'round', 'duplicate'],
          properties: { accepted: { type: 'boolean', enum: [true] }, round: { type: 'integer' }, duplicate: { type: 'boolean', description: 'true when this identical update had already been accepted (a retry): it is counted once' } },
        },
        'accepted (durably) or an identical retry',
      ),
      ...errors({
        400: 'wrong length, NaN/Inf, norm over the bound, bad headers',
        401: 'no or wrong token',
        403: 'not selected for this round',
        404: 'round not opened',
        408: 'the body did not arrive in time',
        409: 'round closed, stale model version, or a different update already accepted',
        413: 'body over the update size',
        415: `not ${BINARY_CONTENT_TYPE}`,
        429: 'rate limited',
      }),
    },
  },
  secureRequest: {
    summary: "This client's secure-aggregation request in the current stage (long-polled with waitMs).",
    security: bearer,
    params: roundParams,
    querystring: strict({ waitMs: { type: 'string', pattern: '^(0|[1-9][0-9]{0,4})$', description: `long polling, ms (≤ ${MAX_LONG_POLL_MS})` } }),
    response: {
      200: json(
        {
          type: 'object',
          required: ['stage'],
          properties: {
            stage: { type: 'string', enum: ['advertise', 'share', 'masked-input', 'unmask', 'done', 'failed'] },
            request: { description: 'the request this client must answer in this stage (secagg wire JSON: byte arrays as {"$bytes": base64}, ring vectors as {"$u32": base64 of little-endian words})' },
            answered: { type: 'boolean', description: 'this client already answered the current stage' },
            message: { type: 'string' },
          },
        },
        'stage and request',
      ),
      ...errors({ 400: 'bad round or waitMs', 401: 'no or wrong token', 403: 'not a party of this round\'s session', 404: 'round not opened', 409: 'round closed, or not a secure round', 429: 'rate limited', 503: 'session busy; retry' }),
    },
  },
  secureReply: (stage: keyof typeof SECURE_REPLY_BODIES) => ({
    summary: `This client's reply for the ${stage} stage (secagg wire JSON). Journaled before it is acknowledged; an identical retry answers duplicate.`,
    security: bearer,
    params: roundParams,
    body: SECURE_REPLY_BODIES[stage],
    response: {
      200: json(
        {
          type: 'object',
          required: ['accepted', 'stage'],
          properties: { accepted: { type: 'boolean', enum: [true] }, stage: { type: 'string' }, duplicate: { type: 'boolean', description: 'the same reply was already journaled; nothing changed' } },
        },
        'accepted',
      ),
      ...errors({ 400: 'malformed reply or unknown field', 401: 'no or wrong token', 403: 'not a party of this round\'s session', 404: 'round not opened', 409: 'round closed, another stage, or a different reply to the same stage', 413: 'body too large', 429: 'rate limited', 503: 'session busy; retry' }),
    },
  }),
  status: {
    summary: 'Federation status (the dashboard polls it).',
    response: {
      200: json(
        {
          type: 'object',
          required: ['protocol', 'federation', 'strategy', 'aggregator', 'modelVersion', 'roundsCompleted', 'roundsTarget', 'finished', 'registeredClients', 'availableClients', 'curve'],
          properties: {
            protocol: { type: 'string' },
            federation: { type: 'string' },
            strategy: { type: 'string' },
            aggregator: { type: 'string' },
            modelVersion: { type: 'integer' },
            roundsCompleted: { type: 'integer' },
            roundsTarget: { type: 'integer' },
            finished: { type: 'boolean' },
            registeredClients: { type: 'integer' },
            availableClients: { type: 'integer' },
            currentRound: { ...roundSummary, properties: { ...(roundSummary.properties as object), accepted: { type: 'integer' }, target: { type: 'integer' }, secureStage: { type: 'string' } } },
            privacy: { type: 'object', properties: { epsilon: { type: 'number' }, delta: { type: 'number' }, noiseMultiplier: { type: 'number' }, clipNorm: { type: 'number' } } },
            curve: {
              type: 'array',
              items: { type: 'object', properties: { round: { type: 'integer' }, accuracy: { type: 'number' }, loss: { type: 'number' }, trainLoss: { type: 'number' }, clients: { type: 'integer' } } },
            },
          },
        },
        'status',
      ),
      ...errors({ 429: 'rate limited' }),
    },
  },
  rounds: {
    summary: 'Every round so far.',
    response: { 200: json({ type: 'object', required: ['rounds'], properties: { rounds: { type: 'array', items: roundSummary } } }, 'rounds'), ...errors({ 429: 'rate limited' }) },
  },
  federation: {
    summary: 'What clients need to join: the data source, model spec, parameter layout and enrolment mode.',
    response: { 200: json({ type: 'object', additionalProperties: true, properties: { protocol: { type: 'string' }, enrolment: { type: 'string', enum: ['invite', 'tokens', 'open'] } } }, 'federation'), ...errors({ 429: 'rate limited' }) },
  },
  metrics: {
    summary: 'Server-side handling time of accepted updates (receipt → durable → answer).',
    response: {
      200: json(
        {
          type: 'object',
          properties: { acceptedUpdates: { type: 'object', properties: { count: { type: 'integer' }, p50Ms: { type: 'number' }, p99Ms: { type: 'number' }, maxMs: { type: 'number' } } } },
        },
        'latency',
      ),
      ...errors({ 429: 'rate limited' }),
    },
  },
  page: (summary: string) => ({ summary, response: { 200: { description: 'the page' } } }),
} as const;

/** Request and response bodies that are not JSON, described for the OpenAPI document only (keyed by route URL and method). */
export const BINARY_DOCUMENTATION: Record<string, { requestBody?: unknown; responses?: Record<string, unknown> }> = {
  'PUT /v1/rounds/{round}/update': {
    requestBody: { required: true, content: { [BINARY_CONTENT_TYPE]: { schema: { type: 'string', format: 'binary' } } } },
  },
  'GET /v1/models/{version}': {
    responses: { 200: { description: 'the parameters: little-endian float32, every tensor of the layout in order', content: { [BINARY_CONTENT_TYPE]: { schema: { type: 'string', format: 'binary' } } } } },
  },
};
