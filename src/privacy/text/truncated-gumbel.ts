/**
 * The density-aware mechanism with truncated Gumbel noise (Xu, Feyisetan, Aggarwal, Xu &
 * Teissier, FLAIRS-34, 2021, "Density-Aware Differentially Private Textual Perturbations Using
 * Truncated Gumbel Noise"). For a word w:
 *   1. draw the candidate count k from a Poisson distribution with mean ln(|V| − 1), truncated
 *      to k ≤ |V| − 1;
 *   2. the candidates are w and its k nearest other words (so the candidate set is small where
 *      the vocabulary is dense and reaches far where it is sparse: the "density-aware" part);
 *   3. add to each candidate's distance d(w, c) an independent Gumbel(0, b) value truncated to
 *      [−Δmax, Δmax], and output the candidate with the smallest noisy distance.
 * The scale b comes from ε and the vocabulary's smallest and largest inter-word distances
 * Δmin, Δmax:
 *   a = (ε − 2(1 + ln|V|)/Δmin)/3,
 *   b = 2Δmax / min(W₀(2aΔmax), ln(aΔmin)),
 * with W₀ the principal branch of the Lambert W function.
 *
 * What could not be confirmed. The paper's text was not available here; the algorithm and the
 * calibration above follow the paper's description as summarised in the benchmark of
 * Meisenbacher et al. (LREC-COLING 2024, "A Comparative Analysis of Word-Level Metric
 * Differential Privacy"), whose implementation was read for its formulas only. Three points
 * differ from that implementation, on purpose:
 *   - Δmin and Δmax are the vocabulary's true minimum (over distinct vectors) and maximum
 *     inter-word distances, computed over all pairs (EmbeddingSpace.distanceRange); the
 *     implementation takes the distances from one random word to the others, which overstates
 *     Δmin and so understates b.
 *   - b is only defined when aΔmin > 1 (ln(aΔmin) > 0); below that ε the implementation takes
 *     the real part of a complex Lambert W or a negative logarithm. Here such an ε is refused
 *     with the smallest ε that works, (2(1 + ln|V|) + 3)/Δmin (minimumTruncatedGumbelEpsilon).
 *   - The candidates are w plus k other words; the implementation counts w among its k
 *     nearest (it is its own nearest neighbour), so the farthest words can never be chosen.
 * The privacy theorem that ties ε to (a, b) is the paper's; it is not re-derived here, and the
 * measured N_w / S_w (plausible-deniability.ts) are the honest check of what a given ε does.
 */
import { ConfigError } from '../../errors.js';
import type { DistanceRange, EmbeddingSpace } from './embedding-space.js';
import type { MechanismRandom } from './mechanism-random.js';
import { checkMetricEpsilon } from './radial-noise.js';
import { randomFor, type WordMechanism, type WordMechanismName, type WordMechanismOptions } from './word-mechanism.js';

/** Principal branch W₀ of the Lambert W function (w·e^w = x), for x ≥ −1/e, by Halley's method. */
export function lambertW0(x: number): number {
  if (Number.isNaN(x) || x < -1 / Math.E - 1e-15) throw new ConfigError(`Lambert W₀ is defined for x ≥ −1/e, got ${x}`);
  if (x === Infinity) return Infinity;
  if (x === 0) return 0;
  if (x <= -1 / Math.E) return -1;
  // Start: series near the branch point, log asymptotics for large x, else log1p.
  let w: number;
  if (x < -0.3) {
    const p = Math.sqrt(2 * (Math.E * x + 1));
    w = -1 + p - (p * p) / 3;
  } else if (x > 3) {
    const l = Math.log(x);
    w = l - Math.log(l);
  } else {
    w = Math.log1p(x) * 0.8;
  }
  for (let i = 0; i < 100; i++) {
    const e = Math.exp(w);
    const f = w * e - x;
    const step = f / (e * (w + 1) - ((w + 2) * f) / (2 * w + 2));
    w -= step;
    if (Math.abs(step) <= 1e-15 * (1 + Math.abs(w))) break;
  }
  return w;
}

export interface TruncatedGumbelCalibration {
  epsilon: number;
  vocabularySize: number;
  minDistance: number;
  maxDistance: number;
  /** a = (ε − 2(1 + ln|V|)/Δmin)/3. */
  a: number;
  /** The Gumbel scale b. */
  scale: number;
  /** Mean of the candidate count's Poisson distribution, ln(|V| − 1). */
  candidateMean: number;
  /** Largest candidate count, |V| − 1. */
  maxCandidates: number;
}

/** The smallest ε the calibration accepts (it needs aΔmin > 1); ε must be strictly larger. */
export function minimumTruncatedGumbelEpsilon(vocabularySize: number, range: DistanceRange): number {
  return (2 * (1 + Math.log(vocabularySize)) + 3) / range.min;
}

