/**
 * Secure-aggregation building blocks against published vectors and independent computations:
 * X25519 (RFC 7748 §6.1), HKDF-SHA256 (RFC 5869 case 3), the AES-256-CTR keystream against
 * AES-ECB of the counter blocks, AES-GCM tamper detection, node:crypto ↔ WebCrypto
 * interoperability, Shamir sharing (a hand-worked polynomial) and fixed-point encoding.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createCipheriv } from 'node:crypto';
import { ConfigError, NonFiniteError } from '../../../src/errors.js';
import {
  FIELD_PRIME,
  SHARE_BYTES,
  SecAggIntegrityError,
  decodeFixedPoint,
  encodeFixedPoint,
  fixedPointEncoding,
  hararyGraphNeighbours,
  nodeSecAggCrypto,
  reconstructSecret,
  shareSecret,
  webSecAggCrypto,
  type SecAggCrypto,
} from '../../../src/federated/secagg/index.js';

const hex = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'));
const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const IMPLEMENTATIONS: SecAggCrypto[] = [nodeSecAggCrypto, webSecAggCrypto()];

test('X25519 agreement matches RFC 7748 §6.1 on both implementations, and low-order keys are refused', async () => {
  const alice = hex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a');
  const bobPublic = hex('de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f');
  for (const crypto of IMPLEMENTATIONS) {
    assert.equal(toHex(await crypto.agree(alice, bobPublic)), '4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742', crypto.name);
    await assert.rejects(crypto.agree(alice, new Uint8Array(32)), SecAggIntegrityError, `${crypto.name}: the all-zero (low-order) point`);
  }
});

test('key pairs from either implementation agree with each other', async () => {
  const a = await nodeSecAggCrypto.generateKeyPair();
  const b = await webSecAggCrypto().generateKeyPair();
  assert.equal(a.publicKey.length, 32);
  assert.equal(b.secretKey.length, 32);
  const ab = await nodeSecAggCrypto.agree(a.secretKey, b.publicKey);
  const ba = await webSecAggCrypto().agree(b.secretKey, a.publicKey);
  assert.equal(toHex(ab), toHex(ba));
});

test('HKDF-SHA256 matches RFC 5869 test case 3 on both implementations', async () => {
  for (const crypto of IMPLEMENTATIONS) {
    const okm = await crypto.hkdf(new Uint8Array(22).fill(0x0b), new Uint8Array(0), '', 42);
    assert.equal(toHex(okm), '8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8', crypto.name);
  }
});

test('the PRG is the AES-256-CTR keystream: AES-ECB of the big-endian counter blocks 0, 1, 2, ...', async () => {
  const key = hex('603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4');
  const blocks = 70; // crosses no byte boundary issue but more than one counter byte
  const counters = new Uint8Array(16 * blocks);
  for (let i = 0; i < blocks; i++) counters[16 * i + 15] = i;
  const ecb = createCipheriv('aes-256-ecb', key, null).setAutoPadding(false);
  const expected = Buffer.concat([ecb.update(counters), ecb.final()]);
  for (const crypto of IMPLEMENTATIONS) {
    const stream = await crypto.keystream(key, 16 * blocks - 5);
    assert.equal(toHex(stream), expected.subarray(0, 16 * blocks - 5).toString('hex'), crypto.name);
  }
});

test('AES-GCM: each implementation opens the other\'s ciphertexts and rejects any altered byte or wrong associated data', async () => {
  const key = nodeSecAggCrypto.randomBytes(32);
  const plaintext = new TextEncoder().encode('share of a secret');
  const aad = new Uint8Array([1, 2, 3]);
  for (const [sealer, opener] of [[IMPLEMENTATIONS[0], IMPLEMENTATIONS[1]], [IMPLEMENTATIONS[1], IMPLEMENTATIONS[0]]]) {
    const sealed = await sealer.seal(key, plaintext, aad);
    assert.deepEqual(await opener.open(key, sealed, aad), plaintext);
    for (const position of [0, 12, sealed.length - 1]) {
      const tampered = sealed.slice();
      tampered[position] ^= 1;
      await assert.rejects(opener.open(key, tampered, aad), SecAggIntegrityError);
    }
    await assert.rejects(opener.open(key, sealed, new Uint8Array([1, 2, 4])), /authentication failed/);
  }
});

/** Deterministic "random" bytes: the bytes of a known coefficient (so the polynomial is known). */
function bytesOf(values: bigint[]): (n: number) => Uint8Array {
  let i = 0;
  return (n) => {
    const out = new Uint8Array(n);
    let v = values[i++];
    for (let j = n - 1; j >= 0; j--) {
      out[j] = Number(v & 0xffn);
      v >>= 8n;
    }
    return out;
  };
}

