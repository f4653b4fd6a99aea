import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initEngine } from '../../src/engine/index.js';
import { runStudy, markdownTable, type StudyDefinition } from '../../src/studies/index.js';
import { lineChart, barChart, renderSvg } from '../../src/report/index.js';
import { SILENT } from '../../src/train/index.js';

test('markdownTable formats numbers, strings and missing values', () => {
  const md = markdownTable([{ a: 1, b: 0.123456, c: 'x' }, { a: 2, b: null, c: 'y' }], [
    { key: 'a', header: 'A' },
    { key: 'b', header: 'B', digits: 2 },
    { key: 'c', header: 'C' },
  ]);
  assert.equal(md, '| A | B | C |\n|---|---|---|\n| 1 | 0.12 | x |\n| 2 | – | y |');
});

test('charts render to SVG offline', async () => {
  const svg = await renderSvg(lineChart({ title: 't', values: [{ x: 1, y: 2 }, { x: 2, y: 3 }], x: 'x', y: 'y', logX: true }));
  assert.match(svg, /^<svg/);
  const bars = await renderSvg(barChart({ title: 'b', values: [{ g: 'a', v: 1, lo: 0.5, hi: 1.5 }], category: 'g', value: 'v', low: 'lo', high: 'hi' }));
  assert.match(bars, /<svg[\s\S]*<\/svg>/);
});

test('runStudy writes results.json, a markdown table and the charts', async () => {
  await initEngine({ backend: 'cpu' });
  const out = mkdtempSync(join(tmpdir(), 'study-'));
  const study: StudyDefinition = {
    name: 'toy',
    title: 'Toy study',
    description: 'Squares.',
    columns: [{ key: 'n', header: 'n' }, { key: 'square', header: 'n²' }],
    run: async (ctx) => [1, 2, 3].map((n) => ({ n, square: n * n + ctx.seed })),
    charts: (rows) => [{ name: 'squares', spec: lineChart({ title: 'squares', values: rows, x: 'n', y: 'square' }) }],
  };
  const result = await runStudy(study, { seed: 0, quick: true, progress: SILENT }, { out, command: 'trustnlu study toy' });
  assert.equal(result.rows.length, 3);
  const json = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
  assert.equal(json.command, 'trustnlu study toy');
  assert.deepEqual(json.rows[2], { n: 3, square: 9 });
  assert.ok(existsSync(join(out, 'squares.svg')));
  assert.match(readFileSync(join(out, 'README.md'), 'utf8'), /\| 3 \| 9 \|/);
});
