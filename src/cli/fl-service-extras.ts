/**
 * The flags `fl serve` and `fl client` take for private analytics and for feedback labels
 * (issue 21 in the service), kept beside fl-service.ts: parsing and checking only; the
 * analytics rounds are src/federated/server/analytics-rounds.ts, the clients
 * src/federated/client/analytics-answers.ts and src/federated/labels/feedback-client.ts.
 */
import { InvalidArgumentError, type Command } from 'commander';
import { ConfigError, DatasetFormatError } from '../errors.js';
import { readTable } from '../data/table.js';
import type { AnalyticsData } from '../federated/client/analytics-answers.js';
import type { Client } from '../federated/client/client.js';
import { NOISE_MODES, type NoiseMode } from '../federated/analytics/index.js';
import { ANALYTICS_KINDS, type AnalyticsKind, type AnalyticsSettings } from '../federated/server/analytics-rounds.js';
import { parseChoice, parseInteger, parseNumber } from './common.js';

export interface ServeAnalyticsFlags {
  analytics?: AnalyticsKind;
  analyticsEpsilon?: number;
  analyticsDelta: number;
  analyticsK: number;
  analyticsUnit: 'word' | 'utterance';
  analyticsMaxLength?: number;
  analyticsVotesPerDevice?: number;
  analyticsLabels?: string[];
  analyticsClip: number;
  analyticsMinClients?: number;
  analyticsTimeout?: number;
  analyticsNoise: NoiseMode;
}

function parseEpsilon(value: string): number {
  if (value === 'inf' || value === 'Infinity') return Infinity;
  const n = Number(value);
  if (!(n > 0 && Number.isFinite(n))) throw new InvalidArgumentError(`--analytics-epsilon takes a number > 0 or "inf" (no noise), got "${value}"`);
  return n;
}

function parseLabelList(value: string): string[] {
  const labels = value.split(',').map((l) => l.trim());
  if (labels.some((l) => l === '')) throw new InvalidArgumentError(`--analytics-labels takes comma-separated label names without empty ones, got "${value}"`);
  return labels;
}

export function addServeAnalyticsOptions(serve: Command): void {
  serve
    .option('--analytics <kind>', `one private analytics task run in analytics rounds: ${ANALYTICS_KINDS.join(' | ')} (results at GET /v1/admin/analytics and in --json)`, parseChoice('--analytics', ANALYTICS_KINDS))
    .option('--analytics-epsilon <e>', 'the analytics task\'s whole privacy budget ε (central DP; "inf": no noise)', parseEpsilon)
    .option('--analytics-delta <d>', 'the analytics task\'s δ', parseNumber('--analytics-delta', (n) => n > 0 && n < 1, 'in (0, 1)'), 1e-6)
    .option('--analytics-k <k>', 'heavy hitters: items to report', parseInteger('--analytics-k', 1), 10)
    .option('--analytics-unit <unit>', 'heavy hitters: word | utterance', parseChoice('--analytics-unit', ['word', 'utterance'] as const), 'word')
    .option('--analytics-max-length <L>', 'heavy hitters: longest item that can be found, in characters (default 16 for words, 48 for utterances)', parseInteger('--analytics-max-length', 1))
    .option('--analytics-votes-per-device <c>', 'heavy hitters: most candidates one client votes for per round (default 8 for words, 2 for utterances)', parseInteger('--analytics-votes-per-device', 1))
    .option('--analytics-labels <a,b,...>', 'histogram: the public label set (default: the dataset\'s labels)', parseLabelList)
    .option('--analytics-clip <C>', 'histogram: a client\'s label-count vector is scaled to L2 norm ≤ C', parseNumber('--analytics-clip', (n) => n > 0 && Number.isFinite(n), 'a number > 0'), 5)
    .option('--analytics-min-clients <n>', 'clients available to open an analytics round, and reports needed to release it (default: max(2, --min-clients))', parseInteger('--analytics-min-clients', 2))
    .option('--analytics-noise <mode>', `${NOISE_MODES.join(' | ')}: the server adds Gaussian noise after unmasking, or every client adds a discrete Gaussian share before masking (needs --secagg; σ_i is calibrated for --analytics-min-clients shares)`, parseChoice('--analytics-noise', NOISE_MODES), 'central')
    .option('--analytics-timeout <s>', 'how long an analytics round waits for its reports (default: --round-timeout)', parseNumber('--analytics-timeout', (n) => n > 0, 'a number > 0'));
}

