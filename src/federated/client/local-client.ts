/**
 * An in-process Client over a shared model and example set: fit = load the global
 * parameters, train locally on this client's indices, return the delta. Many clients can
 * share one model (they run one at a time); none keeps a model of its own.
 */
import { ConfigError } from '../../errors.js';
import type { ParameterSet } from '../aggregate/index.js';
import type { ClientConfig } from '../strategy.js';
import type { Client, EvaluateResponse, FitResponse } from './client.js';
import { assertIndicesIn, type FederatedExamples } from './examples.js';
import { evaluateExamples, evaluationMetrics } from './local-evaluation.js';
import { localTrainingConfigFrom, trainLocally, type LocalModel } from './local-training.js';
import { modelLayout, viewParameters, writeModelParameters } from './model-parameters.js';

export class LocalTrainingClient implements Client {
  private readonly indices: Int32Array;

  constructor(
    readonly id: string,
    private readonly model: LocalModel,
    private readonly examples: FederatedExamples,
    indices: ArrayLike<number>,
    private readonly options: { outOfScopeIndex?: number } = {},
  ) {
    if (indices.length === 0) throw new ConfigError(`client "${id}" has no examples`);
    assertIndicesIn(examples, indices, `client "${id}"`);
    this.indices = Int32Array.from(indices);
  }

  get numExamples(): number {
    return this.indices.length;
  }

  async fit(parameters: ParameterSet, config: ClientConfig): Promise<FitResponse> {
    const result = trainLocally(this.model, this.examples, this.indices, parameters, localTrainingConfigFrom(config));
    return { delta: viewParameters(result.delta, modelLayout(this.model)), numExamples: result.numExamples, metrics: result.metrics };
  }

  async evaluate(parameters: ParameterSet, _config: ClientConfig): Promise<EvaluateResponse> {
    writeModelParameters(this.model, parameters);
    const m = evaluationMetrics(evaluateExamples(this.model, this.examples, this.indices, this.options));
    return { loss: m.loss, numExamples: this.indices.length, metrics: { accuracy: m.accuracy } };
  }
}
