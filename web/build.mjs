// Bundles the browser client (web/client/main.ts and the library code it imports) into
// dist/web/fl-client.js at build time (esbuild, no network). Library modules import Node
// built-ins for their Node-only functions (checkpoint files, the worker pool, data files);
// in the bundle those become stubs with the same export names that throw when called, except
// the path and URL helpers some modules call while loading, which get small pure versions.
import { build } from 'esbuild';
import { builtinModules } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const builtins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);

const PURE = {
  path: `
const norm = (p) => { const abs = p.startsWith('/'); const out = []; for (const s of p.split('/')) { if (s === '' || s === '.') continue; if (s === '..') out.pop(); else out.push(s); } return (abs ? '/' : '') + out.join('/'); };
export const sep = '/';
export const join = (...parts) => norm(parts.filter(Boolean).join('/')) || '.';
export const resolve = (...parts) => { let p = ''; for (const part of parts) p = part.startsWith('/') ? part : p + '/' + part; return norm(p.startsWith('/') ? p : '/' + p); };
export const dirname = (p) => { const i = p.replace(/\\/+$/, '').lastIndexOf('/'); return i <= 0 ? (p.startsWith('/') ? '/' : '.') : p.slice(0, i); };
export const basename = (p, ext) => { const b = p.replace(/\\/+$/, '').split('/').pop() ?? ''; return ext && b.endsWith(ext) ? b.slice(0, -ext.length) : b; };
export const extname = (p) => { const b = basename(p); const i = b.lastIndexOf('.'); return i <= 0 ? '' : b.slice(i); };
export const isAbsolute = (p) => p.startsWith('/');
export const relative = (a, b) => b;
export const posix = { sep, join, resolve, dirname, basename, extname, isAbsolute, relative };
export default posix;`,
  url: `
export const fileURLToPath = (u) => decodeURIComponent(new URL(String(u)).pathname);
export const pathToFileURL = (p) => new URL('file://' + p);
const URLClass = globalThis.URL;
export { URLClass as URL };
export default { fileURLToPath, pathToFileURL, URL: URLClass };`,
};

const nodeStubs = {
  name: 'node-builtins-stub',
  setup(b) {
    b.onResolve({ filter: /.*/ }, (args) => (builtins.has(args.path) ? { path: args.path.replace(/^node:/, ''), namespace: 'node-stub' } : undefined));
    b.onLoad({ filter: /.*/, namespace: 'node-stub' }, async (args) => {
      const name = args.path;
      if (PURE[name]) return { contents: PURE[name], loader: 'js' };
      const real = await import(`node:${name}`);
      const names = Object.keys(real).filter((k) => k !== 'default' && /^[A-Za-z_$][\w$]*$/.test(k));
      // CommonJS, so ESM named imports and require() both work; the module is itself a function,
      // so `class X extends require('events')` still loads
      const lines = [
        `const fail = (what) => function unavailable() { throw new Error(what + ' is not available in the browser'); };`,
        `const all = fail('node:${name}');`,
        ...names.map((k) => `all.${k} = fail('node:${name}.${k}');`),
        `module.exports = all;`,
      ];
      return { contents: lines.join('\n'), loader: 'js' };
    });
  },
};

await build({
  entryPoints: [join(root, 'web', 'client', 'main.ts')],
  outfile: join(root, 'dist', 'web', 'fl-client.js'),
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  minify: true,
  sourcemap: false,
  legalComments: 'none',
  define: { 'process.env.NODE_ENV': '"production"', global: 'globalThis' },
  // the csv packages' Node builds use Buffer at load time; their browser builds carry a polyfill
  alias: { 'csv-parse/sync': 'csv-parse/browser/esm/sync', 'csv-stringify/sync': 'csv-stringify/browser/esm/sync' },
  plugins: [nodeStubs],
  logLevel: 'warning',
});
