/**
 * Install footprint of the packed package: `node dist/bench/install-size.js TARBALL [--with PKG@V ...] [--runs N]`.
 * Installs the tarball into a fresh empty project (npm's cache as it is, no audit), N times,
 * and prints one JSON object: median install seconds, node_modules size, package count, and
 * whether any native module was compiled (a build/ directory with a .node file). `--with`
 * adds optional peers to the same install (the service stack), to measure that too.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

function directorySize(path: string): number {
  let total = 0;
  for (const name of readdirSync(path)) {
    const full = join(path, name);
    const stat = statSync(full, { throwIfNoEntry: false });
    if (!stat) continue;
    if (stat.isSymbolicLink()) continue;
    total += stat.isDirectory() ? directorySize(full) : stat.size;
  }
  return total;
}

/** Directories under node_modules that hold a package.json with a name (scoped packages counted once each). */
function packageCount(nodeModules: string): number {
  let count = 0;
  const visit = (dir: string) => {
    for (const name of readdirSync(dir)) {
      if (name.startsWith('.')) continue;
      const full = join(dir, name);
      if (name.startsWith('@')) {
        visit(full);
        continue;
      }
      if (existsSync(join(full, 'package.json'))) count++;
      const nested = join(full, 'node_modules');
      if (existsSync(nested)) visit(nested);
    }
  };
  visit(nodeModules);
  return count;
}

function nativeBuilds(nodeModules: string): string[] {
  const found: string[] = [];
  const visit = (dir: string, depth: number) => {
    if (depth > 6) return;
    for (const name of readdirSync(dir)) {
      const full = join(dir, name);
      const stat = statSync(full, { throwIfNoEntry: false });
      if (!stat?.isDirectory()) continue;
      if (name === 'build' && existsSync(join(full, 'Release'))) found.push(full.slice(nodeModules.length + 1));
      else visit(full, depth + 1);
    }
  };
  visit(nodeModules, 0);
  return found;
}

const args = process.argv.slice(2);
const tarball = args.find((a) => a.endsWith('.tgz'));
if (!tarball) {
  console.error('usage: node dist/bench/install-size.js TARBALL.tgz [--with PKG@V ...] [--runs N]');
  process.exit(2);
}
const extra: string[] = [];
let runs = 3;
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--with') extra.push(args[++i]);
  if (args[i] === '--runs') runs = Number(args[++i]);
}
const seconds: number[] = [];
let last: { bytes: number; packages: number; native: string[] } | undefined;
for (let run = 0; run < runs; run++) {
  const project = mkdtempSync(join(tmpdir(), 'trustnlu-install-'));
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'install-probe', version: '1.0.0', private: true, type: 'module' }));
  const started = performance.now();
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', resolve(tarball), ...extra], { cwd: project, stdio: ['ignore', 'ignore', 'inherit'] });
  seconds.push((performance.now() - started) / 1000);
  const nodeModules = join(project, 'node_modules');
  last = { bytes: directorySize(nodeModules), packages: packageCount(nodeModules), native: nativeBuilds(nodeModules) };
  rmSync(project, { recursive: true, force: true });
}
seconds.sort((a, b) => a - b);
console.log(
  JSON.stringify({
    tarball,
    with: extra,
    runs,
    medianSeconds: Number(seconds[Math.floor(seconds.length / 2)].toFixed(1)),
    seconds: seconds.map((s) => Number(s.toFixed(1))),
    megabytes: Number((last!.bytes / 1e6).toFixed(1)),
    packages: last!.packages,
    nativeBuilds: last!.native,
  }),
);
