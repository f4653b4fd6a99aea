/**
 * Study "leakage" --quick: the matched-utility design's mechanics. Rows per arm and attacked
 * model with the fields results.json promises, intervals around their estimates, the
 * matched-accuracy control stopped at the private models' accuracy, paired difference rows,
 * and a rerun that resumes from the cache: nothing trained again, the same rows.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initEngine } from '../../src/engine/index.js';
import { runStudy } from '../../src/studies/index.js';
import { leakageStudy } from '../../src/studies/leakage.js';
import { SILENT, type ProgressReporter } from '../../src/train/index.js';

type Row = Record<string, unknown>;

test('study leakage --quick: six paired arms, intervals, the matched-accuracy control, difference rows, and a resumed rerun trains nothing', async () => {
  await initEngine({ backend: 'wasm' });
  const out = mkdtempSync(join(tmpdir(), 'leakage-study-'));
  const events: string[] = [];
  const progress: ProgressReporter = { ...SILENT, event: (name) => events.push(name) };
  try {
    await runStudy(leakageStudy, { seed: 0, quick: true, progress }, { out, command: 'test' });
    const rows = (JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as { rows: Row[] }).rows;
    const attacks = rows.filter((r) => r.kind === 'attack');
    const arms = ['dp-8', 'matched-accuracy', 'same-recipe', 'non-private', 'dp-3', 'dp-1'];
    assert.deepEqual([...new Set(attacks.map((r) => r.arm))], arms);
    // quick: 2 attacked models + the pooled row per arm
    for (const arm of arms) assert.deepEqual(attacks.filter((r) => r.arm === arm).map((r) => r.seed), [0, 1, 'pooled'], arm);
    for (const key of ['epsilon', 'seed', 'testAccuracy', 'liraAuc', 'lossAuc', 'tprAt0001', 'tprAt001', 'shadows', 'members', 'nonMembers', 'epochUsed', 'liraOfflineAuc', 'epsilonLowerBound']) {
      assert.ok(attacks.every((r) => key in r && r[key] !== undefined), `every attack row has ${key}`);
    }
    for (const r of attacks) {
      for (const [v, lo, hi] of [['liraAuc', 'liraAucLow', 'liraAucHigh'], ['lossAuc', 'lossAucLow', 'lossAucHigh'], ['tprAt001', 'tprAt001Low', 'tprAt001High']]) {
        assert.ok((r[lo] as number) <= (r[v] as number) + 1e-12 && (r[v] as number) <= (r[hi] as number) + 1e-12, `${r.arm}/${r.seed}: ${lo} ≤ ${v} ≤ ${hi}`);
      }
      assert.equal((r.members as number) + (r.nonMembers as number), r.seed === 'pooled' ? 5 * 160 : 160);
      assert.equal(r.shadows, 4);
    }
    const pooled = (arm: string) => attacks.find((r) => r.arm === arm && r.seed === 'pooled')!;
    for (const [arm, eps] of [['dp-1', 1], ['dp-3', 3], ['dp-8', 8]] as const) {
      const spent = pooled(arm).theoreticalEpsilon as number;
      assert.ok(spent > eps * 0.9 && spent <= eps + 1e-9, `${arm}: spent ε ${spent}`);
    }
    // the control trained only until it was as accurate as the private models, so it stopped before the same recipe's end
    const matched = pooled('matched-accuracy');
    assert.ok((matched.validationAccuracy as number) >= (pooled('dp-8').validationAccuracy as number) - 1e-9, `matched ${matched.validationAccuracy} vs dp-8 ${pooled('dp-8').validationAccuracy}`);
    assert.ok((matched.steps as number) < (pooled('same-recipe').steps as number), `matched-accuracy ${matched.steps} steps, same-recipe ${pooled('same-recipe').steps}`);
    const differences = rows.filter((r) => r.kind === 'difference');
    assert.equal(differences.length, 9);
    for (const d of differences) {
      assert.ok((d.intervalLow as number) <= (d.meanDifference as number) && (d.meanDifference as number) <= (d.intervalHigh as number));
      assert.equal(d.established, (d.intervalLow as number) > 0 || (d.intervalHigh as number) < 0);
    }
    assert.equal(events.filter((e) => e === 'model').length, 6 * 5);

    // rerun: every model comes from the cache
    events.length = 0;
    await runStudy(leakageStudy, { seed: 0, quick: true, progress }, { out, command: 'test' });
    const again = (JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as { rows: Row[] }).rows;
    assert.equal(events.filter((e) => e === 'model').length, 0, 'nothing trained again');
    assert.deepEqual(again, rows);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
