/**
 * Federated evaluation in the service (`fl serve --evaluate-every R --evaluation-clients K`):
 * after every R-th completed round the server samples K of the available clients (seeded by
 * the federation's seed and the round) and asks each, at its next check-in, to evaluate that
 * round's model on its own held-out data and report sums only (`POST /v1/rounds/{r}/evaluation`):
 * examples, correct predictions, summed loss, and the in-scope counts when the dataset has an
 * out-of-scope class. The evaluation closes when all K have reported, or at the round timeout
 * with what arrived (at least 2); its ratio estimates and intervals (ratio-estimator.ts, the
 * sampling frame being the clients available when it was drawn) are written into that round's
 * metrics: `/v1/rounds`, the dashboard, and the store (durable once written).
 *
 * The server decides who evaluates; a report is checked for consistency (counts are
 * integers, correct ≤ examples, in-scope ≤ examples, loss ≥ 0 and ≤ examples × the loss
 * cap, examples ≤ the report limit) and accepted once per client (an identical retry is a
 * duplicate, a different one a 409). An open evaluation lives in this process's memory: a
 * crash loses it (the round keeps its training metrics), and a shared (Redis, several
 * processes) federation does not offer it.
 */
import { SeededRandom } from '../../engine/random.js';
import { ConfigError } from '../../errors.js';
import type { EvaluationSums } from '../client/index.js';
import { DEFAULT_REPORT_LIMITS, PLAIN_METRICS, metricEstimates, type ClientEvaluationReport, type ReportLimits } from '../evaluation/client-report.js';
import type { ClientInfo } from '../selection/index.js';
import { FederationRequestError } from './request-error.js';

export interface FederatedEvaluationSettings {
  /** Evaluate after every this many completed rounds. */
  every: number;
  /** K: clients asked per evaluation (fewer when fewer are available; at least 2). */
  clients: number;
  limits?: Partial<ReportLimits>;
  confidence?: number;
  /** How long an evaluation waits for its reports (default: the round timeout). */
  timeoutMs?: number;
}

/** POST /v1/rounds/{r}/evaluation: a client's sums on its held-out data for that round's model. */
export interface EvaluationReportRequest {
  modelVersion: number;
  examples: number;
  correct: number;
  lossSum: number;
  inScope?: number;
  inScopeCorrect?: number;
}

export interface EvaluationReportResponse {
  accepted: true;
  round: number;
  duplicate: boolean;
}

interface OpenEvaluation {
  round: number;
  modelVersion: number;
  selected: Set<string>;
  /** The clients the sample was drawn from (N of the finite-population correction). */
  frame: number;
  reports: Map<string, { key: string; report: ClientEvaluationReport }>;
  deadline: number;
}

export function checkEvaluationSettings(settings: FederatedEvaluationSettings): void {
  if (!Number.isInteger(settings.every) || settings.every < 1) throw new ConfigError(`evaluate-every must be an integer ≥ 1, got ${settings.every}`);
  if (!Number.isInteger(settings.clients) || settings.clients < 2) throw new ConfigError(`evaluation clients must be an integer ≥ 2 (an interval needs two clients), got ${settings.clients}`);
}

export class EvaluationRounds {
  private open: OpenEvaluation | undefined;
  private closing: Promise<void> = Promise.resolve();
  private readonly limits: ReportLimits;

  constructor(
    private readonly settings: FederatedEvaluationSettings,
    private readonly seed: number,
    private readonly clock: () => number,
    private readonly defaultTimeoutMs: number,
    /** Writes the estimates into the round's metrics (store and history). */
    private readonly record: (round: number, metrics: Record<string, number>) => Promise<void>,
    private readonly emit: (event: string, data: Record<string, unknown>) => void,
  ) {
    checkEvaluationSettings(settings);
    this.limits = { ...DEFAULT_REPORT_LIMITS, ...(settings.limits ?? {}) };
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
    // the new evaluation is in place before anything awaits, so no check-in sees neither
    const previous = this.open;
    this.open = undefined;
    const ids = available.map((c) => c.id);
    if (ids.length < 2) {
      this.emit('evaluation-skipped', { round, message: `${ids.length} clients available; an evaluation needs at least 2` });
      if (previous) await this.close(previous);
      return;
    }
    const k = Math.min(this.settings.clients, ids.length);
    const selected = new SeededRandom(this.seed).fork(`evaluation:${round}`).shuffle(ids.slice()).slice(0, k);
    this.open = {
      round,
      modelVersion,
      selected: new Set(selected),
      frame: ids.length,
      reports: new Map(),
      deadline: this.clock() + (this.settings.timeoutMs ?? this.defaultTimeoutMs),
    };
    this.emit('evaluation-open', { round, modelVersion, selected: k, available: ids.length });
    if (previous) await this.close(previous);
  }

  /** The evaluation this client should run now, if it was sampled and has not reported. */
  pendingFor(clientId: string): { round: number; modelVersion: number; deadline: number } | undefined {
    const open = this.open;
    if (!open || !open.selected.has(clientId) || open.reports.has(clientId) || this.clock() >= open.deadline) return undefined;
    return { round: open.round, modelVersion: open.modelVersion, deadline: open.deadline };
  }