/** The analytics settings the flags ask for (undefined without --analytics); usage errors name the flag. */
export function serveAnalyticsSettings(flags: ServeAnalyticsFlags & { minClients: number; rounds: number }, usage: (message: string) => never): AnalyticsSettings | undefined {
  if (flags.analytics === undefined) {
    const stray = Object.keys(flags).find((k) => k.startsWith('analytics') && k !== 'analytics' && (flags as unknown as Record<string, unknown>)[k] !== undefined && !['analyticsDelta', 'analyticsK', 'analyticsUnit', 'analyticsClip', 'analyticsNoise'].includes(k));
    if (stray) usage(`--${stray.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} needs --analytics heavy-hitters|histogram`);
    if (flags.rounds === 0) usage('--rounds 0 trains nothing: it is for an analytics-only federation (add --analytics heavy-hitters|histogram)');
    return undefined;
  }
  if (flags.analyticsEpsilon === undefined) usage('--analytics needs its privacy budget: --analytics-epsilon E (or "inf" for no noise, e.g. tests)');
  if (flags.analytics === 'heavy-hitters' && flags.analyticsLabels !== undefined) usage('--analytics-labels is for --analytics histogram');
  return {
    kind: flags.analytics!,
    epsilon: flags.analyticsEpsilon!,
    delta: flags.analyticsDelta,
    k: flags.analyticsK,
    unit: flags.analyticsUnit,
    ...(flags.analyticsMaxLength !== undefined ? { maxLength: flags.analyticsMaxLength } : {}),
    ...(flags.analyticsVotesPerDevice !== undefined ? { votesPerDevice: flags.analyticsVotesPerDevice } : {}),
    ...(flags.analyticsLabels !== undefined ? { labels: flags.analyticsLabels } : {}),
    clipNorm: flags.analyticsClip,
    minClients: flags.analyticsMinClients ?? Math.max(2, flags.minClients),
    ...(flags.analyticsTimeout !== undefined ? { timeoutMs: flags.analyticsTimeout * 1000 } : {}),
    noise: flags.analyticsNoise,
  };
}

export interface ClientDataFlags {
  data?: string;
  format?: string;
  textColumn: string;
  labelColumn?: string;
  deviceLabels: string;
  feedbackColumn?: string;
  predictedColumn?: string;
  feedbackRate: number;
  feedbackSeed: number;
}

export function addClientDataOptions(client: Command): void {
  client
    .option('--data <file>', 'this client\'s own data file (CSV, TSV, JSON lines, JSON): answers analytics rounds, and holds recorded feedback with --feedback-column')
    .option('--format <format>', 'format of --data (default: from its extension)')
    .option('--text-column <column>', 'column of --data with the utterances', 'text')
    .option('--label-column <column>', 'column of --data with labels (label histograms)')
    .option('--device-labels <source>', 'where training labels come from (--labels names a model.json\'s classes): gold (the partition\'s labels) | feedback[:NOISE] (simulated users react to the global model\'s predictions, wrongly with probability NOISE; or the recorded feedback of --data with --feedback-column)', 'gold')
    .option('--feedback-column <column>', 'recorded feedback in --data: positive | negative | none (with --predicted-column)')
    .option('--predicted-column <column>', 'recorded feedback in --data: the intent the deployed model predicted')
    .option('--feedback-rate <r>', 'simulated feedback: share of utterances the user reacts to', parseNumber('--feedback-rate', (n) => n > 0 && n <= 1, 'in (0, 1]'), 1)
    .option('--feedback-seed <n>', 'simulated feedback: seed of the simulated user (who reacts, who reacts wrongly)', parseInteger('--feedback-seed', 0), 0);
}

