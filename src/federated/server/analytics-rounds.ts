/**
 * Private federated analytics in the service (`fl serve --analytics heavy-hitters|histogram`):
 * one analytics task per server, fixed at start-up with its whole privacy budget, run in
 * analytics rounds beside the training rounds.
 *
 * - heavy-hitters: TrieHH (analytics/trie-rounds.ts). Round after round the server announces
 *   the surviving prefixes (the candidates are each prefix followed by every symbol of the
 *   public alphabet and END, in that order); every participant votes 1 for at most c distinct
 *   candidates its own items extend to; the server sums the votes (under secure aggregation
 *   when the service runs with it: a dense 0/1 vector over the candidates, masked), adds
 *   N(0, σ²c) to every count from the CSPRNG, and keeps the candidates at or above the
 *   threshold. σ is calibrated by analytics/gaussian-calibration.ts for the L + 1 planned rounds.
 * - histogram: one round; each participant sends its label counts over the public label set,
 *   scaled to L2 norm ≤ C (analytics/dp-histogram.ts), and the server adds N(0, σ²C²) per label.
 *
 * The server decides everything a client could influence: who takes part (the clients
 * available when the round opens), the candidates, the prefix length, c, C. A plain report is
 * refused (400 naming the problem) unless it is a set of at most c distinct offered candidates
 * (histogram: as many finite, non-negative counts as labels with norm ≤ C); one report per
 * client and round (an identical retry is a duplicate, a different one 409). Under secure
 * aggregation the server cannot check a masked vector: the 0/1 votes and the clip are the
 * client's promise (the semi-honest model SecAgg+ assumes), as for DP-FedAvg's clip.
 *
 * Central noise (the default) is added by the server after unmasking (central DP that trusts
 * the server to add it). Distributed noise (`noise: 'distributed'`, secure aggregation only):
 * the task tells every participant σ_i, and each adds its own discrete Gaussian share to every
 * coordinate before masking (analytics/distributed-noise.ts); σ_i is calibrated for t =
 * minClients shares, the fewest a round ever releases, and the server adds nothing. The server
 * decides σ_i; it cannot verify that a client added its share (masked), so clients are trusted
 * for that, as for their clip. A round whose votes did not arrive (fewer than the minimum, or a failed secure session)
 * releases nothing and is run again with new participants, at most three times. The task lives
 * in this process's memory: a restarted server starts it again (the released counts of a lost
 * run are lost with it; a new run spends a new budget).
 */
import { ConfigError } from '../../errors.js';
import {
  AnalyticsRandom,
  calibrateRounds,
  composedGaussianNoiseMultiplier,
  distributedNoiseRange,
  distributedNoiseReport,
  distributedNoiseStd,
  integerCountsL1Bound,
  integerCountsL2Bound,
  maxTrieCandidates,
  noCentralNoise,
  planDistributedNoise,
  ITEM_UNITS,
  NOISE_MODES,
  trieAlphabet,
  trieCandidates,
  trieRelease,
  DEFAULT_ALPHABET,
  type DistributedNoisePlan,
  type DistributedNoiseReport,
  type ItemUnit,
  type NoiseMechanism,
  type NoiseMode,
  type RoundsPrivacy,
} from '../analytics/index.js';
import type { ClientInfo } from '../selection/index.js';
import { checkedCounts, checkedVotes } from './analytics-reports.js';
import { FederationRequestError } from './request-error.js';
import { SecureAggregationRound, type SecureRequestAnswer, type SecureRoundOptions } from './secure-round.js';

export type AnalyticsKind = 'heavy-hitters' | 'histogram';
export const ANALYTICS_KINDS: readonly AnalyticsKind[] = ['heavy-hitters', 'histogram'];

