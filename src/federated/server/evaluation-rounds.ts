/**
 * Federated evaluation in the service (`fl serve --evaluate-every R --evaluation-clients K`):
 * after every R-th completed round the server samples K of the available clients (seeded by
 * the federation's seed and the round) and asks each, at its next check-in, to evaluate that
 * round's model on its own held-out data. The client fetches the evaluation task
 * (evaluation-protocol.ts), which says what to compute and how to send it:
 *   - plain: it posts its sums (`POST /v1/rounds/{r}/evaluation`), checked for consistency and
 *     against the counts the server knows (evaluation-report-checks.ts), once per client;
 *   - secure (the federation runs with `--secagg`): the evaluation has its own SecAgg+ session
 *     (secure-round.ts, the state machine training rounds use) whose parties are the K sampled
 *     clients; each masks its moment vector, per metric [y, n, y², yn, n²] over public scales,
 *     and the server unmasks only the sums, from which `ratioEstimateFromMoments` gives the
 *     estimate and its clustered interval. Dropouts are what they are in training rounds: a
 *     party silent at a stage's deadline is dropped, the session tolerates it down to its
 *     threshold, and the survivors' sum is the evaluation (K = the survivors);
 *   - personalised (`--evaluation-personalise-epochs E`): the task carries the server's bounded
 *     fine-tuning settings; each client fine-tunes on its train share and reports the sums after
 *     as well, and the service reports the accuracy before, after, the example-weighted change
 *     and the share of clients that improved, each with its interval (plain or secure).
 * The evaluation closes when all K have reported (plain), when its session is over (secure), or
 * at its deadline with what arrived (at least 2 clients); its estimates are written into that
 * round's metrics: `/v1/rounds`, the dashboard, and the store (durable once written).
 *
 * An open evaluation, secure session included, lives in this process's memory (its session is
 * not journaled): a crash loses it, and the round keeps its training metrics. A shared (Redis,
 * several processes) federation does not offer federated evaluation.
 */
import { SeededRandom } from '../../engine/random.js';
import { ConfigError } from '../../errors.js';
import {
  DEFAULT_REPORT_LIMITS,
  PERSONALISED_METRICS,
  PLAIN_METRICS,
  metricEstimates,
  momentsFromSum,
  type ClientEvaluationReport,
  type RatioMetric,
  type ReportLimits,
} from '../evaluation/client-report.js';
import { ratioEstimateFromMoments, type RatioEstimate } from '../evaluation/ratio-estimator.js';
import type { ClientInfo } from '../selection/index.js';
import {
  EVALUATION_PATHS,
  personalisationProblem,
  type EvaluationReportRequest,
  type EvaluationReportResponse,
  type EvaluationTaskResponse,
  type PersonalisationTask,
} from './evaluation-protocol.js';
import { checkedEvaluationReport } from './evaluation-report-checks.js';
import { PATHS } from './protocol.js';
import { FederationRequestError } from './request-error.js';
import { SecureAggregationRound, type SecureRequestAnswer } from './secure-round.js';

export type { EvaluationReportRequest, EvaluationReportResponse } from './evaluation-protocol.js';

export interface FederatedEvaluationSettings {
  /** Evaluate after every this many completed rounds. */
  every: number;
  /** K: clients asked per evaluation (fewer when fewer are available; at least 2). */
  clients: number;
  limits?: Partial<ReportLimits>;
  confidence?: number;
  /** How long an evaluation waits for its reports (default: the round timeout). */
  timeoutMs?: number;
  /** Personalised evaluation: each sampled client fine-tunes on its train share with these settings (the seed is set per client). */
  personalisation?: Omit<PersonalisationTask, 'seed'>;
  /** Held-out examples each client holds, when the server knows them (a dataset federation): a report may not count more. */
  heldOutExamples?: ReadonlyMap<string, number>;
}

/** What the coordinator gives its evaluation rounds. */
export interface EvaluationRoundsContext {
  seed: number;
  clock: () => number;
  defaultTimeoutMs: number;
  /** Writes the estimates into the round's metrics (store and history). */
  record: (round: number, metrics: Record<string, number>) => Promise<void>;
  emit: (event: string, data: Record<string, unknown>) => void;
  /** Wakes long-polling requests (a secure stage moved on). */
  notify?: () => void;
  /** Training examples the server knows a client holds (its enrolled count): caps a personalised report. */
  trainExamplesOf?: (clientId: string) => number | undefined;
  /** The federation aggregates securely: so do its evaluations (the stage timeout and graph of its sessions). */
  secure?: { stageTimeoutMs: number; neighbours?: number; threshold?: number };
}

