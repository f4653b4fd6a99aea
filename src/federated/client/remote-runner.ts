/**
 * Drives any `Client` (the interface the simulator uses) against a federated server: check
 * in, and when selected fetch the task and global parameters, call `client.fit`, clip the
 * update to the server's norm bound and submit it; repeat until the server says the
 * federation is done. A straggler whose round closed meanwhile (409) just checks in again.
 * Runs in Node and in the browser (no Node imports, no tfjs: parameters stay plain data).
 */
import { ConfigError } from '../../errors.js';
import { flattenParameters, viewParameters, type ParameterSet } from '../aggregate/index.js';
import { webSecAggCrypto, type SecAggCrypto } from '../secagg/index.js';
import { runSecureStages } from './secure-stages.js';
import type { TaskResponse } from '../server/protocol.js';
import type { Client } from './client.js';
import { answerEvaluation, type LocalEvaluator } from './remote-evaluation.js';
import { RemoteServerError, type RemoteSession } from './remote-session.js';
import { answerAnalyticsRound, type AnalyticsData } from './analytics-answers.js';

export interface RemoteRunOptions {
  session: RemoteSession;
  client: Client;
  /** Stop after this many submitted updates (default: until the server says done). */
  maxUpdates?: number;
  /** Give up after this long (ms; default no limit). */
  timeLimitMs?: number;
  onEvent?: (event: string, data: Record<string, unknown>) => void;
  /** How long a check-in may wait on the server for a round (long polling; default 20 s, 0 = plain polling). */
  longPollMs?: number;
  /** Crypto for secure aggregation (default WebCrypto, which Node 20 and browsers have). */
  secaggCrypto?: SecAggCrypto;
  /** Stops the loop when it turns true (checked between requests). */
  stopped?: () => boolean;
  /**
   * Federated evaluation: the sums of the model the server names on this client's held-out data
   * (and, for a personalised evaluation, its fine-tuning on the train share). Without it, a
   * client asked to evaluate waits instead.
   */
  evaluator?: LocalEvaluator;
  /** Private analytics: this client's texts (and labels) to answer analytics rounds from. Without it, a client asked waits instead. */
  analyticsData?: AnalyticsData;
}

