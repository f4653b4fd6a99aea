/** What a coordinator is opened with: its store, strategy, starting model, policy and modes. */
import type { ParameterSet } from '../aggregate/index.js';
import type { ServerEvaluation, Strategy } from '../strategy.js';
import type { FederationStore } from '../store/index.js';
import type { EnrolmentOptions } from './enrolment.js';
import type { StatusResponse } from './protocol.js';
import type { RoundPolicy } from './round-policy.js';
import type { SecureAggregationOptions } from './secure-aggregation-rounds.js';
import type { FederatedEvaluationSettings } from './evaluation-rounds.js';
import type { AnalyticsSettings } from './analytics-rounds.js';

export interface CoordinatorOptions {
  store: FederationStore;
  strategy: Strategy;
  /** The model to start from when the store is new (its layout is the federation's). */
  initialParameters: ParameterSet;
  policy?: Partial<RoundPolicy>;
  /**
   * Settings that must not change across restarts (strategy, layout, data, ...). Stored with
   * the state; a restart with different ones is refused.
   */
  fingerprint: Record<string, unknown>;
  /** Public description of the federation for clients (dataset, model spec, ...). */
  federation?: Record<string, unknown>;
  /** Who may enrol and with what weight (default: invite codes, equal weights). */
  enrolment?: EnrolmentOptions;
  /** The aggregator's name for the status page (e.g. "mean", "median"). */
  aggregatorName?: string;
  /**
   * Secure aggregation: clients send masked inputs through the SecAgg+ stages instead of
   * plain updates, and the strategy receives only the survivors' (weighted) mean; under
   * DP-FedAvg (`clipNorm`) each client clips to C and sends weight 1, and the strategy's
   * `aggregateClippedSum` noises the survivors' sum. `clipNorm: 'adaptive'`: the clip norm is
   * the strategy's current one (adaptive clipping), the range R follows it round by round, and
   * each input carries one more coordinate, the unclipped bit (× C), so the strategy gets
   * the count of unclipped updates from the same masked sum.
   */
  secureAggregation?: SecureAggregationOptions;
  /** (ε, δ) spent after `roundsCompleted` rounds, when the aggregation is differentially private. */
  privacy?: (roundsCompleted: number) => StatusResponse['privacy'];
  /** Federated evaluation rounds: after every `every`-th round, K sampled clients report sums on their held-out data (evaluation-rounds.ts). */
  federatedEvaluation?: FederatedEvaluationSettings;
  /** One private analytics task (heavy hitters or a label histogram) run in analytics rounds (analytics-rounds.ts); single-process federations only. */
  analytics?: AnalyticsSettings;
  /** Server-side evaluation of each new model (after its checkpoint is committed). */
  evaluate?: (round: number, parameters: ParameterSet) => Promise<ServerEvaluation | undefined>;
  clock?: () => number;
  /**
   * Several server processes serve this federation from the same store (which must implement
   * SharedFederationState): round state, availability and tokens are read from the store.
   */
  shared?: boolean;
  onEvent?: (event: string, data: Record<string, unknown>) => void;
}
