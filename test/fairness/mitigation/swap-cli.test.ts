/** `trustnlu fairness swap`: the counterfactual on stdout, one JSON object with --json, exit 2 for bad flags. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const BIN = join(process.cwd(), 'bin', 'trustnlu.js');
const run = (args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });

test('fairness swap prints the counterfactual; --json gives text, swapped and replacements', () => {
  const plain = run(['fairness', 'swap', "Her mother's sister married him."]);
  assert.equal(plain.status, 0, plain.stderr);
  assert.equal(plain.stdout, "His father's brother married her.\n");
  const json = run(['fairness', 'swap', '--json', 'MOM', 'said', 'she', 'is', 'an', 'actress']);
  assert.equal(json.status, 0, json.stderr);
  const lines = json.stdout.trim().split('\n');
  assert.equal(lines.length, 1);
  assert.deepEqual(JSON.parse(lines[0]), {
    text: 'DAD said he is an actor',
    swapped: true,
    replacements: [
      { index: 0, from: 'MOM', to: 'DAD' },
      { index: 9, from: 'she', to: 'he' },
      { index: 19, from: 'actress', to: 'actor' },
    ],
  });
});

test('fairness swap: bad values and missing text exit 2 with a one-line message', () => {
  const bad = run(['fairness', 'swap', '--names', 'sometimes', 'she']);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--names must be one of capitalised, any, none/);
  assert.equal(run(['fairness', 'swap']).status, 2);
  assert.equal(run(['fairness', 'swap', '--bogus', 'she']).status, 2);
  assert.equal(run(['fairness', 'swap', '--help']).status, 0);
});
