/**
 * The federated service's HTTP layer (Fastify): protocol v1 routes over a RoundCoordinator,
 * bearer-token authentication, an admin route behind its own token, rate limits, body limits,
 * timeouts and per-address connection caps, and the pages (dashboard, browser client) and the
 * OpenAPI document, generated from the route schemas (route-schemas.ts) by @fastify/swagger.
 * It holds no round logic: every decision is the coordinator's. Every refusal is a 4xx JSON
 * `{"error": {type, message, statusCode}}` naming what was wrong.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { importOptional } from '../../optional-dependency.js';
import { existsSync, readFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sameDigest, tokenHash } from './client-tokens.js';
import { BINARY_CONTENT_TYPE, PATHS, UPDATE_HEADERS, type InviteRequest, type RegisterRequest } from './protocol.js';
import { RateLimiter, type RateLimit } from './rate-limiter.js';
import { FederationRequestError } from './request-error.js';
import type { RoundCoordinator } from './round-coordinator.js';
import { BINARY_DOCUMENTATION, MAX_LONG_POLL_MS, ROUTE_SCHEMAS, SECURE_REPLY_BODIES, errorSchema } from './route-schemas.js';
import { parseUpdateMetadata } from './update-validation.js';

export { MAX_LONG_POLL_MS } from './route-schemas.js';
import { registerAnalyticsRoutes } from './analytics-routes.js';
import { registerEvaluationRoutes } from './evaluation-routes.js';

export interface ConnectionLimits {
  /** Request headers must arrive within this long (ms), else 408. */
  headersTimeoutMs: number;
  /** The whole request, body included, must arrive within this long (ms), else 408. */
  requestTimeoutMs: number;
  /** An idle keep-alive connection is closed after this long (ms). */
  keepAliveTimeoutMs: number;
  /** Open connections one remote address may hold; more are refused (429) at once. */
  maxConnectionsPerAddress: number;
}

export const DEFAULT_CONNECTION_LIMITS: Readonly<ConnectionLimits> = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 60_000,
  keepAliveTimeoutMs: 5_000,
  maxConnectionsPerAddress: 64,
};

export interface HttpServerOptions {
  /** Requests per second (and burst) per authenticated client. */
  clientRateLimit?: RateLimit;
  /** Requests per second (and burst) per remote address for unauthenticated requests (bad tokens, public pages). */
  addressRateLimit?: RateLimit;
  /** Enrolment attempts per second (and burst) per remote address. */
  enrolRateLimit?: RateLimit;
  /** Timeouts and the per-address connection cap (defaults: DEFAULT_CONNECTION_LIMITS). */
  connections?: Partial<ConnectionLimits>;
  /** The admin token (POST /v1/admin/invites); without it the admin routes answer 403. */
  adminToken?: string;
  /** How often expired rounds are closed and new ones opened (ms). */
  tickMs?: number;
  /** Log requests (pino, to stderr). */
  log?: boolean;
  /** Serve HTTPS with this PEM key and certificate (otherwise plain HTTP; see docs for TLS at a proxy). */
  tls?: { key: Buffer | string; cert: Buffer | string };
}

export const DEFAULT_CLIENT_RATE_LIMIT: RateLimit = { perSecond: 20, burst: 40 };
export const DEFAULT_ADDRESS_RATE_LIMIT: RateLimit = { perSecond: 200, burst: 2000 };
export const DEFAULT_ENROL_RATE_LIMIT: RateLimit = { perSecond: 2, burst: 20 };

const JSON_BODY_LIMIT = 16 * 1024;
/** Timeouts are checked this often (Node's default of 30 s would let a slow body live that long past its limit). */
const CONNECTION_CHECK_MS = 500;

/** The repository root (where web/ lives), from this compiled file in dist/src/federated/server/. */
export function packageRoot(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
}

function readPage(relative: string): Buffer | undefined {
  const path = join(packageRoot(), relative);
  return existsSync(path) ? readFileSync(path) : undefined;
}

declare module 'fastify' {
  interface FastifyRequest {
    clientId?: string;
  }
}

