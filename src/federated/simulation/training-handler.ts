/**
 * The simulator's job handler: what every pool worker (or the in-process executor) runs.
 * `init` receives the federated dataset once, builds the model once; each job then loads
 * the global parameters it carries and trains (or evaluates) on the indices it names.
 * Jobs and results are plain data: parameters travel as one flat Float32Array in the
 * model's parameter order (shared memory when broadcast from the simulator), or, on the
 * queue, as the checkpoint format (model-transport.ts); deltas come back as a flat array the
 * worker owns (transferred, not copied).
 */
import { LAYERS_MODEL_KIND, TappedLayersModel, createModel, restoreLayersModel, wrapLayersModel } from '../../models/index.js';
import { tokenizerFromJSON } from '../../text/index.js';
import { ConfigError } from '../../errors.js';
import { flattenParameters, type ParameterLayout } from '../aggregate/index.js';
import {
  evaluateExamples,
  modelLayout,
  readModelParameters,
  trainLocally,
  viewParameters,
  writeModelParameters,
  type EvaluationSums,
  type FederatedExamples,
  type LocalModel,
  type LocalOptimizerState,
  type LocalTrainingConfig,
} from '../client/index.js';
import type { ModelSpec } from './federated-dataset.js';
import { trainOnDeviceLabels, type DeviceLabelConfig } from '../labels/device-labels.js';
import { globalParameters, type GlobalModel } from './model-transport.js';

export interface TrainingHandlerConfig {
  model: ModelSpec;
  train: FederatedExamples;
  evaluation: FederatedExamples;
  outOfScopeIndex?: number;
  /** Devices hold no gold labels: fit jobs train on feedback or pseudo-labels (see labels/). */
  deviceLabels?: DeviceLabelConfig;
}

export type SimulationJob =
  | { type: 'initial' }
  | {
      type: 'fit';
      clientId: string;
      indices: Int32Array;
      parameters: GlobalModel;
      config: LocalTrainingConfig;
      optimizerState?: LocalOptimizerState;
      keepOptimizerState?: boolean;
      /** Train on the true labels even when devices hold none (the server's labelled set). */
      goldLabels?: boolean;
    }
  | { type: 'evaluate'; split: 'train' | 'evaluation'; indices: Int32Array; parameters: GlobalModel };

export interface InitialParametersResult {
  layout: ParameterLayout;
  /** Each parameter's shape (layout order): what a checkpoint of the model records. */
  shapes: number[][];
  parameters: Float32Array;
}

export interface FitJobResult {
  delta: Float32Array;
  numExamples: number;
  /** Examples the local trainer put through a gradient step (LocalTrainingResult.examplesProcessed). */
  examplesProcessed: number;
  metrics: { loss: number; steps: number; seconds: number };
  optimizerState?: LocalOptimizerState;
}

/**
 * The model a worker trains: a built-in kind from its spec and seed, or the user's
 * tf.LayersModel rebuilt from its snapshot, wrapped with the tokenizer for text examples or
 * with its loss for tensor examples.
 */
async function buildModel(config: TrainingHandlerConfig): Promise<LocalModel> {
  const spec = config.model;
  if (spec.kind !== LAYERS_MODEL_KIND) {
    if (!spec.tokenizer) throw new ConfigError(`simulation worker: model "${spec.kind}" needs a tokenizer`);
    return createModel({ kind: spec.kind, tokenizer: tokenizerFromJSON(spec.tokenizer), labels: spec.labels, seed: spec.seed, config: spec.config as never });
  }
  if (!spec.layers) throw new ConfigError('simulation worker: a "layers" model needs its snapshot (topology and weights)');
  const layersModel = await restoreLayersModel(spec.layers, 'in a simulation worker');
  // The generic-loop warnings were given once in the main thread.
  const warn = () => undefined;
  if (config.train.task === 'tensors') return new TappedLayersModel(layersModel, { loss: spec.layers.loss, warn });
  if (!spec.tokenizer) throw new ConfigError('simulation worker: text examples need the model\'s tokenizer');
  const maxLength = typeof spec.config.maxLength === 'number' ? spec.config.maxLength : undefined;
  return wrapLayersModel(layersModel, { tokenizer: tokenizerFromJSON(spec.tokenizer), task: config.train.task, labels: spec.labels, maxLength, warn });
}

/** One worker's model and data; the in-process executor makes one directly. */
export class TrainingWorker {
  readonly layout: ParameterLayout;

  private constructor(
    private readonly config: TrainingHandlerConfig,
    readonly model: LocalModel,
  ) {
    this.layout = modelLayout(this.model);
  }

  static async create(config: TrainingHandlerConfig): Promise<TrainingWorker> {
    return new TrainingWorker(config, await buildModel(config));
  }

  handle(job: SimulationJob): InitialParametersResult | FitJobResult | EvaluationSums {
    if (job.type === 'initial') {
      const shapes = this.model.parameters().map((p) => [...p.variable.shape]);
      return { layout: this.layout, shapes, parameters: flattenParameters(readModelParameters(this.model)) };
    }
    if (job.type === 'fit') {
      const global = viewParameters(globalParameters(job.parameters, this.layout, `the model of client ${job.clientId}'s job`), this.layout);
      const options = { optimizerState: job.optimizerState, keepOptimizerState: job.keepOptimizerState };
      if (this.config.deviceLabels && !job.goldLabels) {
        if (this.model instanceof TappedLayersModel) throw new ConfigError('device labels (feedback, semi) need a text classifier; a clientFn run trains on the labels its data carries');
        return trainOnDeviceLabels(this.model, this.config.train, job.indices, global, job.config, this.config.deviceLabels, options);
      }
      return trainLocally(this.model, this.config.train, job.indices, global, job.config, options);
    }
    if (job.type === 'evaluate') {
      writeModelParameters(this.model, viewParameters(globalParameters(job.parameters, this.layout, 'the model of an evaluation job'), this.layout));
      const examples = job.split === 'train' ? this.config.train : this.config.evaluation;
      return evaluateExamples(this.model, examples, job.indices, { outOfScopeIndex: this.config.outOfScopeIndex });
    }
    throw new ConfigError(`simulation worker: unknown job type ${JSON.stringify((job as { type?: unknown }).type)}`);
  }

  dispose(): void {
    if (this.model instanceof TappedLayersModel) this.model.model.dispose();
    else this.model.dispose();
  }
}

let worker: TrainingWorker | undefined;

export async function init(config: TrainingHandlerConfig): Promise<void> {
  worker = await TrainingWorker.create(config);
}

export function handle(job: SimulationJob): InitialParametersResult | FitJobResult | EvaluationSums {
  if (!worker) throw new ConfigError('simulation worker: handle() called before init()');
  return worker.handle(job);
}
