/** Rounds as the protocol reports them: one round's summary, and the learning curve of the completed ones. */
import type { StoredRound } from '../store/index.js';
import type { RoundSummary, StatusResponse } from './protocol.js';

export function roundSummary(r: StoredRound): RoundSummary {
  return {
    round: r.round,
    modelVersion: r.modelVersion,
    status: r.status,
    openedAt: r.openedAt,
    deadline: r.deadline,
    ...(r.closedAt === undefined ? {} : { closedAt: r.closedAt }),
    selected: r.selected,
    aggregated: r.aggregated,
    dropped: r.dropped,
    metrics: r.metrics,
  };
}

/** One point per completed round: the clients aggregated and the evaluation metrics it has. */
export function learningCurve(history: readonly RoundSummary[]): StatusResponse['curve'] {
  return history
    .filter((h) => h.status === 'completed')
    .map((h) => ({
      round: h.round,
      clients: h.aggregated.length,
      ...(h.metrics.accuracy !== undefined ? { accuracy: h.metrics.accuracy } : {}),
      ...(h.metrics.loss !== undefined ? { loss: h.metrics.loss } : {}),
      ...(h.metrics.trainLoss !== undefined ? { trainLoss: h.metrics.trainLoss } : {}),
    }));
}