test('Shamir: shares are points of f(x) = s + a₁x + a₂x² (hand-worked), and any t of them recover s', () => {
  const secret = new Uint8Array(32);
  secret[31] = 42;
  // f(x) = 42 + 5x + 7x²: f(1) = 54, f(2) = 80, f(3) = 120, f(4) = 174
  const shares = shareSecret(secret, 3, [1, 2, 3, 4], bytesOf([5n, 7n]));
  const values = shares.map((s) => Number(BigInt('0x' + toHex(s.y))));
  assert.deepEqual(values, [54, 80, 120, 174]);
  for (const subset of [[0, 1, 2], [1, 2, 3], [3, 0, 2]]) {
    assert.deepEqual(reconstructSecret(subset.map((i) => shares[i]), 3), secret);
  }
});

test('Shamir over GF(2^521 − 1) with random coefficients: t shares recover a 32-byte secret, an altered share among t + 1 is caught', () => {
  const secret = nodeSecAggCrypto.randomBytes(32);
  const xs = Array.from({ length: 12 }, (_, i) => i + 3);
  const shares = shareSecret(secret, 7, xs, (n) => nodeSecAggCrypto.randomBytes(n));
  assert.ok(shares.every((s) => s.y.length === SHARE_BYTES && BigInt('0x' + toHex(s.y)) < FIELD_PRIME));
  assert.deepEqual(reconstructSecret(shares.slice(5), 7), secret);
  assert.deepEqual(reconstructSecret([...shares].reverse(), 7), secret);
  // one altered share among t + 1 breaks their consistency, whichever share it is
  for (const victim of [0, 3, 7]) {
    const altered = shares.slice(0, 8).map((s) => ({ x: s.x, y: s.y.slice() }));
    altered[victim].y[40] ^= 0x10;
    assert.throws(() => reconstructSecret(altered, 7), (e: Error) => e instanceof SecAggIntegrityError && /inconsistent/.test(e.message));
  }
  // with only t − 1 genuine shares the secret is out of reach: too few is an error, not a guess
  assert.throws(() => reconstructSecret(shares.slice(0, 6), 7), /6 shares given but 7 are needed/);
});

test('fixed point: encodes, clips and decodes exactly; the overflow bound n·round(R·2^f) ≤ 2^31 − 1 is enforced', () => {
  const e = fixedPointEncoding({ range: 1, maxSummands: 100 });
  // largest f with 100 · 2^f ≤ 2^31 − 1 is 24 (100 · 2^24 = 1.68e9; 2^25 · 100 = 3.4e9)
  assert.equal(e.fractionalBits, 24);
  const { encoded, clipped } = encodeFixedPoint([0.5, -0.25, 3, -7, 1e-9], e);
  assert.equal(clipped, 2);
  assert.deepEqual([...encoded], [2 ** 23, 2 ** 32 - 2 ** 22, 2 ** 24, 2 ** 32 - 2 ** 24, 0]);
  assert.deepEqual([...decodeFixedPoint(encoded, e)], [0.5, -0.25, 1, -1, 0]);
  // a sum of 100 values at −R decodes as −100 (no wrap-around)
  const sum = new Uint32Array([(100 * (2 ** 32 - 2 ** 24)) % 2 ** 32]);
  assert.equal(decodeFixedPoint(sum, e)[0], -100);
  assert.throws(() => fixedPointEncoding({ range: 1, maxSummands: 100, fractionalBits: 25 }), (err: Error) => err instanceof ConfigError && /overflows: 100 summands × range 1 × 2\^25/.test(err.message));
  assert.throws(() => encodeFixedPoint([0, NaN], e), (err: Error) => err instanceof NonFiniteError && /value 1 is NaN/.test(err.message));
  assert.throws(() => fixedPointEncoding({ range: 0, maxSummands: 2 }), ConfigError);
});

test('Harary graph: k-regular, symmetric, and the complete graph at k = n − 1', () => {
  const permutation = [3, 7, 0, 9, 1, 4, 8, 2, 6, 5];
  const g = hararyGraphNeighbours(10, 4, permutation);
  for (let u = 0; u < 10; u++) {
    assert.equal(g[u].length, 4);
    for (const v of g[u]) assert.ok(g[v].includes(u), `${u}–${v} symmetric`);
  }
  // 3 sits between 5 (position 9) and 7 (position 1); two steps away: 6 and 0
  assert.deepEqual(g[3], [0, 5, 6, 7]);
  const complete = hararyGraphNeighbours(5, 4, [0, 1, 2, 3, 4]);
  assert.deepEqual(complete[2], [0, 1, 3, 4]);
  assert.throws(() => hararyGraphNeighbours(10, 3, permutation), /needs an even k/);
});