/** The scale b and candidate distribution for ε on a vocabulary of |V| words with distance range [Δmin, Δmax]. */
export function truncatedGumbelCalibration(epsilon: number, vocabularySize: number, range: DistanceRange): TruncatedGumbelCalibration {
  checkMetricEpsilon(epsilon);
  if (!Number.isInteger(vocabularySize) || vocabularySize < 2) throw new ConfigError(`vocabulary size must be an integer ≥ 2, got ${vocabularySize}`);
  if (!(range.min > 0 && range.max >= range.min && Number.isFinite(range.max))) {
    throw new ConfigError(`distance range must satisfy 0 < min ≤ max < ∞, got [${range.min}, ${range.max}]`);
  }
  const a = (epsilon - (2 * (1 + Math.log(vocabularySize))) / range.min) / 3;
  const minimum = minimumTruncatedGumbelEpsilon(vocabularySize, range);
  if (!(a * range.min > 1)) {
    throw new ConfigError(
      `epsilon ${epsilon} is too small for the truncated Gumbel calibration on this vocabulary (${vocabularySize} words, ` +
        `minimum inter-word distance ${range.min.toPrecision(4)}): it needs epsilon > ${minimum.toPrecision(6)}`,
    );
  }
  const scale = Number.isFinite(epsilon) ? (2 * range.max) / Math.min(lambertW0(2 * a * range.max), Math.log(a * range.min)) : 0;
  return {
    epsilon,
    vocabularySize,
    minDistance: range.min,
    maxDistance: range.max,
    a,
    scale,
    candidateMean: Math.log(vocabularySize - 1),
    maxCandidates: vocabularySize - 1,
  };
}

/** Poisson(mean) truncated to [0, max], by inversion of the untruncated CDF and rejection above max. */
export function sampleTruncatedPoisson(mean: number, max: number, random: MechanismRandom): number {
  for (;;) {
    const u = random.uniform();
    let k = 0;
    let p = Math.exp(-mean);
    let cdf = p;
    // The CDF reaches u within a few standard deviations of the mean; the bound guards rounding.
    while (u > cdf && k < mean + 40 * Math.sqrt(mean) + 100) {
      k++;
      p *= mean / k;
      cdf += p;
    }
    if (k <= max) return k;
  }
}

/** Gumbel(0, scale) truncated to [−bound, bound], by inverting the CDF F(x) = exp(−e^(−x/scale)) on [F(−bound), F(bound)]. */
export function sampleTruncatedGumbel(scale: number, bound: number, random: MechanismRandom): number {
  if (scale === 0) return 0;
  const lo = Math.exp(-Math.exp(bound / scale));
  const hi = Math.exp(-Math.exp(-bound / scale));
  const u = lo + random.uniform() * (hi - lo);
  const x = -scale * Math.log(-Math.log(u));
  return Math.min(bound, Math.max(-bound, x));
}

export interface TruncatedGumbelOptions extends WordMechanismOptions {
  /** The vocabulary's distance range, if already known (else computed over all pairs: O(V²·n)). */
  distanceRange?: DistanceRange;
}

/** Initial neighbour-list length: P(Poisson(ln 10⁶) > 48) < 1e-15. */
const INITIAL_NEIGHBOURS = 48;

export class TruncatedGumbelMechanism implements WordMechanism {
  readonly name: WordMechanismName = 'truncated-gumbel';
  readonly epsilon: number;
  readonly calibration: TruncatedGumbelCalibration;
  private readonly random: MechanismRandom;
  private readonly lists = new Map<number, { ids: Int32Array; distances: Float64Array }>();

  constructor(readonly space: EmbeddingSpace, options: TruncatedGumbelOptions) {
    checkMetricEpsilon(options.epsilon);
    this.epsilon = options.epsilon;
    this.calibration = truncatedGumbelCalibration(options.epsilon, space.size, options.distanceRange ?? space.distanceRange());
    this.random = randomFor(options);
  }

  get secure(): boolean {
    return this.random.secure;
  }

  /** Neighbour lists of at least `k` entries for the given words (fetched in one batch). */
  private ensureNeighbours(ids: Iterable<number>, k: number): void {
    const missing = [...new Set(ids)].filter((id) => (this.lists.get(id)?.ids.length ?? 0) < k);
    if (missing.length === 0) return;
    const length = Math.min(this.space.size - 1, Math.max(k, INITIAL_NEIGHBOURS));
    const found = this.space.neighbours(missing, length);
    missing.forEach((id, r) => {
      this.lists.set(id, { ids: found.ids.slice(r * length, (r + 1) * length), distances: found.distances.slice(r * length, (r + 1) * length) });
    });
  }

  privatizeIds(ids: ArrayLike<number>): Int32Array {
    const c = this.calibration;
    const counts = new Int32Array(ids.length);
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (!Number.isInteger(id) || id < 0 || id >= this.space.size) throw new ConfigError(`word id ${id} is outside the vocabulary (0..${this.space.size - 1})`);
      // Candidate counts first, so the neighbour lists are fetched in one batch.
      counts[i] = sampleTruncatedPoisson(c.candidateMean, c.maxCandidates, this.random);
    }
    this.ensureNeighbours(Array.from(ids), INITIAL_NEIGHBOURS);
    for (let i = 0; i < ids.length; i++) if (counts[i] > this.lists.get(ids[i])!.ids.length) this.ensureNeighbours([ids[i]], counts[i]);
    const out = new Int32Array(ids.length);
    for (let i = 0; i < ids.length; i++) {
      const list = this.lists.get(ids[i])!;
      // The word itself at distance 0, then its k nearest others.
      let best = ids[i];
      let bestScore = sampleTruncatedGumbel(c.scale, c.maxDistance, this.random);
      for (let j = 0; j < counts[i]; j++) {
        const score = list.distances[j] + sampleTruncatedGumbel(c.scale, c.maxDistance, this.random);
        if (score < bestScore) {
          bestScore = score;
          best = list.ids[j];
        }
      }
      out[i] = best;
    }
    return out;
  }
}

/** The truncated Gumbel mechanism on vocabulary ids. */
export function truncatedGumbel(space: EmbeddingSpace, ids: ArrayLike<number>, options: TruncatedGumbelOptions): Int32Array {
  return new TruncatedGumbelMechanism(space, options).privatizeIds(ids);
}
