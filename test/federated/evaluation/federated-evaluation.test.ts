/** Federated evaluation in the simulator, on a small classifier trained on the synthetic set. */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runTraining } from '../../../src/train/index.js';
import { ConfigError } from '../../../src/errors.js';
import type { ParameterLayout } from '../../../src/federated/aggregate/index.js';
import {
  DEFAULT_REPORT_LIMITS,
  PLAIN_METRICS,
  clientPairs,
  prepareEvaluationFederation,
  ratioEstimate,
  runFederatedEvaluation,
  secureEvaluationSum,
  ratioEstimateFromMoments,
  type ClientEvaluationReport,
  type EvaluationFederation,
} from '../../../src/federated/evaluation/index.js';

let modelDir = '';
let federation: EvaluationFederation;

before(async () => {
  modelDir = join(mkdtempSync(join(tmpdir(), 'feval-')), 'model');
  // one short epoch: an accuracy well inside (0, 1), so the clients disagree
  await runTraining({ dataset: 'synthetic', model: 'embbag', epochs: 1, maxStepsPerEpoch: 6, seed: 3, out: modelDir });
  federation = prepareEvaluationFederation({ modelDir, dataset: 'synthetic', partition: 'dirichlet:0.5', numClients: 30, seed: 1 });
});

const close = (a: number, b: number, tol: number, what: string) => assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);

test('every client sampled: the federated estimate is the central accuracy exactly, with no sampling error', async () => {
  const r = await runFederatedEvaluation({ data: federation.data, parameters: federation.parametersFor, evaluationClients: 30, seed: 0, workers: 0 });
  assert.equal(r.clients, 30);
  assert.equal(r.reported, 30);
  assert.ok(r.central, 'central truth computed');
  close(r.metrics.accuracy.estimate, r.central!.accuracy, 1e-12, 'accuracy');
  close(r.metrics.loss.estimate, r.central!.loss, 1e-9, 'loss');
  assert.equal(r.metrics.accuracy.standardError, 0);
  assert.equal(r.metrics.accuracy.denominator, 360);
  assert.ok(r.central!.accuracy > 0.1 && r.central!.accuracy < 0.95, `the test model should be imperfect, got ${r.central!.accuracy}`);
});

test('a sample of 10 of 30 clients: interval around the estimate; secure aggregation gives the same estimate', async () => {
  const common = { data: federation.data, parameters: (layout: ParameterLayout) => federation.parametersFor(layout), evaluationClients: 10, seed: 5, workers: 0 } as const;
  const plain = await runFederatedEvaluation(common);
  const secure = await runFederatedEvaluation({ ...common, secureAggregation: true });
  assert.equal(plain.evaluationClients, 10);
  const a = plain.metrics.accuracy;
  assert.ok(a.low < a.estimate && a.estimate < a.high, JSON.stringify(a));
  assert.equal(a.samplingFraction, 10 / 30);
  assert.ok(secure.secureAggregation, 'secure aggregation reported');
  assert.equal(secure.secureAggregation!.clients, 10);
  assert.equal(secure.secureAggregation!.clippedValues, 0);
  // fixed point at 2^-25 on values scaled by 1000 examples: far below one example
  close(secure.metrics.accuracy.estimate, a.estimate, 1e-5, 'secure accuracy');
  close(secure.metrics.accuracy.standardError, a.standardError, 1e-4, 'secure standard error');
  close(secure.metrics.loss.estimate, plain.metrics.loss.estimate, 1e-4, 'secure loss');
  close(secure.metrics.accuracy.denominator, a.denominator, 1e-2, 'secure example count');
});

test('personalised evaluation: before/after on each test part, delta = after − before, seeded', async () => {
  const options = {
    data: federation.data,
    parameters: (layout: ParameterLayout) => federation.parametersFor(layout),
    evaluationClients: 8,
    seed: 2,
    workers: 0,
    personalised: { learningRate: 0.01, localEpochs: 3, trainFraction: 0.5 },
  } as const;
  const r = await runFederatedEvaluation(options);
  const p = r.personalised!;
  assert.ok(p, 'personalised block');
  close(p.delta.estimate, p.after.estimate - p.before.estimate, 1e-12, 'delta');
  assert.equal(p.before.denominator, p.after.denominator);
  assert.ok(p.before.denominator < r.metrics.accuracy.denominator, 'the test parts are a subset of the clients\' examples');
  assert.ok(p.improvedClients.estimate >= 0 && p.improvedClients.estimate <= 1);
  // fine-tuning three epochs on a skewed client's own labels should help on average
  assert.ok(p.delta.estimate > 0, `personalisation gain ${p.delta.estimate}`);
  const again = await runFederatedEvaluation(options);
  assert.equal(again.personalised!.delta.estimate, p.delta.estimate);
  const secure = await runFederatedEvaluation({ ...options, secureAggregation: true });
  close(secure.personalised!.delta.estimate, p.delta.estimate, 1e-5, 'secure delta');
});

test('secureEvaluationSum on hand-made reports equals the plain estimate', async () => {
  const reports: ClientEvaluationReport[] = [
    { clientId: 'a', sums: { examples: 10, units: 10, lossSum: 6.5, correct: 8 } },
    { clientId: 'b', sums: { examples: 5, units: 5, lossSum: 4.25, correct: 3 } },
    { clientId: 'c', sums: { examples: 15, units: 15, lossSum: 9, correct: 9 } },
  ];
  const sum = await secureEvaluationSum(reports, PLAIN_METRICS, DEFAULT_REPORT_LIMITS);
  assert.equal(sum.clients, 3);
  const accuracy = ratioEstimateFromMoments(sum.moments.get('accuracy')!);
  const pairs = clientPairs(reports, PLAIN_METRICS, DEFAULT_REPORT_LIMITS).get('accuracy')!;
  const plain = ratioEstimate(pairs.numerators, pairs.denominators);
  close(accuracy.estimate, 2 / 3, 1e-6, 'secure estimate');
  close(accuracy.standardError, plain.standardError, 1e-5, 'secure standard error');
  close(ratioEstimateFromMoments(sum.moments.get('loss')!).estimate, 19.75 / 30, 1e-5, 'secure loss');
  // a client over the report limit is refused before anything is sent
  await assert.rejects(secureEvaluationSum([...reports, { clientId: 'big', sums: { examples: 2000, units: 2000, lossSum: 1, correct: 1 } }], PLAIN_METRICS, DEFAULT_REPORT_LIMITS), /exceed the report limit 1000/);
});

test('configuration errors name the fix', async () => {
  await assert.rejects(
    runFederatedEvaluation({ data: federation.data, parameters: federation.parametersFor, evaluationClients: 31, seed: 0, workers: 0 }),
    (e: unknown) => e instanceof ConfigError && /lower --evaluation-clients/.test((e as Error).message),
  );
  assert.throws(() => prepareEvaluationFederation({ modelDir, dataset: 'synthetic', partition: 'speaker', seed: 0 }), /needs a corpus|not supported|partition/);
});
