/**
 * A dataset made ready for federated simulation: encoded training examples, a partition of
 * them into clients, an encoded evaluation split, and what a worker needs to build the
 * model (kind, config, tokenizer, labels, seed). All plain data, sent to each worker once.
 *
 * Natural partitions: `domain`/`scenario` group intent examples by their domain field
 * (CLINC150 domains, HWU64/SLURP scenarios, the synthetic set's areas); `speaker` groups a
 * corpus's units by speaker (Tiny Shakespeare turns). For language models the partition is
 * made over units (turns), and each client's units become its own stream of next-token
 * windows, so no window spans two clients. The tokenizer is fitted on the whole training
 * split (a shared vocabulary, the usual simplification of FL simulations).
 */
import { ConfigError } from '../../errors.js';
import { SeededRandom } from '../../engine/random.js';
import { DATASETS, loadDatasetSource } from '../../data/registry.js';
import type { DatasetSource } from '../../data/text-dataset.js';
import { sentenceVectors } from '../../data/sentence-vectors.js';
import {
  clusterDirichletPartition,
  dirichletLabelPartition,
  iidPartition,
  naturalPartition,
  quantitySkewPartition,
  summarizePartition,
  type Partition,
  type PartitionClient,
  type PartitionSummary,
} from '../../data/partition/index.js';
import { defaultConfig, isClassifierKind, isLanguageModelKind, LAYERS_MODEL_KIND, MODEL_KINDS, type LayersModelSnapshot, type LossName } from '../../models/index.js';
import { fitCharTokenizer, fitWordTokenizer, languageModelWindows, type TokenizerJSON } from '../../text/index.js';
import { encodeClassification, encodeCorpus, encodeWindows, unitText } from '../../train/index.js';
import { exampleCount, fromEncodedClassification, fromEncodedCorpus, type FederatedExamples } from '../client/index.js';
import { parsePartitionSpec, type PartitionSpec } from './spec.js';
import { userTextModelSpec, type UserTextModel } from './user-text-model.js';

/** What a worker needs to build the model (the weights come from the global parameters). */
export interface ModelSpec {
  kind: string;
  /** Text models only (a user's model on tensor examples has none). */
  tokenizer?: TokenizerJSON;
  labels?: string[];
  config: Record<string, unknown>;
  seed: number;
  /**
   * Kind 'layers': the user's tf.LayersModel as plain data (topology and every weight, so frozen
   * weights match too), rebuilt in each worker, and the loss it trains with on tensor examples.
   */
  layers?: LayersModelSnapshot & { loss: LossName };
}

export interface FederatedDataset {
  name: string;
  synthetic: boolean;
  task: 'classifier' | 'lm';
  model: ModelSpec;
  train: FederatedExamples;
  /** The split the global model is evaluated on. */
  evaluation: FederatedExamples;
  evaluationSplit: 'val' | 'test';
  /** Clients and their indices into `train` (ascending). */
  clients: PartitionClient[];
  /** Class index of the out-of-scope label (CLINC150), for in-scope accuracy. */
  outOfScopeIndex?: number;
  /** When each training example was written (a user's --time-column): continual periods cut by time. */
  times?: number[];
  /** Each training example's domain (CLINC150 domain, HWU64/SLURP scenario), when every one has one: the drift setting's periods. */
  domains?: string[];
  partition: string;
  /**
   * The clients as registered (clients, size quantiles, label entropy over the class labels;
   * for language models sizes count next-token windows and there are no labels).
   */
  summary: PartitionSummary;
  notes: string[];
  /**
   * How to make `train` and `evaluation` again from a named dataset (no user model): a queue
   * worker with the dataset in its own data directory rebuilds them instead of receiving them
   * (job-data.ts), and uses its copy only if it hashes to the same content.
   */
  localSource?: FederatedDataRecipe;
}

