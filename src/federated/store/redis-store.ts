/**
 * FederationStore on Redis (ioredis), shared by several server processes behind one address.
 *
 * Every state change is one Lua script, which Redis runs atomically (no other command runs
 * in between), so the three atomic steps of the contract hold across processes:
 *   acceptUpdate  checks the (round, client) digest and that the round is the open one, and
 *                 stores digest, metadata, body and acceptance order, in one script;
 *   closeRound    checks the round is still open and (given the count the closer read and
 *                 aggregated) that no update arrived since, writes the new checkpoint and the
 *                 round's outcome, clears the open marker and drops the bodies, in one script;
 *   openRound     refuses while another round is open or the number exists, in one script.
 * A second attempt by another process is therefore refused (accept: duplicate/conflict/closed;
 * close: "not open"; open: "still open"), never applied twice.
 *
 * Durability: a script's writes are in Redis's memory when it replies, so a crash of a server
 * process (kill -9) loses nothing; a crash of Redis itself keeps what its append-only file
 * holds (run it with `appendonly yes`; `appendfsync always` makes every acknowledged write
 * durable against a crash of Redis or the machine, `everysec` can lose the last second).
 *
 * Keys, all under one prefix per federation (`trustnlu:fl:default:` unless --redis-prefix):
 *   meta                 string, the federation's meta (JSON)
 *   clients              hash id → "tokenHash|numExamples|registeredAt|weight"
 *   tokens               hash tokenHash → id
 *   invites              hash codeHash → JSON {clientId?, numExamples?, createdAt}
 *   invites-used         hash codeHash → the id that used the code
 *   seen                 sorted set id → last check-in time (selection's availability)
 *   ckpt:V               hash round, createdAt, params (raw float32 bytes)[, state (the strategy's, opaque bytes)]
 *   latest               string, the latest checkpoint version
 *   rounds               sorted set of round numbers
 *   round:R              hash of the round's fields (lists as JSON, metrics as m:NAME → JSON number)
 *   open                 string, the open round's number (absent: none open)
 *   dig:R / upd:R        hash client → digest / JSON {numExamples, metrics, acceptedAt}
 *   body:R               hash client → raw float32 delta (deleted when the round closes)
 *   order:R              list of client ids in acceptance order
 *   secagg:R             list, the open round's secure-aggregation journal (deleted when it closes)
 *   lock:NAME            a lease (SET NX PX with a random token, released by compare-and-delete)
 * Scripts name some keys from the prefix inside Lua, so this runs on one Redis (or a primary
 * with replicas), not on Redis Cluster.
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { requireOptional } from '../../optional-dependency.js';
import { ConfigError } from '../../errors.js';
import { float32FromBuffer, float32ToBuffer } from './float32-buffer.js';
import { RoundUpdatesChangedError, StateStoreError } from './store-error.js';
import type {
  AcceptOutcome,
  CheckpointRecord,
  ClientRecord,
  CloseRoundInput,
  FederationMeta,
  FederationStore,
  InviteRecord,
  RegisterOutcome,
  SharedFederationState,
  SharedSnapshot,
  StoredRound,
  UpdateRecord,
} from './store.js';

export const DEFAULT_REDIS_PREFIX = 'trustnlu:fl:default:';

export interface RedisStoreOptions {
  /** Key prefix of this federation (several federations can share one Redis). */
  prefix?: string;
  /** How long to wait for the first connection (default 5 s). */
  connectTimeoutMs?: number;
}

export interface RedisLocation {
  host: string;
  port: number;
  db: number;
  username?: string;
  password?: string;
  tls: boolean;
  /** The URL without credentials (for messages and logs). */
  display: string;
}

