/**
 * Personalised evaluation on one device (Wang et al. 2019): fine-tune the evaluated model on
 * the client's own train share with the server's settings, then evaluate the fine-tuned model
 * on the same held-out examples as the global one. The model is left holding the fine-tuned
 * parameters (the next task writes the global ones back).
 */
import type { ParameterSet } from '../aggregate/index.js';
import type { PersonalisationTask } from '../server/evaluation-protocol.js';
import type { FederatedExamples } from './examples.js';
import { evaluateExamples, type EvaluationSums } from './local-evaluation.js';
import { trainLocally, type LocalModel } from './local-training.js';
import { writeModelParameters } from './model-parameters.js';

export function fineTuneAndEvaluate(
  model: LocalModel,
  global: ParameterSet,
  train: { examples: FederatedExamples; indices: ArrayLike<number> },
  heldOut: { examples: FederatedExamples; indices: ArrayLike<number> },
  settings: PersonalisationTask,
  options: { outOfScopeIndex?: number } = {},
): { after: EvaluationSums; trainExamples: number } {
  if (train.indices.length === 0) {
    // nothing to fine-tune on: the personalised model is the global one
    writeModelParameters(model, global);
  } else {
    trainLocally(model, train.examples, train.indices, global, {
      localEpochs: settings.localEpochs,
      batchSize: settings.batchSize,
      learningRate: settings.learningRate,
      optimizer: settings.optimizer,
      momentum: 0,
      maxSteps: settings.maxSteps,
      proximalMu: 0,
      seed: settings.seed,
    });
  }
  return { after: evaluateExamples(model, heldOut.examples, heldOut.indices, options), trainExamples: train.indices.length };
}
