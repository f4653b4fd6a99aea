/**
 * kill -9 of the server (a child process) in the middle of a round, with updates in flight:
 * after a restart on the same state file, every update acknowledged before the crash is
 * still there, every client's retry of its identical update is recognised, and the round's
 * new model is exactly the weighted mean with each update counted once. Run on both stores:
 * the SQLite file (--state) and Redis (--store, one server process; a redis-server started
 * here with appendfsync always).
 */
import { after, before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { syntheticDelta, type StatusResponse } from '../../../src/federated/server/index.js';
import { assertFirstRoundCompleted, assertModelIsWeightedMean, joinFirstRound, rejoin } from './round-checks.js';
import { killHard, phase, startServer as startChildServer } from './child-server.js';
import { REDIS_MISSING, redisInstalled, startLocalRedis, type LocalRedis } from '../store/local-redis.js';

const CLIENTS = 40;
const PARAMS = 64;

let redis: LocalRedis | undefined;
before(async () => {
  if (redisInstalled()) redis = await startLocalRedis({ appendfsync: 'always' });
});
after(async () => {
  await redis?.stop();
});

/** `stateArgs`: --state FILE or --store URL --redis-prefix P. */
function startServer(stateArgs: string[]) {
  return startChildServer([
    '--params', String(PARAMS), '--clients-per-round', String(CLIENTS), '--min-clients', String(CLIENTS), '--rounds', '2',
    '--round-timeout', '300', ...stateArgs, '--client-rate-limit', '1000', '--address-rate-limit', '10000',
  ]);
}

const examples = (k: number) => 5 + (k % 4);

for (const backend of ['sqlite', 'redis'] as const) {
  test(`${backend}: kill -9 mid-round: restart resumes the round and counts every acknowledged update exactly once`, { timeout: 180_000 }, async (t: TestContext) => {
    if (backend === 'redis' && !redisInstalled()) {
      t.skip(REDIS_MISSING);
      return;
    }
    const dir = mkdtempSync(join(tmpdir(), 'trustnlu-crash-'));
    const state = backend === 'sqlite' ? ['--state', join(dir, 'state.db')] : ['--store', redis!.url, '--redis-prefix', `crash-${process.pid}`];
    let server = await startServer(state);
    try {
      const sessions = await joinFirstRound(server.url, CLIENTS, 'c', examples);
      const task = { round: 1, modelVersion: 0 };

      // the first half is acknowledged before the crash
      const acknowledged = new Set<number>();
      for (let k = 0; k < CLIENTS / 2; k++) {
        await phase(`submit ${k} before the crash`, 15_000, sessions[k].submit(task, syntheticDelta(k, 1, PARAMS), examples(k)));
        acknowledged.add(k);
      }
      // the second half is in flight when the server dies: most of it is sent first, and the
      // server dies as soon as the first of those is acknowledged (or after 20 ms); the last
      // LATE are sent in the same tick as the kill, so they cannot all have been answered (a
      // loaded machine can answer the whole first wave in one burst before the kill lands)
      const LATE = 5;
      let firstAck: () => void = () => undefined;
      const firstAcknowledged = new Promise<void>((resolve) => (firstAck = resolve));
      const send = (k: number) =>
        sessions[k].submit(task, syntheticDelta(k, 1, PARAMS), examples(k)).then(
          () => {
            acknowledged.add(k);
            firstAck();
          },
          () => undefined,
        );
      const inFlight = Array.from({ length: CLIENTS / 2 - LATE }, (_, j) => send(CLIENTS / 2 + j));
      await Promise.race([firstAcknowledged, new Promise((r) => setTimeout(r, 20))]);
      for (let k = CLIENTS - LATE; k < CLIENTS; k++) inFlight.push(send(k));
      await phase('kill -9', 10_000, killHard(server.child));
      await phase('in-flight submits fail', 30_000, Promise.all(inFlight));
      assert.ok(acknowledged.size < CLIENTS, 'some updates must still be unacknowledged when the server dies (else the test proves nothing about in-flight requests)');

      server = await startServer(state);
      const status = (await phase('status after restart', 15_000, fetch(`${server.url}/v1/status`).then((r) => r.json()))) as StatusResponse;
      // the round is still open, holding at least every acknowledged update; or (Redis accepts
      // concurrently) all 40 were stored before the kill, some unanswered, and the round closed with them
      if (status.currentRound?.round === 1) {
        assert.ok(status.currentRound.accepted >= acknowledged.size, `accepted ${status.currentRound.accepted} < acknowledged ${acknowledged.size}: an acknowledged update was lost`);
      } else {
        assert.ok(status.roundsCompleted >= 1, `round 1 neither open nor completed: ${JSON.stringify(status.currentRound)}`);
      }

      // every client retries its identical update (clients do not know what the server kept)
      const retry = rejoin(sessions, server.url).map((s, k) => s.submit(task, syntheticDelta(k, 1, PARAMS), examples(k)));
      const results = await phase('retries after restart', 60_000, Promise.all(retry));
      for (const k of acknowledged) assert.equal(results[k].duplicate, true, `client ${k}'s acknowledged update must be recognised as already counted`);

      // (with Redis the round closes just after the accept that completes it, not inside it; if
      // the killed process held the round lease, only after the lease (10 s) expires)
      await phase('round 1 completes', 30_000, assertFirstRoundCompleted(server.url, CLIENTS, 250));
      await phase('model check', 30_000, assertModelIsWeightedMean(server.url, CLIENTS, PARAMS, examples));
    } finally {
      if (server.child.exitCode === null) await killHard(server.child);
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
