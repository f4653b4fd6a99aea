/**
 * `trustnlu fairness ...`: intrinsic (weat) and extrinsic (groups, aps) fairness measures and the
 * probe-set listing. Parsing only; the work is in src/fairness. registerFairness returns the
 * `fairness` command so other modules can add sub-commands to it (e.g. mitigation's `swap`).
 */
import { InvalidArgumentError, type Command } from 'commander';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { resolveDataDir } from '../data/locate.js';
import { embeddingLookup, readWord2VecText, readWordSets } from '../data/word-vectors.js';
import type { tf } from '../engine/index.js';
import { SeededRandom } from '../engine/random.js';
import { ConfigError, DatasetFormatError, UsageError } from '../errors.js';
import {
  auditGroups,
  auditSensitivity,
  dataGroupGaps,
  genderSwapLexicon,
  predictionGroupGaps,
  type DataGroupAudit,
  GROUP_SCHEME_NAMES,
  listProbeSets,
  PROBE_FAMILIES,
  swapGender,
  vaderClassifier,
  weat,
  weatQueryFromSets,
  type Embed,
} from '../fairness/index.js';
import { isLayersModelPath, layersModelDir, type ClassifierModel } from '../models/index.js';
import { addUserModelOptions, checkDataLabels, hasUnnamedLabels, loadModelFromFlags, type ModelFlags, VOCAB_HELP } from './model-options.js';
import { loadDatasetSource } from '../data/registry.js';
import { readTable } from '../data/table.js';
import { addDataOptions, dataSourceFromFlags, type DataFlags } from './data-options.js';
import { formatNumber, parseChoice, parseInteger, parseNumber, printResult, startEngine, withCommonOptions } from './common.js';

/** "X,Y" → [X, Y]; anything else is a usage error (exit 2). */
function parseSetPair(name: string): (value: string) => [string, string] {
  return (value) => {
    const parts = value.split(',').map((s) => s.trim());
    if (parts.length !== 2 || parts.some((p) => p === '')) throw new InvalidArgumentError(`${name} must be two set names separated by a comma, e.g. male_names,female_names; got "${value}"`);
    return [parts[0], parts[1]];
  };
}

const parseFraction = (name: string) => parseNumber(name, (n) => n >= 0 && n <= 1, 'a number between 0 and 1');
const parseConfidence = (name: string) => parseNumber(name, (n) => n > 0 && n < 1, 'a number strictly between 0 and 1');

interface WeatFlags {
  embeddings: string;
  vocab?: string;
  targets: [string, string];
  attributes: [string, string];
  wordSets?: string;
  permutations: number;
  maxMissing: number;
  seed: number;
  dataDir?: string;
  json?: boolean;
  backend?: 'wasm' | 'cpu';
}

/** A trustnlu checkpoint directory or a TensorFlow.js model (model.json or its directory). */
function isModelPath(path: string): boolean {
  if (isLayersModelPath(path)) return true;
  const dir = layersModelDir(path);
  return existsSync(dir) && statSync(dir).isDirectory() && existsSync(join(dir, 'model.json'));
}