export interface RemoteRunSummary {
  clientId: string;
  updatesSubmitted: number;
  /** Updates the server refused because their round had closed (stragglers). */
  lateUpdates: number;
  rounds: number[];
  finished: boolean;
  lastModelVersion: number;
  /** Federated-evaluation reports accepted (rounds whose model this client evaluated). */
  evaluationsReported: number;
  /** Analytics rounds this client answered. */
  analyticsAnswered: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The client's answer as one flat delta (local − global when it returned parameters). */
function flatDelta(global: Float32Array, answer: { delta?: ParameterSet; parameters?: ParameterSet }): Float32Array {
  const source = answer.delta ?? answer.parameters;
  if (!source) throw new RemoteServerError(0, 'InvalidUpdate', 'the client returned neither a delta nor parameters');
  const out = flattenParameters(source);
  if (out.length !== global.length) throw new RemoteServerError(0, 'InvalidUpdate', `the client's update has ${out.length} values, the model ${global.length}`);
  if (!answer.delta) for (let i = 0; i < out.length; i++) out[i] -= global[i];
  return out;
}

/** Scales `delta` down to norm ≤ bound (in place); returns the norm before clipping. */
export function clipToNorm(delta: Float32Array, bound: number): number {
  let sum = 0;
  for (let i = 0; i < delta.length; i++) sum += delta[i] * delta[i];
  const norm = Math.sqrt(sum);
  if (norm > bound) {
    // a hair under the bound so float32 rounding cannot push it over
    const scale = (bound / norm) * (1 - 1e-6);
    for (let i = 0; i < delta.length; i++) delta[i] *= scale;
  }
  return norm;
}

/**
 * The norm a client clips its update to: the server's bound, and under DP with secure
 * aggregation the clip norm less the fixed-point rounding margin √m·2^−(f+1), so that the
 * encoded input (each value off by at most 2^−(f+1)) still has norm ≤ C: the sensitivity the
 * server's noise is calibrated to, which the server cannot check on a masked input.
 */
export function updateBound(task: TaskResponse, length: number): number {
  const secure = task.secureAggregation;
  if (secure?.clipNorm === undefined) return task.maxUpdateNorm;
  const margin = Math.sqrt(length) * 2 ** -(secure.encoding.fractionalBits + 1);
  const bound = Math.min(task.maxUpdateNorm, secure.clipNorm) - margin;
  if (!(bound > 0)) throw new ConfigError(`the fixed-point precision 2^-${secure.encoding.fractionalBits} is too coarse for clip norm ${secure.clipNorm} over ${length} values`);
  return bound;
}

/**
 * What a client feeds into secure aggregation: its (already clipped) update × the task's
 * weight, and under adaptive clipping (`countUnclipped`) one more coordinate, the clip norm
 * if the update was within the bound before clipping (`unclipped`) and 0 if not. The server
 * divides that coordinate of the sum by the clip norm to count the unclipped updates.
 */
export function secureInput(task: TaskResponse, delta: Float32Array, unclipped: boolean): Float64Array {
  const secure = task.secureAggregation!;
  const counting = secure.countUnclipped === true;
  if (counting && secure.clipNorm === undefined) throw new ConfigError('the task asks for the unclipped bit but gives no clip norm');
  const input = new Float64Array(delta.length + (counting ? 1 : 0));
  for (let i = 0; i < delta.length; i++) input[i] = secure.weight * delta[i];
  if (counting) input[delta.length] = unclipped ? secure.clipNorm! : 0;
  return input;
}

/**
 * Takes part in the round's secure aggregation with `secureInput(task, delta, unclipped)`:
 * answers each stage's request until the session is done (or failed, or the round closed).
 * Only masked vectors leave the client. Returns the last stage seen.
 */
export async function submitSecurely(session: RemoteSession, task: TaskResponse, delta: Float32Array, crypto: SecAggCrypto, longPollMs: number, unclipped = false): Promise<string> {
  const channel = { request: (waitMs: number) => session.secureRequest(task.round, waitMs), reply: (stage: string, wire: unknown) => session.secureReply(task.round, stage, wire) };
  return runSecureStages(channel, secureInput(task, delta, unclipped), crypto, longPollMs);
}

export async function runRemoteClient(options: RemoteRunOptions): Promise<RemoteRunSummary> {
  const { session, client } = options;
  const started = Date.now();
  const summary: RemoteRunSummary = {
    clientId: session.clientId ?? client.id,
    updatesSubmitted: 0,
    lateUpdates: 0,
    rounds: [],
    finished: false,
    lastModelVersion: 0,
    evaluationsReported: 0,
    analyticsAnswered: 0,
  };
  const emit = options.onEvent ?? (() => undefined);
  while (!options.stopped?.()) {
    if (options.maxUpdates !== undefined && summary.updatesSubmitted >= options.maxUpdates) break;
    if (options.timeLimitMs !== undefined && Date.now() - started > options.timeLimitMs) break;
    const answer = await session.checkIn({ waitMs: options.longPollMs ?? 20_000 });
    if (answer.action === 'done') {
      summary.finished = true;
      summary.lastModelVersion = answer.modelVersion;
      break;
    }
    if (answer.action === 'wait') {
      await sleep(answer.retryAfterMs);
      continue;
    }
    if (answer.action === 'analytics') {
      if (!options.analyticsData) {
        await sleep(1000);
        continue;
      }
      try {
        const outcome = await answerAnalyticsRound(session, answer.round, options.analyticsData, { crypto: options.secaggCrypto, longPollMs: options.longPollMs ?? 20_000 });
        if (!outcome.duplicate) summary.analyticsAnswered++;
        emit('analytics', { ...outcome });
      } catch (error) {
        if (error instanceof RemoteServerError && (error.type === 'StaleRound' || error.type === 'NotSelected')) {
          emit('late', { message: error.message });
          continue;
        }
        throw error;
      }
      continue;
    }
    if (answer.action === 'evaluate') {
      if (!options.evaluator) {
        await sleep(1000);
        continue;
      }
      try {
        const outcome = await answerEvaluation(session, answer.round, options.evaluator, { crypto: options.secaggCrypto ?? webSecAggCrypto(), longPollMs: options.longPollMs ?? 20_000 });
        if (outcome.reported && !outcome.duplicate) summary.evaluationsReported++;
        if (outcome.skipped) emit('evaluation-skipped', { round: answer.round, message: outcome.skipped });
        else emit('evaluated', { round: answer.round, modelVersion: answer.modelVersion, examples: outcome.examples, duplicate: outcome.duplicate, secure: outcome.secure, personalised: outcome.personalised });
      } catch (error) {
        if (error instanceof RemoteServerError && (error.type === 'StaleRound' || error.type === 'StaleModel' || error.type === 'NotSelected')) {
          emit('late', { message: error.message });
          continue;
        }
        throw error;
      }
      continue;
    }
    try {
      const task = await session.task(answer.round);
      const global = await session.parameters(task);
      emit('task', { round: task.round, modelVersion: task.modelVersion });
      const fit = await client.fit(viewParameters(global, task.layout), task.config);
      const delta = flatDelta(global, fit);
      const bound = updateBound(task, delta.length);
      const norm = clipToNorm(delta, bound);
      if (task.secureAggregation) {
        const stage = await submitSecurely(session, task, delta, options.secaggCrypto ?? webSecAggCrypto(), options.longPollMs ?? 20_000, norm <= bound);
        if (stage !== 'done') {
          summary.lateUpdates++;
          emit('late', { round: task.round, message: `secure aggregation ended in stage ${stage}` });
          continue;
        }
      } else {
        const result = await session.submit(task, delta, fit.numExamples, { ...fit.metrics, updateNorm: norm });
        emit('accepted', { round: task.round, duplicate: result.duplicate });
      }
      summary.updatesSubmitted++;
      summary.rounds.push(task.round);
      summary.lastModelVersion = task.modelVersion;
      emit('submitted', { round: task.round, loss: fit.metrics.loss, updateNorm: norm, secure: task.secureAggregation !== undefined });
    } catch (error) {
      if (error instanceof RemoteServerError && (error.type === 'StaleRound' || error.type === 'StaleModel' || error.type === 'NotSelected')) {
        summary.lateUpdates++;
        emit('late', { message: error.message });
        continue;
      }
      throw error;
    }
  }
  return summary;
}
