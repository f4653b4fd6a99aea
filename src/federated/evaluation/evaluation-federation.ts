/**
 * A federation of evaluation clients built from a saved classifier and a dataset: one split
 * (the test split by default) is encoded with the checkpoint's own tokenizer and labels and
 * partitioned into clients, each of which holds its part as held-out data. In personalised
 * evaluation a client cuts its part into a train part (to fine-tune on) and a test part.
 *
 * The result is a `FederatedDataset` whose training and evaluation examples are the same
 * encoded split, so the simulator's executor (worker pool or in process) runs the clients'
 * evaluation and fine-tuning jobs unchanged, and the checkpoint's parameters in the
 * executor's layout order.
 */
import { SeededRandom } from '../../engine/random.js';
import { loadCheckpoint } from '../../engine/index.js';
import { CheckpointError, ConfigError } from '../../errors.js';
import { loadDatasetSource } from '../../data/registry.js';
import type { DatasetSource } from '../../data/text-dataset.js';
import { dirichletLabelPartition, iidPartition, naturalPartition, quantitySkewPartition, summarizePartition, type Partition } from '../../data/partition/index.js';
import { defaultConfig, isClassifierKind } from '../../models/index.js';
import { tokenizerFromJSON, type TokenizerJSON } from '../../text/index.js';
import { encodeClassification, evaluationSource } from '../../train/index.js';
import type { ParameterLayout, ParameterSet } from '../aggregate/index.js';
import { fromEncodedClassification } from '../client/index.js';
import type { FederatedDataset } from '../simulation/federated-dataset.js';
import { parsePartitionSpec, partitionSetsClientCount, type PartitionSpec } from '../simulation/spec.js';

export interface EvaluationFederationOptions {
  /** Checkpoint directory written by `trustnlu train` (or saveModel). */
  modelDir: string;
  /** Default: the data the checkpoint records. */
  dataset?: string | DatasetSource;
  /** How the split is cut into clients: iid | dirichlet:ALPHA | quantity:BETA | domain | scenario | user. */
  partition: PartitionSpec | string;
  /** Clients for iid / dirichlet / quantity; default 100. */
  numClients?: number;
  /** The split the clients hold; default test. */
  split?: 'val' | 'test';
  seed: number;
  dataDir?: string;
}

export interface EvaluationFederation {
  data: FederatedDataset;
  /** The checkpoint's weights by parameter name. */
  weights: Map<string, Float32Array>;
  /** The checkpoint's parameters in `layout` order (the executor's). */
  parametersFor(layout: ParameterLayout): ParameterSet;
}

function partitionOf(spec: PartitionSpec, labels: number[], domains: readonly (string | undefined)[], users: readonly (string | undefined)[], numClients: number, rng: SeededRandom, name: string): Partition {
  if (spec.kind === 'iid') return iidPartition(labels.length, numClients, rng);
  if (spec.kind === 'dirichlet') return dirichletLabelPartition(labels, numClients, spec.alpha, rng);
  if (spec.kind === 'quantity') return quantitySkewPartition(labels.length, numClients, spec.beta, rng);
  if (spec.kind === 'user') {
    const missing = users.findIndex((u) => typeof u !== 'string');
    if (missing >= 0) throw new ConfigError(`partition "user": example ${missing} of "${name}" has no user; load your file with --user-column COLUMN`);
    return naturalPartition(users as string[]);
  }
  if (spec.kind === 'domain' || spec.kind === 'scenario') {
    const missing = domains.findIndex((d) => typeof d !== 'string');
    if (missing >= 0) throw new ConfigError(`partition "${spec.kind}": dataset "${name}" has no domain/scenario on example ${missing}; use iid, dirichlet:ALPHA or quantity:BETA`);
    return naturalPartition(domains as string[]);
  }
  throw new ConfigError(`federated evaluation: partition "${spec.kind}" is not supported; use iid, dirichlet:ALPHA, quantity:BETA, domain, scenario or user`);
}