interface OpenEvaluation {
  round: number;
  modelVersion: number;
  selected: Set<string>;
  /** The clients the sample was drawn from (N of the finite-population correction). */
  frame: number;
  reports: Map<string, { key: string; report: ClientEvaluationReport }>;
  deadline: number;
  secure?: SecureAggregationRound;
}

export function checkEvaluationSettings(settings: FederatedEvaluationSettings): void {
  if (!Number.isInteger(settings.every) || settings.every < 1) throw new ConfigError(`evaluate-every must be an integer ≥ 1, got ${settings.every}`);
  if (!Number.isInteger(settings.clients) || settings.clients < 2) throw new ConfigError(`evaluation clients must be an integer ≥ 2 (an interval needs two clients), got ${settings.clients}`);
  if (settings.personalisation) {
    const problem = personalisationProblem({ ...settings.personalisation, seed: 0 });
    if (problem) throw new ConfigError(problem);
  }
  const limits = settings.limits ?? {};
  if (limits.maxExamples !== undefined && !(Number.isInteger(limits.maxExamples) && limits.maxExamples >= 1)) throw new ConfigError(`the evaluation report limit must be an integer ≥ 1, got ${limits.maxExamples}`);
  if (limits.maxLoss !== undefined && !(limits.maxLoss > 0 && Number.isFinite(limits.maxLoss))) throw new ConfigError(`the evaluation loss cap must be a finite number > 0, got ${limits.maxLoss}`);
}

/** `federated` + the metric's name capitalised (personalised metrics: `federatedPersonalised...`). */
function metricKey(metric: string, personalised: boolean): string {
  const cap = `${metric.charAt(0).toUpperCase()}${metric.slice(1)}`;
  return personalised ? `federatedPersonalised${cap}` : `federated${cap}`;
}

export class EvaluationRounds {
  private open: OpenEvaluation | undefined;
  private closing: Promise<void> = Promise.resolve();
  /** Secure replies and stage closes, one at a time. */
  private secureChain: Promise<unknown> = Promise.resolve();
  private readonly limits: ReportLimits;
  private readonly metrics: readonly RatioMetric[];

  constructor(
    private readonly settings: FederatedEvaluationSettings,
    private readonly context: EvaluationRoundsContext,
  ) {
    checkEvaluationSettings(settings);
    const limits = { ...DEFAULT_REPORT_LIMITS, ...(settings.limits ?? {}) };
    // known held-out counts tighten the public scale (a secure encoding's precision and every client's bound)
    const counts = settings.heldOutExamples ? [...settings.heldOutExamples.values()] : [];
    if (counts.length > 0) limits.maxExamples = Math.min(limits.maxExamples, Math.max(1, ...counts));
    this.limits = limits;
    this.metrics = [...PLAIN_METRICS, ...(settings.personalisation ? PERSONALISED_METRICS : [])];
  }

  /** An evaluation is waiting for reports. */
  get isOpen(): boolean {
    return this.open !== undefined;
  }

  /** Whether the model of the round that made `roundsCompleted` is evaluated. */
  due(roundsCompleted: number): boolean {
    return roundsCompleted % this.settings.every === 0;
  }

  /** Opens the evaluation of `round`'s model (an unfinished earlier one closes with what it has). */
  async start(round: number, modelVersion: number, available: readonly ClientInfo[]): Promise<void> {
    // the new evaluation is in place before anything but microtasks run, so no check-in sees neither
    const previous = this.open;
    this.open = undefined;
    const ids = available.map((c) => c.id);
    if (ids.length < 2) {
      this.context.emit('evaluation-skipped', { round, message: `${ids.length} clients available; an evaluation needs at least 2` });
      if (previous) await this.close(previous);
      return;
    }
    const k = Math.min(this.settings.clients, ids.length);
    const selected = new SeededRandom(this.context.seed).fork(`evaluation:${round}`).shuffle(ids.slice()).slice(0, k);
    const secure = this.context.secure
      ? // the session's journal is this process's memory (an evaluation does not survive a crash), so starting it awaits no I/O
        await SecureAggregationRound.start(selected, this.metrics.length * 5, { range: 1, ...this.context.secure }, this.context.clock, async () => undefined)
      : undefined;
    this.open = {
      round,
      modelVersion,
      selected: new Set(selected),
      frame: ids.length,
      reports: new Map(),
      deadline: this.context.clock() + (this.settings.timeoutMs ?? this.context.defaultTimeoutMs),
      ...(secure ? { secure } : {}),
    };
    this.context.emit('evaluation-open', { round, modelVersion, selected: k, available: ids.length, secure: secure !== undefined, personalised: this.settings.personalisation !== undefined });
    if (previous) await this.close(previous);
  }

