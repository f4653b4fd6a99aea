/**
 * Shared CLI plumbing: option parsers that reject bad values with exit code 2, the one
 * JSON object on stdout, and error reporting without stack traces.
 */
import { availableParallelism } from 'node:os';
import { InvalidArgumentError, type Command } from 'commander';
import { initEngine, BACKENDS, type BackendName } from '../engine/index.js';

export function parseInteger(name: string, min = 0): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min) {
      throw new InvalidArgumentError(`${name} must be an integer ≥ ${min}, got "${value}"`);
    }
    return n;
  };
}

export function parseNumber(name: string, check: (n: number) => boolean = () => true, requirement = 'a number'): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || !check(n)) {
      throw new InvalidArgumentError(`${name} must be ${requirement}, got "${value}"`);
    }
    return n;
  };
}

/** `--engines N` or `--engines cores` (one engine per core): an integer ≥ 1. */
export function parseEngines(value: string): number {
  if (value.trim() === 'cores') return availableParallelism();
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1) {
    throw new InvalidArgumentError(`--engines must be an integer ≥ 1 or "cores", got "${value}"`);
  }
  return n;
}

/** An option holding a JSON object (e.g. architecture overrides); anything else is a usage error. */
export function parseJsonObject(name: string): (value: string) => Record<string, unknown> {
  return (value) => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(value);
    } catch {
      parsed = undefined;
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new InvalidArgumentError(`${name} must be a JSON object, e.g. '{"hidden": 64}', got "${value}"`);
    }
    return parsed as Record<string, unknown>;
  };
}

/** --dp-clip: a clip norm > 0, or "auto" for adaptive clipping. */
export function parseDpClip(value: string): number | 'auto' {
  if (value.trim().toLowerCase() === 'auto') return 'auto';
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`--dp-clip must be a number > 0 or "auto" (adaptive clipping), got "${value}"`);
  return n;
}

export function parseChoice<T extends string>(name: string, choices: readonly T[]): (value: string) => T {
  return (value) => {
    if (!(choices as readonly string[]).includes(value)) {
      throw new InvalidArgumentError(`${name} must be one of ${choices.join(', ')}, got "${value}"`);
    }
    return value as T;
  };
}

/** Adds --backend and --json, the options every compute command shares. */
export function withCommonOptions(command: Command): Command {
  return command
    .option('--backend <name>', `tensor backend: ${BACKENDS.join(' | ')}`, parseChoice('--backend', BACKENDS), 'wasm')
    .option('--json', 'print exactly one JSON object on stdout; progress as JSON lines on stderr', false);
}

export async function startEngine(options: { backend?: BackendName }): Promise<void> {
  await initEngine({ backend: options.backend ?? 'wasm' });
}

/** Prints the command's result: one JSON object with --json, else a readable summary. */
export function printResult(result: object, json: boolean | undefined, human: (r: any) => string): void {
  if (json) process.stdout.write(`${JSON.stringify(result)}\n`);
  else process.stdout.write(`${human(result)}\n`);
}

export function formatNumber(n: number, digits = 4): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(digits);
}
