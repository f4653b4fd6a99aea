/**
 * `trustnlu fl analytics heavy-hitters | histogram`: private federated analytics in the
 * simulator. Parsing only; the methods are in src/federated/analytics. Data comes from a named
 * dataset (users simulated by an IID deal, --users N) or the user's own file through the shared
 * table reader (real users from --user-column).
 */
import { InvalidArgumentError, type Command } from 'commander';
import { loadIntentDataset } from '../data/registry.js';
import { readTable, TABLE_FORMATS } from '../data/table.js';
import { DatasetFormatError, UsageError } from '../errors.js';
import {
  HEAVY_HITTER_METHODS,
  ITEM_UNITS,
  NOISE_MODES,
  assignUsers,
  distributedNoiseReport,
  dpLabelHistogram,
  dpStatisticHistogram,
  simulateHeavyHitters,
  userItemsFromTexts,
  type HeavyHitterMethod,
  type HeldText,
  type ItemUnit,
  type DistributedNoisePlan,
  type DistributedNoiseReport,
  type NoiseMode,
} from '../federated/analytics/index.js';
import { formatNumber, parseChoice, parseInteger, parseNumber, printResult } from './common.js';

interface AnalyticsDataFlags {
  dataset?: string;
  data?: string;
  format?: string;
  textColumn?: string;
  labelColumn?: string;
  userColumn?: string;
  label?: string;
  users?: number;
  seed: number;
  dataDir?: string;
}

interface PrivacyFlags {
  epsilon: number;
  delta?: number;
  noiseSeed?: number;
  secagg?: boolean;
  noise: NoiseMode;
  minReports?: number;
  json?: boolean;
}

/** ε: a number > 0, or "inf" for a run without noise (central methods only). */
function parseEpsilon(value: string): number {
  if (/^(inf|infinity)$/i.test(value.trim())) return Infinity;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`--epsilon must be a number > 0 or "inf", got "${value}"`);
  return n;
}

function addAnalyticsDataOptions(command: Command): Command {
  return command
    .option('--dataset <name>', 'a named intent dataset (its users are simulated: see --users)')
    .option('--data <path>', 'your own file (CSV, TSV, JSON lines or JSON) with a text column and a user column')
    .option('--format <format>', `format of --data: ${TABLE_FORMATS.join(' | ')} (default: from the extension)`, parseChoice('--format', TABLE_FORMATS))
    .option('--text-column <name>', 'column of --data holding the text (default "text")')
    .option('--label-column <name>', 'column of --data holding the label (default "label")')
    .option('--user-column <name>', 'column of --data holding the user or device')
    .option('--label <value>', 'keep only examples with this label (e.g. oos: the out-of-scope requests)')
    .option('--users <n>', 'deal the examples to N simulated users (IID); default for --dataset: one user per example', parseInteger('--users', 1))
    .option('--seed <n>', 'seed of the simulated users', parseInteger('--seed', 0), 0)
    .option('--data-dir <dir>', 'data directory of the named datasets (default: $TRUSTNLU_DATA)');
}

function addPrivacyOptions(command: Command, deltaHelp: string): Command {
  return command
    .requiredOption('--epsilon <e>', 'privacy budget ε of the whole run (a number > 0; "inf" for no noise)', parseEpsilon)
    .option('--delta <d>', deltaHelp, parseNumber('--delta', (n) => n > 0 && n < 1, 'a number in (0, 1)'))
    .option('--noise-seed <n>', 'seed the noise: reproducible and NOT private (experiments only)', parseInteger('--noise-seed', 0))
    .option('--secagg', 'run the secure-aggregation protocol each round (slow: key agreement per device); default: the same sum in the clear', false)
    .option('--noise <mode>', `${NOISE_MODES.join(' | ')}: the server adds Gaussian noise to the sum, or every device adds a discrete Gaussian share before the sum`, parseChoice('--noise', NOISE_MODES), 'central')
    .option('--min-reports <t>', 'distributed noise: the fewest reports for which a sum is revealed; each device adds σ²/t (default: every device)', parseInteger('--min-reports', 2))
    .option('--json', 'print exactly one JSON object on stdout', false);
}

/** --min-reports belongs to distributed noise. */
function checkNoiseFlags(flags: PrivacyFlags): void {
  if (flags.minReports !== undefined && flags.noise !== 'distributed') throw new UsageError('--min-reports applies to --noise distributed (the devices\' shares); drop it, or add --noise distributed');
}

