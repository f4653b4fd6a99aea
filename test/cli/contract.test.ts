/**
 * The CLI contract, checked on every command the program defines (found by walking it, so a new
 * command is covered without being listed here): an unknown or misspelt flag exits 2 with one
 * line naming it (and the flag meant), a command group without its sub-command prints its help
 * and exits 2, a misspelt required flag is reported as the typo, not as the flag missing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { Command } from 'commander';
import { buildProgram, main, usageLine } from '../../src/cli/main.js';

const BIN = join(process.cwd(), 'bin', 'trustnlu.js');

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, TRUSTNLU_DATA: '' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/**
 * The CLI in this process (main() is what bin/trustnlu.js runs), its stderr captured: fast enough
 * to try every command. Usage errors stop before any command runs, so nothing else happens.
 */
async function runInProcess(args: string[]): Promise<{ code: number; stderr: string }> {
  const write = process.stderr.write;
  let stderr = '';
  process.stderr.write = ((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  }) as typeof process.stderr.write;
  try {
    const code = await main(args);
    return { code, stderr };
  } finally {
    process.stderr.write = write;
  }
}

async function eachInProcess<T>(items: T[], f: (item: T) => Promise<{ code: number; stderr: string }>) {
  const out = [];
  for (const item of items) out.push(await f(item));
  return out;
}

interface CommandInfo {
  path: string[];
  command: Command;
}

function commandsOf(command: Command, path: string[] = []): CommandInfo[] {
  return command.commands.flatMap((c) => [{ path: [...path, c.name()], command: c }, ...commandsOf(c, [...path, c.name()])]);
}

const all = commandsOf(buildProgram());
// A command with sub-commands may have its own action too (privatize rewrites a file; privatize
// stats is a sub-command): it is then a group for its sub-commands, not one that needs one.
const hasAction = (c: CommandInfo): boolean => (c.command as unknown as { _actionHandler?: unknown })._actionHandler != null;
const leaves = all.filter((c) => c.command.commands.length === 0);
const groups = all.filter((c) => c.command.commands.length > 0 && !hasAction(c));
const groupsWithAction = all.filter((c) => c.command.commands.length > 0 && hasAction(c));

test('usageLine folds commander\'s messages into one line', () => {
  assert.equal(usageLine("error: unknown option '--epoch'\n(Did you mean --epochs?)"), 'unknown option --epoch; did you mean --epochs?');
  assert.equal(usageLine("error: unknown command 'trian'\n(Did you mean train?)"), 'unknown command trian; did you mean train?');
});

test('every command: an unknown flag exits 2 with one line naming it', async () => {
  assert.ok(leaves.length >= 20, `found ${leaves.length} commands`);
  const results = await eachInProcess(leaves, (c) => runInProcess([...c.path, '--no-such-flag']));
  results.forEach((r, i) => {
    const name = leaves[i].path.join(' ');
    assert.equal(r.code, 2, `${name}: exit ${r.code}\n${r.stderr}`);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, `${name}: one line, got:\n${r.stderr}`);
    assert.match(lines[0], /^trustnlu: unknown option --no-such-flag/, name);
    assert.match(lines[0], new RegExp(`see trustnlu ${name} --help`), name);
  });
});

test('every command: a misspelt flag is named with the flag meant', async () => {
  // Each command's first long option with one letter doubled, e.g. --model → --modell.
  const cases = leaves
    .map((c) => ({ c, flag: c.command.options.map((o) => o.long).find((l): l is string => Boolean(l) && l !== '--help' && l!.length > 5) }))
    .filter((x): x is { c: CommandInfo; flag: string } => x.flag !== undefined);
  assert.ok(cases.length >= 20);
  const results = await eachInProcess(cases, ({ c, flag }) => runInProcess([...c.path, `${flag}${flag.at(-1)}`]));
  results.forEach((r, i) => {
    const { c, flag } = cases[i];
    const name = c.path.join(' ');
    assert.equal(r.code, 2, `${name}: exit ${r.code}\n${r.stderr}`);
    assert.equal(r.stderr.trim().split('\n').length, 1, `${name}: one line, got:\n${r.stderr}`);
    assert.match(r.stderr, new RegExp(`unknown option ${flag}${flag.at(-1)}; did you mean ${flag}\\?`), name);
  });
});

test('every command group without its sub-command prints its help and exits 2', async () => {
  assert.ok(groups.length >= 5, `found ${groups.length} groups`);
  const results = await eachInProcess(groups, (c) => runInProcess(c.path));
  results.forEach((r, i) => {
    const name = groups[i].path.join(' ');
    assert.equal(r.code, 2, `${name}: exit ${r.code}`);
    assert.match(r.stderr, new RegExp(`Usage: trustnlu ${name}`), name);
  });
  // A group with its own action and no flags: its action's usage error, one line.
  const own = await eachInProcess(groupsWithAction, (c) => runInProcess(c.path));
  own.forEach((r, i) => {
    const name = groupsWithAction[i].path.join(' ');
    assert.equal(r.code, 2, `${name}: exit ${r.code}`);
    assert.equal(r.stderr.trim().split('\n').length, 1, `${name}: one line, got:\n${r.stderr}`);
  });
  const bare = await run([]);
  assert.equal(bare.code, 2, 'the real process exits 2 too');
  assert.match(bare.stderr, /Usage: trustnlu/);
  const unknown = await run(['train', '--no-such-flag']);
  assert.equal(unknown.code, 2);
  assert.equal(unknown.stderr, 'trustnlu: unknown option --no-such-flag (see trustnlu train --help)\n');
});

test('a misspelt required flag is reported as the typo, and a missing one by name', async () => {
  const typo = await run(['train', '--modle', 'embbag']);
  assert.equal(typo.code, 2);
  assert.match(typo.stderr, /unknown option --modle; did you mean --model\?/);
  const missing = await run(['train', '--dataset', 'synthetic']);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /required option --model not specified/);
});

test('unknown names, bad hyper-parameters and bad values exit 2 with one line; --help exits 0', async () => {
  const cases: [string[], RegExp][] = [
    [['train', '--dataset', 'nope', '--model', 'embbag'], /unknown dataset "nope"/],
    [['train', '--dataset', 'synthetic', '--model', 'nope'], /--model must be one of/],
    [['train', '--dataset', 'synthetic', '--model', 'embbag', '--model-config', '{"hiden":0}'], /no hyper-parameter "hiden"/],
    [['train', '--dataset', 'synthetic', '--model', 'embbag', '--epochs', 'two'], /--epochs must be an integer/],
    [['eval', '--model', '/nonexistent/model'], /nonexistent/],
    [['frobnicate'], /unknown command frobnicate/],
  ];
  const results = await Promise.all(cases.map(([args]) => run(args)));
  results.forEach((r, i) => {
    assert.equal(r.code, 2, `${cases[i][0].join(' ')}: exit ${r.code}\n${r.stderr}`);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, cases[i][1]);
  });
  const help = await run(['train', '--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /--data <path>/);
});
