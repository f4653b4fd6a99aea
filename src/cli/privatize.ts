/**
 * `trustnlu privatize ...`: rewrite a data file's text column with a private text mechanism,
 * and inspect mechanisms before using them. Parsing only; the work is in src/privacy/text.
 *   privatize --mechanism madlib|mahalanobis|gumbel|adept --epsilon E --data FILE --text-column C --out FILE
 *   privatize stats --mechanism M --epsilon E --words w1,w2 [--samples N] [--replicates R]
 *   privatize choose-epsilon --mechanism M --target-unchanged P [--words ... | --sample-words N]
 *   privatize train-adept --public FILE --text-column C --out DIR   (the ADePT auto-encoder, on public text)
 */
import { InvalidArgumentError, type Command } from 'commander';
import { SeededRandom } from '../engine/random.js';
import { DatasetFormatError, UsageError } from '../errors.js';
import {
  AdeptAutoencoder,
  ADEPT_NOISES,
  OUT_OF_VOCABULARY_POLICIES,
  adeptRewrite,
  chooseEpsilon,
  createWordMechanism,
  loadEmbeddingSpace,
  plausibleDeniability,
  rewriteTexts,
  trainAdeptAutoencoder,
  type AdeptNoise,
  type EmbeddingSpace,
  type OutOfVocabularyPolicy,
  type WordMechanismName,
} from '../privacy/index.js';
import { readTable, writeTable, type Table } from '../data/table.js';
import { progressFor } from '../train/index.js';
import { formatNumber, parseChoice, parseInteger, parseNumber, printResult, startEngine, withCommonOptions } from './common.js';

export const PRIVATIZE_MECHANISMS = ['madlib', 'mahalanobis', 'gumbel', 'adept'] as const;
type CliMechanism = (typeof PRIVATIZE_MECHANISMS)[number];
const WORD_MECHANISM_OF: Record<Exclude<CliMechanism, 'adept'>, WordMechanismName> = { madlib: 'madlib', mahalanobis: 'mahalanobis', gumbel: 'truncated-gumbel' };

const parseEpsilon = parseNumber('--epsilon', (n) => n > 0, 'a number > 0');
const parseWords = (value: string): string[] => {
  const words = value.split(',').map((w) => w.trim().toLowerCase());
  if (words.some((w) => w === '')) throw new InvalidArgumentError(`--words must be words separated by commas, e.g. city,music; got "${value}"`);
  return words;
};

interface WordFlags {
  mechanism: CliMechanism;
  epsilon: number;
  textColumn?: string;
  out?: string;
  embeddings?: string;
  dataDir?: string;
  lambda?: number;
  seed?: number;
  json?: boolean;
  backend?: 'wasm' | 'cpu';
}

/** Options every privatize command shares, declared once on `privatize` (sub-commands read them with optsWithGlobals). */
function withSharedOptions(command: Command): Command {
  return withCommonOptions(
    command
      .option('--mechanism <name>', PRIVATIZE_MECHANISMS.join(' | '), parseChoice('--mechanism', PRIVATIZE_MECHANISMS))
      .option('--epsilon <e>', 'privacy parameter: per word and unit of embedding distance (madlib, mahalanobis, gumbel), per utterance (adept)', parseEpsilon)
      .option('--embeddings <file>', 'word2vec text file (default: the GloVe 100-d subset of the data directory)')
      .option('--data-dir <dir>', 'data directory (for the default embeddings)')
      .option('--lambda <l>', 'mahalanobis: weight of the embedding covariance, in [0, 1] (default 0.2)', parseNumber('--lambda', (n) => n >= 0 && n <= 1, 'a number in [0, 1]'))
      .option('--seed <n>', 'seed for reproducible experiments (the output is then NOT private: whoever knows the seed knows the noise)', parseInteger('--seed', 0))
      .option('--text-column <name>', 'the column holding the text')
      .option('--out <file>', 'output file (format from its extension; every other column kept), or directory (train-adept)'),
  );
}

