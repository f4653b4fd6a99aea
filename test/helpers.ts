/** Shared test helpers: running a function on both backends and comparing arrays. */
import assert from 'node:assert/strict';
import { tf, initEngine, type BackendName } from '../src/engine/index.js';

/** Runs `fn` on the given backend and returns its result as plain arrays. */
export async function onBackend<T>(backend: BackendName, fn: () => T): Promise<T> {
  await initEngine({ backend });
  return fn();
}

export function maxRelativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  assert.equal(actual.length, expected.length, 'length mismatch');
  let num = 0;
  let den = 0;
  for (let i = 0; i < actual.length; i++) {
    num = Math.max(num, Math.abs(actual[i] - expected[i]));
    den = Math.max(den, Math.abs(expected[i]));
  }
  return den === 0 ? num : num / den;
}

export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance: number, what = 'values'): void {
  const err = maxRelativeError(actual, expected);
  assert.ok(err <= tolerance, `${what}: relative error ${err.toExponential(3)} exceeds ${tolerance}`);
}

export function seededValues(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 32 - 0.5;
  }
  return out;
}

export { tf };

import { resolveDataDir } from '../src/data/locate.js';

/** The real data directory when present (CI always has it), else undefined. */
export const REAL_DATA_DIR: string | undefined = resolveDataDir();

/**
 * Options for a test that needs the real datasets: it runs whenever they are present and
 * is reported as skipped, with the reason, when they are not (a fresh clone without data).
 */
export const needsRealData: { skip: string | false } = {
  skip: REAL_DATA_DIR ? false : 'real data not found: set TRUSTNLU_DATA to the shared data directory (the test runner sets it to ../shared/data when that exists)',
};