/** The options of prepareFederatedDataset that decide the encoded examples, as plain data. */
export interface FederatedDataRecipe {
  dataset: string;
  /** The partition in its text form (parsePartitionSpec). */
  partition: string;
  numClients: number;
  model: string;
  modelConfig?: Record<string, unknown>;
  seed: number;
  evaluationSplit: 'val' | 'test';
  minClientExamples: number;
}

/** The text form of a partition spec (numbers in JavaScript's shortest round-tripping form). */
export function partitionText(spec: PartitionSpec): string {
  if (spec.kind === 'dirichlet') return `dirichlet:${spec.alpha}`;
  if (spec.kind === 'quantity') return `quantity:${spec.beta}`;
  if (spec.kind === 'cluster') return `cluster:${spec.clusters}:${spec.alpha}`;
  return spec.kind;
}

export interface PrepareOptions {
  /** A named dataset, or the user's files ({ kind: 'files', files, options } as the CLI's --data builds). */
  dataset: string | DatasetSource;
  partition: PartitionSpec | string;
  /** Clients for iid / dirichlet / quantity partitions; default 100. */
  numClients?: number;
  /** Model kind (a classifier for intent datasets, a language model for corpora); 'layers' with `userModel`. */
  model: string;
  /** Your tf.LayersModel (loaded from a model.json) instead of a built-in kind: intent datasets only. */
  userModel?: UserTextModel;
  /** Overrides of the kind's default architecture. */
  modelConfig?: Record<string, unknown>;
  seed: number;
  dataDir?: string;
  /** Default 'test'. */
  evaluationSplit?: 'val' | 'test';
  /** Natural partitions: drop groups with fewer examples (default 1). */
  minClientExamples?: number;
}

function describePartition(spec: PartitionSpec, numClients: number): string {
  if (spec.kind === 'dirichlet') return `dirichlet(α=${spec.alpha}, ${numClients} clients)`;
  if (spec.kind === 'quantity') return `quantity(β=${spec.beta}, ${numClients} clients)`;
  if (spec.kind === 'iid') return `iid(${numClients} clients)`;
  if (spec.kind === 'cluster') return `cluster(K=${spec.clusters}, α=${spec.alpha}, ${numClients} clients)`;
  return `natural(${spec.kind})`;
}