export interface AnalyticsSettings {
  kind: AnalyticsKind;
  /** Budget of the whole task; Infinity adds no noise (tests, or a trusted evaluation). */
  epsilon: number;
  delta: number;
  /** heavy-hitters: how many items to report (default 10). */
  k?: number;
  /** heavy-hitters: what the clients' items are (default word). */
  unit?: ItemUnit;
  /** heavy-hitters: L, the longest item that can be found (default 16 for words, 48 for utterances). */
  maxLength?: number;
  /** heavy-hitters: c, the most candidates one client votes for per round (default 8 for words, 2 for utterances). */
  votesPerDevice?: number;
  /** heavy-hitters: the public alphabet (default a–z, 0–9, apostrophe, space). */
  alphabet?: string;
  /** heavy-hitters: prefixes kept per round (default max(256, 32k)). */
  maxPrefixesPerRound?: number;
  /** histogram: the public label set (the bins). */
  labels?: string[];
  /** histogram: C, a client's count vector is scaled to L2 norm ≤ C (default 5). */
  clipNorm?: number;
  /** Clients that must be available to open a round, and reports needed to release it (default 2). */
  minClients?: number;
  /** How long a round waits for its reports (default: the training round timeout). */
  timeoutMs?: number;
  /** 'central' (default): the server adds Gaussian noise; 'distributed': each client adds a discrete Gaussian share (needs secure aggregation). */
  noise?: NoiseMode;
}

/** GET /v1/analytics/{r}/task */
export interface AnalyticsTaskResponse {
  round: number;
  kind: AnalyticsKind;
  deadline: number;
  heavyHitters?: { level: number; unit: ItemUnit; maxLength: number; votesPerDevice: number; alphabet: string; prefixes: string[]; candidates: number };
  histogram?: { labels: string[]; clipNorm: number };
  secureAggregation?: { range: number; encoding: { range: number; fractionalBits: number; maxSummands: number } };
  /** Distributed noise: add an independent N_Z(0, shareSigma²) integer to every coordinate before masking (histograms: counts clipped as integers). */
  distributedNoise?: { shareSigma: number; minReports: number };
}

/** POST /v1/analytics/{r}/report (plain rounds). */
export interface AnalyticsReportRequest {
  /** heavy-hitters: the candidates voted for (distinct, offered this round, at most c). */
  votes?: string[];
  /** histogram: the client's clipped label counts, one per label of the task. */
  counts?: number[];
}

export interface AnalyticsRoundLog {
  round: number;
  /** heavy-hitters: the prefix length + 1 this round extends to. */
  level: number;
  candidates: number;
  participants: number;
  reports: number;
  status: 'released' | 'retried';
  survivors?: number;
  discovered?: number;
  /** heavy-hitters with distributed noise: this round's threshold (4 noise std of the sum of its reports' shares). */
  threshold?: number;
}

/** What the admin route and `fl serve --json` show. Everything in it is released (noisy) or known to the server anyway. */
export interface AnalyticsResult {
  kind: AnalyticsKind;
  status: 'waiting' | 'running' | 'done' | 'failed';
  message?: string;
  /** null for ε = ∞ (JSON has no infinity). */
  epsilon: number | null;
  delta: number;
  aggregation: 'secure' | 'plain';
  noise: 'CSPRNG';
  noiseMechanism: NoiseMechanism;
  /** Distributed noise: each client's share σ_i, t = minClients, and the accounted (ε, δ) (null: ε = ∞). */
  distributedNoise?: DistributedNoiseReport;
  noiseMultiplier: number;
  rounds: AnalyticsRoundLog[];
  /** heavy-hitters */
  items?: { item: string; estimate: number }[];
  discovered?: { item: string; estimate: number }[];
  k?: number;
  unit?: ItemUnit;
  maxLength?: number;
  votesPerDevice?: number;
  countNoiseStd?: number;
  threshold?: number;
  accountant?: RoundsPrivacy['accountant'];
  /** histogram */
  bins?: string[];
  noisyCounts?: number[];
  clipNorm?: number;
  noiseStd?: number;
}

interface OpenAnalyticsRound {
  round: number;
  level: number;
  participants: string[];
  candidates: string[];
  offered: Map<string, number>;
  prefixes: string[];
  deadline: number;
  reports: Map<string, { key: string; indices: number[]; values?: number[] }>;
  secure?: SecureAggregationRound;
}

const MAX_ATTEMPTS_PER_LEVEL = 3;

