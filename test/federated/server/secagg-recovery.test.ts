/**
 * kill -9 of the server in every stage of a secure-aggregation round: the session is rebuilt
 * from its journal and the round completes with every party's input in the sum, exactly once.
 * In each stage three of five parties' replies are acknowledged, the server is killed and
 * restarted on the same state; the restarted server is in the same stage, hands the other
 * parties the same requests as before the crash (the replay is deterministic), recognises the
 * three retried replies as duplicates, and takes the other two. The clients keep their secrets
 * in memory across the server's restart, as real devices do. The new model must equal the
 * examples-weighted mean of all five updates. Run on both stores (SQLite file, Redis).
 */
import { after, before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SecAggClient, fromWire, toWire, webSecAggCrypto } from '../../../src/federated/secagg/index.js';
import { syntheticDelta, type StatusResponse, type TaskResponse } from '../../../src/federated/server/index.js';
import { assertFirstRoundCompleted, assertModelIsWeightedMean, joinFirstRound, rejoin } from './round-checks.js';
import { killHard, phase, startServer } from './child-server.js';
import { REDIS_MISSING, redisInstalled, startLocalRedis, type LocalRedis } from '../store/local-redis.js';

const PARTIES = 5;
const PARAMS = 40;
const ACKED = 3;
const STAGES = ['advertise', 'share', 'masked-input', 'unmask'] as const;
const examples = (k: number) => 3 + k;

let redis: LocalRedis | undefined;
before(async () => {
  if (redisInstalled()) redis = await startLocalRedis({ appendfsync: 'always' });
});
after(async () => {
  await redis?.stop();
});

for (const backend of ['sqlite', 'redis'] as const) {
  test(`${backend}: kill -9 in each secure-aggregation stage: the restarted server resumes the session and the sum holds every input once`, { timeout: 240_000 }, async (t: TestContext) => {
    if (backend === 'redis' && !redisInstalled()) {
      t.skip(REDIS_MISSING);
      return;
    }
    const dir = mkdtempSync(join(tmpdir(), 'trustnlu-secagg-crash-'));
    const state = backend === 'sqlite' ? ['--state', join(dir, 'state.db')] : ['--store', redis!.url, '--redis-prefix', `secagg-crash-${process.pid}`];
    const args = [
      '--params', String(PARAMS), '--clients-per-round', String(PARTIES), '--min-clients', String(PARTIES), '--rounds', '1',
      '--round-timeout', '600', '--secagg', '--secagg-stage-timeout', '300', ...state,
    ];
    let server = await phase('start', 60_000, startServer(args));
    try {
      let sessions = await joinFirstRound(server.url, PARTIES, 's', examples);
      const tasks: TaskResponse[] = await Promise.all(sessions.map((s) => s.task(1)));
      const inputs = tasks.map((task, k) => Float64Array.from(syntheticDelta(k, 1, PARAMS), (v) => v * task.secureAggregation!.weight));
      const clients = Array.from({ length: PARTIES }, () => new SecAggClient(webSecAggCrypto()));

      for (const stage of STAGES) {
        const requests = await phase(`${stage}: requests`, 30_000, Promise.all(sessions.map((s) => s.secureRequest(1))));
        for (const r of requests) assert.equal(r.stage, stage);
        const replies: unknown[] = [];
        for (let k = 0; k < PARTIES; k++) {
          const request = fromWire(requests[k].request) as never;
          const c = clients[k];
          const reply =
            stage === 'advertise' ? await c.advertiseKeys(request) : stage === 'share' ? await c.shareKeys(request) : stage === 'masked-input' ? await c.maskedInput(request, inputs[k]) : await c.unmask(request);
          replies.push(toWire(reply));
        }
        for (let k = 0; k < ACKED; k++) {
          const answer = await phase(`${stage}: reply ${k}`, 30_000, sessions[k].secureReply(1, stage, replies[k]));
          assert.equal(answer.duplicate, undefined);
        }

        await phase(`${stage}: kill -9`, 10_000, killHard(server.child));
        server = await phase(`${stage}: restart`, 60_000, startServer(args));
        sessions = rejoin(sessions, server.url, { attempts: 1 });
        const status = (await (await fetch(`${server.url}/v1/status`)).json()) as StatusResponse;
        assert.equal(status.currentRound?.round, 1, `${stage}: round 1 must still be open after the restart`);
        assert.equal(status.currentRound?.secureStage, stage, `${stage}: the restarted server is in the same stage`);
        for (let k = ACKED; k < PARTIES; k++) {
          const again = await sessions[k].secureRequest(1);
          assert.deepEqual(again.request, requests[k].request, `${stage}: party ${k} gets the same request after the restart`);
        }
        for (let k = 0; k < ACKED; k++) {
          assert.equal((await sessions[k].secureRequest(1)).answered, true, `${stage}: party ${k}'s reply survived the crash`);
          const retried = await phase(`${stage}: retry ${k}`, 30_000, sessions[k].secureReply(1, stage, replies[k]));
          assert.equal(retried.duplicate, true, `${stage}: party ${k}'s retried reply is recognised`);
        }
        for (let k = ACKED; k < PARTIES; k++) {
          const answer = await phase(`${stage}: late reply ${k}`, 30_000, sessions[k].secureReply(1, stage, replies[k]));
          assert.equal(answer.duplicate, undefined);
        }
      }

      await phase('round 1 completes', 30_000, assertFirstRoundCompleted(server.url, PARTIES, 100));
      const [round] = ((await (await fetch(`${server.url}/v1/rounds`)).json()) as { rounds: { metrics: Record<string, number> }[] }).rounds;
      assert.equal(round.metrics.secaggSurvivors, PARTIES);
      await phase('model check', 30_000, assertModelIsWeightedMean(server.url, PARTIES, PARAMS, examples));
    } finally {
      if (server.child.exitCode === null) await killHard(server.child);
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
