/**
 * Study cells in this thread: keys follow the parameters and the seed (never the order), a
 * study stopped by a failing cell resumes from the saved cells and ends with the rows of an
 * uninterrupted run, --fresh runs every cell again, and a saved cell that does not match is
 * never used.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canonicalJson, cellKey, cellSeed, runStudy, type StudyContext, type StudyDefinition, type StudyRow } from '../../src/studies/index.js';
import { keyCells } from '../../src/studies/cells.js';
import { ConfigError } from '../../src/errors.js';
import { SeededRandom } from '../../src/engine/index.js';
import type { ProgressReporter } from '../../src/train/index.js';

const scope = { study: 'toy', seed: 1, quick: true };

test('a cell key depends on its parameters, the seed, --quick and --dataset, not on key order', () => {
  const key = cellKey({ name: 'A b:1', params: { x: 1, y: [1, 2], z: { p: 'q', r: null } } }, scope);
  assert.match(key, /^a-b-1-[0-9a-f]{16}$/);
  assert.equal(cellKey({ name: 'A b:1', params: { z: { r: null, p: 'q' }, y: [1, 2], x: 1 } }, scope), key);
  assert.equal(cellKey({ name: 'A b:1', params: { x: 1, y: [1, 2], z: { p: 'q', r: null }, unset: undefined } }, scope), key);
  const others = [
    cellKey({ name: 'A b:1', params: { x: 2, y: [1, 2], z: { p: 'q', r: null } } }, scope),
    cellKey({ name: 'A b:1', params: { x: 1, y: [2, 1], z: { p: 'q', r: null } } }, scope),
    cellKey({ name: 'A b:1', params: { x: 1, y: [1, 2], z: { p: 'q', r: null } } }, { ...scope, seed: 2 }),
    cellKey({ name: 'A b:1', params: { x: 1, y: [1, 2], z: { p: 'q', r: null } } }, { ...scope, quick: false }),
    cellKey({ name: 'A b:1', params: { x: 1, y: [1, 2], z: { p: 'q', r: null } } }, { ...scope, dataset: 'clinc150' }),
  ];
  assert.equal(new Set([key, ...others]).size, 6);
});

test('cell parameters must be plain finite JSON; two equal cells are refused', () => {
  assert.equal(canonicalJson({ b: [1, 'x', true, null], a: { d: 1, c: 2 } }), '{"a":{"c":2,"d":1},"b":[1,"x",true,null]}');
  assert.throws(() => canonicalJson({ x: Number.NaN }), (e: Error) => e instanceof ConfigError && /params\.x is NaN/.test(e.message));
  assert.throws(() => canonicalJson({ f: new Float32Array(2) }), (e: Error) => e instanceof ConfigError && /params\.f is a Float32Array/.test(e.message));
  assert.throws(
    () => keyCells([{ name: 'one', params: { x: 1 } }, { name: 'one', params: { x: 1 } }], scope),
    (e: Error) => e instanceof ConfigError && /same parameters/.test(e.message),
  );
});

test('cellSeed comes from the study seed and the key alone', () => {
  assert.equal(cellSeed(3, 'a-0123'), cellSeed(3, 'a-0123'));
  assert.notEqual(cellSeed(3, 'a-0123'), cellSeed(4, 'a-0123'));
  assert.notEqual(cellSeed(3, 'a-0123'), cellSeed(3, 'a-0124'));
  assert.ok(Number.isInteger(cellSeed(3, 'x')) && cellSeed(3, 'x') >= 0 && cellSeed(3, 'x') < 2 ** 31);
});

/** A study of 6 cells whose rows are random draws seeded by the cell; `failing` names cells that throw. */
function toyStudy(failing: Set<string>, ran: string[], sizes = [2, 3, 4]): StudyDefinition {
  return {
    name: 'toy',
    title: 'Toy',
    description: 'Random means.',
    columns: [{ key: 'size', header: 'size' }, { key: 'mean', header: 'mean' }],
    cells: () => sizes.flatMap((size) => ['a', 'b'].map((arm) => ({ name: `size ${size} ${arm}`, params: { size, arm } }))),
    async runCell(cell, ctx) {
      ran.push(cell.name);
      if (failing.has(cell.name)) throw new ConfigError(`cell ${cell.name} failed on purpose`);
      const rng = new SeededRandom(cellSeed(ctx.seed, cell.key));
      const { size, arm } = cell.params as { size: number; arm: string };
      const draws = Array.from({ length: size }, () => rng.next());
      return [{ size, arm, mean: draws.reduce((a, b) => a + b, 0) / size, nothing: Number.NaN }];
    },
    summarize: (rows) => [...rows, { size: null, arm: 'all', mean: rows.reduce((a, r) => a + (r.mean as number), 0) / rows.length, nothing: null }],
  };
}

