/**
 * The coordinator's secure-aggregation rounds: clients send masked inputs through the SecAgg+
 * stages (secure-round.ts) instead of plain updates, and the server only ever holds the
 * survivors' sum. This module starts a round's session (or rebuilds it from the journal in the
 * store, after a crash or in another process of a shared federation), tells each party how to
 * encode its input, and turns the finished session into what the strategy aggregates:
 *   - plain secure aggregation: the survivors' weighted mean, handed over as one update;
 *   - DP-FedAvg (`clipNorm`): each client clips to C and sends weight 1, and the strategy's
 *     `aggregateClippedSum` noises the survivors' sum;
 *   - adaptive clipping (`clipNorm: 'adaptive'`): C is the strategy's current clip norm, the
 *     range R follows it round by round, and each input carries one more coordinate, the
 *     unclipped bit (× C), so the strategy gets the count of unclipped updates from the same
 *     masked sum.
 */
import { unflattenParameters, type ParameterSet } from '../aggregate/index.js';
import type { Failure, FitResult, Strategy } from '../strategy.js';
import { StateStoreError, type FederationStore, type StoredRound } from '../store/index.js';
import type { TaskResponse } from './protocol.js';
import type { RoundContribution } from './round-contribution.js';
import { FederationRequestError } from './request-error.js';
import { requireSetting } from './round-policy.js';
import { SecureAggregationRound, type SecureJournal, type SecureJournalEntry, type SecureRoundOptions } from './secure-round.js';

export type SecureAggregationOptions = SecureRoundOptions & { clipNorm?: number | 'adaptive' };

/** A strategy that turns the secure sum of clipped updates into the round's model (DP-FedAvg). */
interface ClippedSumStrategy {
  /** The clip norm for the next round (under adaptive clipping it moves after each round). */
  readonly clipNorm?: number;
  aggregateClippedSum(round: number, sum: Float64Array | undefined, contributors: number, failures: readonly Failure[]): { parameters: ParameterSet; metrics: Record<string, number> };
}

export class SecureAggregationRounds {
  constructor(
    readonly options: SecureAggregationOptions,
    private readonly store: FederationStore,
    private readonly strategy: Strategy,
    /** Values of the model (the input has one more under adaptive clipping). */
    private readonly valueCount: number,
    private readonly clock: () => number,
  ) {
    const clipNorm = options.clipNorm;
    if (typeof clipNorm === 'number') requireSetting(clipNorm > 0 && Number.isFinite(clipNorm), `the secure DP clip norm must be a finite number > 0, got ${clipNorm}`);
    if (clipNorm !== undefined) {
      requireSetting(typeof (strategy as Partial<ClippedSumStrategy>).aggregateClippedSum === 'function', `strategy ${strategy.name} cannot aggregate a secure sum of clipped updates (DP-FedAvg's does)`);
    }
  }

  /** A new session for a round just opened; its public parameters are journaled before any client can see the round. */
  start(record: StoredRound): Promise<SecureAggregationRound> {
    return SecureAggregationRound.start(record.selected, this.vectorLength(), this.sessionOptions(), this.clock, this.journal(record.round));
  }

  /** The round's session rebuilt from its journal in the store (undefined before the session is journaled). */
  async restore(record: StoredRound): Promise<SecureAggregationRound | undefined> {
    const entries = (await this.store.secureEntries(record.round)).map((e) => JSON.parse(e) as SecureJournalEntry);
    return SecureAggregationRound.restore(record.selected, this.vectorLength(), this.options, this.clock, this.journal(record.round), entries);
  }

  /** How a party encodes its input: its weight, the range R, the session's encoding, and the DP clip. */
  taskFor(weight: number, session: SecureAggregationRound): NonNullable<TaskResponse['secureAggregation']> {
    const { range, clipNorm } = this.options;
    const encoding = session.encoding;
    // DP-FedAvg sums clipped updates with weight 1 (one user moves the sum by at most C);
    // under adaptive clipping the session's range is the round's clip norm (journaled with it)
    if (clipNorm === 'adaptive') return { weight: 1, range: encoding.range, encoding, clipNorm: encoding.range, countUnclipped: true };
    return clipNorm === undefined ? { weight, range, encoding } : { weight: 1, range, encoding, clipNorm };
  }

  /**
   * The finished (or failed) session as the strategy's input: the survivors, and their weighted
   * mean as one update (DP-FedAvg: the sum of their clipped updates itself).
   */
  contribution(
    round: number,
    session: SecureAggregationRound,
    weightOf: (clientId: string) => number,
    examplesOf: (clientId: string) => number,
    closedByDeadline: boolean,
  ): RoundContribution {
    const survivors = session.stage === 'done' ? session.includedParties() : [];
    const sum = survivors.length > 0 ? session.result!.values : undefined;
    const contributors = survivors.map((id) => ({ clientId: id, numExamples: examplesOf(id) }));
    const metrics: Record<string, number> = { secureAggregation: 1, secaggSurvivors: survivors.length };
    if (session.stage === 'failed' || closedByDeadline) metrics.secaggFailed = 1;
    if (this.options.clipNorm !== undefined) {
      const strategy = this.strategy as unknown as ClippedSumStrategy;
      return {
        contributors,
        metrics,
        aggregate: (enough, failures) => strategy.aggregateClippedSum(round, enough ? sum : undefined, enough ? survivors.length : 0, failures),
      };
    }
    let results: FitResult[] = [];
    if (sum) {
      const totalWeight = survivors.reduce((s, id) => s + weightOf(id), 0);
      const mean = new Float32Array(sum.length);
      for (let j = 0; j < sum.length; j++) mean[j] = sum[j] / totalWeight;
      const examples = survivors.reduce((s, id) => s + examplesOf(id), 0);
      results = [{ clientId: survivors[0], numExamples: examples, delta: unflattenParameters(mean, this.strategy.parameters), metrics: {} }];
    }
    return { contributors, metrics, aggregate: (enough, failures) => this.strategy.aggregateFit(round, enough ? results : [], failures) };
  }

  /** Values per secure input: the model's, plus the unclipped bit under adaptive clipping. */
  private vectorLength(): number {
    return this.valueCount + (this.options.clipNorm === 'adaptive' ? 1 : 0);
  }

  /** A new session's options: under adaptive clipping the range R is the strategy's clip norm for this round. */
  private sessionOptions(): SecureRoundOptions {
    if (this.options.clipNorm !== 'adaptive') return this.options;
    const clip = (this.strategy as unknown as ClippedSumStrategy).clipNorm;
    if (!(clip !== undefined && clip > 0 && Number.isFinite(clip))) throw new StateStoreError(`adaptive clipping: the strategy's clip norm is ${clip}`);
    return { ...this.options, range: clip };
  }

  /** Appends to the round's secure-aggregation journal in the store (durable before the change is acknowledged). */
  private journal(round: number): SecureJournal {
    return async (entry) => {
      if ((await this.store.appendSecureEntry(round, JSON.stringify(entry))) === 'closed') {
        throw new FederationRequestError(409, 'StaleRound', `round ${round} closed; check in for a new task`);
      }
    };
  }
}
