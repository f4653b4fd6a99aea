/**
 * The commands that read a model, on a user's own model.json (issue 17, part 3): the test
 * builds a small tf.layers classifier, trains it with tfjs's own fit, saves it with
 * model.save('file://...') (trustnlu's file:// handler for Node without tfjs-node) and writes
 * its tokenizer.json beside it; then `predict`, `eval`, `audit mia` (loss and LiRA),
 * `fairness groups` and `fl simulate` run on `--model PATH/model.json` (or its directory) as
 * processes, with --labels naming its classes. Predictions and accuracy are checked against
 * model.predict here; bad paths and files give one line and exit 2.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { tf } from '../../src/engine/index.js';
import { loadIntentDataset } from '../../src/data/registry.js';
import { ids, savedUserModel } from '../user-model-fixture.js';

const BIN = join(process.cwd(), 'bin', 'trustnlu.js');

function run(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function onlyJson(r: { code: number | null; stdout: string; stderr: string }): Record<string, any> {
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, 1, `expected exactly one line on stdout, got:\n${r.stdout}`);
  return JSON.parse(lines[0]);
}

function oneLineUsageFailure(r: { code: number | null; stderr: string }, message: RegExp): void {
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, message);
  assert.equal(r.stderr.trim().split('\n').length, 1, `one line, got:\n${r.stderr}`);
}

test('predict, eval, audit mia, fairness groups and fl simulate on --model PATH/model.json', async () => {
  const { dir, labelsFile, model, tokenizer, labels } = await savedUserModel();
  assert.ok(existsSync(join(dir, 'model.json')) && existsSync(join(dir, 'weights.bin')), 'model.save(file://) wrote model.json and weights.bin');
  const modelJson = join(dir, 'model.json');
  const data = loadIntentDataset('synthetic', { seed: 0 });

  // predict: the probability of the predicted label is model.predict's
  const text = 'wake me up at seven tomorrow';
  const predicted = onlyJson(run(['predict', '--model', modelJson, '--labels', labelsFile, '--json', text]));
  const expected = tf.tidy(() => (model.predict(ids(tokenizer, [text])) as tf.Tensor).dataSync() as Float32Array).slice();
  const best = expected.indexOf(Math.max(...expected));
  assert.equal(predicted.model, 'layers');
  const first = predicted.predictions[0];
  assert.equal(first.label, labels[best]);
  assert.ok(Math.abs(first.probability - expected[best]) < 1e-5, `predict ${first.probability} vs model.predict ${expected[best]}`);
  // the same with the tokenizer as a plain vocabulary file (one token per line) and the labels inline
  const vocab = join(dirname(dir), 'vocab.txt');
  writeFileSync(vocab, tokenizer.toJSON().tokens.join('\n'));
  const plain = onlyJson(run(['predict', '--model', modelJson, '--vocab', vocab, '--labels', labels.join(','), '--json', text]));
  assert.deepEqual(plain.predictions[0], first);

  // eval: accuracy on the test split, by hand from model.predict
  const test = data.splits.test;
  const hand = tf.tidy(() => tf.argMax(model.predict(ids(tokenizer, test.map((e) => e.text))) as tf.Tensor, 1).dataSync() as Int32Array);
  const accuracy = test.reduce((n, e, i) => n + (labels[hand[i]] === e.label ? 1 : 0), 0) / test.length;
  const evaluated = onlyJson(run(['eval', '--model', dir, '--labels', labelsFile, '--dataset', 'synthetic', '--json']));
  assert.ok(Math.abs(evaluated.accuracy - accuracy) < 1e-9, `eval ${evaluated.accuracy} vs by hand ${accuracy}`);

  // audit mia: the loss attack, and LiRA with shadows cloned from the model.json's architecture
  const loss = onlyJson(run(['audit', 'mia', '--model', modelJson, '--labels', labelsFile, '--dataset', 'synthetic', '--attack', 'loss', '--examples', '100', '--json']));
  assert.equal(loss.members, 100);
  assert.ok(loss.auc >= 0 && loss.auc <= 1);
  const liraRun = run(['audit', 'mia', '--model', modelJson, '--labels', labelsFile, '--dataset', 'synthetic', '--attack', 'lira', '--shadows', '2', '--mode', 'offline',
    '--shadow-epochs', '1', '--shadow-batch', '64', '--shadow-lr', '0.02', '--examples', '50', '--workers', '0', '--json']);
  const lira = onlyJson(liraRun);
  assert.ok(lira.auc >= 0 && lira.auc <= 1);
  const events = liraRun.stderr.trim().split('\n').filter(Boolean).map((line) => JSON.parse(line) as { event: string; message?: string });
  assert.equal(events.filter((e) => e.event === 'shadow').length, 2, 'two shadow models trained');
  assert.ok(events.some((e) => e.event === 'caveat' && /records no training recipe/.test(e.message ?? '')), 'the default shadow recipe is announced');

  // fairness groups: per-group metrics on the synthetic test split's person groups, and on a probe set
  const groups = onlyJson(run(['fairness', 'groups', '--model', dir, '--labels', labelsFile, '--dataset', 'synthetic', '--resamples', '50', '--json']));
  assert.equal(groups.kind, 'layers');
  assert.ok(Object.keys(groups.byGroup).length >= 2, 'at least two groups');
  const probe = onlyJson(run(['fairness', 'groups', '--model', dir, '--labels', labelsFile, '--probe', 'intent-synthetic', '--resamples', '50', '--json']));
  assert.ok(probe.counterfactual.examples > 100);

  // fl simulate: federated training of the model.json (its weights are the round-0 model)
  const fl = onlyJson(run(['fl', 'simulate', '--model', modelJson, '--model-labels', labelsFile, '--dataset', 'synthetic', '--clients', '4', '--clients-per-round', '2', '--rounds', '2',
    '--workers', '0', '--lr', '0.01', '--json']));
  assert.equal(fl.rounds, 2);
  assert.ok(Math.abs(fl.curve[0].accuracy - accuracy) < 1e-9, `round 0 is the saved model (${fl.curve[0].accuracy} vs ${accuracy})`);
  model.dispose();
});

test('--model PATH/model.json: bad paths, files and flags give one line and exit 2', async () => {
  const { dir, labelsFile } = await savedUserModel();
  const root = mkdtempSync(join(tmpdir(), 'cli-bad-model-'));
  oneLineUsageFailure(run(['predict', '--model', join(root, 'missing', 'model.json'), 'hello']), /missing/);
  const broken = join(root, 'broken');
  spawnSync('mkdir', ['-p', broken]);
  writeFileSync(join(broken, 'model.json'), '{ not json');
  oneLineUsageFailure(run(['eval', '--model', join(broken, 'model.json'), '--dataset', 'synthetic']), /model\.json is not valid JSON/);
  oneLineUsageFailure(run(['audit', 'mia', '--model', dir, '--vocab', join(root, 'nope.txt'), '--dataset', 'synthetic', '--attack', 'loss']), /nope\.txt: no such vocabulary or tokenizer file/);
  oneLineUsageFailure(run(['fairness', 'groups', '--model', dir, '--dataset', 'synthetic']), /names its 12 classes 0\.\.11.*--labels/);
  oneLineUsageFailure(run(['fl', 'simulate', '--model', root, '--dataset', 'synthetic']), /--model must be one of .*model\.json/);
  oneLineUsageFailure(run(['fl', 'simulate', '--model', dir, '--model-labels', labelsFile, '--model-config', '{"hidden":4}', '--dataset', 'synthetic']), /--model-config changes a built-in architecture/);
  const weightsGone = join(root, 'noweights');
  spawnSync('mkdir', ['-p', weightsGone]);
  writeFileSync(join(weightsGone, 'model.json'), readFileSync(join(dir, 'model.json')));
  oneLineUsageFailure(run(['fl', 'simulate', '--model', weightsGone, '--model-labels', labelsFile, '--dataset', 'synthetic']), /weight file "weights\.bin" named in model\.json is missing/);
});