/** Parses redis://[user:password@]host[:port][/db] (or rediss:// for TLS); anything else is a ConfigError. */
export function parseRedisUrl(text: string): RedisLocation {
  const usage = `a Redis store must be given as redis://host:port[/db] (or rediss:// for TLS), got "${text.replace(/\/\/[^@/]*@/, '//***@')}"`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigError(usage);
  }
  if ((url.protocol !== 'redis:' && url.protocol !== 'rediss:') || !url.hostname || url.search || url.hash) throw new ConfigError(usage);
  const port = url.port === '' ? 6379 : Number(url.port);
  const path = url.pathname.replace(/^\//, '');
  if (!/^\d{0,5}$/.test(path)) throw new ConfigError(`${usage}: the database must be a number, e.g. redis://127.0.0.1:6379/0`);
  const db = path === '' ? 0 : Number(path);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return {
    host,
    port,
    db,
    ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
    ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
    tls: url.protocol === 'rediss:',
    display: `${url.protocol}//${url.hostname}:${port}/${db}`,
  };
}

/** A prefix is letters, digits and _ . : - (it ends with ":" so keys read prefix:name). */
export function normalizeRedisPrefix(prefix: string): string {
  if (!/^[A-Za-z0-9_.:-]{1,100}$/.test(prefix)) {
    throw new ConfigError(`--redis-prefix must be 1-100 letters, digits, _ . : -, got "${prefix.slice(0, 120)}"`);
  }
  return prefix.endsWith(':') ? prefix : `${prefix}:`;
}

const SCRIPTS = {
  // KEYS: meta, ckpt:V, latest · ARGV: meta JSON, round, createdAt, params, version
  flInitialize: {
    keys: 3,
    lua: `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('HSET', KEYS[2], 'round', ARGV[2], 'createdAt', ARGV[3], 'params', ARGV[4])
redis.call('SET', KEYS[3], ARGV[5])
return 1`,
  },
  // KEYS: clients, tokens, invites, invites-used · ARGV: id, "tokenHash|numExamples|registeredAt|weight", tokenHash, invite code hash ('' = none)
  // → 1 created, 0 id taken, 2 invite unknown or used
  flRegister: {
    keys: 4,
    lua: `
if ARGV[4] ~= '' then
  if redis.call('HEXISTS', KEYS[3], ARGV[4]) == 0 or redis.call('HEXISTS', KEYS[4], ARGV[4]) == 1 then return 2 end
end
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 0 then return 0 end
redis.call('HSET', KEYS[2], ARGV[3], ARGV[1])
if ARGV[4] ~= '' then redis.call('HSET', KEYS[4], ARGV[4], ARGV[1]) end
return 1`,
  },
  // KEYS: latest · ARGV: prefix → {version, round, createdAt, params} or nil
  flLatestCheckpoint: {
    keys: 1,
    lua: `
local v = redis.call('GET', KEYS[1])
if not v then return nil end
local c = redis.call('HMGET', ARGV[1] .. 'ckpt:' .. v, 'round', 'createdAt', 'params', 'state')
return {v, c[1], c[2], c[3], c[4] or ''}`,
  },
  // KEYS: open, round:R, rounds · ARGV: R, field, value, ...
  flOpenRound: {
    keys: 3,
    lua: `
local cur = redis.call('GET', KEYS[1])
if cur then return 'open:' .. cur end
if redis.call('EXISTS', KEYS[2]) == 1 then return 'exists' end
redis.call('HSET', KEYS[2], unpack(ARGV, 2))
redis.call('SET', KEYS[1], ARGV[1])
redis.call('ZADD', KEYS[3], ARGV[1], ARGV[1])
return 'ok'`,
  },
  // KEYS: open, dig:R, upd:R, body:R, order:R · ARGV: R, client, digest, meta JSON, delta bytes
  flAccept: {
    keys: 5,
    lua: `
local d = redis.call('HGET', KEYS[2], ARGV[2])
if d then
  if d == ARGV[3] then return {'duplicate', 0} end
  return {'conflict', 0}
end
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return {'closed', 0} end
redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
redis.call('HSET', KEYS[3], ARGV[2], ARGV[4])
redis.call('HSET', KEYS[4], ARGV[2], ARGV[5])
return {'accepted', redis.call('RPUSH', KEYS[5], ARGV[2])}`,
  },
  // KEYS: open, secagg:R · ARGV: R, entry
  flSecureAppend: {
    keys: 2,
    lua: `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('RPUSH', KEYS[2], ARGV[2])
return 1`,
  },
  // KEYS: open, round:R, body:R, ckpt:V, latest, order:R, secagg:R · ARGV: R, keepBodies, hasCheckpoint, ckptRound, ckptCreatedAt, params, version, expectedUpdates ('' = any), state ('' = none), field, value, ...
  flCloseRound: {
    keys: 7,
    lua: `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 'not-open' end
if ARGV[8] ~= '' then
  local n = redis.call('LLEN', KEYS[6])
  if n ~= tonumber(ARGV[8]) then return 'changed:' .. n end
end
if ARGV[3] == '1' then
  if redis.call('EXISTS', KEYS[4]) == 1 then return 'checkpoint-exists' end
  redis.call('HSET', KEYS[4], 'round', ARGV[4], 'createdAt', ARGV[5], 'params', ARGV[6])
  if ARGV[9] ~= '' then redis.call('HSET', KEYS[4], 'state', ARGV[9]) end
  redis.call('SET', KEYS[5], ARGV[7])
end
redis.call('HSET', KEYS[2], unpack(ARGV, 10))
redis.call('DEL', KEYS[1])
redis.call('DEL', KEYS[7])
if ARGV[2] ~= '1' then redis.call('DEL', KEYS[3]) end
return 'ok'`,
  },
  // KEYS: round:R · ARGV: field, value, ...
  flAddRoundMetrics: {
    keys: 1,
    lua: `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV))
return 1`,
  },
  // KEYS: seen · ARGV: prefix, client id ('' = no check-in), time → {open, latest, lastRound, openAccepted, registered}
  flSnapshot: {
    keys: 1,
    lua: `
if ARGV[2] ~= '' then redis.call('ZADD', KEYS[1], ARGV[3], ARGV[2]) end
local open = redis.call('GET', ARGV[1] .. 'open')
local latest = redis.call('GET', ARGV[1] .. 'latest')
local last = redis.call('ZREVRANGE', ARGV[1] .. 'rounds', 0, 0)
local n = 0
if open then n = redis.call('LLEN', ARGV[1] .. 'order:' .. open) end
return {open or '', latest or '', last[1] or '0', n, redis.call('HLEN', ARGV[1] .. 'clients')}`,
  },
  // KEYS: seen, clients · ARGV: since → {id, record, id, record, ...}
  flSeenSince: {
    keys: 2,
    lua: `
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], ARGV[1], '+inf')
local out = {}
for _, id in ipairs(ids) do
  local rec = redis.call('HGET', KEYS[2], id)
  if rec then
    out[#out + 1] = id
    out[#out + 1] = rec
  end
end
return out`,
  },
  // KEYS: lock · ARGV: token
  flUnlock: {
    keys: 1,
    lua: `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`,
  },
} as const;

