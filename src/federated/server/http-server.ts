/**
 * The federated service's HTTP layer (Fastify): protocol v1 routes over a RoundCoordinator,
 * bearer-token authentication, rate limits, body limits, and the pages (dashboard, browser
 * client) and the OpenAPI document. It holds no round logic: every decision is the
 * coordinator's. Every refusal is a 4xx JSON `{"error": {type, message, statusCode}}`.
 */
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BINARY_CONTENT_TYPE, PATHS, UPDATE_HEADERS } from './protocol.js';
import { RateLimiter, type RateLimit } from './rate-limiter.js';
import { FederationRequestError } from './request-error.js';
import type { RoundCoordinator } from './round-coordinator.js';
import { parseUpdateMetadata } from './update-validation.js';

export interface HttpServerOptions {
  /** Requests per second (and burst) per authenticated client. */
  clientRateLimit?: RateLimit;
  /** Requests per second (and burst) per remote address for unauthenticated requests (registration, bad tokens, public pages). */
  addressRateLimit?: RateLimit;
  /** How often expired rounds are closed and new ones opened (ms). */
  tickMs?: number;
  /** Log requests (pino, to stderr). */
  log?: boolean;
  /** Serve HTTPS with this PEM key and certificate (otherwise plain HTTP; see docs for TLS at a proxy). */
  tls?: { key: Buffer | string; cert: Buffer | string };
}

export const DEFAULT_CLIENT_RATE_LIMIT: RateLimit = { perSecond: 20, burst: 40 };
export const DEFAULT_ADDRESS_RATE_LIMIT: RateLimit = { perSecond: 200, burst: 2000 };

const JSON_BODY_LIMIT = 16 * 1024;
/** Longest a check-in may be held waiting for a round (long polling). */
export const MAX_LONG_POLL_MS = 30_000;

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

