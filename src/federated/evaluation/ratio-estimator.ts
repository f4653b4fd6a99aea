/**
 * The federated-evaluation estimator: a metric that is a ratio of sums over examples
 * (accuracy = Σ correct / Σ examples, loss = Σ loss / Σ examples), estimated from a simple
 * random sample of K of the N clients, each client reporting only its two sums yₖ and nₖ.
 *
 *   R̂ = Σₖ yₖ / Σₖ nₖ                                  (the ratio estimator, Cochran 1977 §6)
 *   eₖ = yₖ − R̂·nₖ,  s² = Σₖ eₖ² / (K − 1)
 *   Var(R̂) ≈ (1 − K/N) · s² / (K · n̄²),  n̄ = Σₖ nₖ / K
 *   interval: R̂ ± t_{K−1, (1+c)/2} · √Var(R̂)
 *
 * Why this one: the examples of one client are correlated (same user, same skew), so the
 * unit of sampling is the client and the variance has to come from between-client spread
 * (a cluster-robust / linearised ratio variance), never from the example count, which would
 * give intervals far too narrow under non-IID data. The finite-population correction 1 − K/N
 * is right because the clients are drawn without replacement; the t quantile with K − 1
 * degrees of freedom widens the interval for small K. And it needs only five sums per metric
 * (K, Σy, Σn, Σy², Σyn, Σn²): `ratioEstimateFromMoments` works on what secure aggregation
 * reveals, where a bootstrap over clients (kept here for comparison) needs every client's pair.
 */
import { ConfigError } from '../../errors.js';
import type { SeededRandom } from '../../engine/random.js';
import { quantileSorted, studentTQuantile } from '../../metrics/index.js';

/** The sums a ratio estimate needs: all that a secure aggregate of [y, n, y², yn, n²] reveals, plus K. */
export interface RatioMoments {
  clients: number;
  sumY: number;
  sumN: number;
  sumYY: number;
  sumYN: number;
  sumNN: number;
}

export interface RatioEstimateOptions {
  /** Two-sided confidence level, default 0.95. */
  confidence?: number;
  /** N, the clients the sample was drawn from (without replacement); omit for an infinite population (no correction). */
  populationClients?: number;
  /** Clamp the interval to these bounds (e.g. [0, 1] for an accuracy). */
  bounds?: readonly [number, number];
}

export interface RatioEstimate {
  estimate: number;
  standardError: number;
  low: number;
  high: number;
  /** K, the clients whose sums went in. */
  clients: number;
  /** Σ nₖ: the examples (or other denominator units) behind the estimate. */
  denominator: number;
  degreesOfFreedom: number;
  /** K/N (0 without a population size). */
  samplingFraction: number;
  confidence: number;
}

/** The five sums of a list of client pairs. */
export function ratioMoments(numerators: ArrayLike<number>, denominators: ArrayLike<number>): RatioMoments {
  if (numerators.length !== denominators.length) throw new ConfigError(`ratio estimate: ${numerators.length} numerators but ${denominators.length} denominators`);
  const m: RatioMoments = { clients: numerators.length, sumY: 0, sumN: 0, sumYY: 0, sumYN: 0, sumNN: 0 };
  for (let k = 0; k < numerators.length; k++) {
    const y = numerators[k];
    const n = denominators[k];
    if (!Number.isFinite(y) || !Number.isFinite(n) || n < 0) throw new ConfigError(`ratio estimate: client ${k} reported (${y}, ${n}); sums must be finite and counts ≥ 0`);
    m.sumY += y;
    m.sumN += n;
    m.sumYY += y * y;
    m.sumYN += y * n;
    m.sumNN += n * n;
  }
  return m;
}

function checkedOptions(options: RatioEstimateOptions, clients: number): { confidence: number; fraction: number } {
  const confidence = options.confidence ?? 0.95;
  if (!(confidence > 0 && confidence < 1)) throw new ConfigError(`confidence must be in (0, 1), got ${options.confidence}`);
  let fraction = 0;
  if (options.populationClients !== undefined) {
    const N = options.populationClients;
    if (!Number.isInteger(N) || N < clients) throw new ConfigError(`populationClients must be an integer ≥ the ${clients} sampled clients, got ${N}`);
    fraction = clients / N;
  }
  return { confidence, fraction };
}