type ScriptName = keyof typeof SCRIPTS;
type ScriptCall = (...args: (string | Buffer | number)[]) => Promise<unknown>;

function clientFromValue(id: string, value: string): ClientRecord {
  // a record written before weights were decided at enrolment has no weight: it was the example count
  const [tokenHash, numExamples, registeredAt, weight] = value.split('|');
  return { id, tokenHash, numExamples: Number(numExamples), weight: Number(weight ?? numExamples), registeredAt: Number(registeredAt) };
}

function roundFields(round: StoredRound): string[] {
  return [
    'round', String(round.round),
    'modelVersion', String(round.modelVersion),
    'status', round.status,
    'seed', String(round.seed),
    'available', round.available,
    'selected', JSON.stringify(round.selected),
    'openedAt', String(round.openedAt),
    'deadline', String(round.deadline),
    'aggregated', JSON.stringify(round.aggregated),
    'dropped', JSON.stringify(round.dropped),
    ...metricFields(round.metrics),
  ];
}

function metricFields(metrics: Record<string, number>): string[] {
  return Object.entries(metrics).flatMap(([name, value]) => [`m:${name}`, JSON.stringify(value)]);
}

function roundFromHash(h: Record<string, string>): StoredRound {
  const metrics: Record<string, number> = {};
  for (const [field, value] of Object.entries(h)) if (field.startsWith('m:')) metrics[field.slice(2)] = JSON.parse(value) as number;
  return {
    round: Number(h.round),
    modelVersion: Number(h.modelVersion),
    status: h.status as StoredRound['status'],
    seed: Number(h.seed),
    available: h.available,
    selected: JSON.parse(h.selected) as string[],
    openedAt: Number(h.openedAt),
    deadline: Number(h.deadline),
    ...(h.closedAt !== undefined ? { closedAt: Number(h.closedAt) } : {}),
    aggregated: JSON.parse(h.aggregated) as string[],
    dropped: JSON.parse(h.dropped) as string[],
    metrics,
  };
}

