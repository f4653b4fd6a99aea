/**
 * A client's side of the service's private analytics (server/analytics-rounds.ts): answer an
 * analytics round from the client's own texts and labels, which never leave it.
 *   - heavy hitters: the distinct items of its texts (analytics/items.ts, normalised as in the
 *     simulator), terminated and filtered by the task's alphabet and L; the candidates of the
 *     round that they extend (analytics/trie-rounds.ts), at most c chosen uniformly (CSPRNG);
 *   - histogram: its label counts over the task's labels, scaled to L2 norm ≤ C (labels outside
 *     the task's set are not counted).
 * A plain round gets the named candidates (or the counts); a secure round gets the dense 0/1
 * vector over the candidates (or the counts) through the SecAgg+ stages, so only a masked
 * vector leaves the client. With distributed noise (the task names σ_i), the client adds its own
 * discrete Gaussian share to every coordinate before masking, and clips label counts as
 * integers; it refuses a task that asks for distributed noise without secure aggregation (the
 * server would see the lightly noised vector) or names a σ_i out of range.
 */
import { ConfigError } from '../../errors.js';
import {
  AnalyticsRandom,
  integerClippedCounts,
  itemsOfText,
  labelCountContribution,
  terminatedItems,
  trieAlphabet,
  trieCandidates,
  trieVoteCandidates,
  type ItemUnit,
} from '../analytics/index.js';
import { webSecAggCrypto, type SecAggCrypto } from '../secagg/index.js';
import type { AnalyticsTaskResponse } from '../server/analytics-rounds.js';
import type { RemoteSession } from './remote-session.js';
import { runSecureStages } from './secure-stages.js';

/** What a client holds for analytics: its texts, and (for label histograms) one label per text. */
export interface AnalyticsData {
  texts: readonly string[];
  labels?: readonly string[];
}

/** A client's answer to one analytics task, as plain data: candidate indices (or values by label index). */
export interface AnalyticsAnswer {
  indices: number[];
  values?: number[];
  /** The vector length under secure aggregation (candidates or labels). */
  length: number;
  /** Items or labels the task could not count (too long, outside the alphabet or label set). */
  skipped: number;
}

const itemCache = new WeakMap<AnalyticsData, Map<ItemUnit, string[]>>();

function distinctItems(data: AnalyticsData, unit: ItemUnit): string[] {
  let byUnit = itemCache.get(data);
  if (!byUnit) itemCache.set(data, (byUnit = new Map()));
  let items = byUnit.get(unit);
  if (!items) byUnit.set(unit, (items = [...new Set(data.texts.flatMap((t) => itemsOfText(t, unit)))]));
  return items;
}

/** The answer to `task` from `data` (votes chosen with `random`, by default the CSPRNG). */
export function analyticsAnswer(task: AnalyticsTaskResponse, data: AnalyticsData, random: AnalyticsRandom = AnalyticsRandom.from()): AnalyticsAnswer {
  if (task.kind === 'heavy-hitters') {
    const hh = task.heavyHitters;
    if (!hh) throw new ConfigError('the analytics task has no heavyHitters settings');
    const alphabet = trieAlphabet(hh.alphabet);
    const { items, skipped } = terminatedItems(distinctItems(data, hh.unit), alphabet, hh.maxLength);
    const candidates = trieCandidates(hh.prefixes, alphabet);
    if (candidates.length !== hh.candidates) throw new ConfigError(`the task announces ${hh.candidates} candidates, its prefixes and alphabet make ${candidates.length}`);
    const index = new Map(candidates.map((c, i) => [c, i]));
    const chosen = random.subset(trieVoteCandidates(items, hh.level, new Set(hh.prefixes), index), hh.votesPerDevice);
    return { indices: chosen, length: candidates.length, skipped };
  }
  const histogram = task.histogram;
  if (!histogram) throw new ConfigError('the analytics task has no histogram settings');
  if (!data.labels) throw new ConfigError('a label histogram needs this client\'s labels (--label-column)');
  const index = new Map(histogram.labels.map((l, i) => [l, i]));
  const known = data.labels.filter((l) => index.has(l));
  if (task.distributedNoise) {
    const { counts } = labelCountContribution(known, index, Infinity);
    const clipped = integerClippedCounts(counts, histogram.clipNorm, random);
    return { indices: [...clipped.keys()], values: [...clipped.values()], length: histogram.labels.length, skipped: data.labels.length - known.length };
  }
  const { counts, scale } = labelCountContribution(known, index, histogram.clipNorm);
  return { indices: [...counts.keys()], values: [...counts.values()].map((c) => c * scale), length: histogram.labels.length, skipped: data.labels.length - known.length };
}

