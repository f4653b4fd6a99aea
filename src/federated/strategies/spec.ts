/**
 * Strategies by name, as the CLI and studies spell them: "fedavg", "fedprox:0.01",
 * "fedavgm", "fedadagrad", "fedadam", "fedyogi", "median", "trimmed:0.1", "krum:1",
 * "multikrum:1:5", "multikrum" (f = 20% of clientsPerRound, m = all but f), "meamed", "meamed:0.2",
 * and nearest-neighbour mixing before a coordinate-wise rule: "nnm:median", "nnm:trimmed:0.2",
 * "nnm:meamed[:0.2]". Parsing is separate from construction so a bad string fails before any
 * data is loaded, with the list of valid forms.
 */
import { ConfigError } from '../../errors.js';
import { fedAvg } from './fedavg.js';
import { fedProx } from './fedprox.js';
import { fedAdagrad, fedAdam, fedAvgM, fedYogi } from './fedopt.js';
import { fedKrum, fedMeanAroundMedian, fedMedian, fedMixed, fedTrimmedMean } from './robust.js';
import type { ServerStrategy, StrategyOptions } from './server-strategy.js';

export type StrategySpec =
  | { kind: 'fedavg' | 'fedavgm' | 'fedadagrad' | 'fedadam' | 'fedyogi' | 'median' }
  | { kind: 'fedprox'; mu: number }
  | { kind: 'trimmed'; beta: number }
  | { kind: 'meamed'; beta: number }
  | { kind: 'krum'; f: number; m: number }
  /** Multi-Krum with f = ⌊byzantineFraction × clientsPerRound⌋, averaging all but f of each round's updates. */
  | { kind: 'multikrum'; byzantineFraction: number }
  /**
   * Nearest-neighbour mixing (f = ⌊byzantineFraction × n⌋ of each round's n updates) before a
   * coordinate-wise rule; the fraction is the inner rule's β (trimmed, meamed) or 0.2 (median).
   */
  | { kind: 'nnm'; byzantineFraction: number; inner: { kind: 'median' } | { kind: 'trimmed' | 'meamed'; beta: number } };

export const STRATEGY_FORMS = [
  'fedavg',
  'fedprox:MU',
  'fedavgm',
  'fedadagrad',
  'fedadam',
  'fedyogi',
  'median',
  'trimmed:BETA',
  'meamed[:BETA]',
  'krum:F',
  'multikrum[:F:M]',
  'nnm:median',
  'nnm:trimmed:BETA',
  'nnm:meamed[:BETA]',
] as const;

/**
 * The fraction of a round's updates assumed Byzantine when the operator does not say (2 of 10):
 * `meamed` drops that fraction of the values at each coordinate, `multikrum` tolerates
 * f = ⌊fraction × clientsPerRound⌋ Byzantine updates and averages all the others.
 */
export const DEFAULT_BYZANTINE_FRACTION = 0.2;

function invalid(text: string, why: string): never {
  throw new ConfigError(`invalid strategy "${text}": ${why}; valid forms: ${STRATEGY_FORMS.join(' | ')}`);
}

function numberArg(text: string, raw: string | undefined, name: string, ok: (n: number) => boolean, requirement: string): number {
  if (raw === undefined || raw.trim() === '') invalid(text, `${name} is missing`);
  const n = Number(raw);
  if (!Number.isFinite(n) || !ok(n)) invalid(text, `${name} must be ${requirement}, got "${raw}"`);
  return n;
}

export function parseStrategySpec(text: string): StrategySpec {
  const [name, ...args] = String(text).trim().toLowerCase().split(':');
  const arity = (n: number) => {
    if (args.length !== n) invalid(text, n === 0 ? `"${name}" takes no parameter` : `"${name}" takes ${n} parameter${n > 1 ? 's' : ''}`);
  };
  switch (name) {
    case 'fedavg':
    case 'fedavgm':
    case 'fedadagrad':
    case 'fedadam':
    case 'fedyogi':
    case 'median':
      arity(0);
      return { kind: name };
    case 'fedprox':
      arity(1);
      return { kind: 'fedprox', mu: numberArg(text, args[0], 'MU', (n) => n >= 0, 'a number ≥ 0') };
    case 'trimmed':
      arity(1);
      return { kind: 'trimmed', beta: numberArg(text, args[0], 'BETA', (n) => n >= 0 && n < 0.5, 'in [0, 0.5)') };
    case 'meamed':
      if (args.length > 1) invalid(text, '"meamed" takes at most 1 parameter');
      return { kind: 'meamed', beta: args.length === 0 ? DEFAULT_BYZANTINE_FRACTION : numberArg(text, args[0], 'BETA', (n) => n >= 0 && n < 0.5, 'in [0, 0.5)') };
    case 'krum':
      arity(1);
      return { kind: 'krum', f: numberArg(text, args[0], 'F', (n) => Number.isInteger(n) && n >= 0, 'an integer ≥ 0'), m: 1 };
    case 'multikrum':
      if (args.length === 0) return { kind: 'multikrum', byzantineFraction: DEFAULT_BYZANTINE_FRACTION };
      arity(2);
      return {
        kind: 'krum',
        f: numberArg(text, args[0], 'F', (n) => Number.isInteger(n) && n >= 0, 'an integer ≥ 0'),
        m: numberArg(text, args[1], 'M', (n) => Number.isInteger(n) && n >= 1, 'an integer ≥ 1'),
      };
    case 'nnm': {
      if (args.length === 0) invalid(text, '"nnm" needs the rule it mixes for: nnm:median, nnm:trimmed:BETA or nnm:meamed[:BETA]');
      const inner = parseStrategySpec(args.join(':'));
      if (inner.kind === 'median') return { kind: 'nnm', byzantineFraction: DEFAULT_BYZANTINE_FRACTION, inner: { kind: 'median' } };
      if (inner.kind === 'trimmed' || inner.kind === 'meamed') return { kind: 'nnm', byzantineFraction: inner.beta, inner };
      return invalid(text, `nearest-neighbour mixing goes before a coordinate-wise rule (median, trimmed:BETA, meamed[:BETA]), not "${args[0]}"`);
    }
    default:
      return invalid(text, `unknown strategy "${name}"`);
  }
}

export interface CreateStrategyOptions extends StrategyOptions {
  /** Server learning rate for fedavgm/fedadagrad/fedadam/fedyogi (their defaults otherwise). */
  serverLearningRate?: number;
}

export function createStrategy(spec: StrategySpec | string, options: CreateStrategyOptions): ServerStrategy {
  const s = typeof spec === 'string' ? parseStrategySpec(spec) : spec;
  switch (s.kind) {
    case 'fedavg':
      return fedAvg(options);
    case 'fedprox':
      return fedProx({ ...options, mu: s.mu });
    case 'fedavgm':
      return fedAvgM(options);
    case 'fedadagrad':
      return fedAdagrad(options);
    case 'fedadam':
      return fedAdam(options);
    case 'fedyogi':
      return fedYogi(options);
    case 'median':
      return fedMedian(options);
    case 'trimmed':
      return fedTrimmedMean({ ...options, beta: s.beta });
    case 'meamed':
      return fedMeanAroundMedian({ ...options, beta: s.beta });
    case 'krum':
      return fedKrum({ ...options, f: s.f, m: s.m });
    case 'multikrum':
      return fedKrum({ ...options, f: Math.floor(s.byzantineFraction * options.clientsPerRound), m: 'all-but-f' });
    case 'nnm':
      return fedMixed({ ...options, byzantineFraction: s.byzantineFraction, inner: s.inner });
  }
}
