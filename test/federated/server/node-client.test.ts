/**
 * Node clients end to end: two `fl client` processes train a real model (embbag on the
 * synthetic set) with tfjs against `fl serve` until the server says the federation is done;
 * the server evaluates each new model (the accuracy curve).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BIN = join(process.cwd(), 'bin', 'trustnlu.js');

function runAsync(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

function onlyJson(stdout: string): Record<string, unknown> {
  const lines = stdout.trim().split('\n');
  assert.equal(lines.length, 1, `expected one line on stdout, got:\n${stdout}`);
  return JSON.parse(lines[0]) as Record<string, unknown>;
}

test('two fl client processes train embbag on the synthetic set against fl serve until it is done', { timeout: 300_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'trustnlu-flcli-'));
  try {
    const server = spawn(
      process.execPath,
      [BIN, 'fl', 'serve', '--dataset', 'synthetic', '--clients', '4', '--clients-per-round', '2', '--min-clients', '2', '--rounds', '2',
        '--max-local-steps', '4', '--state', join(dir, 'state.db'), '--port', '0', '--exit-when-done', '--poll-interval', '200', '--json'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
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
    const clients = await Promise.all(['client-0', 'client-3'].map((id) => runAsync(['fl', 'client', '--server', url, '--client-id', id, '--dataset', 'synthetic', '--json'])));
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
    rmSync(dir, { recursive: true, force: true });
  }
});
