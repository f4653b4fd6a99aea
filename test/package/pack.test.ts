/**
 * The package as a user gets it: `npm pack`, install the tarball into an empty project, import
 * every entry point from JavaScript and type-check a TypeScript file against the declarations.
 * The install is the light one (no optional peers): no HTTP server, store, Redis client or chart
 * renderer gets installed, no native module is built, and the CLI still runs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = process.cwd();
const project = mkdtempSync(join(tmpdir(), 'trustnlu-pack-'));
const SUBPATHS = ['', '/privacy', '/accounting', '/federated', '/fairness', '/metrics', '/data', '/models', '/train', '/engine'];
/** Names the issue asks for, with the entry points each must come from (root and its pillar). */
const NAMES: Record<string, string[]> = {
  computeEpsilon: ['', '/privacy', '/accounting'],
  noiseMultiplierForEpsilon: ['', '/privacy', '/accounting'],
  loadTextDataset: ['', '/data'],
  runTraining: ['', '/train'],
  metricFrame: ['', '/metrics'],
  weat: ['', '/fairness'],
  runSimulation: ['', '/federated'],
  initEngine: ['', '/engine'],
};

function npm(args: string[], cwd: string): string {
  return execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

test('npm pack ships what a user needs and nothing else; the tarball installs light', { timeout: 300_000 }, () => {
  const packed = JSON.parse(npm(['pack', '--ignore-scripts', '--json', '--pack-destination', project], root)) as { filename: string; files: { path: string }[] }[];
  const files = packed[0].files.map((f) => f.path);
  assert.ok(files.includes('dist/src/index.js') && files.includes('dist/src/index.d.ts') && files.includes('dist/src/index.d.ts.map'), 'entry point, types and declaration map');
  assert.ok(files.includes('bin/trustnlu.js'));
  assert.ok(files.includes('dist/web/fl-client.js'), 'the browser client the service serves');
  const stray = files.filter((f) => /^(dist\/(test|bench)|test\/|bench\/|\.ci\/|docs\/)/.test(f) || f.endsWith('.js.map'));
  assert.deepEqual(stray, [], 'no tests, benchmarks, CI or source maps of compiled code');
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'pack-probe', version: '1.0.0', private: true, type: 'module' }));
  npm(['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', join(project, packed[0].filename), '@types/node@20'], project);
  const installed = readdirSync(join(project, 'node_modules'));
  for (const heavy of ['fastify', 'better-sqlite3', 'ioredis', 'bullmq', 'vega', 'vega-lite']) {
    assert.ok(!installed.includes(heavy), `${heavy} is an optional peer and must not be installed`);
  }
  assert.ok(installed.includes('@tensorflow'), 'the peer @tensorflow/tfjs is installed');
});

