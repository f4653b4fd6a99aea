/**
 * The secure-aggregation protocol end to end, in process: the unmasked result equals the
 * fixed-point plain sum bit for bit (computed independently with BigInt) under dropouts at
 * every stage; too many dropouts fail with SecAggDropoutError; tampered or misrouted
 * ciphertexts are rejected; out-of-order messages are refused; a WebCrypto client works with
 * a node:crypto server.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRandom } from '../../../src/engine/random.js';
import {
  SecAggClient,
  SecAggDropoutError,
  SecAggIntegrityError,
  SecAggProtocolError,
  SecAggServer,
  runSecureAggregation,
  webSecAggCrypto,
  type FixedPointEncoding,
  type ScriptedDropouts,
} from '../../../src/federated/secagg/index.js';

function inputsFor(n: number, m: number, seed: number): Float32Array[] {
  const rng = new SeededRandom(seed);
  return Array.from({ length: n }, () => Float32Array.from({ length: m }, () => (rng.next() * 2 - 1) * 1.2));
}

/** Σ round(clamp(x, ±R)·2^f) over `included`, mod 2^32, by BigInt arithmetic (independent of the ring code). */
function referenceRingSum(inputs: Float32Array[], included: number[], e: FixedPointEncoding): number[] {
  const m = inputs[0].length;
  const out: number[] = [];
  for (let j = 0; j < m; j++) {
    let s = 0n;
    for (const u of included) {
      const v = Math.min(e.range, Math.max(-e.range, inputs[u][j]));
      s += BigInt(Math.round(v * 2 ** e.fractionalBits));
    }
    out.push(Number(((s % 2n ** 32n) + 2n ** 32n) % 2n ** 32n));
  }
  return out;
}

function pick(n: number, count: number, seed: number, exclude: Set<number> = new Set()): number[] {
  const order = new SeededRandom(seed).permutation(n).filter((i) => !exclude.has(i));
  return order.slice(0, count).sort((a, b) => a - b);
}

const STAGES = ['afterAdvertise', 'afterShareKeys', 'afterMaskedInput'] as const;

test('secure sum equals the fixed-point plain sum exactly with 0%, 10% and 30% dropouts at each stage (n = 20, complete graph)', async () => {
  const n = 20;
  const inputs = inputsFor(n, 257, 1);
  for (const stage of STAGES) {
    for (const fraction of [0, 0.1, 0.3]) {
      const dropped = pick(n, Math.round(fraction * n), 17 + STAGES.indexOf(stage));
      const result = await runSecureAggregation({ inputs, dropouts: { [stage]: dropped } });
      // a client whose masked input arrived is in the sum even if it drops afterwards
      const expectedIncluded = stage === 'afterMaskedInput' ? [...Array(n).keys()] : [...Array(n).keys()].filter((u) => !dropped.includes(u));
      assert.deepEqual(result.included, expectedIncluded, `${stage} ${fraction}`);
      assert.deepEqual([...result.sum], referenceRingSum(inputs, expectedIncluded, result.encoding), `${stage} ${fraction}: bit-identical ring sum`);
      // and the decoded sum is the float sum up to the fixed-point rounding (inputs beyond ±R clipped)
      const step = 2 ** -result.encoding.fractionalBits;
      for (let j = 0; j < 257; j += 16) {
        const plain = expectedIncluded.reduce((s, u) => s + Math.min(1, Math.max(-1, inputs[u][j])), 0);
        assert.ok(Math.abs(result.values[j] - plain) <= (expectedIncluded.length * step) / 2 + 1e-12);
      }
    }
  }
});

test('SecAgg+ sparse graph (n = 40, k = 10, t = 6): exact with 10% dropping at every stage in turn', async () => {
  const n = 40;
  const inputs = inputsFor(n, 64, 2);
  const permutation = new SeededRandom(5).permutation(n);
  const gone = new Set<number>();
  const dropouts: ScriptedDropouts = {};
  for (const [s, stage] of STAGES.entries()) {
    dropouts[stage] = pick(n, 4, 30 + s, gone);
    for (const u of dropouts[stage]!) gone.add(u);
  }
  const result = await runSecureAggregation({ inputs, neighbours: 10, threshold: 6, permutation, dropouts });
  const before = new Set([...dropouts.afterAdvertise!, ...dropouts.afterShareKeys!]);
  const included = [...Array(n).keys()].filter((u) => !before.has(u));
  assert.deepEqual(result.included, included);
  assert.deepEqual(result.counts, { invited: 40, advertised: 40, shared: 36, masked: 32, unmasked: 28 });
  assert.deepEqual([...result.sum], referenceRingSum(inputs, included, result.encoding));
});

