import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../../../src/errors.js';
import {
  complexPowerInPlace,
  fft,
  fftToBitReversed,
  inverseFftFromBitReversed,
  nextPowerOfTwo,
} from '../../../src/privacy/accounting/fft.js';

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
}

function naiveDft(re: Float64Array, im: Float64Array): [Float64Array, Float64Array] {
  const n = re.length;
  const outRe = new Float64Array(n);
  const outIm = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    for (let j = 0; j < n; j++) {
      const angle = (-2 * Math.PI * ((j * k) % n)) / n;
      outRe[k] += re[j] * Math.cos(angle) - im[j] * Math.sin(angle);
      outIm[k] += re[j] * Math.sin(angle) + im[j] * Math.cos(angle);
    }
  }
  return [outRe, outIm];
}

test('fft matches a naive O(n²) DFT and inverts itself', () => {
  const rand = lcg(7);
  for (const n of [1, 2, 8, 64, 256]) {
    const re = Float64Array.from({ length: n }, rand);
    const im = Float64Array.from({ length: n }, rand);
    const [dr, di] = naiveDft(re, im);
    const fr = re.slice();
    const fi = im.slice();
    fft(fr, fi);
    for (let k = 0; k < n; k++) {
      assert.ok(Math.abs(fr[k] - dr[k]) < 1e-12 && Math.abs(fi[k] - di[k]) < 1e-12, `n=${n} k=${k}`);
    }
    fft(fr, fi, true);
    for (let k = 0; k < n; k++) assert.ok(Math.abs(fr[k] - re[k]) < 1e-14 && Math.abs(fi[k] - im[k]) < 1e-14);
  }
});

test('bit-reversed forward/inverse pair computes circular convolutions', () => {
  const rand = lcg(11);
  const n = 128;
  const a = Float64Array.from({ length: n }, () => Math.abs(rand()));
  const b = Float64Array.from({ length: n }, () => Math.abs(rand()));
  const direct = new Float64Array(n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) direct[(i + j) % n] += a[i] * b[j];
  const ar = a.slice();
  const ai = new Float64Array(n);
  const br = b.slice();
  const bi = new Float64Array(n);
  fftToBitReversed(ar, ai);
  fftToBitReversed(br, bi);
  for (let k = 0; k < n; k++) {
    const r = ar[k] * br[k] - ai[k] * bi[k];
    ai[k] = ar[k] * bi[k] + ai[k] * br[k];
    ar[k] = r;
  }
  inverseFftFromBitReversed(ar, ai);
  for (let k = 0; k < n; k++) {
    assert.ok(Math.abs(ar[k] - direct[k]) < 1e-12, `k=${k}`);
    assert.ok(Math.abs(ai[k]) < 1e-12);
  }
});

test('complex power by repeated squaring equals repeated multiplication', () => {
  const re = new Float64Array([0.3, -0.9, 1, 0]);
  const im = new Float64Array([0.4, 0.1, 0, 0]);
  for (const exponent of [0, 1, 2, 7, 13]) {
    const r = re.slice();
    const i = im.slice();
    complexPowerInPlace(r, i, exponent);
    for (let k = 0; k < re.length; k++) {
      let pr = 1;
      let pi = 0;
      for (let e = 0; e < exponent; e++) {
        const t = pr * re[k] - pi * im[k];
        pi = pr * im[k] + pi * re[k];
        pr = t;
      }
      assert.ok(Math.abs(r[k] - pr) < 1e-14 && Math.abs(i[k] - pi) < 1e-14, `exponent ${exponent}`);
    }
  }
});

test('non-power-of-two lengths and bad exponents are rejected', () => {
  assert.throws(() => fft(new Float64Array(6), new Float64Array(6)), (e: unknown) => e instanceof ConfigError && /power of two/.test(e.message));
  assert.throws(() => fft(new Float64Array(4), new Float64Array(8)), ConfigError);
  assert.throws(() => complexPowerInPlace(new Float64Array(2), new Float64Array(2), 1.5), ConfigError);
  assert.equal(nextPowerOfTwo(1000), 1024);
  assert.equal(nextPowerOfTwo(1024), 1024);
});
