/**
 * Apple's Count Mean Sketch: the flip probability, ±1 reports, and the unbiasedness of the
 * debiased estimate, tested statistically (the mean over independent runs within 4 standard
 * errors of the truth, for frequent, rare and absent items, over fresh hash families).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AnalyticsRandom,
  CountMeanSketch,
  cmsFlipProbability,
  cmsHeavyHitters,
  privatiseCmsReport,
  sketchHash,
} from '../../../src/federated/analytics/index.js';

test('CMS report: flip probability 1/(1 + e^{ε/2}), ±1 bits, one hot coordinate before flipping', () => {
  assert.ok(Math.abs(cmsFlipProbability(4) - 1 / (1 + Math.E ** 2)) < 1e-15);
  assert.ok(Math.abs(cmsFlipProbability(4) - 0.119203) < 1e-6);
  const random = AnalyticsRandom.from(1);
  const config = { epsilon: 4, width: 64, hashCount: 8 };
  let flipped = 0;
  const trials = 400;
  for (let t = 0; t < trials; t++) {
    const r = privatiseCmsReport('hello', config, random);
    assert.ok(r.bits.every((b) => b === 1 || b === -1));
    const hot = sketchHash('hello', r.hashIndex, 64, 0);
    r.bits.forEach((b, i) => {
      if (b !== (i === hot ? 1 : -1)) flipped++;
    });
  }
  const rate = flipped / (trials * 64);
  const se = Math.sqrt((0.119203 * (1 - 0.119203)) / (trials * 64));
  assert.ok(Math.abs(rate - 0.119203) < 4 * se, `flip rate ${rate}`);
});

test('CMS estimate is unbiased: mean over 200 runs within 4 standard errors for counts 300, 40, 5 and 0', () => {
  const truth: Record<string, number> = { common: 300, some: 40, rare: 5, absent: 0 };
  const reports: string[] = [];
  for (const [item, count] of Object.entries(truth)) for (let i = 0; i < count; i++) reports.push(item);
  for (let i = 0; i < 155; i++) reports.push(`other${i}`); // 500 reports in all
  const runs = 200;
  const estimates: Record<string, number[]> = { common: [], some: [], rare: [], absent: [] };
  for (let run = 0; run < runs; run++) {
    // A fresh hash family per run: unbiasedness is over the device randomness AND the hashes.
    const config = { epsilon: 2, width: 32, hashCount: 16, hashSeed: 1000 + run };
    const sketch = new CountMeanSketch(config);
    const random = AnalyticsRandom.from(run);
    for (const item of reports) sketch.add(privatiseCmsReport(item, config, random));
    for (const item of Object.keys(truth)) estimates[item].push(sketch.estimate(item));
  }
  for (const [item, values] of Object.entries(estimates)) {
    const mean = values.reduce((s, v) => s + v, 0) / runs;
    const sd = Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / (runs - 1));
    const se = sd / Math.sqrt(runs);
    assert.ok(Math.abs(mean - truth[item]) < 4 * se, `${item}: mean ${mean.toFixed(2)} vs ${truth[item]} (se ${se.toFixed(2)})`);
    assert.ok(sd > 1, `${item}: the estimate must be noisy (sd ${sd})`);
  }
});

test('CMS heavy hitters: one report per device, oracle dictionary by default, bad settings rejected', () => {
  const users = Array.from({ length: 400 }, (_, i) => ({ user: `u${i}`, items: [i < 250 ? 'yes' : i < 330 ? 'no' : `other${i}`] }));
  const r = cmsHeavyHitters({ users, k: 2, epsilon: 8, noiseSeed: 2 });
  assert.equal(r.reports, 400);
  assert.equal(r.dictionary, 'oracle (every item in the data)');
  assert.deepEqual(r.items.map((i) => i.item), ['yes', 'no']);
  assert.throws(() => cmsHeavyHitters({ users, k: 2, epsilon: Infinity }), /local DP has no/);
  assert.throws(() => cmsHeavyHitters({ users, k: 2, epsilon: 1, width: 1 }), /width m/);
});
