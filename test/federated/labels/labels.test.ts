/**
 * Labels from user feedback: the label-source spec, the simulated user (rates, consistency,
 * the truth table of reactions), confident pseudo-labels, the stratified labelled set, option
 * checks, small runs on the synthetic set, and the CLI's usage errors.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { SeededRandom } from '../../../src/engine/index.js';
import { ConfigError } from '../../../src/errors.js';
import {
  checkDeviceLabelOptions,
  confidentPseudoLabels,
  feedbackTarget,
  feedbackTargets,
  parseLabelSpec,
  runFederatedExperiment,
  stratifiedLabelledSplit,
  userReaction,
} from '../../../src/federated/index.js';
import { encodeComplementary } from '../../../src/train/index.js';

test('label specs: gold, feedback[:NOISE], semi:FRACTION; anything else names the valid forms', () => {
  assert.deepEqual(parseLabelSpec('gold'), { kind: 'gold' });
  assert.deepEqual(parseLabelSpec('feedback'), { kind: 'feedback', noise: 0 });
  assert.deepEqual(parseLabelSpec('Feedback:0.3'), { kind: 'feedback', noise: 0.3 });
  assert.deepEqual(parseLabelSpec('semi:0.05'), { kind: 'semi', labelledFraction: 0.05 });
  for (const bad of ['feedback:1.5', 'feedback:', 'feedback:0.1:2', 'semi', 'semi:0', 'semi:1', 'gold:1', 'silver']) {
    assert.throws(() => parseLabelSpec(bad), (e: Error) => e instanceof ConfigError && e.message.includes('valid forms: gold | feedback | feedback:NOISE | semi:FRACTION'), bad);
  }
});

test('a user confirms right and rejects wrong predictions, and a noisy user does the opposite', () => {
  // target = prediction (positive) or encodeComplementary(prediction) (negative)
  assert.equal(feedbackTarget(3, 3, 'honest'), 3);
  assert.equal(feedbackTarget(3, 5, 'honest'), encodeComplementary(3));
  assert.equal(feedbackTarget(3, 3, 'flipped'), encodeComplementary(3));
  assert.equal(feedbackTarget(3, 5, 'flipped'), 3);
});

test('reaction and noise rates are as configured, and each utterance always gets the same reaction', () => {
  const model = { rate: 0.5, noise: 0.3, seed: 11 };
  const n = 20000;
  let reacted = 0;
  let flipped = 0;
  for (let i = 0; i < n; i++) {
    const r = userReaction(model, i);
    assert.equal(userReaction(model, i), r, 'consistent per example');
    if (r !== 'none') reacted++;
    if (r === 'flipped') flipped++;
  }
  // binomial: 4 standard deviations
  assert.ok(Math.abs(reacted / n - 0.5) < 4 * Math.sqrt(0.25 / n), `reaction share ${reacted / n}`);
  assert.ok(Math.abs(flipped / reacted - 0.3) < 4 * Math.sqrt(0.21 / reacted), `flip share ${flipped / reacted}`);
  const other = Array.from({ length: 200 }, (_, i) => userReaction({ ...model, seed: 12 }, i));
  assert.notDeepEqual(other, Array.from({ length: 200 }, (_, i) => userReaction(model, i)), 'another seed, other users');
});

test('feedback targets: without noise every target is right, with noise 1 every target is wrong', () => {
  const truths = [0, 1, 2, 3, 4, 0, 1, 2];
  const predictions = [0, 1, 0, 3, 1, 0, 2, 2];
  const indices = [10, 11, 12, 13, 14, 15, 16, 17];
  const honest = feedbackTargets(predictions, truths, indices, { rate: 1, noise: 0, seed: 1 });
  assert.deepEqual(honest.targets, [0, 1, encodeComplementary(0), 3, encodeComplementary(1), 0, encodeComplementary(2), 2]);
  assert.deepEqual(honest.counts, { examples: 8, positives: 5, wrongPositives: 0, negatives: 3, wrongNegatives: 0 });
  const liar = feedbackTargets(predictions, truths, indices, { rate: 1, noise: 1, seed: 1 });
  assert.deepEqual(liar.counts, { examples: 8, positives: 3, wrongPositives: 3, negatives: 5, wrongNegatives: 5 });
  const silent = feedbackTargets(predictions, truths, indices, { rate: 0.5, noise: 0, seed: 1 });
  assert.ok(silent.positions.length < 8 && silent.positions.every((p, j) => silent.targets[j] === honest.targets[p]));
  assert.throws(() => feedbackTargets(predictions, truths, indices, { rate: 0, noise: 0, seed: 1 }), ConfigError);
});

test('pseudo-labels keep the predictions whose top probability reaches the threshold', () => {
  const probabilities = Float32Array.from([0.7, 0.2, 0.1, 0.3, 0.4, 0.3, 0.05, 0.05, 0.9]);
  const out = confidentPseudoLabels(probabilities, 3, [0, 1, 1], 0.6);
  assert.deepEqual(out.positions, [0, 2]);
  assert.deepEqual(out.targets, [0, 2]);
  assert.deepEqual(out.counts, { examples: 3, positives: 2, wrongPositives: 1, negatives: 0, wrongNegatives: 0 });
});

test('the labelled set is stratified: round(f·n_c) of each class, at least one, never the whole class', () => {
  const targets = [...Array(40).fill(0), ...Array(10).fill(1), ...Array(3).fill(2), 3];
  const chosen = stratifiedLabelledSplit(targets, 0.1, new SeededRandom(4));
  const perClass = [0, 1, 2, 3].map((c) => Array.from(chosen).filter((i) => targets[i] === c).length);
  assert.deepEqual(perClass, [4, 1, 1, 0]);
  assert.deepEqual(Array.from(stratifiedLabelledSplit(targets, 0.1, new SeededRandom(4))), Array.from(chosen), 'seeded');
  assert.throws(() => stratifiedLabelledSplit(targets, 1, new SeededRandom(4)), ConfigError);
});

test('options that do not fit the label source are refused before any data is read', () => {
  assert.throws(() => checkDeviceLabelOptions({ kind: 'gold' }, { feedbackRate: 0.5 }), /--feedback-rate\) need --labels feedback/);
  assert.throws(() => checkDeviceLabelOptions({ kind: 'semi', labelledFraction: 0.1 }, { labelledFraction: 0.1 }), /semi:FRACTION already sets/);
  assert.throws(() => checkDeviceLabelOptions({ kind: 'feedback', noise: 0 }, { pseudoLabelThreshold: 0.9 }), /applies to --labels semi/);
  checkDeviceLabelOptions({ kind: 'gold' }, { labelledFraction: 0.1, seedEpochs: 3 });
  checkDeviceLabelOptions({ kind: 'feedback', noise: 0.3 }, { feedbackRate: 0.5, labelledFraction: 0.1 });
});

const small = {
  dataset: 'synthetic',
  partition: 'iid',
  strategy: 'fedavg',
  rounds: 2,
  clientsPerRound: 3,
  numClients: 8,
  model: 'embbag',
  modelConfig: { embeddingDim: 8, hidden: 8 },
  seed: 2,
  workers: 0,
} as const;

test('feedback runs start from the seed model and train on noiseless feedback without a wrong target', async () => {
  const r = await runFederatedExperiment({ ...small, labels: 'feedback:0', deviceLabels: { labelledFraction: 0.1, seedEpochs: 2 } });
  const l = r.labels!;
  assert.ok(l, 'a labels report');
  assert.equal(r.curve[0].accuracy, l.seedAccuracy, 'round 0 evaluates the seed model');
  assert.ok(l.labelledExamples > 0 && l.deviceExamples > 0);
  assert.equal(l.rounds.length, 2);
  assert.ok(l.totals.positives + l.totals.negatives > 0);
  assert.equal(l.totals.wrongPositives + l.totals.wrongNegatives, 0);
  assert.equal(l.totals.positives + l.totals.negatives, l.totals.examples, 'rate 1: every utterance gets a reaction');
  const again = await runFederatedExperiment({ ...small, labels: 'feedback:0', deviceLabels: { labelledFraction: 0.1, seedEpochs: 2 } });
  assert.equal(again.accuracy, r.accuracy, 'reproducible from the seed');
  const anchored = await runFederatedExperiment({ ...small, labels: 'feedback:0', deviceLabels: { labelledFraction: 0.1, seedEpochs: 2, serverEpochs: 1 } });
  assert.match(anchored.labels!.mode, /server fine-tuning 1 epoch/);
  assert.equal(anchored.curve[0].accuracy, r.curve[0].accuracy, 'same seed model');
  assert.notEqual(anchored.accuracy, r.accuracy, 'server fine-tuning changes the global model');
});

test('semi runs train on pseudo-labels and gold runs with a labelled fraction share the seed model', async () => {
  const semi = await runFederatedExperiment({ ...small, labels: 'semi:0.1', deviceLabels: { pseudoLabelThreshold: 0, seedEpochs: 2 } });
  const gold = await runFederatedExperiment({ ...small, labels: 'gold', deviceLabels: { labelledFraction: 0.1, seedEpochs: 2 } });
  assert.equal(semi.labels!.totals.negatives, 0);
  assert.equal(semi.labels!.totals.positives, semi.labels!.totals.examples, 'threshold 0 keeps every prediction');
  assert.equal(semi.labels!.seedAccuracy, gold.labels!.seedAccuracy, 'same labelled set, same seed model');
  assert.equal(gold.labels!.totals.positives, 0, 'gold devices report no derived targets');
  const plain = await runFederatedExperiment({ ...small });
  assert.equal(plain.labels, undefined);
});

const BIN = join(process.cwd(), 'bin', 'trustnlu.js');

test('fl simulate --labels: bad values and inconsistent flags are usage errors (exit 2, one line)', () => {
  const cases: [string[], RegExp][] = [
    [['--labels', 'feedback:2'], /NOISE must be in \[0, 1\]/],
    [['--labels', 'semi'], /"semi" needs FRACTION/],
    [['--feedback-rate', '0.5'], /--feedback-rate\) need --labels feedback/],
    [['--labels', 'semi:0.1', '--labelled-fraction', '0.1'], /semi:FRACTION already sets/],
    [['--labels', 'feedback', '--feedback-rate', '0'], /--feedback-rate/],
    [['--labels', 'feedback', '--pseudo-label-threshold', '0.9'], /applies to --labels semi/],
  ];
  for (const [args, pattern] of cases) {
    const r = spawnSync(process.execPath, [BIN, 'fl', 'simulate', '--dataset', 'synthetic', '--workers', '0', ...args], { encoding: 'utf8' });
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, `${args.join(' ')}: one line, got\n${r.stderr}`);
    assert.match(lines[0], pattern, args.join(' '));
  }
});
