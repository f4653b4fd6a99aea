/**
 * The simulator's knobs as the CLI and studies spell them, parsed before any data is
 * loaded so a typo fails at once with the valid forms:
 *   partition: speaker | domain | scenario | user | iid | dirichlet:ALPHA | quantity:BETA | cluster:K:ALPHA
 *   selection: uniform | activity[:TAU] | power-of-choice:D
 *   setting:   static | continual:T[:WINDOW] | drift:T[:WINDOW]
 */
import { ConfigError } from '../../errors.js';
import { activitySampler, powerOfChoiceSampler, uniformSampler, type ClientSampler } from '../selection/index.js';

export type PartitionSpec =
  | { kind: 'speaker' | 'domain' | 'scenario' | 'user' | 'iid' }
  | { kind: 'dirichlet'; alpha: number }
  | { kind: 'quantity'; beta: number }
  /** FedNLP's embedding clustering: k-means into K clusters of sentence vectors, then Dirichlet(α) over them. */
  | { kind: 'cluster'; clusters: number; alpha: number };

export type SelectionSpec = { kind: 'uniform' } | { kind: 'activity'; tau: number } | { kind: 'power-of-choice'; candidates: number };

export type SettingSpec =
  | { kind: 'static' }
  /**
   * Data arriving over T periods, each client keeping WINDOW of them. `drift` (the `drift:T`
   * form): the periods follow the dataset's domains (new intents appear over time) instead of
   * random cuts of each client's data.
   */
  | { kind: 'continual'; periods: number; window: number; drift?: 'domain' };

export const PARTITION_FORMS = ['speaker', 'domain', 'scenario', 'user', 'iid', 'dirichlet:ALPHA', 'quantity:BETA', 'cluster:K:ALPHA'] as const;
export const SELECTION_FORMS = ['uniform', 'activity[:TAU]', 'power-of-choice:D'] as const;
export const SETTING_FORMS = ['static', 'continual:T', 'continual:T:WINDOW', 'drift:T', 'drift:T:WINDOW'] as const;

function splitSpec(text: string): [string, string[]] {
  const [name, ...args] = String(text).trim().toLowerCase().split(':');
  return [name, args];
}

function numberOf(raw: string | undefined, ok: (n: number) => boolean): number | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  const n = Number(raw);
  return Number.isFinite(n) && ok(n) ? n : undefined;
}

export function parsePartitionSpec(text: string): PartitionSpec {
  const [name, args] = splitSpec(text);
  const fail = (why: string): never => {
    throw new ConfigError(`invalid partition "${text}": ${why}; valid forms: ${PARTITION_FORMS.join(' | ')}`);
  };
  if (name === 'speaker' || name === 'domain' || name === 'scenario' || name === 'user' || name === 'iid') {
    if (args.length) fail(`"${name}" takes no parameter`);
    return { kind: name };
  }
  if (name === 'dirichlet' || name === 'quantity') {
    if (args.length !== 1) fail(`"${name}" needs one parameter`);
    const value = numberOf(args[0], (n) => n > 0);
    if (value === undefined) fail(`${name === 'dirichlet' ? 'ALPHA' : 'BETA'} must be a number > 0, got "${args[0]}"`);
    return name === 'dirichlet' ? { kind: 'dirichlet', alpha: value! } : { kind: 'quantity', beta: value! };
  }
  if (name === 'cluster') {
    if (args.length !== 2) fail('"cluster" needs two parameters, K (clusters) and ALPHA');
    const clusters = numberOf(args[0], (n) => Number.isInteger(n) && n >= 2);
    if (clusters === undefined) fail(`K must be an integer ≥ 2, got "${args[0]}"`);
    const alpha = numberOf(args[1], (n) => n > 0);
    if (alpha === undefined) fail(`ALPHA must be a number > 0, got "${args[1]}"`);
    return { kind: 'cluster', clusters: clusters!, alpha: alpha! };
  }
  return fail(`unknown partition "${name}"`);
}

/** True for the partitions that draw as many clients as asked (iid, dirichlet, quantity); the others follow the data's own groups. */
export function partitionSetsClientCount(spec: PartitionSpec): boolean {
  return spec.kind === 'iid' || spec.kind === 'dirichlet' || spec.kind === 'quantity';
}

export function parseSelectionSpec(text: string): SelectionSpec {
  const [name, args] = splitSpec(text);
  const fail = (why: string): never => {
    throw new ConfigError(`invalid selection "${text}": ${why}; valid forms: ${SELECTION_FORMS.join(' | ')}`);
  };
  if (name === 'uniform') {
    if (args.length) fail('"uniform" takes no parameter');
    return { kind: 'uniform' };
  }
  if (name === 'activity') {
    if (args.length > 1) fail('"activity" takes at most one parameter');
    if (args.length === 0) return { kind: 'activity', tau: 1 };
    const tau = numberOf(args[0], (n) => n >= 0 && n <= 1);
    if (tau === undefined) fail(`TAU must be in [0, 1], got "${args[0]}"`);
    return { kind: 'activity', tau: tau! };
  }
  if (name === 'power-of-choice') {
    if (args.length !== 1) fail('"power-of-choice" needs D, the candidate-set size');
    const d = numberOf(args[0], (n) => Number.isInteger(n) && n >= 1);
    if (d === undefined) fail(`D must be an integer ≥ 1, got "${args[0]}"`);
    return { kind: 'power-of-choice', candidates: d! };
  }
  return fail(`unknown selection "${name}"`);
}

export function parseSettingSpec(text: string): SettingSpec {
  const [name, args] = splitSpec(text);
  const fail = (why: string): never => {
    throw new ConfigError(`invalid setting "${text}": ${why}; valid forms: ${SETTING_FORMS.join(' | ')}`);
  };
  if (name === 'static') {
    if (args.length) fail('"static" takes no parameter');
    return { kind: 'static' };
  }
  if (name === 'continual' || name === 'drift') {
    if (args.length < 1 || args.length > 2) fail(`"${name}" needs T (periods) and optionally WINDOW (periods kept)`);
    const periods = numberOf(args[0], (n) => Number.isInteger(n) && n >= 1);
    if (periods === undefined) fail(`T must be an integer ≥ 1, got "${args[0]}"`);
    const window = args.length === 2 ? numberOf(args[1], (n) => Number.isInteger(n) && n >= 1) : 1;
    if (window === undefined) fail(`WINDOW must be an integer ≥ 1, got "${args[1]}"`);
    return name === 'drift' ? { kind: 'continual', periods: periods!, window: window!, drift: 'domain' } : { kind: 'continual', periods: periods!, window: window! };
  }
  return fail(`unknown setting "${name}"`);
}

export function createSampler(spec: SelectionSpec | string): ClientSampler {
  const s = typeof spec === 'string' ? parseSelectionSpec(spec) : spec;
  if (s.kind === 'uniform') return uniformSampler();
  if (s.kind === 'activity') return activitySampler(s.tau);
  return powerOfChoiceSampler({ candidates: s.candidates });
}
