/** Reading a checkpoint's training recipe and DP mechanism for shadow models; the log-log ROC chart renders. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { computeEpsilon } from '../../../src/privacy/accounting/index.js';
import { rocLogLogChart, trainingFromMeta } from '../../../src/privacy/audit/index.js';
import { renderSvg } from '../../../src/report/charts.js';

const RECIPE = { model: 'embbag', epochs: 5, batchSize: 64, learningRate: 0.002, optimizer: 'adamw', schedule: 'constant', warmupSteps: 0, patience: 3, glove: false, config: {} };

test('trainingFromMeta: the recipe as trainer options; DP meta gives the shadows σ, clip, δ and the accountant ε', () => {
  const plain = trainingFromMeta({ recipe: RECIPE }, 'runs/x');
  assert.deepEqual(plain.recipe, { epochs: 5, batchSize: 64, learningRate: 0.002, optimizer: 'adamw', schedule: 'constant', warmupSteps: 0, patience: 3 });
  assert.equal(plain.dp, undefined);
  assert.equal(plain.theoreticalEpsilon, null);
  assert.deepEqual(plain.caveats, []);
  const dp = { noiseMultiplier: 1.1, sampleRate: 0.01, delta: 1e-5, clip: 0.5, accountant: 'rdp', plannedSteps: 500 };
  const priv = trainingFromMeta({ recipe: { ...RECIPE, glove: true }, dp }, 'runs/x');
  assert.deepEqual(priv.dp, { noiseMultiplier: 1.1, delta: 1e-5, clip: 0.5 });
  const expected = computeEpsilon({ sampleRate: 0.01, noiseMultiplier: 1.1, steps: 500, delta: 1e-5, accountant: 'rdp' }).epsilon;
  assert.equal(priv.theoreticalEpsilon, expected);
  assert.match(priv.caveats[0], /GloVe/);
  assert.throws(() => trainingFromMeta({}, 'runs/old'), /runs\/old has no training recipe/);
  assert.throws(() => trainingFromMeta({ recipe: { ...RECIPE, epochs: 'five' } }, 'runs/y'), /meta\.epochs is "five"/);
});

test('the log-log ROC chart drops FPR/TPR = 0 points (no log of 0), adds the chance diagonal and renders to SVG', async () => {
  const roc = [{ fpr: 0, tpr: 0, threshold: Infinity }, { fpr: 0, tpr: 0.01, threshold: 3 }, { fpr: 0.002, tpr: 0.05, threshold: 2 }, { fpr: 1, tpr: 1, threshold: -1 }];
  const spec = rocLogLogChart([{ name: 'LiRA', roc }]);
  const values = (spec.data as { values: { attack: string; fpr: number; tpr: number }[] }).values;
  assert.deepEqual(values.filter((v) => v.attack === 'LiRA').map((v) => v.fpr), [0.002, 1]);
  assert.deepEqual(values.filter((v) => v.attack === 'chance').map((v) => [v.fpr, v.tpr]), [[0.001, 0.001], [1, 1]]);
  const svg = await renderSvg(spec);
  assert.match(svg, /^<svg/);
  assert.match(svg, /false-positive rate/);
});
