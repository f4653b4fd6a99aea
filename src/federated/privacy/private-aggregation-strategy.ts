/**
 * A Strategy wrapper that aggregates privately: user-level DP (DP-FedAvg, McMahan et al.
 * ICLR 2018, with optional adaptive clipping, Andrew et al. NeurIPS 2021) and/or secure
 * aggregation (secagg/). Selection, local-training config, screening of the results, the
 * server optimiser step and evaluation are the wrapped ServerStrategy's (screenFitResults,
 * applyAggregate); the wrapper replaces only the combination of the accepted updates,
 * because what it aggregates is a sum, not a list of updates:
 *
 *   DP-FedAvg:  Δ̃ = ( Σ_{k ∈ S} clip_C(Δₖ) + N(0, σ_Δ² C² I) ) / K
 *     with uniform weights and the fixed denominator K = clients per round (the expected
 *     number of participants), so one user moves the numerator by at most C whatever the
 *     others do; σ_Δ = σ (fixed clip) or the adjusted multiplier of adaptive clipping.
 *   Adaptive clipping (Andrew et al.):  b̄ = ( Σ_{k ∈ S} [‖Δₖ‖ ≤ C] + N(0, σ_b²) ) / K,
 *     C ← C · exp(−η (b̄ − γ)).  b̄ is the (noised) fraction of UNCLIPPED updates: too many
 *     unclipped (b̄ > γ) shrinks C, too few grows it.
 *   Without DP (secure aggregation alone): Δ̃ = Σ wₖΔₖ / Σ_{k ∈ S} wₖ, the mean aggregator
 *     over the survivors, which needs selection weights that sum to one.
 * The server optimiser (FedAvg's x + Δ̃, or FedAvgM/FedAdam/... on Δ̃) then steps; DP is
 * preserved by this post-processing.
 *
 * With secure aggregation each client's (clipped, weighted) update is encoded in fixed point
 * with range R (default: C under DP, else 1) and summed by the SecAgg protocol; under
 * adaptive clipping the unclipped bit travels as one extra coordinate (R·[‖Δₖ‖ ≤ C]), so the
 * server learns only the count, as in Andrew et al. The sum is noised after unmasking.
 * `aggregateFit` computes the same fixed-point sum in the clear (the reference);
 * `aggregateFitSecurely` runs the protocol and checks that both agree bit for bit.
 *
 * In the simulator the wrapper clips what clients return; a deployed client clips (and
 * encodes) before anything leaves the device, which computes the same thing.
 */
import { ConfigError } from '../../errors.js';
import type { SeededRandom } from '../../engine/random.js';
import {
  AdaptiveClipping,
  createGaussianNoise,
  samplerFor,
  seededBytes,
  CSPRNG,
  type GaussianNoise,
  type AccountantName,
} from '../../privacy/index.js';
import { flattenParameters, parameterCount, unflattenParameters, type ParameterSet } from '../aggregate/index.js';
import type { ClientInfo } from '../selection/index.js';
import type { ServerStrategy } from '../strategies/index.js';
import type {
  AggregateEvaluateOutput,
  AggregateFitOutput,
  EvaluateInstruction,
  EvaluateResult,
  Failure,
  FitInstruction,
  FitResult,
  Metrics,
  ServerEvaluation,
  Strategy,
  StrategyState,
} from '../strategy.js';
import { addInRing, decodeFixedPoint, encodeFixedPoint, fixedPointEncoding, runSecureAggregation, type FixedPointEncoding } from '../secagg/index.js';
import { userLevelEpsilon, userLevelNoiseMultiplier, userSamplingRate } from './accounting.js';
import { clipUpdate } from './clipping.js';

export interface AdaptiveClipOptions {
  /** Starting clip norm C₀ (default 0.1). */
  initialClip?: number;
  /** γ: target fraction of unclipped updates (default 0.5, the median norm). */
  targetQuantile?: number;
  /** η: geometric step (default 0.2, as Andrew et al.). */
  learningRate?: number;
  /** σ_b: noise std on the unclipped count (default K/20, as Andrew et al.). */
  countNoiseStd?: number;
}

