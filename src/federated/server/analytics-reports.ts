/**
 * What the server accepts as one client's plain analytics report (analytics-rounds.ts), with a
 * 400 naming the problem otherwise: the server, not the client, bounds a client's influence.
 *   - heavy hitters: at most c distinct candidates offered this round (each counts 0 or 1);
 *   - histogram: one finite count ≥ 0 per label, L2 norm ≤ C.
 */
import type { AnalyticsReportRequest } from './analytics-rounds.js';
import { FederationRequestError } from './request-error.js';

function bad(message: string): never {
  throw new FederationRequestError(400, 'BadRequest', `analytics report: ${message}`);
}

/** The candidate indices of a heavy-hitters report. */
export function checkedVotes(body: AnalyticsReportRequest, round: { round: number; level: number; offered: ReadonlyMap<string, number>; votesPerDevice: number }): { indices: number[] } {
  if (body.counts !== undefined) bad('this is a heavy-hitters round: send "votes" (the candidates voted for), not "counts"');
  const votes = body.votes ?? bad('a heavy-hitters report needs "votes": the candidates voted for (an empty list votes for none)');
  if (votes.length > round.votesPerDevice) bad(`${votes.length} votes, but a client votes for at most ${round.votesPerDevice} candidates per round`);
  const indices: number[] = [];
  for (const vote of votes) {
    const index = round.offered.get(vote);
    if (index === undefined && [...vote].length !== round.level) {
      bad(`candidate ${JSON.stringify(vote.slice(0, 60))} has ${[...vote].length} characters; the candidates of analytics round ${round.round} have ${round.level} (a surviving prefix of ${round.level - 1} and one symbol or the end mark)`);
    }
    if (index === undefined) bad(`candidate ${JSON.stringify(vote.slice(0, 60))} was not offered in analytics round ${round.round}; vote for a surviving prefix followed by one symbol of the alphabet or the end mark`);
    if (indices.includes(index!)) bad(`two votes for candidate ${JSON.stringify(vote)}; a client votes for a candidate at most once (counts are 0 or 1)`);
    indices.push(index!);
  }
  return { indices };
}

/** The label counts of a histogram report (by label index). */
export function checkedCounts(body: AnalyticsReportRequest, labels: number, clipNorm: number): { indices: number[]; values: number[] } {
  if (body.votes !== undefined) bad('this is a histogram round: send "counts" (one per label), not "votes"');
  const counts = body.counts ?? bad(`a histogram report needs "counts": ${labels} numbers, one per label of the task`);
  if (counts.length !== labels) bad(`counts has ${counts.length} values, the task has ${labels} labels`);
  let squares = 0;
  counts.forEach((c, i) => {
    if (!Number.isFinite(c) || c < 0) bad(`counts[${i}] = ${c}; counts are finite and ≥ 0`);
    squares += c * c;
  });
  // a hair of slack for the client's float rounding of its scaled vector
  if (Math.sqrt(squares) > clipNorm * (1 + 1e-9)) bad(`the counts' L2 norm ${Math.sqrt(squares).toPrecision(6)} exceeds the clip norm ${clipNorm}; scale the vector down to it`);
  return { indices: counts.map((_, i) => i), values: counts.slice() };
}
