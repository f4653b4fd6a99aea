/** Shared benchmark helpers: medians, machine description, result files. */
import { cpus, totalmem, platform, release } from 'node:os';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The value after `name` (e.g. "--runs") on the command line, if there is one. */
export function flagValue(name: string): string | undefined {
  const at = process.argv.indexOf(name);
  return at >= 0 ? process.argv[at + 1] : undefined;
}

/** A string option of a benchmark script: its value, or the fallback when absent. */
export function stringFlag(name: string, fallback: string): string {
  return flagValue(name) || fallback;
}

/** A numeric option of a benchmark script: its value as a number, or the fallback when absent. */
export function numberFlag(name: string, fallback: number): number {
  const value = flagValue(name);
  return value === undefined ? fallback : Number(value);
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : 0.5 * (s[m - 1] + s[m]);
}

/** Median wall time (ms) of `runs` calls after `warmup` untimed calls. */
export function timeMedian(fn: () => void, runs = 5, warmup = 1): number {
  for (let i = 0; i < warmup; i++) fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  return median(times);
}

export function machine(): Record<string, unknown> {
  const c = cpus();
  return {
    cpu: c[0]?.model ?? 'unknown',
    cores: c.length,
    memoryGB: Math.round(totalmem() / 2 ** 30),
    os: `${platform()} ${release()}`,
    node: process.version,
  };
}

/** Writes bench-results/SUITE.json (or `options.path`) with the machine and the command that produced it. */
export function writeResult(suite: string, result: unknown, options: { command?: string; path?: string } = {}): string {
  const path = options.path ?? join('bench-results', `${suite}.json`);
  mkdirSync(dirname(path), { recursive: true });
  const command = options.command ?? `node dist/bench/run.js ${suite}`;
  writeFileSync(path, JSON.stringify({ suite, date: new Date().toISOString(), machine: machine(), command, result }, null, 1));
  return path;
}
