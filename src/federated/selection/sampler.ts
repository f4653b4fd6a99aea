/**
 * What a client sampler sees and returns. Samplers are pure given their RNG: the same
 * round, client list (in any order) and RNG state give the same selection, because the
 * clients are put in id order before sampling.
 */
import { ConfigError } from '../../errors.js';
import type { SeededRandom } from '../../engine/random.js';

export interface ClientInfo {
  id: string;
  /** nₖ, the client's number of training examples (> 0). */
  numExamples: number;
  /** The client's most recent training loss, if known (used by loss-based selectors). */
  lastLoss?: number;
}

export interface Selection {
  /** Selected client ids in draw order; repeats are possible for samplers with replacement. */
  clients: string[];
  /** One weight per entry of `clients` (a repeated client gets one weight per draw). */
  aggregationWeights: number[];
  /**
   * True when the weights sum to 1 (up to rounding): the aggregate may be a weighted mean of
   * models or of deltas. False for importance weights, which sum to 1 only in expectation:
   * apply them to deltas as Σ wᵢΔᵢ (`weightedSum`), never renormalised, or the estimate
   * loses its unbiasedness.
   */
  weightsSumToOne: boolean;
}

export interface ClientSampler {
  /** Short name for logs and reports, e.g. "uniform", "activity(τ=0.5)". */
  readonly name: string;
  sample(round: number, available: readonly ClientInfo[], k: number, rng: SeededRandom): Selection;
}

/**
 * Validates the arguments every sampler shares and returns the clients sorted by id (so a
 * selection does not depend on the order the caller listed them in).
 */
export function canonicalClients(
  sampler: string,
  round: number,
  available: readonly ClientInfo[],
  k: number,
  withReplacement: boolean,
): ClientInfo[] {
  if (!Number.isInteger(round) || round < 0) {
    throw new ConfigError(`${sampler}: round must be an integer ≥ 0, got ${round}`);
  }
  if (!Array.isArray(available) || available.length === 0) {
    throw new ConfigError(`${sampler}: no clients available to sample from`);
  }
  if (!Number.isInteger(k) || k < 1) {
    throw new ConfigError(`${sampler}: k (clients per round) must be an integer ≥ 1, got ${k}`);
  }
  if (!withReplacement && k > available.length) {
    throw new ConfigError(
      `${sampler}: cannot pick k = ${k} distinct clients from ${available.length} available (lower k, e.g. to min(k, available))`,
    );
  }
  const seen = new Set<string>();
  for (const c of available) {
    if (typeof c?.id !== 'string') throw new ConfigError(`${sampler}: every client needs a string id, got ${JSON.stringify(c)}`);
    if (seen.has(c.id)) throw new ConfigError(`${sampler}: client id "${c.id}" appears twice in the available list`);
    seen.add(c.id);
    if (typeof c.numExamples !== 'number' || !Number.isFinite(c.numExamples) || c.numExamples <= 0) {
      throw new ConfigError(
        `${sampler}: client "${c.id}" has numExamples ${c.numExamples}; it must be finite and > 0 (leave clients without data out)`,
      );
    }
    if (c.lastLoss !== undefined && (typeof c.lastLoss !== 'number' || Number.isNaN(c.lastLoss))) {
      throw new ConfigError(`${sampler}: client "${c.id}" has lastLoss ${c.lastLoss}; give a number or leave it undefined`);
    }
  }
  return available.slice().sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
