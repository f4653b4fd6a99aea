/**
 * The text-privacy study in quick mode (real data needed: the GloVe subset, SNIPS and SLURP's
 * lm.txt), through the CLI: results.json, the table and both charts are written, every row
 * carries utility beside its privacy numbers, the clean row leaves texts untouched, and the
 * noisier setting of each word mechanism keeps fewer words.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { needsRealData } from '../helpers.js';
import { wordOverlap } from '../../src/studies/text-privacy.js';
import { EmbeddingSpace } from '../../src/privacy/index.js';

test('wordOverlap counts each original in-vocabulary word once (multiset), pooled over texts', () => {
  const space = new EmbeddingSpace(['play', 'some', 'music', 'jazz'], new Float32Array(8).map((_, i) => i), 2);
  // 'play play music' vs 'play jazz music': play once of twice, music kept → 2 of 3; 'by' is out of vocabulary.
  assert.equal(wordOverlap(['play play music', 'play jazz by'], ['play jazz music', 'some music'], space), 2 / 5);
  assert.equal(wordOverlap(['miles davis'], ['play'], space), 0);
});

test('study text-privacy --quick writes its results with utility beside privacy', needsRealData, () => {
  const out = mkdtempSync(join(tmpdir(), 'text-privacy-'));
  const r = spawnSync(process.execPath, [join(process.cwd(), 'bin', 'trustnlu.js'), 'study', 'text-privacy', '--quick', '--out', out, '--json'], { encoding: 'utf8', timeout: 900_000 });
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, 1, 'one JSON object on stdout');
  for (const file of ['results.json', 'README.md', 'accuracy-vs-unchanged.svg', 'accuracy-vs-overlap.svg']) assert.ok(existsSync(join(out, file)), file);
  const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as { quick: boolean; rows: Record<string, unknown>[] };
  assert.equal(results.quick, true);
  const mechanisms = results.rows.map((row) => row.mechanism);
  assert.deepEqual(mechanisms, ['clean', 'vocabulary only', 'madlib', 'mahalanobis', 'truncated-gumbel', 'adept']);
  for (const row of results.rows) {
    assert.ok(typeof row.accuracy === 'number' && row.accuracy > 0 && row.accuracy <= 1, `${row.mechanism}: accuracy ${row.accuracy}`);
    assert.ok(typeof row.membershipAuc === 'number' && row.membershipAuc >= 0 && row.membershipAuc <= 1);
    assert.ok(typeof row.wordOverlap === 'number');
    if (['madlib', 'mahalanobis', 'truncated-gumbel'].includes(row.mechanism as string)) {
      const n = row.medianUnchanged as number;
      assert.ok(n >= 0 && n <= 1 && (row.unchangedLow as number) <= n && n <= (row.unchangedHigh as number), `${row.mechanism}: N_w ${n}`);
      assert.ok((row.recovery as number) >= 0 && (row.recovery as number) <= 1);
    }
  }
  const clean = results.rows[0];
  assert.equal(clean.wordOverlap, 1);
  assert.equal(clean.sentencesUnchanged, 1);
  const madlib = results.rows[2];
  assert.ok((madlib.wordOverlap as number) < 1, 'Madlib at ε = 8 changes some words');
  assert.match(readFileSync(join(out, 'README.md'), 'utf8'), /\| snips \| madlib \| 8 \|/);
});
