/**
 * The local-DP baseline: Apple's Count Mean Sketch (Apple Differential Privacy Team, 2017,
 * "Learning with Privacy at Scale", Algorithms 1–3). Every device privatises its own report;
 * the server never sees a true item, and needs no trust at all.
 *
 * Device (A_client-CMS): pick a hash index j uniformly from [k]; v = (−1)^m with v[h_j(d)] = +1;
 * flip each coordinate independently with probability 1 / (1 + e^{ε/2}); send (ṽ, j). Two
 * items' vectors differ in at most two coordinates, so the report is ε-LDP.
 * Server (A_server): c_ε = (e^{ε/2} + 1) / (e^{ε/2} − 1); x = k · (c_ε/2 · ṽ + 1/2); add x to
 * row j of the k × m sketch M. Frequency of d over the n reports:
 *   f̂(d) = m/(m − 1) · ( (1/k) Σ_l M[l, h_l(d)] − n/m ).
 * E[c_ε ṽ_i] = v_i, so E[x] = k·[i = h_j(d)]; averaged over j and over the hash family,
 * f̂(d) is unbiased for the number of reports of d (the test checks it statistically).
 *
 * Heavy hitters need candidates: the sketch only answers "how often was d reported?". Apple
 * used a known dictionary (emoji) or a second protocol for new words; here the caller gives
 * the dictionary (the simulator uses every item in the data, the most favourable dictionary
 * a deployment could have, so the recall it reports is an upper bound for CMS).
 *
 * Hash family: h_l(d) = murmur3-style 32-bit mix of (hash seed, l, UTF-16 code units of d)
 * mod m. The seed is public; a new seed draws a new family.
 */
import { ConfigError } from '../../errors.js';
import { fmix32 } from '../../engine/random.js';
import { AnalyticsRandom, type NoiseSource } from './analytics-random.js';
import type { UserItems } from './items.js';

export interface CountMeanSketchConfig {
  epsilon: number;
  /** m: sketch width (default 1024). */
  width?: number;
  /** k: number of hash functions (default 256). */
  hashCount?: number;
  /** Seed of the public hash family (default 0). */
  hashSeed?: number;
}

interface ResolvedConfig {
  epsilon: number;
  width: number;
  hashCount: number;
  hashSeed: number;
}

function resolve(config: CountMeanSketchConfig): ResolvedConfig {
  const { epsilon } = config;
  if (!(epsilon > 0) || !Number.isFinite(epsilon)) throw new ConfigError(`Count Mean Sketch: epsilon must be a finite number > 0 (local DP has no ε = ∞ mode), got ${epsilon}`);
  const width = config.width ?? 1024;
  const hashCount = config.hashCount ?? 256;
  if (!Number.isInteger(width) || width < 2) throw new ConfigError(`Count Mean Sketch: width m must be an integer ≥ 2, got ${width}`);
  if (!Number.isInteger(hashCount) || hashCount < 1) throw new ConfigError(`Count Mean Sketch: hashCount k must be an integer ≥ 1, got ${hashCount}`);
  return { epsilon, width, hashCount, hashSeed: config.hashSeed ?? 0 };
}