  /** The evaluation this client should run now, if it was sampled and has not reported (secure: has not joined the session). */
  pendingFor(clientId: string): { round: number; modelVersion: number; deadline: number } | undefined {
    const open = this.open;
    if (!open || !open.selected.has(clientId) || open.reports.has(clientId) || this.context.clock() >= open.deadline) return undefined;
    // a secure evaluation takes a party only until it has advertised its keys
    if (open.secure && !(open.secure.stage === 'advertise' && open.secure.requestFor(clientId).request !== undefined)) return undefined;
    return { round: open.round, modelVersion: open.modelVersion, deadline: open.deadline };
  }

  /** Moves a secure session on and closes an evaluation past its deadline. */
  async tick(): Promise<void> {
    const open = this.open;
    if (open?.secure) await this.serialSecure(() => this.advanceSecure(open));
    if (this.open && this.context.clock() >= this.open.deadline) await this.close();
  }

  /** The open evaluation the client names, which must have sampled it. */
  private openFor(clientId: string, roundText: string): OpenEvaluation {
    if (!/^[1-9]\d{0,14}$/.test(roundText)) throw new FederationRequestError(400, 'BadRequest', `the round must be a positive integer written without leading zeros or signs, got "${roundText.slice(0, 40)}"`);
    const round = Number(roundText);
    const open = this.open;
    if (!open || open.round !== round) throw new FederationRequestError(409, 'StaleRound', `no evaluation of round ${round} is open${open ? `; the open one is round ${open.round}` : ''}; check in for a new task`);
    if (!open.selected.has(clientId)) throw new FederationRequestError(403, 'NotSelected', `client "${clientId}" was not sampled for the evaluation of round ${round}`);
    return open;
  }

  /** What this sampled client computes and how it sends it. */
  task(clientId: string, roundText: string): EvaluationTaskResponse {
    const open = this.openFor(clientId, roundText);
    const p = this.settings.personalisation;
    return {
      round: open.round,
      modelVersion: open.modelVersion,
      deadline: open.deadline,
      parametersPath: PATHS.model(open.modelVersion),
      limits: { maxExamples: this.limits.maxExamples, maxLoss: this.limits.maxLoss },
      metrics: this.metrics.map((m) => m.name),
      ...(p ? { personalisation: { ...p, seed: new SeededRandom(this.context.seed).fork(`personalise:${open.round}:${clientId}`).seed } } : {}),
      ...(open.secure ? { secureAggregation: { range: 1, encoding: { ...open.secure.encoding } } } : {}),
    };
  }