/**
 * Top-level noise fields of a JSON result: the mechanism and, for distributed noise, each
 * device's share σ_i, t and the accounted (ε, δ) (null for ε = ∞; JSON has no infinity).
 */
function noiseSummary(details: object): { noiseMechanism: string; distributedNoise?: DistributedNoiseReport } {
  const d = details as { noiseMechanism?: string; distributedNoise?: DistributedNoisePlan };
  if (!d.noiseMechanism) return { noiseMechanism: 'local (randomised on each device)' };
  return { noiseMechanism: d.noiseMechanism, ...(d.distributedNoise ? { distributedNoise: distributedNoiseReport(d.distributedNoise) } : {}) };
}

interface LoadedTexts {
  texts: HeldText[];
  source: string;
  /** The dataset's out-of-scope label, when it has one. */
  outOfScopeLabel?: string;
  labels?: string[];
}

/** The examples with their holders, from --dataset or --data; contradictions are usage errors. */
function loadHeldTexts(flags: AnalyticsDataFlags): LoadedTexts {
  if ((flags.dataset === undefined) === (flags.data === undefined)) {
    throw new UsageError('name the data: --dataset NAME (simulated users) or --data FILE --user-column C (your users), one of the two');
  }
  if (flags.dataset !== undefined) {
    const stray = (
      [
        ['format', '--format'],
        ['textColumn', '--text-column'],
        ['labelColumn', '--label-column'],
        ['userColumn', '--user-column'],
      ] as const
    ).filter(([key]) => flags[key] !== undefined);
    if (stray.length > 0) throw new UsageError(`${stray.map(([, f]) => f).join(', ')} describe your own file: add --data FILE, or drop them (named datasets have no user column; use --users N)`);
    const dataset = loadIntentDataset(flags.dataset, { dataDir: flags.dataDir });
    const all = [...dataset.splits.train, ...dataset.splits.val, ...dataset.splits.test];
    const kept = flags.label === undefined ? all : all.filter((e) => e.label === flags.label);
    if (kept.length === 0) throw new UsageError(`--label ${flags.label}: no example of ${flags.dataset} has that label; labels include ${dataset.labels.slice(0, 5).join(', ')}${dataset.outOfScopeLabel ? ` and ${dataset.outOfScopeLabel}` : ''}`);
    const texts = assignUsers(kept, { kind: 'iid', users: flags.users ?? kept.length, seed: flags.seed });
    return { texts, source: `dataset ${flags.dataset}`, outOfScopeLabel: dataset.outOfScopeLabel, labels: dataset.labels };
  }
  const path = flags.data as string;
  if ((flags.userColumn === undefined) === (flags.users === undefined)) {
    throw new UsageError('--data needs its users: --user-column C (the file\'s user ids) or --users N (simulated), one of the two');
  }
  const table = readTable(path, { format: flags.format });
  const textColumn = flags.textColumn ?? 'text';
  const labelColumn = flags.labelColumn ?? 'label';
  const needLabel = flags.label !== undefined || flags.labelColumn !== undefined;
  for (const [column, flag, needed] of [
    [textColumn, '--text-column', true],
    [flags.userColumn, '--user-column', flags.userColumn !== undefined],
    [labelColumn, '--label-column', needLabel],
  ] as const) {
    if (needed && !table.columns.includes(column as string)) {
      throw new DatasetFormatError(`${path}: no column "${column}"; the file's columns are ${table.columns.map((c) => `"${c}"`).join(', ') || '(none)'}; name the right one with ${flag}`);
    }
  }
  const examples = table.rows.map(({ values, line }) => {
    const user = flags.userColumn !== undefined ? (values[flags.userColumn] ?? '').trim() : undefined;
    if (user === '') throw new DatasetFormatError(`${path}:${line}: column "${flags.userColumn}" (the user) is empty; every row needs a user`);
    const label = needLabel ? (values[labelColumn] ?? '').trim() : undefined;
    return { text: values[textColumn] ?? '', ...(label !== undefined ? { label } : {}), ...(user !== undefined ? { user } : {}) };
  });
  const kept = flags.label === undefined ? examples : examples.filter((e) => e.label === flags.label);
  if (kept.length === 0) throw new UsageError(`--label ${flags.label}: no row of ${path} has that label in column "${labelColumn}"`);
  const texts = flags.userColumn !== undefined ? assignUsers(kept, { kind: 'column' }) : assignUsers(kept, { kind: 'iid', users: flags.users as number, seed: flags.seed });
  const labels = needLabel ? [...new Set(kept.map((e) => e.label as string))].sort() : undefined;
  return { texts, source: `file ${path}`, ...(labels ? { labels } : {}) };
}

