/** Counterfactual token fairness: hand-worked values, and a fake model with a known bias on a probe. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildProbeSet, counterfactualTokenFairness, evaluateProbe, type TextClassifier } from '../../../src/fairness/index.js';
import { ConfigError, ShapeMismatchError } from '../../../src/errors.js';

const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) < 1e-12, `${what}: ${a} vs ${b}`);

test('mean |Δp| of the original prediction and the flip rate, hand-worked', () => {
  const r = counterfactualTokenFairness({
    classes: 2,
    original: [0.8, 0.2, 0.3, 0.7, 0.5, 0.5],
    counterfactuals: [[0.6, 0.4], [0.6, 0.4], [0.5, 0.5, 0.4, 0.6]],
    groups: ['a', 'b', 'a'],
    bootstrap: false,
  });
  // example 0: y=0, |0.8−0.6| = 0.2, no flip; example 1: y=1, |0.7−0.4| = 0.3, flip;
  // example 2: tie → y=0 (first), changes 0 and 0.1 → 0.05, flips 0 and 1 → 0.5.
  assert.deepEqual(Array.from(r.perExample.predicted), [0, 1, 0]);
  close(r.perExample.absoluteChange[2], 0.05, 'change 2');
  close(r.meanAbsoluteChange, (0.2 + 0.3 + 0.05) / 3, 'mean change');
  close(r.flipRate, 0.5, 'flip rate');
  close(r.maxAbsoluteChange, 0.3, 'max');
  assert.equal(r.counterfactuals, 4);
  close(r.byGroup!.a.meanAbsoluteChange, 0.125, 'group a');
  close(r.byGroup!.a.flipRate, 0.25, 'group a flips');
  close(r.byGroup!.b.flipRate, 1, 'group b flips');
  assert.throws(() => counterfactualTokenFairness({ classes: 2, original: [1, 0], counterfactuals: [[1]] }), ShapeMismatchError);
  assert.throws(() => counterfactualTokenFairness({ classes: 2, original: [], counterfactuals: [] }), ConfigError);
});

test('bootstrap intervals over examples are seeded and bracket the estimate', () => {
  const input = { classes: 2, original: [0.8, 0.2, 0.3, 0.7, 0.5, 0.5, 0.9, 0.1], counterfactuals: [[0.6, 0.4], [0.6, 0.4], [0.4, 0.6], [0.9, 0.1]] };
  const a = counterfactualTokenFairness({ ...input, bootstrap: { resamples: 500, seed: 1 } });
  const b = counterfactualTokenFairness({ ...input, bootstrap: { resamples: 500, seed: 1 } });
  assert.deepEqual(a.ci, b.ci);
  assert.ok(a.ci!.flipRate.low <= a.flipRate && a.flipRate <= a.ci!.flipRate.high);
  assert.ok(a.ci!.meanAbsoluteChange.low >= 0 && a.ci!.meanAbsoluteChange.high <= 0.3 + 1e-12);
});

test('a fake model that calls whenever it sees "mary" has the predicted gaps and flips', () => {
  const probe = buildProbeSet('intent-synthetic', 'gender-names');
  const labels = probe.labels;
  const C = labels.length;
  const labelOf = new Map(probe.examples.map((e) => [e.text, e.label]));
  const fake: TextClassifier = {
    labels,
    probabilities: (texts) => {
      const out = new Float32Array(texts.length * C).fill(0.1 / (C - 1));
      texts.forEach((t, i) => {
        const label = /\bmary\b/.test(t) ? 'call_contact' : labelOf.get(t)!;
        out[i * C + labels.indexOf(label)] = 0.9;
      });
      return out;
    },
  };
  const r = evaluateProbe(probe, fake, { bootstrap: false });
  const frames = probe.examples.length / 32; // 16 names per group
  const callFrames = probe.examples.filter((e) => e.value.index === 0 && e.group === 'female' && e.label === 'call_contact').length;
  const changed = 2 * (frames - callFrames); // mary examples and their james twins
  const N = probe.examples.length;
  close(r.counterfactual.flipRate, changed / N, 'flip rate');
  close(r.counterfactual.meanAbsoluteChange, (changed * (Math.fround(0.9) - Math.fround(0.1 / (C - 1)))) / N, "mean change");
  assert.equal(r.groupMetrics.byGroup.male.accuracy, 1);
  close(r.groupMetrics.byGroup.female.accuracy!, 1 - (frames - callFrames) / (N / 2), 'female accuracy');
  close(r.groupMetrics.differences.demographicParity!, (frames - callFrames) / (N / 2), 'demographic parity gap');
  assert.equal(r.groupMetrics.positive, 'call_contact');
  assert.throws(() => evaluateProbe(buildProbeSet('intent-clinc150'), fake), /does not have: .*make_call/);
});
