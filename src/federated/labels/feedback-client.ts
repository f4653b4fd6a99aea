/**
 * Clients of the networked service that hold no gold labels (`fl client --labels feedback`):
 * they implement the same Client interface as the gold-label client, so the server receives
 * nothing but the model update, exactly as for gold labels. Targets never leave the device.
 *
 * - SimulatedFeedbackClient: each round, the device predicts its utterances with the global
 *   model it just received, and a simulated user (user-feedback.ts, consistent per utterance)
 *   confirms or rejects the predictions; training uses NCE+RCE on the positives and −log(1 − p)
 *   on the complementary labels (device-labels.ts). The simulated user knows the truth; the
 *   device and the server never see it.
 * - RecordedFeedbackClient: feedback a user really gave, read from a file: the utterance, the
 *   intent the deployed model predicted, and positive / negative / none. Positive makes the
 *   prediction a pseudo-label, negative a complementary label ("not this intent"), none is
 *   not trained on. Same loss.
 * Only the training loss, steps and seconds are reported with the update: the label counts
 * the simulator logs (label* metrics, including how many targets are wrong) stay on the device.
 */
import { ConfigError, DatasetFormatError, NoDeviceLabelsError } from '../../errors.js';
import type { AnyModel } from '../../models/index.js';
import { encodeComplementary, encodeTexts, feedbackGradients, FEEDBACK_LOSS_DEFAULTS, type FeedbackLossOptions } from '../../train/index.js';
import type { Tokenizer } from '../../text/index.js';
import type { ParameterSet } from '../aggregate/index.js';
import type { Client, EvaluateResponse, FitResponse } from '../client/client.js';
import { evaluateExamples, evaluationMetrics, localTrainingConfigFrom, modelLayout, trainLocally, viewParameters, writeModelParameters, type FederatedExamples } from '../client/index.js';
import type { ClientConfig } from '../strategy.js';
import { trainOnDeviceLabels, type DeviceLabelConfig } from './device-labels.js';
import { checkFeedbackNoiseModel } from './user-feedback.js';

/** The update and the metrics a device may send: loss, steps, seconds (no label counts). */
function fitResponse(model: AnyModel, result: { delta: Float32Array; numExamples: number; metrics: { loss: number; steps: number; seconds: number } }): FitResponse {
  const { loss, steps, seconds } = result.metrics;
  return { delta: viewParameters(result.delta, modelLayout(model)), numExamples: result.numExamples, metrics: { loss, steps, seconds } };
}

export class SimulatedFeedbackClient implements Client {
  private readonly labels: Extract<DeviceLabelConfig, { kind: 'feedback' }>;

  constructor(
    readonly id: string,
    private readonly model: AnyModel,
    private readonly examples: FederatedExamples,
    private readonly indices: ArrayLike<number>,
    feedback: { rate: number; noise: number; seed: number; loss?: FeedbackLossOptions },
  ) {
    checkFeedbackNoiseModel(feedback);
    if (indices.length === 0) throw new ConfigError(`client "${id}" has no examples`);
    this.labels = { kind: 'feedback', rate: feedback.rate, noise: feedback.noise, seed: feedback.seed, loss: feedback.loss ?? FEEDBACK_LOSS_DEFAULTS };
  }

  async fit(parameters: ParameterSet, config: ClientConfig): Promise<FitResponse> {
    return fitResponse(this.model, trainOnDeviceLabels(this.model, this.examples, this.indices, parameters, localTrainingConfigFrom(config), this.labels));
  }

  async evaluate(parameters: ParameterSet): Promise<EvaluateResponse> {
    writeModelParameters(this.model, parameters);
    const m = evaluationMetrics(evaluateExamples(this.model, this.examples, this.indices));
    return { loss: m.loss, numExamples: this.indices.length, metrics: { accuracy: m.accuracy } };
  }
}

export type FeedbackSignal = 'positive' | 'negative' | 'none';
export const FEEDBACK_SIGNALS: readonly FeedbackSignal[] = ['positive', 'negative', 'none'];

export interface RecordedFeedback {
  text: string;
  /** The intent the deployed model predicted (one of the model's labels). */
  predicted: string;
  feedback: FeedbackSignal;
  /** Where the row came from, for error messages (e.g. "file.csv:12"). */
  where?: string;
}

/** The training targets of recorded feedback: the prediction (positive) or "not the prediction" (negative). */
export function recordedFeedbackTargets(rows: readonly RecordedFeedback[], labels: readonly string[]): { rows: number[]; targets: number[] } {
  const index = new Map(labels.map((l, i) => [l, i]));
  const out = { rows: [] as number[], targets: [] as number[] };
  rows.forEach((row, i) => {
    if (!FEEDBACK_SIGNALS.includes(row.feedback)) {
      throw new DatasetFormatError(`${row.where ?? `row ${i + 1}`}: feedback "${String(row.feedback)}" is not one of ${FEEDBACK_SIGNALS.join(', ')}`);
    }
    if (row.feedback === 'none') return;
    const predicted = index.get(row.predicted);
    if (predicted === undefined) {
      throw new DatasetFormatError(`${row.where ?? `row ${i + 1}`}: predicted intent "${row.predicted.slice(0, 60)}" is not one of the model's ${labels.length} labels (e.g. ${labels.slice(0, 3).join(', ')})`);
    }
    out.rows.push(i);
    out.targets.push(row.feedback === 'positive' ? predicted : encodeComplementary(predicted));
  });
  return out;
}

export class RecordedFeedbackClient implements Client {
  private readonly examples: FederatedExamples;
  private readonly step;

  constructor(
    readonly id: string,
    private readonly model: AnyModel,
    rows: readonly RecordedFeedback[],
    tokenizer: Tokenizer,
    maxLength: number,
    loss: FeedbackLossOptions = FEEDBACK_LOSS_DEFAULTS,
  ) {
    if (model.task !== 'classifier') throw new ConfigError('feedback labels need a classifier');
    const { rows: kept, targets } = recordedFeedbackTargets(rows, model.labels ?? []);
    if (kept.length === 0) throw new NoDeviceLabelsError(`client "${id}": none of its ${rows.length} utterances has positive or negative feedback; there is nothing to train on`);
    const set = encodeTexts(kept.map((r) => rows[r].text), tokenizer, maxLength);
    this.examples = { task: 'classifier', sequences: set.sequences, targets: Int32Array.from(targets) };
    this.step = feedbackGradients(loss);
  }

  get numExamples(): number {
    return this.examples.task === 'classifier' ? this.examples.sequences.length : 0;
  }

  async fit(parameters: ParameterSet, config: ClientConfig): Promise<FitResponse> {
    const indices = Array.from({ length: this.numExamples }, (_, i) => i);
    return fitResponse(this.model, trainLocally(this.model, this.examples, indices, parameters, localTrainingConfigFrom(config), { gradientStep: this.step }));
  }

  async evaluate(): Promise<EvaluateResponse> {
    throw new ConfigError(`client "${this.id}" holds feedback, not gold labels: it cannot evaluate accuracy`);
  }
}