function recorder(): { progress: ProgressReporter; events: { name: string; fields: Record<string, unknown> }[] } {
  const events: { name: string; fields: Record<string, unknown> }[] = [];
  return { events, progress: { start() {}, update() {}, stop() {}, event: (name, fields) => events.push({ name, fields }) } };
}

const context = (progress: ProgressReporter): StudyContext => ({ seed: 5, quick: true, progress });
const resultRows = (out: string): StudyRow[] => JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')).rows;

test('a study stopped by a failing cell resumes from its finished cells and ends with the uninterrupted run\'s results.json rows', async () => {
  const whole = mkdtempSync(join(tmpdir(), 'cells-whole-'));
  const uninterrupted = await runStudy(toyStudy(new Set(), []), context(recorder().progress), { out: whole, command: 'toy' });
  assert.equal(uninterrupted.rows.length, 7);
  assert.deepEqual(uninterrupted.cells, { total: 6, resumed: 0, ran: 6, where: 'in process' });

  const out = mkdtempSync(join(tmpdir(), 'cells-resume-'));
  const firstRan: string[] = [];
  const first = recorder();
  await assert.rejects(runStudy(toyStudy(new Set(['size 3 b']), firstRan), context(first.progress), { out, command: 'toy' }), /cell size 3 b failed on purpose/);
  assert.deepEqual(firstRan, ['size 2 a', 'size 2 b', 'size 3 a', 'size 3 b'], 'no cell starts after the failure');
  assert.equal(readdirSync(join(out, '.cache', 'cells')).length, 3, 'the three finished cells are on disk');
  assert.ok(first.events.some((e) => e.name === 'cell-failed' && /resume/.test(String(e.fields.note))));

  const secondRan: string[] = [];
  const second = recorder();
  const resumed = await runStudy(toyStudy(new Set(), secondRan), context(second.progress), { out, command: 'toy' });
  assert.deepEqual(secondRan, ['size 3 b', 'size 4 a', 'size 4 b'], 'only the unfinished cells run');
  assert.deepEqual(resumed.cells, { total: 6, resumed: 3, ran: 3, where: 'in process' });
  const started = second.events.find((e) => e.name === 'cells')!;
  assert.equal(started.fields.resumed, 3);
  assert.match(String(started.fields.note), /3 of 6 cells already finished/);
  assert.deepEqual(resultRows(out), resultRows(whole));
  assert.deepEqual(resumed.rows, uninterrupted.rows);
  assert.equal(JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')).resumedCells, 3);

  // a third run reads everything back; --fresh runs every cell again, with the same rows
  const thirdRan: string[] = [];
  assert.deepEqual((await runStudy(toyStudy(new Set(), thirdRan), context(recorder().progress), { out, command: 'toy' })).rows, uninterrupted.rows);
  assert.deepEqual(thirdRan, []);
  const freshRan: string[] = [];
  const fresh = await runStudy(toyStudy(new Set(), freshRan), context(recorder().progress), { out, command: 'toy', fresh: true });
  assert.equal(freshRan.length, 6);
  assert.deepEqual(fresh.rows, uninterrupted.rows);
  // a fresh run forgets the old cells at once: stopped early, it leaves only the cells it finished
  await assert.rejects(runStudy(toyStudy(new Set(['size 3 a']), []), context(recorder().progress), { out, command: 'toy', fresh: true }), /size 3 a failed/);
  assert.deepEqual(readdirSync(join(out, '.cache', 'cells')).map((f) => f.slice(0, 8)).sort(), ['size-2-a', 'size-2-b']);
});

test('rows do not depend on the order cells run in: a study listing its cells backwards gives the same cell rows', async () => {
  const forward = await runStudy(toyStudy(new Set(), []), context(recorder().progress), { out: mkdtempSync(join(tmpdir(), 'cells-fwd-')), command: 'toy' });
  const backward = await runStudy(toyStudy(new Set(), [], [4, 3, 2]), context(recorder().progress), { out: mkdtempSync(join(tmpdir(), 'cells-bwd-')), command: 'toy' });
  const byCell = (rows: StudyRow[]) => rows.filter((r) => r.size !== null).sort((a, b) => `${a.size}${a.arm}`.localeCompare(`${b.size}${b.arm}`));
  assert.deepEqual(byCell(backward.rows), byCell(forward.rows));
});

test('a changed parameter or a tampered cell file is never reused: those cells run again', async () => {
  const out = mkdtempSync(join(tmpdir(), 'cells-stale-'));
  await runStudy(toyStudy(new Set(), []), context(recorder().progress), { out, command: 'toy' });
  // sizes 2 and 3 are unchanged, size 5 replaces size 4: only its cells run
  const ran: string[] = [];
  const changed = recorder();
  const result = await runStudy(toyStudy(new Set(), ran, [2, 3, 5]), context(changed.progress), { out, command: 'toy' });
  assert.deepEqual(ran, ['size 5 a', 'size 5 b']);
  assert.equal(changed.events.find((e) => e.name === 'cells')!.fields.otherCells, 2, 'the size-4 cells are reported, not read');
  assert.equal(result.cells!.resumed, 4);
  // a cell file edited by hand (other parameters) and one that is not JSON are ignored, with a reason
  const files = readdirSync(join(out, '.cache', 'cells')).filter((f) => f.startsWith('size-2-'));
  const edited = JSON.parse(readFileSync(join(out, '.cache', 'cells', files[0]), 'utf8'));
  edited.params.size = 7;
  writeFileSync(join(out, '.cache', 'cells', files[0]), JSON.stringify(edited));
  writeFileSync(join(out, '.cache', 'cells', files[1]), '{ truncated');
  const again: string[] = [];
  const tampered = recorder();
  await runStudy(toyStudy(new Set(), again, [2, 3, 5]), context(tampered.progress), { out, command: 'toy' });
  assert.deepEqual(again.sort(), ['size 2 a', 'size 2 b']);
  const reasons = tampered.events.filter((e) => e.name === 'cell-ignored').map((e) => String(e.fields.problem));
  assert.equal(reasons.length, 2);
  assert.ok(reasons.some((r) => /other parameters/.test(r)) && reasons.some((r) => /not JSON/.test(r)), reasons.join('; '));
});

test('a study without cells refuses --parallel and --fresh; one with neither run nor cells is refused', async () => {
  const plain: StudyDefinition = { name: 'plain', title: 'p', description: 'p', columns: [], run: async () => [{ x: 1 }] };
  const out = mkdtempSync(join(tmpdir(), 'cells-plain-'));
  await assert.rejects(runStudy(plain, context(recorder().progress), { out, command: 'p', parallel: 2 }), (e: Error) => e instanceof ConfigError && /no cells/.test(e.message));
  await assert.rejects(runStudy(plain, context(recorder().progress), { out, command: 'p', fresh: true }), ConfigError);
  assert.deepEqual((await runStudy(plain, context(recorder().progress), { out, command: 'p' })).rows, [{ x: 1 }]);
  const empty: StudyDefinition = { name: 'empty', title: 'e', description: 'e', columns: [] };
  await assert.rejects(runStudy(empty, context(recorder().progress), { out, command: 'e' }), /neither run\(ctx\) nor cells/);
});