export function prepareEvaluationFederation(options: EvaluationFederationOptions): EvaluationFederation {
  const spec = typeof options.partition === 'string' ? parsePartitionSpec(options.partition) : options.partition;
  const numClients = options.numClients ?? 100;
  if (!Number.isInteger(numClients) || numClients < 2) throw new ConfigError(`federated evaluation needs at least 2 clients, got ${options.numClients}`);
  const checkpoint = loadCheckpoint(options.modelDir);
  if (!isClassifierKind(checkpoint.kind)) {
    throw new ConfigError(`federated evaluation takes a classifier checkpoint (embbag, cnn, transformer); ${options.modelDir} holds a "${checkpoint.kind}" model`);
  }
  if (!checkpoint.labels) throw new CheckpointError(`${options.modelDir}: the classifier checkpoint has no labels`);
  const labels = checkpoint.labels;
  const tokenizer = tokenizerFromJSON(checkpoint.tokenizer as TokenizerJSON);
  const config = { ...defaultConfig(checkpoint.kind), ...((checkpoint.config as Record<string, unknown>) ?? {}) } as Record<string, unknown>;
  const seed = options.seed;
  const source = evaluationSource(options.dataset, checkpoint.meta, options.dataDir);
  const dataset = loadDatasetSource(source, { dataDir: options.dataDir, seed: typeof checkpoint.meta.seed === 'number' ? checkpoint.meta.seed : 0, task: 'intent' });
  const unknown = dataset.labels.filter((l) => !labels.includes(l));
  if (unknown.length > 0) throw new ConfigError(`dataset "${dataset.name}" has labels the model was not trained on (${unknown.slice(0, 3).join(', ')}${unknown.length > 3 ? ', ...' : ''})`);
  const split = options.split ?? 'test';
  const examples = dataset.splits[split];
  if (examples.length < 2) throw new ConfigError(`the ${split} split of "${dataset.name}" has ${examples.length} examples; federated evaluation needs at least 2`);
  const encoded = fromEncodedClassification(encodeClassification(examples, tokenizer, labels, config.maxLength as number));
  const labelIndices = examples.map((e) => labels.indexOf(e.label));
  const partition = partitionOf(spec, labelIndices, examples.map((e) => e.domain), examples.map((e) => e.user), numClients, new SeededRandom(seed).fork('evaluation-partition'), dataset.name);
  const outOfScope = dataset.outOfScopeLabel ? labels.indexOf(dataset.outOfScopeLabel) : -1;
  const describe = spec.kind === 'dirichlet' ? `dirichlet(α=${spec.alpha}, ${numClients} clients)` : spec.kind === 'quantity' ? `quantity(β=${spec.beta}, ${numClients} clients)` : spec.kind === 'iid' ? `iid(${numClients} clients)` : `natural(${spec.kind})`;
  const data: FederatedDataset = {
    name: dataset.name,
    synthetic: dataset.synthetic,
    task: 'classifier',
    model: { kind: checkpoint.kind, tokenizer: checkpoint.tokenizer as TokenizerJSON, labels, config, seed: 0 },
    train: encoded,
    evaluation: encoded,
    evaluationSplit: split,
    clients: partition.clients,
    ...(outOfScope >= 0 ? { outOfScopeIndex: outOfScope } : {}),
    partition: describe,
    summary: summarizePartition({ clients: partition.clients }, examples.map((e) => e.label)),
    notes: [...(partition.notes ?? [])],
  };
  const weights = new Map(checkpoint.weights.map((w) => [w.name, Float32Array.from(w.values)]));
  return {
    data,
    weights,
    parametersFor(layout) {
      const arrays = layout.names.map((name, i) => {
        const values = weights.get(name);
        if (!values) throw new CheckpointError(`${options.modelDir}: no weights for parameter "${name}"`);
        if (values.length !== layout.lengths[i]) throw new CheckpointError(`${options.modelDir}: parameter "${name}" has ${values.length} values, the model ${layout.lengths[i]}`);
        return values;
      });
      return { names: layout.names.slice(), arrays };
    },
  };
}

/**
 * Each client's held-out examples in a training federation: the evaluation split cut into
 * the same clients (same partition spec, client count and seed) as the training split, so a
 * client of `fl client` evaluates on examples it never trains on. Natural partitions need the
 * evaluation examples' keys (domain, scenario or user), in split order.
 */
export function heldOutPartition(data: FederatedDataset, partition: PartitionSpec | string, seed: number, keys?: readonly (string | undefined)[]): Map<string, number[]> {
  const spec = typeof partition === 'string' ? parsePartitionSpec(partition) : partition;
  if (data.evaluation.task !== 'classifier') throw new ConfigError('federated evaluation of a language model is not supported; use a classifier federation');
  const targets = Array.from(data.evaluation.targets);
  const ids = new Set(data.clients.map((c) => c.id));
  const count = partitionSetsClientCount(spec) ? data.clients.length : 0;
  const natural = keys ?? [];
  if (count === 0 && natural.length !== targets.length) throw new ConfigError(`held-out partition "${spec.kind}" needs one key per evaluation example (${targets.length}), got ${natural.length}`);
  const parts = partitionOf(spec, targets, natural, natural, count, new SeededRandom(seed).fork('held-out-partition'), data.name);
  return new Map(parts.clients.filter((c) => ids.has(c.id)).map((c) => [c.id, c.indices]));
}

/**
 * Each client's held-out examples in a training federation built from a registry dataset: the
 * evaluation split cut by `heldOutPartition`, with the keys a natural partition (domain,
 * scenario, user) needs read from the dataset. The Node client evaluates on its share; the
 * server uses the shares' sizes to refuse a report that counts more examples than a client holds.
 */
export function heldOutShares(data: FederatedDataset, source: { dataset: string; partition: string; seed: number; dataDir?: string }): Map<string, number[]> {
  const spec = parsePartitionSpec(source.partition);
  const natural = spec.kind === 'domain' || spec.kind === 'scenario' || spec.kind === 'user';
  const keys = natural
    ? loadDatasetSource({ kind: 'registry', name: source.dataset }, { dataDir: source.dataDir, seed: source.seed, task: 'intent' }).splits[data.evaluationSplit].map((e) => (spec.kind === 'user' ? e.user : e.domain))
    : undefined;
  return heldOutPartition(data, spec, source.seed, keys);
}
