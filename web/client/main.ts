/**
 * The browser federated client: the same RemoteSession + runRemoteClient + LocalTrainingClient
 * the Node client runs, bundled by esbuild (web/build.mjs) into dist/web/fl-client.js and
 * served at /client. The page asks the server what model the federation trains (kind,
 * tokenizer, labels, config), builds it with tfjs in the page, encodes the examples the user
 * holds (they never leave the page: only the model update is sent), and joins.
 *
 * window.trustnlu.join({ clientId, examples: [{ text, label }], evaluationExamples?, enrolmentCode?, token?, backend?, maxUpdates?, modelUrl? })
 * (modelUrl: when the federation trains its operator's model.json, where the page loads the same file;
 * evaluationExamples: held-out examples the page evaluates the federation's model on when the
 * server samples it for a federated evaluation: plain, secure or personalised, as the server's
 * evaluation task says; they never leave the page either, only sums or masked sums do);
 * enrols with the operator's single-use code (invite enrolment), or uses a provisioned token
 * (tokens enrolment), or registers freely (open enrolment);
 * returns the run summary; window.trustnlu.state is the latest status (for the page and tests).
 */
import { initEngine, type BackendName } from '../../src/engine/index.js';
import { tf } from '../../src/engine/index.js';
import { LAYERS_MODEL_KIND, createModel, layersModelDigest, layersModelSnapshot, wrapLayersModel } from '../../src/models/index.js';
import { tokenizerFromJSON, type Tokenizer, type TokenizerJSON } from '../../src/text/index.js';
import { encodeClassification } from '../../src/train/examples.js';
import { fromEncodedClassification } from '../../src/federated/client/examples.js';
import { LocalTrainingClient } from '../../src/federated/client/local-client.js';
import { modelLayout, viewParameters, writeModelParameters } from '../../src/federated/client/model-parameters.js';
import { evaluateExamples } from '../../src/federated/client/local-evaluation.js';
import { fineTuneAndEvaluate } from '../../src/federated/client/personalised-evaluation.js';
import type { LocalEvaluator } from '../../src/federated/client/remote-evaluation.js';
import type { FederatedExamples } from '../../src/federated/client/examples.js';
import type { LocalModel } from '../../src/federated/client/local-training.js';
import { RemoteSession } from '../../src/federated/client/remote-session.js';
import { runRemoteClient, type RemoteRunSummary } from '../../src/federated/client/remote-runner.js';

interface JoinOptions {
  clientId: string;
  examples: { text: string; label: string }[];
  /** Held-out examples for federated evaluation (never trained on); without them the page does not evaluate. */
  evaluationExamples?: { text: string; label: string }[];
  server?: string;
  /** The single-use code the operator issued (a federation that enrols by invitation). */
  enrolmentCode?: string;
  /** A token the operator provisioned (a federation that enrols by tokens). */
  token?: string;
  backend?: BackendName;
  maxUpdates?: number;
  /**
   * When the federation trains the operator's model.json: where this page loads the same file
   * (the server names it by its digest but does not serve it), e.g. the URL the application
   * already serves its model from.
   */
  modelUrl?: string;
}

interface BrowserState {
  phase: 'idle' | 'loading' | 'joined' | 'training' | 'submitted' | 'evaluated' | 'done' | 'error';
  clientId?: string;
  backend?: string;
  updates: number;
  rounds: number[];
  /** Federated evaluations this page reported (plain sums or its masked input). */
  evaluations: number;
  lastLoss?: number;
  message?: string;
}

const state: BrowserState = { phase: 'idle', updates: 0, rounds: [], evaluations: 0 };

interface ServedModel {
  kind: string;
  tokenizer: TokenizerJSON;
  labels?: string[];
  config: Record<string, unknown>;
  seed: number;
  /** The operator's model.json: SHA-256 of its topology and weights. */
  digest?: string;
}

/** The operator's model.json loaded from `url`, checked against the federation's digest, wrapped with its tokenizer. */
async function operatorModel(spec: ServedModel, tokenizer: Tokenizer, url: string | undefined) {
  if (!url) throw new Error('this federation trains its operator\'s model.json: give modelUrl, where this page loads the same file');
  const layersModel = await tf.loadLayersModel(url);
  if ((await layersModelDigest(layersModelSnapshot(layersModel))) !== spec.digest) {
    layersModel.dispose();
    throw new Error(`${url} is not the federation's model (its topology or weights differ from the server's model.json)`);
  }
  return wrapLayersModel(layersModel, { tokenizer, task: 'classifier', labels: spec.labels, maxLength: spec.config.maxLength as number });
}

/**
 * Federated evaluation in the page: the sums of the model the server names on the held-out
 * examples, and for a personalised evaluation the same after fine-tuning on the training
 * examples with the server's settings (remote-evaluation.ts sends them plain or masked).
 */
