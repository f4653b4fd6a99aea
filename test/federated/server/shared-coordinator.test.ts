/**
 * Two RoundCoordinators on one Redis (two connections, as two server processes have), driven
 * step by step with a shared fake clock: a token registered at one is accepted by the other,
 * availability is shared, the round one opens the other adopts, updates accepted by either are
 * aggregated once by whichever closes the round, and the other serves the new model.
 */
import { after, before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createStrategy } from '../../../src/federated/strategies/index.js';
import { RedisFederationStore, SqliteFederationStore } from '../../../src/federated/store/index.js';
import { FederationRequestError, RoundCoordinator } from '../../../src/federated/server/index.js';
import { ConfigError } from '../../../src/errors.js';
import { REDIS_MISSING, redisInstalled, startLocalRedis, type LocalRedis } from '../store/local-redis.js';

const INITIAL = { names: ['w'], arrays: [Float32Array.from([1, 2])] };
let redis: LocalRedis | undefined;
let federations = 0;

before(async () => {
  if (redisInstalled()) redis = await startLocalRedis();
});
after(async () => {
  await redis?.stop();
});

async function process(
  prefix: string,
  clock: () => number,
  options: { target?: number; wrap?: (store: RedisFederationStore) => RedisFederationStore; events?: string[] } = {},
) {
  const store = await RedisFederationStore.connect(redis!.url, { prefix });
  const coordinator = await RoundCoordinator.open({
    store: options.wrap ? options.wrap(store) : store,
    strategy: createStrategy('fedavg', { clientsPerRound: 3 }),
    initialParameters: INITIAL,
    policy: { rounds: 2, targetUpdates: options.target ?? 3, minClients: 3, minUpdates: 1, roundTimeoutMs: 1000, availabilityWindowMs: 10_000, maxUpdateNorm: 100 },
    fingerprint: { test: 'shared', target: options.target ?? 3 },
    enrolment: { mode: 'open', maxWeight: 100 },
    clock,
    shared: true,
    onEvent: (event) => options.events?.push(event),
  });
  return { store, coordinator };
}

const bytes = (values: number[]) => new Uint8Array(Float32Array.from(values).buffer);
const meta = (version: number, numExamples: number) => ({ modelVersion: version, numExamples, metrics: {} });

test('two processes share tokens, availability, the open round and its updates; one aggregates, both serve the new model', async (t: TestContext) => {
  if (!redisInstalled()) {
    t.skip(REDIS_MISSING);
    return;
  }
  let now = 1000;
  const clock = () => now;
  const prefix = `coord-${++federations}`;
  const a = await process(prefix, clock);
  const b = await process(prefix, clock);
  try {
    const examples: Record<string, number> = { c1: 1, c2: 3, c3: 4 };
    const tokens: Record<string, string> = {};
    for (const id of Object.keys(examples)) tokens[id] = (await a.coordinator.register({ clientId: id, numExamples: examples[id] })).token;
    await assert.rejects(b.coordinator.register({ clientId: 'c1', numExamples: 5 }), (e: unknown) => e instanceof FederationRequestError && e.statusCode === 409, 'an id registered at A is taken at B');
    // B has never seen these tokens: it reads them through from the store
    for (const id of Object.keys(examples)) assert.equal(await b.coordinator.authenticate(tokens[id]), id);
    assert.equal(await b.coordinator.authenticate('not-a-token'), undefined);

    // check-ins spread over both processes: the third one (at B) makes 3 available and B opens round 1
    assert.equal((await a.coordinator.checkIn('c1')).action, 'wait');
    assert.equal((await a.coordinator.checkIn('c2')).action, 'wait', 'two clients are fewer than --min-clients 3');
    const opened = await b.coordinator.checkIn('c3');
    assert.deepEqual([opened.action, opened.action === 'train' ? opened.round : 0], ['train', 1]);
    // A learns the round from the store at the next check-in and replays its selection
    const atA = await a.coordinator.checkIn('c1');
    assert.equal(atA.action, 'train');
    assert.equal((await a.coordinator.task('c2', '1')).round, 1);

    // updates: c1 at A, c2 at B, c3 at A; a retry of c1 at B is a duplicate, a different update a conflict
    assert.equal((await a.coordinator.submit('c1', '1', meta(0, 1), bytes([1, 1]))).duplicate, false);
    assert.equal((await b.coordinator.submit('c1', '1', meta(0, 1), bytes([1, 1]))).duplicate, true);
    await assert.rejects(b.coordinator.submit('c1', '1', meta(0, 1), bytes([9, 9])), (e: unknown) => e instanceof FederationRequestError && e.statusCode === 409);
    assert.equal((await b.coordinator.checkIn('c1')).action, 'wait', 'B knows c1 already submitted (A accepted it)');
    await b.coordinator.submit('c2', '1', meta(0, 3), bytes([2, 0]));
    await a.coordinator.submit('c3', '1', meta(0, 4), bytes([0, -1]));
    // the round is due (3 of 3 in the store); whichever ticks first closes it, the other adopts the outcome
    await Promise.all([a.coordinator.tick(), b.coordinator.tick()]);
    await a.coordinator.drain();
    await b.coordinator.drain();
    await a.coordinator.refresh();
    await b.coordinator.refresh();
    // FedAvg: Δ = (1·[1,1] + 3·[2,0] + 4·[0,-1]) / 8 = [7/8, -3/8]
    const expected = [1 + 7 / 8, 2 - 3 / 8];
    for (const side of [a, b]) {
      const status = side.coordinator.status();
      assert.equal(status.modelVersion, 1);
      assert.equal(status.roundsCompleted, 1);
      assert.equal(status.registeredClients, 3);
      assert.deepEqual(Array.from(side.coordinator.parameters.arrays[0]), expected.map(Math.fround));
      assert.deepEqual(Array.from(new Float32Array((await side.coordinator.model('1')).slice().buffer)), expected.map(Math.fround));
      // (round 2 may already be open: a tick after the close opens it, the clients are still available)
      const rounds = side.coordinator.rounds();
      assert.equal(rounds[0].round, 1);
      assert.equal(rounds[0].status, 'completed');
      assert.deepEqual([...rounds[0].aggregated].sort(), ['c1', 'c2', 'c3'], 'each update aggregated once');
    }
    // a late update for round 1 at either process is stale
    await assert.rejects(a.coordinator.submit('c2', '1', meta(0, 3), bytes([5, 5])), (e: unknown) => e instanceof FederationRequestError && e.statusCode === 409);

    // round 2 at the deadline: only c2 submits (at A); a tick after the deadline fails nothing and aggregates c2
    for (const [side, id] of [[a, 'c1'], [b, 'c2'], [a, 'c3']] as const) await side.coordinator.checkIn(id);
    await b.coordinator.tick();
    assert.equal((await a.coordinator.checkIn('c2')).action, 'train');
    await a.coordinator.submit('c2', '2', meta(1, 3), bytes([1, 0]));
    now += 2000;
    await b.coordinator.tick();
    await a.coordinator.refresh();
    assert.equal(a.coordinator.status().roundsCompleted, 2);
    assert.equal(a.coordinator.finished, true);
    assert.equal((await a.coordinator.checkIn('c1')).action, 'done');
    assert.deepEqual(a.coordinator.rounds().map((r) => [r.round, r.status, r.aggregated.length, r.metrics.closedByDeadline]), [[1, 'completed', 3, 0], [2, 'completed', 1, 1]]);
  } finally {
    await a.coordinator.drain();
    await b.coordinator.drain();
    await a.store.close();
    await b.store.close();
  }
});

