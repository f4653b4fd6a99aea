/**
 * `trustnlu fl loadtest`: N concurrent clients against a federated server (one started here
 * as a child process on loopback, or a given URL serving a synthetic model), for R rounds.
 * Each client registers, checks in, fetches its task and the global parameters, and submits
 * a delta that is a known function of (client, round); with --dropout F it skips a round's
 * submission with probability F (a client that dropped after selection).
 *
 * Accounting, independent of the server's own counters:
 *   expected    updates the server acknowledged (HTTP 200) to a client, each (round, client) once;
 *   accepted    (round, client) entries the server reports as aggregated in completed rounds;
 *   lost        acknowledged but not aggregated;
 *   duplicated  aggregated more than once (a repeated entry), or entries never acknowledged;
 *   modelError  max |final model − the model recomputed here from the aggregated lists and the
 *               known deltas| (FedAvg weights: the ones the server gave each client at enrolment,
 *               from its registration answer): a double-counted update would show here
 *               even if the lists looked right.
 * Latency is the submit request's round trip as the client sees it (p50, p99). Idle clients
 * long-poll their check-ins; with --train-ms T each client "trains" a seeded uniform time in
 * [0, T] before submitting (T = 0: all N submit in the same instant, the worst case).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { Agent, request as httpRequest } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashString } from '../../engine/random.js';
import { ConfigError } from '../../errors.js';
import { RemoteServerError, RemoteSession } from '../client/remote-session.js';
import { PATHS, decodeFloat32, type RoundSummary } from './protocol.js';
import { packageRoot } from './http-server.js';

export interface LoadTestOptions {
  clients: number;
  rounds: number;
  /** Parameters of the synthetic model (default 1000). */
  parameters?: number;
  /** Probability a selected client does not submit in a round (default 0). */
  dropout?: number;
  /**
   * Simulated local training time: each client waits a seeded uniform time in [0, trainMs]
   * between fetching the model and submitting (default 0: every client submits at once).
   */
  trainMs?: number;
  /** Use this server (serving a synthetic model) instead of starting one. */
  server?: string;
  /**
   * With `server`: its admin token, to issue the clients' enrolment codes (POST /v1/admin/invites).
   * Without it the server must have open enrolment. The server started here has open enrolment.
   */
  adminToken?: string;
  /** The server started here keeps its state in this Redis (redis://host:port[/db]) instead of a SQLite file. */
  store?: string;
  /** Key prefix in Redis for the server started here (default: a new one per run, so runs never share state). */
  redisPrefix?: string;
  /** Server processes sharing the port for the server started here (> 1 needs `store`). */
  workers?: number;
  /** Round deadline for the server started here, seconds (default 30; 5 with dropout). */
  roundTimeoutSeconds?: number;
  seed?: number;
  /** Stop after this long in any case (default 600 s). */
  timeLimitSeconds?: number;
  /** HTTP client of the generated clients: 'node' (node:http keep-alive, default, lighter) or 'fetch' (undici, as the real Node client). */
  httpClient?: 'node' | 'fetch';
  onEvent?: (event: string, data: Record<string, unknown>) => void;
}

export interface LoadTestResult {
  clients: number;
  rounds: number;
  accepted: number;
  expected: number;
  lost: number;
  duplicated: number;
  p50Ms: number;
  p99Ms: number;
  updatesPerSecond: number;
  /**
   * Acknowledged updates per second between the first submit and the last acknowledgement
   * (without server start-up and registration; round changes between the rounds included).
   */
  acceptedPerSecond: number;
  parameters: number;
  dropout: number;
  trainMs: number;
  httpClient: 'node' | 'fetch';
  roundsCompleted: number;
  submitRequests: number;
  lateUpdates: number;
  modelMaxAbsError: number;
  /** Server-side handling time of accepted updates (receipt → durable → answer), without the load generator's own queueing. */
  serverP50Ms: number;
  serverP99Ms: number;
  seconds: number;
  server: string;
  /** Where the server started here kept its state ('sqlite', or the Redis URL), and its process count. */
  store: string;
  workers: number;
}

/** Client k's update in round r: a fixed pseudo-random pattern (bounded, distinct per client). */
export function syntheticDelta(client: number, round: number, length: number): Float32Array {
  const out = new Float32Array(length);
  for (let j = 0; j < length; j++) out[j] = (((client * 7919 + round * 104729 + j * 31) % 2001) - 1000) / 100_000;
  return out;
}

