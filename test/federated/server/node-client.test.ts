/**
 * Node clients end to end, enrolled the operator's way: `fl invite` writes two codes bound to
 * client-0 and client-3 into the state file, `fl serve` (default: invite enrolment) starts on
 * it, and two `fl client` processes enrol with their codes and train a real model (embbag on the
 * synthetic set) with tfjs until the server says the federation is done; the server evaluates
 * each new model (the accuracy curve). A third client without a code is refused.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, onlyJson, runCli } from './child-server.js';

test('two fl client processes train embbag on the synthetic set against fl serve until it is done', { timeout: 300_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'trustnlu-flcli-'));
  let serverProcess: ReturnType<typeof spawn> | undefined;
  try {
    const issued = await runCli(['fl', 'invite', '--state', join(dir, 'state.db'), '--client-id', 'client-0', 'client-3', '--json']);
    assert.equal(issued.code, 0, issued.stderr);
    const { invites } = onlyJson(issued.stdout) as { invites: { code: string; clientId: string }[] };
    assert.deepEqual(invites.map((i) => i.clientId), ['client-0', 'client-3']);
    const server = spawn(
      process.execPath,
      [BIN, 'fl', 'serve', '--dataset', 'synthetic', '--clients', '4', '--clients-per-round', '2', '--min-clients', '2', '--rounds', '2',
        '--max-local-steps', '4', '--state', join(dir, 'state.db'), '--port', '0', '--exit-when-done', '--poll-interval', '200', '--json'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    serverProcess = server;
    let serverOut = '';
    let serverErr = '';
    server.stdout.setEncoding('utf8').on('data', (d: string) => (serverOut += d));
    const url = await new Promise<string>((resolve, reject) => {
      server.stderr.setEncoding('utf8').on('data', (d: string) => {
        serverErr += d;
        const m = /"event":"listening","url":"([^"]+)"/.exec(serverErr);
        if (m) resolve(m[1]);
      });
      server.once('exit', (code) => reject(new Error(`server exited ${code}: ${serverErr}`)));
    });
    const serverExit = new Promise<number | null>((resolve) => server.once('exit', resolve));
    const uninvited = await runCli(['fl', 'client', '--server', url, '--client-id', 'client-1', '--dataset', 'synthetic', '--json']);
    assert.equal(uninvited.code, 2, `a missing --enrolment-code is a usage error: ${uninvited.stderr}`);
    assert.match(uninvited.stderr, /enrols by invitation: give --enrolment-code/);
    const wrongCode = await runCli(['fl', 'client', '--server', url, '--client-id', 'client-1', '--dataset', 'synthetic', '--enrolment-code', invites[0].code, '--json']);
    assert.equal(wrongCode.code, 1, wrongCode.stderr);
    assert.match(wrongCode.stderr, /this enrolment code is for client "client-0", not "client-1"/);
    const clients = await Promise.all(
      invites.map((i) => runCli(['fl', 'client', '--server', url, '--client-id', i.clientId, '--enrolment-code', i.code, '--dataset', 'synthetic', '--json'])),
    );
    for (const c of clients) {
      assert.equal(c.code, 0, c.stderr);
      const summary = onlyJson(c.stdout);
      assert.equal(summary.finished, true);
      assert.equal(summary.updatesSubmitted, 2);
    }
    assert.equal(await serverExit, 0, serverErr);
    const result = onlyJson(serverOut) as { roundsCompleted: number; curve: { round: number; accuracy?: number; clients: number }[] };
    assert.equal(result.roundsCompleted, 2);
    assert.equal(result.curve.length, 2);
    for (const point of result.curve) {
      assert.equal(point.clients, 2);
      assert.ok(typeof point.accuracy === 'number' && point.accuracy > 0 && point.accuracy <= 1, JSON.stringify(point));
    }
  } finally {
    if (serverProcess && serverProcess.exitCode === null) serverProcess.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});