test('too many dropouts fail with SecAggDropoutError naming the threshold, before or at unmasking', async () => {
  const inputs = inputsFor(10, 8, 3);
  // t = 6 of k = 9: five clients gone after masked input leave 4 holders per secret
  await assert.rejects(
    runSecureAggregation({ inputs, threshold: 6, dropouts: { afterShareKeys: [0, 1, 2, 3, 4] } }),
    (error: Error) => error instanceof SecAggDropoutError && /too many dropouts: only 4 surviving neighbours .* threshold t = 6/.test(error.message),
  );
  // survivors that stop answering at unmasking: detected when the shares are counted
  const server = new SecAggServer({ numClients: 10, vectorLength: 8, threshold: 6 });
  const clients = inputs.map(() => new SecAggClient());
  for (const r of server.advertiseRequests()) server.receiveAdvertiseKeys(await clients[r.index].advertiseKeys(r));
  for (const r of server.closeAdvertiseKeys()) server.receiveShareKeys(await clients[r.index].shareKeys(r));
  for (const r of server.closeShareKeys()) server.receiveMaskedInput(await clients[r.index].maskedInput(r, inputs[r.index]));
  const unmask = server.closeMaskedInput();
  for (const r of unmask.slice(0, 5)) server.receiveUnmask(await clients[r.index].unmask(r));
  await assert.rejects(server.finish(), (error: Error) => error instanceof SecAggDropoutError && /4 shares of client 0's self-mask seed arrived, fewer than the threshold t = 6 \(5 of 10 survivors answered\)/.test(error.message));
  // every client advertised but none is left with t live neighbours
  await assert.rejects(runSecureAggregation({ inputs, dropouts: { beforeAdvertise: [0, 1, 2, 3, 4, 5] } }), SecAggDropoutError);
});

async function toShareStage(n: number) {
  const server = new SecAggServer({ numClients: n, vectorLength: 4 });
  const clients = Array.from({ length: n }, () => new SecAggClient());
  for (const r of server.advertiseRequests()) server.receiveAdvertiseKeys(await clients[r.index].advertiseKeys(r));
  for (const r of server.closeAdvertiseKeys()) server.receiveShareKeys(await clients[r.index].shareKeys(r));
  return { server, clients, requests: server.closeShareKeys() };
}

test('a tampered, truncated or misrouted share ciphertext is rejected by the receiving client', async () => {
  const input = [0.1, 0.2, 0.3, 0.4];
  {
    const { clients, requests } = await toShareStage(4);
    const r = requests[1];
    r.shares[0].ciphertext[20] ^= 0x01;
    await assert.rejects(clients[1].maskedInput(r, input), (e: Error) => e instanceof SecAggIntegrityError && /client 1: the share from client 0 failed authentication/.test(e.message));
    assert.equal(clients[1].stage, 'aborted');
  }
  {
    // the server re-labels a share from 2 as coming from 0: the associated data no longer matches
    const { clients, requests } = await toShareStage(4);
    const r = requests[1];
    const from0 = r.shares.findIndex((s) => s.from === 0);
    const from2 = r.shares.findIndex((s) => s.from === 2);
    r.shares[from0] = { ...r.shares[from2], from: 0 };
    r.shares.splice(from2, 1);
    await assert.rejects(clients[1].maskedInput(r, input), SecAggIntegrityError);
  }
  {
    // a share meant for client 2 handed to client 1
    const { clients, requests } = await toShareStage(4);
    const r = { ...requests[1], shares: [...requests[1].shares.slice(1), { ...requests[2].shares[0], to: 1 }] };
    await assert.rejects(clients[1].maskedInput(r, input), SecAggIntegrityError);
  }
  {
    const { clients, requests } = await toShareStage(4);
    requests[3].shares[0].ciphertext = requests[3].shares[0].ciphertext.subarray(0, 20);
    await assert.rejects(clients[3].maskedInput(requests[3], input), SecAggIntegrityError);
  }
});

test('out-of-order, duplicate and malformed messages are refused with SecAggProtocolError', async () => {
  const server = new SecAggServer({ numClients: 3, vectorLength: 2 });
  const client = new SecAggClient();
  await assert.rejects(client.unmask({ index: 0, survivors: [], dropped: [] }), (e: Error) => e instanceof SecAggProtocolError && /unmask called in stage "new"/.test(e.message));
  const requests = server.advertiseRequests();
  const clients = [client, new SecAggClient(), new SecAggClient()];
  const reply = await clients[0].advertiseKeys(requests[0]);
  server.receiveAdvertiseKeys(reply);
  assert.throws(() => server.receiveAdvertiseKeys(reply), /already advertised/);
  assert.throws(() => server.receiveAdvertiseKeys({ ...reply, index: 7 }), /outside 0..2/);
  assert.throws(() => server.receiveAdvertiseKeys({ ...reply, index: 1, maskingPublicKey: new Uint8Array(31) }), /32 bytes/);
  assert.throws(() => server.closeShareKeys(), /in stage "advertise"/);
  await assert.rejects(clients[0].advertiseKeys(requests[0]), /advertiseKeys called in stage "advertised"/);
  server.receiveAdvertiseKeys(await clients[1].advertiseKeys(requests[1]));
  server.receiveAdvertiseKeys(await clients[2].advertiseKeys(requests[2]));
  const share = server.closeAdvertiseKeys();
  assert.throws(() => server.receiveAdvertiseKeys(reply), /late or early message/);
  const shares = await clients[0].shareKeys(share[0]);
  assert.throws(() => server.receiveShareKeys({ ...shares, shares: shares.shares.slice(1) }), /expected 2/);
  server.receiveShareKeys(shares);
  server.receiveShareKeys(await clients[1].shareKeys(share[1]));
  server.receiveShareKeys(await clients[2].shareKeys(share[2]));
  const masked = server.closeShareKeys();
  const y = await clients[0].maskedInput(masked[0], [0.5, -0.5]);
  assert.throws(() => server.receiveMaskedInput({ index: 0, masked: new Uint32Array(3) }), /Uint32Array of 2 values/);
  server.receiveMaskedInput(y);
  assert.throws(() => server.receiveMaskedInput(y), /already sent/);
  await assert.rejects(new SecAggClient().advertiseKeys({ ...requests[0], config: { ...requests[0].config, protocolVersion: 9 } }), /protocol version 9/);
});

test('clients never reveal both shares of one neighbour, and refuse an unmask request that would leave fewer than t survivors', async () => {
  const { server, clients, requests } = await toShareStage(5);
  const ys = [];
  for (const r of requests) ys.push(await clients[r.index].maskedInput(r, [1, 2, 3, 4].map((v) => v / 10)));
  const bad = { index: 0, survivors: [1, 2], dropped: [2, 3, 4] };
  await assert.rejects(clients[0].unmask(bad), /listed twice or as both surviving and dropped/);
  const { clients: c2, requests: r2 } = await toShareStage(5);
  for (const r of r2) await c2[r.index].maskedInput(r, [0, 0, 0, 0]);
  // t = 3 of k = 4: claiming that three of four partners dropped
  await assert.rejects(c2[0].unmask({ index: 0, survivors: [1], dropped: [2, 3, 4] }), (e: Error) => e instanceof SecAggDropoutError && /reveals nothing/.test(e.message));
  void server;
  void ys;
});

test('a WebCrypto client and node:crypto clients aggregate exactly with a node:crypto server', async () => {
  const inputs = inputsFor(5, 33, 9);
  const web = webSecAggCrypto();
  const result = await runSecureAggregation({ inputs, clientCrypto: web, dropouts: { afterShareKeys: [2] } });
  assert.deepEqual([...result.sum], referenceRingSum(inputs, [0, 1, 3, 4], result.encoding));
});

/** Kolmogorov–Smirnov p-value of `u` (values in [0, 1)) against Uniform(0, 1) (Stephens' approximation). */
function ksUniformPValue(u: Float64Array): number {
  const sorted = Float64Array.from(u).sort();
  const n = sorted.length;
  let d = 0;
  for (let i = 0; i < n; i++) d = Math.max(d, (i + 1) / n - sorted[i], sorted[i] - i / n);
  const lambda = (Math.sqrt(n) + 0.12 + 0.11 / Math.sqrt(n)) * d;
  let p = 0;
  for (let k = 1; k <= 100; k++) p += 2 * (-1) ** (k - 1) * Math.exp(-2 * k * k * lambda * lambda);
  return Math.min(1, Math.max(0, p));
}

/** Upper tail of the standard normal (Abramowitz & Stegun 7.1.26 for erfc). */
function normalUpperTail(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const erfc = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))) * Math.exp(-x * x);
  return z >= 0 ? erfc / 2 : 1 - erfc / 2;
}

