/**
 * The FederationStore contract, run against every store (SQLite and Redis) through one
 * factory: one update per (round, client), no update into a closed round, close + checkpoint
 * together, one open round at a time, durable across reopening, and the same answers when two
 * connections race. Redis tests start their own redis-server (test/federated/store/local-redis.ts)
 * and skip, saying why, only when /usr/bin/redis-server is missing (.ci/run installs it).
 */
import { after, before, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { ConfigError } from '../../../src/errors.js';
import {
  RedisFederationStore,
  RoundUpdatesChangedError,
  SqliteFederationStore,
  StateStoreError,
  openFederationStore,
  type FederationStore,
  type StoredRound,
  type UpdateRecord,
} from '../../../src/federated/store/index.js';
import { REDIS_MISSING, freePort, redisInstalled, startLocalRedis, type LocalRedis } from './local-redis.js';

/** A place for one federation's state: open() gives a new connection to the same state. */
interface StorePlace {
  open(): Promise<FederationStore>;
  cleanup(): Promise<void>;
}

interface Backend {
  name: string;
  /** A skip reason when the backend cannot run here. */
  unavailable(): string | undefined;
  place(): Promise<StorePlace>;
}

let redis: LocalRedis | undefined;
let prefixCounter = 0;
/** Every store a test opened, closed after all tests (so a failed assertion cannot leave a connection holding the process open). */
const opened: FederationStore[] = [];
function track<T extends FederationStore>(store: T): T {
  opened.push(store);
  return store;
}
const connect = async (url: string, options?: { prefix?: string }) => track(await RedisFederationStore.connect(url, options));

const backends: Backend[] = [
  {
    name: 'sqlite',
    unavailable: () => undefined,
    place: async () => {
      const dir = mkdtempSync(join(tmpdir(), 'trustnlu-store-'));
      return {
        open: async () => track(new SqliteFederationStore(join(dir, 'state.db'))),
        cleanup: async () => rmSync(dir, { recursive: true, force: true }),
      };
    },
  },
  {
    name: 'redis',
    unavailable: () => (redisInstalled() ? undefined : REDIS_MISSING),
    place: async () => {
      const prefix = `test:${process.pid}:${++prefixCounter}:`;
      return { open: () => connect(redis!.url, { prefix }), cleanup: async () => undefined };
    },
  },
];

before(async () => {
  if (redisInstalled()) redis = await startLocalRedis({ appendfsync: 'always' });
});
after(async () => {
  await Promise.all(opened.map((store) => store.close().catch(() => undefined)));
  await redis?.stop();
});

const round1: StoredRound = {
  round: 1,
  modelVersion: 0,
  status: 'open',
  seed: 7,
  available: '[{"id":"a","numExamples":3}]',
  selected: ['a', 'b'],
  openedAt: 1,
  deadline: 100,
  aggregated: [],
  dropped: [],
  metrics: {},
};

function update(clientId: string, digest: string, values: number[], round = 1): UpdateRecord {
  return { round, clientId, digest, numExamples: 3, metrics: { loss: 0.5 }, delta: Float32Array.from(values), acceptedAt: 5 };
}

const meta = { schema: 1, config: '{"k":1}', createdAt: 0 };

/** Runs `body` for every backend on a fresh place, skipping (with the reason) an unavailable one. */
function contract(name: string, body: (place: StorePlace, backend: string) => Promise<void>) {
  for (const backend of backends) {
    test(`${backend.name}: ${name}`, async (t: TestContext) => {
      const reason = backend.unavailable();
      if (reason) {
        t.skip(reason);
        return;
      }
      const place = await backend.place();
      try {
        await body(place, backend.name);
      } finally {
        await place.cleanup();
      }
    });
  }
}

contract('accepts an update once; an identical retry is a duplicate, a different one a conflict; a closed round takes nothing', async (place) => {
  const store = await place.open();
  assert.equal(await store.loadMeta(), undefined);
  await store.initialize(meta, { version: 0, round: 0, parameters: new Float32Array([1, 2]), createdAt: 0 });
  assert.deepEqual(await store.loadMeta(), meta);
  await store.openRound(round1);
  await assert.rejects(store.openRound({ ...round1, round: 2 }), StateStoreError, 'a second open round is refused');
  assert.deepEqual(await store.openRoundRecord(), round1);
  assert.deepEqual(await store.acceptUpdate(update('a', 'd1', [0.5, -1])), { kind: 'accepted', count: 1 });
  assert.deepEqual(await store.acceptUpdate(update('a', 'd1', [0.5, -1])), { kind: 'duplicate' });
  assert.deepEqual(await store.acceptUpdate(update('a', 'other', [9, 9])), { kind: 'conflict' });
  assert.deepEqual(await store.acceptUpdate(update('c', 'd3', [0.25, 3])), { kind: 'accepted', count: 2 });
  assert.deepEqual(await store.acceptUpdate(update('x', 'd9', [1, 1], 7)), { kind: 'closed' }, 'a round that never opened takes nothing');
  const stored = await store.updatesOf(1);
  assert.deepEqual(stored.map((u) => u.clientId), ['a', 'c'], 'acceptance order');
  assert.deepEqual(Array.from(stored[0].delta), [0.5, -1]);
  assert.deepEqual(stored[0].metrics, { loss: 0.5 });
  assert.equal(stored[1].digest, 'd3');
  await store.closeRound({
    round: 1,
    status: 'completed',
    closedAt: 9,
    aggregated: ['a', 'c'],
    dropped: ['b'],
    metrics: { clients: 2, trainLoss: 0.1 + 0.2 },
    checkpoint: { version: 1, round: 1, parameters: new Float32Array([1.5, 1]), createdAt: 9 },
  });
  assert.deepEqual(await store.acceptUpdate(update('b', 'd2', [1, 1])), { kind: 'closed' });
  assert.equal(await store.updateDigest(1, 'a'), 'd1', 'the digest outlives the body, so a late retry is still recognised');
  assert.equal(await store.updateDigest(1, 'b'), undefined);
  assert.deepEqual(await store.acceptUpdate(update('a', 'd1', [0.5, -1])), { kind: 'duplicate' }, 'a retry after the close is still a duplicate');
  await assert.rejects(store.closeRound({ round: 1, status: 'failed', closedAt: 10, aggregated: [], dropped: [], metrics: {} }), StateStoreError);
  assert.equal(await store.openRoundRecord(), undefined);
  await store.close();

  const reopened = await place.open();
  const latest = await reopened.latestCheckpoint();
  assert.equal(latest.version, 1);
  assert.deepEqual(Array.from(latest.parameters), [1.5, 1]);
  assert.deepEqual(Array.from((await reopened.checkpoint(0))!.parameters), [1, 2]);
  assert.equal(await reopened.checkpoint(5), undefined);
  const rounds = await reopened.listRounds();
  assert.equal(rounds.length, 1);
  assert.deepEqual(rounds[0], { ...round1, status: 'completed', closedAt: 9, aggregated: ['a', 'c'], dropped: ['b'], metrics: { clients: 2, trainLoss: 0.1 + 0.2 } }, 'metrics round-trip exactly');
  assert.equal(await reopened.openRoundRecord(), undefined);
  await assert.rejects(reopened.initialize(meta, { version: 0, round: 0, parameters: new Float32Array(2), createdAt: 0 }), StateStoreError);
  await reopened.close();
});

contract('a checkpoint keeps the strategy state bytes it was written with', async (place) => {
  const store = await place.open();
  await store.initialize(meta, { version: 0, round: 0, parameters: new Float32Array([0]), createdAt: 0 });
  await store.openRound(round1);
  const state = Uint8Array.from({ length: 300 }, (_, i) => (i * 37) % 256);
  await store.closeRound({ round: 1, status: 'completed', closedAt: 3, aggregated: [], dropped: [], metrics: {}, checkpoint: { version: 1, round: 1, parameters: new Float32Array([2]), createdAt: 3, state } });
  await store.close();
  const reopened = await place.open();
  assert.deepEqual(Array.from((await reopened.latestCheckpoint()).state ?? []), Array.from(state));
  assert.deepEqual(Array.from((await reopened.checkpoint(1))!.state ?? []), Array.from(state));
  assert.equal((await reopened.checkpoint(0))!.state, undefined);
  await reopened.close();
});

contract('the secure-aggregation journal: appended in order while the round is open, kept across a reopen, deleted by the close', async (place) => {
  const store = await place.open();
  await store.initialize(meta, { version: 0, round: 0, parameters: new Float32Array([0]), createdAt: 0 });
  assert.equal(await store.appendSecureEntry(1, '{"kind":"session"}'), 'closed', 'no round is open');
  await store.openRound(round1);
  assert.deepEqual(await store.secureEntries(1), []);
  const entries = ['{"kind":"session"}', ...Array.from({ length: 12 }, (_, i) => JSON.stringify({ kind: 'reply', index: i, wire: 'é'.repeat(i) }))];
  for (const e of entries) assert.equal(await store.appendSecureEntry(1, e), 'appended');
  assert.equal(await store.appendSecureEntry(2, '{}'), 'closed', 'only the open round takes entries');
  await store.close();
  const reopened = await place.open();
  assert.deepEqual(await reopened.secureEntries(1), entries, 'a restart reads the same entries in the same order');
  assert.deepEqual(await reopened.secureEntries(1, 5), entries.slice(5), 'from an offset: only the entries after it');
  assert.deepEqual(await reopened.secureEntries(1, entries.length), [], 'from the end: nothing');
  await reopened.closeRound({ round: 1, status: 'completed', closedAt: 3, aggregated: ['a'], dropped: [], metrics: {}, checkpoint: { version: 1, round: 1, parameters: new Float32Array([1]), createdAt: 3 } });
  assert.deepEqual(await reopened.secureEntries(1), [], 'the close deletes the journal');
  assert.equal((await reopened.latestCheckpoint()).state, undefined, 'a checkpoint without strategy state reads back without one');
  assert.equal(await reopened.appendSecureEntry(1, '{}'), 'closed');
  await reopened.close();
});

contract('round numbers are never reused; a failed round keeps the model; metrics can be added after the close', async (place) => {
  const store = await place.open();
  await store.initialize(meta, { version: 0, round: 0, parameters: new Float32Array([0]), createdAt: 0 });
  await store.openRound(round1);
  await store.acceptUpdate(update('a', 'd', [1]));
  await store.closeRound({ round: 1, status: 'failed', closedAt: 3, aggregated: [], dropped: ['a', 'b'], metrics: { skipped: 1 }, keepUpdateBodies: true });
  assert.equal((await store.latestCheckpoint()).version, 0, 'a failed round writes no checkpoint');
  assert.deepEqual(Array.from((await store.updatesOf(1))[0].delta), [1], 'keepUpdateBodies keeps the bodies');
  await assert.rejects(store.openRound(round1), StateStoreError, 'round 1 exists');
  await store.openRound({ ...round1, round: 2, seed: 8 });
  await store.closeRound({
    round: 2,
    status: 'completed',
    closedAt: 4,
    aggregated: [],
    dropped: [],
    metrics: { clients: 0 },
    checkpoint: { version: 1, round: 2, parameters: new Float32Array([4]), createdAt: 4 },
  });
  assert.equal((await store.updatesOf(2)).length, 0);
  await store.addRoundMetrics(2, { accuracy: 0.75, loss: 1.25 });
  await assert.rejects(store.addRoundMetrics(9, { accuracy: 1 }), StateStoreError);
  const rounds = await store.listRounds();
  assert.deepEqual(rounds.map((r) => [r.round, r.status]), [[1, 'failed'], [2, 'completed']]);
  assert.deepEqual(rounds[1].metrics, { clients: 0, accuracy: 0.75, loss: 1.25 });
  await store.close();
});

contract('a close that read fewer updates than the round holds is refused and writes nothing', async (place) => {
  const store = await place.open();
  await store.initialize(meta, { version: 0, round: 0, parameters: new Float32Array([0]), createdAt: 0 });
  await store.openRound(round1);
  await store.acceptUpdate(update('a', 'da', [1]));
  const read = await store.updatesOf(1);
  await store.acceptUpdate(update('b', 'db', [2])); // arrives after the closer's read
  const close = (n: number) =>
    store.closeRound({ round: 1, status: 'completed', closedAt: 3, aggregated: ['a'], dropped: [], metrics: {}, expectedUpdates: n, checkpoint: { version: 1, round: 1, parameters: new Float32Array([1]), createdAt: 3 } });
  await assert.rejects(close(read.length), (e: unknown) => e instanceof RoundUpdatesChangedError && /holds 2/.test((e as Error).message));
  assert.equal((await store.openRoundRecord())?.round, 1, 'still open');
  assert.equal((await store.latestCheckpoint()).version, 0, 'no checkpoint written');
  assert.equal((await store.acceptUpdate(update('c', 'dc', [3]))).kind, 'accepted', 'still accepting');
  await close(3);
  assert.equal((await store.listRounds())[0].status, 'completed');
  await store.close();
});

contract('client registration keeps the first token (and weight) for an id', async (place) => {
  const store = await place.open();
  assert.equal(await store.registerClient({ id: 'c1', tokenHash: 'h1', numExamples: 4, weight: 1, registeredAt: 1 }), 'created');
  assert.equal(await store.registerClient({ id: 'c1', tokenHash: 'h2', numExamples: 9, weight: 9, registeredAt: 2 }), 'exists');
  assert.equal(await store.registerClient({ id: 'c0', tokenHash: 'h0', numExamples: 2, weight: 2, registeredAt: 1 }), 'created');
  assert.deepEqual(await store.listClients(), [
    { id: 'c0', tokenHash: 'h0', numExamples: 2, weight: 2, registeredAt: 1 },
    { id: 'c1', tokenHash: 'h1', numExamples: 4, weight: 1, registeredAt: 1 },
  ]);
  await store.close();
});

contract('an invite enrols one client: used atomically with the registration, unknown or used codes refused', async (place) => {
  const store = await place.open();
  await store.addInvites([
    { codeHash: 'i1', createdAt: 5 },
    { codeHash: 'i2', clientId: 'bound', numExamples: 40, createdAt: 6 },
  ]);
  assert.deepEqual(await store.invite('i2'), { codeHash: 'i2', clientId: 'bound', numExamples: 40, createdAt: 6 });
  assert.equal(await store.invite('nope'), undefined);
  const client = (id: string, hash: string) => ({ id, tokenHash: hash, numExamples: 1, weight: 1, registeredAt: 7 });
  assert.equal(await store.registerClient(client('a', 'ha'), 'nope'), 'invite-unusable', 'an unknown code');
  assert.equal(await store.registerClient(client('a', 'ha'), 'i1'), 'created');
  assert.deepEqual(await store.invite('i1'), { codeHash: 'i1', createdAt: 5, redeemedBy: 'a' });
  assert.equal(await store.registerClient(client('b', 'hb'), 'i1'), 'invite-unusable', 'a used code');
  assert.equal(await store.registerClient(client('a', 'hx'), 'i2'), 'exists', 'a taken id');
  assert.equal((await store.invite('i2'))?.redeemedBy, undefined, 'a refused registration leaves the code unused');
  assert.deepEqual((await store.listClients()).map((c) => c.id), ['a']);
  await store.close();
});

contract('two connections racing: every client accepted once, and an update is either in the round that closed or refused', async (place) => {
  const first = await place.open();
  const second = await place.open();
  await first.initialize(meta, { version: 0, round: 0, parameters: new Float32Array([0, 0]), createdAt: 0 });
  // both try to open round 1: exactly one succeeds
  const opens = await Promise.allSettled([first.openRound(round1), second.openRound({ ...round1, seed: 99 })]);
  assert.equal(opens.filter((o) => o.status === 'fulfilled').length, 1);
  const clients = Array.from({ length: 60 }, (_, i) => `c${i}`);
  // every client submits the same update through both connections at once
  const outcomes = await Promise.all(clients.flatMap((id, i) => [first, second].map((s) => s.acceptUpdate(update(id, `d-${id}`, [i, 1])))));
  const accepted = outcomes.filter((o) => o.kind === 'accepted').length;
  const duplicates = outcomes.filter((o) => o.kind === 'duplicate').length;
  assert.equal(accepted, clients.length, 'each client accepted exactly once');
  assert.equal(duplicates, clients.length, 'the second submission of each client is a duplicate');
  assert.equal(outcomes.filter((o) => o.kind === 'conflict' || o.kind === 'closed').length, 0);
  const stored = await second.updatesOf(1);
  assert.equal(stored.length, clients.length);
  assert.equal(new Set(stored.map((u) => u.clientId)).size, clients.length);
  // now close through one connection while the other keeps submitting new clients
  const late = Array.from({ length: 40 }, (_, i) => `late${i}`);
  const closing = first.closeRound({ round: 1, status: 'completed', closedAt: 9, aggregated: [], dropped: [], metrics: {}, checkpoint: { version: 1, round: 1, parameters: new Float32Array([1, 1]), createdAt: 9 } });
  const lateOutcomes = await Promise.all(late.map((id) => second.acceptUpdate(update(id, `d-${id}`, [1, 1]))));
  await closing;
  for (const [i, id] of late.entries()) {
    const digest = await first.updateDigest(1, id);
    if (lateOutcomes[i].kind === 'accepted') assert.equal(digest, `d-${id}`, `${id} acknowledged but not stored`);
    else assert.equal(lateOutcomes[i].kind, 'closed');
    if (lateOutcomes[i].kind === 'closed') assert.equal(digest, undefined, `${id} refused but stored`);
  }
  await assert.rejects(
    second.closeRound({ round: 1, status: 'completed', closedAt: 10, aggregated: [], dropped: [], metrics: {}, checkpoint: { version: 1, round: 1, parameters: new Float32Array([2, 2]), createdAt: 10 } }),
    StateStoreError,
    'a second close of the same round is refused',
  );
  assert.deepEqual(Array.from((await second.latestCheckpoint()).parameters), [1, 1], 'the first close\'s checkpoint stands');
  await first.close();
  await second.close();
});

test('sqlite: an unwritable state path is a StateStoreError naming the file', () => {
  assert.throws(() => new SqliteFederationStore('/nonexistent-dir/x/state.db'), (e: unknown) => e instanceof StateStoreError && /nonexistent-dir/.test((e as Error).message));
});

describe('redis only', () => {
  const redisTest = (name: string, body: () => Promise<void>) =>
    test(name, async (t: TestContext) => {
      if (!redisInstalled()) {
        t.skip(REDIS_MISSING);
        return;
      }
      await body();
    });

  test('a bad redis URL is a ConfigError that shows the expected form', async () => {
    for (const url of ['redis://', 'redis://host:6379/zero', 'redis://host:6379/0?x=1', 'http://host:6379']) {
      await assert.rejects(RedisFederationStore.connect(url), (e: unknown) => e instanceof ConfigError && /redis:\/\/host:port\[\/db\]/.test((e as Error).message), url);
    }
    await assert.rejects(RedisFederationStore.connect('redis://:secret@127.0.0.1:1/x'), (e: unknown) => e instanceof ConfigError && !/secret/.test((e as Error).message), 'the password is not echoed');
    await assert.rejects(RedisFederationStore.connect('redis://127.0.0.1:6379', { prefix: 'bad prefix' }), ConfigError);
  });

  test('an unreachable Redis is a StateStoreError naming the URL (no password)', async () => {
    const port = await freePort();
    await assert.rejects(
      openFederationStore({ location: `redis://:hunter2@127.0.0.1:${port}/3`, redisPrefix: 'x' }),
      (e: unknown) => e instanceof StateStoreError && (e as Error).message.includes(`redis://127.0.0.1:${port}/3`) && !(e as Error).message.includes('hunter2'),
    );
  });

  redisTest('two federations share one Redis under different prefixes; parameters and updates are stored as raw float32 bytes', async () => {
    const a = await connect(redis!.url, { prefix: 'fed-a' });
    const b = await connect(`${redis!.url}/0`, { prefix: 'fed-b:' });
    assert.equal(a.prefix, 'fed-a:');
    await a.initialize(meta, { version: 0, round: 0, parameters: new Float32Array([1, 2, 3]), createdAt: 0 });
    assert.equal(await b.loadMeta(), undefined, 'b does not see a');
    await b.initialize({ ...meta, config: 'other' }, { version: 0, round: 0, parameters: new Float32Array([7]), createdAt: 0 });
    await a.openRound(round1);
    assert.equal(await b.openRoundRecord(), undefined);
    await a.acceptUpdate(update('a', 'd', [0.5, -1]));
    const raw = new Redis(redis!.url);
    try {
      const body = await raw.hgetBuffer('fed-a:body:1', 'a');
      assert.ok(Buffer.isBuffer(body) && body.length === 8, 'the delta is 2 float32 = 8 bytes, not JSON');
      assert.deepEqual([body.readFloatLE(0), body.readFloatLE(4)], [0.5, -1]);
      assert.equal((await raw.hgetBuffer('fed-b:ckpt:0', 'params'))!.length, 4);
    } finally {
      raw.disconnect();
    }
    assert.deepEqual(Array.from((await b.latestCheckpoint()).parameters), [7]);
    await a.close();
    await b.close();
  });

  redisTest('shared state: check-ins, token lookup, snapshot and leases', async () => {
    const store = await connect(redis!.url, { prefix: `shared-${process.pid}` });
    const other = await connect(redis!.url, { prefix: `shared-${process.pid}` });
    await store.initialize(meta, { version: 0, round: 0, parameters: new Float32Array([0]), createdAt: 0 });
    await store.registerClient({ id: 'b', tokenHash: 'hb', numExamples: 5, weight: 2, registeredAt: 1 });
    await store.registerClient({ id: 'a', tokenHash: 'ha', numExamples: 3, weight: 1, registeredAt: 1 });
    assert.deepEqual(await other.clientByTokenHash('ha'), { id: 'a', tokenHash: 'ha', numExamples: 3, weight: 1, registeredAt: 1 });
    assert.equal(await other.clientByTokenHash('nope'), undefined);
    assert.deepEqual(await store.snapshot(), { openAccepted: 0, latestVersion: 0, lastRound: 0, registeredClients: 2 });
    await store.markSeen('b', 100);
    await other.markSeen('a', 50);
    await other.markSeen('ghost', 100); // not registered: never available
    assert.deepEqual(await store.clientsSeenSince(50), [{ id: 'a', weight: 1 }, { id: 'b', weight: 2 }]);
    assert.deepEqual(await store.clientsSeenSince(60), [{ id: 'b', weight: 2 }]);
    assert.equal(await store.countSeenSince(60), 2, 'the count includes unregistered ids (an upper bound; selection uses the list)');
    await store.openRound({ ...round1, round: 1 });
    await other.acceptUpdate(update('a', 'd', [1]));
    assert.deepEqual(await store.markSeen('a', 120), { openRound: 1, openAccepted: 1, latestVersion: 0, lastRound: 1, registeredClients: 2 });
    const lease = await store.tryLock('round', 10_000);
    assert.ok(lease);
    assert.equal(await other.tryLock('round', 10_000), undefined, 'one holder at a time');
    await other.unlock('round', 'not-the-token');
    assert.equal(await other.tryLock('round', 10_000), undefined, 'a wrong token releases nothing');
    await store.unlock('round', lease!);
    const next = await other.tryLock('round', 50);
    assert.ok(next, 'free after release');
    await new Promise((r) => setTimeout(r, 120));
    assert.ok(await store.tryLock('round', 1000), 'a lease expires (a holder that died does not block forever)');
    await store.close();
    await other.close();
  });

  redisTest('appendfsync always: an acknowledged update survives kill -9 of redis-server', async () => {
    const store = await connect(redis!.url, { prefix: 'durable' });
    await store.initialize(meta, { version: 0, round: 0, parameters: new Float32Array([1]), createdAt: 0 });
    await store.openRound(round1);
    assert.equal((await store.acceptUpdate(update('a', 'd1', [0.5]))).kind, 'accepted');
    await store.close();
    await redis!.crash();
    await redis!.restart();
    const reopened = await connect(redis!.url, { prefix: 'durable' });
    const stored = await reopened.updatesOf(1);
    assert.deepEqual(stored.map((u) => [u.clientId, Array.from(u.delta)]), [['a', [0.5]]]);
    assert.equal((await reopened.openRoundRecord())?.round, 1);
    await reopened.close();
  });
});
