/**
 * The federated service's wire protocol, version 1: paths, headers, JSON bodies and the
 * binary parameter format. Shared by the server, the Node client and the browser client,
 * so it imports nothing from Node (no Buffer, no node:*). The full contract, with every
 * status code, is the OpenAPI document the server generates from its route schemas
 * (route-schemas.ts), served at /openapi.json.
 *
 * Parameters and updates travel as one little-endian float32 vector: every tensor of the
 * layout, in layout order, concatenated. Metadata of an update travels in headers, so the
 * body stays a plain float32 array any client can produce without a framing library.
 */

export const PROTOCOL_VERSION = 'v1';
export const API_PREFIX = `/${PROTOCOL_VERSION}`;

export const PATHS = {
  register: `${API_PREFIX}/clients`,
  invites: `${API_PREFIX}/admin/invites`,
  checkIn: `${API_PREFIX}/checkin`,
  task: (round: number | string) => `${API_PREFIX}/rounds/${round}/task`,
  update: (round: number | string) => `${API_PREFIX}/rounds/${round}/update`,
  secagg: (round: number | string) => `${API_PREFIX}/rounds/${round}/secagg`,
  evaluation: (round: number | string) => `${API_PREFIX}/rounds/${round}/evaluation`,
  model: (version: number | string) => `${API_PREFIX}/models/${version}`,
  status: `${API_PREFIX}/status`,
  rounds: `${API_PREFIX}/rounds`,
  federation: `${API_PREFIX}/federation`,
  metrics: `${API_PREFIX}/metrics`,
  openapi: '/openapi.json',
  dashboard: '/dashboard',
} as const;

/** Headers of a submitted update (names are lower-case, as HTTP/1.1 stacks normalise them). */
export const UPDATE_HEADERS = {
  modelVersion: 'x-trustnlu-model-version',
  numExamples: 'x-trustnlu-num-examples',
  /** JSON object of finite numbers, e.g. {"loss":0.71}. */
  metrics: 'x-trustnlu-metrics',
  /** Always "float32" in v1; anything else is rejected, so a future dtype cannot be misread. */
  dtype: 'x-trustnlu-dtype',
} as const;

export const BINARY_CONTENT_TYPE = 'application/octet-stream';

export interface RegisterRequest {
  clientId: string;
  /**
   * Training examples the client says it holds (default 1). Only a claim: the server's weight
   * for the client is min(examples, the server's --max-weight), decided once here, with the
   * operator's figure (invite, partition) taking precedence over the claim.
   */
  numExamples?: number;
  /** The single-use code the operator issued (enrolment mode "invite"). */
  enrolmentCode?: string;
}

export interface RegisterResponse {
  clientId: string;
  /** Bearer token for every later request; shown once, the server keeps only its hash. */
  token: string;
  /** The aggregation weight the server gave this client (fixed). */
  weight: number;
}

/** POST /v1/admin/invites (admin token): single-use enrolment codes, shown once. */
export interface InviteRequest {
  count?: number;
  /** Bind one code to each of these ids (count is then their number). */
  clientIds?: string[];
  /** The operator's example count for the invited clients (their weight base instead of their claim). */
  numExamples?: number;
}

export interface InviteResponse {
  invites: { code: string; clientId?: string }[];
}

export interface CheckInRequest {
  /**
   * Long polling: when there is nothing to do, hold the answer up to this many ms (≤ 30000)
   * until a round opens or closes, instead of answering "wait" at once.
   */
  waitMs?: number;
}

export type CheckInResponse =
  | { action: 'train'; round: number; modelVersion: number; deadline: number }
  /** Federated evaluation: evaluate model `modelVersion` on held-out data, report sums at POST evaluation(round) before `deadline`. */
  | { action: 'evaluate'; round: number; modelVersion: number; deadline: number }
  /** Private analytics: fetch GET /v1/analytics/{round}/task and answer it before `deadline`. */
  | { action: 'analytics'; round: number; deadline: number }
  | { action: 'wait'; retryAfterMs: number; round?: number }
  | { action: 'done'; modelVersion: number };

