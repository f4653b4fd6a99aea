/**
 * The sum the server learns in one analytics round: Σ over the participating devices of their
 * contribution vectors, through secure aggregation (secagg/: masks cancel, the server sees only
 * the sum) or, in simulation, computed in the clear. Both give the same numbers bit for bit
 * (the ring sum of the fixed-point encodings is exact); the tests check it, which is what lets a
 * study with thousands of devices skip the protocol's per-device key agreement.
 *
 * Contributions are sparse: a device sends weight w at a few coordinates of a vector of length
 * `length` (a vote, or a few). Under secure aggregation every participant sends the dense
 * vector, zeros included, so the server cannot tell who voted from who sent nothing.
 */
import { ConfigError } from '../../errors.js';
import { fixedPointEncoding, runSecureAggregation } from '../secagg/index.js';

export interface SparseContribution {
  indices: number[];
  /** Weight per index (default 1). */
  values?: number[];
}

export type Aggregation = 'secure' | 'plain';

export interface SecureSumOptions {
  aggregation: Aggregation;
  /** Largest absolute value of one coordinate of one contribution (the fixed-point range; default 1). */
  range?: number;
  /** Fractional bits of the fixed-point encoding (integer votes: 0, exact); default the most that cannot overflow. */
  fractionalBits?: number;
}

function checkContribution(c: SparseContribution, length: number, range: number): void {
  for (let i = 0; i < c.indices.length; i++) {
    const index = c.indices[i];
    if (!Number.isInteger(index) || index < 0 || index >= length) throw new ConfigError(`contribution index ${index} is outside the vector of length ${length}`);
    const v = c.values?.[i] ?? 1;
    if (!Number.isFinite(v) || Math.abs(v) > range) throw new ConfigError(`contribution value ${v} is outside the range ±${range}`);
  }
}

/** Σ of the participants' contributions (a vector of `length`), plain or through secure aggregation. */
export async function sumContributions(contributions: readonly SparseContribution[], length: number, options: SecureSumOptions): Promise<Float64Array> {
  const range = options.range ?? 1;
  if (!Number.isInteger(length) || length < 1) throw new ConfigError(`vector length must be an integer ≥ 1, got ${length}`);
  const fractionalBits = options.fractionalBits ?? fixedPointEncoding({ range, maxSummands: Math.max(1, contributions.length) }).fractionalBits;
  for (const c of contributions) checkContribution(c, length, range);
  if (options.aggregation === 'plain' || contributions.length < 2) {
    if (options.aggregation === 'secure' && contributions.length === 1) {
      throw new ConfigError('secure aggregation needs at least 2 participating devices in a round; raise the sampling rate or use more users');
    }
    // The plain path rounds like the fixed-point encoding, so both paths agree exactly.
    const scale = 2 ** fractionalBits;
    const sum = new Float64Array(length);
    for (const c of contributions) {
      for (let i = 0; i < c.indices.length; i++) sum[c.indices[i]] += Math.round((c.values?.[i] ?? 1) * scale) / scale;
    }
    return sum;
  }
  const inputs = contributions.map((c) => {
    const dense = new Float64Array(length);
    for (let i = 0; i < c.indices.length; i++) dense[c.indices[i]] += c.values?.[i] ?? 1;
    return dense;
  });
  const result = await runSecureAggregation({ inputs, range, fractionalBits });
  return Float64Array.from(result.values);
}