export interface DpFedAvgOptions {
  /** A fixed clip norm C, or adaptive clipping ('auto' = the defaults). */
  clip: number | 'auto' | AdaptiveClipOptions;
  /** σ: the total noise multiplier. Exactly one of noiseMultiplier and epsilon. */
  noiseMultiplier?: number;
  /** Target ε after `rounds` rounds: σ is calibrated to it. */
  epsilon?: number;
  delta: number;
  /** N: clients in the federation (for the sampling rate q = K/N). */
  population: number;
  /** Rounds planned (for calibration to ε and the report). */
  rounds: number;
  accountant?: AccountantName;
  /** Seeded, NOT private noise: tests and reproducible experiments only. */
  noiseSeed?: number;
}

export interface SecureAggregationOptions {
  /** Fixed-point range R (default: the clip norm under DP, else 1). */
  range?: number;
  fractionalBits?: number;
  /** SecAgg+ neighbours k (default defaultNeighbours(n)). */
  neighbours?: number;
  threshold?: number;
}

export interface PrivateAggregationOptions {
  dp?: DpFedAvgOptions;
  /** true for the defaults. */
  secureAggregation?: SecureAggregationOptions | boolean;
}

/** What the simulator calls instead of aggregateFit when a strategy offers it. */
export interface AsyncAggregatingStrategy extends Strategy {
  aggregateFitAsync(round: number, results: readonly FitResult[], failures: readonly Failure[]): Promise<AggregateFitOutput>;
}

export function hasAsyncAggregation(strategy: Strategy): strategy is AsyncAggregatingStrategy {
  return typeof (strategy as Partial<AsyncAggregatingStrategy>).aggregateFitAsync === 'function';
}

export interface DpReport {
  mechanism: 'DP-FedAvg (user-level)';
  clipping: 'fixed' | 'adaptive';
  /** The clip norm of the last round (the fixed C, or where adaptive clipping ended). */
  clipNorm: number;
  noiseMultiplier: number;
  /** The update-sum noise multiplier σ_Δ (> σ under adaptive clipping). */
  updateNoiseMultiplier: number;
  countNoiseStd?: number;
  sampleRate: number;
  population: number;
  clientsPerRound: number;
  /** Rounds that ran (and were charged). */
  rounds: number;
  delta: number;
  /** ε spent over those rounds; null when σ = 0. */
  epsilon: number | null;
  /** ε targeted for the planned rounds, when σ was calibrated. */
  targetEpsilon?: number;
  accountant: AccountantName;
  noise: 'CSPRNG' | 'seeded (not private)';
  notes: string[];
}

export interface SecureAggregationReport {
  protocol: 'SecAgg+ (Bonawitz et al. 2017, Bell et al. 2020), semi-honest';
  rounds: number;
  /** Rounds where the protocol's sum differed from the fixed-point plain sum (must be 0). */
  mismatches: number;
  /** Values clipped to ±R over all rounds and clients. */
  clippedValues: number;
  range: number | 'clip norm';
  seconds: number;
  /** Mean bytes one client sent / received per round. */
  bytesUpPerClient: number;
  bytesDownPerClient: number;
}

export interface FederatedPrivacyReport {
  dp?: DpReport;
  secureAggregation?: SecureAggregationReport;
}

interface Prepared {
  metrics: Metrics;
  /** Accepted clients' vectors to sum (clipped and weighted; + the unclipped bit under adaptive DP). */
  values: Float64Array[];
  weights: number[];
  /** Clip norm used this round (DP). */
  clip?: number;
  encoding?: FixedPointEncoding;
}

const DEFAULT_ADAPTIVE_INITIAL_CLIP = 0.1;

export class PrivateAggregationStrategy implements AsyncAggregatingStrategy {
  readonly name: string;
  readonly inner: ServerStrategy;
  readonly dp?: DpFedAvgOptions;
  readonly secureAggregation?: SecureAggregationOptions;
  /** σ (total). */
  readonly noiseMultiplier: number;
  private readonly adaptive?: AdaptiveClipping;
  private fixedClip = 0;
  private readonly noise?: GaussianNoise;
  private readonly sampleRate: number = 0;
  private roundsCharged = 0;
  private readonly secure = { rounds: 0, mismatches: 0, clippedValues: 0, seconds: 0, bytesUp: 0, bytesDown: 0, clients: 0 };