export async function createFederationServer(coordinator: RoundCoordinator, options: HttpServerOptions = {}): Promise<FastifyInstance> {
  const updateBytes = coordinator.parameters.arrays.reduce((s, a) => s + a.length, 0) * 4;
  const app = Fastify({
    ...(options.tls ? { https: { key: options.tls.key, cert: options.tls.cert } } : {}),
    logger: options.log ? { level: 'info' } : false,
    bodyLimit: JSON_BODY_LIMIT,
    // the server must answer a malformed request with a 4xx, never crash on it
    return503OnClosing: true,
  });
  let closing = false;
  const clientLimiter = new RateLimiter(options.clientRateLimit ?? DEFAULT_CLIENT_RATE_LIMIT);
  const addressLimiter = new RateLimiter(options.addressRateLimit ?? DEFAULT_ADDRESS_RATE_LIMIT);

  app.addContentTypeParser(BINARY_CONTENT_TYPE, { parseAs: 'buffer', bodyLimit: updateBytes }, (_req, body, done) => done(null, body));

  app.setErrorHandler((error: unknown, _request, reply) => {
    if (error instanceof FederationRequestError) {
      if (error.retryAfterSeconds) reply.header('retry-after', String(error.retryAfterSeconds));
      if (error.statusCode === 401) reply.header('www-authenticate', 'Bearer');
      return reply.code(error.statusCode).send(errorBody(error.statusCode, error.type, error.message));
    }
    const e = error as { statusCode?: number; code?: string; message?: string };
    const status = typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500 ? e.statusCode : 500;
    if (status === 413) {
      return reply.code(413).send(errorBody(413, 'PayloadTooLarge', `request body exceeds the limit (${updateBytes} bytes for an update, ${JSON_BODY_LIMIT} for JSON)`));
    }
    if (status === 415) {
      return reply.code(415).send(errorBody(415, 'UnsupportedMediaType', `unsupported content type; updates are ${BINARY_CONTENT_TYPE}, other bodies application/json`));
    }
    if (status < 500) return reply.code(status).send(errorBody(status, 'BadRequest', e.message ?? 'bad request'));
    app.log.error(error);
    return reply.code(500).send(errorBody(500, 'InternalError', 'internal server error'));
  });
  app.setNotFoundHandler((request, reply) => {
    reply.code(404).send(errorBody(404, 'NotFound', `no route ${request.method} ${request.url.slice(0, 100)}; see ${PATHS.openapi}`));
  });

  const limitAddress = (request: FastifyRequest) => {
    const wait = addressLimiter.take(request.ip);
    if (wait > 0) throw new FederationRequestError(429, 'RateLimited', `too many requests from ${request.ip}; retry in ${wait} s`, wait);
  };
  const authenticate = async (request: FastifyRequest) => {
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer ([A-Za-z0-9_-]{1,128})$/.exec(header) : null;
    const clientId = match ? await coordinator.authenticate(match[1]) : undefined;
    if (!clientId) {
      limitAddress(request);
      throw new FederationRequestError(401, 'Unauthorized', header ? 'the bearer token is not valid; register to get one' : 'missing Authorization: Bearer <token>; register at POST /v1/clients to get one');
    }
    const wait = clientLimiter.take(clientId);
    if (wait > 0) throw new FederationRequestError(429, 'RateLimited', `client "${clientId}" sent too many requests; retry in ${wait} s`, wait);
    request.clientId = clientId;
  };
  const jsonObject = (body: unknown): Record<string, unknown> => {
    if (body === undefined || body === null) return {};
    if (typeof body !== 'object' || Array.isArray(body)) throw new FederationRequestError(400, 'BadRequest', 'the request body must be a JSON object');
    return body as Record<string, unknown>;
  };

  app.post(PATHS.register, { onRequest: async (r) => limitAddress(r) }, async (request, reply) => {
    const body = jsonObject(request.body);
    const created = await coordinator.register(body.clientId, body.numExamples);
    return reply.code(201).send(created);
  });

  app.post(PATHS.checkIn, { onRequest: authenticate }, async (request) => {
    const body = jsonObject(request.body);
    if (body.numExamples !== undefined && typeof body.numExamples !== 'number') {
      throw new FederationRequestError(400, 'BadRequest', `numExamples must be an integer, got ${JSON.stringify(body.numExamples)}`);
    }
    const waitMs = body.waitMs ?? 0;
    if (typeof waitMs !== 'number' || !Number.isInteger(waitMs) || waitMs < 0 || waitMs > MAX_LONG_POLL_MS) {
      throw new FederationRequestError(400, 'BadRequest', `waitMs must be an integer in [0, ${MAX_LONG_POLL_MS}], got ${JSON.stringify(body.waitMs)}`);
    }
    const answer = await coordinator.checkIn(request.clientId!, body.numExamples as number | undefined);
    if (answer.action !== 'wait' || waitMs === 0 || closing) return answer;
    // long poll: hold the request until a round opens or closes (no polling storm from idle clients)
    await coordinator.waitForChange(waitMs);
    return coordinator.checkIn(request.clientId!);
  });

  app.get<{ Params: { round: string } }>('/v1/rounds/:round/task', { onRequest: authenticate }, async (request) => coordinator.task(request.clientId!, request.params.round));

  app.get<{ Params: { version: string } }>('/v1/models/:version', { onRequest: authenticate }, async (request, reply) => {
    const bytes = await coordinator.model(request.params.version);
    return reply.type(BINARY_CONTENT_TYPE).send(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  });

  app.put<{ Params: { round: string } }>('/v1/rounds/:round/update', { onRequest: authenticate, bodyLimit: updateBytes }, async (request) => {
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
  app.get(PATHS.metrics, { onRequest: async (r) => limitAddress(r) }, async () => {
    const sorted = [...acceptMs].sort((a, b) => a - b);
    const q = (f: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil(f * sorted.length) - 1)] : 0);
    return { acceptedUpdates: { count: sorted.length, p50Ms: q(0.5), p99Ms: q(0.99), maxMs: sorted.length ? sorted[sorted.length - 1] : 0 } };
  });

  // secure aggregation: the stage's request for this client (long-polled), and its reply
  app.get<{ Params: { round: string }; Querystring: { waitMs?: string } }>('/v1/rounds/:round/secagg', { onRequest: authenticate }, async (request) => {
    const waitText = request.query.waitMs ?? '0';
    if (!/^\d{1,6}$/.test(waitText) || Number(waitText) > MAX_LONG_POLL_MS) throw new FederationRequestError(400, 'BadRequest', `waitMs must be an integer in [0, ${MAX_LONG_POLL_MS}]`);
    const answer = await coordinator.secureRequest(request.clientId!, request.params.round);
    if (answer.request !== undefined || answer.stage === 'done' || answer.stage === 'failed' || Number(waitText) === 0 || closing) return answer;
    await coordinator.waitForChange(Number(waitText));
    return coordinator.secureRequest(request.clientId!, request.params.round);
  });
  app.post<{ Params: { round: string; stage: string } }>(
    '/v1/rounds/:round/secagg/:stage',
    { onRequest: authenticate, bodyLimit: updateBytes * 2 + 1024 * 1024 },
    async (request) => coordinator.secureReply(request.clientId!, request.params.round, request.params.stage, request.body),
  );

  app.get(PATHS.status, { onRequest: async (r) => limitAddress(r) }, async () => {
    await coordinator.refresh();
    return coordinator.status();
  });
  app.get(PATHS.rounds, { onRequest: async (r) => limitAddress(r) }, async () => {
    await coordinator.refresh();
    return { rounds: coordinator.rounds() };
  });
  app.get(PATHS.federation, { onRequest: async (r) => limitAddress(r) }, async () => coordinator.federation());

  const openapi = readPage('web/openapi.json');
  app.get(PATHS.openapi, async (_request, reply) => {
    if (!openapi) throw new FederationRequestError(404, 'NotFound', 'web/openapi.json is missing from this installation');
    return reply.type('application/json').send(openapi);
  });
  const page = (route: string, file: string, type: string) =>
    app.get(route, async (_request, reply) => {
      const content = readPage(file);
      if (!content) throw new FederationRequestError(404, 'NotFound', `${file} is missing; run npm run build`);
      return reply.type(type).header('cache-control', 'no-store').send(content);
    });
  page(PATHS.dashboard, 'web/dashboard/index.html', 'text/html; charset=utf-8');
  page('/dashboard/dashboard.js', 'web/dashboard/dashboard.js', 'text/javascript; charset=utf-8');
  page('/client', 'web/client/index.html', 'text/html; charset=utf-8');
  page('/client/fl-client.js', 'dist/web/fl-client.js', 'text/javascript; charset=utf-8');
  app.get('/', async (_request, reply) => reply.redirect(PATHS.dashboard));

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