function dropsOut(seed: number, client: number, round: number, p: number): boolean {
  if (p <= 0) return false;
  return hashString(`${seed}:${client}:${round}`) / 2 ** 32 < p;
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return 0;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The part of `fetch` RemoteSession uses, over node:http with one keep-alive agent: the load
 * generator shares the machine with the server, and undici's fetch costs several times more CPU
 * per request, which would show up as latency that is the generator's, not the server's.
 */
function nodeHttpFetch(): typeof fetch {
  const agent = new Agent({ keepAlive: true, maxSockets: Infinity });
  return ((input: string, init: { method?: string; headers?: Record<string, string>; body?: string | Uint8Array } = {}) =>
    new Promise((resolve, reject) => {
      const body = typeof init.body === 'string' ? Buffer.from(init.body) : init.body ? Buffer.from(init.body.buffer, init.body.byteOffset, init.body.byteLength) : undefined;
      const req = httpRequest(input, { method: init.method ?? 'GET', agent, headers: { ...(init.headers ?? {}), ...(body ? { 'content-length': String(body.length) } : {}) } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const all = Buffer.concat(chunks);
          resolve({
            status: res.statusCode ?? 0,
            ok: (res.statusCode ?? 0) < 400,
            headers: { get: (name: string) => (res.headers[name.toLowerCase()] as string | undefined) ?? null },
            json: async () => JSON.parse(all.toString('utf8')),
            arrayBuffer: async () => all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength),
          } as unknown as Response);
        });
      });
      req.on('error', reject);
      req.end(body);
    })) as unknown as typeof fetch;
}

interface ChildServer {
  url: string;
  child: ChildProcess;
  dir: string;
}

async function startChildServer(
  options: Required<Pick<LoadTestOptions, 'clients' | 'rounds' | 'parameters' | 'dropout' | 'seed' | 'workers'>> & { roundTimeoutSeconds: number; store?: string; redisPrefix?: string },
): Promise<ChildServer> {
  const dir = mkdtempSync(join(tmpdir(), 'trustnlu-loadtest-'));
  const args = [
    join(packageRoot(), 'bin', 'trustnlu.js'),
    'fl', 'serve',
    '--params', String(options.parameters),
    '--rounds', String(options.rounds),
    '--clients-per-round', String(options.clients),
    '--min-clients', String(options.clients),
    '--min-updates', '1',
    '--round-timeout', String(options.roundTimeoutSeconds),
    '--poll-interval', '500',
    '--seed', String(options.seed),
    ...(options.store ? ['--store', options.store, '--redis-prefix', options.redisPrefix!] : ['--state', join(dir, 'state.db')]),
    ...(options.workers > 1 ? ['--workers', String(options.workers)] : []),
    '--port', '0',
    '--client-rate-limit', '1000',
    '--address-rate-limit', '100000',
    // a loopback load test: every client enrols from one address, over one connection each
    '--enrolment', 'open',
    '--enrol-rate-limit', '100000',
    '--max-connections-per-address', String(Math.max(64, 2 * options.clients + 16)),
    '--json',
  ];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new ConfigError(`the load-test server did not start within 30 s:\n${stderr.slice(-2000)}`)), 30_000);
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => {
      stderr += chunk;
      const match = /"event":"listening"[^\n]*"url":"([^"]+)"/.exec(stderr);
      // several workers: wait until every one of them serves
      if (match && (options.workers <= 1 || (stderr.match(/"event":"worker-listening"/g) ?? []).length >= options.workers)) {
        clearTimeout(timer);
        resolve(match[1]);
      }
      if (stderr.length > 1_000_000) stderr = stderr.slice(-100_000);
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new ConfigError(`the load-test server exited with code ${code} before listening:\n${stderr.slice(-2000)}`));
    });
  });
  child.stdout!.resume();
  return { url, child, dir };
}

async function stopChildServer(server: ChildServer): Promise<void> {
  if (server.child.exitCode === null) {
    const exited = new Promise((resolve) => server.child.once('exit', resolve));
    server.child.kill('SIGTERM');
    await Promise.race([exited, sleep(10_000)]);
    if (server.child.exitCode === null) server.child.kill('SIGKILL');
  }
  rmSync(server.dir, { recursive: true, force: true });
}

