/**
 * The browser federated client: the same RemoteSession + runRemoteClient + LocalTrainingClient
 * the Node client runs, bundled by esbuild (web/build.mjs) into dist/web/fl-client.js and
 * served at /client. The page asks the server what model the federation trains (kind,
 * tokenizer, labels, config), builds it with tfjs in the page, encodes the examples the user
 * holds (they never leave the page: only the model update is sent), and joins.
 *
 * window.trustnlu.join({ clientId, examples: [{ text, label }], enrolmentCode?, token?, backend?, maxUpdates?, modelUrl? })
 * (modelUrl: when the federation trains its operator's model.json, where the page loads the same file);
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
import { modelLayout } from '../../src/federated/client/model-parameters.js';
import { RemoteSession } from '../../src/federated/client/remote-session.js';
import { runRemoteClient, type RemoteRunSummary } from '../../src/federated/client/remote-runner.js';

interface JoinOptions {
  clientId: string;
  examples: { text: string; label: string }[];
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
  phase: 'idle' | 'loading' | 'joined' | 'training' | 'submitted' | 'done' | 'error';
  clientId?: string;
  backend?: string;
  updates: number;
  rounds: number[];
  lastLoss?: number;
  message?: string;
}

const state: BrowserState = { phase: 'idle', updates: 0, rounds: [] };

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
    };
    if (!federation.model?.labels) throw new Error(`the federation "${federation.name}" does not train an intent classifier this page can join`);
    const spec = federation.model;
    const tokenizer = tokenizerFromJSON(spec.tokenizer);
    const model = spec.kind === LAYERS_MODEL_KIND ? await operatorModel(spec, tokenizer, options.modelUrl) : createModel({ kind: spec.kind, tokenizer, labels: spec.labels, seed: spec.seed, config: spec.config as never });
    if (JSON.stringify(modelLayout(model)) !== JSON.stringify(federation.layout)) throw new Error('the model built in the page has another parameter layout than the server\'s');
    if (options.examples.length === 0) throw new Error('no local examples: give at least one {text, label}');
    const encoded = encodeClassification(options.examples, tokenizer, spec.labels!, spec.config.maxLength as number);
    const examples = fromEncodedClassification(encoded);
    const client = new LocalTrainingClient(options.clientId, model, examples, Array.from({ length: encoded.size }, (_, i) => i));
    if (options.token) session.useToken(options.clientId, options.token);
    else await session.register(options.clientId, encoded.size, options.enrolmentCode || undefined);
    show({ phase: 'joined', backend });
    const summary = await runRemoteClient({
      session,
      client,
      maxUpdates: options.maxUpdates,
      onEvent: (event, data) => {
        if (event === 'task') show({ phase: 'training' });
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
