/**
 * Federated service load benchmark: `node dist/bench/fl-service.js [--clients N] [--rounds R] [--runs K]`.
 *
 * `--stores [--workers N]` compares the stores instead, side by side in one run: the SQLite
 * server (one process), the Redis server with one process, and the Redis server with N
 * processes (node:cluster, default 2), all with every client submitting at the same instant
 * (train-ms 0, the most accept load). It starts its own redis-server on a free loopback port
 * (appendonly yes, appendfsync everysec; the default of a production Redis) and stops it after;
 * each load test uses its own key prefix. Writes bench-results/fl-service-stores.json.
 * Server-side latency with several processes is one worker's (`/v1/metrics` answers for the
 * process the request reaches); the client-side figures cover every update.
 *
 * Runs `fl loadtest` K times (a fresh server child process each time, loopback only) for three
 * cases side by side in one run: every client submitting at the same instant (train-ms 0, the
 * worst case) and clients finishing local training uniformly over 2 s, with the load generator
 * on node:http; and the 2 s case with undici's fetch (what `fl client` uses), to show how much of
 * the client-side latency is the generator's own cost on the shared 2 cores.
 * Reports medians over the runs of: lost and double-counted updates (must be 0), the model
 * recomputed from the aggregated lists vs the server's, submit latency as clients see it
 * (includes the load generator's own queueing on the same 2 cores), and the server-side
 * handling time of accepted updates (receipt → durable in SQLite → answer).
 * Writes bench-results/fl-service.json; figures are quoted in docs/federated-service.md.
 */
import { loadavg } from 'node:os';
import { runLoadTest, type LoadTestResult } from '../src/federated/server/index.js';
// the same throw-away redis-server the tests use (its own port and directory, never a system service)
import { redisInstalled, startLocalRedis, REDIS_MISSING } from '../test/federated/store/local-redis.js';
import { machine, median, numberFlag, writeResult } from './common.js';


const clients = numberFlag('--clients', 1000);
const rounds = numberFlag('--rounds', 3);
const runs = numberFlag('--runs', 3);
const parameters = numberFlag('--params', 1000);

const summary = (list: LoadTestResult[]) => ({
  runs: list.length,
  lostTotal: list.reduce((s, r) => s + r.lost, 0),
  duplicatedTotal: list.reduce((s, r) => s + r.duplicated, 0),
  acceptedPerRun: list.map((r) => r.accepted),
  expectedPerRun: list.map((r) => r.expected),
  modelMaxAbsError: Math.max(...list.map((r) => r.modelMaxAbsError)),
  clientP50Ms: median(list.map((r) => r.p50Ms)),
  clientP99Ms: median(list.map((r) => r.p99Ms)),
  serverP50Ms: median(list.map((r) => r.serverP50Ms)),
  serverP99Ms: median(list.map((r) => r.serverP99Ms)),
  updatesPerSecond: median(list.map((r) => r.updatesPerSecond)),
  acceptedPerSecond: median(list.map((r) => r.acceptedPerSecond)),
  seconds: median(list.map((r) => r.seconds)),
});

if (process.argv.includes('--stores')) {
  await compareStores();
  process.exit(0);
}

async function compareStores(): Promise<void> {
  if (!redisInstalled()) throw new Error(REDIS_MISSING);
  const workers = numberFlag('--workers', 2);
  const redis = await startLocalRedis({ appendfsync: 'everysec' });
  const cases: { name: string; store?: string; workers: number }[] = [
    { name: 'sqlite, 1 process', workers: 1 },
    { name: 'redis, 1 process', store: redis.url, workers: 1 },
    { name: `redis, ${workers} processes`, store: redis.url, workers },
  ];
  const byCase: Record<string, LoadTestResult[]> = Object.fromEntries(cases.map((c) => [c.name, []]));
  const loadBefore = loadavg()[0];
  try {
    for (let run = 0; run < runs; run++) {
      // the cases alternate within each run so that all see the same machine conditions
      for (const c of cases) {
        const r = await runLoadTest({ clients, rounds, parameters, trainMs: 0, httpClient: 'node', seed: run, store: c.store, workers: c.workers });
        byCase[c.name].push(r);
        process.stderr.write(`${JSON.stringify({ event: 'run', run, case: c.name, lost: r.lost, duplicated: r.duplicated, acceptedPerSecond: r.acceptedPerSecond, p50Ms: r.p50Ms, p99Ms: r.p99Ms, load: loadavg()[0] })}\n`);
      }
    }
  } finally {
    await redis.stop();
  }
  const result = {
    clients,
    rounds,
    parameters,
    trainMs: 0,
    workers,
    redis: 'redis-server (Debian), appendonly yes, appendfsync everysec, loopback',
    loadAverageBefore: loadBefore,
    loadAverageAfter: loadavg()[0],
    machine: machine(),
    cases: Object.fromEntries(Object.entries(byCase).map(([k, v]) => [k, { ...summary(v), acceptedPerSecondPerRun: v.map((r) => r.acceptedPerSecond), clientP99PerRun: v.map((r) => r.p99Ms) }])),
  };
  const path = writeResult('fl-service-stores', result);
  process.stdout.write(`${JSON.stringify({ suite: 'fl-service-stores', result, file: path })}\n`);
}

const patterns: { trainMs: number; httpClient: 'node' | 'fetch' }[] = [
  { trainMs: 0, httpClient: 'node' },
  { trainMs: 2000, httpClient: 'node' },
  { trainMs: 2000, httpClient: 'fetch' },
];
const key = (p: { trainMs: number; httpClient: string }) => `trainMs=${p.trainMs},client=${p.httpClient}`;
const results: Record<string, LoadTestResult[]> = Object.fromEntries(patterns.map((p) => [key(p), []]));
const loadBefore = loadavg()[0];
for (let run = 0; run < runs; run++) {
  // alternate the patterns within each run so both see the same machine conditions
  for (const p of patterns) {
    const r = await runLoadTest({ clients, rounds, parameters, trainMs: p.trainMs, httpClient: p.httpClient, seed: run });
    results[key(p)].push(r);
    process.stderr.write(`${JSON.stringify({ event: 'run', run, ...p, lost: r.lost, duplicated: r.duplicated, p99Ms: r.p99Ms, serverP99Ms: r.serverP99Ms })}\n`);
  }
}
const result = {
  clients,
  rounds,
  parameters,
  loadAverageBefore: loadBefore,
  loadAverageAfter: loadavg()[0],
  machine: machine(),
  patterns: Object.fromEntries(Object.entries(results).map(([k, v]) => [k, summary(v)])),
};
const path = writeResult('fl-service', result);
process.stdout.write(`${JSON.stringify({ suite: 'fl-service', result, file: path })}\n`);
