/**
 * `trustnlu study distillation --quick --json` on the real BOLD data: one JSON object whose rows
 * are the teacher, the six students and the two downstream classifiers, each student with a
 * disparity, its CI (containing it) and a finite perplexity.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { needsRealData } from '../../helpers.js';

const BIN = join(process.cwd(), 'bin', 'trustnlu.js');

test('study distillation --quick --json: rows with disparity, CI and perplexity', { skip: needsRealData.skip }, () => {
  const out = mkdtempSync(join(tmpdir(), 'distillation-'));
  const r = spawnSync(process.execPath, [BIN, 'study', 'distillation', '--quick', '--json', '--out', out], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr.slice(-2000));
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, 1, 'exactly one JSON object on stdout');
  const result = JSON.parse(lines[0]);
  const names = result.rows.map((row: { name: string }) => row.name);
  assert.deepEqual(names, ['teacher', 'KD', 'KD + CDA', 'KD + RR (max)', 'KD + RR (mean)', 'KD + RR (swap)', 'KD + RR (mean) + CDA', 'downstream classifier', 'downstream classifier + CDA']);
  for (const row of result.rows.slice(0, 7)) {
    assert.equal(typeof row.disparity, 'number');
    assert.match(row.disparityCI, /^\[-?\d+\.\d{3}, -?\d+\.\d{3}\]$/);
    assert.ok(row.disparityLow <= row.disparity + 1e-12 && row.disparity <= row.disparityHigh + 1e-12, `${row.name}: estimate outside its CI`);
    assert.ok(Number.isFinite(row.perplexity) && row.perplexity > 1, `${row.name}: perplexity ${row.perplexity}`);
  }
  for (const row of result.rows.slice(7)) {
    assert.ok(row.accuracy > 0.3, `${row.name}: accuracy ${row.accuracy}`);
    assert.equal(typeof row.flipRate, 'number');
  }
  assert.ok(existsSync(join(out, 'results.json')) && existsSync(join(out, 'disparity.svg')));
  // Progress went to stderr as JSON lines.
  for (const line of r.stderr.trim().split('\n').filter(Boolean)) JSON.parse(line);
});