/** h_l(d) ∈ [0, m). */
export function sketchHash(item: string, index: number, width: number, seed: number): number {
  let h = fmix32((seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0);
  for (let i = 0; i < item.length; i++) {
    h = Math.imul(h ^ item.charCodeAt(i), 0xcc9e2d51);
    h = ((h << 15) | (h >>> 17)) >>> 0;
    h = (Math.imul(h, 0x1b873593) + 0xe6546b64) >>> 0;
  }
  return fmix32((h ^ item.length) >>> 0) % width;
}

/** Flip probability of each coordinate: 1 / (1 + e^{ε/2}). */
export function cmsFlipProbability(epsilon: number): number {
  return 1 / (1 + Math.exp(epsilon / 2));
}

export interface CmsReport {
  /** j: which hash function. */
  hashIndex: number;
  /** ṽ ∈ {−1, +1}^m. */
  bits: Int8Array;
}

/** The device's side: its one item, privatised. */
export function privatiseCmsReport(item: string, config: CountMeanSketchConfig, random: AnalyticsRandom): CmsReport {
  const c = resolve(config);
  const hashIndex = random.int(c.hashCount);
  const hot = sketchHash(item, hashIndex, c.width, c.hashSeed);
  const flip = cmsFlipProbability(c.epsilon);
  const bits = new Int8Array(c.width);
  for (let i = 0; i < c.width; i++) {
    const v = i === hot ? 1 : -1;
    bits[i] = random.bernoulli(flip) ? -v : v;
  }
  return { hashIndex, bits };
}

/** The server's sketch M (k × m) and the number of reports n. */
export class CountMeanSketch {
  private readonly config: ResolvedConfig;
  private readonly rows: Float64Array[];
  private reports = 0;

  constructor(config: CountMeanSketchConfig) {
    this.config = resolve(config);
    this.rows = Array.from({ length: this.config.hashCount }, () => new Float64Array(this.config.width));
  }

  get count(): number {
    return this.reports;
  }

  add(report: CmsReport): void {
    const { width, hashCount, epsilon } = this.config;
    if (!Number.isInteger(report.hashIndex) || report.hashIndex < 0 || report.hashIndex >= hashCount) {
      throw new ConfigError(`Count Mean Sketch report: hash index ${report.hashIndex} is outside [0, ${hashCount})`);
    }
    if (report.bits.length !== width) throw new ConfigError(`Count Mean Sketch report: ${report.bits.length} bits, the sketch is ${width} wide`);
    const e = Math.exp(epsilon / 2);
    const scale = (e + 1) / (e - 1);
    const row = this.rows[report.hashIndex];
    for (let i = 0; i < width; i++) {
      const b = report.bits[i];
      if (b !== 1 && b !== -1) throw new ConfigError(`Count Mean Sketch report: bit ${i} is ${b}, expected ±1`);
      row[i] += hashCount * ((scale / 2) * b + 0.5);
    }
    this.reports++;
  }

  /** f̂(d): the debiased estimate of how many reports were d. */
  estimate(item: string): number {
    const { width, hashCount, hashSeed } = this.config;
    let sum = 0;
    for (let l = 0; l < hashCount; l++) sum += this.rows[l][sketchHash(item, l, width, hashSeed)];
    return (width / (width - 1)) * (sum / hashCount - this.reports / width);
  }
}

export interface CmsHeavyHittersOptions extends CountMeanSketchConfig {
  users: readonly UserItems[];
  k: number;
  /** Candidate items the server estimates; default every item any user holds (an oracle dictionary). */
  dictionary?: readonly string[];
  /** Seed of the devices' randomness: reproducible, NOT private. Default: the CSPRNG. */
  noiseSeed?: number;
}

export interface CmsHeavyHittersResult {
  method: 'cms';
  /** The k candidates with the largest f̂ (an estimate of how many devices REPORTED the item, not of how many hold it). */
  items: { item: string; estimate: number }[];
  /** Reports sent (one per device holding at least one item). */
  reports: number;
  /** Candidates the server estimated. */
  dictionarySize: number;
  dictionary: 'given' | 'oracle (every item in the data)';
  flipProbability: number;
  width: number;
  hashCount: number;
  noise: NoiseSource;
}

/**
 * Heavy hitters under local DP: each device reports ONE of its items (chosen uniformly, so the
 * user-level budget is ε), the server ranks the dictionary by f̂.
 */
export function cmsHeavyHitters(options: CmsHeavyHittersOptions): CmsHeavyHittersResult {
  const config = resolve(options);
  if (!Number.isInteger(options.k) || options.k < 1) throw new ConfigError(`k must be an integer ≥ 1, got ${options.k}`);
  if (!Array.isArray(options.users) || options.users.length === 0) throw new ConfigError('heavy hitters need at least one user');
  const random = AnalyticsRandom.from(options.noiseSeed);
  const sketch = new CountMeanSketch(config);
  for (const { items } of options.users) {
    if (items.length === 0) continue;
    sketch.add(privatiseCmsReport(items[random.int(items.length)], config, random));
  }
  const dictionary = options.dictionary ?? [...new Set(options.users.flatMap((u) => u.items))];
  const ranked = [...new Set(dictionary)]
    .map((item) => ({ item, estimate: sketch.estimate(item) }))
    .sort((a, b) => b.estimate - a.estimate || (a.item < b.item ? -1 : 1));
  return {
    method: 'cms',
    items: ranked.slice(0, options.k),
    reports: sketch.count,
    dictionarySize: ranked.length,
    dictionary: options.dictionary ? 'given' : 'oracle (every item in the data)',
    flipProbability: cmsFlipProbability(config.epsilon),
    width: config.width,
    hashCount: config.hashCount,
    noise: random.source,
  };
}