/** A word → vector lookup from a word2vec text file or a saved model's token embedding table (its first Embedding layer, for a model.json). */
async function embeddingsFrom(path: string, flags: WeatFlags): Promise<{ embed: Embed; source: string; dispose(): void }> {
  if (isModelPath(path)) {
    await startEngine(flags);
    const { model } = await loadModelFromFlags({ model: path, vocab: flags.vocab });
    try {
      // The classifiers and a wrapped model.json expose their table; the built-in language models hold it as "embedding/embeddings".
      const withTable = model as Partial<{ embeddingTable(): tf.Tensor2D }>;
      if (typeof withTable.embeddingTable !== 'function' && !model.store.has('embedding/embeddings')) throw new ConfigError(`${path}: this model has no token embedding table`);
      const table: tf.Tensor = typeof withTable.embeddingTable === 'function' ? withTable.embeddingTable() : model.store.get('embedding/embeddings');
      const [, dim] = table.shape as [number, number];
      const values = Float32Array.from(table.dataSync() as Float32Array);
      const tokenizer = model.tokenizer;
      if (tokenizer.type !== 'word') throw new ConfigError(`${path}: WEAT needs word embeddings; this model uses a ${tokenizer.type} tokenizer`);
      // The tokenizer lower-cases, so "John" is looked up as "john"; the unknown token counts as missing.
      const embed: Embed = (word) => {
        const id = tokenizer.idOf(word.toLowerCase());
        return id === tokenizer.unknownId || id * dim >= values.length ? undefined : values.subarray(id * dim, (id + 1) * dim);
      };
      return { embed, source: `model ${path} (${model.kind}, vocabulary ${tokenizer.vocabSize})`, dispose: () => undefined };
    } finally {
      model.dispose();
    }
  }
  if (flags.vocab !== undefined) throw new UsageError('--vocab gives the tokenizer of a model.json passed as --embeddings; a word2vec file needs none: drop --vocab');
  if (!existsSync(path)) throw new ConfigError(`--embeddings ${path}: no such file or model directory`);
  const vectors = readWord2VecText(path);
  return { embed: embeddingLookup(vectors, { lowercaseFallback: true }), source: `word2vec ${path} (${vectors.words.length} words)`, dispose: () => undefined };
}

function defaultWordSets(dataDir?: string): string {
  const dir = resolveDataDir(dataDir);
  const path = dir ? join(dir, 'wefe-weat', 'WEAT.json') : undefined;
  if (!path || !existsSync(path)) throw new ConfigError('no WEAT.json found (wefe-weat/WEAT.json in the data directory): pass --word-sets FILE or --data-dir');
  return path;
}

async function runWeat(flags: WeatFlags) {
  const wordSetsPath = flags.wordSets ?? defaultWordSets(flags.dataDir);
  const sets = readWordSets(wordSetsPath);
  const query = weatQueryFromSets(sets, flags.targets[0], flags.targets[1], flags.attributes[0], flags.attributes[1]);
  const embeddings = await embeddingsFrom(flags.embeddings, flags);
  try {
    const r = weat(query, embeddings.embed, { permutations: flags.permutations, maxMissingFraction: flags.maxMissing, rng: new SeededRandom(flags.seed) });
    return {
      effectSize: r.effectSize,
      statistic: r.statistic,
      pValue: r.pValue,
      exact: r.exact,
      permutations: r.permutations,
      missing: r.missing,
      exceedances: r.exceedances,
      ...(r.pValueInterval ? { pValueInterval: r.pValueInterval } : {}),
      names: r.names,
      sizes: r.sizes,
      embeddings: embeddings.source,
      wordSets: wordSetsPath,
    };
  } finally {
    embeddings.dispose();
  }
}

interface ProbeFlags extends ModelFlags {
  model?: string;
  reference?: 'vader';
  probe: string;
  groups?: string;
  positive?: string;
  resamples: number;
  confidence: number;
  seed: number;
  json?: boolean;
  backend?: 'wasm' | 'cpu';
}

async function loadClassifier(flags: ModelFlags & { backend?: 'wasm' | 'cpu' }): Promise<{ model: ClassifierModel; meta: Record<string, unknown> }> {
  if (!flags.model) throw new UsageError('--model PATH is required');
  await startEngine(flags);
  const { model, meta } = await loadModelFromFlags(flags);
  if (model.task !== 'classifier') {
    model.dispose();
    throw new ConfigError(`${flags.model} is a "${model.kind}" language model; fairness probes need a classifier`);
  }
  return { model, meta };
}

/** Probe sets name their labels (intents, sentiments): a model.json whose classes are 0..n-1 needs --labels. */
function requireNamedLabels(model: ClassifierModel, path: string): void {
  if (hasUnnamedLabels(model)) {
    model.dispose();
    throw new ConfigError(`${path} names its ${model.labels.length} classes 0..${model.labels.length - 1} (its model.json records no labels), but probe sets compare labels by name: give them in output order with --labels a,b,c or --labels FILE`);
  }
}