test('every entry point imports from ESM, with the documented names, and the engine starts itself', { timeout: 120_000 }, () => {
  const lines = [
    ...SUBPATHS.map((s, i) => `import * as m${i} from 'trustnlu${s}';`),
    "import * as tf from '@tensorflow/tfjs';",
    `const modules = { ${SUBPATHS.map((s, i) => `'${s}': m${i}`).join(', ')} };`,
    `const names = ${JSON.stringify(NAMES)};`,
    'const missing = [];',
    'for (const [name, where] of Object.entries(names)) for (const s of where) if (typeof modules[s][name] !== "function") missing.push(`trustnlu${s}: ${name}`);',
    "const eps = m0.computeEpsilon({ sampleRate: 0.01, noiseMultiplier: 1.1, steps: 1000, delta: 1e-5 }).epsilon;",
    'const sum = tf.tensor([1, 2, 3]).sum().dataSync()[0];',
    'console.log(JSON.stringify({ missing, eps, backend: tf.getBackend(), sum }));',
  ];
  writeFileSync(join(project, 'probe.mjs'), lines.join('\n'));
  const r = spawnSync(process.execPath, ['probe.mjs'], { cwd: project, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim());
  assert.deepEqual(out.missing, []);
  assert.ok(out.eps > 1 && out.eps < 3, `ε ${out.eps}`);
  assert.equal(out.backend, 'wasm', 'the user\'s tfjs and trustnlu share one engine, started on import');
  assert.equal(out.sum, 6);
  // The optional parts say what to install, in one line.
  const server = spawnSync(process.execPath, ['--input-type=module', '-e', "const s = await import('trustnlu/report'); await s.renderSvg({ mark: 'bar', data: { values: [] } });"], { cwd: project, encoding: 'utf8' });
  assert.notEqual(server.status, 0);
  assert.match(server.stderr, /needs the optional package vega: npm install vega@/);
  // the Redis job queue likewise: one line, exit 2, before anything connects
  const worker = spawnSync(process.execPath, [join(project, 'node_modules', 'trustnlu', 'bin', 'trustnlu.js'), 'worker', '--queue', 'redis://127.0.0.1:1'], { cwd: project, encoding: 'utf8' });
  assert.equal(worker.status, 2, worker.stderr);
  assert.match(worker.stderr.trim(), /^trustnlu: trustnlu worker --queue redis:\/\/127\.0\.0\.1:1\/0 needs the optional packages bullmq and ioredis: npm install bullmq@6\.7\.6 ioredis@6\.0\.0$/);
});

test('a TypeScript file type-checks against the declarations (strict, NodeNext; our .d.ts checked too)', { timeout: 120_000 }, () => {
  writeFileSync(
    join(project, 'probe.ts'),
    [
      "import { computeEpsilon, loadTextDataset, runTraining, type IntentDataset } from 'trustnlu';",
      "import { noiseMultiplierForEpsilon } from 'trustnlu/accounting';",
      "import { metricFrame } from 'trustnlu/metrics';",
      "import { PrivateTraining } from 'trustnlu/privacy';",
      "import type { FederatedExperimentOptions } from 'trustnlu/federated';",
      'const e: number = computeEpsilon({ sampleRate: 0.01, noiseMultiplier: 1.1, steps: 100, delta: 1e-5 }).epsilon;',
      'const s: number = noiseMultiplierForEpsilon({ epsilon: 8, delta: 1e-5, sampleRate: 0.01, steps: 100 });',
      "const data: IntentDataset = loadTextDataset('x.csv', { text: 'utterance', label: 'intent' });",
      "const privacy = new PrivateTraining({ epsilon: 8, delta: 1e-5 });",
      "export const run = () => runTraining({ dataset: data, model: 'embbag', seed: 0, privacy });",
      'export const frame = metricFrame;',
      "export const options: Partial<FederatedExperimentOptions> = { rounds: 3 };",
      'export const numbers = [e, s];',
    ].join('\n'),
  );
  writeFileSync(join(project, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', strict: true, noEmit: true, skipLibCheck: false, types: ['node'] }, files: ['probe.ts'] }));
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: project, encoding: 'utf8' });
  // skipLibCheck is off so trustnlu's own declarations are checked; TensorFlow.js 4.22's own
  // .d.ts files do not pass without skipLibCheck (EmscriptenModule, Long, PyJsonValue), which
  // every tfjs user meets: those lines, and only those, are tolerated.
  const errors = (r.stdout + r.stderr).split('\n').filter((l) => /error TS\d+/.test(l));
  const ours = errors.filter((l) => !l.startsWith('node_modules/@tensorflow/'));
  assert.deepEqual(ours, [], r.stdout);
  assert.ok(errors.length === 0 || r.status !== 0, 'tsc reports what it finds');
});

test('the installed CLI runs without the optional peers, and names them when a command needs one', { timeout: 120_000 }, () => {
  const bin = join(project, 'node_modules', '.bin', 'trustnlu');
  assert.ok(existsSync(bin));
  const epsilon = spawnSync(bin, ['privacy', 'epsilon', '--sample-rate', '0.01', '--noise-multiplier', '1.1', '--steps', '1000', '--delta', '1e-5', '--json'], { cwd: project, encoding: 'utf8' });
  assert.equal(epsilon.status, 0, epsilon.stderr);
  assert.ok(JSON.parse(epsilon.stdout).epsilon > 1);
  const serve = spawnSync(bin, ['fl', 'serve', '--params', '10', '--port', '0', '--enrolment', 'open'], { cwd: project, encoding: 'utf8' });
  assert.equal(serve.status, 2, serve.stderr);
  assert.match(serve.stderr, /^trustnlu: .* needs the optional package (better-sqlite3|fastify): npm install \S+@\S+\n$/);
});