function snapshotFrom(reply: unknown): SharedSnapshot {
  const [open, latest, last, accepted, registered] = reply as [string, string, string, number, number];
  return {
    ...(open !== '' ? { openRound: Number(open) } : {}),
    openAccepted: Number(accepted),
    latestVersion: latest === '' ? 0 : Number(latest),
    lastRound: Number(last),
    registeredClients: Number(registered),
  };
}

export class RedisFederationStore implements FederationStore, SharedFederationState {
  readonly description: string;
  readonly prefix: string;
  private readonly redis: Redis;
  private lastError: Error | undefined;

  private constructor(location: RedisLocation, prefix: string, connectTimeoutMs: number) {
    this.prefix = prefix;
    this.description = `${location.display} (prefix ${prefix})`;
    const { Redis: RedisClient } = requireOptional<typeof import('ioredis')>('ioredis', 'the Redis store (fl serve --store redis://...)');
    this.redis = new RedisClient({
      host: location.host,
      port: location.port,
      db: location.db,
      ...(location.username ? { username: location.username } : {}),
      ...(location.password ? { password: location.password } : {}),
      ...(location.tls ? { tls: {} } : {}),
      lazyConnect: true,
      connectTimeout: connectTimeoutMs,
      // a command waits through a short outage (two reconnects), then fails, so that a request is
      // answered (500; clients retry) within seconds; reconnects go on in the background
      maxRetriesPerRequest: 2,
      retryStrategy: (times) => Math.min(100 * 2 ** times, 1000),
    });
    this.redis.on('error', (error: Error) => {
      this.lastError = error;
    });
    for (const [name, script] of Object.entries(SCRIPTS)) this.redis.defineCommand(name, { numberOfKeys: script.keys, lua: script.lua });
  }

  /** Connects to the Redis at `url`; an unreachable or refusing Redis is a StateStoreError naming the URL. */
  static async connect(url: string, options: RedisStoreOptions = {}): Promise<RedisFederationStore> {
    const location = parseRedisUrl(url);
    const prefix = normalizeRedisPrefix(options.prefix ?? DEFAULT_REDIS_PREFIX);
    const store = new RedisFederationStore(location, prefix, options.connectTimeoutMs ?? 5000);
    try {
      await store.redis.connect();
      await store.redis.ping();
    } catch (error) {
      store.redis.disconnect();
      const reason = (error as Error).message || store.lastError?.message || 'connection failed';
      throw new StateStoreError(`cannot reach Redis at ${location.display}: ${reason}; start redis-server there or pass another --store redis://host:port[/db]`);
    }
    return store;
  }

  private key(name: string): string {
    return this.prefix + name;
  }

  private async script(name: ScriptName, args: (string | Buffer | number)[], buffers = false): Promise<unknown> {
    const command = (this.redis as unknown as Record<string, ScriptCall>)[buffers ? `${name}Buffer` : name];
    try {
      return await command.apply(this.redis, args);
    } catch (error) {
      throw new StateStoreError(`${this.description}: ${name} failed: ${(error as Error).message}`);
    }
  }

  private async call<T>(what: string, work: Promise<T>): Promise<T> {
    try {
      return await work;
    } catch (error) {
      throw new StateStoreError(`${this.description}: ${what} failed: ${(error as Error).message}`);
    }
  }

