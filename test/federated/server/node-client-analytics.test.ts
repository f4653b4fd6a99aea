/**
 * Private analytics end to end through the CLI: `fl serve --rounds 0 --analytics heavy-hitters`
 * and three `fl client --data FILE --text-column C` processes, each answering from its own
 * file. At ε = ∞ with every client, the server's JSON output holds the simulator's exact
 * heavy hitters of the same data. Usage errors of the new flags exit 2 with one line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { trieHeavyHitters, userItemsFromTexts } from '../../../src/federated/analytics/index.js';
import { BIN, OPEN_TEST_FEDERATION, onlyJson, runCli } from './child-server.js';

const FILES = [
  ["What's the weather", 'set an alarm'],
  ['weather today', 'alarm at six'],
  ['the weather in Paris', 'play jazz'],
];

test('fl serve --analytics heavy-hitters with three fl client --data processes: the simulator\'s exact answer at ε = ∞', { timeout: 180_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'trustnlu-flhh-'));
  let child: { exitCode: number | null; kill: () => boolean } | undefined;
  try {
    FILES.forEach((texts, i) => writeFileSync(join(dir, `c${i}.csv`), `utterance,intent\n${texts.map((t) => `"${t}",x`).join('\n')}\n`));
    const server = spawn(process.execPath, [BIN, 'fl', 'serve', ...OPEN_TEST_FEDERATION, '--params', '2', '--rounds', '0', '--analytics', 'heavy-hitters', '--analytics-epsilon', 'inf',
      '--analytics-k', '3', '--analytics-max-length', '8', '--analytics-min-clients', '3', '--poll-interval', '100', '--state', join(dir, 's.db'), '--exit-when-done', '--port', '0', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child = server;
    let stdout = '';
    let stderr = '';
    server.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    const exited = new Promise<number | null>((resolve) => server.once('exit', resolve));
    const url = await new Promise<string>((resolve, reject) => {
      server.stderr.setEncoding('utf8').on('data', (d: string) => {
        stderr += d;
        // the security line is a separate write after "listening": wait for both (they may arrive in two chunks)
        const m = /"event":"listening","url":"([^"]+)"/.exec(stderr);
        if (m && stderr.includes('"event":"security"')) resolve(m[1]);
      });
      server.once('exit', (code) => reject(new Error(`server exited with ${code}: ${stderr}`)));
    });
    assert.match(stderr, /analytics heavy-hitters \(central DP ε Infinity, δ 0\.000001: the server adds the noise after summing the plain reports\)/);
    const clients = await Promise.all(FILES.map((_, i) => runCli(['fl', 'client', '--server', url, '--client-id', `c${i}`, '--data', join(dir, `c${i}.csv`), '--text-column', 'utterance', '--json'])));
    for (const c of clients) {
      assert.equal(c.code, 0, c.stderr);
      const summary = onlyJson(c.stdout) as { finished: boolean; analyticsAnswered: number; updatesSubmitted: number };
      assert.equal(summary.finished, true);
      assert.equal(summary.updatesSubmitted, 0);
      assert.ok(summary.analyticsAnswered >= 1);
    }
    assert.equal(await exited, 0, stderr);
    const result = onlyJson(stdout).analytics as { status: string; items: unknown; discovered: unknown; rounds: { reports: number }[] };
    assert.equal(result.status, 'done');
    const users = userItemsFromTexts(FILES.flatMap((texts, u) => texts.map((text) => ({ user: `c${u}`, text }))), 'word');
    const simulated = await trieHeavyHitters({ users, k: 3, epsilon: Infinity, delta: 1e-6, maxLength: 8 });
    assert.deepEqual(result.items, simulated.items);
    assert.deepEqual(result.discovered, simulated.discovered);
    assert.deepEqual(result.items, [{ item: 'weather', estimate: 3 }, { item: 'alarm', estimate: 2 }, { item: 'the', estimate: 2 }]);
    assert.ok(result.rounds.every((r) => r.reports === 3));
  } finally {
    // a failed assertion must not leave the server waiting for clients
    if (child && child.exitCode === null) child.kill();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('usage errors of the analytics and feedback flags exit 2 with one line naming the fix', async () => {
  const cases: [string[], RegExp][] = [
    [['fl', 'serve', '--params', '2', '--analytics', 'heavy-hitters'], /--analytics-epsilon E/],
    [['fl', 'serve', '--params', '2', '--rounds', '0'], /--rounds 0 trains nothing/],
    [['fl', 'serve', '--params', '2', '--analytics-k', '3', '--analytics-max-length', '4'], /--analytics-max-length needs --analytics/],
    [['fl', 'serve', '--params', '2', '--analytics', 'histogram', '--analytics-epsilon', '-1'], /--analytics-epsilon takes a number > 0 or "inf"/],
    [['fl', 'client', '--server', 'http://127.0.0.1:9', '--client-id', 'x', '--device-labels', 'feedback:2'], /NOISE in \[0, 1\]/],
    [['fl', 'client', '--server', 'http://127.0.0.1:9', '--client-id', 'x', '--device-labels', 'silver'], /--device-labels takes gold or feedback\[:NOISE\]/],
    [['fl', 'client', '--server', 'http://127.0.0.1:9', '--client-id', 'x', '--device-labels', 'feedback', '--feedback-column', 'f'], /both --feedback-column and --predicted-column/],
  ];
  for (const [args, pattern] of cases) {
    const r = await runCli(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, pattern, args.join(' '));
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
});
