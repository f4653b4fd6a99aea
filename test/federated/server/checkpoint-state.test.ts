/**
 * The strategy-state blob of a checkpoint: values and vectors round-trip exactly (odd header
 * lengths pad correctly), and a truncated, padded or foreign blob is a StateStoreError.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeStrategyState, encodeStrategyState } from '../../../src/federated/server/checkpoint-state.js';
import { StateStoreError } from '../../../src/federated/store/index.js';

test('strategy state round-trips exactly', () => {
  for (const name of ['m', 'serverM', 'a-longer-name']) {
    const state = { values: { serverRound: 7, dpAdaptiveClip: 0.123456789 }, vectors: { [name]: Float32Array.from([1.5, -2, 3e-8, Math.PI]), v: new Float32Array(0) } };
    const back = decodeStrategyState(encodeStrategyState(state), 'test');
    assert.deepEqual(back.values, state.values);
    assert.deepEqual(Object.keys(back.vectors), Object.keys(state.vectors));
    assert.deepEqual(Array.from(back.vectors[name]), Array.from(state.vectors[name]));
    assert.equal(back.vectors.v.length, 0);
  }
});

test('a damaged blob is a StateStoreError naming where it came from', () => {
  const bytes = encodeStrategyState({ values: { serverRound: 1 }, vectors: { m: new Float32Array(10) } });
  for (const bad of [bytes.subarray(0, 3), bytes.subarray(0, bytes.length - 4), Uint8Array.from([...bytes, 0, 0, 0, 0]), new TextEncoder().encode('{"not":"a state"}')]) {
    assert.throws(() => decodeStrategyState(bad, 'checkpoint 3'), (e: unknown) => e instanceof StateStoreError && /checkpoint 3: the strategy state is unreadable/.test(e.message));
  }
});