export function checkAnalyticsSettings(settings: AnalyticsSettings): void {
  if (!ANALYTICS_KINDS.includes(settings.kind)) throw new ConfigError(`analytics must be one of ${ANALYTICS_KINDS.join(', ')}, got "${String(settings.kind)}"`);
  if (!(settings.epsilon > 0)) throw new ConfigError(`analytics epsilon must be > 0 (or Infinity), got ${settings.epsilon}`);
  if (!(settings.delta > 0 && settings.delta < 1)) throw new ConfigError(`analytics delta must be in (0, 1), got ${settings.delta}`);
  const positiveInteger = (name: string, v: number | undefined) => {
    if (v !== undefined && !(Number.isInteger(v) && v >= 1)) throw new ConfigError(`analytics ${name} must be an integer ≥ 1, got ${v}`);
  };
  positiveInteger('k', settings.k);
  positiveInteger('max length', settings.maxLength);
  positiveInteger('votes per device', settings.votesPerDevice);
  positiveInteger('max prefixes per round', settings.maxPrefixesPerRound);
  if (settings.unit !== undefined && !ITEM_UNITS.includes(settings.unit)) throw new ConfigError(`analytics unit must be one of ${ITEM_UNITS.join(', ')}, got "${settings.unit}"`);
  if (settings.minClients !== undefined && !(Number.isInteger(settings.minClients) && settings.minClients >= 2)) {
    throw new ConfigError(`analytics min clients must be an integer ≥ 2, got ${settings.minClients}`);
  }
  if (settings.kind === 'histogram') {
    const labels = settings.labels ?? [];
    if (labels.length === 0) throw new ConfigError('a label histogram needs the public label set (--analytics-labels a,b,c, or a dataset federation)');
    if (new Set(labels).size !== labels.length) throw new ConfigError('the analytics labels must be distinct');
    if (settings.clipNorm !== undefined && !(settings.clipNorm > 0 && Number.isFinite(settings.clipNorm))) throw new ConfigError(`analytics clip norm must be a finite number > 0, got ${settings.clipNorm}`);
  }
  if (settings.alphabet !== undefined) trieAlphabet(settings.alphabet);
  if (settings.noise !== undefined && !NOISE_MODES.includes(settings.noise)) throw new ConfigError(`analytics noise must be one of ${NOISE_MODES.join(', ')}, got "${String(settings.noise)}"`);
}

