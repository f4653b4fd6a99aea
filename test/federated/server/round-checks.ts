/**
 * Steps and checks shared by the kill -9 tests (one server, several workers): clients join
 * round 1, rejoin a restarted server with their tokens, round 1 completed with every client
 * aggregated exactly once, and the served model is exactly the examples-weighted mean of the
 * clients' synthetic updates.
 */
import assert from 'node:assert/strict';
import { RemoteSession, type RemoteSessionOptions } from '../../../src/federated/client/remote-session.js';
import { syntheticDelta, type RoundSummary } from '../../../src/federated/server/index.js';
import { phase } from './child-server.js';

/**
 * `count` clients `${prefix}k` (examples(k) each) register and check in until round 1 is open
 * for all of them (several processes may need a few check-ins to see each other's clients).
 */
export async function joinFirstRound(url: string, count: number, prefix: string, examples: (k: number) => number): Promise<RemoteSession[]> {
  const sessions = Array.from({ length: count }, () => new RemoteSession({ server: url, attempts: 1 }));
  await phase('register', 30_000, Promise.all(sessions.map((s, k) => s.register(`${prefix}${k}`, examples(k)))));
  await phase('first check-in', 30_000, Promise.all(sessions.map((s) => s.checkIn())));
  let answers = await phase('second check-in', 30_000, Promise.all(sessions.map((s) => s.checkIn())));
  for (let i = 0; i < 20 && !answers.every((a) => a.action === 'train'); i++) {
    await new Promise((r) => setTimeout(r, 200));
    answers = await Promise.all(sessions.map((s) => s.checkIn()));
  }
  assert.ok(answers.every((a) => a.action === 'train' && a.round === 1), JSON.stringify(answers.find((a) => a.action !== 'train' || a.round !== 1)));
  return sessions;
}

/** The same clients (their tokens) talking to the server at `url` (a restarted one, or any worker). */
export function rejoin(sessions: readonly RemoteSession[], url: string, options: Omit<RemoteSessionOptions, 'server'> = {}): RemoteSession[] {
  return sessions.map((old) => {
    const s = new RemoteSession({ ...options, server: url });
    s.useToken(old.credentials!.clientId, old.credentials!.token);
    return s;
  });
}

/** Polls /v1/rounds until round 1 is completed (at most `polls` × 100 ms), then checks it aggregated each of `clients` once. */
export async function assertFirstRoundCompleted(url: string, clients: number, polls: number): Promise<void> {
  let rounds: RoundSummary[] = [];
  for (let i = 0; i < polls; i++) {
    rounds = ((await (await fetch(`${url}/v1/rounds`)).json()) as { rounds: RoundSummary[] }).rounds;
    if (rounds[0]?.status === 'completed') break;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(rounds[0].status, 'completed');
  assert.equal(rounds[0].aggregated.length, clients);
  assert.equal(new Set(rounds[0].aggregated).size, clients, 'no client aggregated twice');
}

/** Model version 1, recomputed here as Σ nₖΔₖ / Σ nₖ over the clients (each once), equals the served one. */
export async function assertModelIsWeightedMean(url: string, clients: number, params: number, examples: (k: number) => number): Promise<void> {
  const expected = new Float64Array(params);
  let total = 0;
  for (let k = 0; k < clients; k++) {
    const d = syntheticDelta(k, 1, params);
    total += examples(k);
    for (let j = 0; j < params; j++) expected[j] += examples(k) * d[j];
  }
  const observer = new RemoteSession({ server: url });
  await observer.register('observer', 1);
  const model = await observer.parameters({ round: 1, modelVersion: 1, config: {}, layout: { names: ['w'], lengths: [params] }, deadline: 0, parametersPath: '/v1/models/1', maxUpdateNorm: 1 });
  for (let j = 0; j < params; j++) assert.ok(Math.abs(model[j] - expected[j] / total) < 1e-7, `parameter ${j}: ${model[j]} vs ${expected[j] / total}`);
}