/** The largest share σ a client accepts: beyond it the noisy values would not fit the 32-bit secure-aggregation ring anyway. */
const MAX_SHARE_SIGMA = 1e6;

/** The task's distributed-noise request, checked: σ_i ≥ 1/2 (the accounting's condition) and secure aggregation. */
function checkedDistributedNoise(task: AnalyticsTaskResponse): number | undefined {
  const d = task.distributedNoise;
  if (d === undefined) return undefined;
  const sigma = d.shareSigma;
  if (typeof sigma !== 'number' || !Number.isFinite(sigma) || (sigma !== 0 && (sigma < 0.5 || sigma > MAX_SHARE_SIGMA))) {
    throw new ConfigError(`the analytics task asks for a distributed noise share σ = ${String(sigma)}; expected 0 (no noise) or a number in [0.5, ${MAX_SHARE_SIGMA}]`);
  }
  if (!task.secureAggregation) throw new ConfigError('the analytics task asks for distributed noise without secure aggregation: the server would see this client\'s vector with only its own share of noise; refusing');
  return sigma;
}

export interface AnalyticsRoundOutcome {
  round: number;
  kind: AnalyticsTaskResponse['kind'];
  secure: boolean;
  /** How many candidates this client voted for (heavy hitters) or labels it counted (histogram). */
  contributed: number;
  skipped: number;
  /** Plain: the report was a retry already counted. */
  duplicate?: boolean;
  /** Secure: how this client's session ended ('done': its input is in the sum; 'closed', 'dropped', 'failed'). */
  stage?: string;
}

/** Answers analytics round `round` (the check-in said "analytics"): fetch the task, compute the answer, send it. */
export async function answerAnalyticsRound(
  session: RemoteSession,
  round: number,
  data: AnalyticsData,
  options: { crypto?: SecAggCrypto; longPollMs?: number; random?: AnalyticsRandom } = {},
): Promise<AnalyticsRoundOutcome> {
  const task = await session.analyticsTask(round);
  const shareSigma = checkedDistributedNoise(task);
  const random = options.random ?? AnalyticsRandom.from();
  const answer = analyticsAnswer(task, data, random);
  const base = { round, kind: task.kind, secure: task.secureAggregation !== undefined, contributed: answer.indices.length, skipped: answer.skipped };
  if (task.secureAggregation) {
    const input = new Float64Array(answer.length);
    answer.indices.forEach((i, j) => (input[i] = answer.values?.[j] ?? 1));
    if (shareSigma !== undefined) {
      const share = random.discreteGaussian(answer.length, shareSigma);
      for (let i = 0; i < input.length; i++) input[i] += share[i];
    }
    // the same client side as a training round's or an evaluation's session, on the analytics routes
    const stage = await runSecureStages(
      { request: (waitMs) => session.analyticsSecureRequest(round, waitMs), reply: (stage, wire) => session.analyticsSecureReply(round, stage, wire) },
      input,
      options.crypto ?? webSecAggCrypto(),
      options.longPollMs ?? 20_000,
    );
    return { ...base, stage };
  }
  let report;
  if (task.kind === 'heavy-hitters') {
    const candidates = trieCandidates(task.heavyHitters!.prefixes, trieAlphabet(task.heavyHitters!.alphabet));
    report = { votes: answer.indices.map((i) => candidates[i]) };
  } else {
    const counts = new Array<number>(answer.length).fill(0);
    answer.indices.forEach((i, j) => (counts[i] = answer.values![j]));
    report = { counts };
  }
  const result = await session.analyticsReport(round, report);
  return { ...base, duplicate: result.duplicate };
}
