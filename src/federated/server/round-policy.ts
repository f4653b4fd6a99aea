/**
 * The rules a coordinator runs rounds by: when a round opens and closes, how many updates it
 * needs, and the bounds on what one client may send. Defaults, and the checks that refuse a
 * policy no round could satisfy.
 */
import { ConfigError } from '../../errors.js';

export interface RoundPolicy {
  /** Rounds to complete (successful aggregations); then clients are told they are done. */
  rounds: number;
  /** Updates that close a round early (the strategy may select more: over-selection). */
  targetUpdates: number;
  /** Fewest available clients to open a round. */
  minClients: number;
  /** Fewest updates to aggregate when the deadline closes a round (default: min(minClients, targetUpdates)); fewer and the round fails. */
  minUpdates: number;
  /** How long a round stays open. */
  roundTimeoutMs: number;
  /** A client is available for selection if it checked in within this window. */
  availabilityWindowMs: number;
  /** After a restart, an open round gets at least this long before its deadline. */
  recoveryGraceMs: number;
  /** Largest accepted ‖Δ‖₂ (larger updates are refused). */
  maxUpdateNorm: number;
  /**
   * When a plain round is aggregated, each update is clipped to this multiple of the median
   * norm of the round's updates (norm-bound.ts); 0 turns it off (DP-FedAvg clips to its own C;
   * a secure round's updates are not visible to the server).
   */
  normClipMultiple: number;
  /** Seeds every round's selection stream. */
  seed: number;
  /** Suggested wait for clients with nothing to do. */
  pollIntervalMs: number;
}

export const DEFAULT_ROUND_POLICY: Readonly<RoundPolicy> = {
  rounds: 10,
  targetUpdates: 10,
  minClients: 2,
  minUpdates: 2,
  roundTimeoutMs: 60_000,
  availabilityWindowMs: 30_000,
  recoveryGraceMs: 10_000,
  maxUpdateNorm: 1e4,
  normClipMultiple: 3,
  seed: 0,
  pollIntervalMs: 1000,
};

/** Throws a ConfigError naming the coordinator setting `what` unless `ok`. */
export function requireSetting(ok: boolean, what: string): void {
  if (!ok) throw new ConfigError(`federated server: ${what}`);
}

/** The given fields (undefined ones ignored) over the defaults, checked. */
export function resolveRoundPolicy(policy: Partial<RoundPolicy> | undefined): RoundPolicy {
  const given = Object.fromEntries(Object.entries(policy ?? {}).filter(([, v]) => v !== undefined)) as Partial<RoundPolicy>;
  const p: RoundPolicy = {
    ...DEFAULT_ROUND_POLICY,
    ...given,
    minUpdates: given.minUpdates ?? Math.min(given.minClients ?? DEFAULT_ROUND_POLICY.minClients, given.targetUpdates ?? DEFAULT_ROUND_POLICY.targetUpdates),
  };
  requireSetting(Number.isInteger(p.rounds) && p.rounds >= 0, `rounds must be an integer ≥ 0 (0: no training, e.g. an analytics-only federation), got ${p.rounds}`);
  requireSetting(Number.isInteger(p.minClients) && p.minClients >= 1, `minClients must be an integer ≥ 1, got ${p.minClients}`);
  requireSetting(Number.isInteger(p.minUpdates) && p.minUpdates >= 1, `minUpdates must be an integer ≥ 1, got ${p.minUpdates}`);
  requireSetting(Number.isInteger(p.targetUpdates) && p.targetUpdates >= p.minUpdates, `targetUpdates (${p.targetUpdates}) must be an integer ≥ minUpdates (${p.minUpdates})`);
  requireSetting(p.roundTimeoutMs > 0 && p.availabilityWindowMs > 0, 'roundTimeoutMs and availabilityWindowMs must be > 0');
  requireSetting(p.maxUpdateNorm > 0, `maxUpdateNorm must be > 0, got ${p.maxUpdateNorm}`);
  requireSetting(p.normClipMultiple >= 0 && Number.isFinite(p.normClipMultiple), `normClipMultiple must be a finite number ≥ 0 (0 = off), got ${p.normClipMultiple}`);
  return p;
}