  constructor(inner: ServerStrategy, options: PrivateAggregationOptions) {
    if (inner.aggregator.name !== 'mean') {
      throw new ConfigError(
        `private aggregation: the ${inner.aggregator.name} aggregator needs every individual update, but DP-FedAvg and secure aggregation release only their sum; use fedavg, fedprox or a FedOpt strategy`,
      );
    }
    if (!options.dp && !options.secureAggregation) throw new ConfigError('private aggregation: give dp options, secureAggregation, or both');
    this.inner = inner;
    this.secureAggregation = options.secureAggregation === true ? {} : options.secureAggregation || undefined;
    const parts: string[] = [];
    if (options.dp) {
      const dp = options.dp;
      this.dp = dp;
      this.sampleRate = userSamplingRate(inner.clientsPerRound, dp.population);
      if ((dp.noiseMultiplier === undefined) === (dp.epsilon === undefined)) {
        throw new ConfigError('DP-FedAvg: give exactly one of a noise multiplier (--dp-noise) and a target epsilon (--dp-epsilon)');
      }
      if (!(dp.delta > 0 && dp.delta < 1)) throw new ConfigError(`DP-FedAvg: delta must be in (0, 1), got ${dp.delta}`);
      if (!Number.isInteger(dp.rounds) || dp.rounds < 1) throw new ConfigError(`DP-FedAvg: rounds must be an integer ≥ 1, got ${dp.rounds}`);
      const sigma = dp.noiseMultiplier ?? userLevelNoiseMultiplier({ ...this.accountingRequest(dp.rounds), epsilon: dp.epsilon! });
      if (!(sigma >= 0) || !Number.isFinite(sigma)) throw new ConfigError(`DP-FedAvg: the noise multiplier must be a finite number ≥ 0, got ${sigma}`);
      this.noiseMultiplier = sigma;
      const K = inner.clientsPerRound;
      if (typeof dp.clip === 'number') {
        if (!(dp.clip > 0) || !Number.isFinite(dp.clip)) throw new ConfigError(`DP-FedAvg: the clip norm must be a finite number > 0, got ${dp.clip}`);
        this.fixedClip = dp.clip;
      } else {
        const a = dp.clip === 'auto' ? {} : dp.clip;
        const countNoise = dp.noiseSeed === undefined ? undefined : samplerFor(false, seededBytes(dp.noiseSeed + 1));
        try {
          this.adaptive = new AdaptiveClipping(
            { initialClip: a.initialClip ?? DEFAULT_ADAPTIVE_INITIAL_CLIP, targetQuantile: a.targetQuantile, learningRate: a.learningRate, countNoiseStd: a.countNoiseStd },
            sigma,
            K,
            countNoise ?? samplerFor(true, CSPRNG),
          );
        } catch (error) {
          if (error instanceof ConfigError && /count noise/.test(error.message)) {
            throw new ConfigError(
              `DP-FedAvg adaptive clipping: the count noise σ_b (default K/20 = ${K / 20}) must exceed σ/2 = ${sigma / 2} to leave budget for the update noise; ` +
                'select more clients per round, lower the noise, or use a fixed --dp-clip',
            );
          }
          throw error;
        }
      }
      this.noise = createGaussianNoise(dp.noiseSeed === undefined ? { secure: true } : { seed: dp.noiseSeed });
      parts.push(`dp(C=${this.adaptive ? 'adaptive' : this.fixedClip}, σ=${Number(sigma.toPrecision(4))})`);
    } else {
      this.noiseMultiplier = 0;
    }
    if (this.secureAggregation) parts.push('secagg');
    this.name = `${inner.name}+${parts.join('+')}`;
  }

  private accountingRequest(rounds: number) {
    return { clientsPerRound: this.inner.clientsPerRound, population: this.dp!.population, rounds, delta: this.dp!.delta, accountant: this.dp!.accountant };
  }

  /** The clip norm the next round uses (DP only). */
  get clipNorm(): number | undefined {
    if (!this.dp) return undefined;
    return this.adaptive ? this.adaptive.clip : this.fixedClip;
  }

  get parameters(): ParameterSet {
    return this.inner.parameters;
  }

  initialize(initial: ParameterSet): ParameterSet {
    return this.inner.initialize(initial);
  }

  configureFit(round: number, clients: readonly ClientInfo[], rng: SeededRandom): FitInstruction[] {
    return this.inner.configureFit(round, clients, rng);
  }

