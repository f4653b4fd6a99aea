/**
 * The client's side of a federated evaluation (answerEvaluation): it computes what the task
 * asks, refuses a task outside the fine-tuning bounds or a count over the report limit without
 * sending anything, posts a plain report in the protocol's shape, and builds the secure input
 * (five scaled moments per metric) that the server's momentsFromSum undoes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { answerEvaluation, evaluationReportBody, evaluationSecureInput, type LocalEvaluator } from '../../../src/federated/client/remote-evaluation.js';
import { RemoteServerError, type RemoteSession } from '../../../src/federated/client/remote-session.js';
import { webSecAggCrypto } from '../../../src/federated/secagg/index.js';
import { momentsFromSum, PLAIN_METRICS, DEFAULT_REPORT_LIMITS } from '../../../src/federated/evaluation/index.js';
import type { EvaluationReportRequest, EvaluationTaskResponse } from '../../../src/federated/server/evaluation-protocol.js';

const baseTask: EvaluationTaskResponse = { round: 2, modelVersion: 2, deadline: 0, parametersPath: '/v1/models/2', limits: { maxExamples: 10, maxLoss: 20 }, metrics: ['accuracy', 'accuracyAll', 'loss'] };

/** A session stub that records what the client sent. */
function stubSession(task: EvaluationTaskResponse) {
  const sent: EvaluationReportRequest[] = [];
  let modelFetches = 0;
  const session = {
    clientId: 'c',
    evaluationTask: async () => task,
    modelParameters: async () => {
      modelFetches++;
      return new Float32Array(3);
    },
    evaluationReport: async (_round: number, body: EvaluationReportRequest) => {
      sent.push(body);
      return { accepted: true as const, round: 2, duplicate: false };
    },
  } as unknown as RemoteSession;
  return { session, sent, fetches: () => modelFetches };
}

const evaluator: LocalEvaluator = {
  evaluate: async () => ({ examples: 4, units: 4, correct: 3, lossSum: 2, inScope: 3, inScopeCorrect: 2 }),
  personalise: async () => ({ after: { examples: 4, units: 4, correct: 4, lossSum: 1, inScope: 3, inScopeCorrect: 3 }, trainExamples: 6 }),
};
const options = { crypto: webSecAggCrypto(), longPollMs: 0 };

test('answerEvaluation posts the plain report, personalised sums included, in the protocol\'s shape', async () => {
  const personalisation = { localEpochs: 1, learningRate: 0.01, optimizer: 'adam' as const, batchSize: 8, maxSteps: 3, seed: 7 };
  const { session, sent } = stubSession({ ...baseTask, personalisation });
  const outcome = await answerEvaluation(session, 2, evaluator, options);
  assert.deepEqual(outcome, { reported: true, duplicate: false, secure: false, personalised: true, examples: 4 });
  assert.deepEqual(sent, [{ modelVersion: 2, examples: 4, correct: 3, lossSum: 2, inScope: 3, inScopeCorrect: 2, personalised: { trainExamples: 6, correct: 4, lossSum: 1, inScopeCorrect: 3 } }]);
  assert.deepEqual(evaluationReportBody(1, { examples: 2, units: 2, correct: 1, lossSum: 0.5 }), { modelVersion: 1, examples: 2, correct: 1, lossSum: 0.5 });
});

test('answerEvaluation refuses what it will not or cannot do, and sends nothing', async () => {
  const cases: [EvaluationTaskResponse, LocalEvaluator, RegExp][] = [
    [{ ...baseTask, personalisation: { localEpochs: 1000, learningRate: 0.01, optimizer: 'adam', batchSize: 8, maxSteps: 3, seed: 1 } }, evaluator, /epochs must be an integer in \[1, 20\], got 1000/],
    [{ ...baseTask, personalisation: { localEpochs: 1, learningRate: 50, optimizer: 'adam', batchSize: 8, maxSteps: 3, seed: 1 } }, evaluator, /learning rate must be in \(0, 1\]/],
    [{ ...baseTask, personalisation: { localEpochs: 1, learningRate: 0.01, optimizer: 'adam', batchSize: 8, maxSteps: 3, seed: 1 } }, { evaluate: evaluator.evaluate }, /cannot fine-tune/],
    [{ ...baseTask, limits: { maxExamples: 3, maxLoss: 20 } }, evaluator, /4 held-out examples, over the server's report limit 3/],
  ];
  for (const [task, ev, message] of cases) {
    const { session, sent, fetches } = stubSession(task);
    const outcome = await answerEvaluation(session, 2, ev, options);
    assert.equal(outcome.reported, false);
    assert.match(outcome.skipped ?? '', message);
    assert.deepEqual(sent, []);
    if (task.personalisation) assert.equal(fetches(), 0, 'a refused task does not even fetch the model');
  }
});

test('evaluationSecureInput: five scaled moments per metric (hand-worked), which momentsFromSum turns back into the sums', () => {
  const report = { clientId: 'c', sums: { examples: 4, units: 4, correct: 3, lossSum: 2 } };
  const x = evaluationSecureInput({ ...baseTask, metrics: ['accuracy', 'loss'] }, report);
  // accuracy: y = 3/10, n = 4/10; loss: y = 2/(10·20), n = 4/10
  const expected = [0.3, 0.4, 0.09, 0.12, 0.16, 0.01, 0.4, 0.0001, 0.004, 0.16];
  assert.equal(x.length, expected.length);
  expected.forEach((v, i) => assert.ok(Math.abs(x[i] - v) < 1e-15, `value ${i}: ${x[i]} vs ${v}`));
  const all = evaluationSecureInput(baseTask, report);
  const m = momentsFromSum(all, 1, PLAIN_METRICS, { ...DEFAULT_REPORT_LIMITS, ...baseTask.limits });
  assert.deepEqual([m.get('accuracy')!.sumY, m.get('accuracy')!.sumN, m.get('accuracy')!.sumYN].map((v) => Math.round(v * 1e9) / 1e9), [3, 4, 12]);
  assert.throws(() => evaluationSecureInput({ ...baseTask, metrics: ['accuracy', 'f1'] }, report), (e: unknown) => e instanceof RemoteServerError && /metric "f1"/.test(e.message));
});
