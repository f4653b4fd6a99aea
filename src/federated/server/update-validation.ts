/**
 * Checks on a submitted update before it may touch any state: dtype, byte length against the
 * layout, finite values, the norm bound, and the metadata headers. Each failure is a 4xx
 * FederationRequestError naming what was wrong; nothing here throws anything else.
 */
import { decodeFloat32 } from './protocol.js';
import { FederationRequestError } from './request-error.js';

export interface UpdateMetadata {
  modelVersion: number;
  numExamples: number;
  metrics: Record<string, number>;
}

const MAX_METRICS = 16;
const MAX_EXAMPLES = 1e9;

function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function invalid(message: string): never {
  throw new FederationRequestError(400, 'InvalidUpdate', message);
}

/** Parses the update headers (see UPDATE_HEADERS in protocol.ts). */
export function parseUpdateMetadata(
  headers: Record<string, string | string[] | undefined>,
  names: { modelVersion: string; numExamples: string; metrics: string; dtype: string },
): UpdateMetadata {
  const dtype = header(headers, names.dtype);
  if (dtype !== undefined && dtype !== 'float32') invalid(`${names.dtype} must be "float32" (the only dtype of protocol v1), got "${dtype}"`);
  const versionText = header(headers, names.modelVersion);
  if (versionText === undefined) invalid(`header ${names.modelVersion} is missing: send the model version of the task you trained on`);
  if (!/^\d{1,15}$/.test(versionText)) invalid(`${names.modelVersion} must be a non-negative integer, got "${versionText.slice(0, 40)}"`);
  const examplesText = header(headers, names.numExamples);
  if (examplesText === undefined) invalid(`header ${names.numExamples} is missing: send the number of local training examples (an integer ≥ 1)`);
  const numExamples = Number(examplesText);
  if (!/^\d{1,10}$/.test(examplesText) || numExamples < 1 || numExamples > MAX_EXAMPLES) {
    invalid(`${names.numExamples} must be an integer in [1, ${MAX_EXAMPLES}], got "${examplesText.slice(0, 40)}"`);
  }
  const metricsText = header(headers, names.metrics);
  const metrics: Record<string, number> = {};
  if (metricsText !== undefined && metricsText !== '') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(metricsText);
    } catch {
      invalid(`${names.metrics} must be a JSON object of numbers, e.g. {"loss":0.5}; it is not valid JSON`);
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) invalid(`${names.metrics} must be a JSON object of numbers, e.g. {"loss":0.5}`);
    const entries = Object.entries(parsed as Record<string, unknown>);
    if (entries.length > MAX_METRICS) invalid(`${names.metrics} has ${entries.length} keys; at most ${MAX_METRICS} are accepted`);
    for (const [key, value] of entries) {
      if (!/^[A-Za-z][A-Za-z0-9_.-]{0,63}$/.test(key)) invalid(`${names.metrics}: metric name "${key.slice(0, 40)}" must be 1-64 letters, digits, _ . - starting with a letter`);
      if (typeof value !== 'number' || !Number.isFinite(value)) invalid(`${names.metrics}: metric "${key}" must be a finite number, got ${JSON.stringify(value)}`);
      metrics[key] = value;
    }
  }
  return { modelVersion: Number(versionText), numExamples, metrics };
}

export interface DeltaCheck {
  /** Values the layout holds (the body must be exactly 4× as many bytes). */
  expectedValues: number;
  /** Largest accepted Euclidean norm of the update. */
  maxNorm: number;
}

/** Decodes and checks the update body; returns the delta and its norm. */
export function validateDelta(body: Uint8Array, check: DeltaCheck): { delta: Float32Array; norm: number } {
  const expectedBytes = check.expectedValues * 4;
  if (body.byteLength !== expectedBytes) {
    invalid(
      `update body has ${body.byteLength} bytes but the model has ${check.expectedValues} float32 values (${expectedBytes} bytes); ` +
        'send every tensor of the task layout, little-endian float32, concatenated in layout order',
    );
  }
  const delta = decodeFloat32(body)!;
  let sum = 0;
  for (let i = 0; i < delta.length; i++) {
    const v = delta[i];
    // v - v is NaN for NaN and ±Infinity, 0 otherwise
    if (v - v !== 0) invalid(`update value ${i} is ${v}; every value must be finite`);
    sum += v * v;
  }
  const norm = Math.sqrt(sum);
  if (!(norm <= check.maxNorm)) {
    invalid(`update norm ${norm.toPrecision(6)} exceeds the server's bound ${check.maxNorm}; clip the update to norm ≤ ${check.maxNorm} (task.maxUpdateNorm)`);
  }
  return { delta, norm };
}
