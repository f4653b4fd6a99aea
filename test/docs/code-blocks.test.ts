/**
 * Documented code runs: every fenced block in README.md and docs/ whose info string says `run`
 * (```js run, ```ts run, ```bash run) is executed, so documentation cannot rot. The blocks of
 * one page run in order in one working directory (a later block may use an earlier one's
 * files), inside the package so that `import ... from 'trustnlu'` resolves to this build
 * (package self-reference). TypeScript blocks are type-checked against the package's
 * declarations, then transpiled and run. Bash blocks find `trustnlu` on the PATH.
 * Blocks run without real data (TRUSTNLU_DATA unset), as on a fresh machine.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { transformSync } from 'esbuild';

const root = process.cwd();

interface Block {
  page: string;
  line: number;
  language: 'js' | 'ts' | 'bash';
  code: string;
}

/** Fenced blocks marked `run`: ```js run, ```ts run, ```bash run. */
export function runnableBlocks(page: string, text: string): Block[] {
  const blocks: Block[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(js|javascript|ts|typescript|bash|sh)\s+run\s*$/.exec(lines[i]);
    if (!open) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !/^```\s*$/.test(lines[i]); i++) body.push(lines[i]);
    const language = open[1].startsWith('j') ? 'js' : open[1].startsWith('t') ? 'ts' : 'bash';
    blocks.push({ page, line: start + 1, language, code: body.join('\n') });
  }
  return blocks;
}

function pages(): string[] {
  const docs = readdirSync(join(root, 'docs'), { recursive: true })
    .map(String)
    .filter((p) => p.endsWith('.md'))
    .map((p) => join('docs', p));
  return ['README.md', ...docs.sort()];
}

test('the block parser finds ```lang run blocks and nothing else', () => {
  const found = runnableBlocks('x.md', ['```js run', 'a', '```', '```js', 'b', '```', '```bash run', 'c', 'd', '```'].join('\n'));
  assert.deepEqual(found.map((b) => [b.language, b.code, b.line]), [['js', 'a', 1], ['bash', 'c\nd', 7]]);
});

const all = pages().flatMap((page) => runnableBlocks(page, readFileSync(join(root, page), 'utf8')));

test('README and docs have runnable blocks', () => {
  const byPage = new Set(all.map((b) => b.page));
  for (const page of ['README.md', 'docs/your-own-data.md', 'docs/privacy.md']) assert.ok(byPage.has(page), `${page} has no runnable block`);
});

const work = join(root, 'dist', 'doc-blocks');
rmSync(work, { recursive: true, force: true });
const bin = join(work, 'bin');
mkdirSync(bin, { recursive: true });
writeFileSync(join(bin, 'trustnlu'), `#!/bin/sh\nexec "${process.execPath}" "${join(root, 'bin', 'trustnlu.js')}" "$@"\n`);
chmodSync(join(bin, 'trustnlu'), 0o755);
const env = { ...process.env, TRUSTNLU_DATA: '', PATH: `${bin}:${process.env.PATH}` };

for (const page of [...new Set(all.map((b) => b.page))]) {
  const blocks = all.filter((b) => b.page === page);
  test(`${page}: ${blocks.length} runnable block(s) run`, { timeout: 600_000 }, () => {
    const dir = join(work, page.replace(/[/.]/g, '_'));
    mkdirSync(dir, { recursive: true });
    const tsBlocks = blocks.filter((b) => b.language === 'ts');
    if (tsBlocks.length > 0) {
      // Type-check every TypeScript block of the page against the package's own declarations.
      const files = tsBlocks.map((b) => {
        const file = join(dir, `block-${b.line}.ts`);
        writeFileSync(file, `${b.code}\nexport {};\n`);
        return relative(dir, file);
      });
      writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', strict: true, noEmit: true, skipLibCheck: true, types: ['node'] }, files }));
      const tsc = spawnSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], { cwd: dir, encoding: 'utf8' });
      assert.equal(tsc.status, 0, `${page}: TypeScript blocks do not type-check:\n${tsc.stdout}${tsc.stderr}`);
    }
    for (const block of blocks) {
      const where = `${page}:${block.line}`;
      let r;
      if (block.language === 'bash') {
        r = spawnSync('bash', ['-euo', 'pipefail', '-c', block.code], { cwd: dir, env, encoding: 'utf8', timeout: 300_000 });
      } else {
        const js = block.language === 'ts' ? transformSync(block.code, { loader: 'ts', format: 'esm', target: 'es2022' }).code : block.code;
        const file = join(dir, `block-${block.line}.mjs`);
        writeFileSync(file, js);
        r = spawnSync(process.execPath, [file], { cwd: dir, env, encoding: 'utf8', timeout: 300_000 });
      }
      assert.equal(r.status, 0, `${where} failed (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
    }
  });
}
