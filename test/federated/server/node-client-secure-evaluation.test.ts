/**
 * Secure, personalised federated evaluation end to end: `fl serve --secagg --evaluate-every 1
 * --evaluation-clients 3 --personalised` and three `fl client` processes (embbag on the
 * synthetic set). Training rounds and evaluations both run through SecAgg+; each client
 * evaluates on its share of the evaluation split, fine-tunes on its train share with the
 * server's settings and evaluates again. With every client sampled (K = N = 3), the federated
 * accuracy from the masked sums equals the server's own accuracy on the whole split (fixed-point
 * precision), the interval has width 0, and the personalised "before" is the same number.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { killHard, runCli, startServer } from './child-server.js';

test('fl serve --secagg --personalised: Node clients evaluate through SecAgg+; the final round holds the securely aggregated estimates', { timeout: 300_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'trustnlu-fleval-secure-'));
  let server: ChildProcess | undefined;
  try {
    const started = await startServer(['--dataset', 'synthetic', '--clients', '3', '--clients-per-round', '3', '--min-clients', '3', '--rounds', '1',
      '--max-local-steps', '4', '--state', join(dir, 'state.db'), '--exit-when-done', '--poll-interval', '200', '--secagg', '--secagg-stage-timeout', '60',
      '--evaluate-every', '1', '--evaluation-clients', '3', '--personalised', '--personal-epochs', '1', '--personal-max-steps', '3', '--personal-lr', '0.01']);
    server = started.child;
    const url = started.url;
    const serverExit = new Promise<number | null>((resolve) => started.child.once('exit', resolve));
    const clients = await Promise.all(['client-0', 'client-1', 'client-2'].map((id) => runCli(['fl', 'client', '--server', url, '--client-id', id, '--dataset', 'synthetic', '--json'])));
    for (const c of clients) {
      assert.equal(c.code, 0, c.stderr);
      const summary = JSON.parse(c.stdout.trim()) as { finished: boolean; evaluationsReported: number; updatesSubmitted: number };
      assert.equal(summary.finished, true);
      assert.equal(summary.updatesSubmitted, 1);
      assert.equal(summary.evaluationsReported, 1, c.stderr.slice(-2000));
    }
    const rounds = (await fetch(`${url}/v1/rounds`).then((r) => r.json())) as { rounds: { round: number; metrics: Record<string, number> }[] };
    const m = rounds.rounds.find((r) => r.round === 1)!.metrics;
    assert.equal(m.secureAggregation, 1, 'the training round was secure');
    assert.equal(m.federatedEvaluationSecure, 1, JSON.stringify(m));
    assert.equal(m.federatedEvaluationClients, 3);
    assert.equal(m.federatedEvaluationExamples, 360, 'the three held-out shares are the whole test split');
    assert.ok(Math.abs(m.federatedAccuracy - m.accuracy) < 1e-6, `secure ${m.federatedAccuracy} vs the server's ${m.accuracy}`);
    assert.ok(Math.abs(m.federatedAccuracyHigh - m.federatedAccuracyLow) < 1e-9, 'every client sampled: no sampling error');
    assert.ok(Math.abs(m.federatedPersonalisedBefore - m.federatedAccuracy) < 1e-6, 'before fine-tuning is the global model on the same examples');
    for (const key of ['federatedPersonalisedAfter', 'federatedPersonalisedDelta', 'federatedPersonalisedImprovedClients']) assert.ok(Number.isFinite(m[key]), `${key}: ${m[key]}`);
    assert.ok(Math.abs(m.federatedPersonalisedAfter - m.federatedPersonalisedBefore - m.federatedPersonalisedDelta) < 1e-6, 'delta = after − before over the same examples');
    assert.equal(await serverExit, 0);
  } finally {
    if (server) await killHard(server);
    rmSync(dir, { recursive: true, force: true });
  }
});
