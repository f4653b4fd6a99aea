/**
 * Exact (Clopper–Pearson) confidence interval for a binomial proportion: the set of p for which
 * neither one-sided binomial test rejects at α/2. Through the beta–binomial identity its ends are
 * beta quantiles:
 *   low  = B⁻¹(α/2;   k,   n−k+1)   (0 when k = 0)
 *   high = B⁻¹(1−α/2; k+1, n−k)     (1 when k = n)
 * It is conservative (coverage ≥ the nominal level), which is what an audit wants, e.g. for
 * the TPR of a membership-inference attack at a low FPR.
 */
import { ConfigError } from '../errors.js';
import { inverseRegularizedIncompleteBeta } from './special-functions.js';

export interface ProportionInterval {
  /** successes / trials. */
  estimate: number;
  low: number;
  high: number;
}

export function clopperPearson(successes: number, trials: number, confidence = 0.95): ProportionInterval {
  if (!Number.isInteger(trials) || trials < 1) {
    throw new ConfigError(`clopperPearson: trials must be a positive integer, got ${trials}`);
  }
  if (!Number.isInteger(successes) || successes < 0 || successes > trials) {
    throw new ConfigError(`clopperPearson: successes must be an integer in [0, trials=${trials}], got ${successes}`);
  }
  if (!(confidence > 0 && confidence < 1)) {
    throw new ConfigError(`clopperPearson: confidence must be in (0, 1), e.g. 0.95; got ${confidence}`);
  }
  const alpha = 1 - confidence;
  const k = successes;
  const n = trials;
  const low = k === 0 ? 0 : inverseRegularizedIncompleteBeta(alpha / 2, k, n - k + 1);
  const high = k === n ? 1 : inverseRegularizedIncompleteBeta(1 - alpha / 2, k + 1, n - k);
  return { estimate: k / n, low, high };
}