/** --mechanism and --epsilon are required by every command but train-adept; word-only commands refuse adept. */
function requireMechanism<T extends { mechanism?: CliMechanism; epsilon?: number }>(flags: T, options: { epsilon: boolean; wordOnly: boolean }): T & { mechanism: CliMechanism } {
  if (!flags.mechanism) throw new UsageError(`--mechanism is required: ${PRIVATIZE_MECHANISMS.join(', ')}`);
  if (options.wordOnly && flags.mechanism === 'adept') throw new UsageError('this command is for the word mechanisms (madlib, mahalanobis, gumbel), not adept');
  if (options.epsilon && flags.epsilon === undefined) throw new UsageError('--epsilon is required');
  return flags as T & { mechanism: CliMechanism };
}

/** A data file (CSV, TSV, JSONL, JSON: the shared table reader) and the strings of its text column. */
function readTexts(path: string, textColumn: string): { table: Table; texts: string[] } {
  const table = readTable(path);
  if (!table.columns.includes(textColumn)) {
    throw new DatasetFormatError(`${path}: no column "${textColumn}" (columns: ${table.columns.join(', ')}); name the text column with --text-column`);
  }
  const texts = table.rows.map((row) => {
    const text = row.values[textColumn];
    if (text === undefined) throw new DatasetFormatError(`${path}:${row.line}: the row has no "${textColumn}" value; every row needs a text`);
    return text;
  });
  return { table, texts };
}

function checkLambda(flags: { mechanism: CliMechanism; lambda?: number }): void {
  if (flags.lambda !== undefined && flags.mechanism !== 'mahalanobis') throw new UsageError('--lambda applies to --mechanism mahalanobis only');
}

function warnIfSeeded(seed: number | undefined): void {
  if (seed !== undefined) process.stderr.write('trustnlu: --seed given: the noise is reproducible and the output is NOT private (use it for experiments only)\n');
}

function wordMechanism(space: EmbeddingSpace, flags: WordFlags, epsilon = flags.epsilon, seed = flags.seed) {
  if (flags.mechanism === 'adept') throw new UsageError('adept is not a word mechanism here');
  return createWordMechanism(WORD_MECHANISM_OF[flags.mechanism], space, { epsilon, seed, lambda: flags.lambda });
}

interface RewriteFlags extends WordFlags {
  data: string;
  textColumn: string;
  out: string;
  oov?: OutOfVocabularyPolicy;
  adeptModel?: string;
  adeptNoise: AdeptNoise;
  delta?: number;
  adeptPublishedNotDp: boolean;
}

