/**
 * One-call entry points: ε of a training run, and the noise multiplier that meets a target ε.
 * These are what the CLI (`trustnlu privacy epsilon|noise`) and the DP trainer call.
 */
import { ConfigError, TrustnluError } from '../../errors.js';
import { pldEpsilon, type PldOptions } from './pld.js';
import {
  checkDelta,
  checkNoiseMultiplier,
  checkSampleRate,
  checkSteps,
  epsilonAtOptimalOrder,
  epsilonFromRdp,
  rdpOfPhases,
  type PrivacyPhase,
  type RdpConversion,
} from './rdp.js';

/** The requested privacy budget cannot be met with the given sampling rate, steps and δ. */
export class PrivacyBudgetError extends TrustnluError {}

export type AccountantName = 'rdp' | 'pld';

export interface AccountantChoice {
  /** 'rdp' (default): fast, slightly loose; 'pld': tight, slower (~0.1–2 s). */
  accountant?: AccountantName;
  /**
   * RDP orders to minimise over (rdp only). Omitted (the default): the order is optimised
   * continuously, which is never looser than any fixed grid.
   */
  orders?: readonly number[];
  /** RDP → (ε, δ) conversion (rdp only), default Balle et al. 2020. */
  conversion?: RdpConversion;
  /** PLD options (pld only). */
  pld?: PldOptions;
}

export interface EpsilonRequest extends AccountantChoice {
  sampleRate: number;
  noiseMultiplier: number;
  steps: number;
  delta: number;
}

/** The shape the CLI prints with `--json`: `{"epsilon", "accountant", "order"}`. */
export interface EpsilonResult {
  epsilon: number;
  accountant: AccountantName;
  /** The RDP order at which ε was attained, often fractional (rdp only, when ε is finite and > 0 steps). */
  order?: number;
}

function checkAccountant(name: unknown): AccountantName {
  if (name === undefined) return 'rdp';
  if (name !== 'rdp' && name !== 'pld') {
    throw new ConfigError(`accountant must be 'rdp' or 'pld'; got ${String(name)}.`);
  }
  return name;
}

/** ε of a sequence of phases at the given δ. */
export function epsilonOfPhases(
  request: AccountantChoice & { phases: readonly PrivacyPhase[]; delta: number },
): EpsilonResult {
  const accountant = checkAccountant(request.accountant);
  checkDelta(request.delta);
  if (accountant === 'pld') {
    return { epsilon: pldEpsilon(request.phases, request.delta, request.pld).epsilon, accountant };
  }
  const { epsilon, order } =
    request.orders === undefined
      ? epsilonAtOptimalOrder(request.phases, request.delta, request.conversion)
      : epsilonFromRdp(request.orders, rdpOfPhases(request.phases, request.orders), request.delta, request.conversion);
  return Number.isFinite(epsilon) && Number.isFinite(order) ? { epsilon, accountant, order } : { epsilon, accountant };
}

/** ε after `steps` steps of DP-SGD with Poisson sampling rate q and noise multiplier σ. */
export function computeEpsilon(request: EpsilonRequest): EpsilonResult {
  checkSampleRate(request.sampleRate);
  checkNoiseMultiplier(request.noiseMultiplier);
  checkSteps(request.steps);
  const phase = { sampleRate: request.sampleRate, noiseMultiplier: request.noiseMultiplier, steps: request.steps };
  return epsilonOfPhases({ ...request, phases: [phase] });
}

export interface NoiseRequest extends AccountantChoice {
  epsilon: number;
  delta: number;
  sampleRate: number;
  steps: number;
  /** Relative precision of σ (default 1e-4 for rdp, 1e-3 for pld). */
  tolerance?: number;
  /** Largest σ tried before giving up (default 1000). */
  maxNoiseMultiplier?: number;
}

const MIN_NOISE_MULTIPLIER = 1e-3;

/**
 * The smallest noise multiplier σ (to the requested relative tolerance) whose ε after `steps`
 * steps at sampling rate q is at most the target. The returned σ always satisfies the target:
 * bisection keeps the upper end, which has been checked. ε is non-increasing in σ (more noise
 * is a post-processing of less), which makes the bisection valid.
 */
export function noiseMultiplierForEpsilon(request: NoiseRequest): number {
  const accountant = checkAccountant(request.accountant);
  const target = request.epsilon;
  if (typeof target !== 'number' || !(target > 0) || !Number.isFinite(target)) {
    throw new ConfigError(`epsilon (target) must be a finite number > 0; got ${target}.`);
  }
  checkDelta(request.delta);
  checkSampleRate(request.sampleRate);
  checkSteps(request.steps);
  const tolerance = request.tolerance ?? (accountant === 'pld' ? 1e-3 : 1e-4);
  if (!(tolerance > 0 && tolerance < 0.5)) {
    throw new ConfigError(`tolerance must be in (0, 0.5); got ${tolerance}.`);
  }
  const maxSigma = request.maxNoiseMultiplier ?? 1000;
  if (!(maxSigma > MIN_NOISE_MULTIPLIER) || !Number.isFinite(maxSigma)) {
    throw new ConfigError(`maxNoiseMultiplier must be a finite number > ${MIN_NOISE_MULTIPLIER}; got ${maxSigma}.`);
  }
  // Nothing about any example is released: no noise is needed.
  if (request.steps === 0 || request.sampleRate === 0) return 0;

  const epsilonAt = (sigma: number, which: AccountantName): number =>
    computeEpsilon({ ...request, accountant: which, noiseMultiplier: sigma }).epsilon;

  /** Doubles σ from 1 until the target is met; the error names what to change. */
  const doubleUntilMet = (which: AccountantName): number => {
    let sigma = 1;
    while (epsilonAt(sigma, which) > target) {
      if (sigma >= maxSigma) {
        const best = epsilonAt(maxSigma, which);
        throw new PrivacyBudgetError(
          `ε = ${target} at δ = ${request.delta} cannot be met with sampling rate ${request.sampleRate} and ` +
            `${request.steps} steps: even noise multiplier ${maxSigma} gives ε = ${best.toPrecision(4)} with the ` +
            `${which.toUpperCase()} accountant${which === 'rdp' ? ' (its largest order caps how small ε can go)' : ''}. ` +
            'Raise epsilon or delta, train fewer steps or with a smaller sampling rate' +
            (which === 'rdp' ? ", or use accountant 'pld'." : '.'),
        );
      }
      sigma = Math.min(maxSigma, sigma * 2);
    }
    return sigma;
  };

  let hi: number;
  let shrink = 0.5;
  if (accountant === 'pld') {
    // PLD ε ≤ RDP ε at every σ, so the RDP answer (cheap) is an upper bracket, and the PLD
    // answer is usually within 10% below it.
    try {
      hi = noiseMultiplierForEpsilon({ ...request, accountant: 'rdp', tolerance: 1e-4 });
      shrink = 0.85;
    } catch (error) {
      if (!(error instanceof PrivacyBudgetError)) throw error;
      hi = doubleUntilMet('pld');
    }
  } else {
    hi = doubleUntilMet('rdp');
  }
  // Find a lower end that misses the target.
  let lo = hi * shrink;
  while (epsilonAt(lo, accountant) <= target) {
    hi = lo;
    if (lo <= MIN_NOISE_MULTIPLIER) return hi;
    lo = Math.max(MIN_NOISE_MULTIPLIER, lo * shrink);
  }
  while (hi / lo > 1 + tolerance) {
    const mid = Math.sqrt(lo * hi);
    if (epsilonAt(mid, accountant) <= target) hi = mid;
    else lo = mid;
  }
  return hi;
}
