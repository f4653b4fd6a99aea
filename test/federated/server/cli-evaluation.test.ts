/**
 * `fl serve`'s federated-evaluation flags: usage errors exit 2 with one line naming the flag
 * and the fix (personalisation without evaluation, fine-tuning outside the bounds a client
 * accepts, evaluation with a shared store).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { BIN, onlyJson } from './child-server.js';

test('fl serve: bad federated-evaluation flags exit 2 with one line', () => {
  const cases: [string[], RegExp][] = [
    [['--personalised'], /--personalised needs --evaluate-every R/],
    [['--evaluate-every', '1', '--personal-epochs', '2'], /--personal-epochs needs --personalised/],
    [['--evaluate-every', '1', '--personalised', '--personal-epochs', '50'], /personalisation epochs must be an integer in \[1, 20\], got 50 \(the --personal-\* flags\)/],
    [['--evaluate-every', '1', '--personalised', '--personal-lr', '5'], /personalisation learning rate must be in \(0, 1\], got 5/],
    [['--evaluate-every', '1', '--personalised', '--personal-max-steps', '100000'], /step cap must be an integer in \[1, 2000\]/],
    [['--evaluate-every', '1', '--store', 'redis://127.0.0.1:6379/0'], /--evaluate-every runs in a single server process/],
  ];
  for (const [args, message] of cases) {
    const r = spawnSync(process.execPath, [BIN, 'fl', 'serve', '--params', '10', ...args, '--json'], { encoding: 'utf8' });
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr + r.stdout, message, args.join(' '));
    assert.ok(onlyJson(r.stdout).error !== undefined);
  }
});