async function rewriteFile(flags: RewriteFlags): Promise<void> {
  checkLambda(flags);
  const adept = flags.mechanism === 'adept';
  if (!adept) {
    const given = [flags.adeptModel && '--adept-model', flags.delta !== undefined && '--delta', flags.adeptPublishedNotDp && '--adept-published-not-dp'].filter(Boolean);
    if (given.length > 0) throw new UsageError(`${given.join(', ')} apply to --mechanism adept only`);
  } else {
    if (!flags.adeptModel) throw new UsageError('--mechanism adept needs --adept-model DIR (an auto-encoder from "trustnlu privatize train-adept")');
    if (flags.oov !== undefined) throw new UsageError('--oov does not apply to adept: its output only ever holds words of its own vocabulary');
    if (flags.embeddings !== undefined) throw new UsageError('--embeddings does not apply to adept');
    if (flags.adeptPublishedNotDp && flags.adeptNoise !== 'laplace') throw new UsageError('--adept-published-not-dp is the Laplace variant: add --adept-noise laplace');
    if (flags.adeptNoise === 'gaussian' && flags.delta === undefined) throw new UsageError('--adept-noise gaussian needs --delta (e.g. 1e-5)');
  }
  await startEngine(flags);
  warnIfSeeded(flags.seed);
  const { table, texts } = readTexts(flags.data, flags.textColumn);
  const started = Date.now();
  let result: Record<string, unknown>;
  let rewritten: string[];
  if (adept) {
    const model = AdeptAutoencoder.load(flags.adeptModel!);
    try {
      const r = adeptRewrite(model, texts, {
        noise: flags.adeptNoise,
        epsilon: flags.epsilon,
        delta: flags.delta,
        clip: model.config.clip,
        variant: flags.adeptPublishedNotDp ? 'published-not-dp' : 'corrected',
        seed: flags.seed,
      });
      rewritten = r.texts;
      result = { noise: r.plan.noise, variant: r.plan.variant, dp: r.plan.dp, actualEpsilon: r.plan.actualEpsilon, delta: r.plan.delta, clip: r.plan.clip, clipNorm: r.plan.clipNorm, noiseScale: r.plan.scale, secure: r.secure };
      if (!r.plan.dp) process.stderr.write(`trustnlu: the published ADePT variant is NOT ${flags.epsilon}-DP (its L1 sensitivity is 2C·√n, so it is ${formatNumber(r.plan.actualEpsilon, 2)}-DP); use it only to reproduce the paper\n`);
    } finally {
      model.dispose();
    }
  } else {
    const space = loadEmbeddingSpace({ path: flags.embeddings, dataDir: flags.dataDir });
    try {
      const r = rewriteTexts(wordMechanism(space, flags), texts, { outOfVocabulary: flags.oov ?? 'error' });
      rewritten = r.texts;
      result = { privatizedWords: r.privatized, changedWords: r.changed, outOfVocabularyKept: r.outOfVocabularyKept, outOfVocabularyDropped: r.outOfVocabularyDropped, outOfVocabularyExamples: r.outOfVocabularyExamples, secure: flags.seed === undefined };
    } finally {
      space.dispose();
    }
  }
  // Every other column as it was read (the shared reader keeps values as text).
  writeTable(flags.out, table.columns, table.rows.map((row, i) => ({ ...row.values, [flags.textColumn]: rewritten[i] })));
  const seconds = (Date.now() - started) / 1000;
  printResult({ mechanism: flags.mechanism, epsilon: flags.epsilon, rows: texts.length, out: flags.out, seconds, ...result }, flags.json, (r: Record<string, unknown>) =>
    `${r.rows} rows rewritten with ${r.mechanism} at ε = ${r.epsilon} → ${r.out} (${formatNumber(seconds, 1)} s)` +
      (r.changedWords !== undefined ? `; ${r.changedWords} of ${r.privatizedWords} words changed` : '') +
      (r.outOfVocabularyKept ? `; ${r.outOfVocabularyKept} out-of-vocabulary words kept verbatim (NOT private)` : '') +
      (r.outOfVocabularyDropped ? `; ${r.outOfVocabularyDropped} out-of-vocabulary words dropped` : ''));
}

function vocabularyWords(space: EmbeddingSpace, words: string[]): void {
  const missing = words.filter((w) => space.idOf(w) === undefined);
  if (missing.length > 0) throw new UsageError(`--words: ${missing.slice(0, 5).map((w) => JSON.stringify(w)).join(', ')} ${missing.length > 1 ? 'are' : 'is'} not in the embedding vocabulary (${space.size} words); choose words it has`);
}

