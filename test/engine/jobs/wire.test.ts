/**
 * The queue's wire format and address parsing, without Redis: values round-trip bit for bit,
 * a large array shared by many jobs is stored once, a damaged blob is refused, bad addresses
 * are one line naming the form.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  decodeValue,
  encodeValue,
  encodeWithBlobs,
  isDeterministicFailure,
  parseQueueAddress,
  queueAddressWarning,
  reconnectDelayMs,
  resolveBlobs,
  BLOB_THRESHOLD_BYTES,
  contentHash,
} from '../../../src/engine/jobs/index.js';
import { ConfigError, NonFiniteError, QueueJobError } from '../../../src/errors.js';
import { WorkerCrashError, WorkerJobError } from '../../../src/engine/workers/index.js';
import { seededValues } from '../../helpers.js';

test('jobs round-trip through blobs bit for bit; a shared array is stored and hashed once', async () => {
  const big = seededValues(BLOB_THRESHOLD_BYTES / 4 + 10, 1);
  big[3] = NaN;
  big[4] = -0;
  const known = new WeakMap<ArrayBufferView, string>();
  const store = new Map<string, Buffer>();
  const jobs = [0, 1, 2].map((i) => ({ type: 'fit', clientId: `c${i}`, indices: Int32Array.from([i, i + 1]), parameters: big, nested: { list: [big] } }));
  const encoded = jobs.map((job) => encodeWithBlobs(job, known));
  for (const e of encoded) for (const b of e.blobs) store.set(b.hash, b.bytes);
  assert.equal(store.size, 1, 'one blob for the one large array');
  assert.ok(encoded.every((e) => e.payload.byteLength < 1000), 'payloads hold references, not the array');
  for (let i = 0; i < jobs.length; i++) {
    const back = (await resolveBlobs(decodeValue(encoded[i].payload, 'job'), async (h) => store.get(h)!)) as typeof jobs[number];
    assert.equal(back.clientId, `c${i}`);
    assert.deepEqual([...back.indices], [i, i + 1]);
    assert.ok(back.parameters instanceof Float32Array);
    assert.deepEqual(Buffer.from(back.parameters.buffer, back.parameters.byteOffset, back.parameters.byteLength), Buffer.from(big.buffer));
    assert.ok(back.parameters !== back.nested.list[0], 'each reference gets its own copy (a pool may transfer it)');
  }
});

test('a view of shared memory (the local pool\'s broadcast) is copied, small or large', async () => {
  const shared = new Float32Array(new SharedArrayBuffer(16));
  shared.set([1, 2, 3, 4]);
  const { payload } = encodeWithBlobs({ p: shared }, new WeakMap());
  const back = decodeValue(payload, 'job') as { p: Float32Array };
  assert.deepEqual([...back.p], [1, 2, 3, 4]);
});

test('a blob whose bytes do not match its hash is refused', async () => {
  const big = seededValues(BLOB_THRESHOLD_BYTES / 4, 2);
  const { payload, blobs } = encodeWithBlobs({ p: big }, new WeakMap());
  const tampered = Buffer.from(blobs[0].bytes);
  tampered[0] ^= 1;
  await assert.rejects(resolveBlobs(decodeValue(payload, 'job'), async () => tampered), (e: Error) => e instanceof QueueJobError && /does not match its hash/.test(e.message));
});

test('values that cannot cross Redis fail with one line', () => {
  assert.throws(() => encodeValue({ f: () => 1 }), (e: Error) => e instanceof QueueJobError && /plain data/.test(e.message));
  assert.throws(() => decodeValue(Buffer.from('not v8'), 'the result of job x'), (e: Error) => e instanceof QueueJobError && /the result of job x/.test(e.message));
});

test('queue addresses: the accepted forms, and one line naming the fix for the rest', () => {
  const a = parseQueueAddress('redis://127.0.0.1:6379');
  assert.deepEqual([a.host, a.port, a.db, a.tls, a.display], ['127.0.0.1', 6379, 0, false, 'redis://127.0.0.1:6379/0']);
  const b = parseQueueAddress('rediss://:s3cret@queue.internal:6380/2');
  assert.deepEqual([b.host, b.port, b.db, b.tls, b.hasPassword], ['queue.internal', 6380, 2, true, true]);
  assert.ok(!b.display.includes('s3cret'), 'the display form never shows the password');
  for (const [bad, why] of [
    ['http://x:1', /scheme must be redis/],
    ['redis://host', /no port/],
    ['redis://host:6379/x', /database must be a number/],
    ['redis://host:6379/16', /0–15/],
    ['localhost:6379', /scheme|not a URL/],
    ['redis://:pw@host:6379/x', /database/],
  ] as const) {
    assert.throws(() => parseQueueAddress(bad), (e: Error) => e instanceof ConfigError && why.test(e.message) && !e.message.includes('\n') && !e.message.includes('pw@'), bad);
  }
});

test('a queue on a possibly public address without TLS or password earns a warning; loopback does not', () => {
  assert.equal(queueAddressWarning(parseQueueAddress('redis://127.0.0.1:6379')), undefined);
  assert.equal(queueAddressWarning(parseQueueAddress('rediss://:pw@203.0.113.5:6380')), undefined);
  assert.match(queueAddressWarning(parseQueueAddress('redis://203.0.113.5:6379'))!, /no password and no TLS/);
  assert.match(queueAddressWarning(parseQueueAddress('redis://10.0.0.5:6379'))!, /no password/);
  assert.equal(queueAddressWarning(parseQueueAddress('redis://:pw@10.0.0.5:6379')), undefined);
});

test('which failures are retried: crashes and foreign errors yes, a job\'s own trustnlu error no', () => {
  assert.equal(isDeterministicFailure(new ConfigError('x')), true);
  assert.equal(isDeterministicFailure(new NonFiniteError('x')), true);
  assert.equal(isDeterministicFailure(new WorkerCrashError('x')), false);
  assert.equal(isDeterministicFailure(new WorkerJobError('x', 'RangeError')), false);
  assert.equal(isDeterministicFailure(new QueueJobError('x')), false);
  assert.equal(isDeterministicFailure(new Error('x')), false);
});

test('reconnect delays double from 100 ms to a 5 s ceiling', () => {
  assert.deepEqual([1, 2, 3, 4, 5, 6, 7, 8, 20].map(reconnectDelayMs), [100, 200, 400, 800, 1600, 3200, 5000, 5000, 5000]);
});

test('contentHash: the same content hashes the same however it was built or serialized; any change of a value, type or key changes it', () => {
  const data = { train: { task: 'classifier', ids: Int32Array.from([1, 2, 3]), targets: Int32Array.from([0, 1, 0]) }, evaluation: { list: ['a', 'b'], n: 0.1 } };
  const sameOtherOrder = { evaluation: { n: 0.1, list: ['a', 'b'] }, train: { targets: Int32Array.from([0, 1, 0]), ids: Int32Array.from([1, 2, 3]), task: 'classifier' } };
  const h = contentHash(data);
  assert.match(h, /^[0-9a-f]{64}$/);
  assert.equal(contentHash(sameOtherOrder), h);
  assert.equal(contentHash(decodeValue(encodeValue(data), 'test')), h);
  assert.equal(contentHash({ ...data, extra: undefined }), h);
  const variants = [
    { ...data, train: { ...data.train, ids: Int32Array.from([1, 2, 4]) } },
    { ...data, train: { ...data.train, ids: Uint32Array.from([1, 2, 3]) } },
    { ...data, evaluation: { list: ['a', 'b'], n: 0.1000001 } },
    { ...data, evaluation: { list: ['ab'], n: 0.1 } },
    { ...data, evaluation: { list: ['a', 'b'], m: 0.1 } },
    { ...data, evaluation: { list: ['a', 'b'], n: '0.1' } },
  ];
  const hashes = new Set(variants.map((v) => contentHash(v)));
  assert.equal(hashes.size, variants.length);
  assert.ok(!hashes.has(h));
  assert.notEqual(contentHash({ x: 0 }), contentHash({ x: -0 }));
});