interface HeavyHitterFlags extends AnalyticsDataFlags, PrivacyFlags {
  k: number;
  method: HeavyHitterMethod;
  unit: ItemUnit;
  sampleRate: number;
  maxLength?: number;
  votesPerDevice?: number;
  sketchWidth: number;
  hashCount: number;
}

function registerHeavyHitters(analytics: Command): void {
  const command = analytics
    .command('heavy-hitters')
    .description('the k most common words or utterances across users, found under differential privacy (TrieHH with secure aggregation, or Count Mean Sketch under local DP)');
  addAnalyticsDataOptions(command);
  command
    .option('--k <k>', 'how many heavy hitters', parseInteger('--k', 1), 10)
    .option('--method <method>', `${HEAVY_HITTER_METHODS.join(' | ')}: central DP by a prefix tree over secure aggregation, or the local-DP Count Mean Sketch`, parseChoice('--method', HEAVY_HITTER_METHODS), 'triehh')
    .option('--unit <unit>', `${ITEM_UNITS.join(' | ')}: what counts as an item`, parseChoice('--unit', ITEM_UNITS), 'word')
    .option('--sample-rate <q>', 'triehh: share of devices sampled per round (Poisson)', parseNumber('--sample-rate', (n) => n > 0 && n <= 1, 'a number in (0, 1]'), 1)
    .option('--max-length <L>', 'triehh: longest item in characters (rounds = L + 1; default 16 for words, 48 for utterances)', parseInteger('--max-length', 1))
    .option('--votes-per-device <c>', 'triehh: most prefixes a device votes for per round (noise grows with √c; default 8 for words, 2 for utterances)', parseInteger('--votes-per-device', 1))
    .option('--sketch-width <m>', 'cms: sketch width', parseInteger('--sketch-width', 2), 1024)
    .option('--hash-count <k>', 'cms: number of hash functions', parseInteger('--hash-count', 1), 256);
  addPrivacyOptions(command, 'δ of the central method (required for triehh; cms is pure ε-LDP)');
  command.action(async (flags: HeavyHitterFlags) => {
    if (flags.method === 'triehh' && flags.delta === undefined) throw new UsageError('--method triehh needs --delta D (for example 1e-6, well below 1 / number of users)');
    if (flags.method === 'cms') {
      if (!Number.isFinite(flags.epsilon)) throw new UsageError('--method cms is local DP: every report is randomised, so --epsilon must be finite');
      if (flags.secagg) throw new UsageError('--secagg applies to triehh; cms reports are privatised on the device and need no secure aggregation');
      if (flags.noise !== 'central') throw new UsageError('--noise distributed applies to triehh; cms is local DP (every report randomised on the device)');
    }
    checkNoiseFlags(flags);
    if (flags.noise === 'distributed' && flags.sampleRate !== 1) throw new UsageError('--noise distributed needs --sample-rate 1 (sampling amplification is not accounted for distributed noise)');
    const loaded = loadHeldTexts(flags);
    const users = userItemsFromTexts(loaded.texts, flags.unit);
    const result = await simulateHeavyHitters({
      users,
      method: flags.method,
      k: flags.k,
      epsilon: flags.epsilon,
      delta: flags.delta ?? NaN,
      noiseSeed: flags.noiseSeed,
      sampleRate: flags.sampleRate,
      maxLength: flags.maxLength ?? (flags.unit === 'word' ? 16 : 48),
      votesPerDevice: flags.votesPerDevice ?? (flags.unit === 'word' ? 8 : 2),
      aggregation: flags.secagg ? 'secure' : 'plain',
      ...(flags.method === 'triehh' ? { noise: flags.noise, minReports: flags.minReports } : {}),
      sketchWidth: flags.sketchWidth,
      hashCount: flags.hashCount,
    });
    const out = { ...result, ...noiseSummary(result.details), unit: flags.unit, data: loaded.source, examples: loaded.texts.length };
    printResult(out, flags.json, (r: typeof out) =>
      [
        `${r.method} heavy hitters (${r.unit}s) of ${r.data}, ${r.users} users, ε = ${r.epsilon}${r.delta !== null ? `, δ = ${r.delta}` : ''}`,
        ...r.items.map((i, n) => `${String(n + 1).padStart(3)}. ${i.item}\testimate ${formatNumber(i.estimate, 1)}\ttrue ${i.trueCount}`),
        `recall ${formatNumber(r.recall, 3)}, precision ${formatNumber(r.precision, 3)} against the true top ${r.k} (simulation only)`,
      ].join('\n'),
    );
  });
}