/** χ² p-value of the byte histogram against uniform (256 bins; Wilson–Hilferty normal approximation). */
function byteChiSquarePValue(words: Uint32Array): number {
  const bytes = new Uint8Array(words.buffer, words.byteOffset, words.byteLength);
  const counts = new Float64Array(256);
  for (const b of bytes) counts[b]++;
  const expected = bytes.length / 256;
  let chi = 0;
  for (const c of counts) chi += (c - expected) ** 2 / expected;
  const df = 255;
  const z = (Math.cbrt(chi / df) - (1 - 2 / (9 * df))) / Math.sqrt(2 / (9 * df));
  return normalUpperTail(z);
}

test("the server's view of one masked input is indistinguishable from uniform and never equals the input", async () => {
  const m = 20_000;
  const server = new SecAggServer({ numClients: 3, vectorLength: m });
  const clients = [new SecAggClient(), new SecAggClient(), new SecAggClient()];
  for (const r of server.advertiseRequests()) server.receiveAdvertiseKeys(await clients[r.index].advertiseKeys(r));
  for (const r of server.closeAdvertiseKeys()) server.receiveShareKeys(await clients[r.index].shareKeys(r));
  // the most structured input possible: every coordinate the same
  const constant = new Float32Array(m).fill(0.25);
  const views: Uint32Array[] = [];
  for (const r of server.closeShareKeys()) {
    const reply = await clients[r.index].maskedInput(r, r.index === 0 ? constant : new Float32Array(m).fill(-0.25));
    views.push(reply.masked);
    server.receiveMaskedInput(reply);
  }
  const encoded = Math.round(0.25 * 2 ** server.config.encoding.fractionalBits);
  const unit = (w: Uint32Array) => Float64Array.from(w, (v) => v / 2 ** 32);
  for (const view of views.slice(0, 2)) {
    // a false alarm has probability 1e-4 per check
    assert.ok(ksUniformPValue(unit(view)) > 1e-4, `KS p = ${ksUniformPValue(unit(view))}`);
    assert.ok(byteChiSquarePValue(view) > 1e-4, `χ² p = ${byteChiSquarePValue(view)}`);
  }
  assert.equal(views[0].filter((v) => v === encoded).length, 0, 'no coordinate of the masked input equals the encoded input');
  // the tests do detect structure: the unmasked encoding fails both at once
  const plain = new Uint32Array(m).fill(encoded);
  assert.ok(ksUniformPValue(unit(plain)) < 1e-12);
  assert.ok(byteChiSquarePValue(plain) < 1e-12);
  // and a mask that is uniform only in its low 16 bits is caught too
  const weak = Uint32Array.from(views[0], (v) => (encoded + (v & 0xffff)) >>> 0);
  assert.ok(ksUniformPValue(unit(weak)) < 1e-12);
  // the protocol still delivers the exact sum: 0.25 − 0.25 − 0.25
  for (const r of server.closeMaskedInput()) server.receiveUnmask(await clients[r.index].unmask(r));
  const result = await server.finish();
  assert.ok(result.values.every((v) => v === -0.25));
});

