/**
 * The networked service with a user's model.json (issue 17, part 5): `fl serve --model
 * PATH/model.json` serves the user's tf.layers classifier (its weights are the round-0 model;
 * the server evaluates each new global model), and two `fl client --model PATH/model.json`
 * processes train it until the federation is done. A client holding another model.json (other
 * weights) is refused before it trains, and one without --model is told to bring the file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { savedUserModel } from '../../user-model-fixture.js';
import { BIN, onlyJson, runCli } from './child-server.js';

test('fl serve --model PATH/model.json and two fl client --model processes train the user model until done', { timeout: 300_000 }, async () => {
  const mine = await savedUserModel(1);
  const other = await savedUserModel(2);
  mine.model.dispose();
  other.model.dispose();
  let server: ReturnType<typeof spawn> | undefined;
  try {
    server = spawn(
      process.execPath,
      [BIN, 'fl', 'serve', '--model', join(mine.dir, 'model.json'), '--labels', mine.labelsFile, '--dataset', 'synthetic', '--clients', '4', '--clients-per-round', '2',
        '--min-clients', '2', '--rounds', '2', '--max-local-steps', '4', '--lr', '0.01', '--enrolment', 'open', '--state', ':memory:', '--port', '0',
        '--exit-when-done', '--poll-interval', '200', '--json'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let serverOut = '';
    let serverErr = '';
    server.stdout!.setEncoding('utf8').on('data', (d: string) => (serverOut += d));
    const url = await new Promise<string>((resolve, reject) => {
      server!.stderr!.setEncoding('utf8').on('data', (d: string) => {
        serverErr += d;
        const m = /"event":"listening","url":"([^"]+)"/.exec(serverErr);
        if (m) resolve(m[1]);
      });
      server!.once('exit', (code) => reject(new Error(`server exited ${code}: ${serverErr}`)));
    });
    const serverExit = new Promise<number | null>((resolve) => server!.once('exit', resolve));
    const client = (id: string, dir: string | undefined) =>
      runCli(['fl', 'client', '--server', url, '--client-id', id, ...(dir ? ['--model', dir, '--labels', mine.labelsFile] : []), '--json']);

    const without = await client('client-1', undefined);
    assert.equal(without.code, 2, without.stderr);
    assert.match(without.stderr, /trains a model\.json of its operator's: give the same file with --model/);
    const impostor = await client('client-1', other.dir);
    assert.equal(impostor.code, 2, impostor.stderr);
    assert.match(impostor.stderr, /is not the federation's model \(its topology or weights differ/);

    const clients = await Promise.all([client('client-0', mine.dir), client('client-3', join(mine.dir, 'model.json'))]);
    for (const c of clients) {
      assert.equal(c.code, 0, c.stderr);
      const summary = onlyJson(c.stdout);
      assert.equal(summary.finished, true);
      assert.equal(summary.updatesSubmitted, 2);
    }
    assert.equal(await serverExit, 0, serverErr);
    const result = onlyJson(serverOut) as { roundsCompleted: number; curve: { round: number; accuracy?: number }[] };
    assert.equal(result.roundsCompleted, 2);
    assert.equal(result.curve.length, 2);
    for (const point of result.curve) assert.ok(typeof point.accuracy === 'number' && point.accuracy > 0.2, `round ${point.round}: accuracy ${point.accuracy}`);
  } finally {
    if (server && server.exitCode === null) server.kill();
    rmSync(dirname(mine.dir), { recursive: true, force: true });
    rmSync(dirname(other.dir), { recursive: true, force: true });
  }
});
