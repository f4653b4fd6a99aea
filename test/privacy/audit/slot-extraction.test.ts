/**
 * Canary extraction from the joint intent + slot model: on a model overfit to a generated slot
 * set with one canary repeated many times, the relaxed-input attack recovers the code; codes
 * of the same format the model never saw stay at chance. Plus the scoring by hand.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initEngine, SeededRandom, tf } from '../../../src/engine/index.js';
import { generateSyntheticSlotDataset } from '../../../src/data/index.js';
import {
  drawSlotCanary,
  extractSlotCanaries,
  insertSlotCanaries,
  randomGuessBaseline,
  slotCanaryRank,
  summariseGuesses,
  trainSlotModelWithCanaries,
  SLOT_CANARY_FORMATS,
  SLOT_CANARY_INTENT,
} from '../../../src/privacy/audit/index.js';

test('slot canaries: tags, insertion counts, the new intent', () => {
  const rng = new SeededRandom(1);
  const c = drawSlotCanary(4, 3, rng);
  assert.match(c.code, /^\d{4}$/);
  assert.deepEqual(c.tokens, ['my', 'pin', 'code', 'is', ...c.code]);
  assert.deepEqual(c.slots, ['O', 'O', 'O', 'O', 'B-pin', 'I-pin', 'I-pin', 'I-pin']);
  const data = generateSyntheticSlotDataset(1, { train: 20, val: 5, test: 5 });
  const out = insertSlotCanaries(data, [c, drawSlotCanary(6, 0, rng)], rng);
  assert.equal(out.splits.train.length, 23);
  assert.equal(out.splits.train.filter((e) => e.label === SLOT_CANARY_INTENT).length, 3);
  assert.ok(out.labels.includes(SLOT_CANARY_INTENT));
  assert.throws(() => drawSlotCanary(0, 1, rng), /code length/);
  // further formats: four words each, no word in two formats (so canaries on different formats do not compete for one prefix)
  const words = SLOT_CANARY_FORMATS.flat();
  assert.equal(new Set(words).size, words.length);
  assert.ok(SLOT_CANARY_FORMATS.every((f) => f.length === 4));
  const other = drawSlotCanary(6, 2, rng, SLOT_CANARY_FORMATS[3]);
  assert.deepEqual(other.tokens.slice(0, 4), [...SLOT_CANARY_FORMATS[3]]);
  assert.deepEqual(other.slots, ['O', 'O', 'O', 'O', 'B-pin', 'I-pin', 'I-pin', 'I-pin', 'I-pin', 'I-pin']);
});

test('extraction scoring: Clopper–Pearson interval, Hamming, random-guess baseline, by hand', () => {
  const guesses = [
    { code: '1234', repetitions: 1, guess: '1 2 3 4', exact: true, hamming: 0 },
    { code: '1234', repetitions: 1, guess: '1 2 9 9', exact: false, hamming: 0.5 },
  ];
  const s = summariseGuesses(guesses);
  assert.equal(s.exactRate, 0.5);
  assert.equal(s.hamming, 0.25);
  // 1 of 2: the exact 95% interval is [0.025², ...] = [1 − 0.975^(1/1)... ]: B⁻¹(0.025; 1, 2) = 1 − sqrt(0.975)
  assert.ok(Math.abs(s.exactInterval[0] - (1 - Math.sqrt(0.975))) < 1e-6, `low ${s.exactInterval[0]}`);
  assert.ok(Math.abs(s.exactInterval[1] - Math.sqrt(0.975)) < 1e-6, `high ${s.exactInterval[1]}`);
  assert.deepEqual(randomGuessBaseline(4, 'digits', 500), { exactRate: 1e-4, hamming: 0.9 });
  assert.equal(randomGuessBaseline(2, 'vocabulary', 100).exactRate, 1e-4);
});

test('ranking by hand: a model that scores every code alike ranks the true code at chance (ties count half), not first', async () => {
  await initEngine({ backend: 'wasm' });
  const rng = new SeededRandom(2);
  const canary = drawSlotCanary(2, 3, rng);
  const trained = await trainSlotModelWithCanaries({
    dataset: generateSyntheticSlotDataset(1, { train: 30, val: 10, test: 10 }),
    canaries: [canary],
    config: { embeddingDim: 4, filters: 4, hidden: 4 },
    epochs: 1,
    batchSize: 16,
    learningRate: 1e-2,
    seed: 1,
  });
  // zero weights: every one of the 100 codes gets the same loss, so 99 ties count half each
  trained.model.store.assign(trained.model.store.snapshot().map((p) => ({ ...p, values: new Float32Array(p.values.length) })));
  assert.equal(slotCanaryRank(trained.model, canary), 99 / 2);
  trained.model.dispose();
  assert.throws(() => slotCanaryRank(trained.model, drawSlotCanary(6, 0, rng)), /lengths 1-5/);
});

test('a canary repeated 60 times in an overfit model is extracted over digits; never-inserted codes stay at chance', async () => {
  await initEngine({ backend: 'wasm' });
  const rng = new SeededRandom(7);
  const canary = drawSlotCanary(4, 60, rng);
  const references = Array.from({ length: 8 }, () => drawSlotCanary(4, 0, rng));
  const trained = await trainSlotModelWithCanaries({
    dataset: generateSyntheticSlotDataset(5, { train: 300, val: 60, test: 60 }),
    canaries: [canary],
    config: { embeddingDim: 24, filters: 32, hidden: 32 },
    epochs: 25,
    batchSize: 32,
    learningRate: 3e-3,
    keep: 'last',
    seed: 3,
  });
  assert.equal(trained.training.epochUsed, 25);
  const before = tf.memory().numTensors;
  const guesses = extractSlotCanaries(trained.model, [canary, ...references], { decode: 'digits', seed: 1, steps: 150, restarts: 3 });
  assert.equal(tf.memory().numTensors, before, 'the attack leaves no tensors behind');
  // the exhaustive attack: the inserted code ranks at the top of all 10⁴ codes, never-inserted ones do not
  const canaryRank = slotCanaryRank(trained.model, canary);
  const referenceRanks = references.map((r) => slotCanaryRank(trained.model, r)).sort((a, b) => a - b);
  assert.equal(tf.memory().numTensors, before, 'ranking leaves no tensors behind');
  trained.model.dispose();
  assert.ok(canaryRank <= 2, `canary rank ${canaryRank}`);
  assert.ok(referenceRanks[4] > 100, `reference ranks ${referenceRanks.join(' ')}`);
  const [attacked, ...controls] = guesses;
  assert.ok(attacked.hamming <= 0.25, `canary ${canary.code} → ${attacked.guess} (Hamming ${attacked.hamming})`);
  // the attack returns the model's preferred code whatever the target: a never-seen random code matches it by chance only
  const control = summariseGuesses(controls);
  assert.equal(control.exact, 0, JSON.stringify(controls));
  assert.ok(control.hamming >= 0.6, `control Hamming ${control.hamming}: ${JSON.stringify(controls)}`);
});