test('a whole session with every message through JSON (toWire/fromWire) gives the exact sum', async () => {
  const { toWire, fromWire } = await import('../../../src/federated/secagg/index.js');
  const wire = <T>(message: T): T => fromWire<T>(JSON.parse(JSON.stringify(toWire(message))));
  const inputs = inputsFor(6, 40, 12);
  const server = new SecAggServer({ numClients: 6, vectorLength: 40 });
  const clients = inputs.map(() => new SecAggClient());
  for (const r of server.advertiseRequests()) server.receiveAdvertiseKeys(wire(await clients[r.index].advertiseKeys(wire(r))));
  for (const r of server.closeAdvertiseKeys()) server.receiveShareKeys(wire(await clients[r.index].shareKeys(wire(r))));
  for (const r of server.closeShareKeys()) if (r.index !== 4) server.receiveMaskedInput(wire(await clients[r.index].maskedInput(wire(r), inputs[r.index])));
  for (const r of server.closeMaskedInput()) server.receiveUnmask(wire(await clients[r.index].unmask(wire(r))));
  const result = await server.finish();
  assert.deepEqual([...result.sum], referenceRingSum(inputs, [0, 1, 2, 3, 5], result.encoding));
  assert.throws(() => fromWire({ masked: { $u32: 'AAA' } }), SecAggProtocolError);
  assert.throws(() => fromWire({ key: { $bytes: 42 } }), /base64 string/);
});