  async report(clientId: string, roundText: string, body: EvaluationReportRequest): Promise<EvaluationReportResponse> {
    if (!/^[1-9]\d{0,14}$/.test(roundText)) throw new FederationRequestError(400, 'BadRequest', `the round must be a positive integer written without leading zeros or signs, got "${roundText.slice(0, 40)}"`);
    const round = Number(roundText);
    const open = this.open;
    const key = JSON.stringify(body, (_k, v: unknown) => (v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b))) : v));
    const previous = open?.round === round ? open.reports.get(clientId) : undefined;
    if (previous) {
      if (previous.key === key) return { accepted: true, round, duplicate: true };
      throw new FederationRequestError(409, 'Conflict', `client "${clientId}" already reported a different evaluation for round ${round}; one report per client and evaluation`);
    }
    const current = this.openFor(clientId, roundText);
    if (current.secure) {
      throw new FederationRequestError(409, 'Conflict', `the evaluation of round ${round} is aggregated securely: send the masked moments through ${EVALUATION_PATHS.secagg(round)}, never plain sums`);
    }
    if (this.context.clock() >= current.deadline) {
      await this.close();
      throw new FederationRequestError(409, 'StaleRound', `the evaluation of round ${round} passed its deadline`);
    }
    if (body.modelVersion !== current.modelVersion) throw new FederationRequestError(409, 'StaleModel', `evaluated model version ${body.modelVersion}, but the evaluation of round ${round} is of version ${current.modelVersion}; fetch that version`);
    const report = checkedEvaluationReport(clientId, body, {
      round,
      limits: this.limits,
      personalised: this.settings.personalisation !== undefined,
      heldOutExamples: this.settings.heldOutExamples?.get(clientId),
      trainExamples: this.context.trainExamplesOf?.(clientId),
    });
    current.reports.set(clientId, { key, report });
    if (current.reports.size >= current.selected.size) await this.close();
    return { accepted: true, round, duplicate: false };
  }

  // ---- secure evaluation: the session's stages (the same SecAgg+ state machine as training rounds) ----

  private serialSecure<T>(work: () => Promise<T>): Promise<T> {
    const next = this.secureChain.then(work, work);
    this.secureChain = next.catch(() => undefined);
    return next;
  }

  private secureOf(clientId: string, roundText: string): { open: OpenEvaluation; session: SecureAggregationRound } {
    const open = this.openFor(clientId, roundText);
    if (!open.secure) throw new FederationRequestError(409, 'Conflict', `the evaluation of round ${open.round} is not aggregated securely; post the sums to ${EVALUATION_PATHS.report(open.round)}`);
    return { open, session: open.secure };
  }

  /** The secure-aggregation request waiting for this client in the evaluation's session. */
  secureRequest(clientId: string, roundText: string): SecureRequestAnswer {
    return this.secureOf(clientId, roundText).session.requestFor(clientId);
  }

  /** One reply of the evaluation's session; may close the stage, and with the last stage the evaluation. */
  secureReply(clientId: string, roundText: string, stage: string, body: unknown): Promise<{ accepted: true; stage: string; duplicate?: true }> {
    return this.serialSecure(async () => {
      const { open, session } = this.secureOf(clientId, roundText);
      const outcome = await session.receive(clientId, stage, body);
      await this.advanceSecure(open);
      return { accepted: true as const, stage, ...(outcome === 'duplicate' ? { duplicate: true as const } : {}) };
    });
  }

  /** Closes the session's stages that are complete or past their deadline; a finished session closes the evaluation. */
  private async advanceSecure(open: OpenEvaluation): Promise<void> {
    const session = open.secure;
    if (!session || this.open !== open) return;
    while (await session.advance()) this.context.notify?.();
    if (session.finished) await this.close(open);
  }

  /** Closes an evaluation: no more reports; its aggregate is written in order after earlier ones. */
  private close(open: OpenEvaluation | undefined = this.open): Promise<void> {
    if (!open) return this.closing;
    if (this.open === open) this.open = undefined;
    this.context.notify?.();
    this.closing = this.closing.then(() => this.aggregate(open)).catch((error: unknown) => {
      // a failed write loses this evaluation's estimate, never the federation
      this.context.emit('evaluation-failed', { round: open.round, message: (error as Error).message });
    });
    return this.closing;
  }

  /** Each metric's estimate: from the plain reports, or from the secure session's unmasked sums. */
  private estimates(open: OpenEvaluation): { clients: number; estimated: Map<string, RatioEstimate> } | string {
    const options = { populationClients: open.frame, confidence: this.settings.confidence };
    if (!open.secure) {
      const reports = [...open.reports.values()].map((r) => r.report);
      if (reports.length < 2) return `${reports.length} of ${open.selected.size} reports before the deadline; an interval needs 2`;
      return { clients: reports.length, estimated: metricEstimates(reports, this.metrics, this.limits, { ...options, omitEmpty: true }) };
    }
    const session = open.secure;
    if (session.stage !== 'done') return `the secure session ended in stage "${session.stage}"${session.failureMessage ? ` (${session.failureMessage})` : ''}`;
    const clients = session.result!.included.length;
    if (clients < 2) return `${clients} of ${open.selected.size} clients are in the secure sum; an interval needs 2`;
    const moments = momentsFromSum(session.result!.values, clients, this.metrics, this.limits);
    const estimated = new Map<string, RatioEstimate>();
    for (const metric of this.metrics) {
      const m = moments.get(metric.name)!;
      // honest counts are integers: a sum below ½ is an empty metric plus fixed-point rounding
      if (!(m.sumN >= 0.5)) continue;
      estimated.set(metric.name, ratioEstimateFromMoments(m, { ...options, ...(metric.bounds ? { bounds: metric.bounds } : {}) }));
    }
    return { clients, estimated };
  }

  /** The evaluation's estimates (at least 2 clients) written into its round's metrics. */
  private async aggregate(open: OpenEvaluation): Promise<void> {
    const outcome = this.estimates(open);
    if (typeof outcome === 'string') {
      this.context.emit('evaluation-failed', { round: open.round, selected: open.selected.size, message: outcome });
      return;
    }
    const metrics: Record<string, number> = { federatedEvaluationClients: outcome.clients, federatedEvaluationSelected: open.selected.size };
    if (open.secure) metrics.federatedEvaluationSecure = 1;
    const personalised = new Set(PERSONALISED_METRICS.map((m) => m.name));
    for (const [metric, r] of outcome.estimated) {
      const name = metricKey(metric, personalised.has(metric));
      Object.assign(metrics, { [name]: r.estimate, [`${name}Low`]: r.low, [`${name}High`]: r.high });
      if (metric === 'accuracy') metrics.federatedEvaluationExamples = open.secure ? Math.round(r.denominator) : r.denominator;
    }
    await this.context.record(open.round, metrics);
    this.context.emit('evaluation-closed', { round: open.round, ...metrics });
  }

  /** Waits for an evaluation being closed (clean shutdown). */
  async drain(): Promise<void> {
    await this.secureChain;
    await this.closing;
  }
}
