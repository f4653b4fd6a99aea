/**
 * Several server processes behind one address: `fl serve --store redis://... --workers N`
 * (node:cluster) against a redis-server this test starts. The load-test client path runs
 * 150 clients for 3 rounds with nothing lost or counted twice; a worker killed with kill -9
 * in the middle of a round loses no acknowledged update: the primary restarts it, the round
 * completes with every client counted once, and the model is the weighted mean recomputed here.
 * With --secagg the SecAgg+ stages run through both workers (each follows the session's
 * journal in Redis) and the model is the weighted mean of the parties' updates.
 */
import { after, before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { OPEN_TEST_FEDERATION } from './child-server.js';
import { join } from 'node:path';
import { runLoadTest, syntheticDelta, type RoundSummary, type StatusResponse } from '../../../src/federated/server/index.js';
import type { Client } from '../../../src/federated/client/client.js';
import { RemoteSession } from '../../../src/federated/client/remote-session.js';
import { runRemoteClient } from '../../../src/federated/client/remote-runner.js';
import { assertFirstRoundCompleted, assertModelIsWeightedMean, joinFirstRound, rejoin } from './round-checks.js';
import { REDIS_MISSING, freePort, redisInstalled, startLocalRedis, type LocalRedis } from '../store/local-redis.js';

const BIN = join(process.cwd(), 'bin', 'trustnlu.js');
let redis: LocalRedis | undefined;

before(async () => {
  if (redisInstalled()) redis = await startLocalRedis({ appendfsync: 'always' });
});
after(async () => {
  await redis?.stop();
});

interface Cluster {
  child: ChildProcess;
  url: string;
  events: Record<string, unknown>[];
  /** Resolves when an event matching `match` has arrived (or rejects after 60 s). */
  waitFor(match: (e: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
  stop(): Promise<void>;
}

function startCluster(args: string[]): Promise<Cluster> {
  const child = spawn(process.execPath, [BIN, 'fl', 'serve', '--port', '0', '--client-rate-limit', '1000', '--address-rate-limit', '100000', ...OPEN_TEST_FEDERATION, '--json', ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const events: Record<string, unknown>[] = [];
  const waiting = new Set<() => void>();
  let buffer = '';
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
    buffer += chunk;
    const lines = buffer.split('\n');
    buffer = lines.pop()!;
    for (const line of lines) {
      try {
        events.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // a worker's non-JSON output (an error message) stays in stderr
      }
    }
    for (const wake of [...waiting]) wake();
  });
  const waitFor = (match: (e: Record<string, unknown>) => boolean) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const check = () => {
        const found = events.find(match);
        if (found) {
          waiting.delete(check);
          clearTimeout(timer);
          resolve(found);
        }
      };
      const timer = setTimeout(() => {
        waiting.delete(check);
        reject(new Error(`no such event within 60 s; stderr:\n${stderr.slice(-3000)}`));
      }, 60_000);
      waiting.add(check);
      check();
    });
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  return waitFor((e) => e.event === 'listening').then((e) => ({ child, url: String(e.url), events, waitFor, stop }));
}

test('3 workers on one port: 150 load-test clients × 3 rounds, nothing lost or counted twice', { timeout: 240_000 }, async (t: TestContext) => {
  if (!redisInstalled()) {
    t.skip(REDIS_MISSING);
    return;
  }
  const clients = 150;
  const cluster = await startCluster([
    '--params', '300', '--rounds', '3', '--clients-per-round', String(clients), '--min-clients', String(clients), '--min-updates', '1',
    '--round-timeout', '60', '--poll-interval', '500', '--store', redis!.url, '--redis-prefix', 'scale-load', '--workers', '3',
  ]);
  try {
    await cluster.waitFor((e) => e.event === 'worker-listening' && e.worker === 3);
    const result = await runLoadTest({ clients, rounds: 3, parameters: 300, server: cluster.url, seed: 4, timeLimitSeconds: 180 });
    assert.equal(result.roundsCompleted, 3);
    assert.equal(result.expected, clients * 3);
    assert.equal(result.accepted, clients * 3);
    assert.equal(result.lost, 0);
    assert.equal(result.duplicated, 0);
    assert.ok(result.modelMaxAbsError < 1e-6, `model differs from the recomputed one by ${result.modelMaxAbsError}`);
    const pids = new Set(cluster.events.filter((e) => e.event === 'worker-listening').map((e) => e.pid));
    assert.equal(pids.size, 3, 'three worker processes served');
    assert.ok(cluster.events.some((e) => e.event === 'round-adopted'), 'a worker adopted a round another one opened (state went through Redis)');
  } finally {
    await cluster.stop();
  }
});

const CLIENTS = 40;
const PARAMS = 64;
const examples = (k: number) => 5 + (k % 4);

test('kill -9 of one worker mid-round: the primary restarts it, and every acknowledged update is counted exactly once', { timeout: 240_000 }, async (t: TestContext) => {
  if (!redisInstalled()) {
    t.skip(REDIS_MISSING);
    return;
  }
  const cluster = await startCluster([
    '--params', String(PARAMS), '--rounds', '2', '--clients-per-round', String(CLIENTS), '--min-clients', String(CLIENTS),
    '--round-timeout', '300', '--store', redis!.url, '--redis-prefix', 'scale-kill', '--workers', '2',
  ]);
  try {
    await cluster.waitFor((e) => e.event === 'worker-listening' && e.worker === 2);
    const sessions = await joinFirstRound(cluster.url, CLIENTS, 'c', examples);
    const task = { round: 1, modelVersion: 0 };

    const acknowledged = new Set<number>();
    for (let k = 0; k < CLIENTS / 2; k++) {
      await sessions[k].submit(task, syntheticDelta(k, 1, PARAMS), examples(k));
      acknowledged.add(k);
    }
    // the second half is in flight when one worker dies
    let firstAck: () => void = () => undefined;
    const firstAcknowledged = new Promise<void>((resolve) => (firstAck = resolve));
    const inFlight = sessions.slice(CLIENTS / 2).map((s, j) =>
      s.submit(task, syntheticDelta(CLIENTS / 2 + j, 1, PARAMS), examples(CLIENTS / 2 + j)).then(
        () => {
          acknowledged.add(CLIENTS / 2 + j);
          firstAck();
        },
        () => undefined,
      ),
    );
    await Promise.race([firstAcknowledged, new Promise((r) => setTimeout(r, 20))]);
    const victim = cluster.events.find((e) => e.event === 'worker-listening' && e.worker === 1)!;
    process.kill(Number(victim.pid), 'SIGKILL');
    await Promise.all(inFlight);
    await cluster.waitFor((e) => e.event === 'worker-exited' && e.pid === victim.pid && e.signal === 'SIGKILL');
    await cluster.waitFor((e) => e.event === 'worker-listening' && e.pid !== victim.pid && e.worker !== 2);

    const status = (await (await fetch(`${cluster.url}/v1/status`)).json()) as StatusResponse;
    // the round is still open, holding at least every acknowledged update; or every one of the 40 was
    // stored before the kill (some not yet answered) and the round has closed with all of them
    if (status.currentRound?.round === 1) {
      assert.ok(status.currentRound.accepted >= acknowledged.size, `accepted ${status.currentRound.accepted} < acknowledged ${acknowledged.size}: an acknowledged update was lost`);
    } else {
      assert.ok(status.roundsCompleted >= 1, `round 1 neither open nor completed: ${JSON.stringify(status.currentRound)}`);
    }
    // every client retries its identical update, through whichever worker answers
    const results = await Promise.all(
      rejoin(sessions, cluster.url, { attempts: 5, backoffMs: 50 }).map((s, k) => s.submit(task, syntheticDelta(k, 1, PARAMS), examples(k))),
    );
    for (const k of acknowledged) assert.equal(results[k].duplicate, true, `client ${k}'s acknowledged update must be recognised as already counted`);

    await assertFirstRoundCompleted(cluster.url, CLIENTS, 50);
    await assertModelIsWeightedMean(cluster.url, CLIENTS, PARAMS, examples);
    assert.ok(cluster.events.some((e) => e.event === 'worker-restarting'));
  } finally {
    await cluster.stop();
  }
});

test('2 workers with --secagg: the secure stages go through both processes, the model is the weighted mean', { timeout: 240_000 }, async (t: TestContext) => {
  if (!redisInstalled()) {
    t.skip(REDIS_MISSING);
    return;
  }
  const clients = 6;
  const cluster = await startCluster([
    '--params', String(PARAMS), '--rounds', '1', '--clients-per-round', String(clients), '--min-clients', String(clients), '--min-updates', '3',
    '--round-timeout', '120', '--poll-interval', '200', '--secagg', '--store', redis!.url, '--redis-prefix', 'scale-secagg', '--workers', '2',
  ]);
  try {
    await cluster.waitFor((e) => e.event === 'worker-listening' && e.worker === 2);
    // one connection per client (no shared keep-alive pool), so node:cluster spreads them over both workers
    const sessions = Array.from({ length: clients }, () => new RemoteSession({ server: cluster.url, fetch: freshConnectionFetch }));
    await Promise.all(sessions.map((s, k) => s.register(`sa${k}`, examples(k))));
    const fixed = (k: number): Client => ({
      id: `sa${k}`,
      fit: async (parameters) => ({ delta: { names: parameters.names, arrays: [syntheticDelta(k, 1, PARAMS)] }, numExamples: examples(k), metrics: {} }),
      evaluate: async () => ({ loss: 0, numExamples: 1, metrics: {} }),
    });
    const summaries = await Promise.all(sessions.map((s, k) => runRemoteClient({ session: s, client: fixed(k), longPollMs: 1000 })));
    assert.ok(summaries.every((s) => s.updatesSubmitted === 1), JSON.stringify(summaries));
    await assertFirstRoundCompleted(cluster.url, clients, 50);
    await assertModelIsWeightedMean(cluster.url, clients, PARAMS, examples);
    const rounds = ((await (await fetch(`${cluster.url}/v1/rounds`)).json()) as { rounds: RoundSummary[] }).rounds;
    assert.equal(rounds[0].metrics.secaggSurvivors, clients);
    assert.ok(cluster.events.some((e) => e.event === 'round-adopted'), 'the worker that did not open the round adopted it (and its secure session) through Redis');
    assert.ok(cluster.events.some((e) => e.event === 'secure-stage-synced'), 'a worker learned a stage close made by the other one from the journal');
  } finally {
    await cluster.stop();
  }
});

/** fetch without connection reuse: every request opens its own connection. */
const freshConnectionFetch: typeof fetch = (input, init) => fetch(input, { ...init, headers: { ...(init?.headers as Record<string, string>), connection: 'close' } });

test('fl serve --workers: usage errors exit 2; an unreachable Redis is one clear error naming the URL', async () => {
  const run = (args: string[]) => spawnSync(process.execPath, [BIN, 'fl', 'serve', '--params', '10', ...args], { encoding: 'utf8', timeout: 60_000 });
  const cases: [string[], RegExp][] = [
    [['--workers', '2'], /--workers > 1 needs a store the processes share: add --store redis:\/\//],
    [['--store', 'http://127.0.0.1:6379'], /--store takes a redis:\/\/host:port\[\/db\] URL/],
    [['--store', 'redis://127.0.0.1:6379/db'], /the database must be a number/],
    [['--store', 'redis://127.0.0.1:6379', '--state', 'x.db'], /not both/],
    [['--redis-prefix', 'p'], /--redis-prefix needs --store/],
    [['--store', 'redis://127.0.0.1:6379', '--redis-prefix', 'a b'], /--redis-prefix must be/],
  ];
  for (const [args, message] of cases) {
    const r = run(args);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message, args.join(' '));
  }
  const port = await freePort();
  for (const workers of ['1', '3']) {
    const r = run(['--store', `redis://127.0.0.1:${port}/2`, '--workers', workers]);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`trustnlu: cannot reach Redis at redis://127\\.0\\.0\\.1:${port}/2`));
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  }
});
