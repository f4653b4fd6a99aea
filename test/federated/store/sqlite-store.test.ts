/** The SQLite store's atomic steps: one update per (round, client), no update into a closed round, durable across reopen. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteFederationStore, StateStoreError, type StoredRound, type UpdateRecord } from '../../../src/federated/store/index.js';

function tempFile(): { path: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'trustnlu-store-'));
  return { path: join(dir, 'state.db'), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

const round1: StoredRound = {
  round: 1,
  modelVersion: 0,
  status: 'open',
  seed: 7,
  available: '[]',
  selected: ['a', 'b'],
  openedAt: 1,
  deadline: 100,
  aggregated: [],
  dropped: [],
  metrics: {},
};

function update(clientId: string, digest: string, values: number[]): UpdateRecord {
  return { round: 1, clientId, digest, numExamples: 3, metrics: { loss: 0.5 }, delta: Float32Array.from(values), acceptedAt: 5 };
}

test('accepts an update once; an identical retry is a duplicate, a different one a conflict; a closed round takes nothing', async () => {
  const { path, cleanup } = tempFile();
  try {
    const store = new SqliteFederationStore(path);
    await store.initialize({ schema: 1, config: '{}', createdAt: 0 }, { version: 0, round: 0, parameters: new Float32Array([1, 2]), createdAt: 0 });
    await store.openRound(round1);
    await assert.rejects(store.openRound({ ...round1, round: 2 }), StateStoreError, 'a second open round is refused');
    assert.deepEqual(await store.acceptUpdate(update('a', 'd1', [0.5, -1])), { kind: 'accepted' });
    assert.deepEqual(await store.acceptUpdate(update('a', 'd1', [0.5, -1])), { kind: 'duplicate' });
    assert.deepEqual(await store.acceptUpdate(update('a', 'other', [9, 9])), { kind: 'conflict' });
    const stored = await store.updatesOf(1);
    assert.equal(stored.length, 1);
    assert.deepEqual(Array.from(stored[0].delta), [0.5, -1]);
    await store.closeRound({
      round: 1,
      status: 'completed',
      closedAt: 9,
      aggregated: ['a'],
      dropped: ['b'],
      metrics: { clients: 1 },
      checkpoint: { version: 1, round: 1, parameters: new Float32Array([1.5, 1]), createdAt: 9 },
    });
    assert.deepEqual(await store.acceptUpdate(update('b', 'd2', [1, 1])), { kind: 'closed' });
    assert.equal(await store.updateDigest(1, 'a'), 'd1', 'the digest outlives the body, so a late retry is still recognised');
    await assert.rejects(store.closeRound({ round: 1, status: 'failed', closedAt: 10, aggregated: [], dropped: [], metrics: {} }), StateStoreError);
    await store.close();

    const reopened = new SqliteFederationStore(path);
    const latest = await reopened.latestCheckpoint();
    assert.equal(latest.version, 1);
    assert.deepEqual(Array.from(latest.parameters), [1.5, 1]);
    const rounds = await reopened.listRounds();
    assert.equal(rounds.length, 1);
    assert.equal(rounds[0].status, 'completed');
    assert.deepEqual(rounds[0].aggregated, ['a']);
    assert.deepEqual(rounds[0].dropped, ['b']);
    assert.equal(await reopened.openRoundRecord(), undefined);
    await assert.rejects(
      reopened.initialize({ schema: 1, config: '{}', createdAt: 0 }, { version: 0, round: 0, parameters: new Float32Array(2), createdAt: 0 }),
      StateStoreError,
    );
    await reopened.close();
  } finally {
    cleanup();
  }
});

test('client registration keeps the first token for an id', async () => {
  const store = new SqliteFederationStore(':memory:');
  assert.equal(await store.registerClient({ id: 'c1', tokenHash: 'h1', numExamples: 4, registeredAt: 1 }), 'created');
  assert.equal(await store.registerClient({ id: 'c1', tokenHash: 'h2', numExamples: 9, registeredAt: 2 }), 'exists');
  await store.updateClientExamples('c1', 6);
  assert.deepEqual(await store.listClients(), [{ id: 'c1', tokenHash: 'h1', numExamples: 6, registeredAt: 1 }]);
  await store.close();
});

test('an unwritable state path is a StateStoreError naming the file', () => {
  assert.throws(() => new SqliteFederationStore('/nonexistent-dir/x/state.db'), (e: unknown) => e instanceof StateStoreError && /nonexistent-dir/.test((e as Error).message));
});
