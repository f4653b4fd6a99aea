/** Study "federated-analytics": registered, the real plan is the grid the docs describe, the quick run returns sane rows. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { STUDIES } from '../../src/cli/study.js';
import { analyticsStudyPlan, federatedAnalyticsStudy } from '../../src/studies/federated-analytics.js';
import { SILENT } from '../../src/train/index.js';

test('federated-analytics is registered and its real plan is CLINC150 oos, SLURP quirky, SLURP and SLURP lm utterances, five ε, ten seeds', () => {
  assert.ok(STUDIES.some((s) => s.name === 'federated-analytics'));
  const plan = analyticsStudyPlan({ quick: false, seed: 0 });
  assert.deepEqual(plan.cases.map((c) => c.name), ['CLINC150 out-of-scope', 'SLURP general_quirky', 'SLURP all requests', 'SLURP lm.txt utterances']);
  assert.equal(plan.cases[3].unit, 'utterance');
  assert.deepEqual(plan.epsilons, [1, 2, 4, 8, 16]);
  assert.equal(plan.seeds.length, 10);
  assert.deepEqual(plan.methods, ['triehh', 'cms']);
});

test('federated-analytics --quick: one row per method and ε, recall within its interval, on the synthetic set', async () => {
  const rows = await federatedAnalyticsStudy.run!({ seed: 0, quick: true, progress: SILENT });
  assert.equal(rows.length, 4);
  for (const row of rows) {
    const { recall, recallLow, recallHigh, precision } = row as Record<string, number>;
    assert.ok(recallLow <= recall + 1e-12 && recall <= recallHigh + 1e-12, JSON.stringify(row));
    assert.ok(precision >= 0 && precision <= 1);
    assert.equal(row.seeds, 2);
  }
  // Central DP beats local DP at the same ε on this set.
  const at = (method: string, epsilon: number) => rows.find((r) => r.method === method && r.epsilon === epsilon)!.recall as number;
  assert.ok(at('triehh', 4) > at('cms', 4), `triehh ${at('triehh', 4)} vs cms ${at('cms', 4)}`);
});
