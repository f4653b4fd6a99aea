/** Shared by the service analytics tests: a loopback analytics service and clients that only answer analytics. */
import type { AnalyticsData } from '../../../src/federated/client/analytics-answers.js';
import type { Client } from '../../../src/federated/client/client.js';
import { RemoteSession } from '../../../src/federated/client/remote-session.js';
import { runRemoteClient } from '../../../src/federated/client/remote-runner.js';
import { startFederationService, type AnalyticsSettings } from '../../../src/federated/server/index.js';

export const ADMIN = 'analytics-admin-token-0123456789abcdefghijkl';

/** A client of an analytics-only federation: it never trains. */
export const idle: (id: string) => Client = (id) => ({
  id,
  fit: async () => {
    throw new Error('an analytics-only federation never trains');
  },
  evaluate: async () => ({ loss: 0, numExamples: 0, metrics: {} }),
});

/** A loopback service of a 4-parameter synthetic model running `analytics` (admin token ADMIN). */
export function analyticsService(analytics: AnalyticsSettings, training: { rounds: number; targetUpdates: number; minClients?: number }, secure: boolean) {
  return startFederationService({
    source: { kind: 'synthetic', parameters: 4 },
    strategy: 'fedavg',
    enrolment: { mode: 'open' },
    statePath: ':memory:',
    policy: { minClients: 2, ...training, roundTimeoutMs: 30_000, pollIntervalMs: 50 },
    analytics,
    ...(secure ? { secureAggregation: { range: 1, stageTimeoutMs: 20_000 } } : {}),
    http: { adminToken: ADMIN, clientRateLimit: { perSecond: 1000, burst: 1000 }, enrolRateLimit: { perSecond: 1000, burst: 1000 } },
  });
}

/** Registers clients u0, u1, … with the given analytics data and runs each until the federation is done; their summaries. */
export function runIdleClients(url: string, data: readonly AnalyticsData[]) {
  return Promise.all(
    data.map(async (analyticsData, k) => {
      const session = new RemoteSession({ server: url });
      await session.register(`u${k}`);
      return runRemoteClient({ session, client: idle(`u${k}`), analyticsData, longPollMs: 1000, timeLimitMs: 60_000 });
    }),
  );
}

/** GET /v1/admin/analytics with the admin token. */
export function adminAnalytics(url: string): Promise<Response> {
  return fetch(`${url}/v1/admin/analytics`, { headers: { authorization: `Bearer ${ADMIN}` } });
}
