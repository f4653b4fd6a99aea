/**
 * One client's conversation with a federated server over protocol v1 (see
 * src/federated/server/protocol.ts and the OpenAPI document at /openapi.json): register, check in, fetch a task
 * and the global parameters, submit an update. Uses only `fetch`, so the same code runs in
 * Node and in a browser page. Network failures and 5xx/429 answers are retried with
 * backoff; a submit is safe to retry because the server treats an identical resubmission as
 * the same update (idempotent per client and round).
 */
import { TrustnluError } from '../../errors.js';
import {
  API_PREFIX,
  BINARY_CONTENT_TYPE,
  PATHS,
  UPDATE_HEADERS,
  decodeFloat32,
  encodeFloat32,
  type CheckInResponse,
  type ErrorResponse,
  type RegisterResponse,
  type SecureRequestResponse,
  type SecureReplyResponse,
  type TaskResponse,
  type UpdateResponse,
} from '../server/protocol.js';
import { EVALUATION_PATHS, type EvaluationReportRequest, type EvaluationReportResponse, type EvaluationTaskResponse } from '../server/evaluation-protocol.js';
import type { AnalyticsReportRequest, AnalyticsTaskResponse } from '../server/analytics-rounds.js';

/** The server refused a request (a 4xx other than 429), or kept failing after the retries. */
export class RemoteServerError extends TrustnluError {
  constructor(
    readonly statusCode: number,
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

export interface RemoteSessionOptions {
  /** Server base URL, e.g. http://127.0.0.1:8080 */
  server: string;
  /** Attempts per request for network errors, 429 and 5xx (default 8). */
  attempts?: number;
  /** First backoff in ms, doubled per attempt up to 4 s (default 100). */
  backoffMs?: number;
  /** Injected for tests and the browser (default globalThis.fetch). */
  fetch?: typeof fetch;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class RemoteSession {
  readonly server: string;
  clientId: string | undefined;
  private token: string | undefined;
  private readonly attempts: number;
  private readonly backoffMs: number;
  private readonly fetchImpl: typeof fetch;

  constructor(options: RemoteSessionOptions) {
    this.server = options.server.replace(/\/+$/, '');
    this.attempts = options.attempts ?? 8;
    this.backoffMs = options.backoffMs ?? 100;
    this.fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis);
  }

  /** Resumes with a token obtained earlier (a client that restarted). */
  useToken(clientId: string, token: string): void {
    this.clientId = clientId;
    this.token = token;
  }

  get credentials(): { clientId: string; token: string } | undefined {
    return this.clientId && this.token ? { clientId: this.clientId, token: this.token } : undefined;
  }

  private async request(method: string, path: string, init: { json?: unknown; body?: Uint8Array; headers?: Record<string, string> } = {}): Promise<Response> {
    const headers: Record<string, string> = { ...(init.headers ?? {}) };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    let body: BodyInit | undefined;
    if (init.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(init.json);
    } else if (init.body) {
      headers['content-type'] = BINARY_CONTENT_TYPE;
      body = init.body as unknown as BodyInit;
    }
    let lastProblem = '';
    for (let attempt = 1; attempt <= this.attempts; attempt++) {
      let response: Response;
      try {
        response = await this.fetchImpl(`${this.server}${path}`, { method, headers, body });
      } catch (error) {
        lastProblem = `network error: ${(error as Error).message}`;
        await sleep(Math.min(4000, this.backoffMs * 2 ** (attempt - 1)));
        continue;
      }
      if (response.status === 429 || response.status >= 500) {
        const retryAfter = Number(response.headers.get('retry-after'));
        lastProblem = `HTTP ${response.status}`;
        await response.arrayBuffer().catch(() => undefined);
        await sleep(Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : Math.min(4000, this.backoffMs * 2 ** (attempt - 1)));
        continue;
      }
      if (response.status >= 400) {
        let problem: ErrorResponse['error'] = { type: 'HttpError', message: `HTTP ${response.status}`, statusCode: response.status };
        try {
          problem = ((await response.json()) as ErrorResponse).error ?? problem;
        } catch {
          // not JSON: keep the status line
        }
        throw new RemoteServerError(response.status, problem.type, `${method} ${path}: ${problem.message} (HTTP ${response.status})`);
      }
      return response;
    }
    throw new RemoteServerError(0, 'Unreachable', `${method} ${this.server}${path} failed ${this.attempts} times (${lastProblem}); is the server running?`);
  }

  /**
   * Enrols under `clientId`. `numExamples` is only a claim (the server decides the weight);
   * `enrolmentCode` is the operator's single-use code when the federation enrols by invitation.
   */
  async register(clientId: string, numExamples?: number, enrolmentCode?: string): Promise<RegisterResponse> {
    const body = { clientId, ...(numExamples !== undefined ? { numExamples } : {}), ...(enrolmentCode !== undefined ? { enrolmentCode } : {}) };
    const response = (await (await this.request('POST', PATHS.register, { json: body })).json()) as RegisterResponse;
    this.useToken(response.clientId, response.token);
    return response;
  }

  /** `waitMs` > 0 long-polls: the server holds the answer until a round opens or closes, at most that long. */
  async checkIn(options: { waitMs?: number } = {}): Promise<CheckInResponse> {
    const body: Record<string, number> = {};
    if (options.waitMs) body.waitMs = options.waitMs;
    return (await (await this.request('POST', PATHS.checkIn, { json: body })).json()) as CheckInResponse;
  }

  async task(round: number): Promise<TaskResponse> {
    return (await (await this.request('GET', PATHS.task(round))).json()) as TaskResponse;
  }

  /** The global parameters of `task`, as one float32 vector in layout order. */
  async parameters(task: TaskResponse): Promise<Float32Array> {
    return this.float32Vector(task.parametersPath, `the parameters of round ${task.round}`, task.layout.lengths.reduce((a, b) => a + b, 0));
  }

  /** The parameters of model `version` (float32, layout order). */
  async modelParameters(version: number): Promise<Float32Array> {
    return this.float32Vector(PATHS.model(version), `model ${version}`);
  }

  /** The float32 vector at `path`, refused unless it decodes (to `expected` values, when given). */
  private async float32Vector(path: string, what: string, expected?: number): Promise<Float32Array> {
    const bytes = new Uint8Array(await (await this.request('GET', path)).arrayBuffer());
    const values = decodeFloat32(bytes);
    if (!values || (expected !== undefined && values.length !== expected)) {
      const need = expected !== undefined ? `${expected} float32 values` : 'a whole number of float32 values';
      throw new RemoteServerError(0, 'InvalidModel', `the server sent ${bytes.byteLength} bytes for ${what}, which needs ${need}`);
    }
    return values;
  }

  /** Federated evaluation: this client's sums on its held-out data for `round`'s model (idempotent: an identical retry is a duplicate). */
  async evaluationReport(round: number, report: EvaluationReportRequest): Promise<EvaluationReportResponse> {
    return (await (await this.request('POST', PATHS.evaluation(round), { json: report })).json()) as EvaluationReportResponse;
  }

  /** What this client computes for the evaluation of `round`'s model, and how it sends it (plain report or secure session). */
  async evaluationTask(round: number): Promise<EvaluationTaskResponse> {
    return (await (await this.request('GET', EVALUATION_PATHS.task(round))).json()) as EvaluationTaskResponse;
  }

  /** The request waiting for this client in a secure evaluation's session; `waitMs` long-polls for the next stage. */
  async evaluationSecureRequest(round: number, waitMs = 0): Promise<SecureRequestResponse> {
    return (await (await this.request('GET', `${EVALUATION_PATHS.secagg(round)}?waitMs=${waitMs}`)).json()) as SecureRequestResponse;
  }

  /** This client's reply (secagg wire JSON) for `stage` of a secure evaluation's session. */
  async evaluationSecureReply(round: number, stage: string, reply: unknown): Promise<SecureReplyResponse> {
    return (await (await this.request('POST', `${EVALUATION_PATHS.secagg(round)}/${stage}`, { json: reply })).json()) as SecureReplyResponse;
  }

  async submit(
    task: Pick<TaskResponse, 'round' | 'modelVersion'>,
    delta: Float32Array,
    numExamples: number,
    metrics: Record<string, number> = {},
  ): Promise<UpdateResponse> {
    const finite = Object.fromEntries(Object.entries(metrics).filter(([, v]) => Number.isFinite(v)));
    const response = await this.request('PUT', PATHS.update(task.round), {
      body: encodeFloat32(delta),
      headers: {
        [UPDATE_HEADERS.modelVersion]: String(task.modelVersion),
        [UPDATE_HEADERS.numExamples]: String(numExamples),
        [UPDATE_HEADERS.metrics]: JSON.stringify(finite),
        [UPDATE_HEADERS.dtype]: 'float32',
      },
    });
    return (await response.json()) as UpdateResponse;
  }

  /** The secure-aggregation request waiting for this client; `waitMs` long-polls for the next stage. */
  async secureRequest(round: number, waitMs = 0): Promise<SecureRequestResponse> {
    return (await (await this.request('GET', `${PATHS.secagg(round)}?waitMs=${waitMs}`)).json()) as SecureRequestResponse;
  }

  /** This client's reply (secagg wire JSON) for `stage`. */
  async secureReply(round: number, stage: string, reply: unknown): Promise<SecureReplyResponse> {
    return (await (await this.request('POST', `${PATHS.secagg(round)}/${stage}`, { json: reply })).json()) as SecureReplyResponse;
  }

  /** Private analytics: the task of analytics round `round` (the check-in said "analytics"). */
  async analyticsTask(round: number): Promise<AnalyticsTaskResponse> {
    return (await (await this.request('GET', `${API_PREFIX}/analytics/${round}/task`)).json()) as AnalyticsTaskResponse;
  }

  /** A plain analytics report: {votes} (heavy hitters) or {counts} (histogram). */
  async analyticsReport(round: number, report: AnalyticsReportRequest): Promise<{ accepted: true; round: number; duplicate: boolean }> {
    return (await (await this.request('POST', `${API_PREFIX}/analytics/${round}/report`, { json: report })).json()) as { accepted: true; round: number; duplicate: boolean };
  }

  /** A secure analytics round: this party's request in the current stage (`waitMs` long-polls). */
  async analyticsSecureRequest(round: number, waitMs = 0): Promise<SecureRequestResponse> {
    return (await (await this.request('GET', `${API_PREFIX}/analytics/${round}/secagg?waitMs=${waitMs}`)).json()) as SecureRequestResponse;
  }

  async analyticsSecureReply(round: number, stage: string, reply: unknown): Promise<SecureReplyResponse> {
    return (await (await this.request('POST', `${API_PREFIX}/analytics/${round}/secagg/${stage}`, { json: reply })).json()) as SecureReplyResponse;
  }

  async federation(): Promise<Record<string, unknown>> {
    return (await (await this.request('GET', PATHS.federation)).json()) as Record<string, unknown>;
  }
}