test('an update another process accepts while this one aggregates is not left out: the close is refused and redone', async (t: TestContext) => {
  if (!redisInstalled()) {
    t.skip(REDIS_MISSING);
    return;
  }
  const now = 1000;
  const clock = () => now;
  const prefix = `coord-${++federations}`;
  const events: string[] = [];
  let late: (() => Promise<unknown>) | undefined;
  // A's store: the first read of the round's updates lets B accept c3 before the read returns (a race made deterministic)
  const wrap = (store: RedisFederationStore) =>
    new Proxy(store, {
      get(target, name, receiver) {
        const value = Reflect.get(target, name, receiver) as unknown;
        if (name !== 'updatesOf' || typeof value !== 'function') return typeof value === 'function' ? value.bind(target) : value;
        return async (round: number) => {
          const read = await (value as (r: number) => Promise<unknown>).call(target, round);
          const submitLate = late;
          late = undefined;
          if (submitLate) await submitLate();
          return read;
        };
      },
    });
  // over-selection: 3 selected, 2 close the round, the third is a straggler that arrives just in time
  const a = await process(prefix, clock, { target: 2, wrap, events });
  const b = await process(prefix, clock, { target: 2 });
  try {
    const examples: Record<string, number> = { c1: 1, c2: 3, c3: 4 };
    const tokens: Record<string, string> = {};
    for (const id of Object.keys(examples)) tokens[id] = (await a.coordinator.register({ clientId: id, numExamples: examples[id] })).token;
    for (const id of Object.keys(examples)) await a.coordinator.checkIn(id);
    assert.equal((await a.coordinator.checkIn('c1')).action, 'train');
    assert.equal(await b.coordinator.authenticate(tokens.c3), 'c3');
    await b.coordinator.checkIn('c3');
    late = () => b.coordinator.submit('c3', '1', meta(0, 4), bytes([0, -1]));
    await a.coordinator.submit('c1', '1', meta(0, 1), bytes([1, 1]));
    await a.coordinator.submit('c2', '1', meta(0, 3), bytes([2, 0]));
    await a.coordinator.tick();
    await a.coordinator.drain();
    assert.equal(late, undefined, 'the late submission ran during the close');
    assert.ok(events.includes('close-retry'), `events: ${events.join(', ')}`);
    await a.coordinator.refresh();
    const round = a.coordinator.rounds()[0];
    assert.equal(round.status, 'completed');
    assert.deepEqual([...round.aggregated].sort(), ['c1', 'c2', 'c3'], 'c3 was acknowledged, so it is aggregated');
    const expected = [1 + 7 / 8, 2 - 3 / 8].map(Math.fround);
    assert.deepEqual(Array.from(a.coordinator.parameters.arrays[0]), expected);
    await b.coordinator.refresh();
    assert.deepEqual(Array.from(b.coordinator.parameters.arrays[0]), expected);
  } finally {
    await a.coordinator.drain();
    await b.coordinator.drain();
    await a.store.close();
    await b.store.close();
  }
});

test('shared mode refuses a store that only one process can use', async () => {
  const base = { strategy: createStrategy('fedavg', { clientsPerRound: 2 }), initialParameters: INITIAL, fingerprint: {}, shared: true };
  await assert.rejects(RoundCoordinator.open({ ...base, store: new SqliteFederationStore(':memory:') }), (e: unknown) => e instanceof ConfigError && /Redis/.test((e as Error).message));
});