function heldOutEvaluator(
  model: LocalModel,
  outOfScopeLabel: string | undefined,
  spec: ServedModel,
  tokenizer: Tokenizer,
  held: { text: string; label: string }[] | undefined,
  train: { examples: FederatedExamples; indices: number[] },
): LocalEvaluator | undefined {
  if (!held || held.length === 0) return undefined;
  const heldOut = fromEncodedClassification(encodeClassification(held, tokenizer, spec.labels!, spec.config.maxLength as number));
  const indices = Array.from({ length: held.length }, (_, i) => i);
  const outOfScope = outOfScopeLabel !== undefined && spec.labels!.includes(outOfScopeLabel) ? { outOfScopeIndex: spec.labels!.indexOf(outOfScopeLabel) } : {};
  const layout = modelLayout(model);
  return {
    evaluate: async (parameters) => {
      writeModelParameters(model, viewParameters(parameters, layout));
      return evaluateExamples(model, heldOut, indices, outOfScope);
    },
    personalise: async (parameters, settings) => fineTuneAndEvaluate(model, viewParameters(parameters, layout), train, { examples: heldOut, indices }, settings, outOfScope),
  };
}

function show(patch: Partial<BrowserState>): void {
  Object.assign(state, patch);
  const el = document.getElementById('status');
  if (el) el.textContent = JSON.stringify(state, null, 2);
  const phase = document.getElementById('phase');
  if (phase) phase.textContent = state.phase;
}

async function join(options: JoinOptions): Promise<RemoteRunSummary> {
  try {
    show({ phase: 'loading', clientId: options.clientId, message: undefined });
    const backend = await initEngine({ backend: options.backend ?? 'cpu' });
    const session = new RemoteSession({ server: options.server ?? window.location.origin });
    const federation = (await session.federation()) as {
      model?: ServedModel;
      layout: { names: string[]; lengths: number[] };
      name: string;
      outOfScopeLabel?: string;
    };
    if (!federation.model?.labels) throw new Error(`the federation "${federation.name}" does not train an intent classifier this page can join`);
    const spec = federation.model;
    const tokenizer = tokenizerFromJSON(spec.tokenizer);
    const model = spec.kind === LAYERS_MODEL_KIND ? await operatorModel(spec, tokenizer, options.modelUrl) : createModel({ kind: spec.kind, tokenizer, labels: spec.labels, seed: spec.seed, config: spec.config as never });
    if (JSON.stringify(modelLayout(model)) !== JSON.stringify(federation.layout)) throw new Error('the model built in the page has another parameter layout than the server\'s');
    if (options.examples.length === 0) throw new Error('no local examples: give at least one {text, label}');
    const encoded = encodeClassification(options.examples, tokenizer, spec.labels!, spec.config.maxLength as number);
    const examples = fromEncodedClassification(encoded);
    const trainIndices = Array.from({ length: encoded.size }, (_, i) => i);
    const client = new LocalTrainingClient(options.clientId, model, examples, trainIndices);
    const evaluator = heldOutEvaluator(model, federation.outOfScopeLabel, spec, tokenizer, options.evaluationExamples, { examples, indices: trainIndices });
    if (options.token) session.useToken(options.clientId, options.token);
    else await session.register(options.clientId, encoded.size, options.enrolmentCode || undefined);
    show({ phase: 'joined', backend });
    const summary = await runRemoteClient({
      session,
      client,
      maxUpdates: options.maxUpdates,
      ...(evaluator ? { evaluator } : {}),
      onEvent: (event, data) => {
        if (event === 'task') show({ phase: 'training' });
        if (event === 'evaluated') show({ phase: 'evaluated', evaluations: state.evaluations + 1 });
        if (event === 'submitted') show({ phase: 'submitted', updates: state.updates + 1, rounds: [...state.rounds, data.round as number], lastLoss: data.loss as number });
      },
    });
    show({ phase: summary.finished ? 'done' : 'submitted' });
    return summary;
  } catch (error) {
    show({ phase: 'error', message: (error as Error).message });
    throw error;
  }
}

(window as unknown as { trustnlu: unknown }).trustnlu = { join, state };

document.getElementById('join')?.addEventListener('click', () => {
  const clientId = (document.getElementById('client-id') as HTMLInputElement).value.trim();
  const enrolmentCode = (document.getElementById('enrolment-code') as HTMLInputElement | null)?.value.trim() || undefined;
  const lines = (document.getElementById('examples') as HTMLTextAreaElement).value.split('\n').filter((l) => l.trim() !== '');
  const examples = lines.map((line) => {
    const tab = line.indexOf('\t');
    return tab < 0 ? { text: line, label: '' } : { text: line.slice(0, tab), label: line.slice(tab + 1).trim() };
  });
  join({ clientId, examples, enrolmentCode }).catch(() => undefined);
});
show({});
