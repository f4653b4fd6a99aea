/**
 * Federated service load benchmark: `node dist/bench/fl-service.js [--clients N] [--rounds R] [--runs K]`.
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
import { machine, median, writeResult } from './common.js';

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const clients = flag('--clients', 1000);
const rounds = flag('--rounds', 3);
const runs = flag('--runs', 3);
const parameters = flag('--params', 1000);

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
  seconds: median(list.map((r) => r.seconds)),
});

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