  async loadMeta(): Promise<FederationMeta | undefined> {
    const text = await this.call('reading the meta', this.redis.get(this.key('meta')));
    return text === null ? undefined : (JSON.parse(text) as FederationMeta);
  }

  async initialize(meta: FederationMeta, initial: CheckpointRecord): Promise<void> {
    const created = await this.script('flInitialize', [
      this.key('meta'),
      this.key(`ckpt:${initial.version}`),
      this.key('latest'),
      JSON.stringify(meta),
      String(initial.round),
      String(initial.createdAt),
      float32ToBuffer(initial.parameters),
      String(initial.version),
    ]);
    if (created !== 1) throw new StateStoreError(`${this.description} already holds a federation; use another --redis-prefix to start another`);
  }

  async registerClient(client: ClientRecord, inviteCodeHash?: string): Promise<RegisterOutcome> {
    const outcome = await this.script('flRegister', [
      this.key('clients'),
      this.key('tokens'),
      this.key('invites'),
      this.key('invites-used'),
      client.id,
      `${client.tokenHash}|${client.numExamples}|${client.registeredAt}|${client.weight}`,
      client.tokenHash,
      inviteCodeHash ?? '',
    ]);
    return outcome === 1 ? 'created' : outcome === 2 ? 'invite-unusable' : 'exists';
  }

  async addInvites(invites: readonly InviteRecord[]): Promise<void> {
    if (invites.length === 0) return;
    const fields = invites.flatMap((i) => [i.codeHash, JSON.stringify({ clientId: i.clientId, numExamples: i.numExamples, createdAt: i.createdAt })]);
    await this.call('storing invites', this.redis.hset(this.key('invites'), ...fields));
  }

  async invite(codeHash: string): Promise<InviteRecord | undefined> {
    const [text, redeemedBy] = await this.call(
      'reading an invite',
      Promise.all([this.redis.hget(this.key('invites'), codeHash), this.redis.hget(this.key('invites-used'), codeHash)]),
    );
    if (text === null) return undefined;
    const stored = JSON.parse(text) as { clientId?: string; numExamples?: number; createdAt: number };
    return {
      codeHash,
      ...(stored.clientId !== undefined ? { clientId: stored.clientId } : {}),
      ...(stored.numExamples !== undefined ? { numExamples: stored.numExamples } : {}),
      createdAt: stored.createdAt,
      ...(redeemedBy !== null ? { redeemedBy } : {}),
    };
  }