export class AnalyticsRounds {
  private readonly kind: AnalyticsKind;
  private readonly unit: ItemUnit;
  private readonly maxLength: number;
  private readonly votesPerDevice: number;
  private readonly alphabet: string[];
  private readonly k: number;
  private readonly maxPrefixes: number;
  private readonly labels: string[];
  private readonly clipNorm: number;
  private readonly minClients: number;
  private readonly privacy: RoundsPrivacy;
  private readonly countNoiseStd: number;
  private readonly threshold: number;
  private readonly distributed: DistributedNoisePlan | undefined;
  private readonly random = AnalyticsRandom.from();
  private status: AnalyticsResult['status'] = 'waiting';
  private message: string | undefined;
  private level = 1;
  private attempts = 0;
  private prefixes: string[] = [''];
  private readonly discovered: { item: string; estimate: number }[] = [];
  private noisyCounts: number[] | undefined;
  private readonly log: AnalyticsRoundLog[] = [];
  private sequence = 0;
  private open: OpenAnalyticsRound | undefined;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly settings: AnalyticsSettings,
    /** Secure aggregation of the votes (the service's SecAgg+ settings), or plain sums. */
    private readonly secure: Omit<SecureRoundOptions, 'range'> | undefined,
    private readonly clock: () => number,
    private readonly defaultTimeoutMs: number,
    private readonly available: () => Promise<ClientInfo[]>,
    private readonly changed: () => void,
    private readonly emit: (event: string, data: Record<string, unknown>) => void,
  ) {
    checkAnalyticsSettings(settings);
    this.kind = settings.kind;
    this.unit = settings.unit ?? 'word';
    this.maxLength = settings.maxLength ?? (this.unit === 'word' ? 16 : 48);
    this.votesPerDevice = settings.votesPerDevice ?? (this.unit === 'word' ? 8 : 2);
    this.alphabet = trieAlphabet(settings.alphabet ?? DEFAULT_ALPHABET);
    this.k = settings.k ?? 10;
    this.maxPrefixes = settings.maxPrefixesPerRound ?? Math.max(256, 32 * this.k);
    this.labels = settings.labels ?? [];
    this.clipNorm = settings.clipNorm ?? 5;
    this.minClients = settings.minClients ?? 2;
    if (settings.noise === 'distributed') {
      if (!secure) {
        throw new ConfigError('distributed analytics noise needs secure aggregation (--secagg): without masking the server would see each client\'s vector with only its own small share of noise; add --secagg or use central noise');
      }
      const heavy = this.kind === 'heavy-hitters';
      this.distributed = planDistributedNoise({
        epsilon: settings.epsilon,
        delta: settings.delta,
        rounds: heavy ? this.maxLength + 1 : 1,
        minReports: this.minClients,
        l1Sensitivity: heavy ? this.votesPerDevice : integerCountsL1Bound(this.clipNorm, this.labels.length),
        l2Sensitivity: heavy ? Math.sqrt(this.votesPerDevice) : integerCountsL2Bound(this.clipNorm),
        // a round sums one count per candidate or per label
        dimension: heavy ? maxTrieCandidates(this.alphabet.length, this.maxPrefixes) : Math.max(1, this.labels.length),
      });
      this.privacy = noCentralNoise(this.distributed);
      // at the fewest reports a round releases; a round with more reports carries more noise (its threshold is its own)
      this.countNoiseStd = distributedNoiseStd(this.distributed, this.minClients);
      this.threshold = heavy ? Math.max(1, 4 * this.countNoiseStd) : 0;
    } else if (this.kind === 'heavy-hitters') {
      this.privacy = calibrateRounds({ epsilon: settings.epsilon, delta: settings.delta, rounds: this.maxLength + 1 });
      // one client moves a round's vote vector by at most √c (at most c ones)
      this.countNoiseStd = this.privacy.noiseMultiplier * Math.sqrt(this.votesPerDevice);
      this.threshold = Math.max(1, 4 * this.countNoiseStd);
    } else {
      this.privacy = calibrateRounds({ epsilon: settings.epsilon, delta: settings.delta, rounds: 1 });
      this.countNoiseStd = composedGaussianNoiseMultiplier(settings.epsilon, settings.delta, 1) * this.clipNorm;
      this.threshold = 0;
    }
  }

  /** The task still needs clients (waiting for its first round, or running). */
  get running(): boolean {
    return this.status === 'waiting' || this.status === 'running';
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const next = this.chain.then(work, work);
    this.chain = next.catch(() => undefined);
    return next;
  }

  /** The analytics round this client should answer now, if it is a participant that has not answered. */
  pendingFor(clientId: string): { round: number; deadline: number } | undefined {
    const open = this.open;
    if (!open || !open.participants.includes(clientId) || this.clock() >= open.deadline) return undefined;
    if (open.secure) {
      // a party joins while the session takes keys; afterwards it is in (its runner carries on) or out
      if (open.secure.stage !== 'advertise' || open.secure.requestFor(clientId).request === undefined) return undefined;
    } else if (open.reports.has(clientId)) return undefined;
    return { round: open.round, deadline: open.deadline };
  }

  /** Closes a round past its deadline (or a finished secure session) and opens the next when enough clients are available. */
  async tick(): Promise<void> {
    await this.serial(async () => {
      const open = this.open;
      if (open?.secure) {
        while (await open.secure.advance()) this.changed();
        if (open.secure.finished) await this.close(open);
      }
      if (this.open && this.clock() >= this.open.deadline) await this.close(this.open);
      if (!this.open && this.running) await this.openNext();
    });
  }

  private async openNext(): Promise<void> {
    const available = (await this.available()).map((c) => c.id).sort();
    if (available.length < this.minClients) return;
    const round = ++this.sequence;
    const candidates = this.kind === 'heavy-hitters' ? trieCandidates(this.prefixes, this.alphabet) : this.labels.slice();
    const open: OpenAnalyticsRound = {
      round,
      level: this.level,
      participants: available,
      candidates,
      offered: new Map(candidates.map((c, i) => [c, i])),
      prefixes: this.prefixes.slice(),
      deadline: this.clock() + (this.settings.timeoutMs ?? this.defaultTimeoutMs),
      reports: new Map(),
    };
    if (this.secure) {
      // no journal: an analytics task lives in this process (see the header)
      const valueRange = this.kind === 'heavy-hitters' ? 1 : this.clipNorm;
      // distributed noise: integer vectors plus shares, in a range wide enough for 40 share std (0 fractional bits)
      const range = this.distributed ? distributedNoiseRange(this.distributed, Math.floor(valueRange + 1e-9), available.length) : valueRange;
      open.secure = await SecureAggregationRound.start(available, candidates.length, { ...this.secure, range }, this.clock, async () => undefined);
    }
    this.open = open;
    this.status = 'running';
    this.changed();
    this.emit('analytics-round-open', { round, kind: this.kind, level: this.level, candidates: candidates.length, participants: available.length, secure: open.secure !== undefined });
  }

  private openRound(roundText: string, clientId: string): OpenAnalyticsRound {
    if (!/^[1-9]\d{0,14}$/.test(roundText)) throw new FederationRequestError(400, 'BadRequest', `the analytics round must be a positive integer written without leading zeros or signs, got "${roundText.slice(0, 40)}"`);
    const round = Number(roundText);
    const open = this.open;
    if (!open || open.round !== round) {
      throw new FederationRequestError(409, 'StaleRound', `analytics round ${round} is not open${open ? `; the open one is ${open.round}` : ''}; check in for a new task`);
    }
    if (!open.participants.includes(clientId)) throw new FederationRequestError(403, 'NotSelected', `client "${clientId}" is not a participant of analytics round ${round}`);
    return open;
  }

  task(clientId: string, roundText: string): AnalyticsTaskResponse {
    const open = this.openRound(roundText, clientId);
    return {
      round: open.round,
      kind: this.kind,
      deadline: open.deadline,
      ...(this.kind === 'heavy-hitters'
        ? {
            heavyHitters: {
              level: open.level,
              unit: this.unit,
              maxLength: this.maxLength,
              votesPerDevice: this.votesPerDevice,
              alphabet: this.alphabet.join(''),
              prefixes: open.prefixes,
              candidates: open.candidates.length,
            },
          }
        : { histogram: { labels: this.labels.slice(), clipNorm: this.clipNorm } }),
      ...(open.secure ? { secureAggregation: { range: open.secure.encoding.range, encoding: { ...open.secure.encoding } } } : {}),
      ...(this.distributed ? { distributedNoise: { shareSigma: this.distributed.shareSigma, minReports: this.distributed.minReports } } : {}),
    };
  }

  report(clientId: string, roundText: string, body: AnalyticsReportRequest): Promise<{ accepted: true; round: number; duplicate: boolean }> {
    return this.serial(async () => {
      const open = this.openRound(roundText, clientId);
      if (open.secure) throw new FederationRequestError(409, 'Conflict', `analytics round ${open.round} uses secure aggregation: send the masked vector through /v1/analytics/${open.round}/secagg, never plain votes`);
      const key = JSON.stringify(body, Object.keys(body).sort());
      const previous = open.reports.get(clientId);
      if (previous) {
        if (previous.key === key) return { accepted: true as const, round: open.round, duplicate: true };
        throw new FederationRequestError(409, 'Conflict', `client "${clientId}" already reported for analytics round ${open.round}; one report per client and round`);
      }
      if (this.clock() >= open.deadline) throw new FederationRequestError(409, 'StaleRound', `analytics round ${open.round} passed its deadline`);
      const checked = this.kind === 'heavy-hitters' ? checkedVotes(body, { round: open.round, level: open.level, offered: open.offered, votesPerDevice: this.votesPerDevice }) : checkedCounts(body, this.labels.length, this.clipNorm);
      open.reports.set(clientId, { key, ...checked });
      if (open.reports.size >= open.participants.length) await this.close(open);
      return { accepted: true as const, round: open.round, duplicate: false };
    });
  }

  secureRequest(clientId: string, roundText: string): SecureRequestAnswer {
    const open = this.openRound(roundText, clientId);
    if (!open.secure) throw new FederationRequestError(409, 'Conflict', `analytics round ${open.round} does not use secure aggregation; send POST /v1/analytics/${open.round}/report`);
    return open.secure.requestFor(clientId);
  }

  secureReply(clientId: string, roundText: string, stage: string, body: unknown): Promise<{ accepted: true; stage: string; duplicate?: true }> {
    return this.serial(async () => {
      const open = this.openRound(roundText, clientId);
      if (!open.secure) throw new FederationRequestError(409, 'Conflict', `analytics round ${open.round} does not use secure aggregation`);
      const outcome = await open.secure.receive(clientId, stage, body);
      while (await open.secure.advance()) this.changed();
      if (open.secure.finished) await this.close(open);
      return { accepted: true as const, stage, ...(outcome === 'duplicate' ? { duplicate: true as const } : {}) };
    });
  }

  /** The round's sum (or nothing, when too few reports arrived or the secure session failed), noised and released. */
  private async close(open: OpenAnalyticsRound): Promise<void> {
    if (this.open !== open) return;
    this.open = undefined;
    let sums: Float64Array | undefined;
    let reports: number;
    if (open.secure) {
      const survivors = open.secure.stage === 'done' ? open.secure.includedParties() : [];
      reports = survivors.length;
      if (survivors.length >= this.minClients) sums = Float64Array.from(open.secure.result!.values);
    } else {
      reports = open.reports.size;
      if (reports >= this.minClients) {
        sums = new Float64Array(open.candidates.length);
        for (const r of open.reports.values()) r.indices.forEach((index, j) => (sums![index] += r.values?.[j] ?? 1));
      }
    }
    const entry: AnalyticsRoundLog = { round: open.round, level: open.level, candidates: open.candidates.length, participants: open.participants.length, reports, status: sums ? 'released' : 'retried' };
    this.log.push(entry);
    if (!sums) {
      // nothing released: running the level again costs no privacy
      this.attempts++;
      if (this.attempts >= MAX_ATTEMPTS_PER_LEVEL) {
        this.status = 'failed';
        this.message = `analytics round ${open.round} (level ${open.level}) got ${reports} reports in ${this.attempts} attempts; at least ${this.minClients} are needed`;
      }
      this.emit('analytics-round-retried', { round: open.round, reports, attempts: this.attempts, ...(open.secure?.failureMessage ? { message: open.secure.failureMessage } : {}) });
      this.changed();
      return;
    }
    this.attempts = 0;
    // distributed: the clients' shares are already in the sum
    const noise = this.distributed ? new Float64Array(open.candidates.length) : this.random.gaussian(open.candidates.length, this.countNoiseStd);
    if (this.kind === 'histogram') {
      this.noisyCounts = [...sums].map((s, i) => s + noise[i]);
      this.status = 'done';
    } else {
      const threshold = this.distributed ? Math.max(1, 4 * distributedNoiseStd(this.distributed, reports)) : this.threshold;
      if (this.distributed) entry.threshold = threshold;
      const release = trieRelease(open.candidates, sums, noise, threshold, this.maxPrefixes);
      this.discovered.push(...release.discovered);
      this.prefixes = release.prefixes;
      entry.survivors = release.survivors;
      entry.discovered = release.discovered.length;
      this.level++;
      if (this.prefixes.length === 0 || this.level > this.maxLength + 1) this.status = 'done';
    }
    this.emit('analytics-round-closed', { round: open.round, level: open.level, reports, status: this.status });
    this.changed();
  }

  result(): AnalyticsResult {
    const base = {
      kind: this.kind,
      status: this.status,
      ...(this.message ? { message: this.message } : {}),
      epsilon: Number.isFinite(this.settings.epsilon) ? this.settings.epsilon : null,
      delta: this.settings.delta,
      aggregation: this.secure ? ('secure' as const) : ('plain' as const),
      noise: 'CSPRNG' as const,
      noiseMechanism: this.distributed ? ('distributed-discrete-gaussian' as const) : ('central-gaussian' as const),
      ...(this.distributed ? { distributedNoise: distributedNoiseReport(this.distributed) } : {}),
      noiseMultiplier: this.privacy.noiseMultiplier,
      rounds: this.log.map((r) => ({ ...r })),
    };
    if (this.kind === 'histogram') {
      return { ...base, bins: this.labels.slice(), clipNorm: this.clipNorm, noiseStd: this.countNoiseStd, ...(this.noisyCounts ? { noisyCounts: this.noisyCounts.slice() } : {}) };
    }
    const discovered = [...this.discovered].sort((a, b) => b.estimate - a.estimate || (a.item < b.item ? -1 : 1));
    return {
      ...base,
      items: discovered.slice(0, this.k),
      discovered,
      k: this.k,
      unit: this.unit,
      maxLength: this.maxLength,
      votesPerDevice: this.votesPerDevice,
      countNoiseStd: this.countNoiseStd,
      threshold: this.threshold,
      accountant: this.privacy.accountant,
    };
  }

  async drain(): Promise<void> {
    await this.chain;
  }
}
