/**
 * Canary exposure (Carlini et al. 2019, "The Secret Sharer"). A canary is a sentence of a
 * known format with a random secret (e.g. "my pin is {d}{d}{d}{d}"); inserted into the
 * training text, it is memorised if the model ranks it far above the other candidates of
 * the same format. With R the candidate space and rank the canary's position when all
 * candidates are sorted by the model's log-perplexity (1 = most likely):
 *   exposure = log2 |R| − log2 rank.
 * Exact by enumeration when |R| is small; for large |R|, by fitting a skew-normal to the
 * log-perplexities of sampled candidates and reading the canary's rank from its CDF:
 *   exposure ≈ −log2 F(perplexity of the canary).
 */
import { ConfigError } from '../../errors.js';
import type { SeededRandom } from '../../engine/random.js';
import { normalCdf } from '../accounting/special-functions.js';

export interface CanaryFormat {
  /** Text with `{d}` (digit) and `{l}` (lower-case letter) placeholders, e.g. "my pin is {d}{d}{d}{d}". */
  template: string;
}

const ALPHABETS: Record<string, string> = { '{d}': '0123456789', '{l}': 'abcdefghijklmnopqrstuvwxyz' };

function slots(template: string): string[] {
  return template.match(/\{[dl]\}/g) ?? [];
}

export function candidateSpaceSize(format: CanaryFormat): number {
  return slots(format.template).reduce((n, s) => n * ALPHABETS[s].length, 1);
}

/** The candidate with mixed-radix index k (k in [0, |R|)). */
export function candidateAt(format: CanaryFormat, k: number): string {
  const parts = format.template.split(/(\{[dl]\})/);
  const holes = parts.map((p, i) => (ALPHABETS[p] ? i : -1)).filter((i) => i >= 0);
  let rest = k;
  for (let h = holes.length - 1; h >= 0; h--) {
    const alphabet = ALPHABETS[parts[holes[h]]];
    parts[holes[h]] = alphabet[rest % alphabet.length];
    rest = Math.floor(rest / alphabet.length);
  }
  return parts.join('');
}

export function randomCanary(format: CanaryFormat, rng: SeededRandom): string {
  return format.template.replace(/\{[dl]\}/g, (s) => ALPHABETS[s][rng.int(ALPHABETS[s].length)]);
}

/**
 * Exact exposure: `canaryScore` and `otherScores` are log-perplexities (lower = more likely)
 * of the canary and of every other candidate. Ties count half (the expected rank).
 */
export function exactExposure(canaryScore: number, otherScores: ArrayLike<number>): { exposure: number; rank: number; candidates: number } {
  let better = 0;
  let ties = 0;
  for (let i = 0; i < otherScores.length; i++) {
    if (otherScores[i] < canaryScore) better++;
    else if (otherScores[i] === canaryScore) ties++;
  }
  const rank = 1 + better + ties / 2;
  const candidates = otherScores.length + 1;
  return { exposure: Math.log2(candidates) - Math.log2(rank), rank, candidates };
}

/** Owen's T function T(h, a) by Gauss–Legendre quadrature on [0, a] (|a| ≤ ~50 is ample here). */
export function owensT(h: number, a: number): number {
  if (a === 0) return 0;
  if (a < 0) return -owensT(h, -a);
  // T(h, a) = (1/2π) ∫_0^a exp(−h²(1+x²)/2) / (1+x²) dx; split [0, a] into panels.
  const panels = Math.max(8, Math.ceil(a * 8));
  const nodes = [-0.9602898564975363, -0.7966664774136267, -0.5255324099163290, -0.1834346424956498, 0.1834346424956498, 0.5255324099163290, 0.7966664774136267, 0.9602898564975363];
  const weights = [0.1012285362903763, 0.2223810344533745, 0.3137066458778873, 0.3626837833783620, 0.3626837833783620, 0.3137066458778873, 0.2223810344533745, 0.1012285362903763];
  const width = a / panels;
  let sum = 0;
  for (let p = 0; p < panels; p++) {
    const mid = (p + 0.5) * width;
    for (let j = 0; j < nodes.length; j++) {
      const x = mid + (nodes[j] * width) / 2;
      const q = 1 + x * x;
      sum += (weights[j] * width * Math.exp((-h * h * q) / 2)) / (2 * q);
    }
  }
  return sum / (2 * Math.PI);
}

export interface SkewNormal {
  location: number;
  scale: number;
  shape: number;
}

/** CDF of the skew-normal: Φ(z) − 2·T(z, α), z = (x − ξ)/ω. */
export function skewNormalCdf(x: number, d: SkewNormal): number {
  const z = (x - d.location) / d.scale;
  return Math.min(1, Math.max(0, normalCdf(z) - 2 * owensT(z, d.shape)));
}

/** Method-of-moments skew-normal fit (sample skewness clipped to the family's ±0.995 range). */
export function fitSkewNormal(samples: ArrayLike<number>): SkewNormal {
  const n = samples.length;
  if (n < 3) throw new ConfigError('fitting a skew-normal needs at least 3 samples');
  let mean = 0;
  for (let i = 0; i < n; i++) mean += samples[i];
  mean /= n;
  let m2 = 0;
  let m3 = 0;
  for (let i = 0; i < n; i++) {
    const d = samples[i] - mean;
    m2 += d * d;
    m3 += d * d * d;
  }
  m2 /= n;
  m3 /= n;
  const skew = Math.max(-0.995, Math.min(0.995, m3 / Math.pow(m2, 1.5)));
  // invert skewness γ = ((4−π)/2)·(δ√(2/π))³ / (1 − 2δ²/π)^{3/2}
  const g = Math.cbrt(Math.abs(skew));
  const c = Math.cbrt((4 - Math.PI) / 2);
  const deltaAbs = Math.sqrt((Math.PI / 2) * (g * g) / (g * g + c * c));
  const delta = Math.sign(skew) * Math.min(deltaAbs, 0.9999);
  const shape = delta / Math.sqrt(1 - delta * delta);
  const scale = Math.sqrt(m2 / (1 - (2 * delta * delta) / Math.PI));
  const location = mean - scale * delta * Math.sqrt(2 / Math.PI);
  return { location, scale, shape };
}

/**
 * Extrapolated exposure for a large candidate space: −log2 of the fitted CDF at the
 * canary's log-perplexity, capped at log2 |R| (a canary cannot rank above 1).
 */
export function extrapolatedExposure(canaryScore: number, sampledScores: ArrayLike<number>, candidates: number): { exposure: number; fit: SkewNormal } {
  const fit = fitSkewNormal(sampledScores);
  const cdf = skewNormalCdf(canaryScore, fit);
  const exposure = Math.min(Math.log2(candidates), cdf > 0 ? -Math.log2(cdf) : Math.log2(candidates));
  return { exposure, fit };
}
