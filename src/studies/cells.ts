/**
 * Study cells: the independent pieces of a study (one configuration, one seed), described as
 * plain data so that they can run on a worker thread or another machine and be saved one by
 * one. A cell's key is derived from everything that decides its rows (the study, its seed,
 * --quick, --dataset and the cell's parameters): a changed parameter gives a new key, so a
 * resumed run never reuses a stale cell.
 */
import { createHash } from 'node:crypto';
import { ConfigError } from '../errors.js';

/** A cell's parameters: plain JSON (numbers, strings, booleans, null, arrays, objects). */
export type CellParams = Record<string, unknown>;

/** What a study's `cells(ctx)` returns: a readable name and the parameters. */
export interface CellSpec<P extends CellParams = CellParams> {
  /** Short and readable ("clinc150 iid fedavg seed 0"); it starts the key, so keep it unique enough to read. */
  name: string;
  params: P;
}

/** A cell as `runCell` receives it. */
export interface StudyCell<P extends CellParams = CellParams> extends CellSpec<P> {
  /** `<slug of name>-<16 hex digits of SHA-256>`; the file name of its saved rows. */
  key: string;
}

/** What besides the parameters decides a cell's rows. */
export interface CellScope {
  study: string;
  seed: number;
  quick: boolean;
  dataset?: string;
}

export const CELL_KEY_PATTERN = /^[a-z0-9][a-z0-9.-]{0,80}$/;

/** JSON with object keys sorted at every level, so equal parameters always hash alike. */
export function canonicalJson(value: unknown, path = 'params'): string {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new ConfigError(`study cell ${path} is ${value}; cell parameters must be finite numbers`);
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map((v, i) => canonicalJson(v, `${path}[${i}]`)).join(',')}]`;
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v, `${path}.${k}`)}`).join(',')}}`;
  }
  throw new ConfigError(`study cell ${path} is a ${typeof value === 'object' ? (value as object).constructor?.name ?? 'object' : typeof value}; cell parameters must be plain JSON data`);
}

function slug(name: string): string {
  const s = name
    .toLowerCase()
    .replace(/[^a-z0-9.]+/g, '-')
    .replace(/^[-.]+|-+$/g, '')
    .slice(0, 60)
    .replace(/-+$/, '');
  return s || 'cell';
}

export function cellKey(spec: CellSpec, scope: CellScope): string {
  const identity = canonicalJson({ study: scope.study, seed: scope.seed, quick: scope.quick, dataset: scope.dataset ?? null, params: spec.params });
  return `${slug(spec.name)}-${createHash('sha256').update(identity).digest('hex').slice(0, 16)}`;
}

/** Keys for every cell; a study whose cells collide (the same name and parameters twice) is refused. */
export function keyCells(specs: readonly CellSpec[], scope: CellScope): StudyCell[] {
  const seen = new Map<string, string>();
  return specs.map((spec) => {
    if (typeof spec?.name !== 'string' || typeof spec.params !== 'object' || spec.params === null) {
      throw new ConfigError(`study "${scope.study}": cells(ctx) must return {name, params} objects`);
    }
    const key = cellKey(spec, scope);
    const twin = seen.get(key);
    if (twin !== undefined) throw new ConfigError(`study "${scope.study}": cells "${twin}" and "${spec.name}" have the same parameters; every cell must differ`);
    seen.set(key, spec.name);
    return { key, name: spec.name, params: spec.params };
  });
}

/**
 * A 31-bit seed for randomness of the cell's own (beyond what its parameters fix), from the
 * study seed and the key only: the same whichever order, thread or machine the cell runs in.
 */
export function cellSeed(studySeed: number, key: string): number {
  return createHash('sha256').update(`${studySeed}:${key}`).digest().readUInt32BE(0) >>> 1;
}
