/**
 * Study cells on two worker threads give the rows of the serial run (fl-nlp --quick: 26 tuning
 * cells, then 26 final cells made from their rows; synthetic data, tiny models), and a run that mixes saved cells of one mode with cells of the
 * other ends with the same rows.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initEngine } from '../../src/engine/index.js';
import { runStudy } from '../../src/studies/index.js';
import { flNlpStudy } from '../../src/studies/fl-nlp.js';
import { SILENT } from '../../src/train/index.js';
import { withoutSeconds } from './study-rows.js';


test('fl-nlp --quick with --parallel 2 gives the serial run\'s rows; a resumed mix of both too', { timeout: 300_000 }, async () => {
  await initEngine({ backend: 'wasm' });
  const ctx = { seed: 4, quick: true, progress: SILENT };
  const serialOut = mkdtempSync(join(tmpdir(), 'cells-serial-'));
  const serial = await runStudy(flNlpStudy, ctx, { out: serialOut, command: 'serial' });
  const parallelOut = mkdtempSync(join(tmpdir(), 'cells-parallel-'));
  const parallel = await runStudy(flNlpStudy, ctx, { out: parallelOut, command: 'parallel', parallel: 2 });
  assert.deepEqual(parallel.cells, { total: 52, resumed: 0, ran: 52, where: '2 worker threads' });
  assert.deepEqual(withoutSeconds(parallel.rows), withoutSeconds(serial.rows));
  // drop five of the threads' cells: the serial rerun runs those five and gives the same table
  const cellsDir = join(parallelOut, '.cache', 'cells');
  for (const file of readdirSync(cellsDir).sort().slice(0, 5)) rmSync(join(cellsDir, file));
  const mixed = await runStudy(flNlpStudy, ctx, { out: parallelOut, command: 'mixed' });
  assert.deepEqual({ resumed: mixed.cells!.resumed, ran: mixed.cells!.ran }, { resumed: 47, ran: 5 });
  assert.deepEqual(withoutSeconds(mixed.rows), withoutSeconds(serial.rows));
});