interface HistogramFlags extends AnalyticsDataFlags, PrivacyFlags {
  statistic: 'labels' | 'oos-rate';
  oosLabel?: string;
  bins: number;
  clip: number;
}

function registerHistogram(analytics: Command): void {
  const command = analytics
    .command('histogram')
    .description('a differentially private histogram over devices: label counts, or the distribution of each device\'s out-of-scope rate');
  addAnalyticsDataOptions(command);
  command
    .option('--statistic <s>', 'labels (label counts) | oos-rate (each device\'s share of out-of-scope examples, binned)', parseChoice('--statistic', ['labels', 'oos-rate'] as const), 'labels')
    .option('--oos-label <label>', 'the out-of-scope label (default: the dataset\'s, e.g. oos for CLINC150)')
    .option('--bins <b>', 'oos-rate: number of bins over [0, 1]', parseInteger('--bins', 1), 10)
    .option('--clip <C>', 'labels: a device\'s count vector is scaled to L2 norm ≤ C', parseNumber('--clip', (n) => n > 0, 'a number > 0'), 5);
  addPrivacyOptions(command, 'δ (required)');
  command.action(async (flags: HistogramFlags) => {
    if (flags.delta === undefined) throw new UsageError('histogram needs --delta D (for example 1e-6)');
    if (!Number.isFinite(flags.epsilon)) throw new UsageError('histogram: --epsilon must be finite (a number > 0)');
    checkNoiseFlags(flags);
    if (flags.data !== undefined && flags.labelColumn === undefined) flags.labelColumn = 'label';
    const loaded = loadHeldTexts(flags);
    const byUser = new Map<string, string[]>();
    for (const t of loaded.texts) {
      const list = byUser.get(t.user) ?? [];
      list.push(t.label as string);
      byUser.set(t.user, list);
    }
    const common = {
      epsilon: flags.epsilon,
      delta: flags.delta,
      noiseSeed: flags.noiseSeed,
      aggregation: flags.secagg ? ('secure' as const) : ('plain' as const),
      noise: flags.noise,
      ...(flags.minReports !== undefined ? { minReports: flags.minReports } : {}),
    };
    let result: { noiseMechanism?: string; distributedNoise?: DistributedNoisePlan };
    if (flags.statistic === 'labels') {
      result = await dpLabelHistogram({ ...common, devices: [...byUser.values()], labels: loaded.labels ?? [], clipNorm: flags.clip });
    } else {
      const oos = flags.oosLabel ?? loaded.outOfScopeLabel;
      if (oos === undefined) throw new UsageError('--statistic oos-rate needs --oos-label LABEL (this data names no out-of-scope label)');
      if (!(loaded.labels ?? []).includes(oos) && loaded.outOfScopeLabel !== oos) throw new UsageError(`--oos-label ${oos}: no example has that label`);
      const values = [...byUser.values()].map((labels) => labels.filter((l) => l === oos).length / labels.length);
      result = await dpStatisticHistogram({ ...common, values, bins: flags.bins, range: [0, 1] });
    }
    const out = { statistic: flags.statistic, data: loaded.source, ...result, ...noiseSummary(result) };
    printResult(out, flags.json, (r: { bins: string[]; noisyCounts: number[]; trueCounts: number[]; epsilon: number; delta: number; devices: number }) =>
      [
        `DP histogram (${flags.statistic}) over ${r.devices} devices, ε = ${r.epsilon}, δ = ${r.delta}`,
        ...r.bins.map((b, i) => `${b}\t${formatNumber(r.noisyCounts[i], 1)}\t(true ${formatNumber(r.trueCounts[i], 1)})`),
      ].join('\n'),
    );
  });
}

export function registerFlAnalytics(fl: Command): void {
  const analytics = fl.command('analytics').description('private federated analytics: heavy hitters and histograms under differential privacy');
  registerHeavyHitters(analytics);
  registerHistogram(analytics);
}