export type ClientLabelSource = { kind: 'gold' } | { kind: 'simulated-feedback'; noise: number } | { kind: 'recorded-feedback' };

/** What --labels and the feedback flags ask for; usage errors name the flag. */
export function clientLabelSource(flags: ClientDataFlags, usage: (message: string) => never): ClientLabelSource {
  const match = /^(gold|feedback)(?::(.+))?$/.exec(flags.deviceLabels);
  if (!match || (match[1] === 'gold' && match[2] !== undefined)) usage(`--device-labels takes gold or feedback[:NOISE], got "${flags.deviceLabels}"`);
  const recorded = flags.feedbackColumn !== undefined || flags.predictedColumn !== undefined;
  if (match![1] === 'gold') {
    if (recorded) usage('--feedback-column and --predicted-column go with --device-labels feedback');
    return { kind: 'gold' };
  }
  if (recorded) {
    if (flags.feedbackColumn === undefined || flags.predictedColumn === undefined) usage('recorded feedback needs both --feedback-column and --predicted-column');
    if (flags.data === undefined) usage('recorded feedback is read from --data FILE');
    if (match![2] !== undefined) usage('--device-labels feedback:NOISE simulates users; recorded feedback (--feedback-column) takes plain --device-labels feedback');
    return { kind: 'recorded-feedback' };
  }
  const noise = match![2] === undefined ? 0 : Number(match![2]);
  if (!(noise >= 0 && noise <= 1)) usage(`--device-labels feedback:NOISE takes NOISE in [0, 1], got "${match![2]}"`);
  return { kind: 'simulated-feedback', noise };
}

/** The columns of --data this client reads, checked against the file. */
export function readClientData(flags: ClientDataFlags): { analytics: AnalyticsData; feedback?: { text: string; predicted: string; feedback: string; where: string }[] } {
  const path = flags.data!;
  const table = readTable(path, { format: flags.format });
  for (const [column, flag] of [
    [flags.textColumn, '--text-column'],
    [flags.labelColumn, '--label-column'],
    [flags.feedbackColumn, '--feedback-column'],
    [flags.predictedColumn, '--predicted-column'],
  ] as const) {
    if (column !== undefined && !table.columns.includes(column)) {
      throw new DatasetFormatError(`${path}: no column "${column}"; the file's columns are ${table.columns.map((c) => `"${c}"`).join(', ') || '(none)'}; name the right one with ${flag}`);
    }
  }
  if (table.rows.length === 0) throw new DatasetFormatError(`${path} has no rows`);
  const value = (row: { values: Record<string, string | undefined> }, column: string) => (row.values[column] ?? '').trim();
  const texts = table.rows.map((r) => r.values[flags.textColumn] ?? '');
  const labels = flags.labelColumn !== undefined ? table.rows.map((r) => value(r, flags.labelColumn!)) : undefined;
  const feedback =
    flags.feedbackColumn !== undefined
      ? table.rows.map((r) => ({ text: r.values[flags.textColumn] ?? '', predicted: value(r, flags.predictedColumn!), feedback: value(r, flags.feedbackColumn!).toLowerCase(), where: `${path}:${r.line}` }))
      : undefined;
  return { analytics: { texts, ...(labels ? { labels } : {}) }, ...(feedback ? { feedback } : {}) };
}

/** A client of a federation without a model it can train (a synthetic one): it only answers analytics. */
export function analyticsOnlyClient(id: string, server: string): Client {
  const refuse = async (): Promise<never> => {
    throw new ConfigError(`the server at ${server} asked client "${id}" to train a synthetic model; an --data client of a synthetic federation only answers analytics (serve with --rounds 0)`);
  };
  return { id, fit: refuse, evaluate: refuse };
}