/** `fairness groups`: a probe set, labelled data with groups, or a predictions file. */
interface GroupsFlags extends DataFlags, Omit<ProbeFlags, 'probe'> {
  probe?: string;
  split: 'train' | 'val' | 'test';
  predictions?: string;
  yTrue?: string;
  yPred?: string;
}

/** Group gaps of a predictions file: its true-label, predicted-label and group columns. */
function groupsOfPredictionsFile(flags: GroupsFlags): DataGroupAudit {
  const missing = [['--y-true', flags.yTrue], ['--y-pred', flags.yPred], ['--group-column', flags.groupColumn]].filter(([, v]) => v === undefined).map(([f]) => f);
  if (missing.length > 0) throw new UsageError(`--predictions needs ${missing.join(', ')} (the columns of true labels, predicted labels and groups)`);
  const table = readTable(flags.predictions!, { format: flags.format });
  const columns = [flags.yTrue!, flags.yPred!, flags.groupColumn!];
  for (const column of columns) {
    if (!table.columns.includes(column)) {
      throw new DatasetFormatError(`${table.path}: no column "${column}"; the file's columns are ${table.columns.map((c) => `"${c}"`).join(', ')}`);
    }
  }
  const rows = table.rows.filter((r) => (r.values[flags.groupColumn!] ?? '').trim() !== '');
  for (const r of rows) {
    for (const column of [flags.yTrue!, flags.yPred!]) {
      if ((r.values[column] ?? '').trim() === '') throw new DatasetFormatError(`${table.path}:${r.line}: column "${column}" is empty; every row needs a true and a predicted label`);
    }
  }
  const audit = predictionGroupGaps(
    rows.map((r) => r.values[flags.yTrue!].trim()),
    rows.map((r) => r.values[flags.yPred!].trim()),
    rows.map((r) => r.values[flags.groupColumn!].trim()),
    { positive: flags.positive, resamples: flags.resamples, confidence: flags.confidence, seed: flags.seed },
  );
  return { ...audit, withoutGroup: table.rows.length - rows.length };
}

function describeDataGroups(r: DataGroupAudit): string {
  const lines = [`${r.examples} examples${r.withoutGroup ? ` (${r.withoutGroup} without a group left out)` : ''}, groups ${r.groups.join(' / ')}, positive label "${r.positive}" (${r.positiveChoice})`];
  for (const g of r.groups) {
    const m = r.byGroup[g];
    const ci = r.ci?.byGroup[g]?.accuracy;
    const interval = ci && ci.low !== null && ci.high !== null ? ` [${formatNumber(ci.low)}, ${formatNumber(ci.high)}]` : '';
    lines.push(`  ${g} (${r.groupSizes[g]}): accuracy ${formatNumber(m.accuracy ?? Number.NaN)}${interval}, selection rate ${formatNumber(m.selectionRate ?? Number.NaN)}`);
  }
  const d = r.differences;
  const ci = r.ci?.differences.accuracy;
  lines.push(`  accuracy difference ${formatNumber(d.accuracy ?? Number.NaN)}${ci && ci.low !== null && ci.high !== null ? ` [${formatNumber(ci.low)}, ${formatNumber(ci.high)}]` : ''}, demographic parity difference ${formatNumber(d.demographicParity ?? Number.NaN)}, equalised odds difference ${formatNumber(d.equalizedOdds ?? Number.NaN)}`);
  return lines.join('\n');
}

function describeGroups(r: ReturnType<typeof auditGroups>['audit']): string {
  const lines = [`${r.probe}: ${r.examples} examples, groups ${r.groups.join(' / ')}, positive label "${r.positive}"`];
  for (const g of r.groups) {
    const m = r.groupMetrics.byGroup[g];
    lines.push(`  ${g}: accuracy ${formatNumber(m.accuracy ?? Number.NaN)}, selection rate ${formatNumber(m.selectionRate ?? Number.NaN)}`);
  }
  const d = r.groupMetrics.differences;
  lines.push(`  demographic parity difference ${formatNumber(d.demographicParity ?? Number.NaN)}, equalised odds difference ${formatNumber(d.equalizedOdds ?? Number.NaN)}, equal opportunity difference ${formatNumber(d.equalOpportunity ?? Number.NaN)}`);
  lines.push(`  counterfactual: mean |Δp| ${formatNumber(r.counterfactual.meanAbsoluteChange)}, flip rate ${formatNumber(r.counterfactual.flipRate)}`);
  return lines.join('\n');
}