  /** The inner strategy's state, the adaptive clip norm and the rounds charged to the accountant. */
  exportState(): StrategyState {
    const inner = this.inner.exportState();
    return {
      values: { ...inner.values, dpRoundsCharged: this.roundsCharged, ...(this.adaptive ? { dpAdaptiveClip: this.adaptive.clip } : {}) },
      vectors: inner.vectors,
    };
  }

  importState(state: StrategyState): void {
    const { dpRoundsCharged, dpAdaptiveClip, ...inner } = state.values;
    this.inner.importState({ values: inner, vectors: state.vectors });
    if (this.dp) {
      if (!Number.isInteger(dpRoundsCharged) || dpRoundsCharged < 0) throw new ConfigError(`${this.name}: the saved state lacks the rounds charged to the accountant`);
      this.roundsCharged = dpRoundsCharged;
    }
    if (this.adaptive) {
      if (!(dpAdaptiveClip > 0) || !Number.isFinite(dpAdaptiveClip)) throw new ConfigError(`${this.name}: the saved state lacks the adaptive clip norm (got ${dpAdaptiveClip})`);
      this.adaptive.clip = dpAdaptiveClip;
    }
  }

  /**
   * The inner strategy's screening (a deployed client refuses to encode a non-finite update, so
   * it never reaches the sum either), then clipping and weighting: shared by both aggregation paths.
   */
  private prepare(round: number, results: readonly FitResult[], failures: readonly Failure[]): Prepared {
    const { instructions, accepted, metrics } = this.inner.screenFitResults(round, results, failures);
    const values: Float64Array[] = [];
    const weights: number[] = [];
    let clip: number | undefined;
    if (this.dp) {
      clip = this.clipNorm!;
      for (const a of accepted) {
        const c = clipUpdate(flattenParameters(a.delta), clip);
        let v = c.clipped;
        if (this.adaptive) {
          // the unclipped bit rides along as one more coordinate of the sum
          v = new Float64Array(c.clipped.length + 1);
          v.set(c.clipped);
          v[c.clipped.length] = c.unclipped ? clip : 0;
        }
        values.push(v);
        weights.push(1);
      }
    } else {
      const total = instructions.reduce((s, i) => s + i.weight, 0);
      if (instructions.length > 0 && Math.abs(total - 1) > 1e-6) {
        throw new ConfigError(
          `${this.name}: secure aggregation without DP computes the survivors' weighted mean, which needs selection weights that sum to one (these sum to ${total}); use the uniform or power-of-choice sampler`,
        );
      }
      for (const a of accepted) {
        const flat = flattenParameters(a.delta);
        const v = new Float64Array(flat.length);
        for (let j = 0; j < flat.length; j++) v[j] = a.weight * flat[j];
        values.push(v);
        weights.push(a.weight);
      }
    }
    const prepared: Prepared = { metrics, values, weights, clip };
    if (this.secureAggregation && values.length > 0) {
      prepared.encoding = fixedPointEncoding({ range: this.secureAggregation.range ?? clip ?? 1, maxSummands: values.length, fractionalBits: this.secureAggregation.fractionalBits });
    }
    return prepared;
  }

  /** Σ encode(vₖ) mod 2^32, decoded: what secure aggregation must reproduce exactly. */
  private fixedPointSum(prepared: Prepared): { ring: Uint32Array; clipped: number } {
    const ring = new Uint32Array(prepared.values[0].length);
    let clipped = 0;
    for (const v of prepared.values) {
      const e = encodeFixedPoint(v, prepared.encoding!);
      clipped += e.clipped;
      addInRing(ring, e.encoded);
    }
    return { ring, clipped };
  }

  private plainSum(prepared: Prepared): Float64Array {
    const sum = new Float64Array(prepared.values[0].length);
    for (const v of prepared.values) for (let j = 0; j < v.length; j++) sum[j] += v[j];
    return sum;
  }