export async function runLoadTest(options: LoadTestOptions): Promise<LoadTestResult> {
  const clients = options.clients;
  const parameters = options.parameters ?? 1000;
  const dropout = options.dropout ?? 0;
  const seed = options.seed ?? 0;
  const trainMs = options.trainMs ?? 0;
  if (!(trainMs >= 0 && trainMs <= 600_000)) throw new ConfigError(`trainMs must be in [0, 600000], got ${trainMs}`);
  if (!Number.isInteger(clients) || clients < 1 || clients > 100_000) throw new ConfigError(`clients must be an integer in [1, 100000], got ${clients}`);
  if (!Number.isInteger(options.rounds) || options.rounds < 1) throw new ConfigError(`rounds must be an integer ≥ 1, got ${options.rounds}`);
  if (!(dropout >= 0 && dropout < 1)) throw new ConfigError(`dropout must be in [0, 1), got ${dropout}`);
  const workers = options.workers ?? 1;
  if (!Number.isInteger(workers) || workers < 1 || workers > 64) throw new ConfigError(`workers must be an integer in [1, 64], got ${workers}`);
  if (workers > 1 && !options.store) throw new ConfigError('several server processes need a shared store: give store (--store redis://host:port[/db])');
  if (options.server && (options.store || workers > 1)) throw new ConfigError('store and workers configure the server started here; with server (--server URL) configure that server instead');
  const redisPrefix = options.redisPrefix ?? `trustnlu:loadtest:${Date.now()}-${process.pid}-${Math.floor(Math.random() * 1e9)}:`;
  const started = performance.now();
  const child = options.server
    ? undefined
    : await startChildServer({
        clients,
        rounds: options.rounds,
        parameters,
        dropout,
        seed,
        workers,
        ...(options.store ? { store: options.store, redisPrefix } : {}),
        roundTimeoutSeconds: options.roundTimeoutSeconds ?? (dropout > 0 ? 5 : 30),
      });
  const url = options.server ?? child!.url;
  options.onEvent?.('server', { url, started: child !== undefined });
  const deadline = Date.now() + (options.timeLimitSeconds ?? 600) * 1000;
  // enrolment codes for an external server with invite enrolment (one per client and one for the observer)
  let codes: string[] | undefined;
  if (options.server && options.adminToken) {
    const response = await fetch(`${url}${PATHS.invites}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${options.adminToken}` },
      body: JSON.stringify({ count: clients + 1 }),
    });
    const body = (await response.json()) as { invites?: { code: string }[]; error?: { message: string } };
    if (!response.ok || !body.invites) throw new ConfigError(`the server refused to issue enrolment codes: ${body.error?.message ?? `HTTP ${response.status}`}`);
    codes = body.invites.map((i) => i.code);
  }
  const latencies: number[] = [];
  /** The weight the server gave each client at enrolment (the model is recomputed with them). */
  const weights = new Map<string, number>();
  const acknowledged = new Set<string>();
  const numExamples = (k: number) => 10 + (k % 7);
  let submitRequests = 0;
  let lateUpdates = 0;
  let firstSubmit = Infinity;
  let lastAck = -Infinity;
  const transport = (options.httpClient ?? 'node') === 'node' && url.startsWith('http:') ? nodeHttpFetch() : undefined;
  try {
    const runClient = async (k: number) => {
      const session = new RemoteSession({ server: url, attempts: 20, backoffMs: 50, fetch: transport });
      const enrolled = await session.register(`load-${k}`, numExamples(k), codes?.[k]);
      weights.set(enrolled.clientId, enrolled.weight);
      const skipped = new Set<number>();
      while (Date.now() < deadline) {
        const answer = await session.checkIn({ waitMs: 20_000 });
        if (answer.action === 'done') return;
        if (answer.action === 'wait' || skipped.has(answer.round)) {
          await sleep(answer.action === 'wait' ? answer.retryAfterMs : 500);
          continue;
        }
        try {
          const task = await session.task(answer.round);
          const global = await session.parameters(task);
          if (dropsOut(seed, k, task.round, dropout)) {
            skipped.add(task.round);
            continue;
          }
          const delta = syntheticDelta(k, task.round, global.length);
          // simulated local training: clients finish at different times, as real ones do
          if (trainMs > 0) await sleep(trainMs * (hashString(`train:${seed}:${k}:${task.round}`) / 2 ** 32));
          const t0 = performance.now();
          firstSubmit = Math.min(firstSubmit, t0);
          submitRequests++;
          await session.submit(task, delta, numExamples(k), { loss: 1 / (1 + task.round) });
          const t1 = performance.now();
          lastAck = Math.max(lastAck, t1);
          latencies.push(t1 - t0);
          acknowledged.add(`${task.round}:load-${k}`);
        } catch (error) {
          if (error instanceof RemoteServerError && (error.type === 'StaleRound' || error.type === 'StaleModel' || error.type === 'NotSelected')) {
            lateUpdates++;
            continue;
          }
          throw error;
        }
      }
    };
    await Promise.all(Array.from({ length: clients }, (_, k) => runClient(k)));
    const elapsed = (performance.now() - started) / 1000;
    // the server's view: which updates went into which completed round, and the final model
    const roundsResponse = (await (await fetch(`${url}${PATHS.rounds}`)).json()) as { rounds: RoundSummary[] };
    const observer = new RemoteSession({ server: url });
    await observer.register(`load-observer-${Date.now()}`, 1, codes?.[clients]);
    const status = (await (await fetch(`${url}${PATHS.status}`)).json()) as { modelVersion: number };
    const finalBytes = new Uint8Array(await (await fetch(`${url}${PATHS.model(status.modelVersion)}`, { headers: { authorization: `Bearer ${observer.credentials!.token}` } })).arrayBuffer());
    const finalModel = decodeFloat32(finalBytes)!;
    const seen = new Set<string>();
    let aggregatedEntries = 0;
    let duplicated = 0;
    const expectedModel = new Float64Array(finalModel.length);
    for (const round of roundsResponse.rounds.filter((r) => r.status === 'completed').sort((a, b) => a.round - b.round)) {
      let total = 0;
      const sum = new Float64Array(finalModel.length);
      for (const id of round.aggregated) {
        aggregatedEntries++;
        const key = `${round.round}:${id}`;
        if (seen.has(key) || !acknowledged.has(key)) duplicated++;
        seen.add(key);
        const k = Number(id.replace('load-', ''));
        const delta = syntheticDelta(k, round.round, finalModel.length);
        const w = weights.get(id)!;
        total += w;
        for (let j = 0; j < delta.length; j++) sum[j] += w * delta[j];
      }
      // the server keeps the model in float32: round after each step as it does
      for (let j = 0; j < sum.length; j++) expectedModel[j] = Math.fround(expectedModel[j] + Math.fround(sum[j] / total));
    }
    let lost = 0;
    for (const key of acknowledged) if (!seen.has(key)) lost++;
    let modelMaxAbsError = 0;
    for (let j = 0; j < finalModel.length; j++) modelMaxAbsError = Math.max(modelMaxAbsError, Math.abs(finalModel[j] - expectedModel[j]));
    latencies.sort((a, b) => a - b);
    const serverSide = ((await (await fetch(`${url}${PATHS.metrics}`)).json()) as { acceptedUpdates: { p50Ms: number; p99Ms: number } }).acceptedUpdates;
    return {
      clients,
      rounds: options.rounds,
      accepted: aggregatedEntries - duplicated,
      expected: acknowledged.size,
      lost,
      duplicated,
      p50Ms: quantile(latencies, 0.5),
      p99Ms: quantile(latencies, 0.99),
      updatesPerSecond: latencies.length / elapsed,
      acceptedPerSecond: lastAck > firstSubmit ? acknowledged.size / ((lastAck - firstSubmit) / 1000) : 0,
      parameters: finalModel.length,
      dropout,
      trainMs,
      httpClient: transport ? 'node' : 'fetch',
      roundsCompleted: roundsResponse.rounds.filter((r) => r.status === 'completed').length,
      submitRequests,
      lateUpdates,
      modelMaxAbsError,
      serverP50Ms: serverSide.p50Ms,
      serverP99Ms: serverSide.p99Ms,
      seconds: elapsed,
      server: url,
      store: options.server ? 'external' : (options.store ?? 'sqlite'),
      workers: options.server ? 0 : workers,
    };
  } finally {
    if (child) await stopChildServer(child);
  }
}
