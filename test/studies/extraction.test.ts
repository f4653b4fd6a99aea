/** Study "extraction" --quick (generated slot set): one row per (defence, repetitions, length, decode) with the fields results.json promises. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initEngine } from '../../src/engine/index.js';
import { runStudy } from '../../src/studies/index.js';
import { extractionStudy, summarizeExtraction } from '../../src/studies/extraction.js';
import { meanTInterval } from '../../src/metrics/index.js';
import { SILENT } from '../../src/train/index.js';

test('study extraction --quick writes rows with defence, repetitions, length, exact rate and interval, Hamming, accuracy, decode and the epoch used', async () => {
  await initEngine({ backend: 'wasm' });
  const out = mkdtempSync(join(tmpdir(), 'extraction-study-'));
  try {
    await runStudy(extractionStudy, { seed: 0, quick: true, progress: SILENT }, { out, command: 'test' });
    const record = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as { rows: Record<string, unknown>[] };
    const rows = record.rows;
    for (const key of ['defence', 'repetitions', 'length', 'canaries', 'exactRate', 'exactInterval', 'hamming', 'modelAccuracy', 'decode', 'epochUsed', 'chanceExact']) {
      assert.ok(rows.every((r) => key in r), `every row has ${key}`);
    }
    // none, char-input and dp-sgd, each: inserted (20×) and never-inserted (0), each decoded two ways
    assert.equal(rows.length, 12);
    assert.deepEqual([...new Set(rows.map((r) => r.defence))], ['none', 'char-input', 'dp-sgd']);
    // one model per defence holding two canaries on two different formats; 4-digit codes are ranked among all 10⁴
    const inserted = rows.filter((r) => r.repetitions === 20);
    assert.ok(inserted.every((r) => r.canaries === 2 && r.models === 1));
    for (const r of inserted.filter((x) => x.decode === 'digits')) {
      assert.ok(typeof r.medianRank === 'number' && r.medianRank >= 0 && r.medianRank < 1e4, `median rank ${r.medianRank}`);
    }
    assert.ok(inserted.filter((x) => x.decode === 'vocabulary').every((r) => r.medianRank === null), 'ranks are for the digit decode only');
    assert.deepEqual([...new Set(rows.map((r) => r.decode))].sort(), ['digits', 'vocabulary']);
    const dp = rows.find((r) => r.defence === 'dp-sgd' && r.repetitions === 20)!;
    assert.ok(typeof dp.epsilon === 'number' && dp.epsilon <= 8 + 1e-9, `ε ${dp.epsilon}`);
    const digits = rows.find((r) => r.defence === 'none' && r.decode === 'digits')!;
    assert.equal(digits.chanceExact, 1e-4);
    assert.ok(rows.every((r) => r.synthetic === true), 'quick runs say they are synthetic');
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('extraction summary by hand: exact counts, Hamming, median rank, and the rank share averaged per model before its t interval', () => {
  const code = (model: number, rank: number, exact: boolean, hamming: number) => ({
    kind: 'code', dataset: 'd', synthetic: true, design: 'sweep', defence: 'none', length: 4, repetitions: 5, decode: 'digits', model,
    code: '1234', guess: exact ? '1 2 3 4' : '9 9 9 9', exact, hamming, rank, intentAccuracy: 0.9 + model / 100, slotF1: 0.5, epochUsed: 6, epochsRun: 6, epsilon: null, vocabulary: 100,
  });
  const rows = summarizeExtraction([code(0, 0, true, 0), code(0, 2000, false, 1), code(1, 5000, false, 0.75), code(2, 1000, false, 0.5)]);
  assert.equal(rows.length, 1);
  const [r] = rows;
  assert.equal(r.canaries, 4);
  assert.equal(r.models, 3);
  assert.equal(r.exact, 1);
  assert.equal(r.hamming, (0 + 1 + 0.75 + 0.5) / 4);
  assert.equal(r.medianRank, 1500);
  assert.equal(r.top1PercentRate, 1 / 4);
  // model means 0.1, 0.5, 0.1 (not the canary mean 0.2)
  const t = meanTInterval([0.1, 0.5, 0.1]);
  assert.ok(Math.abs((r.rankShare as number) - t.mean) < 1e-12);
  assert.ok(Math.abs((r.rankShareLow as number) - (t.mean - t.half!)) < 1e-12);
  assert.ok(Math.abs((r.modelAccuracy as number) - 0.91) < 1e-12, 'accuracy is the mean over models');
});