export function registerPrivatize(program: Command): Command {
  const privatize = withSharedOptions(
    program
      .command('privatize')
      .description('rewrite the text column of a data file with a private text mechanism (word-level metric DP, or ADePT)')
      .option('--data <file>', 'data file to rewrite: .csv, .tsv, .jsonl or .json')
      .option('--oov <policy>', 'words missing from the embeddings: keep (released verbatim, NOT private) | drop; without it such a word is an error', parseChoice('--oov', OUT_OF_VOCABULARY_POLICIES.filter((p) => p !== 'error')))
      .option('--adept-model <dir>', 'adept: the auto-encoder (from "trustnlu privatize train-adept")')
      .option('--adept-noise <kind>', `adept: ${ADEPT_NOISES.join(' | ')} (gaussian: L2 clip, (ε, δ)-DP; laplace: L1 clip, ε-DP)`, parseChoice('--adept-noise', ADEPT_NOISES), 'gaussian')
      .option('--delta <d>', 'adept with gaussian noise: δ in (0, 1)', parseNumber('--delta', (n) => n > 0 && n < 1, 'a number in (0, 1)'))
      .option('--adept-published-not-dp', 'adept: the variant as published (L2 clip + Laplace at 2C/ε), which is NOT ε-DP (Habernal 2021); for reproducing the paper only', false)
      .addHelpText('after', '\nExamples:\n  trustnlu privatize --mechanism madlib --epsilon 10 --data utterances.csv --text-column text --out private.csv --oov drop --json\n  trustnlu privatize stats --mechanism madlib --epsilon 10 --words city,music --json'),
  );
  privatize.action(async (_options: unknown, command: Command) => {
    const flags = requireMechanism(command.optsWithGlobals() as RewriteFlags, { epsilon: true, wordOnly: false });
    const missing = [!flags.data && '--data', !flags.textColumn && '--text-column', !flags.out && '--out'].filter(Boolean);
    if (missing.length > 0) throw new UsageError(`privatize needs ${missing.join(', ')} (or a sub-command: stats, choose-epsilon, train-adept)`);
    await rewriteFile(flags);
  });

  privatize
    .command('stats')
    .description('plausible deniability of a word mechanism (--mechanism, --epsilon as for privatize): N_w, the probability a word comes out unchanged, with a 95% interval, and S_w, the distinct outputs in N draws')
    .requiredOption('--words <list>', 'words, comma-separated', parseWords)
    .option('--samples <n>', 'draws per word (and replicate)', parseInteger('--samples', 1), 1000)
    .option('--replicates <r>', 'independent replicates of N draws (≥ 2 gives an interval for S_w)', parseInteger('--replicates', 1), 1)
    .action(async (_options: unknown, command: Command) => {
      const flags = requireMechanism(command.optsWithGlobals() as WordFlags & { words: string[]; samples: number; replicates: number }, { epsilon: true, wordOnly: true });
      checkLambda(flags);
      await startEngine(flags);
      const space = loadEmbeddingSpace({ path: flags.embeddings, dataDir: flags.dataDir });
      try {
        vocabularyWords(space, flags.words);
        const stats = plausibleDeniability(wordMechanism(space, flags), flags.words, { samples: flags.samples, replicates: flags.replicates });
        const words = stats.map((s) => ({ word: s.word, unchanged: s.unchanged, distinct: s.distinct, unchangedInterval: s.unchangedInterval, distinctInterval: s.distinctInterval, topOutputs: s.outputs.slice(0, 5) }));
        printResult({ mechanism: flags.mechanism, epsilon: flags.epsilon, samples: flags.samples, replicates: flags.replicates, words }, flags.json, () =>
          words.map((w) => `${w.word}\tN_w = ${formatNumber(w.unchanged, 3)} [${formatNumber(w.unchangedInterval.low, 3)}, ${formatNumber(w.unchangedInterval.high, 3)}]\tS_w = ${formatNumber(w.distinct, 1)}\t${w.topOutputs.map((o) => `${o.word}:${o.count}`).join(' ')}`).join('\n'));
      } finally {
        space.dispose();
      }
    });

  privatize
    .command('choose-epsilon')
    .description("Madlib's rule for a word mechanism (--mechanism): the largest ε whose median N_w over a set of words is at most a target")
    .requiredOption('--target-unchanged <p>', 'target median N_w, in (0, 1)', parseNumber('--target-unchanged', (n) => n > 0 && n < 1, 'a number in (0, 1)'))
    .option('--words <list>', 'words, comma-separated (default: a random sample of the vocabulary)', parseWords)
    .option('--sample-words <n>', 'size of the random vocabulary sample', parseInteger('--sample-words', 1), 200)
    .option('--samples <n>', 'draws per word at each ε tried', parseInteger('--samples', 1), 200)
    .option('--low <e>', 'search bracket: lowest ε', parseEpsilon, 0.1)
    .option('--high <e>', 'search bracket: highest ε', parseEpsilon, 1000)
    .action(async (_options: unknown, command: Command) => {
      const flags = requireMechanism(command.optsWithGlobals() as WordFlags & { targetUnchanged: number; words?: string[]; sampleWords: number; samples: number; low: number; high: number }, { epsilon: false, wordOnly: true });
      if (flags.epsilon !== undefined) throw new UsageError('choose-epsilon finds ε: drop --epsilon');
      checkLambda(flags);
      await startEngine(flags);
      const space = loadEmbeddingSpace({ path: flags.embeddings, dataDir: flags.dataDir });
      try {
        const seed = flags.seed ?? 0;
        const words = flags.words ?? new SeededRandom(seed).fork('choose-epsilon-words').permutation(space.size).slice(0, Math.min(flags.sampleWords, space.size)).map((i) => space.words[i]);
        vocabularyWords(space, words);
        const r = chooseEpsilon({ create: (epsilon) => wordMechanism(space, { ...flags, epsilon }, epsilon, seed), words, targetMedianUnchanged: flags.targetUnchanged, low: flags.low, high: flags.high, samples: flags.samples });
        printResult({ mechanism: flags.mechanism, epsilon: r.epsilon, medianUnchanged: r.medianUnchanged, words: words.length, evaluations: r.evaluations }, flags.json, () =>
          `ε = ${formatNumber(r.epsilon, 4)}: median N_w = ${formatNumber(r.medianUnchanged.median, 3)} [${formatNumber(r.medianUnchanged.low, 3)}, ${formatNumber(r.medianUnchanged.high, 3)}] over ${words.length} words`);
      } finally {
        space.dispose();
      }
    });

  privatize
    .command('train-adept')
    .description("train ADePT's auto-encoder on PUBLIC text (never on the data you will rewrite); --text-column and --out (a directory) as for privatize")
    .requiredOption('--public <file>', 'public text: .csv, .tsv, .jsonl or .json')
    .option('--epochs <n>', 'epochs', parseInteger('--epochs', 1), 5)
    .option('--clip-norm <norm>', 'l2 (for gaussian noise and the published variant) | l1 (for laplace noise)', parseChoice('--clip-norm', ['l1', 'l2'] as const), 'l2')
    .option('--clip <c>', 'clip norm C of the encoder vector', parseNumber('--clip', (n) => n > 0, 'a number > 0'), 1)
    .option('--hidden <n>', 'LSTM size (the dimension of the noised vector)', parseInteger('--hidden', 1), 128)
    .action(async (_options: unknown, command: Command) => {
      const all = command.optsWithGlobals() as { public: string; textColumn?: string; out?: string; epochs: number; clipNorm: 'l1' | 'l2'; clip: number; hidden: number; seed?: number; mechanism?: string; epsilon?: number; json?: boolean; backend?: 'wasm' | 'cpu' };
      if (!all.textColumn || !all.out) throw new UsageError('train-adept needs --text-column and --out DIR');
      if (all.mechanism !== undefined || all.epsilon !== undefined) throw new UsageError('train-adept trains on public text and takes no --mechanism or --epsilon');
      const flags = { ...all, textColumn: all.textColumn, out: all.out, seed: all.seed ?? 0 };
      await startEngine(flags);
      const { texts } = readTexts(flags.public, flags.textColumn);
      const { model, history } = trainAdeptAutoencoder(texts, { epochs: flags.epochs, seed: flags.seed, batchSize: 128, learningRate: 5e-3, config: { clipNorm: flags.clipNorm, clip: flags.clip, hidden: flags.hidden }, progress: progressFor({ json: flags.json }) });
      try {
        model.save(flags.out, { publicData: flags.public, history });
      } finally {
        model.dispose();
      }
      printResult({ out: flags.out, texts: texts.length, history }, flags.json, () => `ADePT auto-encoder → ${flags.out} (${history.length} epochs, final loss ${formatNumber(history[history.length - 1].loss, 3)})`);
    });
  return privatize;
}