export interface TaskResponse {
  round: number;
  modelVersion: number;
  /** Local training settings from the strategy (epochs, batch size, learning rate, seed, ...). */
  config: Record<string, number | string | boolean>;
  layout: { names: string[]; lengths: number[] };
  /** Absolute time (ms since the epoch) after which the update is refused. */
  deadline: number;
  /** Where to GET the global parameters (float32, layout order). */
  parametersPath: string;
  /** Largest update norm the server accepts (‖Δ‖₂); clients should clip to it. */
  maxUpdateNorm: number;
  /**
   * Present when the round uses secure aggregation: the client multiplies its (clipped) update
   * by `weight` and takes part in the SecAgg+ stages at `secagg(round)` instead of PUT update.
   * `clipNorm` (DP-FedAvg with secure aggregation): the client clips to ‖Δ‖₂ ≤ clipNorm minus
   * the fixed-point rounding margin √m·2^−(f+1), so its encoded input has norm ≤ clipNorm
   * (the server cannot check it), and sends it with weight 1. `countUnclipped` (adaptive
   * clipping, Andrew et al. 2021): the client appends one coordinate to its input, clipNorm
   * if its update was within the bound before clipping and 0 if not, so the server learns
   * only how many updates were unclipped, from the masked sum.
   */
  secureAggregation?: { weight: number; range: number; encoding: { range: number; fractionalBits: number; maxSummands: number }; clipNorm?: number; countUnclipped?: boolean };
}

/** POST secagg/{stage}: the reply was taken (`duplicate`: the same reply was already journaled; nothing changed). */
export interface SecureReplyResponse {
  accepted: true;
  stage: string;
  duplicate?: true;
}

/** GET secagg: the stage and, when there is one, the request this client must answer (secagg wire JSON). */
export interface SecureRequestResponse {
  stage: 'advertise' | 'share' | 'masked-input' | 'unmask' | 'done' | 'failed';
  request?: unknown;
  answered?: boolean;
  message?: string;
}

export interface UpdateResponse {
  accepted: true;
  round: number;
  /** True when this exact update had already been accepted (an idempotent retry). */
  duplicate: boolean;
}

export interface ErrorResponse {
  error: { type: string; message: string; statusCode: number };
}

export interface RoundSummary {
  round: number;
  modelVersion: number;
  status: 'open' | 'completed' | 'failed';
  openedAt: number;
  deadline: number;
  closedAt?: number;
  selected: string[];
  /** Clients whose update went into the aggregate. */
  aggregated: string[];
  /** Selected clients that did not report before the round closed (stragglers, dropouts). */
  dropped: string[];
  metrics: Record<string, number>;
}

export interface StatusResponse {
  protocol: string;
  federation: string;
  strategy: string;
  aggregator: string;
  modelVersion: number;
  roundsCompleted: number;
  roundsTarget: number;
  finished: boolean;
  registeredClients: number;
  availableClients: number;
  currentRound?: RoundSummary & { accepted: number; target: number; secureStage?: string };
  /** (ε, δ) spent so far when the aggregator is differentially private. */
  privacy?: { epsilon: number; delta: number; noiseMultiplier: number; clipNorm: number };
  /** Server-side evaluation per completed round (when the server has evaluation data). */
  curve: { round: number; accuracy?: number; loss?: number; trainLoss?: number; clients: number }[];
}

/** Little-endian float32 bytes of a vector (a copy only on big-endian hosts). */
export function encodeFloat32(values: Float32Array): Uint8Array {
  if (IS_LITTLE_ENDIAN) return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  const out = new Uint8Array(values.length * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i], true);
  return out;
}

/** The float32 vector in little-endian `bytes` (copied into aligned memory); undefined when the length is not a multiple of 4. */
export function decodeFloat32(bytes: Uint8Array): Float32Array | undefined {
  if (bytes.byteLength % 4 !== 0) return undefined;
  const out = new Float32Array(bytes.byteLength / 4);
  if (IS_LITTLE_ENDIAN) {
    new Uint8Array(out.buffer).set(bytes);
    return out;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}

const IS_LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