  /** Noise, normalisation, clip update and server step, from the round's sum. */
  private complete(prepared: Prepared, sum: Float64Array | undefined): AggregateFitOutput {
    const current = this.parameters;
    const { metrics } = prepared;
    if (!sum) {
      metrics.skipped = 1;
      return { parameters: current, metrics };
    }
    const count = parameterCount(current);
    const mean = new Float32Array(count);
    if (this.dp) {
      const K = this.inner.clientsPerRound;
      const clip = prepared.clip!;
      const sigmaUpdate = this.adaptive ? this.adaptive.gradientNoiseMultiplier : this.noiseMultiplier;
      const std = sigmaUpdate * clip;
      const z = std > 0 ? this.noise!.standardNormals(count) : undefined;
      for (let j = 0; j < count; j++) mean[j] = (sum[j] + (z ? std * z[j] : 0)) / K;
      metrics.dpClip = clip;
      metrics.dpNoiseStd = std / K;
      if (this.adaptive) {
        const unclipped = Math.round(sum[count] / clip);
        this.adaptive.update(unclipped);
        metrics.dpUnclippedFraction = this.adaptive.lastUnclippedFraction;
        metrics.dpNextClip = this.adaptive.clip;
      }
      this.roundsCharged++;
    } else {
      const total = prepared.weights.reduce((s, w) => s + w, 0);
      for (let j = 0; j < count; j++) mean[j] = sum[j] / total;
    }
    return this.inner.applyAggregate(unflattenParameters(mean, current), metrics);
  }

  /**
   * The round's aggregate computed in the clear: the fixed-point sum when secure
   * aggregation is configured (the reference the protocol must match), else a float sum.
   */
  aggregateFit(round: number, results: readonly FitResult[], failures: readonly Failure[]): AggregateFitOutput {
    const prepared = this.prepare(round, results, failures);
    if (prepared.values.length === 0) return this.complete(prepared, undefined);
    if (!prepared.encoding) return this.complete(prepared, this.plainSum(prepared));
    if (prepared.values.length < 2) {
      // as the protocol path: one update cannot be hidden in a sum of one
      prepared.metrics.secaggTooFew = 1;
      return this.complete(prepared, undefined);
    }
    const { ring, clipped } = this.fixedPointSum(prepared);
    prepared.metrics.secaggClippedValues = clipped;
    return this.complete(prepared, decodeFixedPoint(ring, prepared.encoding));
  }

  /**
   * The round's aggregate from Σ_{k ∈ S} clip_C(Δₖ) computed outside the strategy: the
   * service's secure aggregation, whose clients clip to `clipNorm`, use weight 1 and encode
   * on the device, so the server holds only the unmasked sum of `contributors` updates.
   * Noise, the division by K and the server step are as in `aggregateFit` (DP-FedAvg only:
   * without DP the weighted mean needs no strategy help). Under adaptive clipping the sum has
   * one more value, C × the number of unclipped updates (each client's bit rides in the sum).
   */
  aggregateClippedSum(round: number, sum: Float64Array | undefined, contributors: number, failures: readonly Failure[]): AggregateFitOutput {
    if (!this.dp) throw new ConfigError(`${this.name}: aggregateClippedSum needs DP-FedAvg`);
    const count = parameterCount(this.parameters) + (this.adaptive ? 1 : 0);
    if (sum && sum.length !== count) {
      throw new ConfigError(`${this.name}: the clipped sum has ${sum.length} values, expected ${count} (the model's${this.adaptive ? ' and the unclipped count' : ''})`);
    }
    // consumes the inner strategy's plan for the round; no individual update exists to screen
    const { metrics } = this.inner.screenFitResults(round, [], failures);
    metrics.clients = contributors;
    const prepared: Prepared = { metrics, values: [], weights: [], clip: this.clipNorm };
    return this.complete(prepared, contributors > 0 ? sum : undefined);
  }

