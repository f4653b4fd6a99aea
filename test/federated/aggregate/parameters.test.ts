import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NonFiniteError, ShapeMismatchError } from '../../../src/errors.js';
import {
  addInPlace,
  assertFinite,
  assertSameLayout,
  cloneParameters,
  firstNonFinite,
  flattenParameters,
  l2Norm,
  parameterCount,
  scaleInPlace,
  squaredDistance,
  subInPlace,
  subtractParameters,
  unflattenParameters,
  zerosLike,
  type ParameterSet,
} from '../../../src/federated/aggregate/index.js';

function params(w: number[], b: number[]): ParameterSet {
  return { names: ['dense/kernel', 'dense/bias'], arrays: [Float32Array.from(w), Float32Array.from(b)] };
}

test('flatten and unflatten round-trip in tensor order', () => {
  const p = params([1, 2, 3], [4, 5]);
  const flat = flattenParameters(p);
  assert.deepEqual(Array.from(flat), [1, 2, 3, 4, 5]);
  assert.equal(parameterCount(p), 5);
  const back = unflattenParameters(flat, p);
  assert.deepEqual(back.names, p.names);
  assert.deepEqual(back.arrays.map((a) => Array.from(a)), [[1, 2, 3], [4, 5]]);
  flat[0] = 99; // no aliasing
  assert.equal(back.arrays[0][0], 1);
  assert.throws(() => unflattenParameters(new Float32Array(4), p), ShapeMismatchError);
});

test('clone and zerosLike copy, never alias', () => {
  const p = params([1, 2], [3]);
  const c = cloneParameters(p);
  c.arrays[0][0] = 7;
  assert.equal(p.arrays[0][0], 1);
  const z = zerosLike(p);
  assert.deepEqual(z.arrays.map((a) => Array.from(a)), [[0, 0], [0]]);
  assert.deepEqual(z.names, p.names);
});

test('add/sub/scale in place, L2 norm and squared distance by hand', () => {
  const a = params([1, 2], [2]);
  const b = params([3, 0], [-1]);
  addInPlace(a, b, 2); // [1+6, 2+0], [2-2]
  assert.deepEqual(a.arrays.map((x) => Array.from(x)), [[7, 2], [0]]);
  subInPlace(a, b); // [4, 2], [1]
  assert.deepEqual(a.arrays.map((x) => Array.from(x)), [[4, 2], [1]]);
  scaleInPlace(a, 0.5); // [2, 1], [0.5]
  assert.deepEqual(a.arrays.map((x) => Array.from(x)), [[2, 1], [0.5]]);
  assert.equal(l2Norm(params([3, 0], [4])), 5);
  // (2-3)^2 + (1-0)^2 + (0.5+1)^2 = 1 + 1 + 2.25
  assert.equal(squaredDistance(a, b), 4.25);
  const d = subtractParameters(b, a);
  assert.deepEqual(d.arrays.map((x) => Array.from(x)), [[1, -1], [-1.5]]);
});

test('assertSameLayout names the first mismatching tensor', () => {
  const ref = params([1, 2, 3], [4]);
  assert.throws(() => assertSameLayout(ref, params([1, 2], [4]), 'update 2'), (e: Error) => {
    return e instanceof ShapeMismatchError && /update 2/.test(e.message) && /"dense\/kernel" has 2 values, expected 3/.test(e.message);
  });
  const renamed: ParameterSet = { names: ['dense/kernel', 'dense/b'], arrays: [new Float32Array(3), new Float32Array(1)] };
  assert.throws(() => assertSameLayout(ref, renamed), /tensor 1 is named "dense\/b" but the reference has "dense\/bias"/);
  const shorter: ParameterSet = { names: ['dense/kernel'], arrays: [new Float32Array(3)] };
  assert.throws(() => assertSameLayout(ref, shorter), /missing tensor "dense\/bias"/);
  assert.doesNotThrow(() => assertSameLayout(ref, params([0, 0, 0], [0])));
});

test('assertFinite names the tensor and index of the first NaN or Infinity', () => {
  assert.equal(firstNonFinite(params([1, 2], [3])), undefined);
  const bad = params([1, 2], [3, Number.NaN]);
  assert.deepEqual(firstNonFinite(bad), { tensor: 'dense/bias', index: 1, value: Number.NaN });
  assert.throws(() => assertFinite(bad, 'client 7'), (e: Error) => e instanceof NonFiniteError && /client 7: tensor "dense\/bias" has NaN at index 1/.test(e.message));
  assert.throws(() => assertFinite(params([Infinity, 0], [0])), /"dense\/kernel" has Infinity at index 0/);
});
