/**
 * Who may join a federation, and with what aggregation weight: the operator decides, never
 * the client.
 *
 * Modes:
 *   invite  (default) a client registers with a single-use enrolment code the operator issued
 *           (`trustnlu fl invite`, or POST /v1/admin/invites with the admin token). A code may
 *           be bound to one client id and carry the operator's example count for it.
 *   tokens  the operator provisions every client's bearer token in a file (--client-tokens);
 *           there is no registration at all.
 *   open    anyone may register any free id (demos and load tests; announced at start-up).
 * A dataset federation (`--dataset`) also binds ids to its partition: an id outside it is
 * refused, and the example count is the partition's, whatever the client says.
 *
 * The weight is decided once, at enrolment, and stored with the client: min(examples, maxWeight),
 * where examples is the operator's figure (invite, tokens file, partition) or else the client's
 * claim. The default maxWeight 1 gives every client the same weight. A check-in cannot change it.
 */
import { readFileSync } from 'node:fs';
import { ConfigError } from '../../errors.js';
import { newClientToken, tokenHash } from './client-tokens.js';

export type EnrolmentMode = 'invite' | 'tokens' | 'open';
export const ENROLMENT_MODES: readonly EnrolmentMode[] = ['invite', 'tokens', 'open'];

/** A client whose token the operator provisioned (tokens mode). */
export interface ProvisionedClient {
  clientId: string;
  /** SHA-256 (hex) of its bearer token. */
  tokenHash: string;
  numExamples?: number;
}

export interface EnrolmentOptions {
  mode: EnrolmentMode;
  /**
   * Cap on a client's aggregation weight (default 1: equal weights). A client's weight is
   * min(its example count at enrolment, maxWeight).
   */
  maxWeight?: number;
  /** The partition of a dataset federation: only these ids may enrol, with these example counts. */
  partition?: readonly { id: string; examples: number }[];
  /** tokens mode: the provisioned clients (registered in the store at start-up). */
  provisioned?: readonly ProvisionedClient[];
}

export const DEFAULT_MAX_WEIGHT = 1;
/** Largest example count or weight anyone may state. */
export const MAX_EXAMPLES = 1e9;
export const CLIENT_ID_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$';
export const ENROLMENT_CODE_PATTERN = '^[A-Za-z0-9_-]{32,128}$';

/** A new single-use enrolment code (256 random bits); the store keeps only its SHA-256. */
export function newEnrolmentCode(): string {
  return newClientToken();
}

export const enrolmentCodeHash = tokenHash;

/** The weight the server gives a client with `examples` examples. */
export function enrolmentWeight(examples: number, maxWeight: number): number {
  return Math.min(examples, maxWeight);
}

/**
 * Reads a provisioned-tokens file: JSON `{"clients": [{"clientId", "token" | "tokenSha256", "numExamples"?}]}`.
 * Plain tokens are hashed here and never kept. Every problem is a ConfigError naming the file and entry.
 */
export function readClientTokens(path: string): ProvisionedClient[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ConfigError(`--client-tokens ${path}: ${(error as Error).message}; give a JSON file {"clients": [{"clientId": "...", "token": "..."}]}`);
  }
  const entries = (parsed as { clients?: unknown }).clients;
  if (!Array.isArray(entries) || entries.length === 0) throw new ConfigError(`--client-tokens ${path}: expected {"clients": [...]} with at least one entry`);
  const idPattern = new RegExp(CLIENT_ID_PATTERN);
  const seen = new Set<string>();
  return entries.map((entry: unknown, i) => {
    const e = entry as Record<string, unknown>;
    const where = `--client-tokens ${path}: entry ${i}`;
    if (typeof e !== 'object' || e === null) throw new ConfigError(`${where} is not an object`);
    const unknown = Object.keys(e).filter((k) => !['clientId', 'token', 'tokenSha256', 'numExamples'].includes(k));
    if (unknown.length) throw new ConfigError(`${where} has unknown fields ${unknown.join(', ')}; allowed: clientId, token | tokenSha256, numExamples`);
    if (typeof e.clientId !== 'string' || !idPattern.test(e.clientId)) throw new ConfigError(`${where}: clientId must be 1-128 letters, digits, _ . : - starting with a letter or digit`);
    if (seen.has(e.clientId)) throw new ConfigError(`${where}: client id "${e.clientId}" appears twice`);
    seen.add(e.clientId);
    let hash: string;
    if (typeof e.token === 'string' && e.tokenSha256 === undefined) {
      if (!/^[A-Za-z0-9_-]{32,128}$/.test(e.token)) throw new ConfigError(`${where}: token must be 32-128 characters of A-Z a-z 0-9 _ - (e.g. 32 random bytes in base64url)`);
      hash = tokenHash(e.token);
    } else if (typeof e.tokenSha256 === 'string' && e.token === undefined) {
      if (!/^[0-9a-f]{64}$/.test(e.tokenSha256)) throw new ConfigError(`${where}: tokenSha256 must be 64 lower-case hex digits`);
      hash = e.tokenSha256;
    } else {
      throw new ConfigError(`${where}: give exactly one of token and tokenSha256`);
    }
    if (e.numExamples !== undefined && !(Number.isInteger(e.numExamples) && (e.numExamples as number) >= 1 && (e.numExamples as number) <= MAX_EXAMPLES)) {
      throw new ConfigError(`${where}: numExamples must be an integer in [1, ${MAX_EXAMPLES}]`);
    }
    return { clientId: e.clientId, tokenHash: hash, ...(e.numExamples !== undefined ? { numExamples: e.numExamples as number } : {}) };
  });
}

export interface InviteBatch {
  /** The codes, shown once (to the operator, who hands them out). */
  invites: { code: string; clientId?: string }[];
  /** What the store keeps: hashes only. */
  records: { codeHash: string; clientId?: string; numExamples?: number; createdAt: number }[];
}

/** `count` new codes, or one per id in `clientIds` (bound to it), with the operator's example count if given. */
export function createInvites(request: { count?: number; clientIds?: readonly string[]; numExamples?: number }, now: number): InviteBatch {
  const ids = request.clientIds;
  if (ids && request.count !== undefined && request.count !== ids.length) throw new ConfigError('give a count or client ids, not both');
  const count = ids ? ids.length : (request.count ?? 1);
  if (!Number.isInteger(count) || count < 1 || count > 10_000) throw new ConfigError(`the number of invites must be an integer in [1, 10000], got ${count}`);
  const idPattern = new RegExp(CLIENT_ID_PATTERN);
  for (const id of ids ?? []) if (!idPattern.test(id)) throw new ConfigError(`client id "${id.slice(0, 40)}" must be 1-128 letters, digits, _ . : - starting with a letter or digit`);
  if (request.numExamples !== undefined && !(Number.isInteger(request.numExamples) && request.numExamples >= 1 && request.numExamples <= MAX_EXAMPLES)) {
    throw new ConfigError(`numExamples must be an integer in [1, ${MAX_EXAMPLES}], got ${request.numExamples}`);
  }
  const invites = Array.from({ length: count }, (_, i) => ({ code: newEnrolmentCode(), ...(ids ? { clientId: ids[i] } : {}) }));
  return {
    invites,
    records: invites.map((i) => ({
      codeHash: enrolmentCodeHash(i.code),
      ...(i.clientId !== undefined ? { clientId: i.clientId } : {}),
      ...(request.numExamples !== undefined ? { numExamples: request.numExamples } : {}),
      createdAt: now,
    })),
  };
}