  /** The same round with the sum computed by the secure-aggregation protocol among the accepted clients. */
  async aggregateFitAsync(round: number, results: readonly FitResult[], failures: readonly Failure[]): Promise<AggregateFitOutput> {
    if (!this.secureAggregation) return this.aggregateFit(round, results, failures);
    const prepared = this.prepare(round, results, failures);
    if (prepared.values.length < 2) {
      // one update cannot be hidden in a sum of one: leave the model unchanged
      prepared.metrics.secaggTooFew = 1;
      return this.complete(prepared, undefined);
    }
    const started = performance.now();
    const options = this.secureAggregation;
    const result = await runSecureAggregation({
      inputs: prepared.values,
      range: prepared.encoding!.range,
      fractionalBits: prepared.encoding!.fractionalBits,
      neighbours: options.neighbours !== undefined ? Math.min(options.neighbours, prepared.values.length - 1) : undefined,
      threshold: options.threshold,
    });
    const seconds = (performance.now() - started) / 1000;
    const reference = this.fixedPointSum(prepared);
    const matches = result.sum.length === reference.ring.length && result.sum.every((v, j) => v === reference.ring[j]);
    const costs = Object.values(result.costs);
    this.secure.rounds++;
    this.secure.mismatches += matches ? 0 : 1;
    this.secure.clippedValues += reference.clipped;
    this.secure.seconds += seconds;
    this.secure.bytesUp += costs.reduce((s, c) => s + c.bytesUp, 0);
    this.secure.bytesDown += costs.reduce((s, c) => s + c.bytesDown, 0);
    this.secure.clients += prepared.values.length;
    prepared.metrics.secaggSeconds = seconds;
    prepared.metrics.secaggMatchesPlain = matches ? 1 : 0;
    prepared.metrics.secaggClippedValues = reference.clipped;
    prepared.metrics.secaggFractionalBits = result.encoding.fractionalBits;
    return this.complete(prepared, result.values);
  }

  configureEvaluate(round: number, clients: readonly ClientInfo[], rng: SeededRandom): EvaluateInstruction[] {
    return this.inner.configureEvaluate(round, clients, rng);
  }

  aggregateEvaluate(round: number, results: readonly EvaluateResult[], failures: readonly Failure[]): AggregateEvaluateOutput {
    return this.inner.aggregateEvaluate(round, results, failures);
  }

  evaluate(round: number, parameters: ParameterSet): ServerEvaluation | undefined | Promise<ServerEvaluation | undefined> {
    return this.inner.evaluate(round, parameters);
  }

  /** ε spent so far (rounds that aggregated), the clip norm, the protocol's totals. */
  privacyReport(): FederatedPrivacyReport {
    const report: FederatedPrivacyReport = {};
    if (this.dp) {
      const dp = this.dp;
      const epsilon = this.roundsCharged === 0 ? 0 : userLevelEpsilon({ ...this.accountingRequest(this.roundsCharged), noiseMultiplier: this.noiseMultiplier });
      const notes = [
        `sampling rate q = ${this.inner.clientsPerRound}/${dp.population}; the accountant assumes Poisson sampling of users, the simulator draws exactly K without replacement (the usual approximation)`,
        'rounds in which no update arrived add no noise and are not charged',
      ];
      report.dp = {
        mechanism: 'DP-FedAvg (user-level)',
        clipping: this.adaptive ? 'adaptive' : 'fixed',
        clipNorm: this.clipNorm!,
        noiseMultiplier: this.noiseMultiplier,
        updateNoiseMultiplier: this.adaptive ? this.adaptive.gradientNoiseMultiplier : this.noiseMultiplier,
        sampleRate: this.sampleRate,
        population: dp.population,
        clientsPerRound: this.inner.clientsPerRound,
        rounds: this.roundsCharged,
        delta: dp.delta,
        epsilon: Number.isFinite(epsilon) ? epsilon : null,
        accountant: dp.accountant ?? 'rdp',
        noise: dp.noiseSeed === undefined ? 'CSPRNG' : 'seeded (not private)',
        notes,
      };
      if (this.adaptive) report.dp.countNoiseStd = this.adaptive.countNoiseStd;
      if (dp.epsilon !== undefined) report.dp.targetEpsilon = dp.epsilon;
    }
    if (this.secureAggregation) {
      const s = this.secure;
      report.secureAggregation = {
        protocol: 'SecAgg+ (Bonawitz et al. 2017, Bell et al. 2020), semi-honest',
        rounds: s.rounds,
        mismatches: s.mismatches,
        clippedValues: s.clippedValues,
        range: this.secureAggregation.range ?? (this.dp ? 'clip norm' : 1),
        seconds: s.seconds,
        bytesUpPerClient: s.clients ? s.bytesUp / s.clients : 0,
        bytesDownPerClient: s.clients ? s.bytesDown / s.clients : 0,
      };
    }
    return report;
  }

  dispose(): void {
    this.noise?.dispose();
  }
}

/** Wraps `inner` (a FedAvg-family strategy) with DP-FedAvg and/or secure aggregation. */
export function privateAggregation(inner: ServerStrategy, options: PrivateAggregationOptions): PrivateAggregationStrategy {
  return new PrivateAggregationStrategy(inner, options);
}