export function registerFairness(program: Command): Command {
  const fairness = program.command('fairness').description('fairness measures: WEAT on embeddings, group gaps, counterfactual token fairness and APS on probe sets');

  const weatCommand = fairness
    .command('weat')
    .description('Word Embedding Association Test on a word2vec file or a saved model\'s embedding table')
    .requiredOption('--embeddings <path>', 'word2vec text file, a model directory written by "trustnlu train", or a TensorFlow.js model.json (its first Embedding layer)')
    .requiredOption('--targets <X,Y>', 'two target set names from the word-set file', parseSetPair('--targets'))
    .requiredOption('--attributes <A,B>', 'two attribute set names from the word-set file', parseSetPair('--attributes'))
    .option('--word-sets <file>', 'JSON {set: [words]} (default: wefe-weat/WEAT.json in the data directory)')
    .option('--permutations <n>', 'Monte Carlo re-partitions when exact enumeration is too large', parseInteger('--permutations', 1), 100000)
    .option('--max-missing <fraction>', 'largest fraction of a set that may be missing from the vocabulary', parseFraction('--max-missing'), 0.2)
    .option('--seed <n>', 'seed of the Monte Carlo test', parseInteger('--seed', 0), 0)
    .option('--data-dir <dir>', 'data directory')
    .option('--vocab <file>', `with --embeddings model.json: ${VOCAB_HELP}`);
  withCommonOptions(weatCommand).action(async (flags: WeatFlags) => {
    const result = await runWeat(flags);
    printResult(result, flags.json, (r) =>
      `${r.names.X} vs ${r.names.Y} wrt ${r.names.A} vs ${r.names.B}: effect size ${formatNumber(r.effectSize)}, p = ${formatNumber(r.pValue)} (${r.exact ? 'exact' : 'Monte Carlo'}, ${r.permutations} partitions)` +
        (r.missing.length ? `\nmissing: ${r.missing.join(', ')}` : ''),
    );
  });

  const addProbeOptions = (command: Command) =>
    command
      .requiredOption('--probe <name>', `probe set: ${PROBE_FAMILIES.join(', ')} (see "trustnlu fairness probes")`, parseChoice('--probe', PROBE_FAMILIES))
      .option('--groups <scheme>', `group scheme: ${GROUP_SCHEME_NAMES.join(', ')}`, parseChoice('--groups', GROUP_SCHEME_NAMES), 'gender')
      .option('--resamples <n>', 'bootstrap resamples for the intervals', parseInteger('--resamples', 1), 1000)
      .option('--confidence <level>', 'confidence level of the intervals', parseConfidence('--confidence'), 0.95)
      .option('--seed <n>', 'bootstrap seed', parseInteger('--seed', 0), 0);

  const groupsCommand = fairness
    .command('groups')
    .description('per-group metrics with bootstrap CIs and their gaps: on a probe set (with counterfactual token fairness), on your labelled data with a group column, or on a file of predictions any model made')
    .option('--probe <name>', `probe set: ${PROBE_FAMILIES.join(', ')} (see "trustnlu fairness probes")`, parseChoice('--probe', PROBE_FAMILIES))
    .option('--groups <scheme>', `probe group scheme: ${GROUP_SCHEME_NAMES.join(', ')} (default gender)`, parseChoice('--groups', GROUP_SCHEME_NAMES))
    .option('--model <path>', 'classifier checkpoint directory, or a TensorFlow.js model.json (or its directory)')
    .option('--reference <name>', 'a built-in reference model instead of --model (probes only): vader (sentiment)', parseChoice('--reference', ['vader'] as const))
    .option('--split <name>', 'with --data/--dataset: the split the model is measured on', parseChoice('--split', ['train', 'val', 'test'] as const), 'test')
    .option('--predictions <file>', 'a table of predictions made by any model (CSV, TSV, JSON lines, JSON) with --y-true, --y-pred and --group-column')
    .option('--y-true <column>', 'with --predictions: the column of true labels')
    .option('--y-pred <column>', 'with --predictions: the column of predicted labels')
    .option('--positive <label>', 'label for selection rate, TPR and FPR (default: the probe\'s, or the most frequent true label)')
    .option('--resamples <n>', 'bootstrap resamples for the intervals', parseInteger('--resamples', 1), 1000)
    .option('--confidence <level>', 'confidence level of the intervals', parseConfidence('--confidence'), 0.95)
    .option('--seed <n>', 'bootstrap seed', parseInteger('--seed', 0), 0);
  addUserModelOptions(groupsCommand);
  addDataOptions(groupsCommand, { datasetHelp: 'a named dataset whose examples carry groups (synthetic: person groups)', columns: ['group'] });
  withCommonOptions(groupsCommand).action(async (flags: GroupsFlags) => {
    if ((flags.vocab !== undefined || flags.labels !== undefined) && flags.model === undefined) throw new UsageError('--vocab and --labels describe a --model model.json: add --model PATH or drop them');
    const modes = [flags.probe !== undefined, flags.predictions !== undefined, flags.data !== undefined || flags.dataset !== undefined].filter(Boolean).length;
    if (modes !== 1) {
      throw new UsageError('choose one input: --probe NAME (a probe set), --data FILE --group-column C or --dataset NAME (labelled data with groups), or --predictions FILE --y-true C --y-pred C --group-column C');
    }
    const bootstrap = { positive: flags.positive, resamples: flags.resamples, confidence: flags.confidence, seed: flags.seed };
    if (flags.predictions !== undefined) {
      if (flags.model || flags.reference) throw new UsageError('--predictions already holds the predictions: drop --model/--reference');
      const audit = groupsOfPredictionsFile(flags);
      printResult({ predictions: flags.predictions, ...audit }, flags.json, describeDataGroups);
      return;
    }
    if (flags.probe === undefined) {
      if (!flags.model) throw new UsageError('--data/--dataset group gaps need the classifier to measure: add --model DIR');
      if (flags.reference) throw new UsageError('--reference works with probe sets only (--probe)');
      const source = dataSourceFromFlags(flags)!;
      const { model, meta } = await loadClassifier(flags);
      try {
        const dataset = loadDatasetSource(source, { dataDir: flags.dataDir, seed: typeof meta.seed === 'number' ? meta.seed : 0, task: 'intent' });
        checkDataLabels(model, dataset.labels, `dataset "${dataset.name}"`, flags.model);
        const audit = dataGroupGaps(model, dataset.splits[flags.split], bootstrap);
        printResult({ model: flags.model, kind: model.kind, dataset: dataset.name, split: flags.split, ...audit }, flags.json, describeDataGroups);
      } finally {
        model.dispose();
      }
      return;
    }
    const probeFlags = { ...flags, probe: flags.probe, groups: flags.groups ?? 'gender' };
    if (!flags.model === !flags.reference) throw new UsageError('give exactly one of --model DIR or --reference vader');
    if (flags.reference) {
      const { audit } = auditGroups(vaderClassifier(), probeFlags);
      printResult({ model: 'vader', ...audit }, flags.json, describeGroups);
      return;
    }
    const { model } = await loadClassifier(flags);
    requireNamedLabels(model, flags.model!);
    try {
      const { audit } = auditGroups(model, probeFlags);
      printResult({ model: flags.model, kind: model.kind, ...audit }, flags.json, describeGroups);
    } finally {
      model.dispose();
    }
  });

  const apsCommand = addProbeOptions(
    fairness
      .command('aps')
      .description('accumulated prediction sensitivity (Krishna et al. 2022) on a probe set, per group, and its correlation with counterfactual change')
      .requiredOption('--model <path>', 'classifier checkpoint directory, or a TensorFlow.js model.json (or its directory) whose ids enter through an Embedding layer')
      .option('--protected-data <source>', 'training texts of the protected-status model: identity (the scheme\'s names and terms) or dataset (gendered texts of --dataset)', parseChoice('--protected-data', ['identity', 'dataset'] as const), 'identity')
      .option('--dataset <name>', 'dataset for --protected-data dataset (default: the one the model was trained on)')
      .option('--data-dir <dir>', 'data directory')
      .option('--class-weighting <w>', 'class weights w: probability, uniform or predicted', parseChoice('--class-weighting', ['probability', 'uniform', 'predicted'] as const), 'probability')
      .option('--form <form>', 'elementwise (w^T |J| v, the paper\'s) or directional (projection on the protected gradient)', parseChoice('--form', ['elementwise', 'directional'] as const), 'elementwise')
      .option('--l2 <penalty>', 'L2 penalty of the protected-status logistic regression', parseNumber('--l2', (n) => n > 0, 'a number > 0'), 0.01),
  );
  addUserModelOptions(apsCommand);
  withCommonOptions(apsCommand).action(async (flags: ProbeFlags & { protectedData: 'identity' | 'dataset'; dataset?: string; dataDir?: string; classWeighting: 'probability' | 'uniform' | 'predicted'; form: 'elementwise' | 'directional'; l2: number }) => {
    const { model, meta } = await loadClassifier(flags);
    requireNamedLabels(model, flags.model!);
    try {
      const result = auditSensitivity(model, {
        ...flags,
        dataset: flags.dataset ?? (typeof meta.dataset === 'string' ? meta.dataset : undefined),
        datasetSeed: typeof meta.seed === 'number' ? meta.seed : 0,
      });
      printResult({ model: flags.model, kind: model.kind, ...result }, flags.json, (r: typeof result) => {
        const s = r.correlationWithCounterfactual?.spearman;
        return (
          `${r.probe}: APS ${formatNumber(r.aps, 6)} [${formatNumber(r.ci?.low ?? Number.NaN, 6)}, ${formatNumber(r.ci?.high ?? Number.NaN, 6)}] (${r.form}, w = ${r.classWeighting})\n` +
          Object.entries(r.byGroup).map(([g, v]) => `  ${g}: ${formatNumber(v.aps, 6)}`).join('\n') +
          `\n  Spearman with counterfactual |Δp|: ${s ? `${formatNumber(s.estimate)} [${formatNumber(s.low)}, ${formatNumber(s.high)}]` : 'undefined (a constant variable)'}`
        );
      });
    } finally {
      model.dispose();
    }
  });

  const probesCommand = fairness.command('probes').description('list the probe sets: names, tasks, labels, sizes per group scheme and sources');
  probesCommand.option('--json', 'print exactly one JSON object on stdout', false).action((flags: { json?: boolean }) => {
    const probes = listProbeSets();
    printResult({ probes }, flags.json, () =>
      probes
        .map((p) => `${p.name} (${p.task}, ${p.labels.length} labels, positive "${p.positive}")\n` + p.schemes.map((s) => `  ${p.name}/${s.scheme}: ${s.size} examples (${Object.entries(s.groups).map(([g, n]) => `${g} ${n}`).join(', ')})`).join('\n'))
        .join('\n'),
    );
  });

  const swapCommand = fairness
    .command('swap')
    .description('gender-swapped counterfactual of a text (the CDA lexicon: built-in, debiaswe and GN-GloVe pairs, first names)')
    .argument('<text...>', 'the text (several arguments are joined by spaces)')
    .option('--names <when>', 'swap first names: capitalised (default), any (lower-cased text) or none', parseChoice('--names', ['capitalised', 'any', 'none'] as const), 'capitalised')
    .option('--data-dir <dir>', 'data directory with debiaswe/ and gn-glove-wordlists/ (none: built-in pairs only)')
    .option('--json', 'print exactly one JSON object on stdout', false);
  swapCommand.action((words: string[], flags: { names: 'capitalised' | 'any' | 'none'; dataDir?: string; json?: boolean }) => {
    const lexicon = genderSwapLexicon({ dataDir: flags.dataDir, names: flags.names !== 'none' });
    const result = swapGender(words.join(' '), lexicon, { names: flags.names });
    printResult(result, flags.json, (r: typeof result) => r.text);
  });

  return fairness;
}
