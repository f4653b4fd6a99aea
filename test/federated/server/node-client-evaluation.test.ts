/**
 * Federated evaluation end to end: `fl serve --evaluate-every 1 --evaluation-clients 3` and
 * three `fl client` processes (embbag on the synthetic set). After each round the server asks
 * the clients to evaluate the new model on their share of the evaluation split; with every
 * client sampled (K = N = 3) the federated estimate of the final round must equal the server's
 * own accuracy on the whole split, and its interval collapses onto it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { killHard, runCli, startServer } from './child-server.js';

test('fl serve --evaluate-every: Node clients report sums; the final round holds the federated estimate', { timeout: 300_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'trustnlu-fleval-'));
  let server: ChildProcess | undefined;
  try {
    const started = await startServer(['--dataset', 'synthetic', '--clients', '3', '--clients-per-round', '2', '--min-clients', '3', '--rounds', '2',
      '--max-local-steps', '4', '--state', join(dir, 'state.db'), '--exit-when-done', '--poll-interval', '200', '--evaluate-every', '1', '--evaluation-clients', '3']);
    server = started.child;
    const url = started.url;
    const serverExit = new Promise<number | null>((resolve) => started.child.once('exit', resolve));
    const clients = await Promise.all(['client-0', 'client-1', 'client-2'].map((id) => runCli(['fl', 'client', '--server', url, '--client-id', id, '--dataset', 'synthetic', '--json'])));
    let reported = 0;
    for (const c of clients) {
      assert.equal(c.code, 0, c.stderr);
      const summary = JSON.parse(c.stdout.trim()) as { finished: boolean; evaluationsReported: number };
      assert.equal(summary.finished, true);
      reported += summary.evaluationsReported;
    }
    assert.ok(reported >= 3, `at least the final evaluation's three reports, got ${reported}`);
    const rounds = (await fetch(`${url}/v1/rounds`).then((r) => r.json())) as { rounds: { round: number; metrics: Record<string, number> }[] };
    const last = rounds.rounds.find((r) => r.round === 2)!;
    assert.equal(last.metrics.federatedEvaluationClients, 3, JSON.stringify(last.metrics));
    assert.ok(Math.abs(last.metrics.federatedAccuracy - last.metrics.accuracy) < 1e-9, JSON.stringify(last.metrics));
    assert.ok(Math.abs(last.metrics.federatedAccuracyHigh - last.metrics.federatedAccuracyLow) < 1e-9, 'every client sampled: no sampling error');
    assert.equal(last.metrics.federatedEvaluationExamples, 360, 'the three held-out shares are the whole test split');
    assert.equal(await serverExit, 0);
  } finally {
    if (server) await killHard(server);
    rmSync(dir, { recursive: true, force: true });
  }
});