function errorBody(statusCode: number, type: string, message: string) {
  return { error: { type, message, statusCode } };
}

interface AjvError {
  keyword: string;
  instancePath: string;
  message?: string;
  params: Record<string, unknown>;
}

const WHERE: Record<string, string> = { body: 'the body', params: 'the path', querystring: 'the query', headers: 'the headers' };
/** Fields a client might still send from older docs, with what to do instead. */
const RETIRED_FIELDS: Record<string, string> = {
  numExamples: 'a client\'s aggregation weight is fixed at enrolment; check-ins cannot change it',
};

/** One line naming every field at fault (unknown fields all at once), from Fastify's validation errors. */
function validationMessage(context: string, errors: AjvError[], allowed: string[] | undefined): string {
  const where = WHERE[context] ?? context;
  const unknown = errors.filter((e) => e.keyword === 'additionalProperties').map((e) => `${e.instancePath ? `${e.instancePath.slice(1)}.` : ''}${String(e.params.additionalProperty)}`);
  if (unknown.length > 0) {
    const hints = unknown.filter((f) => RETIRED_FIELDS[f]).map((f) => `${f}: ${RETIRED_FIELDS[f]}`);
    return (
      `unknown field${unknown.length > 1 ? 's' : ''} ${unknown.map((f) => JSON.stringify(f)).join(', ')} in ${where}` +
      (allowed ? `; allowed: ${allowed.join(', ') || 'none'}` : '') +
      (hints.length ? ` (${hints.join('; ')})` : '')
    );
  }
  const e = errors[0];
  const field = (e.instancePath || '').slice(1).replace(/\//g, '.');
  if (e.keyword === 'required') return `${where} lacks the required field ${JSON.stringify(field ? `${field}.${String(e.params.missingProperty)}` : e.params.missingProperty)}`;
  if (context === 'params' && field === 'round') return 'the round must be a positive integer written without leading zeros or signs (1, 2, ...): rounds are numbered from 1';
  if (context === 'params' && field === 'version') return 'the model version must be a non-negative integer written without leading zeros or signs (0, 1, 2, ...)';
  if (context === 'querystring' && field === 'waitMs') return `waitMs must be an integer in [0, ${MAX_LONG_POLL_MS}] written without leading zeros`;
  return `${field ? `${field} in ${where}` : where} ${e.message ?? 'is invalid'}`;
}

export async function createFederationServer(coordinator: RoundCoordinator, options: HttpServerOptions = {}): Promise<FastifyInstance> {
  // The service stack is an optional peer dependency: loaded here, with one clear line when missing.
  const Fastify = (await importOptional<typeof import('fastify')>('fastify', 'the federated service (fl serve)')).default;
  const swagger = (await importOptional<typeof import('@fastify/swagger')>('@fastify/swagger', 'the federated service (fl serve)')).default;
  const updateBytes = coordinator.parameters.arrays.reduce((s, a) => s + a.length, 0) * 4;
  const limits: ConnectionLimits = { ...DEFAULT_CONNECTION_LIMITS, ...Object.fromEntries(Object.entries(options.connections ?? {}).filter(([, v]) => v !== undefined)) };
  const openPerAddress = new Map<string, number>();
  const app = Fastify({
    logger: options.log ? { level: 'info' } : false,
    bodyLimit: JSON_BODY_LIMIT,
    return503OnClosing: true,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    // validation refuses (never strips or coerces) what a client sent; allErrors names every unknown field at once
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false, allErrors: true } },
    serverFactory: (handler) => {
      const serverOptions = { connectionsCheckingInterval: CONNECTION_CHECK_MS, headersTimeout: limits.headersTimeoutMs, requestTimeout: limits.requestTimeoutMs, keepAliveTimeout: limits.keepAliveTimeoutMs };
      const server: Server = options.tls
        ? createHttpsServer({ ...serverOptions, key: options.tls.key, cert: options.tls.cert }, handler)
        : createHttpServer(serverOptions, handler as (req: IncomingMessage, res: ServerResponse) => void);
      // a per-address cap on open connections: one address cannot hold the server's sockets
      server.on(options.tls ? 'secureConnection' : 'connection', (socket: Socket) => {
        const address = socket.remoteAddress ?? 'unknown';
        const open = (openPerAddress.get(address) ?? 0) + 1;
        if (open > limits.maxConnectionsPerAddress) {
          const body = JSON.stringify(errorBody(429, 'RateLimited', `too many open connections from ${address} (at most ${limits.maxConnectionsPerAddress}); reuse keep-alive connections`));
          socket.end(`HTTP/1.1 429 Too Many Requests\r\nContent-Type: application/json\r\nRetry-After: 1\r\nConnection: close\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
          socket.destroySoon();
          return;
        }
        openPerAddress.set(address, open);
        socket.once('close', () => {
          const left = (openPerAddress.get(address) ?? 1) - 1;
          if (left <= 0) openPerAddress.delete(address);
          else openPerAddress.set(address, left);
        });
      });
      return server;
    },
  });
  let closing = false;
  const clientLimiter = new RateLimiter(options.clientRateLimit ?? DEFAULT_CLIENT_RATE_LIMIT);
  const addressLimiter = new RateLimiter(options.addressRateLimit ?? DEFAULT_ADDRESS_RATE_LIMIT);
  const enrolLimiter = new RateLimiter(options.enrolRateLimit ?? DEFAULT_ENROL_RATE_LIMIT);
  const adminHash = options.adminToken ? tokenHash(options.adminToken) : undefined;

  app.addSchema(errorSchema);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'trustnlu federated learning service',
        version: '1.0.0',
        description:
          'Protocol v1 of `trustnlu fl serve`. Parameters and updates are little-endian float32 vectors: every tensor of the task layout, in layout order, concatenated. ' +
          'Every JSON body is validated strictly: unknown fields are refused with 400 naming them. Every refusal is a 4xx with an Error body; 429 carries Retry-After. ' +
          'See docs/federated-service.md for enrolment, weights, durability and security guarantees.',
      },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'Per-client token: returned once by POST /v1/clients, or provisioned by the operator.' },
          adminBearer: { type: 'http', scheme: 'bearer', description: 'The admin token (the server\'s --admin-token-file).' },
        },
      },
    },
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => String((json as { $id?: string }).$id ?? `def-${i}`) },
    transform: ({ schema, url, route }) => {
      const method = Array.isArray(route.method) ? route.method[0] : route.method;
      const extra = BINARY_DOCUMENTATION[`${method} ${url}`];
      if (!extra || !schema) return { schema, url };
      const out = { ...schema } as Record<string, unknown>;
      if (extra.responses) out.response = { ...(schema.response as object), ...extra.responses };
      return { schema: out as typeof schema, url };
    },
    transformObject: (documentObject) => {
      if (!('openapiObject' in documentObject)) return documentObject.swaggerObject;
      const openapiObject = documentObject.openapiObject;
      // request bodies Fastify does not validate as JSON (binary updates)
      for (const [key, extra] of Object.entries(BINARY_DOCUMENTATION)) {
        if (!extra.requestBody) continue;
        const [method, path] = key.split(' ');
        const operation = (openapiObject.paths?.[path] as Record<string, Record<string, unknown>> | undefined)?.[method.toLowerCase()];
        if (operation) operation.requestBody = extra.requestBody;
      }
      return openapiObject;
    },
  });

  // JSON bodies: parsed as written (a "__proto__" key stays an own key, which the schema then refuses by name)
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: JSON_BODY_LIMIT }, (_request, text, done) => {
    if ((text as string).trim() === '') return done(null, undefined);
    try {
      done(null, JSON.parse(text as string));
    } catch (error) {
      done(new FederationRequestError(400, 'BadRequest', `the body is not valid JSON (${(error as Error).message})`), undefined);
    }
  });
  app.addContentTypeParser(BINARY_CONTENT_TYPE, { parseAs: 'buffer', bodyLimit: updateBytes }, (_req, body, done) => done(null, body));
  // a route with a JSON body schema may be called without a body: validate it as {}
  app.addHook('preValidation', async (request) => {
    if (request.body === undefined && request.routeOptions.schema?.body) request.body = {};
  });

  app.setErrorHandler((error: unknown, request, reply) => {
    if (error instanceof FederationRequestError) {
      if (error.retryAfterSeconds) reply.header('retry-after', String(error.retryAfterSeconds));
      if (error.statusCode === 401) reply.header('www-authenticate', 'Bearer');
      return reply.code(error.statusCode).send(errorBody(error.statusCode, error.type, error.message));
    }
    const e = error as { statusCode?: number; code?: string; message?: string; validation?: AjvError[]; validationContext?: string };
    if (e.validation) {
      const context = e.validationContext ?? 'body';
      const schema = (request.routeOptions.schema as Record<string, { properties?: Record<string, unknown> }> | undefined)?.[context];
      const allowed = schema?.properties ? Object.keys(schema.properties) : undefined;
      const type = context === 'headers' && request.routeOptions.url === '/v1/rounds/:round/update' ? 'InvalidUpdate' : 'BadRequest';
      return reply.code(400).send(errorBody(400, type, validationMessage(context, e.validation, allowed)));
    }
    const status = typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500 ? e.statusCode : 500;
    if (status === 413) {
      return reply.code(413).send(errorBody(413, 'PayloadTooLarge', `request body exceeds the limit (${updateBytes} bytes for an update, ${JSON_BODY_LIMIT} for JSON)`));
    }
    if (status === 415) {
      return reply.code(415).send(errorBody(415, 'UnsupportedMediaType', `unsupported content type; updates are ${BINARY_CONTENT_TYPE}, other bodies application/json`));
    }
    if (status === 408) return reply.code(408).send(errorBody(408, 'RequestTimeout', `the request did not arrive within ${limits.requestTimeoutMs} ms`));
    if (status < 500) return reply.code(status).send(errorBody(status, 'BadRequest', e.message ?? 'bad request'));
    app.log.error(error);
    return reply.code(500).send(errorBody(500, 'InternalError', 'internal server error'));
  });
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0].slice(0, 100);
    // a client resolves "." and ".." segments before sending (/v1/models/.. arrives as /v1/): say so
    const prefix = /^\/v1(\/(models|rounds|admin)?\/?)?$/.test(path) ? `; ${path} is only the start of a route (a path written with "." or ".." segments is resolved by the HTTP client before it is sent)` : '';
    reply.code(404).send(errorBody(404, 'NotFound', `no route ${request.method} ${path}${prefix}; the routes are listed at ${PATHS.openapi}`));
  });

  const limitAddress = async (request: FastifyRequest) => {
    const wait = addressLimiter.take(request.ip);
    if (wait > 0) throw new FederationRequestError(429, 'RateLimited', `too many requests from ${request.ip}; retry in ${wait} s`, wait);
  };
  const limitEnrolment = async (request: FastifyRequest) => {
    const wait = enrolLimiter.take(request.ip);
    if (wait > 0) throw new FederationRequestError(429, 'RateLimited', `too many enrolment attempts from ${request.ip}; retry in ${wait} s`, wait);
  };
  const bearerToken = (request: FastifyRequest): string | undefined => {
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer ([A-Za-z0-9_-]{1,128})$/.exec(header) : null;
    return match?.[1];
  };
  const authenticate = async (request: FastifyRequest) => {
    const token = bearerToken(request);
    const clientId = token ? await coordinator.authenticate(token) : undefined;
    if (!clientId) {
      await limitAddress(request);
      throw new FederationRequestError(
        401,
        'Unauthorized',
        request.headers.authorization ? 'the bearer token is not valid; enrol to get one (POST /v1/clients) or use the token the operator provisioned' : 'missing Authorization: Bearer <token>; enrol at POST /v1/clients to get one',
      );
    }
    const wait = clientLimiter.take(clientId);
    if (wait > 0) throw new FederationRequestError(429, 'RateLimited', `client "${clientId}" sent too many requests; retry in ${wait} s`, wait);
    request.clientId = clientId;
  };
  const authenticateAdmin = async (request: FastifyRequest) => {
    await limitAddress(request);
    if (!adminHash) throw new FederationRequestError(403, 'Forbidden', 'admin routes are off on this server; start it with --admin-token-file FILE');
    const token = bearerToken(request);
    if (!token || !sameDigest(tokenHash(token), adminHash)) throw new FederationRequestError(401, 'Unauthorized', 'admin routes need Authorization: Bearer <the admin token>');
  };

  app.post<{ Body: RegisterRequest }>(PATHS.register, { schema: ROUTE_SCHEMAS.register, onRequest: limitEnrolment }, async (request, reply) => {
    const created = await coordinator.register(request.body);
    return reply.code(201).send(created);
  });
  app.post<{ Body: InviteRequest }>(PATHS.invites, { schema: ROUTE_SCHEMAS.invites, onRequest: authenticateAdmin }, async (request, reply) => {
    return reply.code(201).send(await coordinator.issueInvites(request.body));
  });

  app.post<{ Body: { waitMs?: number } }>(PATHS.checkIn, { schema: ROUTE_SCHEMAS.checkIn, onRequest: authenticate }, async (request) => {
    const waitMs = request.body.waitMs ?? 0;
    const answer = await coordinator.checkIn(request.clientId!);
    if (answer.action !== 'wait' || waitMs === 0 || closing) return answer;
    // long poll: hold the request until a round opens or closes (no polling storm from idle clients)
    await coordinator.waitForChange(waitMs);
    return coordinator.checkIn(request.clientId!);
  });

  app.get<{ Params: { round: string } }>('/v1/rounds/:round/task', { schema: ROUTE_SCHEMAS.task, onRequest: authenticate }, async (request) =>
    coordinator.task(request.clientId!, request.params.round),
  );

  registerEvaluationRoutes(app, coordinator, { authenticate, closing: () => closing, secureBodyLimit: 1024 * 1024 });

  app.get<{ Params: { version: string } }>('/v1/models/:version', { schema: ROUTE_SCHEMAS.model, onRequest: authenticate }, async (request, reply) => {
    const bytes = await coordinator.model(request.params.version);
    return reply.type(BINARY_CONTENT_TYPE).send(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  });

  app.put<{ Params: { round: string } }>('/v1/rounds/:round/update', { schema: ROUTE_SCHEMAS.update, onRequest: authenticate, bodyLimit: updateBytes }, async (request) => {
    const type = request.headers['content-type'];
    if (type !== BINARY_CONTENT_TYPE || !Buffer.isBuffer(request.body)) {
      throw new FederationRequestError(415, 'UnsupportedMediaType', `an update body must be ${BINARY_CONTENT_TYPE} (little-endian float32), got ${JSON.stringify(type ?? null)}`);
    }
    const meta = parseUpdateMetadata(request.headers, UPDATE_HEADERS);
    const body = request.body as Buffer;
    return coordinator.submit(request.clientId!, request.params.round, meta, new Uint8Array(body.buffer, body.byteOffset, body.byteLength));
  });

  // server-side handling time of accepted updates (request received → durable → answer sent)
  const acceptMs: number[] = [];
  app.addHook('onResponse', async (request, reply) => {
    if (request.routeOptions.url === '/v1/rounds/:round/update' && reply.statusCode === 200 && acceptMs.length < 1_000_000) acceptMs.push(reply.elapsedTime);
  });
  app.get(PATHS.metrics, { schema: ROUTE_SCHEMAS.metrics, onRequest: limitAddress }, async () => {
    const sorted = [...acceptMs].sort((a, b) => a - b);
    const q = (f: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil(f * sorted.length) - 1)] : 0);
    return { acceptedUpdates: { count: sorted.length, p50Ms: q(0.5), p99Ms: q(0.99), maxMs: sorted.length ? sorted[sorted.length - 1] : 0 } };
  });

  // secure aggregation: the stage's request for this client (long-polled), and its reply (one route per stage, each with its schema)
  app.get<{ Params: { round: string }; Querystring: { waitMs?: string } }>('/v1/rounds/:round/secagg', { schema: ROUTE_SCHEMAS.secureRequest, onRequest: authenticate }, async (request) => {
    const waitMs = Number(request.query.waitMs ?? '0');
    if (waitMs > MAX_LONG_POLL_MS) throw new FederationRequestError(400, 'BadRequest', `waitMs must be an integer in [0, ${MAX_LONG_POLL_MS}], got ${waitMs}`);
    const answer = await coordinator.secureRequest(request.clientId!, request.params.round);
    if (answer.request !== undefined || answer.stage === 'done' || answer.stage === 'failed' || waitMs === 0 || closing) return answer;
    await coordinator.waitForChange(waitMs);
    return coordinator.secureRequest(request.clientId!, request.params.round);
  });
  for (const stage of Object.keys(SECURE_REPLY_BODIES) as (keyof typeof SECURE_REPLY_BODIES)[]) {
    app.post<{ Params: { round: string } }>(
      `/v1/rounds/:round/secagg/${stage}`,
      { schema: ROUTE_SCHEMAS.secureReply(stage), onRequest: authenticate, bodyLimit: updateBytes * 2 + 1024 * 1024 },
      async (request) => coordinator.secureReply(request.clientId!, request.params.round, stage, request.body),
    );
  }

  registerAnalyticsRoutes(app, {
    analytics: () => coordinator.analyticsTask(),
    authenticate,
    authenticateAdmin,
    waitForChange: (ms) => coordinator.waitForChange(ms),
    closing: () => closing,
    replyBodyLimit: 4 * 1024 * 1024,
  });

  app.get(PATHS.status, { schema: ROUTE_SCHEMAS.status, onRequest: limitAddress }, async () => {
    await coordinator.refresh();
    return coordinator.status();
  });
  app.get(PATHS.rounds, { schema: ROUTE_SCHEMAS.rounds, onRequest: limitAddress }, async () => {
    await coordinator.refresh();
    return { rounds: coordinator.rounds() };
  });
  app.get(PATHS.federation, { schema: ROUTE_SCHEMAS.federation, onRequest: limitAddress }, async () => coordinator.federation());

  app.get(PATHS.openapi, { schema: { summary: 'This document (generated from the route schemas).', response: { 200: { description: 'OpenAPI 3.1' } } } }, async (_request, reply) =>
    reply.type('application/json').send(JSON.stringify(app.swagger())),
  );
  const page = (route: string, file: string, type: string, summary?: string) =>
    app.get(route, { schema: summary ? ROUTE_SCHEMAS.page(summary) : { hide: true } }, async (_request, reply: FastifyReply) => {
      const content = readPage(file);
      if (!content) throw new FederationRequestError(404, 'NotFound', `${file} is missing; run npm run build`);
      return reply.type(type).header('cache-control', 'no-store').send(content);
    });
  page(PATHS.dashboard, 'web/dashboard/index.html', 'text/html; charset=utf-8', 'Live dashboard page.');
  page('/dashboard/dashboard.js', 'web/dashboard/dashboard.js', 'text/javascript; charset=utf-8');
  page('/client', 'web/client/index.html', 'text/html; charset=utf-8', 'Browser client page.');
  page('/client/fl-client.js', 'dist/web/fl-client.js', 'text/javascript; charset=utf-8');
  app.get('/', { schema: { hide: true } }, async (_request, reply) => reply.redirect(PATHS.dashboard));

  const tick = setInterval(() => {
    coordinator.tick().catch((error) => app.log.error(error));
  }, options.tickMs ?? 250);
  tick.unref();
  app.addHook('preClose', async () => {
    closing = true;
    await coordinator.drain(); // wakes held check-ins so the server can close
  });
  app.addHook('onClose', async () => {
    clearInterval(tick);
    await coordinator.drain();
  });
  return app;
}