export function prepareFederatedDataset(options: PrepareOptions): FederatedDataset {
  const spec = typeof options.partition === 'string' ? parsePartitionSpec(options.partition) : options.partition;
  const numClients = options.numClients ?? 100;
  if (!Number.isInteger(numClients) || numClients < 1) throw new ConfigError(`numClients must be an integer ≥ 1, got ${options.numClients}`);
  const source: DatasetSource = typeof options.dataset === 'string' ? { kind: 'registry', name: options.dataset } : options.dataset;
  const registered = source.kind === 'registry' ? DATASETS.find((d) => d.name === source.name) : undefined;
  if (source.kind === 'registry' && !registered) throw new ConfigError(`unknown dataset "${source.name}"; valid names: ${DATASETS.map((d) => d.name).join(', ')}`);
  const kind = options.userModel ? LAYERS_MODEL_KIND : options.model;
  if (!options.userModel && !(MODEL_KINDS as readonly string[]).includes(kind)) throw new ConfigError(`unknown model "${kind}": choose one of ${MODEL_KINDS.join(', ')}`);
  // Files are an intent dataset for a classifier and a corpus for a language model.
  const task = registered?.task ?? (options.userModel || isClassifierKind(kind) ? 'intent' : 'lm');
  const info = { name: registered?.name ?? (source.kind === 'files' ? source.files.train : ''), task };
  if (options.userModel && info.task !== 'intent') {
    throw new ConfigError(`dataset "${info.name}" is a language-model corpus; federated training of your own model.json takes classifiers on intent data`);
  }
  if (info.task === 'intent' && !options.userModel && !isClassifierKind(kind)) {
    throw new ConfigError(`dataset "${info.name}" is an intent dataset: use a classifier model (embbag, cnn, transformer), not "${kind}"`);
  }
  if (info.task === 'lm' && !isLanguageModelKind(kind)) {
    throw new ConfigError(`dataset "${info.name}" is a language-model corpus: use char-lstm, char-transformer, word-lstm or word-transformer, not "${kind}"`);
  }
  const rng = new SeededRandom(options.seed).fork('partition');
  const evaluationSplit = options.evaluationSplit ?? 'test';
  const minExamples = options.minClientExamples ?? 1;
  if (options.userModel && options.modelConfig) throw new ConfigError('modelConfig changes a built-in architecture; your model.json is its own: drop it');
  const config = options.userModel ? {} : ({ ...defaultConfig(kind), ...(options.modelConfig ?? {}) } as Record<string, unknown>);
  const notes: string[] = [];
  const localSource: FederatedDataRecipe | undefined =
    source.kind === 'registry' && !options.userModel
      ? {
          dataset: source.name,
          partition: partitionText(spec),
          numClients,
          model: kind,
          ...(options.modelConfig ? { modelConfig: options.modelConfig } : {}),
          seed: options.seed,
          evaluationSplit,
          minClientExamples: minExamples,
        }
      : undefined;

  if (info.task === 'intent') {
    if (spec.kind === 'speaker') {
      throw new ConfigError(`partition "speaker" needs a corpus with speakers (tinyshakespeare); for "${info.name}" use domain, scenario, iid, dirichlet:ALPHA or quantity:BETA`);
    }
    const dataset = loadDatasetSource(source, { dataDir: options.dataDir, seed: options.seed, task: 'intent' });
    const train = dataset.splits.train;
    const user = options.userModel && userTextModelSpec(options.userModel, { name: dataset.name, labels: dataset.labels, trainTexts: train.map((e) => e.text) }, options.seed);
    const tokenizer = user?.tokenizer ?? fitWordTokenizer(train.map((e) => e.text), { minCount: 1, maxSize: 20000 });
    const maxLength = user?.maxLength ?? (config.maxLength as number);
    const labels = user?.labels ?? dataset.labels;
    let partition: Partition;
    if (spec.kind === 'iid') partition = iidPartition(train.length, numClients, rng);
    else if (spec.kind === 'dirichlet') partition = dirichletLabelPartition(train.map((e) => e.label), numClients, spec.alpha, rng);
    else if (spec.kind === 'quantity') partition = quantitySkewPartition(train.length, numClients, spec.beta, rng);
    else if (spec.kind === 'cluster') {
      const { vectors, source } = sentenceVectors(train.map((e) => e.text), options.dataDir);
      partition = clusterDirichletPartition(vectors, spec.clusters, numClients, spec.alpha, rng);
      notes.push(`cluster partition over ${source} sentence vectors`);
    } else if (spec.kind === 'user') {
      const missing = train.findIndex((e) => typeof e.user !== 'string');
      if (missing >= 0) throw new ConfigError(`partition "user": training example ${missing} of "${dataset.name}" has no user; load your file with --user-column COLUMN (library: { user: 'COLUMN' })`);
      partition = naturalPartition(train.map((e) => e.user!), { minExamples });
    } else {
      const missing = train.findIndex((e) => typeof e.domain !== 'string');
      if (missing >= 0) throw new ConfigError(`partition "${spec.kind}": dataset "${info.name}" has no domain/scenario on training example ${missing}; use iid, dirichlet:ALPHA or quantity:BETA`);
      partition = naturalPartition(train.map((e) => e.domain!), { minExamples });
    }
    notes.push(...(partition.notes ?? []));
    const outOfScope = dataset.outOfScopeLabel ? labels.indexOf(dataset.outOfScopeLabel) : -1;
    const summary = summarizePartition({ clients: partition.clients }, train.map((e) => e.label));
    return {
      name: dataset.name,
      synthetic: dataset.synthetic,
      task: 'classifier',
      model: user?.spec ?? { kind, tokenizer: tokenizer.toJSON(), labels, config, seed: options.seed },
      train: fromEncodedClassification(encodeClassification(train, tokenizer, labels, maxLength)),
      evaluation: fromEncodedClassification(encodeClassification(dataset.splits[evaluationSplit], tokenizer, labels, maxLength)),
      evaluationSplit,
      clients: partition.clients,
      ...(outOfScope >= 0 ? { outOfScopeIndex: outOfScope } : {}),
      ...(train.every((e) => typeof e.time === 'number') ? { times: train.map((e) => e.time!) } : {}),
      ...(train.every((e) => typeof e.domain === 'string') ? { domains: train.map((e) => e.domain!) } : {}),
      partition: describePartition(spec, numClients),
      summary,
      notes,
      ...(localSource ? { localSource } : {}),
    };
  }

  if (spec.kind === 'domain' || spec.kind === 'scenario' || spec.kind === 'dirichlet' || spec.kind === 'cluster') {
    throw new ConfigError(`partition "${spec.kind}" needs labelled intent data; for the corpus "${info.name}" use speaker, iid or quantity:BETA`);
  }
  const corpus = loadDatasetSource(source, { dataDir: options.dataDir, seed: options.seed, task: 'lm' });
  const units = corpus.splits.train;
  const texts = units.map(unitText);
  const tokenizer = kind.startsWith('char')
    ? fitCharTokenizer(texts.map((t) => `${t}\n\n`))
    : fitWordTokenizer(texts, { minCount: 2, maxSize: 20000 });
  const T = config.contextLength as number;
  let unitPartition: Partition;
  if (spec.kind === 'iid') unitPartition = iidPartition(units.length, numClients, rng);
  else if (spec.kind === 'quantity') unitPartition = quantitySkewPartition(units.length, numClients, spec.beta, rng);
  else {
    const missing = units.findIndex((u) => typeof u.speaker !== 'string');
    if (missing >= 0) throw new ConfigError(`partition "speaker": corpus "${info.name}" has no speaker on unit ${missing}; use iid or quantity:BETA`);
    unitPartition = naturalPartition(units.map((u) => u.speaker!), { minExamples });
  }
  notes.push(...(unitPartition.notes ?? []));
  // each client's units → its own token stream → windows; clients too short for one window are dropped
  const inputs: Int32Array[] = [];
  const targets: Int32Array[] = [];
  const clients: PartitionClient[] = [];
  let count = 0;
  let dropped = 0;
  for (const client of unitPartition.clients) {
    const stream = encodeCorpus(client.indices.map((i) => units[i]), tokenizer);
    const windows = languageModelWindows(stream, T);
    if (windows.count === 0) {
      dropped++;
      continue;
    }
    inputs.push(windows.inputs);
    targets.push(windows.targets);
    clients.push({ id: client.id, indices: Array.from({ length: windows.count }, (_, j) => count + j) });
    count += windows.count;
  }
  if (clients.length === 0) throw new ConfigError(`no client of "${info.name}" has enough text for one window of ${T} tokens; lower contextLength`);
  if (dropped > 0) notes.push(`dropped ${dropped} clients with fewer than ${T + 1} tokens (not one full window)`);
  const concat = (parts: Int32Array[]) => {
    const out = new Int32Array(count * T);
    let offset = 0;
    for (const p of parts) {
      out.set(p, offset);
      offset += p.length;
    }
    return out;
  };
  const train: FederatedExamples = { task: 'lm', inputs: concat(inputs), targets: concat(targets), count, length: T };
  const evaluation = fromEncodedCorpus(encodeWindows(corpus.splits[evaluationSplit], tokenizer, T));
  if (exampleCount(evaluation) === 0) throw new ConfigError(`the ${evaluationSplit} split of "${info.name}" is shorter than one window of ${T} tokens`);
  return {
    name: corpus.name,
    synthetic: corpus.synthetic,
    task: 'lm',
    model: { kind, tokenizer: tokenizer.toJSON(), config, seed: options.seed },
    train,
    evaluation,
    evaluationSplit,
    clients,
    partition: describePartition(spec, numClients),
    summary: summarizePartition({ clients }),
    notes,
    ...(localSource ? { localSource } : {}),
  };
}