  /** Closes an evaluation past its deadline. */
  async tick(): Promise<void> {
    if (this.open && this.clock() >= this.open.deadline) await this.close();
  }

  async report(clientId: string, roundText: string, body: EvaluationReportRequest): Promise<EvaluationReportResponse> {
    if (!/^[1-9]\d{0,14}$/.test(roundText)) throw new FederationRequestError(400, 'BadRequest', `the round must be a positive integer written without leading zeros or signs, got "${roundText.slice(0, 40)}"`);
    const round = Number(roundText);
    const open = this.open;
    const key = JSON.stringify(body, Object.keys(body).sort());
    const previous = open?.round === round ? open.reports.get(clientId) : undefined;
    if (previous) {
      if (previous.key === key) return { accepted: true, round, duplicate: true };
      throw new FederationRequestError(409, 'Conflict', `client "${clientId}" already reported a different evaluation for round ${round}; one report per client and evaluation`);
    }
    if (!open || open.round !== round) throw new FederationRequestError(409, 'StaleRound', `no evaluation of round ${round} is open${open ? `; the open one is round ${open.round}` : ''}; check in for a new task`);
    if (!open.selected.has(clientId)) throw new FederationRequestError(403, 'NotSelected', `client "${clientId}" was not sampled for the evaluation of round ${round}`);
    if (this.clock() >= open.deadline) {
      await this.close();
      throw new FederationRequestError(409, 'StaleRound', `the evaluation of round ${round} passed its deadline`);
    }
    if (body.modelVersion !== open.modelVersion) throw new FederationRequestError(409, 'StaleModel', `evaluated model version ${body.modelVersion}, but the evaluation of round ${round} is of version ${open.modelVersion}; fetch that version`);
    const sums = this.checkedSums(body);
    open.reports.set(clientId, { key, report: { clientId, sums } });
    if (open.reports.size >= open.selected.size) await this.close();
    return { accepted: true, round, duplicate: false };
  }

  /** The report's sums, refused (400 naming the field) when they cannot come from an honest evaluation. */
  private checkedSums(body: EvaluationReportRequest): EvaluationSums {
    const bad = (message: string): never => {
      throw new FederationRequestError(400, 'BadRequest', `evaluation report: ${message}`);
    };
    const { examples, correct, lossSum } = body;
    if (examples > this.limits.maxExamples) bad(`examples ${examples} exceeds the server's report limit ${this.limits.maxExamples}; evaluate at most that many examples`);
    if (correct > examples) bad(`correct ${correct} exceeds examples ${examples}`);
    if (lossSum > examples * this.limits.maxLoss) bad(`lossSum ${lossSum} exceeds examples × ${this.limits.maxLoss} (the largest mean loss the server accepts)`);
    if ((body.inScope === undefined) !== (body.inScopeCorrect === undefined)) bad('inScope and inScopeCorrect go together');
    const sums: EvaluationSums = { examples, units: examples, correct, lossSum };
    if (body.inScope !== undefined) {
      if (body.inScope > examples) bad(`inScope ${body.inScope} exceeds examples ${examples}`);
      if (body.inScopeCorrect! > body.inScope) bad(`inScopeCorrect ${body.inScopeCorrect} exceeds inScope ${body.inScope}`);
      if (body.inScopeCorrect! > correct) bad(`inScopeCorrect ${body.inScopeCorrect} exceeds correct ${correct}`);
      sums.inScope = body.inScope;
      sums.inScopeCorrect = body.inScopeCorrect;
    }
    return sums;
  }

  /** Closes an evaluation: no more reports; its aggregate is written in order after earlier ones. */
  private close(open: OpenEvaluation | undefined = this.open): Promise<void> {
    if (!open) return this.closing;
    if (this.open === open) this.open = undefined;
    this.closing = this.closing.then(() => this.aggregate(open)).catch((error: unknown) => {
      // a failed write loses this evaluation's estimate, never the federation
      this.emit('evaluation-failed', { round: open.round, message: (error as Error).message });
    });
    return this.closing;
  }

  /** The open evaluation's estimates (at least 2 reports) written into its round's metrics. */
  private async aggregate(open: OpenEvaluation): Promise<void> {
    const reports = [...open.reports.values()].map((r) => r.report);
    if (reports.length < 2) {
      this.emit('evaluation-failed', { round: open.round, reports: reports.length, selected: open.selected.size, message: 'fewer than 2 reports before the deadline' });
      return;
    }
    const metrics: Record<string, number> = { federatedEvaluationClients: reports.length, federatedEvaluationSelected: open.selected.size };
    const estimated = metricEstimates(reports, PLAIN_METRICS, this.limits, { populationClients: open.frame, confidence: this.settings.confidence, omitEmpty: true });
    for (const [metric, r] of estimated) {
      const name = `federated${metric.charAt(0).toUpperCase()}${metric.slice(1)}`;
      Object.assign(metrics, { [name]: r.estimate, [`${name}Low`]: r.low, [`${name}High`]: r.high });
      if (metric === 'accuracy') metrics.federatedEvaluationExamples = r.denominator;
    }
    await this.record(open.round, metrics);
    this.emit('evaluation-closed', { round: open.round, ...metrics });
  }

  /** Waits for an evaluation being closed (clean shutdown). */
  async drain(): Promise<void> {
    await this.closing;
  }
}
