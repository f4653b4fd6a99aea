/**
 * JSON Schemas of the federated-evaluation routes (protocol v1): the report, the evaluation
 * task, and the stages of a secure evaluation's SecAgg+ session. Validated strictly by Fastify
 * (unknown fields refused) and documented in /openapi.json, like every route (route-schemas.ts).
 */
import { MAX_EXAMPLES } from './enrolment.js';
import { PERSONALISATION_BOUNDS } from './evaluation-protocol.js';
import { ROUTE_SCHEMAS, SECURE_REPLY_BODIES, bearer, errors, json, roundParams, strict } from './route-schemas.js';

const count = { type: 'integer', minimum: 0, maximum: MAX_EXAMPLES };

export const EVALUATION_ROUTE_SCHEMAS = {
  report: {
    summary: 'A sampled client\'s federated-evaluation report: sums on its held-out data for the round\'s model, never examples.',
    description:
      'Only for a client the check-in told to "evaluate" this round, in an evaluation that is not aggregated securely. Counts are integers; correct ≤ examples; inScope and inScopeCorrect (datasets with an out-of-scope class) go together, inScopeCorrect ≤ inScope ≤ examples; ' +
      'lossSum ≤ examples × the server\'s loss cap; examples ≤ the server\'s report limit and ≤ the held-out examples the server knows the client holds. ' +
      'A personalised evaluation needs personalised (the fine-tuned model\'s sums on the same examples; trainExamples ≤ the client\'s enrolled count); any other evaluation refuses it. ' +
      'One report per client and evaluation: an identical retry answers duplicate, a different one 409.',
    security: bearer,
    params: roundParams,
    body: strict(
      {
        modelVersion: { type: 'integer', minimum: 0, description: 'the model version the check-in named' },
        examples: count,
        correct: count,
        lossSum: { type: 'number', minimum: 0, description: 'summed cross-entropy over the examples' },
        inScope: count,
        inScopeCorrect: count,
        personalised: strict(
          {
            trainExamples: { ...count, description: 'examples the client fine-tuned on (its train share)' },
            correct: { ...count, description: 'the fine-tuned model\'s correct predictions on the same held-out examples' },
            lossSum: { type: 'number', minimum: 0 },
            inScopeCorrect: count,
          },
          ['trainExamples', 'correct', 'lossSum'],
        ),
      },
      ['modelVersion', 'examples', 'correct', 'lossSum'],
    ),
    response: {
      200: json(
        { type: 'object', required: ['accepted', 'round', 'duplicate'], properties: { accepted: { type: 'boolean', enum: [true] }, round: { type: 'integer' }, duplicate: { type: 'boolean' } } },
        'accepted (or an identical retry)',
      ),
      ...errors({
        400: 'malformed report, unknown field, inconsistent sums, more examples than the client holds, or personalised sums missing (or not asked for)',
        401: 'no or wrong token',
        403: 'not sampled for this evaluation',
        409: 'no such evaluation open, stale model version, a secure evaluation, or a different report already accepted',
        429: 'rate limited',
      }),
    },
  },
  task: {
    summary: 'What a sampled client computes for the evaluation of round r\'s model, and how it sends it (plain report or secure session).',
    security: bearer,
    params: roundParams,
    response: {
      200: json(
        {
          type: 'object',
          required: ['round', 'modelVersion', 'deadline', 'parametersPath', 'limits', 'metrics'],
          properties: {
            round: { type: 'integer' },
            modelVersion: { type: 'integer' },
            deadline: { type: 'integer', description: 'ms since the epoch' },
            parametersPath: { type: 'string' },
            limits: {
              type: 'object',
              required: ['maxExamples', 'maxLoss'],
              properties: { maxExamples: { type: 'integer', description: 'most examples a report may count; the scale of y and n in a secure input' }, maxLoss: { type: 'number', description: 'largest mean loss per example' } },
            },
            metrics: { type: 'array', items: { type: 'string' }, description: 'the ratio metrics, in the order their five moments fill a secure input' },
            personalisation: {
              type: 'object',
              required: ['localEpochs', 'learningRate', 'optimizer', 'batchSize', 'maxSteps', 'seed'],
              description: `Personalised evaluation: fine-tune the evaluated model on the train share with these settings (epochs ≤ ${PERSONALISATION_BOUNDS.maxEpochs}, learning rate ≤ ${PERSONALISATION_BOUNDS.maxLearningRate}, steps ≤ ${PERSONALISATION_BOUNDS.maxSteps}) and report the sums after as well.`,
              properties: {
                localEpochs: { type: 'integer' },
                learningRate: { type: 'number' },
                optimizer: { type: 'string', enum: ['sgd', 'adam'] },
                batchSize: { type: 'integer' },
                maxSteps: { type: 'integer' },
                seed: { type: 'integer' },
              },
            },
            secureAggregation: {
              type: 'object',
              required: ['range', 'encoding'],
              description: 'Present when the evaluation is aggregated securely: run the SecAgg+ stages at /v1/rounds/{round}/evaluation/secagg with per metric [y/sy, n/sn, (y/sy)², (y/sy)(n/sn), (n/sn)²] as the input; post no report.',
              properties: {
                range: { type: 'number' },
                encoding: { type: 'object', required: ['range', 'fractionalBits', 'maxSummands'], properties: { range: { type: 'number' }, fractionalBits: { type: 'integer' }, maxSummands: { type: 'integer' } } },
              },
            },
          },
        },
        'the evaluation task',
      ),
      ...errors({ 400: 'round not written as a positive integer', 401: 'no or wrong token', 403: 'not sampled for this evaluation', 409: 'no such evaluation open, or the federation runs none', 429: 'rate limited' }),
    },
  },
  secureRequest: {
    // the training rounds' secure request, with this route's summary and refusals
    ...ROUTE_SCHEMAS.secureRequest,
    summary: "This client's request in the current stage of a secure evaluation's SecAgg+ session (long-polled with waitMs).",
    response: {
      200: ROUTE_SCHEMAS.secureRequest.response[200],
      ...errors({ 400: 'bad round or waitMs', 401: 'no or wrong token', 403: 'not sampled for this evaluation', 409: 'no such evaluation open, or it is not secure', 429: 'rate limited' }),
    },
  },
  secureReply: (stage: keyof typeof SECURE_REPLY_BODIES) => ({
    summary: `This client's reply for the ${stage} stage of a secure evaluation (secagg wire JSON); an identical retry answers duplicate.`,
    security: bearer,
    params: roundParams,
    body: SECURE_REPLY_BODIES[stage],
    response: {
      200: json(
        { type: 'object', required: ['accepted', 'stage'], properties: { accepted: { type: 'boolean', enum: [true] }, stage: { type: 'string' }, duplicate: { type: 'boolean' } } },
        'accepted',
      ),
      ...errors({ 400: 'malformed reply or unknown field', 401: 'no or wrong token', 403: 'not sampled for this evaluation', 409: 'no such evaluation open, not secure, another stage, or a different reply to the same stage', 413: 'body too large', 429: 'rate limited' }),
    },
  }),
} as const;