  async listClients(): Promise<ClientRecord[]> {
    const all = await this.call('listing clients', this.redis.hgetall(this.key('clients')));
    return Object.entries(all)
      .map(([id, value]) => clientFromValue(id, value))
      .sort((a, b) => a.registeredAt - b.registeredAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  async clientByTokenHash(tokenHash: string): Promise<ClientRecord | undefined> {
    const id = await this.call('looking up a token', this.redis.hget(this.key('tokens'), tokenHash));
    if (id === null) return undefined;
    const value = await this.call('reading a client', this.redis.hget(this.key('clients'), id));
    return value === null ? undefined : clientFromValue(id, value);
  }

  async latestCheckpoint(): Promise<CheckpointRecord> {
    const reply = (await this.script('flLatestCheckpoint', [this.key('latest'), this.prefix], true)) as Buffer[] | null;
    if (!reply || !reply[3]) throw new StateStoreError(`${this.description} holds no checkpoint; it was not initialised`);
    return {
      version: Number(reply[0].toString()),
      round: Number(reply[1].toString()),
      createdAt: Number(reply[2].toString()),
      parameters: float32FromBuffer(reply[3]),
      ...(reply[4] && reply[4].length > 0 ? { state: new Uint8Array(reply[4]) } : {}),
    };
  }

  async checkpoint(version: number): Promise<CheckpointRecord | undefined> {
    const h = await this.call('reading a checkpoint', this.redis.hgetallBuffer(this.key(`ckpt:${version}`)));
    if (!h.params) return undefined;
    return {
      version,
      round: Number(h.round.toString()),
      createdAt: Number(h.createdAt.toString()),
      parameters: float32FromBuffer(h.params),
      ...(h.state && h.state.length > 0 ? { state: new Uint8Array(h.state) } : {}),
    };
  }

  async openRound(round: StoredRound): Promise<void> {
    const outcome = String(
      await this.script('flOpenRound', [this.key('open'), this.key(`round:${round.round}`), this.key('rounds'), String(round.round), ...roundFields({ ...round, status: 'open' })]),
    );
    if (outcome.startsWith('open:')) throw new StateStoreError(`cannot open round ${round.round}: round ${outcome.slice(5)} is still open`);
    if (outcome === 'exists') throw new StateStoreError(`round ${round.round} already exists`);
  }

  async openRoundRecord(): Promise<StoredRound | undefined> {
    const open = await this.call('reading the open round', this.redis.get(this.key('open')));
    if (open === null) return undefined;
    const h = await this.call('reading a round', this.redis.hgetall(this.key(`round:${open}`)));
    return h.round === undefined ? undefined : roundFromHash(h);
  }

  async acceptUpdate(update: UpdateRecord): Promise<AcceptOutcome> {
    const r = update.round;
    const [kind, count] = (await this.script('flAccept', [
      this.key('open'),
      this.key(`dig:${r}`),
      this.key(`upd:${r}`),
      this.key(`body:${r}`),
      this.key(`order:${r}`),
      String(r),
      update.clientId,
      update.digest,
      JSON.stringify({ numExamples: update.numExamples, metrics: update.metrics, acceptedAt: update.acceptedAt }),
      float32ToBuffer(update.delta),
    ])) as [string, number];
    if (kind === 'accepted') return { kind, count: Number(count) };
    return { kind: kind as 'duplicate' | 'conflict' | 'closed' };
  }

  async updatesOf(round: number): Promise<UpdateRecord[]> {
    // one MULTI: order, digests, metadata and bodies from the same instant
    const replies = await this.call(
      `reading round ${round}'s updates`,
      this.redis
        .multi()
        .lrange(this.key(`order:${round}`), 0, -1)
        .hgetall(this.key(`dig:${round}`))
        .hgetall(this.key(`upd:${round}`))
        .hgetallBuffer(this.key(`body:${round}`))
        .exec(),
    );
    if (!replies) throw new StateStoreError(`${this.description}: reading round ${round}'s updates was aborted`);
    for (const [error] of replies) if (error) throw new StateStoreError(`${this.description}: reading round ${round}'s updates failed: ${error.message}`);
    const order = replies[0][1] as string[];
    const digests = replies[1][1] as Record<string, string>;
    const metas = replies[2][1] as Record<string, string>;
    const bodies = replies[3][1] as Record<string, Buffer>;
    return order.map((clientId) => {
      const meta = JSON.parse(metas[clientId]) as { numExamples: number; metrics: Record<string, number>; acceptedAt: number };
      return {
        round,
        clientId,
        digest: digests[clientId],
        numExamples: meta.numExamples,
        metrics: meta.metrics,
        delta: bodies[clientId] ? float32FromBuffer(bodies[clientId]) : new Float32Array(0),
        acceptedAt: meta.acceptedAt,
      };
    });
  }

  async updateDigest(round: number, clientId: string): Promise<string | undefined> {
    return (await this.call('reading a digest', this.redis.hget(this.key(`dig:${round}`), clientId))) ?? undefined;
  }

  async closeRound(input: CloseRoundInput): Promise<void> {
    const c = input.checkpoint;
    const outcome = String(
      await this.script('flCloseRound', [
        this.key('open'),
        this.key(`round:${input.round}`),
        this.key(`body:${input.round}`),
        this.key(`ckpt:${c ? c.version : 'none'}`),
        this.key('latest'),
        this.key(`order:${input.round}`),
        this.key(`secagg:${input.round}`),
        String(input.round),
        input.keepUpdateBodies ? '1' : '0',
        c ? '1' : '0',
        c ? String(c.round) : '',
        c ? String(c.createdAt) : '',
        c ? float32ToBuffer(c.parameters) : '',
        c ? String(c.version) : '',
        input.expectedUpdates === undefined ? '' : String(input.expectedUpdates),
        c?.state ? Buffer.from(c.state.buffer, c.state.byteOffset, c.state.byteLength) : '',
        'status', input.status,
        'closedAt', String(input.closedAt),
        'aggregated', JSON.stringify(input.aggregated),
        'dropped', JSON.stringify(input.dropped),
        ...metricFields(input.metrics),
      ]),
    );
    if (outcome === 'not-open') throw new StateStoreError(`cannot close round ${input.round}: it is not open`);
    if (outcome.startsWith('changed:')) throw new RoundUpdatesChangedError(`cannot close round ${input.round} with ${input.expectedUpdates} updates: it holds ${outcome.slice(8)}`);
    if (outcome === 'checkpoint-exists') throw new StateStoreError(`cannot close round ${input.round}: checkpoint ${c!.version} already exists`);
  }

  async appendSecureEntry(round: number, entry: string): Promise<'appended' | 'closed'> {
    const done = await this.script('flSecureAppend', [this.key('open'), this.key(`secagg:${round}`), String(round), entry]);
    return done === 1 ? 'appended' : 'closed';
  }

  async secureEntries(round: number, from = 0): Promise<string[]> {
    return this.call('reading the secure-aggregation journal', this.redis.lrange(this.key(`secagg:${round}`), from, -1));
  }

  async addRoundMetrics(round: number, metrics: Record<string, number>): Promise<void> {
    const fields = metricFields(metrics);
    if (fields.length === 0) return;
    const done = await this.script('flAddRoundMetrics', [this.key(`round:${round}`), ...fields]);
    if (done !== 1) throw new StateStoreError(`round ${round} does not exist`);
  }

  async listRounds(): Promise<StoredRound[]> {
    const numbers = await this.call('listing rounds', this.redis.zrange(this.key('rounds'), '0', '-1'));
    if (numbers.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const r of numbers) pipeline.hgetall(this.key(`round:${r}`));
    const replies = (await this.call('reading rounds', pipeline.exec())) ?? [];
    return replies.map(([error, h]) => {
      if (error) throw new StateStoreError(`${this.description}: reading rounds failed: ${error.message}`);
      return roundFromHash(h as Record<string, string>);
    });
  }

  // ---- SharedFederationState ----

  async snapshot(): Promise<SharedSnapshot> {
    return snapshotFrom(await this.script('flSnapshot', [this.key('seen'), this.prefix, '', '0']));
  }

  async markSeen(clientId: string, at: number): Promise<SharedSnapshot> {
    return snapshotFrom(await this.script('flSnapshot', [this.key('seen'), this.prefix, clientId, String(at)]));
  }

  async clientsSeenSince(since: number): Promise<{ id: string; weight: number }[]> {
    const flat = (await this.script('flSeenSince', [this.key('seen'), this.key('clients'), String(since)])) as string[];
    const out: { id: string; weight: number }[] = [];
    for (let i = 0; i < flat.length; i += 2) out.push({ id: flat[i], weight: clientFromValue(flat[i], flat[i + 1]).weight });
    return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  async countSeenSince(since: number): Promise<number> {
    return this.call('counting available clients', this.redis.zcount(this.key('seen'), String(since), '+inf'));
  }

  async tryLock(name: string, ttlMs: number): Promise<string | undefined> {
    const token = randomBytes(16).toString('hex');
    const ok = await this.call(`taking the lock ${name}`, this.redis.set(this.key(`lock:${name}`), token, 'PX', String(ttlMs), 'NX'));
    return ok === 'OK' ? token : undefined;
  }

  async unlock(name: string, token: string): Promise<void> {
    await this.script('flUnlock', [this.key(`lock:${name}`), token]);
  }

  async close(): Promise<void> {
    if (this.redis.status === 'end') return;
    try {
      await this.redis.quit();
    } catch {
      this.redis.disconnect();
    }
  }
}
