/**
 * Membership inference end to end on a small CLINC150 pool: shadow models trained on the
 * worker pool, LiRA against the loss baseline, DP against no DP, the empirical ε bound
 * against the accountant's ε.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRandom } from '../../../src/engine/random.js';
import { loadIntentDataset } from '../../../src/data/registry.js';
import type { TextExample } from '../../../src/data/types.js';
import { fitWordTokenizer } from '../../../src/text/index.js';
import { balancedMemberships, runMembershipExperiment, thinRoc, type TrainingRecipe } from '../../../src/privacy/audit/index.js';
import { gloveEmbeddings } from '../../../src/train/index.js';
import { REAL_DATA_DIR, needsRealData } from '../../helpers.js';

test('balanced memberships: every example is IN for exactly half of the models', () => {
  const rng = new SeededRandom(5);
  const inn = balancedMemberships(101, 8, rng);
  for (let i = 0; i < 101; i++) assert.equal(inn.reduce((n, row) => n + (row[i] ? 1 : 0), 0), 4);
  const odd = balancedMemberships(100, 5, rng);
  for (let i = 0; i < 100; i++) {
    const k = odd.reduce((n, row) => n + (row[i] ? 1 : 0), 0);
    assert.ok(k === 2 || k === 3);
  }
  // each model holds about half the pool
  for (const row of inn) assert.ok(Math.abs(row.filter(Boolean).length - 50.5) < 15);
});

test('thinRoc keeps the curve monotone and the best TPR per log-FPR bin', () => {
  const points = Array.from({ length: 1001 }, (_, k) => ({ fpr: k / 1000, tpr: Math.sqrt(k / 1000), threshold: -k }));
  const thin = thinRoc(points, 50);
  assert.ok(thin.length <= 52 && thin.length > 10);
  for (let k = 1; k < thin.length; k++) assert.ok(thin[k].fpr > thin[k - 1].fpr && thin[k].tpr >= thin[k - 1].tpr);
  assert.equal(thin[thin.length - 1].fpr, 1);
});

/** 4 examples of each of the 150 in-scope intents: each model sees about 2 per intent and must memorise. */
function smallPool(): { pool: TextExample[]; validation: TextExample[]; labels: string[] } {
  const data = loadIntentDataset('clinc150', { dataDir: REAL_DATA_DIR });
  const labels = data.labels.filter((l) => l !== data.outOfScopeLabel);
  const byLabel = new Map<string, TextExample[]>();
  for (const e of data.splits.train) if (e.label !== data.outOfScopeLabel) byLabel.set(e.label, [...(byLabel.get(e.label) ?? []), e]);
  const pool = labels.flatMap((l) => byLabel.get(l)!.slice(0, 4));
  const validation = data.splits.val.filter((e) => e.label !== data.outOfScopeLabel).slice(0, 300);
  return { pool, validation, labels };
}

const RECIPE: TrainingRecipe = { epochs: 20, batchSize: 32, learningRate: 5e-3, optimizer: 'adam', schedule: 'constant', warmupSteps: 0, patience: null };

test('an overfit non-private classifier: LiRA AUC ≥ 0.75 and above the loss baseline at low FPR', needsRealData, async () => {
  const { pool, validation, labels } = smallPool();
  const tokenizer = fitWordTokenizer(pool.map((e) => e.text)).toJSON();
  const model = { kind: 'embbag', config: { embeddingDim: 32, hidden: 64, dropout: 0 }, tokenizer, labels };
  const common = { model, pool, validation, shadows: 8, targets: 3, seed: 1, workers: 2 };
  const plain = await runMembershipExperiment({ ...common, recipe: RECIPE });
  const lira = plain.lira;
  assert.equal(lira.members + lira.nonMembers, 3 * pool.length);
  assert.ok(lira.auc >= 0.75, `LiRA AUC ${lira.auc}`);
  assert.ok(lira.auc > 0.5 && plain.loss.auc > 0.5);
  // chance at FPR 1% is TPR 1%
  assert.ok(lira.tprAtFpr01 > 0.05, `LiRA TPR at 1% FPR ${lira.tprAtFpr01}`);
  assert.equal(lira.theoreticalEpsilon, null);
  assert.ok(lira.epsilonLowerBound > 0, 'the overfit model gives evidence of leakage');

});

/** 100 examples of each of 10 intents: enough for a private linear model on GloVe to learn (each model trains on half). */
function smallTaskPool(): { pool: TextExample[]; validation: TextExample[]; labels: string[] } {
  const data = loadIntentDataset('clinc150', { dataDir: REAL_DATA_DIR });
  const labels = data.labels.filter((l) => l !== data.outOfScopeLabel).slice(0, 10);
  const keep = new Set(labels);
  const byLabel = new Map<string, TextExample[]>();
  for (const e of data.splits.train) if (keep.has(e.label)) byLabel.set(e.label, [...(byLabel.get(e.label) ?? []), e]);
  const pool = labels.flatMap((l) => byLabel.get(l)!.slice(0, 100));
  const validation = data.splits.val.filter((e) => keep.has(e.label));
  return { pool, validation, labels };
}

test('DP-SGD at ε = 4 on a model that learned (validation accuracy ≥ 0.5, chance 0.1): AUC ≤ 0.6 and ε_LB ≤ ε', needsRealData, async () => {
  const { pool, validation, labels } = smallTaskPool();
  const tokenizer = fitWordTokenizer(pool.map((e) => e.text));
  // the private recipe of `trustnlu train --dp` at this size: linear on GloVe, SGD, large batches, per-layer clipping
  const initialEmbeddings = gloveEmbeddings(tokenizer, 100, 1, REAL_DATA_DIR).table;
  const model = { kind: 'embbag', config: { embeddingDim: 100, hidden: 0, dropout: 0 }, tokenizer: tokenizer.toJSON(), labels, initialEmbeddings };
  const recipe: TrainingRecipe = { epochs: 30, batchSize: 250, learningRate: 2, optimizer: 'sgd', schedule: 'constant', warmupSteps: 0, patience: null };
  const dp = await runMembershipExperiment({ model, pool, validation, shadows: 8, targets: 3, seed: 1, workers: 2, recipe, dp: { epsilon: 4, delta: 1e-5, clip: 1, clipping: 'per-layer' } });
  // a membership test on a model that learned nothing says nothing about DP
  assert.ok(dp.lira.targetAccuracy !== null && dp.lira.targetAccuracy >= 0.5, `validation accuracy of the private targets: ${dp.lira.targetAccuracy}`);
  for (const r of [dp.lira, dp.loss]) {
    assert.ok(r.theoreticalEpsilon !== null && r.theoreticalEpsilon <= 4 + 1e-9, `spent ε ${r.theoreticalEpsilon}`);
    assert.ok(r.auc <= 0.6, `${r.attack} AUC under DP ε=4: ${r.auc}`);
    assert.ok(r.epsilonLowerBound <= r.theoreticalEpsilon!, `${r.attack}: ε_LB ${r.epsilonLowerBound} > ε ${r.theoreticalEpsilon}`);
    assert.ok(r.epsilonLowerBoundAllThresholds <= r.theoreticalEpsilon!, `${r.attack}: optimistic ε_LB ${r.epsilonLowerBoundAllThresholds} > ε ${r.theoreticalEpsilon}`);
  }
});
