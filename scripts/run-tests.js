#!/usr/bin/env node
// Runs every compiled test file (dist/test/**/*.test.js) with node:test.
// Usage: node scripts/run-tests.js [substring ...]  (filters test files by path)
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';

function collect(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...collect(path));
    else if (name.endsWith('.test.js')) out.push(path);
  }
  return out;
}

const filters = process.argv.slice(2);
const files = collect('dist/test')
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .sort();
if (files.length === 0) {
  console.error(`no test files match ${filters.join(', ')}`);
  process.exit(1);
}
// The real datasets: the library reads only --data-dir or TRUSTNLU_DATA, so the runner names them.
const env = { ...process.env };
if (!env.TRUSTNLU_DATA && existsSync(resolve('..', 'shared', 'data'))) env.TRUSTNLU_DATA = resolve('..', 'shared', 'data');
console.error(env.TRUSTNLU_DATA ? `real data: ${env.TRUSTNLU_DATA}` : 'real data: none (TRUSTNLU_DATA unset and ../shared/data absent): tests that need it are skipped');
const started = Date.now();
const result = spawnSync(
  process.execPath,
  ['--test', '--test-concurrency=2', '--test-timeout=600000', ...files],
  { stdio: 'inherit', env },
);
console.error(`tests finished in ${((Date.now() - started) / 1000).toFixed(1)} s`);
process.exit(result.status ?? 1);
