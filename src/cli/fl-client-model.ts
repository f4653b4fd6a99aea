/**
 * What `fl client` trains: the federation's model rebuilt locally on this client's share of
 * the federation's dataset. A built-in kind is rebuilt from the description (dataset,
 * partition, kind, seed); a user's model.json is not shipped by the server: the client brings
 * the same file (--model PATH, with --vocab/--labels as the server was given), and its digest
 * (topology and weights) must be the federation's.
 */
import { ConfigError, UsageError } from '../errors.js';
import type { Client } from '../federated/client/index.js';
import type { ParameterLayout } from '../federated/aggregate/index.js';
import type { FederatedDataset } from '../federated/simulation/federated-dataset.js';
import type { AnyModel } from '../models/index.js';
import { loadUserTextModel, type ModelFlags } from './model-options.js';

interface FederationSource {
  kind: string;
  dataset?: string;
  partition?: string;
  numClients?: number;
  model?: string;
  modelConfig?: Record<string, unknown>;
  seed?: number;
  modelDigest?: string;
}

export async function federationClientTrainer(
  federation: Record<string, unknown>,
  flags: Omit<ModelFlags, 'model'> & { server: string; clientId: string; model?: string; dataDir?: string; backend?: 'wasm' | 'cpu' },
): Promise<{ trainer: Client; examples: number; trainIndices: readonly number[]; data: FederatedDataset; model: AnyModel; layout: ParameterLayout }> {
  const source = federation.source as FederationSource;
  const digest = source.modelDigest;
  if (digest === undefined && (flags.model !== undefined || flags.vocab !== undefined || flags.labels !== undefined)) {
    throw new UsageError(`the server at ${flags.server} trains its built-in ${String(source.model)} model, which the client rebuilds from the federation: drop --model, --vocab and --labels`);
  }
  if (digest !== undefined && flags.model === undefined) {
    throw new UsageError(`the server at ${flags.server} trains a model.json of its operator's: give the same file with --model PATH/model.json (and --vocab/--labels if the server was given them)`);
  }
  const [{ initEngine }, { prepareFederatedDataset }, { createModel, layersModelDigest, wrapLayersModel }, { tokenizerFromJSON }, { LocalTrainingClient, modelLayout }] = await Promise.all([
    import('../engine/index.js'),
    import('../federated/simulation/federated-dataset.js'),
    import('../models/index.js'),
    import('../text/index.js'),
    import('../federated/client/index.js'),
  ]);
  await initEngine({ backend: flags.backend ?? 'wasm' });
  const userModel = digest !== undefined ? await loadUserTextModel({ model: flags.model, vocab: flags.vocab, labels: flags.labels }) : undefined;
  const data = prepareFederatedDataset({
    dataset: source.dataset!,
    partition: source.partition!,
    numClients: source.numClients,
    model: source.model!,
    modelConfig: source.modelConfig,
    userModel,
    seed: source.seed!,
    dataDir: flags.dataDir,
  });
  if (userModel && (await layersModelDigest(data.model.layers!)) !== digest) {
    userModel.layersModel.dispose();
    throw new ConfigError(`${flags.model} is not the federation's model (its topology or weights differ from the server's model.json): use the file the server was started with`);
  }
  const served = federation.model as { tokenizer?: unknown } | undefined;
  if (userModel && JSON.stringify(served?.tokenizer) !== JSON.stringify(data.model.tokenizer)) {
    userModel.layersModel.dispose();
    throw new ConfigError('the tokenizer differs from the server\'s: give the same --vocab as the server (or keep the same tokenizer.json beside model.json)');
  }
  const mine = data.clients.find((c) => c.id === flags.clientId);
  if (!mine) throw new ConfigError(`client id "${flags.clientId}" is not in the federation's partition; valid ids: ${data.clients.slice(0, 10).map((c) => c.id).join(', ')}${data.clients.length > 10 ? ', ...' : ''}`);
  const tokenizer = tokenizerFromJSON(data.model.tokenizer!);
  const model = userModel
    ? wrapLayersModel(userModel.layersModel, { tokenizer, task: 'classifier', labels: data.model.labels, maxLength: data.model.config.maxLength as number })
    : createModel({ kind: data.model.kind, tokenizer, labels: data.model.labels, seed: data.model.seed, config: data.model.config as never });
  const layout = modelLayout(model);
  if (JSON.stringify(layout) !== JSON.stringify(federation.layout)) {
    throw new ConfigError('the local model\'s parameter layout differs from the server\'s; the local dataset must be the same version as the server\'s');
  }
  const trainer = new LocalTrainingClient(flags.clientId, model, data.train, mine.indices, { outOfScopeIndex: data.outOfScopeIndex });
  return { trainer, examples: mine.indices.length, trainIndices: mine.indices, data, model, layout };
}
