/**
 * Role reversal and the KD loss against independent computations: the vocabulary swap on a
 * hand-made vocabulary, the counterfactual ids (her → his/him by the next token), the mapped-back
 * distribution and the three combinations against naive loops, and the distillation loss against
 * a plain-array evaluation of α·τ²·CE(q, softmax(z/τ)) + (1 − α)·CE(y, softmax(z)).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initEngine, tf } from '../../../src/engine/index.js';
import { SeededRandom } from '../../../src/engine/random.js';
import { WordTokenizer } from '../../../src/text/index.js';
import { createModel, type LanguageModel } from '../../../src/models/index.js';
import {
  combineTeacherDistributions,
  counterfactualIds,
  distillationGradients,
  distillationLoss,
  genderSwapLexicon,
  mapBackCounterfactual,
  teacherTargets,
  vocabularySwap,
} from '../../../src/fairness/mitigation/index.js';
import { assertClose } from '../../helpers.js';

const TOKENS = ['<pad>', '<unk>', '<bos>', '<eos>', 'her', 'his', 'him', 'hers', 'she', 'he', 'actress', 'actor', 'film', 'the', '.', 'in', 'queen'];
const tokenizer = new WordTokenizer(TOKENS);
const id = (t: string) => TOKENS.indexOf(t);

function randomDistributions(n: number, v: number, seed: number): Float32Array {
  const rng = new SeededRandom(seed);
  const out = new Float32Array(n * v);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < v; j++) s += out[i * v + j] = rng.next() + 0.01;
    for (let j = 0; j < v; j++) out[i * v + j] /= s;
  }
  return out;
}

test('vocabulary swap: pairs present in the vocabulary, pronoun ids, noun-phrase starts', () => {
  const swap = vocabularySwap(tokenizer, genderSwapLexicon());
  assert.equal(swap.permutation[id('she')], id('he'));
  assert.equal(swap.permutation[id('actor')], id('actress'));
  assert.equal(swap.permutation[id('queen')], id('queen'), 'king is not in the vocabulary: queen stays');
  assert.equal(swap.permutation[id('her')], id('her'), 'pronouns are handled by context');
  assert.deepEqual(swap.pronouns, { her: id('her'), his: id('his'), him: id('him'), hers: id('hers') });
  assert.equal(swap.swappable, 4);
  assert.equal(swap.startsNounPhrase[id('film')], 1);
  assert.equal(swap.startsNounPhrase[id('in')], 0);
  assert.equal(swap.startsNounPhrase[id('.')], 0);
  // "she cast her in her film ." with next tokens as targets
  const ids = ['she', 'her', 'in', 'her', 'film', '.'].map(id);
  const targets = ['her', 'in', 'her', 'film', '.', 'actress'].map(id);
  assert.deepEqual(Array.from(counterfactualIds(ids, targets, swap)), ['he', 'him', 'in', 'his', 'film', '.'].map(id));
});

test('mapped-back distribution and the max / mean / swap combinations match a naive loop', async () => {
  await initEngine({ backend: 'cpu' });
  const swap = vocabularySwap(tokenizer, genderSwapLexicon());
  const V = TOKENS.length;
  const N = 5;
  const p = randomDistributions(N, V, 1);
  const q = randomDistributions(N, V, 2);
  // Naive: counterfactual token w's mass goes to its counterpart(s) in the original world.
  const expected = new Float64Array(N * V);
  const [her, his, him, hers] = ['her', 'his', 'him', 'hers'].map(id);
  for (let n = 0; n < N; n++) {
    const P = (w: number) => p[n * V + w];
    for (let w = 0; w < V; w++) {
      const mass = q[n * V + w];
      if (w === her) {
        expected[n * V + his] += (mass * P(his)) / (P(his) + P(him));
        expected[n * V + him] += (mass * P(him)) / (P(his) + P(him));
      } else if (w === his) {
        expected[n * V + her] += (mass * P(her)) / (P(her) + P(hers));
        expected[n * V + hers] += (mass * P(hers)) / (P(her) + P(hers));
      } else if (w === him) expected[n * V + her] += mass;
      else if (w === hers) expected[n * V + his] += mass;
      else expected[n * V + swap.permutation[w]] += mass;
    }
  }
  const pT = tf.tensor2d(p, [N, V]);
  const qT = tf.tensor2d(q, [N, V]);
  const back = mapBackCounterfactual(pT, qT, swap);
  assertClose(back.dataSync(), expected, 1e-5, 'mapped back');
  const mean = combineTeacherDistributions(pT, back, 'mean').dataSync();
  const max = combineTeacherDistributions(pT, back, 'max').dataSync();
  const swapped = combineTeacherDistributions(pT, back, 'swap').dataSync();
  const expMean = new Float64Array(N * V);
  const expMax = new Float64Array(N * V);
  for (let n = 0; n < N; n++) {
    let s = 0;
    for (let w = 0; w < V; w++) {
      expMean[n * V + w] = (p[n * V + w] + expected[n * V + w]) / 2;
      s += expMax[n * V + w] = Math.max(p[n * V + w], expected[n * V + w]);
    }
    for (let w = 0; w < V; w++) expMax[n * V + w] /= s;
  }
  assertClose(mean, expMean, 1e-5, 'mean');
  assertClose(max, expMax, 1e-5, 'max');
  assertClose(swapped, expected, 1e-5, 'swap');
  // A gender-neutral context (p' = p): the mapped-back "she" is the original "he".
  const neutral = mapBackCounterfactual(pT, pT, swap).dataSync();
  for (let n = 0; n < N; n++) assert.ok(Math.abs(neutral[n * V + id('she')] - p[n * V + id('he')]) < 1e-6);
  tf.dispose([pT, qT, back]);
});

test('distillation loss equals α·τ²·CE(q, softmax(z/τ)) + (1 − α)·CE(y, softmax(z)) computed by hand', async () => {
  await initEngine({ backend: 'cpu' });
  const B = 2, T = 3, V = 4;
  const z = Array.from(new SeededRandom(3).permutation(B * T * V), (k) => (k - 12) / 5);
  const soft = randomDistributions(B * T, V, 4);
  const y = [0, 3, 1, 2, 2, 0];
  const mask = [1, 1, 1, 1, 1, 0];
  const tau = 2, alpha = 0.3;
  const logSoftmax = (row: number[], t: number) => {
    const s = row.map((v) => v / t);
    const m = Math.max(...s);
    const lse = m + Math.log(s.reduce((a, v) => a + Math.exp(v - m), 0));
    return s.map((v) => v - lse);
  };
  const expected: number[] = [];
  for (let n = 0; n < B * T; n++) {
    const row = z.slice(n * V, (n + 1) * V);
    const ls = logSoftmax(row, tau);
    const ce = -ls.reduce((a, v, j) => a + soft[n * V + j] * v, 0);
    const hard = -logSoftmax(row, 1)[y[n]];
    expected.push(mask[n] * (alpha * tau * tau * ce + (1 - alpha) * hard));
  }
  const loss = distillationLoss(tf.tensor3d(z, [B, T, V]), tf.tensor2d(soft, [B * T, V]), tf.tensor2d(y, [B, T], 'int32'), tf.tensor2d(mask, [B, T]), { temperature: tau, alpha });
  assertClose(loss.dataSync(), expected, 1e-5, 'per-position loss');
});

test('a KD step lowers the student\'s divergence from the teacher; role-reversed targets are distributions', async () => {
  await initEngine({ backend: 'cpu' });
  const config = { kind: 'word-transformer' as const, embeddingDim: 8, heads: 2, layers: 1, ffnDim: 16, dropout: 0, contextLength: 6 };
  const teacher = createModel({ kind: 'word-transformer', tokenizer, seed: 1, config }) as LanguageModel;
  const student = createModel({ kind: 'word-transformer', tokenizer, seed: 2, config }) as LanguageModel;
  const ids = Int32Array.from(['she', 'her', 'in', 'her', 'film', '.', 'the', 'actor', 'his', 'film', 'in', 'the'].map(id));
  const targets = Int32Array.from(['her', 'in', 'her', 'film', '.', 'the', 'actor', 'his', 'film', 'in', 'the', '.'].map(id));
  const host = { ids, targets, mask: new Float32Array(12).fill(1), size: 2, length: 6 };
  const swap = vocabularySwap(tokenizer, genderSwapLexicon());
  for (const variant of ['max', 'mean', 'swap'] as const) {
    const q = teacherTargets(host, { teacher, temperature: 2, alpha: 1, roleReversal: { variant, swap } });
    const sums = tf.sum(q, 1).dataSync();
    for (const s of sums) assert.ok(Math.abs(s - 1) < 1e-5, `${variant}: row sums to ${s}`);
    q.dispose();
  }
  const step = distillationGradients({ teacher, temperature: 2, alpha: 1, roleReversal: { variant: 'mean', swap } });
  const params = student.parameters();
  // Plain gradient descent with the distillation step; returns the loss before the update.
  const stepOnce = () => {
    const loss = tf.tidy(() => {
      const batch = { ids: tf.tensor2d(ids, [2, 6], 'int32'), mask: tf.ones([2, 6]) as tf.Tensor2D, targets: tf.tensor2d(targets, [2, 6], 'int32') };
      const r = step(student, batch, { training: false }, host);
      for (const p of params) p.variable.assign(tf.sub(p.variable, tf.mul(r.grads.get(p.name)!, 0.5)));
      return r.loss;
    });
    const value = loss.dataSync()[0];
    loss.dispose();
    return value;
  };
  const first = { value: stepOnce() };
  for (let i = 0; i < 30; i++) stepOnce();
  const last = { value: stepOnce() };
  assert.ok(last.value < first.value - 0.05, `KD loss should fall: ${first.value} → ${last.value}`);
  teacher.dispose();
  student.dispose();
});