/** The ratio estimate and its interval from the five sums (what a secure aggregate reveals). */
export function ratioEstimateFromMoments(m: RatioMoments, options: RatioEstimateOptions = {}): RatioEstimate {
  const K = m.clients;
  if (!Number.isInteger(K) || K < 2) throw new ConfigError(`a federated interval needs at least 2 reporting clients, got ${K}`);
  if (!(m.sumN > 0)) throw new ConfigError('ratio estimate: the reporting clients hold no examples for this metric (Σn = 0)');
  const { confidence, fraction } = checkedOptions(options, K);
  const estimate = m.sumY / m.sumN;
  // Σ(y − R̂n)² expanded; cancellation can leave a tiny negative
  const residual = Math.max(0, m.sumYY - 2 * estimate * m.sumYN + estimate * estimate * m.sumNN);
  return finish(estimate, residual, m, K, confidence, fraction, options.bounds);
}

/** The same estimate from the clients' pairs, with the residuals summed directly (numerically the safer path). */
export function ratioEstimate(numerators: ArrayLike<number>, denominators: ArrayLike<number>, options: RatioEstimateOptions = {}): RatioEstimate {
  const m = ratioMoments(numerators, denominators);
  if (m.clients < 2) throw new ConfigError(`a federated interval needs at least 2 reporting clients, got ${m.clients}`);
  if (!(m.sumN > 0)) throw new ConfigError('ratio estimate: the reporting clients hold no examples for this metric (Σn = 0)');
  const { confidence, fraction } = checkedOptions(options, m.clients);
  const estimate = m.sumY / m.sumN;
  let residual = 0;
  for (let k = 0; k < numerators.length; k++) {
    const e = numerators[k] - estimate * denominators[k];
    residual += e * e;
  }
  return finish(estimate, residual, m, m.clients, confidence, fraction, options.bounds);
}

function finish(
  estimate: number,
  residualSquares: number,
  m: RatioMoments,
  K: number,
  confidence: number,
  fraction: number,
  bounds: readonly [number, number] | undefined,
): RatioEstimate {
  const s2 = residualSquares / (K - 1);
  const meanN = m.sumN / K;
  const standardError = Math.sqrt(((1 - fraction) * s2) / (K * meanN * meanN));
  const half = studentTQuantile(confidence, K - 1) * standardError;
  let low = estimate - half;
  let high = estimate + half;
  if (bounds) {
    low = Math.max(bounds[0], low);
    high = Math.min(bounds[1], high);
  }
  return { estimate, standardError, low, high, clients: K, denominator: m.sumN, degreesOfFreedom: K - 1, samplingFraction: fraction, confidence };
}

/**
 * Percentile bootstrap over clients (resample K clients with replacement, recompute Σy/Σn).
 * For comparison only: it needs each client's pair (so not under secure aggregation), and it
 * ignores the finite-population correction.
 */
export function clientBootstrapInterval(
  numerators: ArrayLike<number>,
  denominators: ArrayLike<number>,
  options: { rng: SeededRandom; resamples?: number; confidence?: number },
): { low: number; high: number } {
  const K = numerators.length;
  if (K < 2 || denominators.length !== K) throw new ConfigError(`client bootstrap: needs at least 2 clients with one numerator and denominator each, got ${K} and ${denominators.length}`);
  const resamples = options.resamples ?? 2000;
  const confidence = options.confidence ?? 0.95;
  const replicates: number[] = [];
  for (let b = 0; b < resamples; b++) {
    let y = 0;
    let n = 0;
    for (let j = 0; j < K; j++) {
      const k = options.rng.int(K);
      y += numerators[k];
      n += denominators[k];
    }
    if (n > 0) replicates.push(y / n);
  }
  if (replicates.length === 0) throw new ConfigError('client bootstrap: every resample held no examples');
  replicates.sort((a, b) => a - b);
  return { low: quantileSorted(replicates, (1 - confidence) / 2), high: quantileSorted(replicates, (1 + confidence) / 2) };
}
