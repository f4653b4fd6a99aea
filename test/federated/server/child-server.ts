/**
 * The CLI as a child process for the service tests: start `trustnlu fl serve` with given flags
 * and wait for its "listening" event, kill it hard, run any other command to its end (with the
 * one JSON object it prints), and name the phase of a test that hangs.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

export const BIN = join(process.cwd(), 'bin', 'trustnlu.js');

/** `trustnlu ARGS` run to its exit (without blocking the test's event loop, so an in-test server keeps answering). */
export function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The one JSON object a `--json` command printed (fails unless stdout is exactly one line). */
export function onlyJson(stdout: string): Record<string, unknown> {
  const lines = stdout.trim().split('\n');
  assert.equal(lines.length, 1, `expected one line on stdout, got:\n${stdout}`);
  return JSON.parse(lines[0]) as Record<string, unknown>;
}

/**
 * Flags of a loopback test server that many test clients join freely: open enrolment, no
 * limits on enrolments and connections from one address, and example-count weights (so the
 * tests can check the weighted mean).
 */
export const OPEN_TEST_FEDERATION = ['--enrolment', 'open', '--enrol-rate-limit', '10000', '--max-connections-per-address', '10000', '--max-weight', '1000000'];

/** `trustnlu fl serve ARGS --port 0 --json` (an open test federation, OPEN_TEST_FEDERATION); resolves with its URL once it listens. */
export function startServer(args: string[]): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [BIN, 'fl', 'serve', ...OPEN_TEST_FEDERATION, ...args, '--port', '0', '--json'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start: ${stderr}`)), 60_000);
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => {
      stderr += chunk;
      const m = /"event":"listening","url":"([^"]+)"/.exec(stderr);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1] });
      }
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}: ${stderr}`)));
  });
}

export function killHard(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

/** `promise`, or a failure naming the phase that hung (instead of the test's silent timeout). */
export function phase<T>(name: string, ms: number, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`phase "${name}" did not finish within ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
